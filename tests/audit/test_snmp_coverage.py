"""SNMP in the coverage map: a router's neighbour table covers the networks its rows are on.

Pure: the lab router's recorded walk against the demo contract. Lab: a live audit of
fixtures/contracts/demo.yaml with ``--snmp-config`` (credentials by reference): the routed branch
is reached by snmp, its hosts carry their real MACs (the silent laptop lap02 included), and no
secret appears in any output, the store, stdout or stderr.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from scopeaudit.contract import load_contract
from scopeaudit.lab.instance import LabInstance
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.reconcile import compute_coverage
from scopeaudit.scope import Scope
from scopeaudit.sources.snmp import RawVarBind
from scopeaudit.sources.snmp_tables import table_observations
from scopeaudit.taxonomy import Source

from .helpers import DEMO, REPO

WALKS = REPO / "tests" / "sources" / "data" / "snmp_tables"
WHEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
V3 = REPO / "fixtures" / "lab" / "snmp-v3.yaml"


def rtr01_rows() -> list[Observation]:
    raw = json.loads((WALKS / "lab-rtr01.json").read_text())["10.77.0.1"]
    binds = [
        RawVarBind(oid, kind, bytes.fromhex(value) if isinstance(value, str) else value)
        for oid, kind, value in raw
    ]
    scope = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.224/28"])
    found, _ = table_observations("10.77.0.1", binds, time=WHEN, allows=scope.allows)
    return found


def test_router_table_reaches_the_routed_branch() -> None:
    contract = load_contract(DEMO, lang="en")
    rows = rtr01_rows()
    assert any(o.kind is ObservationKind.SNMP_NEIGHBOR and o.ip == "10.77.20.50" for o in rows)
    coverage = {c.cidr: c for c in compute_coverage(contract, rows, ran=[Source.SNMP])}
    assert coverage["10.77.20.0/24"].methods == [Source.SNMP]
    assert coverage["10.77.20.0/24"].verifiable
    # Without the branch rows, nothing reached the branch.
    lan_only = [o for o in rows if not (o.ip or "").startswith("10.77.20.")]
    coverage = {c.cidr: c for c in compute_coverage(contract, lan_only, ran=[Source.SNMP])}
    assert coverage["10.77.20.0/24"].methods == [] and not coverage["10.77.20.0/24"].verifiable


def test_rows_without_an_address_reach_nothing() -> None:
    contract = load_contract(DEMO, lang="en")
    fdb = Observation(
        source=Source.SNMP,
        kind=ObservationKind.SNMP_FDB,
        time=WHEN,
        vantage="snmp:10.77.0.2",
        mac="18:66:da:20:30:01",
        data={"mac": "18:66:da:20:30:01", "port": 24, "uplink": True},
    )
    coverage = compute_coverage(contract, [fdb], ran=[Source.SNMP])
    assert all(c.methods == [] for c in coverage)


# --- the lab --------------------------------------------------------------------------------------

COMMUNITY = "h20-comm-Xk4vQ9pZ"  # unknown to every agent: it must fail quietly, and never show


@pytest.mark.root
@pytest.mark.lab
def test_lab_audit_with_snmp_tables_and_no_secret_anywhere(
    lab: LabInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    v3 = yaml.safe_load(V3.read_text())["users"][0]
    secrets = [COMMUNITY, v3["auth_key"], v3["priv_key"]]
    with tempfile.TemporaryDirectory(prefix="h20-snmp-") as folder:
        base = Path(folder)
        (base / "community").write_text(COMMUNITY + "\n")
        (base / "public").write_text("public\n")
        (base / "v3-auth").write_text(v3["auth_key"])
        config = {
            "snmp": {
                "communities": [{"file": "community"}, {"file": "public"}],
                "v3": [
                    {
                        "user": v3["user"],
                        "level": "authPriv",
                        "auth_protocol": "sha",
                        "auth_key": {"file": "v3-auth"},
                        "priv_protocol": "aes",
                        "priv_key": {"env": "H20_V3_PRIV"},
                    }
                ],
                "devices": ["10.77.0.1"],
            }
        }
        (base / "snmp.yaml").write_text(yaml.safe_dump(config))
        out, snap, store = base / "audit.json", base / "snap.json", base / "runs.sqlite"
        monkeypatch.setenv("H20_V3_PRIV", v3["priv_key"])  # the lab's commands inherit it
        done = lab.exec(
            [sys.executable, "-m", "scopeaudit", "audit", str(DEMO), "--format", "json",
             "--output", str(out), "--save-snapshot", str(snap), "--store", str(store),
             "--snmp-config", str(base / "snmp.yaml")],
            timeout=600,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        scanned = lab.exec(
            [sys.executable, "-m", "scopeaudit", "scan", "--contract", str(DEMO),
             "--sources", "host,arp,snmp", "--passive-seconds", "0", "--output",
             str(base / "scan.json"), "--store", str(store), "--snmp-config",
             str(base / "snmp.yaml")],
            timeout=300,
        )  # fmt: skip
        assert scanned.returncode == 0, scanned.stderr
        document = json.loads(out.read_text())
        blobs = {
            "audit": out.read_bytes(),
            "snapshot": snap.read_bytes(),
            "scan": (base / "scan.json").read_bytes(),
            "store": store.read_bytes(),
            "stdout": (done.stdout + scanned.stdout).encode(),
            "stderr": (done.stderr + scanned.stderr).encode(),
        }
        with sqlite3.connect(store) as db:  # the WAL may still hold pages: read them out too
            dump = "\n".join(db.iterdump()).encode()
        blobs["store-dump"] = dump
        for extra in base.glob("runs.sqlite-*"):
            blobs[extra.name] = extra.read_bytes()
    for name, blob in blobs.items():
        for secret in secrets:
            assert secret.encode() not in blob, f"{name} holds a secret"
    coverage = {c["cidr"]: c for c in document["coverage"]}
    assert "snmp" in coverage["10.77.20.0/24"]["methods"]
    devices = {ip: d for d in document["devices"] for ip in d["ips"]}
    assert devices["10.77.20.50"]["macs"] == ["18:66:da:20:30:01"]  # the branch desktop
    assert devices["10.77.20.51"]["macs"] == ["f8:94:c2:4b:20:51"]  # lap02: only SNMP knows it
    snapshot = json.loads(blobs["snapshot"])
    (outcome,) = [s for s in snapshot["sources"] if s["name"] == "snmp"]
    assert outcome["detail"]["tables_read"] >= 1
    kinds = {o["kind"] for o in snapshot["observations"] if o["source"] == "snmp"}
    assert {"snmp_system", "snmp_neighbor"} <= kinds


@pytest.mark.root
@pytest.mark.lab
def test_lab_agent_with_snmp_credentials_logs_no_secret(lab: LabInstance) -> None:
    """The scheduled agent reads agent.yaml's ``snmp:`` section (same shape as --snmp-config):
    v3 keys and communities from files; its reports, store, metrics and log lines hold none."""
    v3 = yaml.safe_load(V3.read_text())["users"][0]
    secrets = [COMMUNITY, v3["auth_key"], v3["priv_key"]]
    with tempfile.TemporaryDirectory(prefix="h20-agent-") as folder:
        base = Path(folder)
        for name, value in (("c1", COMMUNITY), ("auth", v3["auth_key"]), ("priv", v3["priv_key"])):
            (base / name).write_text(value + "\n")
            (base / name).chmod(0o600)
        (base / "agent.yaml").write_text(
            f"format: 1\ncontract: {DEMO}\nstate_dir: state\npassive_seconds: 5\n"
            "formats: [json, html, md, csv]\n"
            "metrics: {textfile: state/metrics.prom}\n"
            "snmp:\n  communities: [{file: c1}]\n"
            f"  v3:\n    - {{user: {v3['user']}, auth_key: {{file: auth}}, "
            "priv_key: {file: priv}}\n"
            "  devices: [10.77.0.1, 10.77.0.2]\n"
        )
        done = lab.exec(
            [sys.executable, "-m", "scopeaudit", "agent", "run", "--config",
             str(base / "agent.yaml")],
            timeout=600,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        document = json.loads((base / "state" / "reports" / "latest.json").read_text())
        blobs = {"stdout": done.stdout.encode(), "stderr": done.stderr.encode()}
        for path in (base / "state").rglob("*"):
            if path.is_file():
                blobs[str(path.relative_to(base))] = path.read_bytes()
    assert len(blobs) > 4
    for name, blob in blobs.items():
        for secret in secrets:
            assert secret.encode() not in blob, f"{name} holds a secret"
    (snmp,) = [s for s in document["sources"] if s["name"] == "snmp"]
    # No community the agents know: the system group and the tables were read with the v3 user.
    assert snmp["ok"] is True and snmp["detail"]["tables_read"] >= 2, snmp
    coverage = {c["cidr"]: c for c in document["coverage"]}
    assert "snmp" in coverage["10.77.20.0/24"]["methods"]

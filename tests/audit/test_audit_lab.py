"""Acceptance of ``scopeaudit audit`` on the standard lab site (issue 6, "Done when").

One live audit of fixtures/contracts/demo.yaml from the technician's namespace (session ``lab``
fixture): exit 1, the planted gaps of /work/notes/lab-plan.md found, every other declared item
matched, the fee delta to the cent, the JSON valid against the committed schema.
"""

from __future__ import annotations

import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest

from scopeaudit.lab.instance import LabInstance

from .helpers import DEMO, REPO

pytestmark = [pytest.mark.root, pytest.mark.lab]

PLANTED_UNEXPECTED = {"10.77.0.33": Decimal("10"), "10.77.0.64": Decimal("9")}  # prn02, cam01


def test_demo_audit_on_the_lab(lab: LabInstance) -> None:
    with tempfile.TemporaryDirectory(prefix="h10-audit-") as folder:
        out = Path(folder) / "audit.json"
        done = lab.exec(
            [sys.executable, "-m", "scopeaudit", "audit", str(DEMO), "--format", "json",
             "--output", str(out)],
            timeout=300,
        )  # fmt: skip
        assert done.returncode == 1, done.stderr
        document = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((REPO / "docs" / "schema" / "audit.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)

    findings = document["findings"]
    items = {f["equipment_id"]: f for f in findings if f["equipment_id"]}
    assert items["HQ-NAS-01"]["status"] == "mismatch"
    assert items["HQ-NAS-01"]["observed_category"] == "nas"
    assert items["HQ-NAS-01"]["fee_delta"] == -85.0
    assert items["HQ-PC-03"]["status"] == "missing" and items["HQ-PC-03"]["provisional"] is True
    assert items["HQ-TAB-01"]["status"] == "matched"  # declared by host name only
    others = set(items) - {"HQ-NAS-01", "HQ-PC-03"}
    assert {k: items[k]["status"] for k in others} == dict.fromkeys(others, "matched")
    assert len(others) == 16

    devices = {d["id"]: d for d in document["devices"]}
    unexpected = {
        devices[f["device_id"]]["ips"][0]: f["fee_delta"]
        for f in findings
        if f["status"] == "unexpected"
    }
    for ip, fee in PLANTED_UNEXPECTED.items():
        assert unexpected.pop(ip) == float(fee), ip
    # lap02, the silent branch laptop only rtr01's ARP table knows (it answers nothing, nmap
    # does not find it): found through SNMP, undeclared and unknown with nothing but its MAC,
    # hence unpriced.
    assert "10.77.20.51" in unexpected, "the silent branch laptop was not found through SNMP"
    assert unexpected.pop("10.77.20.51") is None
    (lap02,) = [d for d in devices.values() if d["ips"] == ["10.77.20.51"]]
    assert lap02["macs"] == ["f8:94:c2:4b:20:51"]
    assert unexpected == {}, unexpected  # exactly the planted gaps, nothing else
    tolerated = [devices[f["device_id"]]["ips"] for f in findings if f["status"] == "tolerated"]
    # The iPhone by the phones policy, the hostile persona (randomized MAC) by the BYOD one.
    assert sorted(tolerated) == [["10.77.0.112"], ["10.77.0.66"]]
    assert {f["status"] for f in findings} <= {
        "matched",
        "mismatch",
        "missing",
        "unexpected",
        "tolerated",
    }

    assert Decimal(str(document["summary"]["fee_delta_total"])) == Decimal("-66.00")
    assert document["summary"]["drift"] is True
    coverage = {c["cidr"]: c for c in document["coverage"]}
    assert coverage["10.77.0.0/24"]["verifiable"] and coverage["10.77.20.0/24"]["verifiable"]
    assert "arp" in coverage["10.77.0.0/24"]["methods"]
    assert "arp" not in coverage["10.77.20.0/24"]["methods"]  # routed: ARP cannot reach it


RECHECK = """
import json, sys
from datetime import UTC, datetime
from pathlib import Path
from scopeaudit.audit import _recheck, build_result
from scopeaudit.contract import read_contract
from scopeaudit.models import Observation, ObservationKind, Snapshot, SourceOutcome
from scopeaudit.scope import Scope
from scopeaudit.taxonomy import Language, Source

loaded = read_contract(Path(sys.argv[1]), "en")
now = datetime.now(UTC)
# A scan that saw nothing but had an interface on the HQ LAN: every HQ item is about to be missing.
seen = Observation(source=Source.HOST, kind=ObservationKind.INTERFACE, time=now, vantage="eth0",
                   ip="10.77.0.200", data={"name": "eth0", "cidr": "10.77.0.200/24"})
snapshot = Snapshot(tool_version="t", started_at=now, finished_at=now, observations=[seen],
                    sources=[SourceOutcome(name=Source.ARP, ok=True)])
first = build_result(loaded, snapshot, lang=Language.EN)
scope = Scope.from_contract(loaded.contract)
observations, log, asked = _recheck(loaded.contract, scope, first, None, Language.EN)
print(json.dumps({
    "macs": sorted({o.mac for o in observations if o.mac}),
    "targets": [p.targets for p in log],
    "asked": asked,
}))
"""


def test_recheck_asks_the_declared_addresses_only(lab: LabInstance) -> None:
    done = lab.exec([sys.executable, "-c", RECHECK, str(DEMO)], timeout=120)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout.strip().splitlines()[-1])
    # Every HQ item with a declared IP is re-asked; those with a persona answer.
    assert got["asked"]["HQ-SW-01"] == "ARP/ping 10.77.0.2, name query SW-CORE01 @ 10.77.0.2"
    assert "HQ-PC-03" not in got["asked"]  # no IP declared: nothing to re-ask
    assert "4c:71:0c:5b:22:01" in got["macs"] and "b0:4f:13:5c:99:01" in got["macs"]
    # Only declared addresses were probed: never the undeclared printer or camera.
    probed = " ".join(got["targets"])
    assert "10.77.0.33" not in probed and "10.77.0.64" not in probed
    assert got["targets"]

"""Two real audits of the demo contract (recorded snapshots, nothing sent), recorded in a real
store, then ``scopeaudit diff`` with no run given: the store's last two runs.

Between the two snapshots: the declared printer HQ-PRN-01 and the undeclared camera stopped, a
new undeclared device appeared, PC-02 got another address from DHCP, John's iPhone rotated its
randomized MAC. The diff must list exactly the new and stopped devices, see the renumbered PC
and the rotated iPhone as changed (not new), and the scope changes that follow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from scopeaudit.classify import classify_devices, load_ruleset
from scopeaudit.merge import merge
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.snapshot import read_snapshot, write_snapshot
from scopeaudit.taxonomy import Language, Source

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"
SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
PRINTER = ("3c:d9:2b:8e:2a:1f", "10.77.0.30")
CAMERA = ("c0:56:e3:5a:6b:7c", "10.77.0.64")
PC02 = ("10.77.0.102", "10.77.0.177")
IPHONE = ("2a:f1:9c:03:5d:88", "2a:f1:9c:99:88:77")
NEWCOMER = ("00:1b:a9:12:34:56", "10.77.0.70")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": "C.UTF-8", "XDG_DATA_HOME": str(cwd / "xdg")}
    return subprocess.run(
        [sys.executable, "-m", "scopeaudit", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        timeout=300,
        check=False,
    )


def _rotated(observation: Observation) -> Observation:
    """The iPhone's MAC rotated everywhere it shows: sender, DHCP chaddr and client-id, TXT."""
    text = observation.model_dump_json()
    old, new = IPHONE
    for before, after in (
        (old, new),
        (old.upper(), new.upper()),
        ("01" + old.replace(":", ""), "01" + new.replace(":", "")),
    ):
        text = text.replace(before, after)
    return Observation.model_validate_json(text)


def _next_month(tmp_path: Path) -> Path:
    snapshot = read_snapshot(SNAPSHOT)
    shift = timedelta(days=30)
    kept: list[Observation] = []
    for o in snapshot.observations:
        if (o.mac, o.ip) != (None, None) and (
            o.mac in (PRINTER[0], CAMERA[0]) or o.ip in (PRINTER[1], CAMERA[1])
        ):
            continue
        update: dict[str, object] = {"time": o.time + shift}
        if o.ip == PC02[0]:
            update["ip"] = PC02[1]
        kept.append(_rotated(o.model_copy(update=update)))
    kept.append(
        Observation(
            source=Source.ARP,
            kind=ObservationKind.ADDRESS,
            time=snapshot.started_at + shift,
            vantage=kept[0].vantage,
            mac=NEWCOMER[0],
            ip=NEWCOMER[1],
            data={"how": "arp-reply"},
        )
    )
    changed = snapshot.model_copy(
        update={
            "observations": kept,
            # Rebuilt and classified the real way (an audit of one snapshot uses its devices).
            "devices": classify_devices(merge(kept), kept, load_ruleset(), lang=Language.EN),
            "fingerprint": None,
            "started_at": snapshot.started_at + shift,
            "finished_at": snapshot.finished_at + shift,
        }
    )
    return write_snapshot(changed, tmp_path / "next-month.json")


def test_two_audits_in_a_store_then_diff(tmp_path: Path) -> None:
    store = str(tmp_path / "runs.sqlite")
    later = _next_month(tmp_path)
    for snap in (SNAPSHOT, SNAPSHOT, later):
        done = _cli(
            "audit",
            str(DEMO),
            "--snapshot",
            str(snap),
            "--format",
            "json",
            "--store",
            store,
            cwd=tmp_path,
        )
        assert done.returncode in (0, 1), done.stderr
    # The same snapshot audited twice: nothing changed (no flapping).
    same = _cli("diff", "last~2", "last~1", "--store", store, cwd=tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    done = _cli("diff", "--store", store, "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    diff = json.loads(done.stdout)
    assert diff["scope_compared"] is True
    assert [d["macs"] for d in diff["devices"]["new"]] == [[NEWCOMER[0]]]
    assert sorted(d["macs"][0] for d in diff["devices"]["gone"]) == sorted([PRINTER[0], CAMERA[0]])
    fields = {
        (c["device"]["macs"][0], f["field"]): (f["before"], f["after"])
        for c in diff["devices"]["changed"]
        for f in c["changes"]
    }
    pc02 = next(k for k in fields if k[1] == "ips" and PC02[1] in fields[k][1])
    assert fields[pc02] == ([PC02[0]], [PC02[1]])
    assert fields[(IPHONE[1], "macs")] == ([IPHONE[0]], [IPHONE[1]])
    scope = diff["scope"]
    assert [c["device_id"] for c in scope["newly_unexpected"]] == [diff["devices"]["new"][0]["id"]]
    assert [c["equipment_id"] for c in scope["newly_missing"]] == ["HQ-PRN-01"]
    camera_id = next(d["id"] for d in diff["devices"]["gone"] if d["macs"][0] == CAMERA[0])
    assert [(c["kind"], c["device_id"], c["before"], c["after"]) for c in scope["resolved"]] == [
        ("device", camera_id, "unexpected", None)
    ]
    # HQ-PC-03, unseen in every run: the store's presence makes its absence definitive now.
    assert [
        (c["equipment_id"], c["before_provisional"], c["after_provisional"])
        for c in scope["status_changed"]
    ] == [("HQ-PC-03", True, False)]
    french = _cli("diff", "--store", store, "--format", "md", "--lang", "fr", cwd=tmp_path)
    assert french.returncode == 1 and "Nouveaux manquants" in french.stdout

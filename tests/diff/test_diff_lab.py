"""Issue 7 "Done when": two live audits of the lab site with changes between them, recorded in
a run store, then ``scopeaudit diff`` of the store's last two runs.

Between the audits the undeclared camera cam01 comes back (stopped for the first audit), the
declared printer prn01 stops, the iPhone rotates its randomized MAC and the desktop pc01 gets
another DHCP lease (10.77.0.101 -> 10.77.0.150: its runtime restarts and announces itself from
the new address). The diff must list exactly cam01 as new and prn01 as gone; the iPhone (changed
MAC) and the desktop (changed IP) are the same devices, not new ones. The lab is restored in
``finally``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import pytest

from scopeaudit.lab.instance import LabInstance

from .test_diff_audit_e2e import DEMO

pytestmark = [pytest.mark.root, pytest.mark.lab]


def _scopeaudit(lab: LabInstance, *args: str) -> tuple[int, str, str]:
    done = lab.exec([sys.executable, "-m", "scopeaudit", *args], timeout=600)
    return done.returncode, done.stdout, done.stderr


def test_two_lab_audits_then_diff(lab: LabInstance) -> None:
    personas = {p["id"]: p for p in lab.status()["personas"]}
    iphone, camera, printer, desktop_mac = (
        personas[k]["macs"][0] for k in ("iph01", "cam01", "prn01", "pc01")
    )
    desktop_ip = personas["pc01"]["ips"][0]
    stopped: set[str] = set()
    rotated = None
    renumbered = False
    with tempfile.TemporaryDirectory(prefix="h13-diff-lab-") as folder:
        store = str(Path(folder) / "runs.sqlite")
        audit = ("audit", str(DEMO), "--format", "json", "--store", store)
        try:
            lab.stop_persona("cam01")
            stopped.add("cam01")
            lab.time_passes()  # the camera was off long before the first audit
            code, _, err = _scopeaudit(lab, *audit, "--output", str(Path(folder) / "a.json"))
            assert code == 1, err
            lab.start_persona("cam01")
            stopped.discard("cam01")
            lab.stop_persona("prn01")
            stopped.add("prn01")
            rotated = lab.rotate("iph01")
            renumbered = True
            assert lab.renumber("pc01", "10.77.0.150")["ips"] == ["10.77.0.150"]
            # A month passes between two audits: no neighbour cache (the technician's, read by
            # the host source; rtr01's ARP table and sw01's ports, read over SNMP) would still
            # hold the iPhone's previous MAC or the stopped printer.
            lab.time_passes()
            code, _, err = _scopeaudit(lab, *audit, "--output", str(Path(folder) / "b.json"))
            assert code == 1, err
        finally:
            for persona in stopped:
                lab.start_persona(persona)
            if rotated is not None:
                lab.rotate("iph01", iphone)
            if renumbered:
                lab.renumber("pc01", desktop_ip)
            # Leave no trace for the next tests of the session lab: the caches still map the
            # iPhone's address to its rotated MAC and the desktop to its second address.
            lab.time_passes()
        code, out, err = _scopeaudit(lab, "diff", "--store", store, "--format", "json")
        assert code == 1, err
        diff = json.loads(out)
        second = json.loads((Path(folder) / "b.json").read_text("utf-8"))
    evidence = {
        d["id"]: sorted({(o["source"], o["kind"], str(o["data"].get("how"))) for o in
                         (second["observations"][i] for i in d["evidence"])})
        for d in second["devices"]
    }  # fmt: skip
    why = {d["id"]: evidence.get(d["id"]) for d in diff["devices"]["new"]}
    assert [d["macs"] for d in diff["devices"]["new"]] == [[camera]], why
    assert [d["macs"] for d in diff["devices"]["gone"]] == [[printer]]
    phone = [c for c in diff["devices"]["changed"] if rotated in c["device"]["macs"]]
    assert len(phone) == 1, diff["devices"]["changed"]
    macs = {f["field"]: f for f in phone[0]["changes"]}["macs"]
    assert macs["removed"] == [iphone] and macs["added"] == [rotated]
    desktop = [c for c in diff["devices"]["changed"] if desktop_mac in c["device"]["macs"]]
    assert len(desktop) == 1, diff["devices"]["changed"]
    ips = {f["field"]: f for f in desktop[0]["changes"]}["ips"]
    assert ips["removed"] == [desktop_ip] and ips["added"] == ["10.77.0.150"]
    scope = diff["scope"]
    assert [c["equipment_id"] for c in scope["newly_missing"]] == ["HQ-PRN-01"]
    camera_id = diff["devices"]["new"][0]["id"]
    assert [c["device_id"] for c in scope["newly_unexpected"]] == [camera_id]

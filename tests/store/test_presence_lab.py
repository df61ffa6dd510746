"""Issue 7 "Done when", presence: live audits of the lab site recorded in a run store.

The declared laptop lt01 (HQ-PC-02; the demo contract says a computer is missing only after
3 runs unseen) is stopped for three audits: missing and provisional twice, then definitively
missing. Started again, the fourth audit matches it, with the same device id as before it left.
The lab is restored in ``finally``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from scopeaudit.lab.instance import LabInstance

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"

pytestmark = [pytest.mark.root, pytest.mark.lab, pytest.mark.slow]


def audit(lab: LabInstance, store: Path, out: Path) -> dict[str, Any]:
    done = lab.exec(
        [sys.executable, "-m", "scopeaudit", "audit", str(DEMO), "--format", "json",
         "--store", str(store), "--output", str(out)],
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # the demo's planted gaps: drift every time
    assert f"{store})" in done.stderr  # "Run recorded: ID (STORE)", in the contract's language
    document: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return document


def laptop(document: dict[str, Any]) -> tuple[str, bool, str | None]:
    (finding,) = [f for f in document["findings"] if f["equipment_id"] == "HQ-PC-02"]
    return finding["status"], finding["provisional"], finding["device_id"]


def test_laptop_away_three_runs_then_back(lab: LabInstance) -> None:
    with tempfile.TemporaryDirectory(prefix="h12-presence-lab-") as folder:
        store = Path(folder) / "runs.sqlite"
        before = laptop(audit(lab, store, Path(folder) / "0.json"))
        seen: list[tuple[str, bool, str | None]] = []
        lab.stop_persona("lt01")
        try:
            for run in (1, 2, 3):
                # Weeks pass between audits: neither the technician's neighbour cache (read by
                # the host source) nor rtr01's ARP table and sw01's ports (read over SNMP) would
                # still hold the laptop.
                lab.time_passes()
                seen.append(laptop(audit(lab, store, Path(folder) / f"{run}.json")))
        finally:
            lab.start_persona("lt01")
        back = laptop(audit(lab, store, Path(folder) / "4.json"))
        history = lab.exec(
            [sys.executable, "-m", "scopeaudit", "history", "--store", str(store),
             "--format", "json"],
            timeout=60,
        )  # fmt: skip
    assert before[0] == "matched" and before[2] is not None
    assert seen == [("missing", True, None), ("missing", True, None), ("missing", False, None)]
    assert back == before  # matched again, same device id, no provisional noise
    runs = json.loads(history.stdout)["runs"]
    assert [r["kind"] for r in runs] == ["audit"] * 5

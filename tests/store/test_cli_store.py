"""The store through the command line, as a user runs it: real processes, real files.

Every test has its own default store (XDG_DATA_HOME, see conftest), so nothing is shared.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DEMO_SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
DEMO_CONTRACT = REPO / "fixtures" / "contracts" / "demo.yaml"
NMAP_XML = REPO / "tests" / "sources" / "data" / "nmap-discovery.xml"


def cli(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scopeaudit", *map(str, args)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


def audit(store: Path, snapshot: str | Path = DEMO_SNAPSHOT) -> dict[str, Any]:
    done = cli("audit", DEMO_CONTRACT, "--snapshot", snapshot, "--store", store, "--format", "json")
    assert done.returncode == 1, done.stderr  # the demo has planted gaps: drift
    assert f"{store})" in done.stderr  # recorded, said in the contract's language (fr)
    document: dict[str, Any] = json.loads(done.stdout)
    return document


def history(store: Path | None = None) -> list[dict[str, Any]]:
    args = ["history", "--format", "json"] + (["--store", str(store)] if store else [])
    done = cli(*args)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "scopeaudit.history/1"
    runs: list[dict[str, Any]] = document["runs"]
    return runs


def missing(result: dict[str, Any]) -> list[tuple[str, bool]]:
    return [
        (f["equipment_id"], f["provisional"])
        for f in result["findings"]
        if f["status"] == "missing"
    ]


def test_audits_count_presence_and_keep_ids(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    first = audit(store)
    second = audit(store, "last")  # a run id works wherever a snapshot is accepted
    third = audit(store)
    # The demo contract says a computer is missing only after 3 runs unseen: HQ-PC-03 is.
    assert missing(first) == [("HQ-PC-03", True)]
    assert missing(second) == [("HQ-PC-03", True)]
    assert missing(third) == [("HQ-PC-03", False)]
    assert sorted(d["id"] for d in first["devices"]) == sorted(d["id"] for d in third["devices"])
    runs = history(store)
    assert [r["kind"] for r in runs] == ["audit"] * 3
    assert {r["contract"]["reference"] for r in runs} == {"DEMO-2026-001"}
    assert all(r["drift"] is True and r["devices"] == 23 for r in runs)
    prefix = runs[2]["id"][:-3]
    fourth = cli("audit", DEMO_CONTRACT, "--snapshot", prefix, "--store", store, "--format", "json")
    assert fourth.returncode == 1, fourth.stderr
    assert len(history(store)) == 4


def test_scan_records_into_the_default_store_unless_no_store(tmp_path: Path) -> None:
    default = Path(os.environ["XDG_DATA_HOME"]) / "scopeaudit" / "runs.sqlite"
    assert history() == []  # no store yet: nothing recorded, not an error
    skipped = cli("scan", "--import", NMAP_XML, "--no-store", "--output", tmp_path / "a.json")
    assert skipped.returncode == 0, skipped.stderr
    assert not default.exists() and "Run recorded" not in skipped.stderr
    done = cli("scan", "--import", NMAP_XML, "--output", tmp_path / "b.json")
    assert done.returncode == 0, done.stderr
    (run,) = history()
    written = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert run["kind"] == "scan" and run["contract"] is None and run["drift"] is None
    assert run["fingerprint"] == written["fingerprint"] and run["devices"] == 2
    assert default.exists()


def test_history_text_and_prune(tmp_path: Path) -> None:
    store = tmp_path / "runs.sqlite"
    for _ in range(3):
        audit(store)
    english = cli("history", "--store", store, "--lang", "en")
    french = cli("history", "--store", store, "--lang", "fr")
    assert english.returncode == french.returncode == 0
    lines = english.stdout.splitlines()
    assert lines[0].startswith("RUN KIND STARTED CONTRACT") and len(lines) == 4
    assert all(" audit " in line and "DEMO-2026-001 23 yes" in line for line in lines[1:])
    assert french.stdout.splitlines()[0].startswith("EXÉCUTION") and " oui " in french.stdout
    pruned = cli("store", "prune", "--keep-runs", "1", "--store", store)
    assert pruned.returncode == 0 and "2 run(s) removed, 1 kept" in pruned.stdout
    assert len(history(store)) == 1


def test_bad_store_arguments_are_one_line(tmp_path: Path) -> None:
    absent = cli("history", "--store", tmp_path / "absent.sqlite")
    assert absent.returncode == 3 and "no run store here" in absent.stderr
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not sqlite" * 200)
    broken = cli("history", "--store", junk)
    assert broken.returncode == 3 and len(broken.stderr.strip().splitlines()) == 1
    no_run = cli(
        "audit", DEMO_CONTRACT, "--snapshot", "nosuchrun", "--store", tmp_path / "s.sqlite"
    )
    assert no_run.returncode == 3 and "nosuchrun" in no_run.stderr
    assert "Traceback" not in absent.stderr + broken.stderr + no_run.stderr
    bad = cli("store", "prune", "--store", tmp_path / "s.sqlite")
    assert bad.returncode == 2 and "--keep-runs" in bad.stderr

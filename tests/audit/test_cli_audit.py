"""``scopeaudit audit`` from the command line, on recorded snapshots (no network)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from .helpers import DEMO, REPO

SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
SCOPEAUDIT = [sys.executable, "-m", "scopeaudit"]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SCOPEAUDIT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
        },
    )


def test_drift_exits_1_with_json_on_stdout() -> None:
    done = run("audit", str(DEMO), "--snapshot", str(SNAPSHOT), "--format", "json")
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["drift"] is True
    assert document["summary"]["fee_delta_total"] == -66.0
    assert document["language"] == "fr"  # the contract's language


def test_no_drift_exits_0(tmp_path: Path) -> None:
    contract = tmp_path / "c.yaml"
    contract.write_text(
        "format: 1\ncontract: {reference: Z}\nscope:\n  networks: [{cidr: 10.77.0.0/24, site: HQ}]\n"
        "  policies: [{id: all, match: {cidr: 10.77.0.0/16}, treatment: tolerated}]\n"
        "equipment: []\n",
        encoding="utf-8",
    )
    done = run("audit", str(contract), "--snapshot", str(SNAPSHOT), "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert "Drift" in done.stdout and "tolerated" in done.stdout


def test_csv_and_md_to_files(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    done = run(
        "audit",
        str(DEMO),
        "--snapshot",
        str(SNAPSHOT),
        "--format",
        "csv",
        "--output",
        str(out),
        "--lang",
        "en",
    )
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["code"] for r in rows} >= {"unexpected", "mismatch", "missing", "matched"}
    assert str(out) in done.stderr
    md = tmp_path / "r.md"
    assert (
        run(
            "audit", str(DEMO), "--snapshot", str(SNAPSHOT), "--format", "md", "--output", str(md)
        ).returncode
        == 1
    )
    assert md.read_text(encoding="utf-8").startswith("# Audit du périmètre")


def test_bad_inputs_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for args, code in [
        (("audit", str(tmp_path / "none.yaml"), "--snapshot", str(SNAPSHOT)), 3),
        (("audit", str(DEMO), "--snapshot", str(bad)), 3),
        (
            (
                "audit",
                str(REPO / "fixtures/contracts/malformed/01-empty.yaml"),
                "--snapshot",
                str(SNAPSHOT),
            ),
            3,
        ),
        (("audit", str(DEMO), "--snapshot", str(SNAPSHOT), "--format", "docx"), 2),
    ]:
        done = run(*args)
        assert done.returncode == code, (args, done.stderr)
        assert "Traceback" not in done.stderr and done.stderr.strip()


def test_two_snapshots_are_merged(tmp_path: Path) -> None:
    out = tmp_path / "a.json"
    done = run(
        "audit", str(DEMO), "--snapshot", str(SNAPSHOT), "--snapshot", str(SNAPSHOT),
        "--format", "json", "--output", str(out),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert len(document["snapshot"]["inputs"]) == 2
    # The same devices seen twice are still one device each, every declared item found once.
    single = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert len(document["devices"]) == len(single["devices"])
    items = [f["equipment_id"] for f in document["findings"] if f["equipment_id"]]
    assert len(items) == len(set(items)) == 18

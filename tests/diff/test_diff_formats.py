"""``scopeaudit diff`` in the audit's other human formats: CSV, PDF and the amendment.

Run as a user runs it (a subprocess, real files). The amendment is made from two real audits of
the demo contract (recorded snapshots, nothing sent): the later one has new drift (a new
undeclared printer, the declared printer HQ-PRN-01 gone) and drift already there a month ago (an
undeclared Brother printer, the NAS declared as a server): only the new drift may be listed.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from scopeaudit.snapshot import write_snapshot

from .builders import T0, addr, name, run, snapshot
from .test_diff_audit_e2e import DEMO, SNAPSHOT, _next_month

LATER = T0 + timedelta(days=30)
HOSTILE = '=HYPERLINK("http://evil.example","x")\x1b[31m'
HOSTILE_MAC = "00:21:cc:99:88:77"
NEWCOMER = "00:1b:a9:12:34:56"  # appears in the later demo audit: new drift
OLD_UNEXPECTED = "3c:2a:f4:11:22:33"  # undeclared in both demo audits: old drift


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


@pytest.fixture()
def snapshots(tmp_path: Path) -> tuple[Path, Path]:
    """Two scans: the laptop renumbered, a device named with a formula appeared."""
    before = run(["printer", "laptop"])
    later = run(["printer", "laptop"], at=LATER, previous=before, laptop={"ip": "10.9.0.77"})
    hostile = [
        addr(HOSTILE_MAC, "10.9.0.90", LATER),
        name(HOSTILE_MAC, "10.9.0.90", HOSTILE, LATER),
    ]
    after = snapshot([*later.observations, *hostile], previous=before.devices, at=LATER)
    return write_snapshot(before, tmp_path / "a.json"), write_snapshot(after, tmp_path / "b.json")


@pytest.fixture(scope="module")
def audits(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo contract audited on its recorded snapshot, then a month later (that month's
    snapshot is left next to them as ``next-month.json``)."""
    work = tmp_path_factory.mktemp("audits")
    paths = []
    for snap, out in ((SNAPSHOT, "a.json"), (_next_month(work), "b.json")):
        done = _cli(
            "audit",
            str(DEMO),
            "--snapshot",
            str(snap),
            "--format",
            "json",
            "--no-store",
            "--output",
            str(work / out),
            cwd=work,
        )
        assert done.returncode == 1, done.stderr
        paths.append(work / out)
    return paths[0], paths[1]


def test_csv_one_row_per_change_with_formula_neutralized(
    snapshots: tuple[Path, Path], tmp_path: Path
) -> None:
    done = _cli("diff", *map(str, snapshots), "--format", "csv", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "\x1b" not in done.stdout
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == [
        "kind",
        "device",
        "equipment",
        "category",
        "name",
        "field",
        "before",
        "after",
    ]
    rows = table[1:]
    assert [r[0] for r in rows] == ["new", "changed"]
    new = rows[0]
    assert new[4].startswith("'=HYPERLINK(") and "evil.example" in new[4]
    assert new[7] == f"{HOSTILE_MAC}, 10.9.0.90" and new[6] == ""
    assert rows[1][5:] == ["ips", "10.9.0.50", "10.9.0.77"]
    assert rows[1][4] == "PC-COMPTA-03"
    # No cell a spreadsheet would evaluate.
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    french = _cli("diff", *map(str, snapshots), "--format", "csv", "--lang", "fr", cwd=tmp_path)
    assert french.stdout.splitlines()[0].startswith("type,appareil,équipement,catégorie")


def test_csv_of_audits_lists_scope_changes(audits: tuple[Path, Path], tmp_path: Path) -> None:
    done = _cli("diff", *map(str, audits), "--format", "csv", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    missing = [r for r in rows if r["kind"] == "newly_missing"]
    assert [(r["equipment"], r["field"], r["before"], r["after"]) for r in missing] == [
        ("HQ-PRN-01", "status", "matched", "missing")
    ]
    unexpected = [r for r in rows if r["kind"] == "newly_unexpected"]
    assert len(unexpected) == 1 and unexpected[0]["after"] == "unexpected"


def test_amendment_from_two_audits_lists_only_new_drift(
    audits: tuple[Path, Path], tmp_path: Path
) -> None:
    target = tmp_path / "amendment.md"
    done = _cli(
        "diff", *map(str, audits), "--format", "amendment", "--output", str(target), cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    text = target.read_text("utf-8")
    added = text.split("## Article 2")[1].split("## Article 3")[0]
    removed = text.split("## Article 3")[1].split("## Article 4")[0]
    recategorized = text.split("## Article 4")[1].split("## Article 5")[0]
    assert NEWCOMER in added and OLD_UNEXPECTED not in added
    assert "HQ-PRN-01" in removed
    assert "HQ-NAS-01" not in recategorized
    # The contract's language (French) without --lang, as the audit's own amendment.
    assert text.startswith("# Avenant n°")
    # The later audit's full amendment does carry the old drift: the diff is what removed it.
    full = tmp_path / "full.md"
    whole = _cli(
        "audit",
        str(DEMO),
        "--snapshot",
        str(audits[1].parent / "next-month.json"),
        "--format",
        "amendment",
        "--no-store",
        "--output",
        str(full),
        cwd=tmp_path,
    )
    assert whole.returncode == 1, whole.stderr
    assert OLD_UNEXPECTED in full.read_text("utf-8")


def test_amendment_needs_two_audits(
    audits: tuple[Path, Path], snapshots: tuple[Path, Path], tmp_path: Path
) -> None:
    done = _cli("diff", str(snapshots[0]), str(audits[1]), "--format", "amendment", cwd=tmp_path)
    assert done.returncode == 2
    assert "two audits" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_pdf_needs_output(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    done = _cli("diff", *map(str, snapshots), "--format", "pdf", cwd=tmp_path)
    assert done.returncode == 2 and "--output" in done.stderr


@pytest.mark.browser
def test_pdf_printed_by_chromium(snapshots: tuple[Path, Path], tmp_path: Path) -> None:
    # tests/conftest.py skips (fails under SCOPEAUDIT_STRICT=1) when Chromium is absent.
    target = tmp_path / "out" / "diff.pdf"
    done = _cli(
        "diff", *map(str, snapshots), "--format", "pdf", "--output", str(target), cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1000

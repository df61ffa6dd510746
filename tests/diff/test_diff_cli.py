"""``scopeaudit diff`` run as a user runs it: files or stored runs in, reports and exit codes out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from scopeaudit.models import Observation, ObservationKind
from scopeaudit.snapshot import write_snapshot
from scopeaudit.store import Store
from scopeaudit.taxonomy import Source

from .builders import IPHONE_2, T0, run, snapshot

REPO = Path(__file__).resolve().parents[2]
LATER = T0 + timedelta(days=30)
HOSTILE = "\x1b[31mEVIL\u202e<script>alert(1)</script>|=cmd"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LANG": "C.UTF-8", "XDG_DATA_HOME": str(cwd / "xdg")}
    return subprocess.run(
        [sys.executable, "-m", "scopeaudit", "diff", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    before = run(["printer", "laptop", "nas", "iphone"])
    after = run(
        ["printer", "laptop", "camera", "iphone"],
        at=LATER,
        previous=before,
        laptop={"ip": "10.9.0.77"},
        iphone={"mac": IPHONE_2},
    )
    return write_snapshot(before, tmp_path / "a.json"), write_snapshot(after, tmp_path / "b.json")


def test_files_json_conforms_to_schema_and_exit_1(files: tuple[Path, Path], tmp_path: Path) -> None:
    done = _cli(str(files[0]), str(files[1]), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    schema = json.loads((REPO / "docs" / "schema" / "diff.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema"] == "scopeaudit.diff/1"
    assert document["summary"]["new"] == 1 and document["summary"]["gone"] == 1
    assert document["summary"]["changed"] == 2 and document["changed"] is True
    assert document["from"]["path"] == str(files[0])


def test_same_file_twice_exit_0(files: tuple[Path, Path], tmp_path: Path) -> None:
    done = _cli(str(files[0]), str(files[0]), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "No change." in done.stdout


@pytest.mark.parametrize("fmt", ["terminal", "md", "html"])
def test_human_formats_in_both_languages(
    files: tuple[Path, Path], tmp_path: Path, fmt: str
) -> None:
    english = _cli(str(files[0]), str(files[1]), "--format", fmt, "--lang", "en", cwd=tmp_path)
    french = _cli(str(files[0]), str(files[1]), "--format", fmt, "--lang", "fr", cwd=tmp_path)
    assert english.returncode == french.returncode == 1
    assert "New devices" in english.stdout and "Nouveaux appareils" in french.stdout
    assert "10.9.0.77" in english.stdout and "10.9.0.77" in french.stdout
    assert "\\x" not in french.stdout  # our own labels never come out escaped as if hostile


def test_output_file(files: tuple[Path, Path], tmp_path: Path) -> None:
    target = tmp_path / "out" / "diff.html"
    done = _cli(
        str(files[0]), str(files[1]), "--format", "html", "--output", str(target), cwd=tmp_path
    )
    assert done.returncode == 1 and done.stdout == ""
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_bad_inputs_are_one_line_errors(files: tuple[Path, Path], tmp_path: Path) -> None:
    junk = tmp_path / "junk.json"
    junk.write_text('{"schema": "other"}', encoding="utf-8")
    for args, code in (
        ([str(files[0]), str(junk)], 3),
        ([str(files[0]), str(tmp_path / "nope.json")], 3),  # not a file: a run id of no store
        ([str(files[0]), str(files[1]), "--format", "pdf"], 2),
        (["a", "b", "c"], 3),
        (["last~1", "last", "--store", str(tmp_path / "none.sqlite")], 3),  # no store there
    ):
        done = _cli(*args, cwd=tmp_path)
        assert done.returncode == code, (args, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_default_is_the_stores_last_two_runs(tmp_path: Path) -> None:
    store_path = tmp_path / "runs.sqlite"
    first = run(["printer", "nas"])
    second = run(["printer", "camera"], at=LATER)
    with Store.open(store_path) as store:
        store.record_scan(first)
        store.record_scan(second)
    done = _cli("--store", str(store_path), "--format", "json", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    document = json.loads(done.stdout)
    assert document["summary"]["new"] == 1 and document["summary"]["gone"] == 1
    assert document["from"]["run_id"] and document["to"]["run_id"]
    assert document["from"]["run_id"] != document["to"]["run_id"]
    same = _cli("last", "last", "--store", str(store_path), cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    too_far = _cli("last~5", "--store", str(store_path), cwd=tmp_path)
    assert too_far.returncode == 3 and "only 2 run" in too_far.stderr, too_far.stderr


def test_hostile_names_are_inert(tmp_path: Path) -> None:
    mac = "00:80:77:aa:bb:cc"
    observations = [
        Observation(
            source=Source.ARP,
            kind=ObservationKind.ADDRESS,
            time=LATER,
            vantage="lab0",
            mac=mac,
            ip="10.9.0.5",
            data={"how": "arp-reply"},
        ),
        Observation(
            source=Source.PASSIVE,
            kind=ObservationKind.HOSTNAME,
            time=LATER,
            vantage="lab0",
            mac=mac,
            ip="10.9.0.5",
            data={"name": HOSTILE, "origin": "mdns"},
        ),
    ]
    before = write_snapshot(run(["printer"]), tmp_path / "a.json")
    after = write_snapshot(snapshot(observations, at=LATER), tmp_path / "b.json")
    for fmt in ("terminal", "md", "html"):
        done = _cli(str(before), str(after), "--format", fmt, cwd=tmp_path)
        assert done.returncode == 1
        assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
        if fmt != "terminal":  # plain text shows it as text; markup formats must escape it
            assert "<script>alert" not in done.stdout
        assert "EVIL" in done.stdout  # shown, as text
    raw = json.loads(_cli(str(before), str(after), "--format", "json", cwd=tmp_path).stdout)
    assert raw["devices"]["new"][0]["hostnames"] == [HOSTILE]  # data keeps it raw

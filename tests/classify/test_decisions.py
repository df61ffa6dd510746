"""The decisions file: loading with located errors, pins applied by classification, the
``decide`` and ``explain`` commands on a snapshot file."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from classify.personas import snapshot
from scopeaudit import decisions
from scopeaudit.classify import classify_devices, load_ruleset
from scopeaudit.errors import ValidationFailed
from scopeaudit.models import Device
from scopeaudit.taxonomy import Category

RULES = load_ruleset(environ={})
TODAY = dt.date(2026, 11, 28)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scopeaudit", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LANG": "C"},
        check=False,
    )


def test_load_valid_file_keeps_text_and_applies_pin(tmp_path: Path) -> None:
    path = tmp_path / "decisions.yaml"
    path.write_text(
        "# ours\nformat: 1\ndecisions:\n"
        "  - device: dev-cam01\n    identifiers: {macs: [C0:56:E3:5A:6B:7C], names: [NO]}\n"
        "    action: pin\n    category: iot\n    reason: door intercom, not CCTV\n"
        "    author: alice\n    date: 2026-11-01\n"
        "  - device: dev-old\n    action: pin\n    category: printer\n    reason: gone\n"
        "    author: bob\n    date: 2025-01-01\n    expires: 2025-02-01\n",
        encoding="utf-8",
    )
    loaded = decisions.load(path, required=True)
    assert loaded.decisions[0].identifiers.macs == ["c0:56:e3:5a:6b:7c"]
    assert loaded.decisions[0].identifiers.names == ["NO"]  # no YAML 1.1 boolean surprise
    cam = Device(id="other-id", macs=["c0:56:e3:5a:6b:7c"])
    pins = loaded.pins([cam, Device(id="dev-old")], TODAY)
    assert set(pins) == {"other-id"}  # matched by MAC; the expired one is ignored
    snap = snapshot()
    devices = [
        d.model_copy(update={"id": "other-id"}) if d.id == "dev-cam01" else d for d in snap.devices
    ]
    result = {d.id: d for d in classify_devices(devices, snap.observations, RULES, pins)}
    pinned = result["other-id"]
    assert pinned.category == Category.IOT
    assert pinned.confidence == 1.0
    assert pinned.reasons[0].code == "classify.pinned"
    assert "set by technician" in pinned.reasons[0].text


def test_errors_are_located_and_all_reported(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(
        "format: 1\ndecisions:\n"
        "  - device: x\n    action: pin\n    reason: r\n    author: a\n    date: 2026-11-01\n"
        "  - device: y\n    action: shred\n    reason: r\n    author: a\n    date: nope\n"
        "    colour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as caught:
        decisions.load(path, required=True)
    lines = caught.value.lines()
    assert len(lines) == 4
    assert lines[0].startswith(f"{path}:3:5: decisions[0]: action 'pin' needs")
    assert any(":9:13: decisions[1].action:" in line for line in lines)
    assert any(":12:11: decisions[1].date:" in line for line in lines)
    assert any(":13:5: decisions[1].colour: unknown key" in line for line in lines)


@pytest.mark.parametrize("content", [b"", b"\x00\x01", b"format: [1\n", b"- a\n"])
def test_hostile_files_one_line_each(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "d.yaml"
    path.write_bytes(content)
    with pytest.raises(ValidationFailed) as caught:
        decisions.load(path, required=True)
    assert len(caught.value.lines()) == 1
    assert caught.value.lines()[0].startswith(str(path))


def test_missing_default_file_is_empty(tmp_path: Path) -> None:
    assert decisions.load(tmp_path / "none.yaml").decisions == []


def test_decide_then_explain_changes_the_result(tmp_path: Path) -> None:
    snap_path = tmp_path / "snap.json"
    snap_path.write_text(snapshot().model_dump_json(by_alias=True), encoding="utf-8")
    dfile = tmp_path / "decisions.yaml"
    dfile.write_text("# keep me\nformat: 1\ndecisions: []\n", encoding="utf-8")
    before = run(
        "explain", str(snap_path), "c0:56:e3:5a:6b:7c", "--decisions", str(dfile), cwd=tmp_path
    )
    assert before.returncode == 0, before.stderr
    assert "camera with confidence" in before.stdout
    done = run(
        "decide",
        "dev-cam",
        "--pin-category",
        "iot",
        "--reason",
        "intercom",
        "--author",
        "alice",
        "--snapshot",
        str(snap_path),
        "--decisions",
        str(dfile),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    text = dfile.read_text(encoding="utf-8")
    assert text.startswith("# keep me\n")
    entry = decisions.load(dfile, required=True).decisions[0]
    assert (entry.device, entry.category, entry.author) == ("dev-cam01", Category.IOT, "alice")
    assert entry.identifiers.macs == ["c0:56:e3:5a:6b:7c"]
    after = run(
        "explain",
        str(snap_path),
        "dev-cam01",
        "--decisions",
        str(dfile),
        "--lang",
        "fr",
        cwd=tmp_path,
    )
    assert after.returncode == 0, after.stderr
    assert "objet connecté fixé par le technicien (alice" in after.stdout


def test_decide_rejects_bad_input_in_one_line(tmp_path: Path) -> None:
    bad = run(
        "decide", "aa:bb:cc:dd:ee:ff", "--pin-category", "toaster", "--reason", "x", cwd=tmp_path
    )
    assert bad.returncode == 2
    assert len(bad.stderr.strip().splitlines()) == 1
    assert "category" in bad.stderr
    nothing = run("decide", "x", "--reason", "r", cwd=tmp_path)
    assert nothing.returncode == 2
    assert not (tmp_path / "decisions.yaml").exists()


def test_explain_bad_snapshot_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{"schema": 1}', encoding="utf-8")
    result = run("explain", str(path), "x", cwd=tmp_path)
    assert result.returncode == 3
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a scopeaudit.snapshot/1 file" in result.stderr

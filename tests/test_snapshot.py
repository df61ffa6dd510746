"""Snapshot files: fingerprint, round trip on a real file, tampering and bad files refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.errors import InputError
from scopeaudit.models import Device, Observation, ObservationKind, Snapshot
from scopeaudit.snapshot import compute_fingerprint, read_snapshot, write_snapshot
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def sample() -> Snapshot:
    observation = Observation(
        source=Source.ARP,
        kind=ObservationKind.ADDRESS,
        time=NOW,
        vantage="eth0",
        mac="3c:d9:2b:8e:2a:1f",
        ip="10.77.0.30",
        data={"how": "arp-reply", "name": "<script>é\u202e"},
    )
    return Snapshot(
        tool_version="0.1.0",
        started_at=NOW,
        finished_at=NOW,
        observations=[observation],
        devices=[Device(id="dev-1", macs=["3c:d9:2b:8e:2a:1f"], evidence=[0])],
    )


def test_round_trip_keeps_everything_and_the_fingerprint(tmp_path: Path) -> None:
    path = write_snapshot(sample(), tmp_path / "scan.json")
    back = read_snapshot(path)
    assert back.fingerprint == compute_fingerprint(sample())
    assert back.fingerprint is not None and back.fingerprint.startswith("sha256:")
    assert back.observations[0].data["name"] == "<script>é\u202e"
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "scopeaudit.snapshot/1"


def test_fingerprint_changes_with_content() -> None:
    other = sample().model_copy(update={"tool_version": "0.1.1"})
    assert compute_fingerprint(other) != compute_fingerprint(sample())


def test_tampered_file_is_refused(tmp_path: Path) -> None:
    path = write_snapshot(sample(), tmp_path / "scan.json")
    path.write_text(path.read_text(encoding="utf-8").replace("10.77.0.30", "10.77.0.31"))
    with pytest.raises(InputError, match="fingerprint does not match"):
        read_snapshot(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b'{"schema": "other/1"}', "not a scopeaudit.snapshot/1 file"),
        (b'{"schema": "scopeaudit.snapshot/1"}', "tool_version"),
        (b"[1, 2", "not valid JSON"),
    ],
)
def test_bad_files_give_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        read_snapshot(path)
    assert "\n" not in str(caught.value)


def test_missing_and_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_snapshot(tmp_path / "nope.json")
    with pytest.raises(InputError, match="is a folder"):
        read_snapshot(tmp_path)

"""The nmap ndiff pair (random-1.xml, random-2.xml): imported, merged and diffed by identity.

ndiff keys hosts by address (anchors §1.14). These hosts have no MAC: their identity is their
PTR name, else (weakly) their address, so counts here must agree with the address overlap except
where the name behind an address changed: 55 and 61 hosts, 47 addresses in both, and on one of
them (10.196.172.89) the PTR name changed, which is another device, not the same one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from scopeaudit.diff import diff_snapshots
from scopeaudit.merge import merge
from scopeaudit.models import Snapshot
from scopeaudit.sources.importer import import_file

pytestmark = pytest.mark.corpora


def _snapshot(path: Path, previous: Snapshot | None = None) -> Snapshot:
    observations = import_file(path).observations
    assert observations, path
    at = min(o.time for o in observations)
    devices = merge(observations, previous.devices if previous is not None else None)
    return Snapshot(
        tool_version="test",
        started_at=at,
        finished_at=at,
        observations=observations,
        devices=devices,
    )


def test_ndiff_pair_counts_are_plausible_and_stable(corpora: Path) -> None:
    folder = corpora / "nmap-xml"
    first = _snapshot(folder / "random-1.xml")
    second = _snapshot(folder / "random-2.xml")
    assert (len(first.devices), len(second.devices)) == (55, 61)
    diff = diff_snapshots(first, second)
    s = diff.summary
    paired = s.changed + s.unchanged
    assert paired + s.gone == 55 and paired + s.new == 61
    assert (s.new, s.gone, s.changed, s.unchanged) == (15, 9, 2, 44)
    # Both changes are open ports (nothing else can change on a MAC-less routed host here).
    assert {f.field.value for c in diff.devices.changed for f in c.changes} == {"open_ports"}
    renamed = {ip for d in diff.devices.gone for ip in d.ips} & {
        ip for d in diff.devices.new for ip in d.ips
    }
    assert renamed == {"10.196.172.89"}
    # Stable: the same again, and with ids carried over by merge, gives the same counts.
    assert diff_snapshots(first, second).summary == s
    carried = _snapshot(folder / "random-2.xml", previous=first)
    assert diff_snapshots(first, carried).summary == s

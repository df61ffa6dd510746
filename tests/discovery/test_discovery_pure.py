"""Pure parts of the discovery engine: --sources parsing, routed hosts never bound to the
gateway's MAC."""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import IPv4Network

import pytest

from scopeaudit.discovery import parse_sources, unbind_routed_macs
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ROUTER = "70:10:5c:3a:11:01"


def obs(source: Source, ip: str, mac: str | None = ROUTER) -> Observation:
    return Observation(
        source=source,
        kind=ObservationKind.TTL,
        time=NOW,
        vantage="eth0",
        mac=mac,
        ip=ip,
        data={"ttl": 127, "initial": 128, "hops": 1},
    )


def test_routed_host_loses_the_gateway_mac() -> None:
    onlink = [IPv4Network("10.77.0.0/24")]
    fixed = unbind_routed_macs(
        [obs(Source.PASSIVE, "10.77.20.50"), obs(Source.NAMES, "10.77.20.50")], onlink
    )
    assert [o.mac for o in fixed] == [None, None]


def test_onlink_and_non_frame_sources_keep_their_mac() -> None:
    onlink = [IPv4Network("10.77.0.0/24")]
    kept = [obs(Source.PASSIVE, "10.77.0.1"), obs(Source.IMPORT, "10.77.20.50")]
    assert unbind_routed_macs(kept, onlink) == kept


def test_parse_sources_accepts_commas_and_repeats() -> None:
    assert parse_sources(["arp,nmap", " passive "]) == {Source.ARP, Source.NMAP, Source.PASSIVE}


def test_parse_sources_names_the_unknown_one() -> None:
    with pytest.raises(ValueError, match="unknown source 'arpp'"):
        parse_sources(["arpp"])

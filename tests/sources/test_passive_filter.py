"""The passive source's scope filter: out-of-scope and excluded devices are dropped and counted."""

from __future__ import annotations

from datetime import UTC, datetime

from scopeaudit.models import Observation, ObservationKind
from scopeaudit.scope import Scope
from scopeaudit.sources.passive import filter_in_scope
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SCOPE = Scope.from_cidrs(["10.77.0.0/24"], ["10.77.0.240/28"])


def obs(kind: ObservationKind, mac: str | None, ip: str | None, **data: object) -> Observation:
    return Observation(
        source=Source.PASSIVE, kind=kind, time=NOW, vantage="eth0", mac=mac, ip=ip, data=data
    )


def test_in_scope_observations_are_kept() -> None:
    items = [
        obs(ObservationKind.ADDRESS, "3c:d9:2b:8e:2a:1f", "10.77.0.30", how="arp-request"),
        obs(ObservationKind.LLDP, "74:83:c2:4d:44:01", None, system_name="U6-Pro-Lobby"),
    ]
    kept, dropped = filter_in_scope(items, SCOPE)
    assert kept == items
    assert dropped == {}


def test_excluded_device_is_dropped_with_everything_it_sent() -> None:
    guest = "8c:71:f8:aa:bb:01"
    items = [
        obs(ObservationKind.ADDRESS, guest, "10.77.0.245", how="arp-request"),
        obs(ObservationKind.DHCP, guest, None, hostname="Guest-Phone", requested_ip="10.77.0.245"),
        obs(ObservationKind.HOSTNAME, guest, None, name="Guest-Phone", origin="mdns"),
        obs(ObservationKind.ADDRESS, "3c:d9:2b:8e:2a:1f", "10.77.0.30", how="arp-request"),
    ]
    kept, dropped = filter_in_scope(items, SCOPE)
    assert [k.mac for k in kept] == ["3c:d9:2b:8e:2a:1f"]
    assert dropped == {"excluded": 2, "excluded_device": 1}


def test_public_address_is_out_of_scope() -> None:
    items = [obs(ObservationKind.ADDRESS, "00:1b:21:0a:0b:0c", "203.0.113.10", how="arp-reply")]
    kept, dropped = filter_in_scope(items, SCOPE)
    assert kept == []
    assert dropped == {"out_of_scope": 1}


def test_device_seen_inside_and_outside_keeps_its_inside_facts() -> None:
    mac = "70:10:5c:3a:11:01"  # a router answers from several subnets
    items = [
        obs(ObservationKind.ADDRESS, mac, "10.77.0.1", how="arp-reply"),
        obs(ObservationKind.ADDRESS, mac, "203.0.113.1", how="arp-reply"),
        obs(ObservationKind.CDP, mac, None, device_id="BR-RTR01"),
    ]
    kept, dropped = filter_in_scope(items, SCOPE)
    assert [(k.kind, k.ip) for k in kept] == [
        (ObservationKind.ADDRESS, "10.77.0.1"),
        (ObservationKind.CDP, None),
    ]
    assert dropped == {"out_of_scope": 1}

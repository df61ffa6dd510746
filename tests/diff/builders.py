"""Hand-made runs for the diff tests: observations merged the real way, categories set by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from scopeaudit.merge import merge
from scopeaudit.models import Device, Observation, ObservationKind, Snapshot
from scopeaudit.snapshot import seal
from scopeaudit.taxonomy import Category, Source

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)

# MACs: universal (OUI assigned) unless noted.
PRINTER = "00:80:77:11:22:33"
SERVER = "3c:ec:ef:00:00:01"
LAPTOP = "00:21:cc:aa:bb:cc"
NAS = "00:11:32:0a:0b:0c"
CAMERA = "00:40:8c:01:02:03"
IPHONE_1 = "5a:1e:22:33:44:55"  # randomized
IPHONE_2 = "7e:90:01:02:03:04"  # randomized, after the rotation


def addr(mac: str, ip: str, at: datetime) -> Observation:
    return Observation(
        source=Source.ARP,
        kind=ObservationKind.ADDRESS,
        time=at,
        vantage="lab0",
        mac=mac,
        ip=ip,
        data={"how": "arp-reply"},
    )


def name(mac: str, ip: str, text: str, at: datetime, origin: str = "mdns") -> Observation:
    return Observation(
        source=Source.PASSIVE,
        kind=ObservationKind.HOSTNAME,
        time=at,
        vantage="lab0",
        mac=mac,
        ip=ip,
        data={"name": text, "origin": origin},
    )


def port(ip: str, number: int, at: datetime, state: str = "open") -> Observation:
    return Observation(
        source=Source.NMAP,
        kind=ObservationKind.PORT,
        time=at,
        vantage="lab0",
        ip=ip,
        data={"port": number, "proto": "tcp", "state": state},
    )


def persona(key: str, at: datetime, **variant: Any) -> list[Observation]:
    """The observations of one persona; ``variant`` changes its IP, MAC or ports."""
    ip = variant.get("ip")
    if key == "printer":
        ip = ip or "10.9.0.20"
        return [addr(PRINTER, ip, at), port(ip, 9100, at), name(PRINTER, ip, "BRW-ACCUEIL", at)]
    if key == "server":
        ip = ip or "10.9.0.10"
        ports = variant.get("ports", (22, 443))
        return [addr(SERVER, ip, at), *(port(ip, p, at) for p in ports)]
    if key == "laptop":
        ip = ip or "10.9.0.50"
        return [addr(LAPTOP, ip, at), name(LAPTOP, ip, "PC-COMPTA-03", at, "dhcp")]
    if key == "nas":
        ip = ip or "10.9.0.30"
        return [addr(NAS, ip, at), port(ip, 5000, at), name(NAS, ip, "DS920", at)]
    if key == "camera":
        ip = ip or "10.9.0.40"
        return [addr(CAMERA, ip, at), port(ip, 554, at)]
    if key == "iphone":
        ip = ip or "10.9.0.60"
        mac = variant.get("mac", IPHONE_1)
        return [addr(mac, ip, at), name(mac, ip, "iPhone-de-Marie", at)]
    raise KeyError(key)


CATEGORIES = {
    PRINTER: Category.PRINTER,
    SERVER: Category.SERVER,
    LAPTOP: Category.COMPUTER,
    NAS: Category.NAS,
    CAMERA: Category.CAMERA,
    IPHONE_1: Category.PHONE,
    IPHONE_2: Category.PHONE,
}


def snapshot(
    observations: list[Observation],
    previous: list[Device] | None = None,
    categories: dict[str, Category] | None = None,
    at: datetime = T0,
) -> Snapshot:
    """A sealed snapshot of ``observations`` merged the real way; categories by first MAC."""
    table = {**CATEGORIES, **(categories or {})}
    devices = merge(observations, previous)
    for device in devices:
        device.category = next((table[m] for m in device.macs if m in table), Category.UNKNOWN)
    return seal(
        Snapshot(
            tool_version="test",
            started_at=at,
            finished_at=at + timedelta(minutes=5),
            observations=observations,
            devices=devices,
        )
    )


def run(
    keys: list[str], at: datetime = T0, previous: Snapshot | None = None, **variants: Any
) -> Snapshot:
    """A snapshot of these personas; ``variants``: persona key → dict of its changes."""
    observations = [o for key in keys for o in persona(key, at, **variants.get(key, {}))]
    return snapshot(
        observations,
        previous=previous.devices if previous is not None else None,
        categories=variants.get("categories"),
        at=at,
    )

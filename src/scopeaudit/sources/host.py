"""The ``host`` source: the scanning machine's own interfaces and its ARP/neighbour cache.

The scanner is a device on the client network too: its interfaces become ``interface``
observations marked ``scanner: true``. Its neighbour cache (``ip -j neigh``, else
``/proc/net/arp``) gives ``address`` observations (``how: neighbour-cache``) for free, without
sending anything. Capture (psutil, a subprocess, a file) is split from pure parsers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

from scopeaudit.macaddr import normalize_mac
from scopeaudit.models import Observation, ObservationKind, SourceOutcome, utc_now
from scopeaudit.taxonomy import Source

PROC_NET_ARP = Path("/proc/net/arp")
# Neighbour states whose MAC is a recent answer. FAILED and INCOMPLETE have none worth keeping;
# STALE may be hours old (Linux keeps such entries on quiet networks), so it would report a
# device that has left, or a phone's previous random MAC, as present: the sweep re-asks anyway.
_USABLE_STATES = {"REACHABLE", "DELAY", "PROBE", "PERMANENT", "NOARP"}
# /proc/net/arp flag ATF_COM: the entry is complete.
_ATF_COM = 0x2


@dataclass(frozen=True)
class LocalInterface:
    """One interface of this machine with its IPv4 addresses."""

    name: str
    mac: str | None
    ipv4: tuple[IPv4Interface, ...]
    up: bool
    loopback: bool


@dataclass(frozen=True)
class Neighbour:
    """One complete entry of the neighbour cache."""

    ip: str
    mac: str
    device: str
    state: str | None = None


@dataclass
class HostResult:
    """What the host source found, with its outcome and what it dropped as out of scope."""

    observations: list[Observation] = field(default_factory=list)
    outcome: SourceOutcome = field(default_factory=lambda: SourceOutcome(name=Source.HOST, ok=True))
    interfaces: list[LocalInterface] = field(default_factory=list)
    dropped: int = 0


def local_interfaces() -> list[LocalInterface]:
    """This machine's interfaces (psutil), with their MACs and IPv4 addresses."""
    addresses = psutil.net_if_addrs()
    stats = psutil.net_if_stats()
    result: list[LocalInterface] = []
    for name, entries in sorted(addresses.items()):
        mac: str | None = None
        ipv4: list[IPv4Interface] = []
        for entry in entries:
            if entry.family == psutil.AF_LINK and entry.address:
                try:
                    mac = normalize_mac(entry.address)
                except ValueError:
                    mac = None
            elif entry.family.name == "AF_INET" and entry.netmask:
                ipv4.append(IPv4Interface(f"{entry.address}/{entry.netmask}"))
        stat = stats.get(name)
        loopback = name == "lo" or any(i.ip.is_loopback for i in ipv4)
        result.append(
            LocalInterface(
                name=name,
                mac=None if mac == "00:00:00:00:00:00" else mac,
                ipv4=tuple(ipv4),
                up=bool(stat and stat.isup),
                loopback=loopback,
            )
        )
    return result


def parse_proc_net_arp(text: str) -> list[Neighbour]:
    """Complete entries of ``/proc/net/arp``; incomplete ones (flags without ATF_COM) skipped."""
    found: list[Neighbour] = []
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) < 6:
            continue
        ip, _hw_type, flags, mac, _mask, device = parts[:6]
        try:
            complete = int(flags, 16) & _ATF_COM
            IPv4Address(ip)
            mac = normalize_mac(mac)
        except ValueError:
            continue
        if complete and mac != "00:00:00:00:00:00":
            found.append(Neighbour(ip=ip, mac=mac, device=device))
    return found


def parse_ip_neigh_json(text: str) -> list[Neighbour]:
    """IPv4 entries of ``ip -j neigh`` that carry a MAC in a usable state."""
    try:
        entries: Any = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    found: list[Neighbour] = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        states = entry.get("state") or []
        state = states[0] if isinstance(states, list) and states else None
        if state is not None and state not in _USABLE_STATES:
            continue
        try:
            IPv4Address(str(entry.get("dst", "")))
            mac = normalize_mac(str(entry.get("lladdr", "")))
        except ValueError:
            continue
        found.append(
            Neighbour(ip=entry["dst"], mac=mac, device=str(entry.get("dev", "")), state=state)
        )
    return found


def interface_observations(
    interfaces: Iterable[LocalInterface], in_scope: Callable[[str], bool], when: datetime
) -> tuple[list[Observation], int]:
    """``interface`` observations (``scanner: true``) of addresses facing the scope, and how many
    addresses were left out because the scope does not cover them."""
    observations: list[Observation] = []
    skipped = 0
    for iface in interfaces:
        if iface.loopback:
            continue
        for address in iface.ipv4:
            if not in_scope(str(address.ip)):
                skipped += 1
                continue
            observations.append(
                Observation(
                    source=Source.HOST,
                    kind=ObservationKind.INTERFACE,
                    time=when,
                    vantage="host",
                    mac=iface.mac,
                    ip=str(address.ip),
                    data={"name": iface.name, "cidr": str(address.network), "scanner": True},
                )
            )
    return observations, skipped


def neighbour_observations(
    neighbours: Iterable[Neighbour], allowed: Callable[[str], bool], when: datetime
) -> tuple[list[Observation], int]:
    """``address`` observations (``how: neighbour-cache``) of in-scope neighbours; the others are
    dropped and only counted (DESIGN §5)."""
    observations: list[Observation] = []
    dropped = 0
    for entry in neighbours:
        if not allowed(entry.ip):
            dropped += 1
            continue
        observations.append(
            Observation(
                source=Source.HOST,
                kind=ObservationKind.ADDRESS,
                time=when,
                vantage=entry.device or "host",
                mac=entry.mac,
                ip=entry.ip,
                data={"how": "neighbour-cache"},
            )
        )
    return observations, dropped


def read_neighbours() -> tuple[list[Neighbour], str]:
    """The neighbour cache and where it came from (``ip -j neigh`` or ``/proc/net/arp``)."""
    ip = shutil.which("ip")
    if ip:
        try:
            done = subprocess.run(
                [ip, "-4", "-j", "neigh", "show"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            done = None
        if done is not None and done.returncode == 0:
            return parse_ip_neigh_json(done.stdout), "ip -j neigh"
    return parse_proc_net_arp(PROC_NET_ARP.read_text(encoding="ascii", errors="replace")), str(
        PROC_NET_ARP
    )


def collect(
    allowed: Callable[[str], bool],
    in_scope_network: Callable[[str], bool] | None = None,
) -> HostResult:
    """Run the host source: ``allowed(ip)`` says which neighbours may be kept (the scope guard),
    ``in_scope_network(ip)`` which own addresses face the scope (default: ``allowed``)."""
    started = time.monotonic()
    when = utc_now()
    result = HostResult()
    errors: list[str] = []
    try:
        result.interfaces = local_interfaces()
    except (OSError, RuntimeError) as error:
        errors.append(f"interfaces: {error}")
    own, skipped = interface_observations(result.interfaces, in_scope_network or allowed, when)
    neighbours: list[Neighbour] = []
    origin = "none"
    try:
        neighbours, origin = read_neighbours()
    except OSError as error:
        errors.append(f"neighbour cache: {error}")
    cached, dropped = neighbour_observations(neighbours, allowed, when)
    result.observations = own + cached
    result.dropped = dropped
    result.outcome = SourceOutcome(
        name=Source.HOST,
        ok=not errors or bool(result.observations),
        error="; ".join(errors) or None,
        duration_s=round(time.monotonic() - started, 3),
        detail={
            "interfaces": len(own),
            "interfaces_outside_scope": skipped,
            "neighbours": len(cached),
            "neighbours_dropped": dropped,
            "neighbour_source": origin,
        },
    )
    return result

"""The ``passive`` source: a window of listening on the scanner's in-scope segments.

Nothing is sent. Frames are read from a raw packet socket per interface (all multicast accepted),
decoded by the pure decoders of ``frames`` (ARP, DHCP, mDNS, SSDP, LLDP, CDP, NBNS, LLMNR, TTL),
and filtered through the scope before anything is kept: what comes from excluded or out-of-scope
addresses is dropped at capture and only counted (DESIGN §5: personal data the contract does not
cover is not kept). ``filter_in_scope`` is the pure part of that filter.
"""

from __future__ import annotations

import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from ipaddress import IPv4Address

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome
from scopeaudit.scope import Scope
from scopeaudit.sources.frames import FrameError, decode_frame
from scopeaudit.sources.host import LocalInterface, local_interfaces
from scopeaudit.taxonomy import Language, Source

ETH_P_ALL = 0x0003
LINKTYPE_ETHERNET = 1
_SOL_PACKET = 263
_PACKET_ADD_MEMBERSHIP = 1
_PACKET_MR_ALLMULTI = 2
_PACKET_OUTGOING = 4  # sll_pkttype of frames this machine sent itself
_MAX_FRAME = 65_535

# Observations whose ``data`` names an address of the device itself, besides ``ip``.
_ADDRESS_KEYS = ("requested_ip",)

_TEXT: Catalog = {
    "no_privilege": {
        Language.EN: "passive listening needs root or CAP_NET_RAW (raw sockets): run scopeaudit as root; nothing was heard",
        Language.FR: "l'écoute passive nécessite root ou CAP_NET_RAW (sockets bruts) : lancez scopeaudit en root ; rien n'a été écouté",
    },
    "no_interface": {
        Language.EN: "no interface of this machine faces the scope ({networks}): nothing to listen to",
        Language.FR: "aucune interface de cette machine ne fait face au périmètre ({networks}) : rien à écouter",
    },
    "socket_error": {
        Language.EN: "cannot listen on {name}: {error}",
        Language.FR: "impossible d'écouter sur {name} : {error}",
    },
}


@dataclass
class PassiveResult:
    """What the listening window heard, kept and dropped."""

    observations: list[Observation] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(name=Source.PASSIVE, ok=True)
    )
    probe_log: list[ProbeRecord] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)
    frames: int = 0
    malformed: int = 0
    interfaces: list[str] = field(default_factory=list)


def _text(code: str, lang: Language | None, **params: object) -> str:
    return render(_TEXT, code, params, lang or resolve_language())


def _addresses(observation: Observation) -> list[str]:
    found = [observation.ip] if observation.ip else []
    for key in _ADDRESS_KEYS:
        value = observation.data.get(key)
        if isinstance(value, str) and value and value != "0.0.0.0":
            found.append(value)
    return found


def _outside(scope: Scope, address: str) -> str | None:
    """Why ``address`` is not in scope ("excluded" or "out_of_scope"), or None when it is."""
    if scope.allows(address):
        return None
    try:
        value = IPv4Address(address)
    except ValueError:
        return "out_of_scope"
    if any(value in hole for hole in scope.exclude):
        return "excluded"
    return "out_of_scope"


def filter_in_scope(
    observations: Iterable[Observation], scope: Scope
) -> tuple[list[Observation], dict[str, int]]:
    """Keep what belongs to in-scope addresses; count the rest by reason.

    An observation is dropped when one of its addresses is outside the scope, and so is every
    observation of a MAC that was only ever seen with such addresses (its LLDP, its DHCP
    broadcasts from 0.0.0.0): that device is not the contract's business. Observations with no
    address at all from a MAC never seen with an address (LLDP of a switch port) are kept.
    """
    items = list(observations)
    outside_macs: set[str] = set()
    inside_macs: set[str] = set()
    reasons: list[str | None] = []
    for item in items:
        why = next((w for w in (_outside(scope, a) for a in _addresses(item)) if w), None)
        reasons.append(why)
        if item.mac is None or item.kind is ObservationKind.TTL:
            continue
        if why:
            outside_macs.add(item.mac)
        elif item.ip:
            inside_macs.add(item.mac)
    kept: list[Observation] = []
    dropped: dict[str, int] = {}
    for item, why in zip(items, reasons, strict=True):
        if why is None and item.mac in outside_macs and item.mac not in inside_macs:
            why = "excluded_device"
        if why:
            dropped[why] = dropped.get(why, 0) + 1
        else:
            kept.append(item)
    return kept, dropped


def _open(interface: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    try:
        sock.bind((interface, 0))
        index = socket.if_nametoindex(interface)
        # struct packet_mreq { int ifindex; unsigned short type, alen; unsigned char addr[8]; }
        request = struct.pack("iHH8s", index, _PACKET_MR_ALLMULTI, 0, b"")
        sock.setsockopt(_SOL_PACKET, _PACKET_ADD_MEMBERSHIP, request)
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def listening_interfaces(
    scope: Scope, interfaces: Sequence[LocalInterface], only: str | None = None
) -> list[LocalInterface]:
    """The interfaces with an address inside a scope network (where listening makes sense)."""
    chosen: list[LocalInterface] = []
    for interface in interfaces:
        if interface.loopback or not interface.up or interface.mac is None:
            continue
        if only is not None and interface.name != only:
            continue
        if any(
            address.ip in network.cidr or network.cidr.overlaps(address.network)
            for address in interface.ipv4
            for network in scope.networks
        ):
            chosen.append(interface)
    return chosen


def listen(
    scope: Scope,
    seconds: float,
    *,
    interface: str | None = None,
    interfaces: Sequence[LocalInterface] | None = None,
    stop: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
    lang: Language | None = None,
) -> PassiveResult:
    """Listen for ``seconds`` on every interface facing the scope, then decode and filter.

    ``stop`` ends the window early (the scan is interrupted). Never raises for a network
    failure: the outcome says what could not run.
    """
    started = datetime.now(UTC)
    clock = time.monotonic()
    result = PassiveResult()
    chosen = listening_interfaces(
        scope, list(interfaces) if interfaces is not None else local_interfaces(), interface
    )
    if not chosen:
        result.outcome = SourceOutcome(
            name=Source.PASSIVE,
            ok=False,
            error=_text("no_interface", lang, networks=scope.describe_networks()),
        )
        return result
    sockets: dict[socket.socket, str] = {}
    errors: list[str] = []
    try:
        for item in chosen:
            try:
                sockets[_open(item.name)] = item.name
            except PermissionError:
                result.outcome = SourceOutcome(
                    name=Source.PASSIVE,
                    ok=False,
                    error=_text("no_privilege", lang),
                    detail={"missing": "CAP_NET_RAW"},
                )
                return result
            except OSError as error:
                errors.append(_text("socket_error", lang, name=item.name, error=error.strerror))
        result.interfaces = sorted(sockets.values())
        decoded: list[Observation] = []
        deadline = clock + max(0.0, seconds)
        while sockets:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or (stop is not None and stop.is_set()):
                break
            ready, _, _ = select.select(list(sockets), [], [], min(remaining, 0.2))
            for sock in ready:
                while True:
                    try:
                        frame, address = sock.recvfrom(_MAX_FRAME)
                    except BlockingIOError:
                        break
                    if address[2] == _PACKET_OUTGOING:
                        continue
                    result.frames += 1
                    try:
                        decoded.extend(
                            decode_frame(
                                frame,
                                LINKTYPE_ETHERNET,
                                time=datetime.now(UTC),
                                vantage=sockets[sock],
                            )
                        )
                    except FrameError:
                        result.malformed += 1
            if progress is not None:
                progress(result.frames)
    finally:
        for sock in sockets:
            sock.close()
    kept, result.dropped = filter_in_scope(_dedupe(decoded), scope)
    result.observations = kept
    duration = round(time.monotonic() - clock, 3)
    result.probe_log.append(
        ProbeRecord(
            source=Source.PASSIVE,
            action="listen (nothing sent)",
            targets=", ".join(result.interfaces) or "-",
            started_at=started,
            count=0,
            detail=f"{duration} s, {result.frames} frames heard, {result.malformed} malformed",
        )
    )
    result.outcome = SourceOutcome(
        name=Source.PASSIVE,
        ok=not errors or bool(result.interfaces),
        error="; ".join(errors) or None,
        duration_s=duration,
        detail={
            "frames": result.frames,
            "malformed": result.malformed,
            "kept": len(kept),
            "dropped": sum(result.dropped.values()),
        },
    )
    return result


def _dedupe(observations: Iterable[Observation]) -> list[Observation]:
    """Identical facts heard again and again (announcements repeat) are kept once: the first."""
    seen: set[tuple[object, ...]] = set()
    kept: list[Observation] = []
    for item in observations:
        key = (item.kind, item.mac, item.ip, repr(sorted(item.data.items())))
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept

"""Pure decoders of captured frames: discovery protocols in, observations out.

Covers what a passive listener hears on a LAN (fingerprints.md §1): ARP, DHCP (client options
and chaddr), mDNS (PTR/SRV/TXT/A records of answers and probes), SSDP, LLDP (with LLDP-MED),
CDP, NBNS, LLMNR, and the IPv4 TTL of every sender. ERSPAN tunnels are opened; frames inside
are decoded like any other. Link types: Ethernet, raw IP (101, 228, 229), Linux cooked (113,
276), BSD loopback (0).

Everything here is a pure function of (bytes, time, vantage). A frame that cannot be decoded
raises ``FrameError`` inside this module only: ``decode_frames`` counts and skips it.
"""

from __future__ import annotations

import ipaddress
import json
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scopeaudit.macaddr import is_multicast
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources import cap, network_text
from scopeaudit.taxonomy import Source

# pcap link types (tcpdump.org/linktypes.html).
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276
SUPPORTED_LINKTYPES = frozenset(
    {
        LINKTYPE_NULL,
        LINKTYPE_ETHERNET,
        LINKTYPE_RAW,
        LINKTYPE_LINUX_SLL,
        LINKTYPE_IPV4,
        LINKTYPE_IPV6,
        LINKTYPE_LINUX_SLL2,
    }
)

_MAX_TUNNEL_DEPTH = 2
_MAX_NAME_JUMPS = 64

LLDP_CAPABILITIES = (
    "other",
    "repeater",
    "bridge",
    "wlan_ap",
    "router",
    "telephone",
    "docsis",
    "station",
    "cvlan",
    "svlan",
    "tpmr",
)
CDP_CAPABILITIES = (
    "router",
    "trans_bridge",
    "sr_bridge",
    "switch",
    "host",
    "igmp",
    "repeater",
    "phone",
    "remote",
    "cvta",
    "mac_relay",
)
# LLDP-MED inventory TLV subtypes (TIA-1057) → key in the ``med`` dict.
_MED_INVENTORY = {
    5: "hardware",
    6: "firmware",
    7: "software",
    8: "serial",
    9: "manufacturer",
    10: "model",
    11: "asset_id",
}
_MED_CLASSES = {
    1: "endpoint_class_1",
    2: "endpoint_class_2",
    3: "endpoint_class_3",
    4: "network_connectivity",
}
_TIA_OUI = b"\x00\x12\xbb"

_DNS_A, _DNS_PTR, _DNS_TXT, _DNS_SRV = 1, 12, 16, 33
_NB, _NBSTAT = 0x20, 0x21
_NBNS_REGISTRATION_OPCODES = {5: "registration", 8: "registration", 9: "registration"}
# NetBIOS suffixes that name the machine itself (workstation, file server), not a domain.
_NBNS_HOST_SUFFIXES = {0x00, 0x20}


class FrameError(Exception):
    """A frame that cannot be decoded; counted and skipped by ``decode_frames``."""


@dataclass
class DecodeStats:
    """What a batch of frames gave: counts a source outcome or an import result reports."""

    frames: int = 0
    malformed: int = 0
    tunnelled: int = 0
    unsupported_linktype: int = 0
    errors: dict[str, int] = field(default_factory=dict)


@dataclass
class FrameBatch:
    observations: list[Observation] = field(default_factory=list)
    stats: DecodeStats = field(default_factory=DecodeStats)


def decode_frames(
    frames: Iterable[tuple[bytes, datetime]],
    linktype: int,
    *,
    vantage: str,
    source: Source = Source.PASSIVE,
) -> FrameBatch:
    """Decode every frame; identical facts are kept once (the first time they were heard)."""
    batch = FrameBatch()
    seen: set[tuple[str, str | None, str | None, str]] = set()
    for frame, time in frames:
        batch.stats.frames += 1
        if linktype not in SUPPORTED_LINKTYPES:
            batch.stats.unsupported_linktype += 1
            continue
        context = _Context(time=time, vantage=vantage, source=source)
        try:
            observations = _decode(frame, linktype, context)
        except FrameError as error:
            batch.stats.malformed += 1
            reason = str(error)
            batch.stats.errors[reason] = batch.stats.errors.get(reason, 0) + 1
            continue
        batch.stats.tunnelled += context.tunnelled
        for observation in observations:
            key = (
                observation.kind.value,
                observation.mac,
                observation.ip,
                json.dumps(observation.data, sort_keys=True, default=str),
            )
            if key not in seen:
                seen.add(key)
                batch.observations.append(observation)
    return batch


@dataclass
class _Context:
    """Where a frame came from; ``mac``/``ip`` are its sender once the headers are read."""

    time: datetime
    vantage: str
    source: Source
    mac: str | None = None
    ip: str | None = None
    tunnelled: int = 0

    def obs(
        self,
        kind: ObservationKind,
        data: dict[str, Any],
        *,
        mac: str | None = None,
        ip: str | None = None,
        sender: bool = True,
    ) -> Observation:
        """An observation about the sender (default) or about ``mac``/``ip`` given explicitly."""
        return Observation(
            source=self.source,
            kind=kind,
            time=self.time,
            vantage=self.vantage,
            mac=mac if mac is not None or not sender else self.mac,
            ip=ip if ip is not None or not sender else self.ip,
            data=data,
        )


def decode_frame(
    frame: bytes,
    linktype: int,
    *,
    time: datetime,
    vantage: str,
    source: Source = Source.PASSIVE,
) -> list[Observation]:
    """Observations from one captured frame; raises ``FrameError`` when it is malformed."""
    return _decode(frame, linktype, _Context(time=time, vantage=vantage, source=source))


def _decode(frame: bytes, linktype: int, context: _Context) -> list[Observation]:
    try:
        return _decode_link(frame, linktype, context, depth=0)
    except (IndexError, struct.error, ValueError) as error:
        raise FrameError(f"{type(error).__name__}: truncated or inconsistent header") from error


def _decode_link(frame: bytes, linktype: int, ctx: _Context, depth: int) -> list[Observation]:
    if linktype == LINKTYPE_ETHERNET:
        return _ethernet(frame, ctx, depth)
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6):
        return _ip(frame, ctx, depth)
    if linktype == LINKTYPE_LINUX_SLL:
        _need(frame, 16, "Linux cooked header")
        if (
            struct.unpack_from(">H", frame, 2)[0] == 1
            and struct.unpack_from(">H", frame, 4)[0] == 6
        ):
            ctx.mac = _unicast_mac(frame[6:12])
        return _ethertype(struct.unpack_from(">H", frame, 14)[0], frame[16:], ctx, depth)
    if linktype == LINKTYPE_LINUX_SLL2:
        _need(frame, 20, "Linux cooked v2 header")
        if frame[10] == 6:
            ctx.mac = _unicast_mac(frame[12:18])
        return _ethertype(struct.unpack_from(">H", frame, 0)[0], frame[20:], ctx, depth)
    if linktype == LINKTYPE_NULL:
        _need(frame, 4, "loopback header")
        return _ip(frame[4:], ctx, depth)
    return []


def _need(data: bytes, length: int, what: str) -> None:
    if len(data) < length:
        raise FrameError(f"{what} truncated")


def _mac(raw: bytes) -> str:
    if len(raw) != 6:
        raise FrameError("MAC address of the wrong length")
    return ":".join(f"{byte:02x}" for byte in raw)


def _unicast_mac(raw: bytes) -> str | None:
    """A sender MAC worth attributing facts to: not a group address, not all zeros."""
    mac = _mac(raw)
    if is_multicast(mac) or mac == "00:00:00:00:00:00":
        return None
    return mac


def _ipv4(raw: bytes) -> str:
    if len(raw) != 4:
        raise FrameError("IPv4 address of the wrong length")
    return str(ipaddress.IPv4Address(raw))


def _ethernet(frame: bytes, ctx: _Context, depth: int) -> list[Observation]:
    _need(frame, 14, "Ethernet header")
    ctx.mac = _unicast_mac(frame[6:12])
    ethertype = struct.unpack_from(">H", frame, 12)[0]
    offset = 14
    while ethertype in (0x8100, 0x88A8, 0x9100):  # VLAN tags
        _need(frame, offset + 4, "VLAN tag")
        ethertype = struct.unpack_from(">H", frame, offset + 2)[0]
        offset += 4
    if ethertype <= 1500:  # 802.3 length: LLC, where CDP lives behind SNAP
        llc = frame[offset : offset + ethertype]
        if llc[:8] == b"\xaa\xaa\x03\x00\x00\x0c\x20\x00":
            return _cdp(llc[8:], ctx)
        return []
    return _ethertype(ethertype, frame[offset:], ctx, depth)


def _ethertype(ethertype: int, payload: bytes, ctx: _Context, depth: int) -> list[Observation]:
    if ethertype in (0x0800, 0x86DD):
        return _ip(payload, ctx, depth)
    if ethertype == 0x0806:
        return _arp(payload, ctx)
    if ethertype == 0x88CC:
        return _lldp(payload, ctx)
    return []


# ---------------------------------------------------------------------------------------- ARP


def _arp(payload: bytes, ctx: _Context) -> list[Observation]:
    _need(payload, 28, "ARP packet")
    htype, ptype, hlen, plen, op = struct.unpack_from(">HHBBH", payload, 0)
    if (htype, ptype, hlen, plen) != (1, 0x0800, 6, 4) or op not in (1, 2):
        raise FrameError("ARP with unexpected hardware/protocol types or lengths")
    sender_mac = _unicast_mac(payload[8:14])
    sender_ip = _ipv4(payload[14:18])
    target_ip = _ipv4(payload[24:28])
    if sender_mac is None or sender_ip == "0.0.0.0":  # an ARP probe claims no address yet
        return []
    how = "arp-request" if op == 1 else "arp-reply"
    if sender_ip == target_ip:
        how = "gratuitous"
    return [ctx.obs(ObservationKind.ADDRESS, {"how": how}, mac=sender_mac, ip=sender_ip)]


# --------------------------------------------------------------------------------------- IPv4


def _ip(packet: bytes, ctx: _Context, depth: int) -> list[Observation]:
    _need(packet, 1, "IP header")
    version = packet[0] >> 4
    if version == 6:
        return _ipv6(packet, ctx, depth)
    if version != 4:
        raise FrameError("IP version is neither 4 nor 6")
    _need(packet, 20, "IPv4 header")
    header = (packet[0] & 0x0F) * 4
    total = struct.unpack_from(">H", packet, 2)[0]
    if header < 20 or total < header:
        raise FrameError("IPv4 header length inconsistent")
    fragment = struct.unpack_from(">H", packet, 6)[0] & 0x1FFF
    ttl, protocol = packet[8], packet[9]
    ctx.ip = _ipv4(packet[12:16])
    body = packet[header:total]
    out: list[Observation] = []
    if ctx.ip != "0.0.0.0":
        out.append(ctx.obs(ObservationKind.TTL, ttl_data(ttl)))
    if fragment:
        return out
    if protocol == 17:
        out += _udp(body, ctx)
    elif protocol == 47:
        out += _gre(body, ctx, depth)
    return out


def ttl_data(ttl: int) -> dict[str, int]:
    """``ttl``, the usual initial value at or above it, and the hops in between."""
    initial = next(value for value in (32, 64, 128, 255) if value >= ttl)
    return {"ttl": ttl, "initial": initial, "hops": initial - ttl}


def _ipv6(packet: bytes, ctx: _Context, depth: int) -> list[Observation]:
    _need(packet, 40, "IPv6 header")
    ctx.ip = None  # observations carry IPv4 addresses only
    if packet[6] == 17:
        length = struct.unpack_from(">H", packet, 4)[0]
        return _udp(packet[40 : 40 + length], ctx)
    return []


def _gre(body: bytes, ctx: _Context, depth: int) -> list[Observation]:
    """ERSPAN types I/II (0x88BE) and III (0x22EB): decode the mirrored Ethernet frame."""
    _need(body, 4, "GRE header")
    flags, protocol = struct.unpack_from(">HH", body, 0)
    if protocol not in (0x88BE, 0x22EB) or depth >= _MAX_TUNNEL_DEPTH:
        return []
    offset = 4 + 4 * sum(bool(flags & bit) for bit in (0x8000, 0x2000, 0x1000))
    if protocol == 0x88BE and flags & 0x1000:
        offset += 8  # type II header (type I has no sequence number and no header)
    elif protocol == 0x22EB:
        _need(body, offset + 12, "ERSPAN III header")
        offset += 12 + (8 if body[offset + 11] & 0x01 else 0)
    inner = _Context(time=ctx.time, vantage=ctx.vantage, source=ctx.source)
    observations = _ethernet(body[offset:], inner, depth + 1)
    ctx.tunnelled += 1 + inner.tunnelled
    return observations


def _udp(segment: bytes, ctx: _Context) -> list[Observation]:
    _need(segment, 8, "UDP header")
    sport, dport, length = struct.unpack_from(">HHH", segment, 0)
    payload = segment[8:length] if length >= 8 else segment[8:]
    ports = {sport, dport}
    if ports & {67, 68}:
        return _dhcp(payload, ctx)
    if 5353 in ports:
        return _mdns(payload, ctx)
    if dport == 1900 or sport == 1900:
        return _ssdp(payload, ctx)
    if 137 in ports:
        return _nbns(payload, ctx)
    if 5355 in ports:
        return _llmnr(payload, ctx)
    return []


# --------------------------------------------------------------------------------------- DHCP


def _dhcp(payload: bytes, ctx: _Context) -> list[Observation]:
    _need(payload, 240, "BOOTP header")
    if payload[236:240] != b"\x63\x82\x53\x63":
        raise FrameError("DHCP without the magic cookie")
    op, htype, hlen = payload[0], payload[1], payload[2]
    chaddr = _unicast_mac(payload[28:34]) if (htype, hlen) == (1, 6) else None
    ciaddr, yiaddr = _ipv4(payload[12:16]), _ipv4(payload[16:20])
    giaddr = _ipv4(payload[24:28])
    options = _dhcp_options(payload[240:])
    kind = options.get(53, b"")
    message_type = kind[0] if kind else 0
    if op == 2:  # server side: an ACK tells which address a client now holds
        if message_type == 5 and chaddr and yiaddr != "0.0.0.0":
            return [ctx.obs(ObservationKind.ADDRESS, {"how": "lease"}, mac=chaddr, ip=yiaddr)]
        return []
    data: dict[str, Any] = {"message_type": message_type, "options_order": list(options)}
    if 55 in options:
        data["prl"] = list(options[55])
    if 60 in options:
        data["vendor_class"] = network_text(options[60])
    if 12 in options:
        data["hostname"] = network_text(options[12])
    if 61 in options:
        data["client_id"] = options[61].hex()
    if 81 in options and len(options[81]) > 3:
        data["fqdn"] = _dhcp_fqdn(options[81])
    if 50 in options and len(options[50]) == 4:
        data["requested_ip"] = _ipv4(options[50])
    if chaddr is not None:
        data["chaddr"] = chaddr
    # The client itself: chaddr, even when a relay forwarded the frame from its own MAC.
    mac = chaddr if chaddr is not None else ctx.mac
    ip = ciaddr if ciaddr != "0.0.0.0" else None
    if ip is None and giaddr == "0.0.0.0" and ctx.ip not in (None, "0.0.0.0"):
        ip = ctx.ip
    out = [ctx.obs(ObservationKind.DHCP, data, mac=mac, ip=ip, sender=False)]
    if data.get("hostname"):
        out.append(
            ctx.obs(
                ObservationKind.HOSTNAME,
                {"name": data["hostname"], "origin": "dhcp"},
                mac=mac,
                ip=ip,
                sender=False,
            )
        )
    return out


def _dhcp_options(raw: bytes) -> dict[int, bytes]:
    """Options in the order sent (dicts keep insertion order); repeated ones concatenated."""
    options: dict[int, bytes] = {}
    offset = 0
    while offset < len(raw):
        code = raw[offset]
        if code == 255:
            break
        if code == 0:
            offset += 1
            continue
        _need(raw, offset + 2, "DHCP option")
        length = raw[offset + 1]
        value = raw[offset + 2 : offset + 2 + length]
        if len(value) != length:
            raise FrameError("DHCP option runs past the end")
        options[code] = options.get(code, b"") + value
        offset += 2 + length
    return options


def _dhcp_fqdn(value: bytes) -> str:
    """Option 81: flags, two RCODE bytes, then the name in wire or ASCII form (flag E)."""
    flags, name = value[0], value[3:]
    if flags & 0x04:
        labels, _ = _dns_name_labels(name, 0)
        return cap(".".join(labels))
    return network_text(name)


# ---------------------------------------------------------------------- DNS wire (mDNS, LLMNR)


@dataclass
class _Record:
    labels: list[str]
    rtype: int
    rdata: bytes
    offset: int  # where rdata starts in the message, for compressed names inside it

    @property
    def name(self) -> str:
        return ".".join(self.labels)


@dataclass
class _Message:
    flags: int
    questions: list[tuple[list[str], int]]
    answers: list[_Record]
    authority: list[_Record]
    additional: list[_Record]

    @property
    def is_response(self) -> bool:
        return bool(self.flags & 0x8000)


def _dns_name_labels(message: bytes, offset: int) -> tuple[list[str], int]:
    """Labels of the name at ``offset`` (following compression) and the offset after it."""
    labels: list[str] = []
    end = -1
    jumps = 0
    while True:
        _need(message, offset + 1, "DNS name")
        length = message[offset]
        if length == 0:
            offset += 1
            break
        if length & 0xC0 == 0xC0:
            _need(message, offset + 2, "DNS name pointer")
            if end < 0:
                end = offset + 2
            offset = struct.unpack_from(">H", message, offset)[0] & 0x3FFF
            jumps += 1
            if jumps > _MAX_NAME_JUMPS:
                raise FrameError("DNS name pointer loop")
            continue
        if length & 0xC0:
            raise FrameError("DNS label with a reserved type")
        label = message[offset + 1 : offset + 1 + length]
        if len(label) != length:
            raise FrameError("DNS label runs past the end")
        labels.append(network_text(label))
        offset += 1 + length
    return labels, (end if end >= 0 else offset)


def _dns_message(message: bytes) -> _Message:
    _need(message, 12, "DNS header")
    _, flags, qd, an, ns, ar = struct.unpack_from(">HHHHHH", message, 0)
    offset = 12
    questions: list[tuple[list[str], int]] = []
    for _ in range(qd):
        labels, offset = _dns_name_labels(message, offset)
        _need(message, offset + 4, "DNS question")
        questions.append((labels, struct.unpack_from(">H", message, offset)[0]))
        offset += 4
    sections: list[list[_Record]] = [[], [], []]
    for section, count in zip(sections, (an, ns, ar), strict=True):
        for _ in range(count):
            labels, offset = _dns_name_labels(message, offset)
            _need(message, offset + 10, "DNS record")
            rtype, _, _, length = struct.unpack_from(">HHIH", message, offset)
            offset += 10
            rdata = message[offset : offset + length]
            if len(rdata) != length:
                raise FrameError("DNS record data runs past the end")
            section.append(_Record(labels, rtype, rdata, offset))
            offset += length
    return _Message(flags, questions, *sections)


def _txt(rdata: bytes) -> dict[str, str]:
    """TXT strings as a dict; keys as received, the first of duplicates wins (RFC 6763 §6.4)."""
    pairs: dict[str, str] = {}
    offset = 0
    while offset < len(rdata):
        length = rdata[offset]
        item = rdata[offset + 1 : offset + 1 + length]
        offset += 1 + length
        if not item:
            continue
        key, _, value = item.partition(b"=")
        name = network_text(key)
        if name not in pairs:
            pairs[name] = network_text(value)
    return pairs


def _reverse_ipv4(labels: list[str]) -> str | None:
    if len(labels) == 6 and [x.lower() for x in labels[4:]] == ["in-addr", "arpa"]:
        try:
            return str(ipaddress.IPv4Address(".".join(reversed(labels[:4]))))
        except ValueError:
            return None
    return None


def _service_parts(labels: list[str]) -> tuple[str, str] | None:
    """(type, instance) of ``Instance._type._tcp.local``; None for other names."""
    if len(labels) < 4 or labels[-2].lower() not in ("_tcp", "_udp"):
        return None
    if not labels[-3].startswith("_"):
        return None
    return f"{labels[-3]}.{labels[-2]}", ".".join(labels[:-3])


# --------------------------------------------------------------------------------------- mDNS


def _mdns(payload: bytes, ctx: _Context) -> list[Observation]:
    message = _dns_message(payload)
    # A query's answers are the asker's known answers about others, not facts about the asker;
    # its authority section is the asker probing for its own names and services.
    records = message.answers + message.additional if message.is_response else message.authority
    services: dict[tuple[str, str], dict[str, Any]] = {}
    out: list[Observation] = []
    hostnames: dict[str, str | None] = {}

    def service(labels: list[str]) -> dict[str, Any] | None:
        parts = _service_parts(labels)
        if parts is None or not parts[1]:
            return None
        return services.setdefault(
            parts, {"type": parts[0], "instance": parts[1], "host": None, "port": None, "txt": {}}
        )

    for record in records:
        if record.rtype == _DNS_PTR:
            target, _ = _dns_name_labels(payload, record.offset)
            address = _reverse_ipv4(record.labels)
            if address is not None:
                hostnames.setdefault(".".join(target), address)
            else:
                service(target)
        elif record.rtype == _DNS_SRV:
            entry = service(record.labels)
            if entry is not None and len(record.rdata) >= 7:
                entry["port"] = struct.unpack_from(">H", record.rdata, 4)[0]
                host, _ = _dns_name_labels(payload, record.offset + 6)
                entry["host"] = cap(".".join(host))
                hostnames.setdefault(entry["host"], None)
        elif record.rtype == _DNS_TXT:
            entry = service(record.labels)
            if entry is not None:
                entry["txt"] = _txt(record.rdata)
        elif record.rtype == 1 and len(record.rdata) == 4:
            hostnames[record.name] = _ipv4(record.rdata)
    out.extend(ctx.obs(ObservationKind.MDNS_SERVICE, entry) for entry in services.values())
    for name, address in hostnames.items():
        if not name:
            continue
        data = {"name": cap(name), "origin": "mdns"}
        if address is None or address == ctx.ip:
            out.append(ctx.obs(ObservationKind.HOSTNAME, data))
        elif ctx.ip is None:  # sent over IPv6: the responder names its own IPv4 address
            out.append(ctx.obs(ObservationKind.HOSTNAME, data, ip=address))
        else:  # announced on behalf of another address (e.g. a sleep proxy)
            out.append(ctx.obs(ObservationKind.HOSTNAME, data, ip=address, sender=False))
    return out


# -------------------------------------------------------------------------------------- LLMNR


def _llmnr(payload: bytes, ctx: _Context) -> list[Observation]:
    message = _dns_message(payload)
    out: list[Observation] = []
    if not message.is_response:
        for labels, _ in message.questions:
            out.append(
                ctx.obs(ObservationKind.LLMNR, {"name": cap(".".join(labels)), "how": "query"})
            )
        return out
    for record in message.answers:
        if record.rtype != _DNS_A or len(record.rdata) != 4:
            continue
        address = _ipv4(record.rdata)
        mac = ctx.mac if address == ctx.ip else None
        name = cap(record.name)
        for kind, data in (
            (ObservationKind.LLMNR, {"name": name, "how": "answer"}),
            (ObservationKind.HOSTNAME, {"name": name, "origin": "llmnr"}),
        ):
            out.append(ctx.obs(kind, data, mac=mac, ip=address, sender=False))
    return out


# --------------------------------------------------------------------------------------- NBNS


def _nbns_name(labels: list[str]) -> tuple[str, int]:
    """Decode the first-level encoding (RFC 1001 §14.1): 32 letters → 15 chars + suffix.

    NetBIOS names are padded to 15 characters (spaces, or NULs in some stacks): the padding
    is dropped, nothing else.
    """
    if not labels or len(labels[0]) != 32:
        raise FrameError("NetBIOS name not in first-level encoding")
    encoded = labels[0].upper()
    raw = bytes(((ord(encoded[i]) - 65) << 4) | (ord(encoded[i + 1]) - 65) for i in range(0, 32, 2))
    return network_text(raw[:15]).rstrip(" \x00"), raw[15]


def _nbns(payload: bytes, ctx: _Context) -> list[Observation]:
    message = _dns_message(payload)
    opcode = (message.flags >> 11) & 0x0F
    rcode = message.flags & 0x0F
    names: list[dict[str, Any]] = []
    data: dict[str, Any]
    ip = ctx.ip
    if not message.is_response:
        if opcode in _NBNS_REGISTRATION_OPCODES:
            how = "registration"
            for record in message.additional:
                if record.rtype == _NB and len(record.rdata) >= 6:
                    group = bool(struct.unpack_from(">H", record.rdata, 0)[0] & 0x8000)
                    name, suffix = _nbns_name(record.labels)
                    names.append({"name": name, "suffix": suffix, "group": group})
                    ip = _ipv4(record.rdata[2:6])
        elif opcode == 0:
            how = "query"
            for labels, qtype in message.questions:
                if qtype == _NB:
                    name, suffix = _nbns_name(labels)
                    names.append({"name": name, "suffix": suffix, "group": False})
        else:
            return []
        data = {"names": names, "how": how}
    elif opcode == 0 and rcode == 0 and message.answers:
        record = message.answers[0]
        if record.rtype == _NBSTAT:
            data = _node_status(record.rdata)
            names = data["names"]
        elif record.rtype == _NB and len(record.rdata) >= 6:
            name, suffix = _nbns_name(record.labels)
            group = bool(struct.unpack_from(">H", record.rdata, 0)[0] & 0x8000)
            names = [{"name": name, "suffix": suffix, "group": group}]
            ip = _ipv4(record.rdata[2:6])
            data = {"names": names, "how": "answer"}
        else:
            return []
    else:
        return []
    if not names:
        return []
    mac = ctx.mac if ip == ctx.ip else None
    out = [ctx.obs(ObservationKind.NBNS, data, mac=mac, ip=ip, sender=False)]
    if data["how"] != "query":
        out.extend(
            ctx.obs(
                ObservationKind.HOSTNAME,
                {"name": entry["name"], "origin": "nbns"},
                mac=mac,
                ip=ip,
                sender=False,
            )
            for entry in names
            if not entry["group"] and entry["suffix"] in _NBNS_HOST_SUFFIXES and entry["name"]
        )
    return out


def _node_status(rdata: bytes) -> dict[str, Any]:
    """NBSTAT answer: the name table, then the unit id (the MAC; Samba sends zeros)."""
    _need(rdata, 1, "NBSTAT answer")
    count = rdata[0]
    _need(rdata, 1 + 18 * count, "NBSTAT name table")
    names = []
    for index in range(count):
        entry = rdata[1 + 18 * index : 19 + 18 * index]
        flags = struct.unpack_from(">H", entry, 16)[0]
        names.append(
            {
                "name": network_text(entry[:15]).rstrip(" \x00"),
                "suffix": entry[15],
                "group": bool(flags & 0x8000),
            }
        )
    data: dict[str, Any] = {"names": names, "how": "node-status"}
    unit = rdata[1 + 18 * count : 7 + 18 * count]
    if len(unit) == 6:
        unit_id = _unicast_mac(unit)
        if unit_id is not None:
            data["unit_id"] = unit_id
    return data


# --------------------------------------------------------------------------------------- SSDP


def _ssdp(payload: bytes, ctx: _Context) -> list[Observation]:
    # Decoded whole (a UDP payload is at most 64 KiB), then capped header by header.
    text = payload.decode("utf-8", errors="replace")
    lines = text.split("\r\n") if "\r\n" in text else text.split("\n")
    start = lines[0].strip().upper()
    if start.startswith("NOTIFY"):
        method, target = "notify", "nt"
    elif start.startswith("HTTP/"):
        method, target = "response", "st"
    elif start.startswith("M-SEARCH"):
        method, target = "m-search", "st"
    else:
        raise FrameError("SSDP message with an unknown start line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep and name.strip():
            headers.setdefault(cap(name.strip().lower()), cap(value.strip()))
    data: dict[str, Any] = {"method": method}
    wanted = {"server": "server", "location": "location", target: target, "usn": "usn"}
    wanted["user-agent"] = "user_agent"
    for header, key in wanted.items():
        if header in headers:
            data[key] = headers[header]
    if method == "m-search" and "user_agent" not in data:
        return []  # a bare search tells nothing about the searcher
    return [ctx.obs(ObservationKind.SSDP, data)]


# --------------------------------------------------------------------------------------- LLDP


def _lldp(payload: bytes, ctx: _Context) -> list[Observation]:
    data: dict[str, Any] = {}
    management: list[str] = []
    med: dict[str, Any] = {}
    offset = 0
    while offset + 2 <= len(payload):
        header = struct.unpack_from(">H", payload, offset)[0]
        kind, length = header >> 9, header & 0x01FF
        value = payload[offset + 2 : offset + 2 + length]
        if len(value) != length:
            raise FrameError("LLDP TLV runs past the end")
        offset += 2 + length
        if kind == 0:
            break
        if kind in (1, 2) and value:
            key = "chassis_id" if kind == 1 else "port_id"
            subtype = value[0]
            is_mac = (kind == 1 and subtype == 4) or (kind == 2 and subtype == 3)
            if is_mac and len(value) == 7:
                data[key] = _mac(value[1:])
            elif kind == 1 and subtype == 5 and len(value) == 6 and value[1] == 1:
                data[key] = _ipv4(value[2:6])
            else:
                data[key] = network_text(value[1:])
        elif kind in (4, 5, 6):
            key = {4: "port_description", 5: "system_name", 6: "system_description"}[kind]
            data[key] = network_text(value)
        elif kind == 7 and len(value) >= 4:
            available, enabled = struct.unpack_from(">HH", value, 0)
            data["caps_available"] = _bits(available, LLDP_CAPABILITIES)
            data["caps_enabled"] = _bits(enabled, LLDP_CAPABILITIES)
        elif kind == 8 and len(value) >= 2:
            address_length = value[0]
            address = value[1 : 1 + address_length]
            if address_length == 5 and address[0] == 1:
                management.append(_ipv4(address[1:5]))
            elif address_length == 7 and address[0] == 6:
                management.append(_mac(address[1:7]))
        elif kind == 127 and len(value) >= 4 and value[:3] == _TIA_OUI:
            _lldp_med(value[3], value[4:], med)
    if not data and not med:
        return []  # only TLVs that say nothing about the sender (e.g. link aggregation)
    data["management_addresses"] = management
    if med:
        data["med"] = med
    ip = next((a for a in management if "." in a and a != "0.0.0.0"), None)
    return [ctx.obs(ObservationKind.LLDP, data, ip=ip, mac=ctx.mac, sender=False)]


def _lldp_med(subtype: int, value: bytes, med: dict[str, Any]) -> None:
    if subtype == 1 and len(value) >= 3:
        device_class = value[2]
        med["device_class"] = device_class
        med["device_class_name"] = _MED_CLASSES.get(device_class, "undefined")
    elif subtype in _MED_INVENTORY:
        med[_MED_INVENTORY[subtype]] = network_text(value)


def _bits(value: int, names: tuple[str, ...]) -> list[str]:
    return [name for bit, name in enumerate(names) if value & (1 << bit)]


# ---------------------------------------------------------------------------------------- CDP


def _cdp(payload: bytes, ctx: _Context) -> list[Observation]:
    _need(payload, 4, "CDP header")
    data: dict[str, Any] = {}
    addresses: list[str] = []
    offset = 4
    while offset + 4 <= len(payload):
        kind, length = struct.unpack_from(">HH", payload, offset)
        if length < 4:
            raise FrameError("CDP TLV shorter than its header")
        value = payload[offset + 4 : offset + length]
        if len(value) != length - 4:
            raise FrameError("CDP TLV runs past the end")
        offset += length
        if kind == 0x01:
            data["device_id"] = network_text(value)
        elif kind in (0x02, 0x16):  # addresses, management addresses
            addresses += _cdp_addresses(value)
        elif kind == 0x03:
            data["port_id"] = network_text(value)
        elif kind == 0x04 and len(value) == 4:
            data["capabilities"] = _bits(struct.unpack(">I", value)[0], CDP_CAPABILITIES)
        elif kind == 0x05:
            data["software"] = network_text(value)
        elif kind == 0x06:
            data["platform"] = network_text(value)
    if not data:
        raise FrameError("CDP frame without any TLV")
    data["addresses"] = list(dict.fromkeys(addresses))
    ip = next((address for address in addresses if address != "0.0.0.0"), None)
    return [ctx.obs(ObservationKind.CDP, data, ip=ip, mac=ctx.mac, sender=False)]


def _cdp_addresses(value: bytes) -> list[str]:
    _need(value, 4, "CDP address list")
    count = struct.unpack_from(">I", value, 0)[0]
    offset = 4
    found: list[str] = []
    for _ in range(min(count, 64)):
        _need(value, offset + 2, "CDP address")
        protocol_length = value[offset + 1]
        protocol = value[offset + 2 : offset + 2 + protocol_length]
        offset += 2 + protocol_length
        _need(value, offset + 2, "CDP address length")
        length = struct.unpack_from(">H", value, offset)[0]
        address = value[offset + 2 : offset + 2 + length]
        offset += 2 + length
        if protocol == b"\xcc" and len(address) == 4:  # NLPID 0xCC: IPv4
            found.append(_ipv4(address))
    return found

"""Pure builders and parsers of the frames and datagrams a persona emits.

No sockets here and no scapy (it costs a second of start-up per persona): everything is built
with ``struct`` so twenty personas start together quickly. The tests decode what these functions
build with scapy and check every field.
"""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterable, Sequence

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"
LLDP_MULTICAST = "01:80:c2:00:00:0e"
CDP_MULTICAST = "01:00:0c:cc:cc:cc"
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
ETH_P_LLDP = 0x88CC

# LLDP system capability bits (IEEE 802.1AB, the order scapy's contrib.lldp uses too).
LLDP_CAPS: dict[str, int] = {
    "other": 0x01,
    "repeater": 0x02,
    "bridge": 0x04,
    "wlan_ap": 0x08,
    "router": 0x10,
    "telephone": 0x20,
    "docsis": 0x40,
    "station": 0x80,
}
# CDP capability bits; 0x80 (VoIP phone) is a Cisco extension scapy does not name.
CDP_CAPS: dict[str, int] = {
    "router": 0x01,
    "bridge": 0x02,
    "srb": 0x04,
    "switch": 0x08,
    "host": 0x10,
    "igmp": 0x20,
    "repeater": 0x40,
    "phone": 0x80,
}


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def http_date(now: float | None = None) -> str:
    """RFC 7231 IMF-fixdate (``Tue, 14 Nov 2023 22:13:20 GMT``), locale-independent.

    Written out rather than imported from ``email.utils``: the email package costs start-up time.
    """
    t = time.gmtime(now)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", "").replace("-", ""))


def ip_bytes(ip: str) -> bytes:
    return socket.inet_aton(ip)


def inet_checksum(data: bytes) -> int:
    """The one's complement sum of RFC 1071 used by IPv4, UDP and CDP."""
    if len(data) % 2:
        data += b"\x00"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(dst: str, src: str, ethertype: int, payload: bytes) -> bytes:
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload


def ipv4_udp(
    src_ip: str, dst_ip: str, sport: int, dport: int, payload: bytes, ttl: int = 64
) -> bytes:
    """An IPv4 packet carrying one UDP datagram, both checksums computed."""
    udp_len = 8 + len(payload)
    pseudo = ip_bytes(src_ip) + ip_bytes(dst_ip) + struct.pack("!BBH", 0, 17, udp_len)
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    udp_sum = inet_checksum(pseudo + udp) or 0xFFFF  # 0 means "no checksum" in UDP
    udp = udp[:6] + struct.pack("!H", udp_sum) + udp[8:]
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45,
        0,
        20 + udp_len,
        0,
        0,
        ttl,
        17,
        0,
        ip_bytes(src_ip),
        ip_bytes(dst_ip),
    )
    header = header[:10] + struct.pack("!H", inet_checksum(header)) + header[12:]
    return header + udp


# --- DHCP ---------------------------------------------------------------------------------

DHCP_DISCOVER = 1
DHCP_REQUEST = 3
DHCP_MESSAGE_TYPES = {"discover": DHCP_DISCOVER, "request": DHCP_REQUEST}
DHCP_MAGIC = b"\x63\x82\x53\x63"


def dhcp_options(
    message: str,
    order: Sequence[int],
    mac: str,
    *,
    hostname: str | None = None,
    vendor_class: str | None = None,
    prl: Sequence[int] = (),
    fqdn: str | None = None,
    user_class: str | None = None,
    max_size: int | None = None,
    lease_time: int | None = None,
    requested_ip: str | None = None,
    server_id: str | None = None,
) -> list[tuple[int, bytes]]:
    """The options of one DHCP message, in ``order``.

    Options 50 (requested address) and 54 (server identifier) belong to a REQUEST only; an option
    listed in ``order`` without a value is left out (a DISCOVER has no server to name).
    """
    values: dict[int, bytes | None] = {
        53: bytes([DHCP_MESSAGE_TYPES[message]]),
        61: b"\x01" + mac_bytes(mac),
        12: hostname.encode("utf-8", "surrogateescape") if hostname else None,
        60: vendor_class.encode("utf-8", "surrogateescape") if vendor_class else None,
        55: bytes(prl) if prl else None,
        # Client FQDN (RFC 4702): flags 0 as Windows sends them, both RCODEs 0, name in ASCII.
        81: b"\x00\x00\x00" + fqdn.encode("ascii") if fqdn else None,
        77: user_class.encode("utf-8", "surrogateescape") if user_class else None,
        57: struct.pack("!H", max_size) if max_size else None,
        51: struct.pack("!I", lease_time) if lease_time else None,
        50: ip_bytes(requested_ip) if requested_ip and message == "request" else None,
        54: ip_bytes(server_id) if server_id and message == "request" else None,
    }
    options: list[tuple[int, bytes]] = []
    for code in order:
        value = values.get(code)
        if value is not None:
            options.append((code, value))
    return options


def dhcp_payload(
    mac: str, xid: int, options: Iterable[tuple[int, bytes]], secs: int = 0, broadcast: bool = False
) -> bytes:
    """A BOOTREQUEST from ``mac`` carrying ``options``, padded to BOOTP's 300-byte minimum."""
    fixed = struct.pack(
        "!BBBBIHH4s4s4s4s16s64s128s",
        1,  # BOOTREQUEST
        1,  # Ethernet
        6,
        0,
        xid,
        secs,
        0x8000 if broadcast else 0,
        b"\x00" * 4,
        b"\x00" * 4,
        b"\x00" * 4,
        b"\x00" * 4,
        mac_bytes(mac) + b"\x00" * 10,
        b"\x00" * 64,
        b"\x00" * 128,
    )
    body = DHCP_MAGIC
    for code, value in options:
        body += bytes([code, len(value)]) + value
    body += b"\xff"
    packet = fixed + body
    return packet + b"\x00" * max(0, 300 - len(packet))


def dhcp_frame(mac: str, payload: bytes, ttl: int = 64) -> bytes:
    """DHCP client broadcast: 0.0.0.0:68 to 255.255.255.255:67 from ``mac``."""
    ip = ipv4_udp("0.0.0.0", "255.255.255.255", 68, 67, payload, ttl=ttl)
    return ethernet(BROADCAST_MAC, mac, ETH_P_IP, ip)


# --- LLDP ---------------------------------------------------------------------------------


def _lldp_tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!H", (kind << 9) | len(value)) + value


def lldp_caps(names: Iterable[str]) -> int:
    bits = 0
    for name in names:
        bits |= LLDP_CAPS[name]
    return bits


def lldp_frame(
    mac: str,
    *,
    port_id: str,
    system_name: str,
    system_description: str,
    caps_available: Iterable[str],
    caps_enabled: Iterable[str],
    port_description: str | None = None,
    mgmt_ip: str | None = None,
    if_index: int = 1,
    ttl: int = 120,
    med: dict[str, object] | None = None,
) -> bytes:
    """An LLDPDU to the nearest-bridge group address, chassis = ``mac``.

    ``med`` (LLDP-MED, TIA OUI 00:12:BB) takes ``device_class`` (int), ``voice_vlan`` (int or None)
    and inventory strings ``hardware``, ``firmware``, ``software``, ``serial``,
    ``manufacturer``, ``model``.
    """

    def text(value: str) -> bytes:
        return value.encode("utf-8", "surrogateescape")

    tlvs = [
        _lldp_tlv(1, b"\x04" + mac_bytes(mac)),  # chassis id, subtype 4 = MAC address
        _lldp_tlv(2, b"\x05" + text(port_id)),  # port id, subtype 5 = interface name
        _lldp_tlv(3, struct.pack("!H", ttl)),
    ]
    if port_description:
        tlvs.append(_lldp_tlv(4, text(port_description)))
    tlvs.append(_lldp_tlv(5, text(system_name)))
    tlvs.append(_lldp_tlv(6, text(system_description)))
    tlvs.append(
        _lldp_tlv(7, struct.pack("!HH", lldp_caps(caps_available), lldp_caps(caps_enabled)))
    )
    if mgmt_ip:
        # address string length (subtype + 4), subtype 1 = IPv4, ifIndex numbering, no OID
        tlvs.append(
            _lldp_tlv(
                8, b"\x05\x01" + ip_bytes(mgmt_ip) + b"\x02" + struct.pack("!I", if_index) + b"\x00"
            )
        )
    if med is not None:
        tlvs.extend(_lldp_med_tlvs(med))
    tlvs.append(b"\x00\x00")
    return ethernet(LLDP_MULTICAST, mac, ETH_P_LLDP, b"".join(tlvs))


_TIA_OUI = b"\x00\x12\xbb"
_MED_INVENTORY = {
    "hardware": 5,
    "firmware": 6,
    "software": 7,
    "serial": 8,
    "manufacturer": 9,
    "model": 10,
}


def _lldp_med_tlvs(med: dict[str, object]) -> list[bytes]:
    device_class = int(str(med.get("device_class", 3)))
    voice_vlan = med.get("voice_vlan")
    inventory = {k: str(v) for k, v in med.items() if k in _MED_INVENTORY and v is not None}
    # capabilities: bit0 LLDP-MED caps, bit1 network policy, bit5 inventory
    caps = 0x01 | (0x02 if voice_vlan is not None else 0) | (0x20 if inventory else 0)
    tlvs = [_lldp_tlv(127, _TIA_OUI + b"\x01" + struct.pack("!HB", caps, device_class))]
    if voice_vlan is not None:
        # application 1 = voice; U=0 (policy known), T=1 (tagged), X=0; priority 5, DSCP 46 (EF)
        vlan = int(str(voice_vlan)) & 0x0FFF
        policy = (1 << 24) | (1 << 22) | (vlan << 9) | (5 << 6) | 46
        tlvs.append(_lldp_tlv(127, _TIA_OUI + b"\x02" + struct.pack("!I", policy)))
    for key, subtype in _MED_INVENTORY.items():
        if key in inventory:
            tlvs.append(_lldp_tlv(127, _TIA_OUI + bytes([subtype]) + inventory[key].encode()))
    return tlvs


# --- CDP ----------------------------------------------------------------------------------


def _cdp_tlv(kind: int, value: bytes) -> bytes:
    return struct.pack("!HH", kind, 4 + len(value)) + value


def _cdp_checksum(data: bytes) -> int:
    # Cisco's odd-length rule (also what scapy's contrib.cdp checks): the last byte is sign-extended.
    if len(data) % 2:
        last = data[-1]
        data = data[:-1] + (bytes([0, last]) if last <= 0x80 else bytes([0xFF, last - 1]))
    return inet_checksum(data)


def cdp_frame(
    mac: str,
    *,
    device_id: str,
    port_id: str,
    platform: str,
    software: str,
    capabilities: Iterable[str],
    address: str | None = None,
    native_vlan: int | None = None,
    ttl: int = 180,
) -> bytes:
    """A CDPv2 frame: 802.3 length, LLC/SNAP (Cisco OUI, PID 0x2000), TLVs, checksum."""
    caps = 0
    for name in capabilities:
        caps |= CDP_CAPS[name]
    tlvs = [_cdp_tlv(0x0001, device_id.encode("utf-8", "surrogateescape"))]
    if address:
        # one address: protocol type 1 (NLPID), length 1, protocol 0xCC (IP), 4-byte address
        tlvs.append(_cdp_tlv(0x0002, struct.pack("!IBBBH", 1, 1, 1, 0xCC, 4) + ip_bytes(address)))
    tlvs.append(_cdp_tlv(0x0003, port_id.encode()))
    tlvs.append(_cdp_tlv(0x0004, struct.pack("!I", caps)))
    tlvs.append(_cdp_tlv(0x0005, software.encode("utf-8", "surrogateescape")))
    tlvs.append(_cdp_tlv(0x0006, platform.encode("utf-8", "surrogateescape")))
    if native_vlan is not None:
        tlvs.append(_cdp_tlv(0x000A, struct.pack("!H", native_vlan)))
    tlvs.append(_cdp_tlv(0x000B, b"\x01"))  # full duplex
    body = struct.pack("!BBH", 2, ttl, 0) + b"".join(tlvs)
    body = body[:2] + struct.pack("!H", _cdp_checksum(body)) + body[4:]
    llc_snap = b"\xaa\xaa\x03" + b"\x00\x00\x0c" + b"\x20\x00"
    payload = llc_snap + body
    return mac_bytes(CDP_MULTICAST) + mac_bytes(mac) + struct.pack("!H", len(payload)) + payload


# --- NetBIOS name service ------------------------------------------------------------------

NB_TYPE = 0x0020
NBSTAT_TYPE = 0x0021


def netbios_encode(name: str, suffix: int) -> bytes:
    """First-level encoding (RFC 1001 §14.1) as one 32-byte label, null-terminated."""
    raw = name.upper().encode("ascii", "replace")[:15].ljust(15, b" ") + bytes([suffix])
    if name == "*":
        raw = b"*" + b"\x00" * 15
    half = bytes(c for b in raw for c in (0x41 + (b >> 4), 0x41 + (b & 0x0F)))
    return b"\x20" + half + b"\x00"


def netbios_decode(label: bytes) -> tuple[str, int]:
    """The inverse of ``netbios_encode`` for a 32-byte half-ASCII label (no length byte)."""
    raw = bytes(((label[i] - 0x41) << 4) | (label[i + 1] - 0x41) for i in range(0, 32, 2))
    return raw[:15].decode("ascii", "replace").rstrip(" \x00"), raw[15]


def nbns_registration(trn_id: int, name: str, suffix: int, group: bool, ip: str) -> bytes:
    """A broadcast NAME REGISTRATION REQUEST (opcode 5, RD, B flag) with one NB record."""
    header = struct.pack("!HHHHHH", trn_id, 0x2910, 1, 0, 0, 1)
    question = netbios_encode(name, suffix) + struct.pack("!HH", NB_TYPE, 1)
    nb_flags = 0x8000 if group else 0x0000
    record = b"\xc0\x0c" + struct.pack("!HHIHH", NB_TYPE, 1, 300000, 6, nb_flags) + ip_bytes(ip)
    return header + question + record


def parse_nbns_query(data: bytes) -> tuple[int, str, int, int] | None:
    """``(trn_id, name, suffix, qtype)`` of a name or node-status query, else None."""
    if len(data) < 12 + 34 + 4:
        return None
    trn_id, flags, qdcount = struct.unpack("!HHH", data[:6])
    if flags & 0x8000 or (flags >> 11) & 0x0F != 0 or qdcount < 1 or data[12] != 0x20:
        return None
    name, suffix = netbios_decode(data[13:45])
    (qtype,) = struct.unpack("!H", data[46:48])
    if qtype not in (NB_TYPE, NBSTAT_TYPE):
        return None
    return trn_id, name, suffix, qtype


def nbns_name_response(trn_id: int, name: str, suffix: int, group: bool, ip: str) -> bytes:
    """A positive NAME QUERY RESPONSE (authoritative) carrying one address."""
    header = struct.pack("!HHHHHH", trn_id, 0x8500, 0, 1, 0, 0)
    nb_flags = 0x8000 if group else 0x0000
    answer = netbios_encode(name, suffix) + struct.pack("!HHIHH", NB_TYPE, 1, 300000, 6, nb_flags)
    return header + answer + ip_bytes(ip)


def nbns_node_status_response(
    trn_id: int, names: Sequence[tuple[str, int, bool]], mac: str
) -> bytes:
    """A NODE STATUS RESPONSE listing ``names`` (name, suffix, group) and the unit id ``mac``."""
    header = struct.pack("!HHHHHH", trn_id, 0x8400, 0, 1, 0, 0)
    table = bytes([len(names)])
    for name, suffix, group in names:
        raw = name.upper().encode("ascii", "replace")[:15].ljust(15, b" ") + bytes([suffix])
        table += raw + struct.pack("!H", 0x0400 | (0x8000 if group else 0))  # ACTIVE
    table += mac_bytes(mac) + b"\x00" * 40  # statistics: unit id then zeroed counters
    answer = netbios_encode("*", 0) + struct.pack("!HHIH", NBSTAT_TYPE, 1, 0, len(table))
    return header + answer + table


# --- DNS-shaped queries (LLMNR, mDNS) ------------------------------------------------------

DNS_A = 1
DNS_PTR = 12


def dns_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        raw = label.encode("utf-8", "surrogateescape")
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


def dns_query(txid: int, questions: Sequence[tuple[str, int]]) -> bytes:
    """A standard query (no flags) for ``questions`` = ``[(name, qtype), ...]``, class IN."""
    body = b"".join(dns_name(name) + struct.pack("!HH", qtype, 1) for name, qtype in questions)
    return struct.pack("!HHHHHH", txid, 0, len(questions), 0, 0, 0) + body


def _read_name(data: bytes, offset: int, depth: int = 0) -> tuple[str, int]:
    """A (possibly compressed) DNS name at ``offset``: ``(name, offset after it)``."""
    labels: list[str] = []
    while True:
        length = data[offset]
        if (length & 0xC0) == 0xC0:  # compression pointer: the rest of the name is elsewhere
            if depth > 10:
                raise ValueError("DNS name pointer loop")
            pointer = struct.unpack("!H", data[offset : offset + 2])[0] & 0x3FFF
            rest, _ = _read_name(data, pointer, depth + 1)
            return ".".join([*labels, rest]) if labels else rest, offset + 2
        offset += 1
        if length == 0:
            return ".".join(labels), offset
        labels.append(data[offset : offset + length].decode("utf-8", "surrogateescape"))
        offset += length


def dns_questions(data: bytes) -> list[tuple[str, int]]:
    """``[(name, qtype), ...]`` of a DNS/mDNS query; empty for a response or a malformed packet."""
    try:
        _, flags, qdcount = struct.unpack("!HHH", data[:6])
        if flags & 0x8000:
            return []
        questions, offset = [], 12
        for _ in range(qdcount):
            name, offset = _read_name(data, offset)
            (qtype,) = struct.unpack("!H", data[offset : offset + 2])
            questions.append((name, qtype))
            offset += 4
        return questions
    except (IndexError, struct.error, ValueError):
        return []


def mdns_host_announcement(hostname: str, ip: str, ttl: int = 120) -> bytes:
    """An unsolicited mDNS response: ``<hostname>.local`` A ``ip`` with the cache-flush bit."""
    header = struct.pack("!HHHHHH", 0, 0x8400, 0, 1, 0, 0)
    record = dns_name(f"{hostname}.local") + struct.pack("!HHIH", DNS_A, 0x8001, ttl, 4)
    return header + record + ip_bytes(ip)


def _record(name: bytes, rtype: int, rclass: int, ttl: int, rdata: bytes) -> bytes:
    return name + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def _dns_labels(labels: Sequence[bytes]) -> bytes:
    return b"".join(bytes([len(label)]) + label for label in labels) + b"\x00"


def mdns_service_announcement(
    instance: bytes,
    service_type: str,
    hostname: str,
    port: int,
    txt: bytes,
    ip: str,
    ttl: int = 120,
) -> bytes:
    """An unsolicited mDNS response announcing one service: PTR, SRV, TXT and A records.

    ``instance`` is raw bytes (at most 63): it may hold what python-zeroconf refuses to publish
    (control characters, NUL, invalid UTF-8), which is the point for the hostile persona.
    """
    kind = [label.encode() for label in f"{service_type}.local".split(".")]
    full = _dns_labels([instance[:63], *kind])
    host = dns_name(f"{hostname}.local")
    srv = struct.pack("!HHH", 0, 0, port) + host
    records = [
        _record(_dns_labels(kind), DNS_PTR, 1, 4500, full),
        _record(full, 33, 0x8001, ttl, srv),
        _record(full, 16, 0x8001, 4500, txt or b"\x00"),
        _record(host, DNS_A, 0x8001, ttl, ip_bytes(ip)),
    ]
    return struct.pack("!HHHHHH", 0, 0x8400, 0, len(records), 0, 0) + b"".join(records)


# --- SSDP ---------------------------------------------------------------------------------

SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900


def ssdp_usn(uuid: str, nt: str) -> str:
    return uuid if nt == uuid else f"{uuid}::{nt}"


def ssdp_notify(location: str, nt: str, uuid: str, server: str, max_age: int = 1800) -> bytes:
    lines = [
        "NOTIFY * HTTP/1.1",
        f"HOST: {SSDP_GROUP}:{SSDP_PORT}",
        f"CACHE-CONTROL: max-age={max_age}",
        f"LOCATION: {location}",
        f"NT: {nt}",
        "NTS: ssdp:alive",
        f"SERVER: {server}",
        f"USN: {ssdp_usn(uuid, nt)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


def parse_msearch(data: bytes) -> str | None:
    """The ST of an ``M-SEARCH * HTTP/1.1`` request, else None."""
    text = data.decode("latin-1")
    if not text.startswith("M-SEARCH "):
        return None
    for line in text.split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.strip().upper() == "ST":
            return value.strip()
    return None


def ssdp_matches(st: str, uuid: str, types: Sequence[str]) -> list[str]:
    """The notification types that answer a search target ``st`` (``ssdp:all``: every one)."""
    known = [*types, uuid] if uuid not in types else list(types)
    if st == "ssdp:all":
        return known
    return [nt for nt in known if nt == st]


def ssdp_response(
    location: str, st: str, uuid: str, server: str, max_age: int = 1800, now: float | None = None
) -> bytes:
    lines = [
        "HTTP/1.1 200 OK",
        f"CACHE-CONTROL: max-age={max_age}",
        f"DATE: {http_date(now)}",
        "EXT:",
        f"LOCATION: {location}",
        f"SERVER: {server}",
        f"ST: {st}",
        f"USN: {ssdp_usn(uuid, st)}",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")


# --- SIP ----------------------------------------------------------------------------------


def sip_response(request: bytes, user_agent: str, contact_ip: str) -> bytes | None:
    """``SIP/2.0 200 OK`` to an OPTIONS request (dialog headers copied), None for anything else."""
    text = request.decode("utf-8", "replace")
    head, _, _ = text.partition("\r\n\r\n")
    lines = head.split("\r\n")
    if not lines or not lines[0].startswith("OPTIONS ") or not lines[0].endswith("SIP/2.0"):
        return None
    copied: list[str] = []
    for line in lines[1:]:
        key = line.partition(":")[0].strip().lower()
        if key in ("via", "v", "from", "f", "call-id", "i", "cseq"):
            copied.append(line)
        elif key in ("to", "t"):
            copied.append(line if ";tag=" in line else line + ";tag=lab0001")
    reply = [
        "SIP/2.0 200 OK",
        *copied,
        f"Contact: <sip:{contact_ip}:5060>",
        f"User-Agent: {user_agent}",
        "Allow: INVITE, INFO, PRACK, ACK, BYE, CANCEL, OPTIONS, NOTIFY, REGISTER, SUBSCRIBE, REFER, PUBLISH, UPDATE, MESSAGE",
        "Accept: application/sdp",
        "Content-Length: 0",
    ]
    return ("\r\n".join(reply) + "\r\n\r\n").encode("utf-8", "surrogateescape")


# --- Ubiquiti discovery (UDP 10001) ---------------------------------------------------------


def ubnt_discovery_reply(
    mac: str, ip: str, *, firmware: str, hostname: str, product: str, essid: str, uptime: int = 0
) -> bytes:
    """A version-1 discovery reply, TLVs laid out as nmap's ubiquiti-discovery.nse parses them."""

    def tlv(kind: int, value: bytes) -> bytes:
        return struct.pack("!BH", kind, len(value)) + value

    body = b"".join(
        [
            tlv(0x02, mac_bytes(mac) + ip_bytes(ip)),
            tlv(0x01, mac_bytes(mac)),
            tlv(0x0A, struct.pack("!I", uptime)),
            tlv(0x0B, hostname.encode()),
            tlv(0x0C, product.encode()),
            tlv(0x03, firmware.encode()),
            tlv(0x0D, essid.encode()),
        ]
    )
    return b"\x01\x00" + struct.pack("!H", len(body)) + body


def is_ubnt_probe(data: bytes) -> bool:
    return data[:4] == b"\x01\x00\x00\x00"

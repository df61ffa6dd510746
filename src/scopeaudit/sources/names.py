"""names source: name and service queries to live in-scope hosts (mDNS, NBNS, SSDP).

To each live host the scope allows, unicast only:
- mDNS "legacy unicast" queries (RFC 6762 §6.7: from an ephemeral port to the host's UDP 5353,
  answered to us alone): DNS-SD service enumeration, the instances of each type, their SRV, TXT
  and A records, the reverse name of the address, and ``<name>._device-info._tcp.local`` TXT
  asked by name (some responders answer it only when asked; research/fingerprints.md §1.5).
  Queries are built and answers read with python-zeroconf's DNS codec.
- NBNS node status (UDP 137): the NetBIOS name table and the unit id (MAC).
- SSDP M-SEARCH sent to the host's UDP 1900 (UPnP 1.1 unicast search); optionally also to
  239.255.255.250 with TTL 1 from local addresses whose segment is in scope. The description
  document is fetched over plain HTTP only when its LOCATION host is in scope and its port is
  not a printing port, size-capped and time-limited, and read with defusedxml.

Replies are decoded by ``scopeaudit.sources.frames`` (the same decoders as passive listening):
each reply is wrapped in the IPv4/UDP header it arrived with, real TTL included (IP_RECVTTL).
A host gets one packet per ``interval_s`` (0.1 s) at most: 10 probes/s (DESIGN §7).
"""

from __future__ import annotations

import http.client
import random
import socket
import struct
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address
from urllib.parse import urlsplit
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# zeroconf's DNS codec is public API (documented, imported by its users) but not in __all__.
from zeroconf import (  # type: ignore[attr-defined]
    DNSIncoming,
    DNSOutgoing,
    DNSPointer,
    DNSQuestion,
    DNSService,
)

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome, utc_now
from scopeaudit.scope import MAX_PROBES_PER_HOST_PER_S, Scope, payload_allowed
from scopeaudit.sources import cap
from scopeaudit.sources.frames import LINKTYPE_IPV4, decode_frames
from scopeaudit.taxonomy import Language, Source

MDNS_PORT = 5353
NBNS_PORT = 137
SSDP_PORT = 1900
SSDP_GROUP = "239.255.255.250"
IP_RECVTTL = 12  # Linux <netinet/in.h>; the socket module does not name it
_TYPE_A, _TYPE_PTR, _TYPE_TXT, _TYPE_SRV, _CLASS_IN = 1, 12, 16, 33, 1
SERVICES_QUERY = "_services._dns-sd._udp.local."
DESCRIPTION_FIELDS = (
    "deviceType",
    "friendlyName",
    "manufacturer",
    "modelName",
    "modelNumber",
    "modelDescription",
    "serialNumber",
    "UDN",
    "modelType",
)


_TEXT: Catalog = {
    "not_ipv4": {
        Language.EN: "{value} is not an IPv4 address: not queried",
        Language.FR: "{value} n'est pas une adresse IPv4 : non interrogée",
    },
    "budget": {
        Language.EN: "names: the {seconds} s budget ran out; some hosts were not fully queried",
        Language.FR: "names : le budget de {seconds} s est épuisé ; des hôtes n'ont pas été entièrement interrogés",
    },
}


@dataclass(frozen=True)
class NamesSettings:
    """Which protocols, how long to wait, how much to fetch; defaults are the safe ones."""

    mdns: bool = True
    nbns: bool = True
    ssdp: bool = True
    timeout_s: float = 1.0  # wait for the replies to one query
    linger_s: float = 0.2  # keep listening this long after a reply (more packets may follow)
    interval_s: float = 1.0 / MAX_PROBES_PER_HOST_PER_S
    budget_s: float = 30.0
    concurrency: int = 32
    max_service_types: int = 32
    max_instances: int = 64
    description_max_bytes: int = 64 * 1024
    description_timeout_s: float = 2.0
    max_replies: int = 64  # per query: a host that keeps talking cannot hold us longer


@dataclass
class NamesResult:
    """What the names source produced: evidence, the probe log and its outcome."""

    observations: list[Observation] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(name=Source.NAMES, ok=False, error="not run")
    )
    dropped: int = 0  # multicast replies from outside the scope, heard and not kept
    replies: list[Reply] = field(default_factory=list, repr=False)  # as received


# ------------------------------------------------------------------------------ pure parts


def ipv4_udp_packet(src: str, sport: int, dst: str, dport: int, ttl: int, payload: bytes) -> bytes:
    """A received UDP payload re-wrapped as the IPv4 packet it came in (for the decoders)."""
    body = payload[:65507]
    udp = struct.pack(">HHHH", sport, dport, 8 + len(body), 0) + body
    header = struct.pack(
        ">BBHHHBBH4s4s",
        0x45,
        0,
        20 + len(udp),
        0,
        0,
        ttl,
        17,
        0,
        IPv4Address(src).packed,
        IPv4Address(dst).packed,
    )
    return header + udp


@dataclass(frozen=True)
class Reply:
    """One datagram received from a host: who, from which port, to where, with what TTL, and
    which service port we had asked (SSDP devices often answer from another port)."""

    src: str
    sport: int
    dst: str
    dport: int
    ttl: int
    payload: bytes
    time: datetime
    asked: int | None = None


def decode_replies(replies: Iterable[Reply], *, vantage: str) -> list[Observation]:
    """Observations of the replies through the frame decoders (pure): mDNS services with
    their TXT, host names, NBNS name tables, SSDP headers, and the replies' TTLs."""
    items = list(replies)
    batch = decode_frames(
        (
            (ipv4_udp_packet(r.src, r.asked or r.sport, r.dst, r.dport, r.ttl, r.payload), r.time)
            for r in items
        ),
        LINKTYPE_IPV4,
        vantage=vantage,
        source=Source.NAMES,
    )
    merged = _merge_services(batch.observations)
    # A TTL of 0 means the kernel did not tell it: no TTL observation then.
    return [o for o in merged if o.kind is not ObservationKind.TTL or o.data.get("ttl", 0) > 0]


def _merge_services(observations: list[Observation]) -> list[Observation]:
    """One ``mdns_service`` per (ip, type, instance): a PTR-only answer and the later SRV/TXT
    answer describe the same service."""
    out: list[Observation] = []
    index: dict[tuple[str | None, str, str], int] = {}
    for obs in observations:
        if obs.kind is not ObservationKind.MDNS_SERVICE:
            out.append(obs)
            continue
        key = (obs.ip, str(obs.data.get("type")), str(obs.data.get("instance")))
        if key not in index:
            index[key] = len(out)
            out.append(obs)
            continue
        fresh = {k: v for k, v in obs.data.items() if v not in (None, {}, "")}
        data = {**out[index[key]].data, **fresh}
        out[index[key]] = out[index[key]].model_copy(update={"data": data})
    return out


def mdns_query(questions: Sequence[tuple[str, int]], query_id: int) -> list[bytes]:
    """Legacy-unicast mDNS query packets asking ``questions`` (name, type)."""
    out = DNSOutgoing(0, False, query_id)
    for name, qtype in questions:
        out.add_question(DNSQuestion(name, qtype, _CLASS_IN))
    return list(out.packets())


@dataclass
class MdnsAnswers:
    """What mDNS answers named: service types, instances (full names) and target hosts."""

    types: list[str] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)


def read_mdns_answers(payloads: Iterable[bytes]) -> MdnsAnswers:
    """Service types, instances and hosts named in mDNS responses (pure; zeroconf's codec)."""
    found = MdnsAnswers()
    for payload in payloads:
        message = DNSIncoming(payload)
        if not message.valid or not message.is_response():
            continue
        for record in message.answers():
            name = record.name
            if isinstance(record, DNSPointer):
                target = record.alias
                if name.lower() == SERVICES_QUERY:
                    _add(found.types, target)
                elif not name.lower().endswith(".arpa."):
                    _add(found.instances, target)
            elif isinstance(record, DNSService):
                _add(found.instances, name)
                _add(found.hosts, record.server)
    return found


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


def reverse_name(ip: str) -> str:
    return ".".join(reversed(ip.split("."))) + ".in-addr.arpa."


def device_info_names(answers: MdnsAnswers) -> list[str]:
    """``<name>._device-info._tcp.local.`` for each instance label and host label."""
    labels: list[str] = []
    for instance in answers.instances:
        label = instance.split("._", 1)[0]
        _add(labels, label)
    for host in answers.hosts:
        _add(labels, host.split(".", 1)[0])
    return [f"{label}._device-info._tcp.local." for label in labels if label]


def nbns_node_status_query(query_id: int) -> bytes:
    """NBSTAT query for the wildcard name ``*`` (RFC 1002 §4.2.17)."""
    wildcard = b"*" + b"\x00" * 15
    encoded = bytes(
        letter for byte in wildcard for letter in (0x41 + (byte >> 4), 0x41 + (byte & 0x0F))
    )
    header = struct.pack(">HHHHHH", query_id, 0, 1, 0, 0, 0)
    return header + b"\x20" + encoded + b"\x00" + struct.pack(">HH", 0x21, 1)


def ssdp_search(host: str, port: int = SSDP_PORT, mx: int | None = None) -> bytes:
    """An M-SEARCH for everything (``ssdp:all``); MX only for the multicast form."""
    lines = [
        "M-SEARCH * HTTP/1.1",
        f"HOST: {host}:{port}",
        'MAN: "ssdp:discover"',
        "ST: ssdp:all",
        "USER-AGENT: Linux/1 UPnP/1.1 scopeaudit/1",
    ]
    if mx is not None:
        lines.insert(3, f"MX: {mx}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


def parse_description(content: bytes) -> dict[str, str] | None:
    """The root device's identity fields of a UPnP description document (pure, defusedxml)."""
    try:
        root = fromstring(content)
    except (DefusedXmlException, ParseError, ValueError):
        return None
    device = next((e for e in root if _local(e.tag) == "device"), None)
    if device is None:
        return None
    data: dict[str, str] = {}
    for child in device:
        name = _local(child.tag)
        if name in DESCRIPTION_FIELDS and child.text and child.text.strip():
            data[name] = cap(child.text.strip())
    return data or None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def description_target(location: str, scope: Scope) -> tuple[str, int, str] | None:
    """(host, port, path) of a LOCATION that may be fetched: plain HTTP, an in-scope IPv4
    address (no name to resolve), not a printing port; None otherwise."""
    try:
        parts = urlsplit(location.strip())
        port = parts.port or 80
    except ValueError:
        return None
    host = parts.hostname or ""
    try:
        address = str(IPv4Address(host))
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or not scope.allows(address) or not payload_allowed(port):
        return None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return address, port, path


# ------------------------------------------------------------------------------ capture


class _Host:
    """Queries to one host, paced at ``interval_s`` between packets."""

    def __init__(self, ip: str, settings: NamesSettings, deadline: float) -> None:
        self.ip = ip
        self.settings = settings
        self.deadline = deadline
        self.last_send = 0.0
        self.sent = 0
        self.replies: list[Reply] = []

    def exchange(
        self, port: int, packets: Sequence[bytes], *, any_port: bool = False
    ) -> list[Reply]:
        """Send ``packets`` to (ip, port) from one ephemeral socket, collect what comes back.

        The socket is connected to (ip, port), so only that host's answers reach it and an
        ICMP "port unreachable" ends the wait at once; with ``any_port`` (SSDP, whose devices
        often answer from another port) it is bound to the local address instead and keeps
        what comes from the host's address only.
        """
        got: list[Reply] = []
        if time.monotonic() >= self.deadline:
            return got
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            if any_port:
                sock.bind((_source_address(self.ip, port), 0))
            else:
                sock.connect((self.ip, port))
            for packet in packets:
                pause = self.last_send + self.settings.interval_s - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                try:
                    sock.sendto(packet, (self.ip, port))
                except OSError:
                    return got
                self.last_send = time.monotonic()
                self.sent += 1
            got = _collect(sock, self.settings, self.deadline, asked=port, only=self.ip)
        self.replies.extend(got)
        return got


def _source_address(ip: str, port: int) -> str:
    """The local address the kernel would send from to reach ``ip`` (nothing is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((ip, port))
        return str(probe.getsockname()[0])


def _collect(
    sock: socket.socket,
    settings: NamesSettings,
    deadline: float,
    *,
    asked: int,
    only: str | None = None,
) -> list[Reply]:
    got: list[Reply] = []
    local_ip, local_port = sock.getsockname()
    end = min(time.monotonic() + settings.timeout_s, deadline)
    while len(got) < settings.max_replies:
        remaining = end - time.monotonic()
        if remaining <= 0:
            return got
        sock.settimeout(remaining)
        try:
            data, ancillary, _flags, address = sock.recvmsg(65535, socket.CMSG_SPACE(4))
        except (TimeoutError, ConnectionRefusedError, OSError):
            return got
        ttl = 0
        for level, kind, value in ancillary:
            if level == socket.IPPROTO_IP and kind == socket.IP_TTL and len(value) >= 4:
                ttl = struct.unpack("=i", value[:4])[0]
        if only is not None and address[0] != only:
            continue  # another machine writing to our port: not an answer from this host
        reply = Reply(address[0], address[1], local_ip, local_port, ttl, data, utc_now(), asked)
        got.append(reply)
        end = min(end, time.monotonic() + settings.linger_s)
    return got


def _query_mdns(host: _Host) -> None:
    settings = host.settings
    query_id = random.randint(1, 0xFFFF)
    first = host.exchange(
        MDNS_PORT,
        mdns_query([(SERVICES_QUERY, _TYPE_PTR), (reverse_name(host.ip), _TYPE_PTR)], query_id),
    )
    answers = read_mdns_answers(r.payload for r in first)
    types = answers.types[: settings.max_service_types]
    if types:
        second = host.exchange(MDNS_PORT, mdns_query([(t, _TYPE_PTR) for t in types], query_id))
        answers = read_mdns_answers(r.payload for r in first + second)
    instances = answers.instances[: settings.max_instances]
    questions: list[tuple[str, int]] = []
    for instance in instances:
        questions += [(instance, _TYPE_SRV), (instance, _TYPE_TXT)]
    questions += [(name, _TYPE_TXT) for name in device_info_names(answers)]
    questions += [(name, _TYPE_A) for name in answers.hosts]
    if questions:
        host.exchange(MDNS_PORT, mdns_query(questions, query_id))


def _query_nbns(host: _Host) -> None:
    host.exchange(NBNS_PORT, [nbns_node_status_query(random.randint(1, 0xFFFF))])


def _query_ssdp(host: _Host) -> None:
    host.exchange(SSDP_PORT, [ssdp_search(host.ip)], any_port=True)


def fetch_description(
    target: tuple[str, int, str], settings: NamesSettings, deadline: float
) -> dict[str, str] | None:
    """GET the description document: capped at ``description_max_bytes``, time-limited."""
    address, port, path = target
    timeout = min(settings.description_timeout_s, max(0.1, deadline - time.monotonic()))
    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"User-Agent": "scopeaudit/1", "Accept": "*/*"})
        response = connection.getresponse()
        if response.status != 200:
            return None
        body = response.read(settings.description_max_bytes + 1)
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
    if len(body) > settings.description_max_bytes:
        return None  # a description is a few KiB: anything bigger is not read at all
    return parse_description(body)


def _multicast_search(
    scope: Scope, local_ips: Sequence[str], settings: NamesSettings, deadline: float
) -> tuple[list[Reply], int]:
    """M-SEARCH to the SSDP group from each in-scope local address, TTL 1; replies from
    outside the scope are dropped and counted."""
    kept: list[Reply] = []
    dropped = 0
    for local in local_ips:
        if scope.network_of(local) is None:
            continue  # never multicast on a segment the contract does not cover
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IP, IP_RECVTTL, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(local))
            sock.bind((local, 0))
            try:
                sock.sendto(ssdp_search(SSDP_GROUP, mx=1), (SSDP_GROUP, SSDP_PORT))
            except OSError:
                continue
            wait_settings = NamesSettings(timeout_s=1.5, linger_s=1.5, max_replies=4096)
            for reply in _collect(sock, wait_settings, deadline, asked=SSDP_PORT):
                if scope.allows(reply.src):
                    kept.append(reply)
                else:
                    dropped += 1
    return kept, dropped


def run_names(
    scope: Scope,
    hosts: Sequence[str],
    *,
    settings: NamesSettings | None = None,
    vantage: str = "names",
    multicast_from: Sequence[str] = (),
    lang: Language | None = None,
) -> NamesResult:
    """Query ``hosts`` (only those ``scope`` allows); never raises."""
    settings = settings or NamesSettings()
    language = lang or resolve_language()
    started = time.monotonic()
    deadline = started + settings.budget_s
    result = NamesResult()
    problems: list[str] = []
    targets: list[str] = []
    for text in hosts:
        try:
            address = str(IPv4Address(text))
        except ValueError:
            problems.append(render(_TEXT, "not_ipv4", {"value": repr(text)}, language))
            continue
        if scope.allows(address) and address not in targets:
            targets.append(address)
    targets.sort(key=IPv4Address)
    protocols = [
        (name, query)
        for name, query, wanted in (
            ("mdns", _query_mdns, settings.mdns),
            ("nbns", _query_nbns, settings.nbns),
            ("ssdp", _query_ssdp, settings.ssdp),
        )
        if wanted
    ]
    workers = [_Host(ip, settings, deadline) for ip in targets]

    def one(host: _Host) -> None:
        for _name, query in protocols:
            try:
                query(host)
            except (OSError, ValueError):
                continue  # one protocol's failure is that host's silence, not the source's

    if workers and protocols:
        shown = ", ".join(targets[:16]) + (" …" if len(targets) > 16 else "")
        result.probes.append(
            ProbeRecord(
                source=Source.NAMES,
                action="unicast " + ", ".join(name for name, _ in protocols) + " queries",
                targets=shown,
                started_at=utc_now(),
                count=len(targets),
                rate_pps=float(MAX_PROBES_PER_HOST_PER_S),
                detail="per host: mDNS to UDP 5353 (legacy unicast), NBNS node status to UDP "
                "137, SSDP M-SEARCH to UDP 1900; at most 10 packets/s per host",
            )
        )
        with ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool:
            futures = [pool.submit(one, host) for host in workers]
            _done, pending = wait(futures, timeout=settings.budget_s + 2)
        if pending or time.monotonic() >= deadline:
            seconds = f"{settings.budget_s:g}"
            problems.append(render(_TEXT, "budget", {"seconds": seconds}, language))
    replies = [reply for host in workers for reply in host.replies]
    if settings.ssdp and multicast_from:
        result.probes.append(
            ProbeRecord(
                source=Source.NAMES,
                action="ssdp multicast m-search",
                targets=f"{SSDP_GROUP}:{SSDP_PORT} from " + ", ".join(multicast_from),
                started_at=utc_now(),
                count=len(multicast_from),
                detail="TTL 1, only from local addresses inside the scope",
            )
        )
        heard, result.dropped = _multicast_search(scope, multicast_from, settings, deadline)
        replies += heard
    result.replies = replies
    observations = decode_replies(replies, vantage=vantage)
    result.observations = _with_descriptions(observations, scope, settings, deadline, result)
    answered = {o.ip for o in result.observations if o.kind is not ObservationKind.TTL}
    result.outcome = SourceOutcome(
        name=Source.NAMES,
        ok=not problems,
        error="; ".join(problems) if problems else None,
        duration_s=round(time.monotonic() - started, 3),
        detail={
            "queried": len(targets),
            "answered": len(answered),
            "packets_sent": sum(h.sent for h in workers),
            "dropped_out_of_scope": result.dropped,
        },
    )
    return result


def _with_descriptions(
    observations: list[Observation],
    scope: Scope,
    settings: NamesSettings,
    deadline: float,
    result: NamesResult,
) -> list[Observation]:
    """Each SSDP observation gets its LOCATION's description, fetched once per URL."""
    fetched: dict[str, dict[str, str] | None] = {}
    out: list[Observation] = []
    for obs in observations:
        if obs.ip is not None and not scope.allows(obs.ip):
            continue  # a name announced on behalf of an address outside the scope
        location = str(obs.data.get("location", "")) if obs.kind is ObservationKind.SSDP else ""
        if not location:
            out.append(obs)
            continue
        if location not in fetched:
            target = description_target(location, scope)
            fetched[location] = None
            if target is not None and time.monotonic() < deadline:
                result.probes.append(
                    ProbeRecord(
                        source=Source.NAMES,
                        action="http get upnp description",
                        targets=f"{target[0]}:{target[1]}",
                        started_at=utc_now(),
                        count=1,
                        detail=f"GET {cap(target[2])}, at most {settings.description_max_bytes} bytes",
                    )
                )
                fetched[location] = fetch_description(target, settings, deadline)
        description = fetched[location]
        if description:
            obs = obs.model_copy(update={"data": {**obs.data, "description": description}})
        out.append(obs)
    return out


def local_ipv4(interface: str | None = None) -> list[str]:
    """This machine's IPv4 addresses that are up and not loopback (of ``interface`` only when
    given): where a multicast M-SEARCH may leave from, once the scope agrees."""
    import psutil  # type: ignore[import-untyped]

    stats = psutil.net_if_stats()
    found: list[str] = []
    for name, entries in sorted(psutil.net_if_addrs().items()):
        if interface is not None and name != interface:
            continue
        if not (stats.get(name) and stats[name].isup):
            continue
        found.extend(
            str(entry.address)
            for entry in entries
            if entry.family == socket.AF_INET and not entry.address.startswith("127.")
        )
    return found


def query(
    scope: Scope,
    hosts: Sequence[str],
    *,
    interface: str | None = None,
    settings: NamesSettings | None = None,
    lang: Language | None = None,
) -> NamesResult:
    """The scan's entry point: unicast queries to ``hosts``, plus a multicast M-SEARCH from
    each local address whose segment is in scope (``run_names`` checks it)."""
    return run_names(
        scope,
        hosts,
        settings=settings,
        vantage=interface or "names",
        multicast_from=local_ipv4(interface),
        lang=lang,
    )

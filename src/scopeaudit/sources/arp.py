"""The ``arp`` source: a fast, paced ARP sweep of the on-link scope networks.

How it stays fast: the who-has frame is built once, then only the 4 bytes of the target address
are patched into preallocated buffers, sent in batches with one ``sendmmsg`` call each on a raw
``AF_PACKET`` socket bound to the interface (no per-packet scapy, no per-packet syscall). Replies
are read from a second packet socket whose kernel BPF filter keeps only ARP replies, while the
senders sleep between batches, so sending and receiving overlap. Every target is checked
through the scope guard. Requests are ARP probes by default (RFC 5227, sender 0.0.0.0: they
change no one's ARP cache and cost each receiving stack less, see ``RequestStyle``); the silent
get one retry once their first request has had ``grace`` seconds to be answered; waiting stops
``grace`` after the last send, or at once when every target answered. At high rates one sender thread
per CPU shares the targets: on a software bridge the kernel floods each broadcast inside the
sender's own system call.

Capture (sockets) is split from the pure parts: ``build_request``, ``parse_reply`` and
``to_observations`` are tested on recorded bytes.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome
from scopeaudit.scope import DEFAULT_ARP_RATE, Scope
from scopeaudit.sources.host import LocalInterface, local_interfaces
from scopeaudit.taxonomy import Language, Source

ETH_P_ARP = 0x0806
FRAME_LEN = 42  # Ethernet header 14 + ARP 28; the NIC pads to 60 on the wire
_TARGET_IP_OFFSET = 38
_SOL_PACKET = 263
_PACKET_IGNORE_OUTGOING = 23  # Linux 4.20+: our own requests are not looped back to us
_SO_ATTACH_FILTER = 26
_MAX_BATCH = 256
_BROADCAST = b"\xff" * 6

# Classic BPF: accept only Ethernet frames of type ARP whose operation is 2 (reply).
_BPF_ARP_REPLY = (
    (0x28, 0, 0, 12),  # ldh [12]          ethertype
    (0x15, 0, 3, ETH_P_ARP),  # jeq #0x806, next, drop
    (0x28, 0, 0, 20),  # ldh [20]          ARP operation
    (0x15, 0, 1, 2),  # jeq #2, next, drop
    (0x06, 0, 0, 0xFFFF),  # ret whole frame
    (0x06, 0, 0, 0),  # ret 0: drop
)

_TEXT: Catalog = {
    "no_privilege": {
        Language.EN: "the ARP sweep needs root or CAP_NET_RAW (raw sockets): run scopeaudit as root or grant it with setcap cap_net_raw+ep; the sweep did not run",
        Language.FR: "le balayage ARP nécessite root ou CAP_NET_RAW (sockets bruts) : lancez scopeaudit en root ou accordez-le avec setcap cap_net_raw+ep ; le balayage n'a pas eu lieu",
    },
    "no_interface": {
        Language.EN: "no interface of this machine faces {networks}: the ARP sweep cannot reach them (nmap covers routed networks)",
        Language.FR: "aucune interface de cette machine ne fait face à {networks} : le balayage ARP ne peut pas les atteindre (nmap couvre les réseaux routés)",
    },
    "unknown_interface": {
        Language.EN: "interface {name} does not exist or has no MAC address",
        Language.FR: "l'interface {name} n'existe pas ou n'a pas d'adresse MAC",
    },
    "socket_error": {
        Language.EN: "the ARP sweep on {name} failed: {error}",
        Language.FR: "le balayage ARP sur {name} a échoué : {error}",
    },
}


def _text(code: str, lang: Language | None, **params: object) -> str:
    return render(_TEXT, code, params, lang or resolve_language())


def build_request(src_mac: str, src_ip: IPv4Address | None) -> bytes:
    """A broadcast ARP who-has from ``src_mac``/``src_ip`` with target address 0.0.0.0.

    The same 42 bytes scapy builds for ``Ether(dst=ff..ff, src)/ARP(op=1, hwsrc, psrc,
    hwdst=00..00, pdst)``; bytes 38-41 are the target address, patched per target.
    """
    mac = bytes.fromhex(src_mac.replace(":", ""))
    sender_ip = (src_ip or IPv4Address(0)).packed
    ether = _BROADCAST + mac + struct.pack("!H", ETH_P_ARP)
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + sender_ip + b"\x00" * 6 + b"\x00" * 4
    return ether + arp


class RequestStyle(StrEnum):
    """Which who-has frames the sweep sends.

    ``probe`` (default): ARP probes (RFC 5227, sender address 0.0.0.0), which every stack doing
    address conflict detection answers. A probe changes no one's ARP cache, and each receiving
    stack skips the route lookup (and the route cache entry allocated then freed) that a classic
    request with a sender address costs it: measured in the namespace lab, about 45 % less
    kernel time per broadcast frame. ``probe-then-classic``: the retry is a classic request, for
    networks with stacks that ignore probes. ``classic``: requests from the interface address
    for every attempt, as arp-scan and nmap send them.
    """

    PROBE = "probe"
    PROBE_THEN_CLASSIC = "probe-then-classic"
    CLASSIC = "classic"


@dataclass(frozen=True)
class ArpReply:
    """One ARP reply as read from the wire."""

    ip: str
    mac: str
    eth_src: str
    target_ip: str
    time: datetime


def _mac_text(raw: bytes) -> str:
    return ":".join(f"{b:02x}" for b in raw)


def parse_reply(frame: bytes, when: datetime) -> ArpReply | None:
    """The reply carried by an Ethernet frame, or None when it is not an IPv4-over-Ethernet ARP
    reply (a pure function: captured bytes in, fields out)."""
    if len(frame) < FRAME_LEN:
        return None
    ethertype, hw_type, proto, hw_len, proto_len, op = struct.unpack_from("!HHHBBH", frame, 12)
    if (ethertype, hw_type, proto, hw_len, proto_len, op) != (ETH_P_ARP, 1, 0x0800, 6, 4, 2):
        return None
    return ArpReply(
        ip=str(IPv4Address(frame[28:32])),
        mac=_mac_text(frame[22:28]),
        eth_src=_mac_text(frame[6:12]),
        target_ip=str(IPv4Address(frame[38:42])),
        time=when,
    )


def to_observations(
    replies: Iterable[ArpReply], vantage: str, allowed: Callable[[str], bool]
) -> tuple[list[Observation], int]:
    """``address`` observations (``how: arp-reply``), one per distinct (IP, MAC) pair with the
    first reply's time: an IP answering with several MACs keeps them all (merge flags proxy
    ARP). Replies from addresses the scope does not allow are dropped and counted."""
    seen: set[tuple[str, str]] = set()
    observations: list[Observation] = []
    dropped = 0
    for reply in replies:
        if not allowed(reply.ip):
            dropped += 1
            continue
        key = (reply.ip, reply.mac)
        if key in seen:
            continue
        seen.add(key)
        observations.append(
            Observation(
                source=Source.ARP,
                kind=ObservationKind.ADDRESS,
                time=reply.time,
                vantage=vantage,
                mac=reply.mac,
                ip=reply.ip,
                data={"how": "arp-reply"},
            )
        )
    return observations, dropped


@dataclass(frozen=True)
class Segment:
    """One on-link piece of the scope: an interface and the scope addresses it faces."""

    interface: LocalInterface
    network: IPv4Network
    source_ip: IPv4Address | None


def plan_segments(
    scope: Scope,
    interfaces: Sequence[LocalInterface],
    only: str | None = None,
) -> tuple[list[Segment], list[IPv4Network]]:
    """Which scope networks each up interface faces (its connected subnet intersected with the
    scope network), and the scope networks no interface faces (left to nmap)."""
    segments: list[Segment] = []
    unreached: list[IPv4Network] = []
    usable = [
        i
        for i in interfaces
        if i.up and not i.loopback and i.mac and (only is None or i.name == only)
    ]
    for net in scope.networks:
        found = False
        for iface in usable:
            for address in iface.ipv4:
                link = address.network
                if not link.overlaps(net.cidr):
                    continue
                piece = link if link.subnet_of(net.cidr) else net.cidr
                segments.append(Segment(iface, piece, address.ip))
                found = True
                break
            if found:
                break
        if not found and only is not None:
            # An explicit interface with no address in the network: probe it anyway from 0.0.0.0
            # (an ARP probe, RFC 5227), since the technician said the network is on that wire.
            chosen = next((i for i in usable), None)
            if chosen is not None:
                segments.append(Segment(chosen, net.cidr, None))
                found = True
        if not found:
            unreached.append(net.cidr)
    return segments, unreached


@dataclass
class SweepStats:
    """Counters of one sweep: frames sent per target, replies, timings."""

    targets: int = 0
    frames_sent: int = 0
    frames_per_target: dict[int, int] = field(default_factory=dict)
    replies: int = 0
    answered: int = 0
    ignored_replies: int = 0
    send_seconds: float = 0.0
    duration_s: float = 0.0


@dataclass
class SweepResult:
    """Observations, probe log and outcome of the ARP sweep."""

    observations: list[Observation] = field(default_factory=list)
    probe_log: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(default_factory=lambda: SourceOutcome(name=Source.ARP, ok=True))
    replies: list[ArpReply] = field(default_factory=list)
    stats: SweepStats = field(default_factory=SweepStats)
    unreached: list[IPv4Network] = field(default_factory=list)
    dropped: int = 0


class _Iovec(ctypes.Structure):
    _fields_ = (("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t))


class _Msghdr(ctypes.Structure):
    _fields_ = (
        ("msg_name", ctypes.c_void_p),
        ("msg_namelen", ctypes.c_uint32),
        ("msg_iov", ctypes.POINTER(_Iovec)),
        ("msg_iovlen", ctypes.c_size_t),
        ("msg_control", ctypes.c_void_p),
        ("msg_controllen", ctypes.c_size_t),
        ("msg_flags", ctypes.c_int),
    )


class _Mmsghdr(ctypes.Structure):
    _fields_ = (("msg_hdr", _Msghdr), ("msg_len", ctypes.c_uint))


class _BatchSender:
    """Sends up to ``_MAX_BATCH`` frames per ``sendmmsg`` call from preallocated buffers."""

    def __init__(self, sock: socket.socket, template: bytes) -> None:
        self.sock = sock
        self.buffer = ctypes.create_string_buffer(template * _MAX_BATCH, FRAME_LEN * _MAX_BATCH)
        base = ctypes.addressof(self.buffer)
        self.iovecs = (_Iovec * _MAX_BATCH)()
        self.messages = (_Mmsghdr * _MAX_BATCH)()
        for slot in range(_MAX_BATCH):
            self.iovecs[slot].iov_base = base + slot * FRAME_LEN
            self.iovecs[slot].iov_len = FRAME_LEN
            header = self.messages[slot].msg_hdr
            header.msg_iov = ctypes.pointer(self.iovecs[slot])
            header.msg_iovlen = 1
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self.sendmmsg = libc.sendmmsg
        self.sendmmsg.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int)
        self.sendmmsg.restype = ctypes.c_int
        self.view = memoryview(self.buffer).cast("B")

    def load(self, template: bytes) -> None:
        """Use another template (the target address is patched per frame anyway)."""
        self.view[:] = template * _MAX_BATCH

    def send(self, targets: Sequence[bytes]) -> None:
        """Send one frame per packed target address; blocks (briefly) when the queue is full."""
        for slot, packed in enumerate(targets):
            offset = slot * FRAME_LEN + _TARGET_IP_OFFSET
            self.view[offset : offset + 4] = packed
        done = 0
        while done < len(targets):
            address = ctypes.addressof(self.messages) + done * ctypes.sizeof(_Mmsghdr)
            sent = self.sendmmsg(self.sock.fileno(), address, len(targets) - done, 0)
            if sent < 0:
                code = ctypes.get_errno()
                if code in (errno.EAGAIN, errno.ENOBUFS, errno.EINTR):
                    time.sleep(0.0005)
                    continue
                raise OSError(code, os.strerror(code))
            done += sent


def _attach_reply_filter(sock: socket.socket) -> None:
    program = b"".join(struct.pack("HBBI", *ins) for ins in _BPF_ARP_REPLY)
    buffer = ctypes.create_string_buffer(program)
    fprog = struct.pack("HL", len(_BPF_ARP_REPLY), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)


def _open_receiver(interface: str) -> socket.socket:
    """The reply socket on ``interface``: the kernel keeps only ARP replies for it."""
    receiver = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
    try:
        _attach_reply_filter(receiver)
        # Older kernels lack it: our own requests are then dropped by the BPF program anyway.
        with contextlib.suppress(OSError):
            receiver.setsockopt(_SOL_PACKET, _PACKET_IGNORE_OUTGOING, 1)
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        receiver.bind((interface, ETH_P_ARP))
        receiver.setblocking(False)
    except BaseException:
        receiver.close()
        raise
    return receiver


def can_open_raw_socket() -> bool:
    """True when this process may open raw packet sockets (root or CAP_NET_RAW)."""
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0).close()
    except PermissionError:
        return False
    except OSError:
        return False
    return True


class _Collector:
    """Drains the reply socket; keeps every reply of a target and counts the others."""

    def __init__(self, sock: socket.socket, targets: dict[bytes, int]) -> None:
        self.sock = sock
        self.targets = targets
        self.answered = bytearray(len(targets))
        self.answered_count = 0
        self.replies: list[ArpReply] = []
        self.ignored = 0
        self.raw: list[tuple[bytes, float]] = []
        self.buffer = bytearray(2048)
        # Set once every target answered: senders waiting to pace or retry stop at once.
        self.finished = threading.Event()

    def drain(self) -> None:
        recv_into = self.sock.recv_into
        buffer = self.buffer
        while True:
            try:
                size = recv_into(buffer)
            except BlockingIOError:
                return
            if size < FRAME_LEN or buffer[21] != 2:
                continue
            sender = bytes(buffer[28:32])
            index = self.targets.get(sender)
            if index is None:
                self.ignored += 1
                continue
            if not self.answered[index]:
                self.answered[index] = 1
                self.answered_count += 1
                if self.answered_count == len(self.targets):
                    self.finished.set()
            self.raw.append((bytes(buffer[:FRAME_LEN]), time.time()))

    def wait(self, seconds: float) -> None:
        """Read replies for up to ``seconds``; returns early only when the time is up."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready:
                self.drain()

    def done(self) -> bool:
        return self.answered_count == len(self.targets)


# Above this rate one sender thread per CPU: on a software bridge the kernel floods each
# broadcast inside the sending thread's own system call, so one thread uses one core only.
PARALLEL_RATE = 20_000
_MAX_SENDERS = 4


class _Sender(threading.Thread):
    """Sends its share of the targets at its share of the rate, then retries the silent."""

    def __init__(
        self,
        interface: str,
        templates: Sequence[bytes],
        order: list[bytes],
        positions: range,
        collector: _Collector,
        *,
        rate: float,
        attempts: int,
        grace: float,
        sent_per_target: bytearray,
    ) -> None:
        super().__init__(name=f"arp-sender-{positions.start}", daemon=True)
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
            self.sock.bind((interface, 0))
        except BaseException:
            self.sock.close()
            raise
        self.batcher = _BatchSender(self.sock, templates[0])
        self.templates = templates
        self.order = order
        self.positions = positions
        self.collector = collector
        self.rate = rate
        self.attempts = attempts
        self.grace = grace
        self.sent_per_target = sent_per_target
        self.frames_per_attempt = [0] * attempts
        self.started_at: list[datetime | None] = [None] * attempts
        self.seconds_per_attempt = [0.0] * attempts
        self.last_send = time.monotonic()
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            self._run()
        except OSError as error:
            self.error = error
        finally:
            self.sock.close()

    def _run(self) -> None:
        answered = self.collector.answered
        interval = 1.0 / self.rate if self.rate > 0 else 0.0
        # A batch every millisecond or so: sleeps shorter than that are not reliable.
        batch = max(1, min(_MAX_BATCH, int(self.rate / 1000) if self.rate > 0 else _MAX_BATCH))
        first_sent: dict[int, float] = {}
        next_time = time.monotonic()
        positions = self.positions
        for attempt in range(self.attempts):
            if self.collector.done():
                return
            self.batcher.load(self.templates[min(attempt, len(self.templates) - 1)])
            self.started_at[attempt] = datetime.now(UTC)
            clock = time.monotonic()
            cursor = 0
            while cursor < len(positions):
                if self.collector.finished.is_set():
                    return  # everyone answered, or the sweep was interrupted
                chunk: list[int] = []
                while cursor < len(positions) and len(chunk) < batch:
                    position = positions[cursor]
                    if attempt == 0 or not answered[position]:
                        chunk.append(position)
                    cursor += 1
                if not chunk:
                    continue
                now = time.monotonic()
                ready_at = next_time
                if attempt > 0:
                    # A retry waits until the first request has had ``grace`` to be answered.
                    ready_at = max(ready_at, first_sent[chunk[-1]] + self.grace)
                if ready_at > now and self.collector.finished.wait(ready_at - now):
                    return
                if attempt > 0:
                    chunk = [i for i in chunk if not answered[i]]
                    if not chunk:
                        continue
                self.batcher.send([self.order[i] for i in chunk])
                sent_at = time.monotonic()
                for i in chunk:
                    self.sent_per_target[i] += 1
                    if attempt == 0:
                        first_sent[i] = sent_at
                self.frames_per_attempt[attempt] += len(chunk)
                self.last_send = sent_at
                next_time = max(next_time + len(chunk) * interval, sent_at - 0.002)
            self.seconds_per_attempt[attempt] = time.monotonic() - clock


def _describe(networks: Sequence[IPv4Network]) -> str:
    """The networks of one sweep for the probe log, shortened when there are many /32s."""
    if len(networks) <= 8:
        return ", ".join(str(n) for n in networks)
    shown = ", ".join(str(n) for n in networks[:8])
    return f"{shown} and {len(networks) - 8} more"


def _sweep_segment(
    group: Sequence[Segment],
    scope: Scope,
    *,
    rate: float,
    attempts: int,
    grace: float,
    senders: int | None,
    style: RequestStyle,
    progress: Callable[[int, int], None] | None,
) -> tuple[list[ArpReply], SweepStats, list[ProbeRecord], int]:
    segment = group[0]  # every segment of the group shares its interface and source address
    own = segment.source_ip
    # Belt and braces: every target also goes through the guard's own check.
    order = list(
        dict.fromkeys(
            a.packed
            for piece in group
            for a in scope.targets(piece.network)
            if a != own and scope.allows(a)
        )
    )
    index = {packed: i for i, packed in enumerate(order)}
    stats = SweepStats(targets=len(order))
    sent_per_target = bytearray(len(order))
    records: list[ProbeRecord] = []
    if not order:
        return [], stats, records, 0
    assert segment.interface.mac is not None
    probe = build_request(segment.interface.mac, None)
    classic = build_request(segment.interface.mac, own)
    templates = {
        RequestStyle.PROBE: [probe, probe],
        RequestStyle.PROBE_THEN_CLASSIC: [probe, classic],
        RequestStyle.CLASSIC: [classic, classic],
    }[style]
    if senders is None:
        fast = rate <= 0 or rate > PARALLEL_RATE
        senders = min(os.cpu_count() or 1, _MAX_SENDERS) if fast else 1
    senders = max(1, min(senders, len(order)))
    receiver = _open_receiver(segment.interface.name)
    started = time.monotonic()
    workers: list[_Sender] = []
    collector = _Collector(receiver, index)  # plain fields: cannot fail and leak the socket
    try:
        share = rate / senders if rate > 0 else 0.0
        workers.extend(
            _Sender(
                segment.interface.name,
                templates,
                order,
                range(number, len(order), senders),
                collector,
                rate=share,
                attempts=attempts,
                grace=grace,
                sent_per_target=sent_per_target,
            )
            for number in range(senders)
        )
        for worker in workers:
            worker.start()
        while any(worker.is_alive() for worker in workers):
            collector.wait(0.01)
            if progress is not None:
                progress(sum(w.frames_per_attempt[0] for w in workers), len(order))
        for worker in workers:
            worker.join()
        stats.send_seconds = round(time.monotonic() - started, 4)
        last_send = max(worker.last_send for worker in workers)
        # Nothing more can come once the last request has had its grace, or everyone answered.
        while not collector.done():
            left = last_send + grace - time.monotonic()
            if left <= 0:
                break
            collector.wait(min(left, 0.01))
        collector.drain()
    finally:
        collector.finished.set()  # on Ctrl-C or an error the senders stop at their next batch
        for worker in workers:
            if worker.ident is not None:
                worker.join()
            worker.sock.close()  # also those never started, when a later one failed to open
        receiver.close()
    failed = next((w.error for w in workers if w.error is not None), None)
    if failed is not None:
        raise failed
    stats.duration_s = round(time.monotonic() - started, 4)
    for attempt in range(attempts):
        frames = sum(w.frames_per_attempt[attempt] for w in workers)
        begun = [w.started_at[attempt] for w in workers if w.started_at[attempt] is not None]
        if not begun or not frames:
            continue
        seconds = max(w.seconds_per_attempt[attempt] for w in workers)
        records.append(
            ProbeRecord(
                source=Source.ARP,
                action="arp-request",
                targets=_describe([piece.network for piece in group]),
                started_at=min(t for t in begun if t is not None),
                count=frames,
                rate_pps=round(frames / seconds, 1) if seconds > 0 else None,
                detail=(
                    f"interface={segment.interface.name} attempt={attempt + 1}/{attempts}"
                    f" senders={senders}"
                ),
            )
        )
        stats.frames_sent += frames
    # Wall-clock stamps were taken per frame; parse once here, off the hot loop.
    replies = [
        reply
        for frame, stamp in collector.raw
        if (reply := parse_reply(frame, datetime.fromtimestamp(stamp, UTC))) is not None
    ]
    stats.replies = len(replies)
    stats.answered = collector.answered_count
    stats.ignored_replies = collector.ignored
    histogram: dict[int, int] = {}
    for count in sent_per_target:
        histogram[count] = histogram.get(count, 0) + 1
    stats.frames_per_target = dict(sorted(histogram.items()))
    return replies, stats, records, collector.ignored


def sweep(
    scope: Scope,
    *,
    interface: str | None = None,
    rate: float = DEFAULT_ARP_RATE,
    attempts: int = 2,
    grace: float = 0.25,
    senders: int | None = None,
    style: RequestStyle = RequestStyle.PROBE,
    interfaces: Sequence[LocalInterface] | None = None,
    progress: Callable[[int, int], None] | None = None,
    lang: Language | None = None,
) -> SweepResult:
    """ARP-sweep every in-scope address on the segments this machine faces.

    ``rate`` is in frames per second (0: as fast as the kernel takes them); ``attempts`` is 2:
    one request and one retry for the silent. ``progress(done, total)`` is called as the first
    requests go out (``done`` addresses asked of ``total``), about every 10 ms. Never raises for
    a network failure: the outcome says what could not run.
    """
    clock = time.monotonic()
    result = SweepResult()
    known = list(interfaces) if interfaces is not None else local_interfaces()
    if interface is not None and not any(i.name == interface and i.mac for i in known):
        result.outcome = SourceOutcome(
            name=Source.ARP, ok=False, error=_text("unknown_interface", lang, name=interface)
        )
        return result
    segments, result.unreached = plan_segments(scope, known, interface)
    if not segments:
        networks = ", ".join(str(n) for n in result.unreached) or scope.describe_networks()
        result.outcome = SourceOutcome(
            name=Source.ARP,
            ok=False,
            error=_text("no_interface", lang, networks=networks),
            detail={"unreached": networks},
        )
        return result
    if not can_open_raw_socket():
        result.outcome = SourceOutcome(
            name=Source.ARP,
            ok=False,
            error=_text("no_privilege", lang),
            detail={"missing": "CAP_NET_RAW"},
        )
        return result
    errors: list[str] = []
    totals = SweepStats()
    # One sweep per interface and source address: many small pieces (say, a list of /32s)
    # share one pass, one retry and one grace instead of one each.
    groups: dict[tuple[str, IPv4Address | None], list[Segment]] = {}
    for piece in segments:
        groups.setdefault((piece.interface.name, piece.source_ip), []).append(piece)
    for group in groups.values():
        segment = group[0]
        try:
            replies, stats, records, _ = _sweep_segment(
                group,
                scope,
                rate=rate,
                attempts=attempts,
                grace=grace,
                senders=senders,
                style=style,
                progress=progress,
            )
        except OSError as error:
            errors.append(
                _text("socket_error", lang, name=segment.interface.name, error=error.strerror)
            )
            continue
        observations, dropped = to_observations(replies, segment.interface.name, scope.allows)
        result.observations.extend(observations)
        result.replies.extend(replies)
        result.probe_log.extend(records)
        result.dropped += dropped
        totals.targets += stats.targets
        totals.frames_sent += stats.frames_sent
        totals.replies += stats.replies
        totals.answered += stats.answered
        totals.ignored_replies += stats.ignored_replies
        totals.send_seconds += stats.send_seconds
        for count, hosts in stats.frames_per_target.items():
            totals.frames_per_target[count] = totals.frames_per_target.get(count, 0) + hosts
    totals.duration_s = round(time.monotonic() - clock, 4)
    result.stats = totals
    result.outcome = SourceOutcome(
        name=Source.ARP,
        ok=not errors,
        error="; ".join(errors) or None,
        duration_s=totals.duration_s,
        detail={
            "targets": totals.targets,
            "frames_sent": totals.frames_sent,
            # "frames: addresses" pairs, e.g. "1:100, 2:65433"
            "frames_per_target": ", ".join(
                f"{count}:{hosts}" for count, hosts in sorted(totals.frames_per_target.items())
            )
            or None,
            "answered": totals.answered,
            "replies": totals.replies,
            "ignored_replies": totals.ignored_replies,
            "unreached": ", ".join(str(n) for n in result.unreached) or None,
            "segments": ", ".join(f"{s.interface.name}:{s.network}" for s in segments),
        },
    )
    return result

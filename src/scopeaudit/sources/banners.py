"""Banner grabbing of the default scan: what open ports say about themselves.

nmap's light probe finds open ports; this module asks the ones that tell categories apart for
their own words (research/fingerprints.md §1.12): the SSH greeting, an HTTP ``Server`` header and
``<title>``, a TLS certificate's subject and issuer, an RTSP or SIP ``OPTIONS`` reply, an FTP,
telnet or VMware authd greeting. Each becomes a ``banner`` observation (docs/observations.md) of
the nmap source, vantage ``banners``: banners are part of the safe port probe.

Safety (DESIGN §7): every target is checked against the scope; printing ports (PRINT_PORTS) get
nothing at all, not even a connect, since nmap already said they are open; greetings are read
with nothing sent; each host gets at most ``per_host_rate`` connections a second (a token bucket
of one token), a global pool bounds concurrency, connects and reads have short timeouts, replies
are capped, and a total budget stops the rest, which is counted and said.

Capture (blocking sockets in a thread pool: the ``ssl`` module needs nothing more) is separate
from the pure parsers (``parse_reply``, ``html_title``, ``ssh_banner``, ``greeting_text``,
``certificate_names`` and the ``*_data`` builders), which are tested on recorded bytes.
"""

from __future__ import annotations

import re
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from ipaddress import IPv4Address
from typing import Any

from scopeaudit import __version__
from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome, utc_now
from scopeaudit.scope import MAX_PROBES_PER_HOST_PER_S, Scope, payload_allowed
from scopeaudit.sources import cap, network_text
from scopeaudit.taxonomy import Language, Source

VANTAGE = "banners"
USER_AGENT = f"scopeaudit/{__version__} (network inventory audit)"
# Headers kept per reply: a hostile peer could send thousands.
MAX_HEADERS = 64


class Protocol(StrEnum):
    """The ``protocol`` of a banner observation (docs/observations.md)."""

    SSH = "ssh"
    HTTP = "http"
    TLS = "tls"
    RTSP = "rtsp"
    SIP = "sip"
    FTP = "ftp"
    TELNET = "telnet"
    GREETING = "greeting"  # a server-first line of another protocol (VMware authd on 902)


class Probe(StrEnum):
    """What is done to one open port (the closed set of the probe log's banner lines)."""

    SSH_READ = "ssh_read"
    FTP_READ = "ftp_read"
    TELNET_READ = "telnet_read"
    GREETING_READ = "greeting_read"
    HTTP_GET = "http_get"
    TLS_HTTP_GET = "tls_http_get"
    RTSP_OPTIONS = "rtsp_options"
    SIP_OPTIONS = "sip_options"


# Which protocols each probe may yield (exhaustive: a test proves every Probe is here).
PROBE_PROTOCOLS: dict[Probe, tuple[Protocol, ...]] = {
    Probe.SSH_READ: (Protocol.SSH,),
    Probe.FTP_READ: (Protocol.FTP,),
    Probe.TELNET_READ: (Protocol.TELNET,),
    Probe.GREETING_READ: (Protocol.GREETING,),
    Probe.HTTP_GET: (Protocol.HTTP,),
    Probe.TLS_HTTP_GET: (Protocol.TLS, Protocol.HTTP),
    Probe.RTSP_OPTIONS: (Protocol.RTSP,),
    Probe.SIP_OPTIONS: (Protocol.SIP,),
}

# What each probe sends, for the probe log (the security team reads it).
PROBE_ACTIONS: dict[Probe, str] = {
    Probe.SSH_READ: "banner: read the SSH greeting (nothing sent)",
    Probe.FTP_READ: "banner: read the FTP greeting (nothing sent, no login)",
    Probe.TELNET_READ: "banner: read the telnet greeting (nothing sent, no login)",
    Probe.GREETING_READ: "banner: read the service greeting (nothing sent)",
    Probe.HTTP_GET: "banner: one HTTP/1.0 GET / (redirects not followed)",
    Probe.TLS_HTTP_GET: "banner: TLS handshake without verification, then one HTTP/1.0 GET /",
    Probe.RTSP_OPTIONS: "banner: one RTSP OPTIONS",
    Probe.SIP_OPTIONS: "banner: one SIP OPTIONS",
}

# Port → probe. Ports not listed get nothing: an unknown protocol is not guessed at.
TCP_PROBES: dict[int, Probe] = {
    21: Probe.FTP_READ,
    22: Probe.SSH_READ,
    2222: Probe.SSH_READ,
    23: Probe.TELNET_READ,
    902: Probe.GREETING_READ,  # "220 VMware Authentication Daemon …" (ESXi, Workstation)
    80: Probe.HTTP_GET,
    81: Probe.HTTP_GET,
    5000: Probe.HTTP_GET,  # Synology DSM, or macOS AirPlay (Server: AirTunes)
    5357: Probe.HTTP_GET,  # WSDAPI: Microsoft-HTTPAPI
    5985: Probe.HTTP_GET,  # WinRM: Microsoft-HTTPAPI
    7000: Probe.HTTP_GET,  # macOS AirPlay
    8000: Probe.HTTP_GET,
    8008: Probe.HTTP_GET,  # Google Cast
    8080: Probe.HTTP_GET,
    8081: Probe.HTTP_GET,
    8888: Probe.HTTP_GET,
    443: Probe.TLS_HTTP_GET,
    4443: Probe.TLS_HTTP_GET,
    5001: Probe.TLS_HTTP_GET,  # Synology DSM https
    5986: Probe.TLS_HTTP_GET,
    8443: Probe.TLS_HTTP_GET,
    9443: Probe.TLS_HTTP_GET,
    554: Probe.RTSP_OPTIONS,
    8554: Probe.RTSP_OPTIONS,
    5060: Probe.SIP_OPTIONS,
}
UDP_PROBES: dict[int, Probe] = {5060: Probe.SIP_OPTIONS}


_MESSAGES: Catalog = {
    "budget": {
        Language.EN: "banners: the {seconds} s budget ran out; {pending} of {total} port(s) not probed",
        Language.FR: "bannières : le budget de {seconds} s est épuisé ; {pending} port(s) sur {total} non sondé(s)",
    },
    "invalid": {
        Language.EN: "banners: {count} target(s) are not an IPv4 address with a port: ignored",
        Language.FR: "bannières : {count} cible(s) ne sont pas une adresse IPv4 avec un port : ignorée(s)",
    },
}


@dataclass(frozen=True)
class BannerSettings:
    """Limits of the banner grab; the defaults are the documented safe ones (DESIGN §7)."""

    connect_timeout_s: float = 2.0
    read_timeout_s: float = 3.0
    idle_s: float = 0.5  # a greeting is complete after this much silence
    max_bytes: int = 16 * 1024
    budget_s: float = 20.0
    concurrency: int = 32
    per_host_rate: float = float(MAX_PROBES_PER_HOST_PER_S)
    user_agent: str = USER_AGENT


@dataclass(frozen=True)
class Target:
    """One open port to ask: address, port, ``tcp`` or ``udp``."""

    ip: str
    port: int
    proto: str

    def text(self) -> str:
        return f"{self.ip}:{self.port}" + ("/udp" if self.proto == "udp" else "")


@dataclass
class Capture:
    """The raw bytes one probe got back (kept for recording test inputs)."""

    target: Target
    probe: Probe
    reply: bytes = b""
    certificate: bytes | None = None  # DER, for TLS
    error: str | None = None


@dataclass
class BannerResult:
    """What the banner grab produced: evidence, the probe log and its outcome."""

    observations: list[Observation] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(
            name=Source.NMAP, ok=False, error="not run", detail={"part": "banners"}
        )
    )
    captures: list[Capture] = field(default_factory=list, repr=False)


# --- pure parsers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A response in the HTTP family (HTTP, RTSP, SIP): status line, headers in order, body."""

    version: str | None
    status: int | None
    reason: str | None
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive), as received."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


_STATUS = re.compile(rb"^([A-Z]{3,5}/\d+(?:\.\d+)?)[ \t]+(\d{3})(?:[ \t]+([^\r\n]*))?")


def parse_reply(raw: bytes) -> Reply:
    """Status line, headers and body of an HTTP, RTSP or SIP reply; never raises.

    Broken input is taken as far as it goes: no status line gives ``status`` None and the whole
    input as body; a header without a colon is skipped; folded lines continue the header above.
    """
    cut = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    if cut:
        end = min(cut)
        head, body = raw[:end], raw[end:].lstrip(b"\r\n")
    else:
        head, body = raw, b""
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    matched = _STATUS.match(lines[0]) if lines else None
    if matched is None:
        return Reply(None, None, None, (), raw)
    version = matched.group(1).decode("ascii")
    reason = network_text(matched.group(3)).strip() if matched.group(3) else None
    headers: list[list[str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1][1] = cap(headers[-1][1] + " " + network_text(line).strip())
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name.strip():
            continue
        if len(headers) < MAX_HEADERS:
            headers.append([network_text(name).strip(), network_text(value).strip()])
    return Reply(version, int(matched.group(2)), reason, tuple((k, v) for k, v in headers), body)


_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TITLE_OPEN = re.compile(r"<title\b[^>]*>([^<]*)", re.IGNORECASE)


def html_title(body: bytes) -> str | None:
    """The first ``<title>`` of an HTML body as received (outer spaces stripped), else None.

    A title that is never closed runs to the next tag, as browsers show it. ESXi writes its
    title from JavaScript, so what is read there is the script's text (as nmap reads it too).
    """
    text = network_text(body)
    found = _TITLE.search(text) or _TITLE_OPEN.search(text)
    return cap(found.group(1).strip()) if found else None


def http_data(port: int, proto: str, reply: Reply) -> dict[str, Any]:
    """The ``banner`` data of an HTTP reply."""
    return {
        "port": port,
        "proto": proto,
        "protocol": Protocol.HTTP.value,
        "status": reply.status,
        "server": reply.header("Server"),
        "title": html_title(reply.body),
        "headers": [[k, v] for k, v in reply.headers],
        "location": reply.header("Location"),
    }


def rtsp_data(port: int, proto: str, reply: Reply) -> dict[str, Any]:
    """The ``banner`` data of an RTSP reply."""
    return {
        "port": port,
        "proto": proto,
        "protocol": Protocol.RTSP.value,
        "status": reply.status,
        "server": reply.header("Server"),
        "headers": [[k, v] for k, v in reply.headers],
    }


def sip_data(port: int, proto: str, reply: Reply) -> dict[str, Any]:
    """The ``banner`` data of a SIP reply: ``user_agent`` is User-Agent, else Server (a device
    answering a request is a server, and some say so in that header instead)."""
    agent = reply.header("User-Agent")
    server = reply.header("Server")
    return {
        "port": port,
        "proto": proto,
        "protocol": Protocol.SIP.value,
        "status": reply.status,
        "user_agent": agent if agent is not None else server,
        "server": server,
        "headers": [[k, v] for k, v in reply.headers],
    }


def ssh_banner(raw: bytes) -> str | None:
    """The SSH identification line (RFC 4253 §4.2: lines before it are allowed), else the first
    non-empty line of whatever the port said; None when it said nothing."""
    lines = [line.rstrip(b"\r") for line in raw.split(b"\n")]
    chosen = next((line for line in lines if line.startswith(b"SSH-")), None)
    if chosen is None:
        chosen = next((line for line in lines if line.strip()), None)
    return network_text(chosen) if chosen is not None else None


_IAC = 255


def strip_telnet(raw: bytes) -> bytes:
    """``raw`` without telnet IAC negotiation (commands, options, subnegotiations); IAC IAC is
    a literal 255. Nothing is ever answered to the negotiation."""
    out = bytearray()
    i = 0
    while i < len(raw):
        byte = raw[i]
        if byte != _IAC:
            out.append(byte)
            i += 1
            continue
        command = raw[i + 1] if i + 1 < len(raw) else None
        if command == _IAC:
            out.append(_IAC)
            i += 2
        elif command is not None and 251 <= command <= 254:  # WILL, WONT, DO, DONT + option
            i += 3
        elif command == 250:  # SB … IAC SE
            end = raw.find(bytes([_IAC, 240]), i + 2)
            i = len(raw) if end < 0 else end + 2
        else:
            i += 2
    return bytes(out)


def greeting_text(raw: bytes, *, telnet: bool = False) -> str | None:
    """A server-first greeting as text (telnet negotiation removed), outer whitespace stripped;
    None when nothing printable came."""
    text = network_text(strip_telnet(raw) if telnet else raw).strip()
    return text or None


def certificate_names(der: bytes) -> tuple[str | None, str | None]:
    """(subject, issuer) of a DER certificate as RFC 4514 strings; (None, None) when unreadable.

    RFC 4514 writes the most specific RDN first (``CN=…,OU=…,O=…,C=…``); emailAddress keeps
    OpenSSL's name rather than its dotted OID, as vendor fingerprints quote it.
    """
    try:
        from cryptography import x509
        from cryptography.x509.oid import NameOID
    except ImportError:  # an install without the dependency still grabs every other banner
        return None, None
    names = {NameOID.EMAIL_ADDRESS: "emailAddress"}
    try:
        certificate = x509.load_der_x509_certificate(der)
        subject = certificate.subject.rfc4514_string(names)
        issuer = certificate.issuer.rfc4514_string(names)
    except Exception:  # a hostile or broken certificate is just unreadable
        return None, None
    return cap(subject), cap(issuer)


def tls_data(port: int, proto: str, der: bytes) -> dict[str, Any]:
    """The ``banner`` data of a TLS certificate."""
    subject, issuer = certificate_names(der)
    return {
        "port": port,
        "proto": proto,
        "protocol": Protocol.TLS.value,
        "subject": subject,
        "issuer": issuer,
    }


def line_data(port: int, proto: str, protocol: Protocol, banner: str) -> dict[str, Any]:
    """The ``banner`` data of an SSH, FTP, telnet or other greeting."""
    return {"port": port, "proto": proto, "protocol": protocol.value, "banner": banner}


def capture_data(capture: Capture) -> list[dict[str, Any]]:
    """The ``banner`` data a capture yields (pure): nothing when the port said nothing useful."""
    target, reply = capture.target, capture.reply
    port, proto = target.port, target.proto
    found: list[dict[str, Any]] = []
    probe = capture.probe
    if probe is Probe.SSH_READ:
        banner = ssh_banner(reply)
        if banner:
            found.append(line_data(port, proto, Protocol.SSH, banner))
    elif probe in (Probe.FTP_READ, Probe.TELNET_READ, Probe.GREETING_READ):
        protocol = PROBE_PROTOCOLS[probe][0]
        text = greeting_text(reply, telnet=probe is Probe.TELNET_READ)
        if text:
            found.append(line_data(port, proto, protocol, text))
    elif probe in (Probe.HTTP_GET, Probe.TLS_HTTP_GET):
        if capture.certificate:
            found.append(tls_data(port, proto, capture.certificate))
        parsed = parse_reply(reply)
        # A port that answered something other than HTTP (an SDK port, a TLS-only service)
        # says nothing an HTTP banner could carry.
        if parsed.status is not None or html_title(parsed.body) is not None:
            found.append(http_data(port, proto, parsed))
    elif probe is Probe.RTSP_OPTIONS:
        parsed = parse_reply(reply)
        if parsed.status is not None:
            found.append(rtsp_data(port, proto, parsed))
    elif probe is Probe.SIP_OPTIONS:
        parsed = parse_reply(reply)
        if parsed.status is not None:
            found.append(sip_data(port, proto, parsed))
    return found


def observations_of(capture: Capture, *, time: datetime) -> list[Observation]:
    """The ``banner`` observations of one capture (pure)."""
    return [
        Observation(
            source=Source.NMAP,
            kind=ObservationKind.BANNER,
            time=time,
            vantage=VANTAGE,
            ip=capture.target.ip,
            data=data,
        )
        for data in capture_data(capture)
    ]


# --- requests ----------------------------------------------------------------------------------


def _authority(ip: str, port: int, default: int) -> str:
    return ip if port == default else f"{ip}:{port}"


def http_request(ip: str, port: int, user_agent: str, *, tls: bool = False) -> bytes:
    """``GET / HTTP/1.0`` with a Host header and a User-Agent naming scopeaudit."""
    host = _authority(ip, port, 443 if tls else 80)
    return (
        f"GET / HTTP/1.0\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")


def rtsp_request(ip: str, port: int, user_agent: str) -> bytes:
    """``OPTIONS rtsp://ip/ RTSP/1.0`` with CSeq 1."""
    url = f"rtsp://{_authority(ip, port, 554)}/"
    return f"OPTIONS {url} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: {user_agent}\r\n\r\n".encode("ascii")


def sip_request(
    ip: str, port: int, local_ip: str, local_port: int, user_agent: str, *, transport: str
) -> bytes:
    """A SIP ``OPTIONS`` (RFC 3261 §11: asks capabilities, never rings a phone)."""
    tag = uuid.uuid4().hex
    lines = [
        f"OPTIONS sip:{_authority(ip, port, 5060)} SIP/2.0",
        f"Via: SIP/2.0/{transport.upper()} {local_ip}:{local_port};branch=z9hG4bK{tag[:16]};rport",
        "Max-Forwards: 70",
        f"From: <sip:scopeaudit@{local_ip}>;tag={tag[16:26]}",
        f"To: <sip:{ip}>",
        f"Call-ID: {tag}@{local_ip}",
        "CSeq: 1 OPTIONS",
        f"Contact: <sip:scopeaudit@{local_ip}:{local_port}>",
        "Accept: application/sdp",
        f"User-Agent: {user_agent}",
        "Content-Length: 0",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


# --- capture -----------------------------------------------------------------------------------


class HostPacer:
    """A token bucket of one token per host: consecutive probes of a host go out at least
    ``1 / rate`` seconds apart, whatever the number of threads.

    A host's probes take turns under that host's lock: ``acquire`` sleeps until the host's
    next turn, and ``release``, called once the probe's first packet is out (the connect
    returned or failed, the datagram was sent), counts the next turn from that moment. Late
    wake-ups and a busy interpreter therefore only ever widen the gap on the wire.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def acquire(self, host: str, stop_at: float) -> bool:
        """Wait for ``host``'s turn; False (holding nothing) when that turn is at or after
        ``stop_at``, the end of the budget. After True, call ``release`` exactly once."""
        with self._guard:
            lock = self._locks.setdefault(host, threading.Lock())
        lock.acquire()
        now = self._clock()
        start = max(now, self._next.get(host, now))
        if start >= stop_at:
            lock.release()
            return False
        if start > now:
            self._sleep(start - now)
        return True

    def release(self, host: str) -> None:
        """The probe of ``host`` is on the wire: its next turn is one interval from now."""
        self._next[host] = self._clock() + self._interval
        self._locks[host].release()


def _read(
    sock: socket.socket,
    deadline: float,
    limit: int,
    *,
    idle: float | None = None,
    done: Callable[[bytes], bool] | None = None,
) -> bytes:
    """Read until EOF, ``limit`` bytes, ``deadline``, ``done(data)``, or ``idle`` seconds of
    silence once something came."""
    data = bytearray()
    while len(data) < limit:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        if idle is not None and data:
            left = min(left, idle)
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(4096, limit - len(data)))
        except TimeoutError:
            break
        if not chunk:
            break
        data += chunk
        if done is not None and done(bytes(data)):
            break
    return bytes(data[:limit])


def _ssh_complete(data: bytes) -> bool:
    return any(line.startswith(b"SSH-") for line in data.split(b"\n")[:-1])


def _tls_context() -> ssl.SSLContext:
    """A client context that accepts any certificate and old devices' protocols and ciphers:
    the certificate is read, never trusted."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ssl.SSLError, ValueError):  # a build without legacy support keeps its defaults
        pass
    return context


def _capture(
    target: Target,
    probe: Probe,
    settings: BannerSettings,
    stop_at: float,
    context: ssl.SSLContext,
    sent: Callable[[], None] = lambda: None,
) -> Capture:
    """Run one probe against one target; errors are recorded, never raised. ``sent`` is
    called once the first packet is out (for the per-host pacing)."""
    result = Capture(target, probe)
    now = time.monotonic()
    connect_until = min(now + settings.connect_timeout_s, stop_at)
    try:
        if target.proto == "udp":
            _udp_sip(result, settings, min(now + settings.read_timeout_s, stop_at), sent)
            return result
        try:
            sock = socket.create_connection(
                (target.ip, target.port), timeout=max(0.05, connect_until - now)
            )
        finally:
            sent()
    except Exception as error:  # refused, unreachable, timed out: this port's silence
        result.error = type(error).__name__
        return result
    read_until = min(time.monotonic() + settings.read_timeout_s, stop_at)
    limit = settings.max_bytes
    try:
        with sock:
            if probe is Probe.SSH_READ:
                result.reply = _read(sock, read_until, limit, done=_ssh_complete)
            elif probe in (Probe.FTP_READ, Probe.TELNET_READ, Probe.GREETING_READ):
                result.reply = _read(sock, read_until, limit, idle=settings.idle_s)
            elif probe is Probe.HTTP_GET:
                sock.sendall(http_request(target.ip, target.port, settings.user_agent))
                result.reply = _read(sock, read_until, limit)
            elif probe is Probe.TLS_HTTP_GET:
                sock.settimeout(max(0.05, read_until - time.monotonic()))
                with context.wrap_socket(sock, server_hostname=None) as tls:
                    result.certificate = tls.getpeercert(binary_form=True)
                    request = http_request(target.ip, target.port, settings.user_agent, tls=True)
                    tls.sendall(request)
                    result.reply = _read_tls(tls, read_until, limit)
            elif probe is Probe.RTSP_OPTIONS:
                sock.sendall(rtsp_request(target.ip, target.port, settings.user_agent))
                result.reply = _read(sock, read_until, limit, done=_head_complete)
            elif probe is Probe.SIP_OPTIONS:
                local_ip, local_port = sock.getsockname()[:2]
                agent = settings.user_agent
                request = sip_request(
                    target.ip, target.port, local_ip, local_port, agent, transport="tcp"
                )
                sock.sendall(request)
                result.reply = _read(sock, read_until, limit, done=_head_complete)
    except Exception as error:  # a hostile or broken peer ends its own probe, nothing else
        result.error = type(error).__name__
    return result


def _head_complete(data: bytes) -> bool:
    return b"\r\n\r\n" in data or b"\n\n" in data


def _read_tls(tls: ssl.SSLSocket, deadline: float, limit: int) -> bytes:
    data = bytearray()
    try:
        while len(data) < limit:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            tls.settimeout(left)
            chunk = tls.recv(min(4096, limit - len(data)))
            if not chunk:
                break
            data += chunk
    except (TimeoutError, ssl.SSLError, OSError):
        pass  # what came before an abrupt close or a timeout is still the reply
    return bytes(data[:limit])


def _udp_sip(
    result: Capture, settings: BannerSettings, deadline: float, sent: Callable[[], None]
) -> None:
    target = result.target
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        # Connected: only the asked host's port is heard, and an ICMP refusal ends the wait.
        sock.connect((target.ip, target.port))
        local_ip, local_port = sock.getsockname()[:2]
        request = sip_request(
            target.ip, target.port, local_ip, local_port, settings.user_agent, transport="udp"
        )
        try:
            sock.send(request)
        finally:
            sent()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        sock.settimeout(left)
        try:
            result.reply = sock.recv(settings.max_bytes)
        except TimeoutError:
            result.error = "TimeoutError"


# --- the source --------------------------------------------------------------------------------


def probe_for(port: int, proto: str) -> Probe | None:
    """The probe a port gets, or None (an unknown protocol is not guessed at)."""
    table = UDP_PROBES if proto == "udp" else TCP_PROBES
    return table.get(port)


def _targets(items: Iterable[tuple[str, int, str]]) -> tuple[list[Target], int]:
    seen: dict[Target, None] = {}
    invalid = 0
    for item in items:
        try:
            ip, port, proto = item
            target = Target(str(IPv4Address(str(ip))), int(port), str(proto).lower())
        except (ValueError, TypeError):
            invalid += 1
            continue
        if not 0 < target.port < 65536 or target.proto not in ("tcp", "udp"):
            invalid += 1
            continue
        seen.setdefault(target, None)
    return list(seen), invalid


def _interleave(targets: Sequence[Target]) -> list[Target]:
    """Round-robin over hosts, so one host's pacing never holds the pool."""
    by_host: dict[str, list[Target]] = {}
    for target in sorted(targets, key=lambda t: (int(IPv4Address(t.ip)), t.proto, t.port)):
        by_host.setdefault(target.ip, []).append(target)
    order: list[Target] = []
    rounds = max((len(v) for v in by_host.values()), default=0)
    for index in range(rounds):
        order.extend(items[index] for items in by_host.values() if index < len(items))
    return order


def _shown(targets: Sequence[Target]) -> str:
    texts = [t.text() for t in targets]
    return ", ".join(texts[:16]) + (" …" if len(texts) > 16 else "")


def grab(
    scope: Scope,
    targets: Sequence[tuple[str, int, str]],
    *,
    settings: BannerSettings | None = None,
    lang: Language | None = None,
) -> BannerResult:
    """Grab the banners of ``targets`` (ip, port, ``tcp``/``udp``): open ports nmap found.

    Only what ``scope`` allows is contacted; printing ports are skipped entirely; ports without
    a known probe are left alone. Never raises for a peer's behaviour.
    """
    settings = settings or BannerSettings()
    language = lang or resolve_language()
    started = time.monotonic()
    stop_at = started + settings.budget_s
    result = BannerResult()
    chosen, invalid = _targets(targets)
    planned: list[tuple[Target, Probe]] = []
    print_ports: list[Target] = []
    outside = unsupported = 0
    for target in chosen:
        if not scope.allows(target.ip):
            outside += 1
        elif not payload_allowed(target.port):
            print_ports.append(target)
        else:
            probe = probe_for(target.port, target.proto)
            if probe is None:
                unsupported += 1
            else:
                planned.append((target, probe))
    probe_of = dict(planned)
    order = _interleave([t for t, _ in planned])
    pacer = HostPacer(settings.per_host_rate)
    context = _tls_context()
    starts: dict[Target, datetime] = {}
    skipped: list[Target] = []
    lock = threading.Lock()

    def one(target: Target) -> Capture | None:
        if time.monotonic() >= stop_at:
            with lock:
                skipped.append(target)
            return None
        if not pacer.acquire(target.ip, stop_at):
            with lock:
                skipped.append(target)
            return None
        released = False

        def sent() -> None:
            nonlocal released
            if not released:
                released = True
                pacer.release(target.ip)

        with lock:
            starts[target] = utc_now()
        try:
            return _capture(target, probe_of[target], settings, stop_at, context, sent)
        finally:
            sent()

    captures: list[Capture] = []
    if order:
        with ThreadPoolExecutor(max_workers=max(1, settings.concurrency)) as pool:
            captures = [c for c in pool.map(one, order) if c is not None]
    result.captures = captures
    answered: set[Target] = set()
    for capture in captures:
        found = observations_of(capture, time=starts.get(capture.target) or utc_now())
        if found:
            answered.add(capture.target)
            result.observations.extend(found)

    for probe in Probe:
        sent = [t for t in order if probe_of[t] is probe and t in starts]
        if sent:
            first = min(starts[t] for t in sent)
            result.probes.append(
                ProbeRecord(
                    source=Source.NMAP,
                    action=PROBE_ACTIONS[probe],
                    targets=_shown(sent),
                    started_at=first,
                    count=len(sent),
                    rate_pps=settings.per_host_rate,
                    detail=(
                        f"per host at most {settings.per_host_rate:g} connections/s; connect "
                        f"{settings.connect_timeout_s:g} s, read {settings.read_timeout_s:g} s, "
                        f"replies capped at {settings.max_bytes} bytes"
                    ),
                )
            )
    if print_ports:
        result.probes.append(
            ProbeRecord(
                source=Source.NMAP,
                action="banner: printing ports skipped (nothing sent, not even a connect)",
                targets=_shown(print_ports),
                started_at=utc_now(),
                count=0,
                detail="PRINT_PORTS 515, 631, 9100-9107 count only as open (DESIGN §7)",
            )
        )
    problems: list[str] = []
    if invalid:
        problems.append(render(_MESSAGES, "invalid", {"count": invalid}, language))
    if skipped:
        params = {
            "seconds": f"{settings.budget_s:g}",
            "pending": len(skipped),
            "total": len(order),
        }
        problems.append(render(_MESSAGES, "budget", params, language))
    result.outcome = SourceOutcome(
        name=Source.NMAP,
        ok=not problems,
        error="; ".join(problems) if problems else None,
        duration_s=round(time.monotonic() - started, 3),
        detail={
            "part": "banners",
            "targets": len(chosen),
            "probed": len(starts),
            "answered": len(answered),
            "skipped_print_ports": len(print_ports),
            "skipped_out_of_scope": outside,
            "skipped_no_probe": unsupported,
            "skipped_budget": len(skipped),
            "invalid": invalid,
        },
    )
    return result


def targets_from(
    observations: Iterable[Observation], *, sip_udp: bool = True
) -> list[tuple[str, int, str]]:
    """The banner targets of a scan: every open port of nmap's ``port`` observations, plus UDP
    5060 of each host with an open TCP port when ``sip_udp`` (desk phones speak SIP over UDP,
    which the light TCP probe cannot see; one OPTIONS datagram each)."""
    found: dict[tuple[str, int, str], None] = {}
    hosts: dict[str, None] = {}
    for item in observations:
        if item.kind is not ObservationKind.PORT or not item.ip:
            continue
        if item.data.get("state") != "open":
            continue
        port, proto = item.data.get("port"), str(item.data.get("proto") or "tcp")
        if not isinstance(port, int):
            continue
        found.setdefault((item.ip, port, proto), None)
        if proto == "tcp":
            hosts.setdefault(item.ip, None)
    if sip_udp:
        for ip in hosts:
            found.setdefault((ip, 5060, "udp"), None)
    return list(found)

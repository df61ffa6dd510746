"""Banner grabbing: pure parsers on bytes recorded from the lab personas and on hostile input,
the capture against real loopback servers, and the whole grab in the lab (root)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import socket
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.scope import PRINT_PORTS, Scope
from scopeaudit.sources import MAX_STRING, TRUNCATION_MARK
from scopeaudit.sources.banners import (
    PROBE_ACTIONS,
    PROBE_PROTOCOLS,
    TCP_PROBES,
    UDP_PROBES,
    BannerSettings,
    Capture,
    HostPacer,
    Probe,
    Protocol,
    Target,
    capture_data,
    certificate_names,
    grab,
    greeting_text,
    html_title,
    parse_reply,
    ssh_banner,
    strip_telnet,
    targets_from,
)
from scopeaudit.sources.nmap import PROBE_PORTS
from scopeaudit.taxonomy import Language, Source

DATA = Path(__file__).parent / "data" / "banners"
REPO = Path(__file__).resolve().parents[2]


def recorded(name: str) -> bytes:
    return (DATA / name).read_bytes()


def one(capture: Capture, protocol: str) -> dict[str, object]:
    found = [d for d in capture_data(capture) if d["protocol"] == protocol]
    assert len(found) == 1, found
    return found[0]


# --- pure parsers on recorded lab replies -------------------------------------------------------


def test_hikvision_http_keeps_header_order_and_server() -> None:
    reply = parse_reply(recorded("hikvision-80.http"))
    assert reply.status == 200
    names = [name for name, _ in reply.headers]
    assert names.index("Date") < names.index("Server")  # nmap's Hikvision rule relies on it
    data = one(
        Capture(
            Target("10.77.0.64", 80, "tcp"), Probe.HTTP_GET, reply=recorded("hikvision-80.http")
        ),
        "http",
    )
    assert data["server"] == "App-webs/"
    assert data["title"] == ""  # present but empty: read, not invented
    assert data["headers"][:2] == [["Date", reply.header("date")], ["Server", "App-webs/"]]
    assert data["location"] is None


def test_esxi_redirect_and_script_title() -> None:
    redirect = one(
        Capture(Target("10.77.0.50", 80, "tcp"), Probe.HTTP_GET, reply=recorded("esxi-80.http")),
        "http",
    )
    assert redirect["status"] == 301
    assert redirect["location"] == "https://esx01.lab.local/"
    assert redirect["server"] is None
    assert redirect["title"] is None or "301" in str(redirect["title"])
    page = parse_reply(recorded("esxi-443.http"))
    assert "ID_EESX_Welcome" in str(html_title(page.body))


@pytest.mark.parametrize(
    ("name", "subject", "issuer"),
    [
        (
            "esxi-443.der",
            "emailAddress=ssl-certificates@vmware.com,CN=esx01.lab.local,"
            "OU=VMware ESX Server Default Certificate,O=VMware\\, Inc,L=Palo Alto,"
            "ST=California,C=US",
            None,
        ),
        (
            "idrac-443.der",
            "CN=idrac-7XK2M53,OU=Remote Access Group,O=Dell Inc.,L=Round Rock,ST=Texas,C=US",
            None,
        ),
        (
            "fortigate-443.der",
            "emailAddress=support@fortinet.com,CN=FGT60FTK21090001,OU=FortiGate,O=Fortinet,"
            "L=Sunnyvale,ST=California,C=US",
            None,
        ),
        (
            "yealink-443.der",
            "CN=805ec07a1501,O=Yealink,C=CN",
            "CN=Yealink Equipment Issuing CA,O=Yealink Network Technology Co.\\, Ltd.,C=CN",
        ),
    ],
)
def test_certificate_subject_and_issuer(name: str, subject: str, issuer: str | None) -> None:
    got_subject, got_issuer = certificate_names(recorded(name))
    assert got_subject == subject
    assert got_issuer == (issuer or subject)  # self-signed unless an issuer is given


def test_tls_capture_yields_certificate_and_page() -> None:
    capture = Capture(
        Target("10.77.0.254", 443, "tcp"),
        Probe.TLS_HTTP_GET,
        reply=recorded("fortigate-443.http"),
        certificate=recorded("fortigate-443.der"),
    )
    tls = one(capture, "tls")
    assert "OU=FortiGate" in str(tls["subject"])
    assert one(capture, "http")["title"] == "FortiGate"


def test_broken_certificates_are_unreadable_not_fatal() -> None:
    der = recorded("idrac-443.der")
    for broken in (b"", b"\x30\x82\xff\xff", b"not a certificate", der[: len(der) // 2]):
        assert certificate_names(broken) == (None, None)


def test_ssh_greetings() -> None:
    assert ssh_banner(recorded("cisco-22.ssh")) == "SSH-2.0-Cisco-1.25"
    # RFC 4253 §4.2: a server may send other lines before its identification.
    assert ssh_banner(b"Welcome\r\nto the box\r\nSSH-2.0-OpenSSH_9.2\r\n") == "SSH-2.0-OpenSSH_9.2"
    assert ssh_banner(b"\r\nnot ssh at all\r\n") == "not ssh at all"
    assert ssh_banner(b"") is None


def test_telnet_and_greetings() -> None:
    assert greeting_text(recorded("cisco-23.telnet"), telnet=True) == (
        "User Access Verification\r\n\r\nUsername:"
    )
    negotiated = b"\xff\xfb\x01\xff\xfb\x03\xff\xfa\x18\x01\xff\xf0login\xff\xff:"
    assert strip_telnet(negotiated) == b"login\xff:"
    assert greeting_text(b"\xff\xfd\x18\xff\xfd\x20") is not None  # not telnet: kept raw
    assert greeting_text(b"\xff\xfd\x18\xff\xfd\x20", telnet=True) is None
    authd = one(
        Capture(
            Target("10.77.0.50", 902, "tcp"),
            Probe.GREETING_READ,
            reply=recorded("esxi-902.greeting"),
        ),
        "greeting",
    )
    assert str(authd["banner"]).startswith("220 VMware Authentication Daemon Version 1.10")


def test_rtsp_and_sip_replies() -> None:
    rtsp = one(
        Capture(
            Target("10.77.0.64", 554, "tcp"),
            Probe.RTSP_OPTIONS,
            reply=recorded("hikvision-554.rtsp"),
        ),
        "rtsp",
    )
    assert rtsp["status"] == 401
    assert rtsp["server"] is None  # this camera names no server on RTSP
    headers = rtsp["headers"]
    assert isinstance(headers, list)
    assert ["CSeq", "1"] in headers
    assert sum(1 for name, _ in headers if name == "WWW-Authenticate") == 2
    sip = one(
        Capture(
            Target("10.77.0.120", 5060, "udp"),
            Probe.SIP_OPTIONS,
            reply=recorded("yealink-5060.sip"),
        ),
        "sip",
    )
    assert sip["status"] == 200
    assert sip["user_agent"] == "Yealink SIP-T46U 108.86.0.20"
    assert sip["proto"] == "udp"
    server_only = parse_reply(b"SIP/2.0 200 OK\r\nServer: Asterisk PBX 18.2\r\n\r\n")
    data = capture_data(
        Capture(
            Target("10.0.0.9", 5060, "udp"),
            Probe.SIP_OPTIONS,
            reply=b"SIP/2.0 200 OK\r\nServer: Asterisk PBX 18.2\r\n\r\n",
        )
    )[0]
    assert (
        server_only.header("server") == data["user_agent"] == data["server"] == "Asterisk PBX 18.2"
    )


def test_airtunes_trap_is_recorded_as_said() -> None:
    data = one(
        Capture(
            Target("10.77.0.103", 5000, "tcp"), Probe.HTTP_GET, reply=recorded("airtunes-5000.http")
        ),
        "http",
    )
    assert data["status"] == 403
    assert str(data["server"]).startswith("AirTunes/")


# --- hostile and broken input -------------------------------------------------------------------


def test_hostile_strings_are_kept_raw_but_decoded_and_capped() -> None:
    raw = (
        b"HTTP/1.1 200 OK\r\nServer: \x1b[31mred\x1b[0m =CMD|' /C CALC'!A0 \xff\xfe\x00end\r\n"
        b"Content-Type: text/html\r\n\r\n"
        b"<html><head><TITLE lang=x><script>alert(1)</script>\xc3\x28\x1b]8;;http://x\x07</TITLE>"
    )
    data = one(Capture(Target("10.0.0.1", 80, "tcp"), Probe.HTTP_GET, reply=raw), "http")
    server = str(data["server"])
    assert server.startswith("\x1b[31mred\x1b[0m =CMD|")  # raw: the renderers escape
    assert "\ufffd" in server and "\x00end" in server  # invalid UTF-8 replaced, NUL kept
    title = str(data["title"])
    assert title.startswith("<script>alert(1)</script>\ufffd(")
    huge = b"HTTP/1.0 200 OK\r\n\r\n<title>" + b"A" * 1_000_000
    long_title = html_title(parse_reply(huge).body)
    assert long_title is not None
    assert long_title.endswith(TRUNCATION_MARK)
    assert len(long_title) == MAX_STRING + len(TRUNCATION_MARK)


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\x01\x02garbage",
        b"HTTP/1.1",
        b"HTTP/1.1 abc OK\r\n\r\n",
        b"HTTP/1.1 200",
        b"\xff" * 5000,
        b"HTTP/1.1 200 OK\r\nno colon here\r\n: empty name\r\nX: 1\r\n",
    ],
)
def test_broken_replies_never_raise(raw: bytes) -> None:
    reply = parse_reply(raw)
    for probe in (Probe.HTTP_GET, Probe.RTSP_OPTIONS, Probe.SIP_OPTIONS, Probe.SSH_READ):
        for data in capture_data(Capture(Target("10.0.0.1", 80, "tcp"), probe, reply=raw)):
            assert data["port"] == 80
    # Only well-formed headers are read: the last case's "X: 1", nothing else.
    assert reply.headers in ((), (("X", "1"),))
    assert reply.status in (None, 200)


def test_header_folding_and_limits() -> None:
    folded = parse_reply(b"HTTP/1.1 200 OK\r\nServer: Part one\r\n  part two\r\n\r\n")
    assert folded.header("Server") == "Part one part two"
    many = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(1000)) + b"\r\n"
    assert len(parse_reply(many).headers) == 64
    bare_lf = parse_reply(b"HTTP/1.0 302 Found\nLocation: /x\n\n<title>t</title>")
    assert (bare_lf.status, bare_lf.header("location"), html_title(bare_lf.body)) == (
        302,
        "/x",
        "t",
    )


# --- closed sets and small parts ----------------------------------------------------------------


def test_probe_tables_are_exhaustive() -> None:
    assert set(PROBE_PROTOCOLS) == set(Probe)
    assert set(PROBE_ACTIONS) == set(Probe)
    yielded = {p for protocols in PROBE_PROTOCOLS.values() for p in protocols}
    assert yielded == set(Protocol)
    assert not PRINT_PORTS & (set(TCP_PROBES) | set(UDP_PROBES))
    documented = (REPO / "docs" / "observations.md").read_text()
    row = next(line for line in documented.splitlines() if line.startswith("| `banner`"))
    for protocol in Protocol:
        assert f"`{protocol.value}`" in row


def test_host_pacer_spaces_probes_of_one_host() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds + 0.003  # every wake-up is late: the gap widens, never shrinks

    pacer = HostPacer(10.0, clock=lambda: now[0], sleep=sleep)
    sent_at = []
    for _ in range(4):
        assert pacer.acquire("10.0.0.1", stop_at=1000.0)
        now[0] += 0.02  # the connect takes a while: the next turn counts from its end
        sent_at.append(now[0])
        pacer.release("10.0.0.1")
    assert slept == [0.1, 0.1, 0.1]
    assert all(b - a >= 0.1 for a, b in itertools.pairwise(sent_at))
    assert pacer.acquire("10.0.0.2", stop_at=1000.0)  # another host is not held back
    pacer.release("10.0.0.2")
    assert len(slept) == 3
    now[0] += 60.0
    assert pacer.acquire("10.0.0.1", stop_at=1000.0)  # no burst saved up, no wait either
    pacer.release("10.0.0.1")
    assert len(slept) == 3
    assert not pacer.acquire("10.0.0.1", stop_at=now[0] + 0.05)  # next turn past the budget
    assert len(slept) == 3
    assert pacer.acquire("10.0.0.1", stop_at=1000.0)  # a refused turn holds nothing
    pacer.release("10.0.0.1")


def _port(ip: str, port: int, proto: str = "tcp", state: str = "open") -> Observation:
    return Observation(
        source=Source.NMAP,
        kind=ObservationKind.PORT,
        time=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        vantage="nmap",
        ip=ip,
        data={"port": port, "proto": proto, "state": state},
    )


def test_targets_from_nmap_ports() -> None:
    observations = [
        _port("10.0.0.1", 22),
        _port("10.0.0.1", 80),
        _port("10.0.0.1", 443, state="closed"),
        _port("10.0.0.2", 9100),
        _port("10.0.0.2", 22),
    ]
    assert targets_from(observations) == [
        ("10.0.0.1", 22, "tcp"),
        ("10.0.0.1", 80, "tcp"),
        ("10.0.0.2", 9100, "tcp"),
        ("10.0.0.2", 22, "tcp"),
        ("10.0.0.1", 5060, "udp"),
        ("10.0.0.2", 5060, "udp"),
    ]
    assert ("10.0.0.1", 5060, "udp") not in targets_from(observations, sip_udp=False)


# --- capture against real loopback servers ------------------------------------------------------

# A loopback address of this test file's own (all of 127/8 is on lo), so no other test's
# listener is hit; the scope allows it explicitly (127/8 is not a private range for the guard).
LOOP = "127.88.8.1"
OTHER = "127.88.8.2"


def loop_scope() -> Scope:
    return Scope.from_cidrs([f"{LOOP}/32"], allow_public=True)


class _Server:
    """A TCP listener that records connections and bytes received, and answers via ``reply``."""

    def __init__(
        self,
        ip: str,
        port: int,
        reply: Callable[[socket.socket], None],
        context: ssl.SSLContext | None = None,
    ) -> None:
        self.connections = 0
        self.received = 0
        self.sock = socket.create_server((ip, port), reuse_port=False)
        self.sock.settimeout(0.2)
        self.reply = reply
        self.context = context
        self.running = True
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            conn.settimeout(1.0)
            self.reply(conn)
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def servers() -> Iterator[list[_Server]]:
    started: list[_Server] = []
    yield started
    for server in started:
        server.close()


def _http(body: bytes) -> Callable[[socket.socket], None]:
    def reply(conn: socket.socket) -> None:
        request = conn.recv(4096)
        assert request.startswith(b"GET / HTTP/1.0\r\n")
        conn.sendall(b"HTTP/1.0 200 OK\r\nServer: loop\r\n\r\n" + body)

    return reply


def test_print_ports_and_out_of_scope_are_never_contacted(servers: list[_Server]) -> None:
    def count(conn: socket.socket) -> None:
        raise AssertionError("nothing may connect here")

    servers.extend(_Server(LOOP, port, count) for port in (9100, 515, 631))
    servers.append(_Server(OTHER, 8080, count))
    servers.append(_Server(LOOP, 8080, _http(b"<title>ok</title>")))
    result = grab(
        loop_scope(),
        [
            (LOOP, 9100, "tcp"),
            (LOOP, 515, "tcp"),
            (LOOP, 631, "tcp"),
            (OTHER, 8080, "tcp"),
            (LOOP, 8080, "tcp"),
            ("nope", 1, "tcp"),
        ],
    )
    assert [s.connections for s in servers] == [0, 0, 0, 0, 1]
    assert [o.data["title"] for o in result.observations] == ["ok"]
    detail = result.outcome.detail
    assert (detail["skipped_print_ports"], detail["skipped_out_of_scope"], detail["invalid"]) == (
        3,
        1,
        1,
    )
    assert result.outcome.name is Source.NMAP
    skipped = [p for p in result.probes if "printing ports skipped" in p.action]
    assert skipped and skipped[0].count == 0 and f"{LOOP}:9100" in skipped[0].targets
    assert all(o.vantage == "banners" and o.source is Source.NMAP for o in result.observations)


def test_replies_are_capped(servers: list[_Server]) -> None:
    servers.append(_Server(LOOP, 8080, _http(b"<title>big</title>" + b"x" * 1_000_000)))
    result = grab(loop_scope(), [(LOOP, 8080, "tcp")])
    assert len(result.captures[0].reply) == BannerSettings().max_bytes
    assert result.observations[0].data["title"] == "big"


def _self_signed(tmp: Path) -> ssl.SSLContext:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Loop, Inc"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Test Unit"),
            x509.NameAttribute(NameOID.COMMON_NAME, "loop.test"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    return context


def test_tls_ssh_and_silent_sip_on_loopback(servers: list[_Server], tmp_path: Path) -> None:
    servers.append(_Server(LOOP, 8443, _http(b"<title>secure</title>"), _self_signed(tmp_path)))

    def ssh(conn: socket.socket) -> None:
        conn.sendall(b"SSH-2.0-LoopSSH_1.0\r\n")
        conn.recv(100)  # waits for the client's identification, which never comes

    servers.append(_Server(LOOP, 2222, ssh))
    result = grab(loop_scope(), [(LOOP, 8443, "tcp"), (LOOP, 2222, "tcp"), (LOOP, 5060, "udp")])
    by = {(o.data["port"], o.data["protocol"]): o.data for o in result.observations}
    assert by[(8443, "tls")]["subject"] == "CN=loop.test,OU=Test Unit,O=Loop\\, Inc"
    assert by[(8443, "http")]["title"] == "secure"
    assert by[(2222, "ssh")]["banner"] == "SSH-2.0-LoopSSH_1.0"
    assert (5060, "sip") not in by  # nothing listens: the refusal ends the wait, no exception
    assert result.outcome.ok and result.outcome.detail["probed"] == 3
    actions = {p.action for p in result.probes}
    assert len(actions) == 3 and all(p.rate_pps == 10 for p in result.probes)


def test_budget_stops_the_rest_and_says_so(servers: list[_Server]) -> None:
    released = threading.Event()

    def silent(conn: socket.socket) -> None:
        conn.recv(100)
        released.wait(10)  # holds the line: the probe waits on its read until the budget ends

    hosts = [f"127.88.8.{i}" for i in range(9, 13)]
    servers.extend(_Server(ip, 8080, silent) for ip in hosts)
    scope = Scope.from_cidrs(["127.88.8.8/29"], allow_public=True)
    settings = BannerSettings(budget_s=1.0, concurrency=2, read_timeout_s=30.0)
    try:
        result = grab(
            scope, [(ip, 8080, "tcp") for ip in hosts], settings=settings, lang=Language.FR
        )
    finally:
        released.set()
    assert [s.connections for s in servers] == [1, 1, 0, 0]
    assert not result.outcome.ok
    detail = result.outcome.detail
    assert (detail["probed"], detail["skipped_budget"], detail["answered"]) == (2, 2, 0)
    assert (
        result.outcome.error
        == "bannières : le budget de 1 s est épuisé ; 2 port(s) sur 4 non sondé(s)"
    )
    # The two in flight were cut at the budget, not at their 30 s read timeout.
    assert result.outcome.duration_s < 30


# --- the lab personas (root) --------------------------------------------------------------------

_LAB_SCRIPT = """
import json, sys
from scopeaudit.scope import Scope
from scopeaudit.sources import banners
from scopeaudit.sources.nmap import PROBE_PORTS
scope = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.224/28"])
hosts = json.loads(sys.argv[1])
targets = [(ip, port, "tcp") for ip in hosts for port in PROBE_PORTS]
targets += [(ip, 5060, "udp") for ip in hosts]
result = banners.grab(scope, targets)
print(json.dumps({
    "outcome": result.outcome.model_dump(mode="json"),
    "observations": [o.model_dump(mode="json") for o in result.observations],
    "contacted": sorted({c.target.text() for c in result.captures}),
}))
"""

LAB_HOSTS = {
    "rtr01": "10.77.0.1",
    "sw01": "10.77.0.2",
    "fw01": "10.77.0.254",
    "prn01": "10.77.0.30",
    "srv01": "10.77.0.40",
    "idrac01": "10.77.0.41",
    "esx01": "10.77.0.50",
    "mbp01": "10.77.0.103",
    "tel01": "10.77.0.120",
    "cam01": "10.77.0.64",
    "hostile01": "10.77.0.66",
    "br01": "10.77.20.50",
    "guest01": "10.77.0.230",
    "pub01": "203.0.113.10",
}


@pytest.mark.lab
def test_lab_personas_banners(lab: LabInstance) -> None:
    before = {p["id"]: p["canary"] for p in lab.status()["personas"]}
    done = lab.exec(
        [sys.executable, "-c", _LAB_SCRIPT, json.dumps(list(LAB_HOSTS.values()))], timeout=60
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    banners: dict[tuple[str, int, str], dict[str, object]] = {}
    for item in found["observations"]:
        data = item["data"]
        banners[(item["ip"], data["port"], data["protocol"])] = data

    cam = banners[("10.77.0.64", 80, "http")]
    assert cam["server"] == "App-webs/"
    names = [name for name, _ in cam["headers"]]  # type: ignore[union-attr]
    assert names.index("Date") < names.index("Server")
    assert "OU=VMware ESX Server Default Certificate" in str(
        banners[("10.77.0.50", 443, "tls")]["subject"]
    )
    assert str(banners[("10.77.0.50", 902, "greeting")]["banner"]).startswith(
        "220 VMware Authentication Daemon"
    )
    assert str(banners[("10.77.0.41", 443, "tls")]["subject"]).startswith(
        "CN=idrac-7XK2M53,OU=Remote Access Group,O=Dell Inc."
    )
    assert "OU=FortiGate" in str(banners[("10.77.0.254", 443, "tls")]["subject"])
    assert banners[("10.77.0.120", 5060, "sip")]["user_agent"] == "Yealink SIP-T46U 108.86.0.20"
    assert "Yealink Equipment Issuing CA" in str(banners[("10.77.0.120", 443, "tls")]["issuer"])
    assert banners[("10.77.0.1", 22, "ssh")]["banner"] == "SSH-2.0-Cisco-1.25"
    assert banners[("10.77.0.64", 554, "rtsp")]["status"] == 401
    assert str(banners[("10.77.0.103", 5000, "http")]["server"]).startswith("AirTunes/")
    # The hostile persona's words are kept raw (renderers escape them), decoded and capped.
    ssh = str(banners[("10.77.0.66", 22, "ssh")]["banner"])
    assert "\x1b[31m" in ssh and "\ufffd" in ssh and "\x00" in ssh
    title = str(banners[("10.77.0.66", 80, "http")]["title"])
    assert title.startswith("<script>alert(1)</script>")
    assert len(title) <= MAX_STRING + len(TRUNCATION_MARK)
    contacted = found["contacted"]

    # Printing ports: not contacted at all, on the printer and on the server's node_exporter.
    assert not [t for t in contacted if int(t.split(":")[1].split("/")[0]) in PRINT_PORTS]
    assert not [k for k in banners if k[1] in PRINT_PORTS]
    in_scope = len(LAB_HOSTS) - 2
    per_host = sum(1 for port in PROBE_PORTS if port in PRINT_PORTS)
    assert found["outcome"]["detail"]["skipped_print_ports"] == in_scope * per_host
    # The excluded and public canaries are never targeted.
    assert not [t for t in contacted if t.startswith(("10.77.0.230:", "203.0.113.10:"))]
    assert found["outcome"]["ok"] is True

    status = lab.status()
    canary = {p["id"]: p["canary"] for p in status["personas"]}
    # Compared with before the grab: other tests of the session lab write to the print ports on
    # purpose (to prove the counters count).
    earlier = before["prn01"]["print_port_bytes"]
    printer = canary["prn01"]["print_port_bytes"]
    assert not any(n - earlier.get(port, 0) for port, n in printer.items()), (earlier, printer)
    for persona in ("guest01", "pub01"):
        assert canary[persona]["frames_from_scanner"] == 0

"""Pure parts of the runtime: HTTP assembly against nmap's own rules, canary counting, the BPF
program, snmpd.conf, tokens and the hostile strings."""

from __future__ import annotations

import re
import socket
import struct
from pathlib import Path

import pytest

from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.hostile import HOSTILE, LABEL_SAFE, as_bytes, expand
from scopeaudit.lab.persona.link import classify_frame, scanner_filter
from scopeaudit.lab.persona.loader import load_kind
from scopeaudit.lab.persona.mdns import txt_rdata
from scopeaudit.lab.persona.snmp import load_v3_users, snmpd_config
from scopeaudit.lab.persona.spec import Interface, Spec
from scopeaudit.lab.persona.tcp import _request_target, build_response

PERSONAS = Path(__file__).resolve().parents[2] / "fixtures" / "lab" / "personas"
NOW = 1_700_000_000.0


def _ctx(kind: str, mac: str = "c0:56:e3:5a:6b:7c", ip: str = "10.77.0.64/24") -> Context:
    spec = Spec(
        id="t",
        interfaces=[Interface(name="nonexistent0", mac=mac, ip=ip)],
        kind=load_kind(PERSONAS / f"{kind}.yaml"),
        state_file="/nonexistent/state.json",
        run_dir="/nonexistent",
        kind_dir=str(PERSONAS),
    )
    return Context(spec)


def _http(kind: str, port: int, path: str = "*", **ctx_args: str) -> bytes:
    ctx = _ctx(kind, **ctx_args)
    service = next(s for s in ctx.spec.kind.services.tcp if s.port == port)
    response = service.routes[path]
    return build_response(ctx, response, ctx.render_bytes(response.body), "7", now=NOW)


# nmap-service-probes (Debian nmap 7.93) rules, copied verbatim: our bytes must match them.
NMAP_RULES = {
    ("hikvision-camera", 80): rb"^HTTP/1\.0 200 OK\r\nDate: .*\r\nServer: App-webs/\r\n",
    (
        "yealink-t46u",
        80,
    ): rb"^HTTP/1\.0 200 OK\r\n(?:[^\r\n]+\r\n)*?Content-Length: \d+\r\nConnection: close\r\nDate: [^\r\n]*\r\nServer: yealink embed httpd\r\n\r\n",
    (
        "vmware-esxi8",
        80,
    ): rb"^HTTP/1\.1 301 Moved Permanently\r\nDate: .*\r\nLocation: https://([\w._-]+)/\r\nConnection: close\r\nContent-Type: text/html\r\nContent-Length: 56\r\n\r\n<HTML><BODY><H1>301 Moved Permanently</H1></BODY></HTML>$",
    (
        "vmware-esxi8",
        443,
    ): rb"^HTTP/1\.1 200 OK\r\nDate: .*document\.write\(\"<title>\" \+ ID_EE?SX_Welcome \+ \"</title>",
    (
        "brother-hl-l2350dw",
        80,
    ): rb"^HTTP/1\.[01] \d\d\d (?:[^\r\n]*\r\n(?!\r\n))*?Server: [dD]ebut/(\d[-.\w]+)\r\n",
}


@pytest.mark.parametrize(("kind", "port"), list(NMAP_RULES), ids=lambda v: str(v))
def test_http_bytes_match_nmap_rules(kind: str, port: int) -> None:
    raw = _http(kind, port)
    assert re.match(NMAP_RULES[(kind, port)], raw, re.S), raw[:200]


def test_http_header_order_and_length_are_exact() -> None:
    raw = _http("hikvision-camera", 80)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.0 200 OK"
    assert [line.split(b":")[0] for line in lines[1:]] == [
        b"Date",
        b"Server",
        b"Content-Type",
        b"Content-Length",
        b"Connection",
    ]
    assert lines[1] == b"Date: Tue, 14 Nov 2023 22:13:20 GMT"
    assert lines[4] == b"Content-Length: " + str(len(body)).encode()


def test_rtsp_copies_cseq_and_challenges() -> None:
    raw = _http("hikvision-camera", 554)
    assert raw.startswith(
        b"RTSP/1.0 401 Unauthorized\r\nCSeq: 7\r\nWWW-Authenticate: Digest realm="
    )
    assert _request_target(b"OPTIONS rtsp://10.77.0.64:554/ RTSP/1.0\r\nCSeq: 2\r\n\r\n") == (
        "/",
        "2",
    )
    assert _request_target(b"GET /redfish/v1?x=1 HTTP/1.1\r\nHost: a\r\n\r\n") == (
        "/redfish/v1?x=1",
        "",
    )


def test_tokens_render_from_the_interface() -> None:
    raw = _http(
        "synology-ds920",
        5000,
        "/ssdp/desc-DSM-eth0.xml",
        mac="90:09:d0:1a:2b:3c",
        ip="10.77.0.31/24",
    )
    assert b"<UDN>uuid:73796E6F-6473-6D00-0000-9009d01a2b3c</UDN>" in raw
    assert b"<URLBase>http://10.77.0.31:5000/</URLBase>" in raw


def test_hostile_strings_reach_the_wire_raw() -> None:
    raw = _http("hostile", 80, mac="02:66:66:00:00:66", ip="10.77.0.66/24")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"<script>alert(1)</script>" in head  # Server header
    assert b"\xff\xfe" in head and b"\x1b[31m" in head and b"\xe2\x80\xae" in head
    assert as_bytes(HOSTILE["long"]) in body and b"\x00" in body
    assert b"{{" not in raw  # every token expanded


def test_hostile_catalogue() -> None:
    assert as_bytes(HOSTILE["invalid_utf8"]) == b"bad\xff\xfeutf8"
    with pytest.raises(UnicodeDecodeError):
        as_bytes(HOSTILE["invalid_utf8"]).decode("utf-8")
    assert expand("a{{hostile:script}}b") == "a<script>alert(1)</script>b"
    assert len(HOSTILE["long"]) > 255
    for name in LABEL_SAFE:  # usable as a DNS label: valid UTF-8, at most 63 bytes
        assert len(HOSTILE[name].encode("utf-8")) <= 63
    for needle in (
        "<script>",
        "=HYPERLINK(",
        "\x1b[",
        "[link=",
        "\u202e",
        "\x00",
        "@SUM(",
        "-2+3",
        "+cmd|",
    ):
        assert any(needle in value for value in HOSTILE.values()), needle


def test_classify_frame_counts_unicast_and_arp_for_us() -> None:
    own = {bytes.fromhex("3cd92b8e2a1f")}
    ips = {socket.inet_aton("10.77.0.30")}
    scanner = bytes.fromhex("8c8caa0000c8")
    unicast = bytes.fromhex("3cd92b8e2a1f") + scanner + b"\x08\x00" + b"\x00" * 40
    assert classify_frame(unicast, own, ips) == (True, False)
    arp = (
        b"\xff" * 6
        + scanner
        + b"\x08\x06"
        + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
        + scanner
        + socket.inet_aton("10.77.0.200")
        + b"\x00" * 6
        + socket.inet_aton("10.77.0.30")
    )
    assert classify_frame(arp, own, ips) == (False, True)
    other_ip = arp[:38] + socket.inet_aton("10.77.0.31")
    assert classify_frame(other_ip, own, ips) == (False, False)
    reply = arp[:20] + b"\x00\x02" + arp[22:]
    assert classify_frame(reply, own, ips) == (False, False)
    assert classify_frame(b"\x00" * 10, own, ips) == (False, False)


def test_scanner_filter_program() -> None:
    program = scanner_filter("8c:8c:aa:00:00:c8")
    instructions = [struct.unpack("HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    assert instructions[0] == (0x28, 0, 0, 6)  # ldh [6]: first two bytes of the source MAC
    assert instructions[1][3] == 0x8C8C
    assert instructions[3][3] == 0xAA0000C8
    assert instructions[-1] == (0x06, 0, 0, 0)  # drop everything else


def test_snmpd_config() -> None:
    kind = load_kind(PERSONAS / "hp-m404dn.yaml")
    assert kind.services.snmp is not None
    text = snmpd_config(kind.services.snmp, ["10.77.0.30"])
    lines = text.splitlines()
    assert "agentAddress udp:10.77.0.30:161" in lines
    assert "rocommunity public default" in lines
    assert "sysObjectID .1.3.6.1.4.1.11.2.3.9.1" in lines
    assert "sysName NPI8E2A1F" in lines and "sysServices 72" in lines
    assert "override .1.3.6.1.2.1.25.3.2.1.2.1 object_id .1.3.6.1.2.1.25.3.1.5" in lines
    assert 'override .1.3.6.1.2.1.25.3.2.1.3.1 octet_str "HP LaserJet Pro M404-M405"' in lines
    two = snmpd_config(kind.services.snmp, ["10.77.0.1", "10.77.20.1"])
    assert "agentAddress udp:10.77.0.1:161,udp:10.77.20.1:161" in two


def test_switch_snmpd_config_serves_the_bridge_and_v3_users() -> None:
    kind = load_kind(PERSONAS / "cisco-c9200.yaml")
    snmp = kind.services.snmp
    assert snmp is not None and snmp.bridge_mib == "br0"
    users = load_v3_users(PERSONAS / snmp.v3_users)
    assert [(u.user, u.auth_protocol, u.priv_protocol) for u in users] == [
        ("scopeaudit-lab", "SHA", "AES")
    ]
    lines = snmpd_config(snmp, ["10.77.0.2"], users, python="/py").splitlines()
    assert "rocommunity public default" in lines
    key, priv = users[0].auth_key, users[0].priv_key
    assert f'createUser scopeaudit-lab SHA "{key}" AES "{priv}"' in lines
    assert "rouser scopeaudit-lab priv" in lines  # read-only, authPriv only
    assert "pass_persist .1.3.6.1.2.1.17 /py -m scopeaudit.lab.persona.bridge_mib br0" in lines
    assert (
        "pass_persist .1.3.6.1.2.1.31.1.1.1.1 /py -m scopeaudit.lab.persona.bridge_mib --ifnames"
        in lines
    )
    assert not [line for line in lines if line.startswith("override .1.3.6.1.2.1.17")]
    router = load_kind(PERSONAS / "cisco-isr4331.yaml").services.snmp
    assert router is not None and router.v3_users and not router.bridge_mib


def test_bad_v3_users_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "v3.yaml"
    for text, fragment in [
        ("users: nope", "no 'users' list"),
        ("users: [{user: u, auth_protocol: MD4, auth_key: 12345678, priv_protocol: AES,"
         " priv_key: 12345678}]", "unknown auth or priv protocol"),
        ("users: [{user: u, auth_protocol: SHA, auth_key: short, priv_protocol: AES,"
         " priv_key: 12345678}]", "at least 8 characters"),
        ("{", "v3.yaml"),
    ]:  # fmt: skip
        bad.write_text(text)
        with pytest.raises(ValueError, match=re.escape(fragment)):
            load_v3_users(bad)


def test_txt_rdata_keeps_order_and_bytes() -> None:
    assert txt_rdata([b"b=2", b"a=1", b"x=\xff"]) == b"\x03b=2\x03a=1\x03x=\xff"
    assert len(txt_rdata([b"k" * 300])) == 256  # one entry holds at most 255 bytes

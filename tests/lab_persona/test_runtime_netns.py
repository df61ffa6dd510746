"""The persona runtime for real: five personas (printer, iPad, IP phone, Windows desktop, hostile
device) in their own network
namespaces on a bridge, probed from an observer namespace that plays the scanner.

Everything is created under a per-run prefix and removed in the fixture's teardown, also when a
test fails. Traffic stays between these namespaces: the bridge lives inside the observer's
namespace and has no link to any real interface.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.loader import load_kind
from scopeaudit.lab.persona.spec import Interface, Spec
from scopeaudit.lab.persona.tcp import build_response

pytestmark = [pytest.mark.root, pytest.mark.slow]

PERSONAS = Path(__file__).resolve().parents[2] / "fixtures" / "lab" / "personas"
PREFIX = f"h3t{os.getpid() % 100000}"
SCANNER_MAC = "8c:8c:aa:00:00:c8"
SCANNER_IP = "10.77.0.200"
PLAN = {  # id: (kind, mac, ip)
    "prn": ("hp-m404dn", "3c:d9:2b:8e:2a:1f", "10.77.0.30"),
    "pad": ("ipad-air", "6e:8b:2f:41:c7:5a", "10.77.0.110"),
    "tel": ("yealink-t46u", "80:5e:c0:7a:15:01", "10.77.0.120"),
    "win": ("windows11-desktop", "b0:4f:13:5c:99:01", "10.77.0.101"),
    "hos": ("hostile", "02:66:66:00:00:66", "10.77.0.66"),
}

CAPTURE = r"""
import json, socket, sys, time
iface, seconds, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((iface, 3)); s.settimeout(0.2)
open(out + ".ready", "w").close()
frames, end = [], time.monotonic() + seconds
while time.monotonic() < end:
    try:
        data = s.recv(65535)
    except socket.timeout:
        continue
    lldp = data[12:14] == b"\x88\xcc"
    dhcp = data[12:14] == b"\x08\x00" and data[23] == 17 and data[36:38] == b"\x00\x43"
    if lldp or dhcp:
        frames.append(data.hex())
json.dump(frames, open(out, "w"))
"""


def sh(*argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, check=check, capture_output=True, text=True, timeout=30)


def in_ns(ns: str, code: str, *args: str, timeout: float = 30) -> str:
    """Run Python ``code`` inside namespace ``ns`` and return its stdout."""
    done = subprocess.run(
        ["ip", "netns", "exec", ns, sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Site:
    obs: str
    tmp: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    start_s: dict[str, float] = field(default_factory=dict)
    capture_file: Path | None = None
    capture: subprocess.Popen[bytes] | None = None

    def ns(self, key: str) -> str:
        return f"{PREFIX}{key}"

    def state(self, key: str) -> dict[str, object]:
        data: dict[str, object] = json.loads((self.tmp / key / "state.json").read_text())
        return data

    def start_capture(self, name: str, seconds: float) -> Path:
        out = self.tmp / f"{name}.json"
        self.capture = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.obs,
                sys.executable,
                "-c",
                CAPTURE,
                "eth0",
                str(seconds),
                str(out),
            ]
        )
        deadline = time.monotonic() + 10
        while not Path(str(out) + ".ready").exists():
            assert time.monotonic() < deadline, "capture did not start"
            time.sleep(0.02)
        return out

    def captured(self, out: Path) -> list[bytes]:
        assert self.capture is not None
        self.capture.wait(30)
        return [bytes.fromhex(h) for h in json.loads(out.read_text())]


def _build(site: Site) -> None:
    obs = site.obs
    sh("ip", "netns", "add", obs)
    sh("ip", "-n", obs, "link", "add", "br0", "type", "bridge")
    # LLDP (01:80:c2:00:00:0e) is only forwarded with bit 14 of the group mask; no snooping.
    sh(
        "ip",
        "-n",
        obs,
        "link",
        "set",
        "br0",
        "type",
        "bridge",
        "group_fwd_mask",
        "0x4000",
        "mcast_snooping",
        "0",
        "stp_state",
        "0",
        "forward_delay",
        "0",
    )
    sh("ip", "-n", obs, "link", "add", "eth0", "type", "veth", "peer", "name", "tap0")
    sh("ip", "-n", obs, "link", "set", "tap0", "master", "br0", "up")
    sh("ip", "-n", obs, "link", "set", "eth0", "address", SCANNER_MAC)
    sh("ip", "-n", obs, "addr", "add", f"{SCANNER_IP}/24", "dev", "eth0")
    for dev in ("eth0", "br0", "lo"):
        sh("ip", "-n", obs, "link", "set", dev, "up")
    for key, (_kind, mac, ip) in PLAN.items():
        ns = site.ns(key)
        sh("ip", "netns", "add", ns)
        sh(
            "ip",
            "-n",
            obs,
            "link",
            "add",
            f"p{key}",
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        )
        sh("ip", "-n", obs, "link", "set", f"p{key}", "master", "br0", "up")
        sh("ip", "-n", ns, "link", "set", "eth0", "address", mac)
        sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
        sh("ip", "-n", ns, "link", "set", "eth0", "up")
        sh("ip", "-n", ns, "link", "set", "lo", "up")


def _spawn(site: Site, key: str) -> None:
    kind, mac, ip = PLAN[key]
    run = site.tmp / key
    run.mkdir(parents=True, exist_ok=True)
    spec = {
        "id": key,
        "namespace": site.ns(key),
        "profile": "friendly",
        "interfaces": [{"name": "eth0", "mac": mac, "ip": f"{ip}/24", "bridge": "lan"}],
        "gateway": SCANNER_IP,
        "scanner_mac": SCANNER_MAC,
        "kind": yaml.safe_load((PERSONAS / f"{kind}.yaml").read_text()),
        "kind_dir": str(PERSONAS),
        "state_file": str(run / "state.json"),
        "run_dir": str(run),
    }
    (run / "spec.json").write_text(json.dumps(spec))
    argv = ["ip", "netns", "exec", site.ns(key), sys.executable, "-m", "scopeaudit.lab.persona"]
    site.procs[key] = subprocess.Popen([*argv, str(run / "spec.json")])


def _teardown(site: Site) -> None:
    if site.capture is not None and site.capture.poll() is None:
        site.capture.kill()
    for proc in site.procs.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in site.procs.values():
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    for ns in [site.ns(k) for k in PLAN] + [site.obs]:
        pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        sh("ip", "netns", "del", ns, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    if os.geteuid() != 0:
        pytest.skip("needs root")  # the root marker already skips or fails; belt and braces
    site = Site(obs=f"{PREFIX}obs", tmp=tmp_path_factory.mktemp("personas"))
    try:
        _build(site)
        site.capture_file = site.start_capture("startup", 12.0)
        t0 = time.monotonic()
        for key in PLAN:  # all at once, as the lab supervisor starts them
            _spawn(site, key)
        waiting = set(PLAN)
        while waiting:
            for key in sorted(waiting):
                if (site.tmp / key / "state.json").exists():
                    site.start_s[key] = round(time.monotonic() - t0, 2)
                    waiting.discard(key)
                else:
                    assert site.procs[key].poll() is None, f"persona {key} exited at start"
            assert time.monotonic() - t0 < 20, f"no state file from {waiting}"
            time.sleep(0.01)
        time.sleep(1.0)  # the zeroconf announcements that follow registration
        yield site
    finally:
        _teardown(site)
    assert not any(n.startswith(PREFIX) for n in sh("ip", "netns", "list").stdout.split())


def _expected_http(kind: str, port: int, key: str) -> bytes:
    _kind, mac, ip = PLAN[key]
    spec = Spec(
        id=key,
        interfaces=[Interface(name="eth0", mac=mac, ip=f"{ip}/24")],
        kind=load_kind(PERSONAS / f"{kind}.yaml"),
        state_file="/nonexistent",
        run_dir="/nonexistent",
    )
    ctx = Context(spec)
    service = next(s for s in spec.kind.services.tcp if s.port == port)
    response = service.routes["*"]
    return build_response(ctx, response, ctx.render_bytes(response.body))


FETCH = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(sys.argv[3].encode().decode("unicode_escape").encode("latin-1"))
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
sys.stdout.write(data.hex())
"""


def fetch(site: Site, ip: str, port: int, request: str) -> bytes:
    return bytes.fromhex(in_ns(site.obs, FETCH, ip, str(port), request))


def test_started_with_every_service_and_no_error(site: Site) -> None:
    for key in PLAN:
        state = site.state(key)
        assert state["errors"] == [], (key, state["errors"])
        assert state["pid"] == site.procs[key].pid  # ip netns exec execs: same process
        services = state["services"]
        assert isinstance(services, list) and "canary" in services
    assert "udp/161 snmp" in site.state("prn")["services"]  # type: ignore[operator]
    assert "mdns" in site.state("pad")["services"]  # type: ignore[operator]
    assert "udp/5060 sip" in site.state("tel")["services"]  # type: ignore[operator]
    print(f"\nspawn -> first state file (s): {site.start_s}")


def test_http_banner_is_byte_exact(site: Site) -> None:
    raw = fetch(site, "10.77.0.30", 80, r"GET / HTTP/1.0\r\n\r\n")
    assert raw == _expected_http("hp-m404dn", 80, "prn")  # no Date header: equal to the byte
    phone = fetch(site, "10.77.0.120", 80, r"GET / HTTP/1.0\r\n\r\n")
    expected = _expected_http("yealink-t46u", 80, "tel")
    date = re.compile(rb"Date: [^\r]*\r\n")
    assert date.sub(b"Date: X\r\n", phone) == date.sub(b"Date: X\r\n", expected)
    assert re.match(
        rb"^HTTP/1\.0 200 OK\r\n(?:[^\r\n]+\r\n)*?Content-Length: \d+\r\nConnection: close\r\n"
        rb"Date: [^\r\n]*\r\nServer: yealink embed httpd\r\n\r\n",
        phone,
    )


def test_tls_certificates_carry_vendor_subjects(site: Site) -> None:
    def subject_issuer(ip: str) -> str:
        out = subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                site.obs,
                "openssl",
                "s_client",
                "-connect",
                f"{ip}:443",
                "-servername",
                ip,
            ],
            input="",
            capture_output=True,
            text=True,
            timeout=20,
        ).stdout
        return "\n".join(
            line for line in out.splitlines() if line.startswith(("subject=", "issuer="))
        )

    printer = subject_issuer("10.77.0.30")
    assert "CN = HP Jetdirect 8E2A1F" in printer and "O = Hewlett-Packard Co." in printer
    phone = subject_issuer("10.77.0.120")
    assert (
        'issuer=C = CN, O = "Yealink Network Technology Co., Ltd.", CN = Yealink Equipment Issuing CA'
        in phone
    )
    assert "subject=C = CN, O = Yealink, CN = 805ec07a1501" in phone


BROWSE = r"""
import json, sys, time
from zeroconf import IPVersion, ServiceBrowser, Zeroconf
zc = Zeroconf(interfaces=[sys.argv[1]], ip_version=IPVersion.V4Only)
found = {}
class Listener:
    def add_service(self, zc, kind, name): found[name] = kind
    def update_service(self, zc, kind, name): found[name] = kind
    def remove_service(self, zc, kind, name): pass
ServiceBrowser(zc, ["_ipp._tcp.local.", "_companion-link._tcp.local.", "_http._tcp.local."], Listener())
time.sleep(3)
out = {}
for name, kind in found.items():
    try:
        info = zc.get_service_info(kind, name, timeout=1500)
    except Exception:  # zeroconf refuses to resolve names with control characters
        info = None
    out[name] = info and {
        "server": info.server, "port": info.port, "addresses": info.parsed_addresses(),
        "txt": [k.decode("utf-8", "replace") + "=" + (v or b"").decode("utf-8", "replace")
                for k, v in (info.properties or {}).items()],
    }
zc.close()
print(json.dumps(out))
"""


def test_mdns_services_browse_and_resolve(site: Site) -> None:
    found = json.loads(in_ns(site.obs, BROWSE, SCANNER_IP))
    printer = found["HP LaserJet Pro M404-M405 [8E2A1F]._ipp._tcp.local."]
    assert printer["server"] == "NPI8E2A1F.local." and printer["port"] == 631
    assert printer["addresses"] == ["10.77.0.30"]
    assert "usb_MFG=HP" in printer["txt"] and "ty=HP LaserJet Pro M404-M405" in printer["txt"]
    ipad = found["Jane's iPad._companion-link._tcp.local."]
    assert ipad["server"] == "Janes-iPad.local." and ipad["addresses"] == ["10.77.0.110"]
    assert "rpMd=iPad13,16" in ipad["txt"] and "rpFl=0x30000" in ipad["txt"]


def _dhcp_fields(frame: bytes) -> tuple[str, dict[int, bytes], list[int]]:
    bootp = frame[42:]
    chaddr = bootp[28:34].hex(":")
    options, order, i = {}, [], 240
    while bootp[i] != 255:
        code, size = bootp[i], bootp[i + 1]
        options[code] = bootp[i + 2 : i + 2 + size]
        order.append(code)
        i += 2 + size
    return chaddr, options, order


def test_capture_sees_dhcp_and_lldp(site: Site) -> None:
    assert site.capture_file is not None
    frames = site.captured(site.capture_file)
    dhcp = [_dhcp_fields(f) for f in frames if f[12:14] == b"\x08\x00"]
    by_mac = {chaddr: (options, order) for chaddr, options, order in dhcp}
    printer_options, _ = by_mac["3c:d9:2b:8e:2a:1f"]
    assert (
        printer_options[12] == b"NPI8E2A1F" and printer_options[60] == b"Hewlett-Packard JetDirect"
    )
    assert printer_options[61] == bytes.fromhex("013cd92b8e2a1f")
    ipad_options, ipad_order = by_mac["6e:8b:2f:41:c7:5a"]
    assert 12 not in ipad_options and 60 not in ipad_options
    assert list(ipad_options[55]) == [1, 121, 3, 6, 15, 108, 114, 119, 252]
    assert ipad_order[:4] == [53, 55, 57, 61]
    phone_mac = bytes.fromhex("805ec07a1501")
    lldp = [f for f in frames if f[12:14] == b"\x88\xcc" and f[6:12] == phone_mac]
    assert lldp, "no LLDP frame from the phone crossed the bridge"
    phone = lldp[0]
    assert phone[:6] == bytes.fromhex("0180c200000e")
    assert b"SIP-T46U" in phone and b"\x00\x12\xbb" in phone  # system name, LLDP-MED OUI


SNMPGET = ["snmpget", "-v2c", "-c", "public", "-On", "-t", "2", "-r", "2"]


def test_snmpd_answers_the_system_group_and_printer_mib(site: Site) -> None:
    out = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            site.obs,
            *SNMPGET,
            "10.77.0.30",
            ".1.3.6.1.2.1.1.1.0",
            ".1.3.6.1.2.1.1.2.0",
            ".1.3.6.1.2.1.1.5.0",
            ".1.3.6.1.2.1.25.3.2.1.2.1",
            ".1.3.6.1.2.1.43.5.1.1.1.1",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    ).stdout
    assert 'STRING: "HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153' in out
    assert ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.11.2.3.9.1" in out
    assert '.1.3.6.1.2.1.1.5.0 = STRING: "NPI8E2A1F"' in out
    assert ".1.3.6.1.2.1.25.3.2.1.2.1 = OID: .1.3.6.1.2.1.25.3.1.5" in out
    assert ".1.3.6.1.2.1.43.5.1.1.1.1 = Counter32: 1" in out


SIP = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(5)
s.sendto(b"OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\n"
         b"To: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nContent-Length: 0\r\n\r\n",
         (sys.argv[1], 5060))
print(s.recv(4096).hex())
"""


def test_sip_options_names_the_phone(site: Site) -> None:
    reply = bytes.fromhex(in_ns(site.obs, SIP, "10.77.0.120")).decode()
    assert reply.startswith("SIP/2.0 200 OK\r\n")
    assert "User-Agent: Yealink SIP-T46U 108.86.0.20\r\n" in reply


SEND_ONLY = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
s.sendall(b"x" * int(sys.argv[3]))
s.shutdown(socket.SHUT_WR)
print(len(s.recv(4096)))  # what the port answered: must be nothing
"""


def test_canaries_count_bytes_frames_and_arp(site: Site) -> None:
    before = site.state("prn")["canary"]
    assert isinstance(before, dict)
    sh("ip", "-n", site.obs, "neigh", "flush", "dev", "eth0")
    assert in_ns(site.obs, SEND_ONLY, "10.77.0.30", "9100", "37").strip() == "0"
    assert in_ns(site.obs, SEND_ONLY, "10.77.0.30", "515", "5").strip() == "0"
    time.sleep(2.2)  # the state file is rewritten every second
    after = site.state("prn")["canary"]
    assert isinstance(after, dict)
    assert after["print_port_bytes"]["9100"] == before["print_port_bytes"].get("9100", 0) + 37
    assert after["print_port_bytes"]["515"] == before["print_port_bytes"].get("515", 0) + 5
    assert after["frames_from_scanner"] > before["frames_from_scanner"]
    assert after["arp_requests_from_scanner"] > before["arp_requests_from_scanner"]
    # the iPad was not probed: its unicast count did not move (only broadcasts reached it)
    ipad = site.state("pad")["canary"]
    assert isinstance(ipad, dict) and ipad["print_port_bytes"] == {}


def test_sighup_rotation_resends_dhcp_with_the_new_mac(site: Site) -> None:
    new_mac = "2a:11:22:33:44:55"
    sh("ip", "-n", site.ns("pad"), "link", "set", "eth0", "address", new_mac)
    out = site.start_capture("rotation", 3.0)
    site.procs["pad"].send_signal(signal.SIGHUP)
    frames = site.captured(out)
    dhcp = [
        _dhcp_fields(f)
        for f in frames
        if f[12:14] == b"\x08\x00" and f[6:12] == bytes.fromhex("2a1122334455")
    ]
    assert dhcp, "no DHCP from the rotated MAC"
    chaddr, options, _ = dhcp[0]
    assert chaddr == new_mac and options[61] == b"\x01" + bytes.fromhex("2a1122334455")
    time.sleep(1.2)
    assert site.state("pad")["macs"] == {"eth0": new_mac}


def test_hostile_mdns_names_reach_a_browser(site: Site) -> None:
    found = json.loads(in_ns(site.obs, BROWSE, SCANNER_IP))
    names = set(found)
    assert "<script>alert(1)</script>._http._tcp.local." in names  # through zeroconf
    assert "[link=http://evil]x[/link][bold red]alarm[/bold red]._http._tcp.local." in names
    # refused by zeroconf (control characters, NUL): announced as raw records, still seen
    assert "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\._http._tcp.local." in names
    assert "nul\x00byte._http._tcp.local." in names
    script = found["<script>alert(1)</script>._http._tcp.local."]
    assert "ty=+cmd|' /C calc'!A0" in script["txt"]


NBNS = r"""
import socket, struct, sys
sys.path.insert(0, sys.argv[2])
from scopeaudit.lab.persona import frames
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
name = struct.pack("!HHHHHH", 0x78, 0x0110, 1, 0, 0, 0) + frames.netbios_encode("DESKTOP-7K3Q2ZD", 0)
s.sendto(name + struct.pack("!HH", 0x20, 1), (sys.argv[1], 137))
print(s.recv(4096).hex())
status = struct.pack("!HHHHHH", 0x79, 0, 1, 0, 0, 0) + frames.netbios_encode("*", 0)
s.sendto(status + struct.pack("!HH", 0x21, 1), (sys.argv[1], 137))
print(s.recv(4096).hex())
"""


def test_netbios_answers_name_and_node_status(site: Site) -> None:
    src = str(Path(__file__).resolve().parents[2] / "src")
    name_reply, status_reply = (
        bytes.fromhex(line) for line in in_ns(site.obs, NBNS, "10.77.0.101", src).split()
    )
    assert name_reply[:2] == b"\x00\x78" and name_reply[-4:] == socket.inet_aton("10.77.0.101")
    assert status_reply[:2] == b"\x00\x79"
    assert b"DESKTOP-7K3Q2ZD\x00" in status_reply and b"CORP           \x00" in status_reply
    assert bytes.fromhex("b04f135c9901") in status_reply  # the MAC, as Windows reports it


MSEARCH = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
s.sendto(b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\n'
         b'MX: 1\r\nST: ssdp:all\r\n\r\n', ("239.255.255.250", 1900))
end = time.monotonic() + 2
while time.monotonic() < end:
    try:
        print(s.recv(4096).hex())
    except socket.timeout:
        pass
"""


def test_ssdp_answers_msearch_and_serves_the_description(site: Site) -> None:
    replies = [bytes.fromhex(h) for h in in_ns(site.obs, MSEARCH, SCANNER_IP).split()]
    hostile = [r for r in replies if b"LOCATION: http://10.77.0.66/desc.xml" in r]
    assert len(hostile) == 3  # ssdp:all: rootdevice, Basic:1 and the uuid
    assert all(r.startswith(b"HTTP/1.1 200 OK\r\n") for r in hostile)
    assert b"SERVER: [bold red]alarm[/bold red] UPnP/1.0 \x1b[31mRED\x1b[0m\r\n" in hostile[0]
    description = fetch(site, "10.77.0.66", 80, r"GET /desc.xml HTTP/1.1\r\nHost: x\r\n\r\n")
    assert b"<friendlyName><![CDATA[<script>alert(1)</script>" in description
    assert b"<modelName><![CDATA[+cmd|' /C calc'!A0\x1b]8;;http://x\x1b\\" in description


# Last: it stops the personas the tests above use.
def test_sigterm_stops_everything_within_two_seconds(site: Site) -> None:
    for key, proc in site.procs.items():
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(5) == 0
        assert time.monotonic() - t0 < 2.0, key
        assert sh("ip", "netns", "pids", site.ns(key)).stdout.split() == [], key  # no snmpd left
    assert site.state("prn")["stopped"] is True


def test_snmpd_dies_with_a_killed_runtime(tmp_path: Path) -> None:
    """SIGKILL leaves no clean-up to the runtime: snmpd must still go (PR_SET_PDEATHSIG)."""
    from scopeaudit.lab.persona.snmp import start_snmpd
    from scopeaudit.lab.persona.spec import Snmp

    # In an anonymous network namespace of its own (gone with its processes): udp/161 on its
    # loopback cannot clash with anything on the machine.
    child = subprocess.Popen(
        [
            "unshare",
            "--net",
            "sh",
            "-c",
            'ip link set lo up && exec "$0" "$@"',
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from scopeaudit.lab.persona.snmp import start_snmpd;"
            "from scopeaudit.lab.persona.spec import Snmp;"
            "p = start_snmpd(Snmp(sys_descr='d', sys_object_id='.1.3.6.1.4.1.8072.3.2.10',"
            " sys_name='n'), ['127.0.0.1'], Path(sys.argv[1]));"
            "print(p.pid, flush=True); time.sleep(60)",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    snmpd = int(child.stdout.readline())
    assert Path(f"/proc/{snmpd}").exists()
    child.kill()
    child.wait(5)
    deadline = time.monotonic() + 5
    while _alive(snmpd) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(snmpd)
    if alive:
        os.kill(snmpd, signal.SIGKILL)  # ours: do not leave it behind even when failing
    assert not alive
    del start_snmpd, Snmp


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (dead, not yet reaped by init) counts as gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status

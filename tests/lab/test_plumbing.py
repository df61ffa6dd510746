"""The lab's plumbing on a topology whose personas run no services (fixtures/lab/tests/bare.yaml).

Real namespaces, bridges, veths, nftables and persona runtimes; scans only inside the lab.
Each test module brings its own instance up once; lifecycle tests start their own.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from scopeaudit.errors import LabError
from scopeaudit.lab.instance import RUN_ROOT, Lab, LabInstance
from scopeaudit.lab.plumbing import existing_namespaces, instance_namespaces

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
BARE = REPO / "fixtures" / "lab" / "tests" / "bare.yaml"
LAN_TARGETS = ["10.77.0.0/25", "10.77.0.128/26", "10.77.0.192/27", "10.77.0.224/28"]  # .0-.239


def _name(tag: str) -> str:
    return f"{tag[:4]}{os.getpid() % 10000}"


@contextmanager
def _cleanup(name: str) -> Iterator[str]:
    """Whatever a lifecycle test does to its instance, nothing of it survives the test."""
    try:
        yield name
    finally:
        LabInstance(name).down()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _persona_pids(instance: LabInstance) -> list[int]:
    pids = []
    for persona in instance.status()["personas"]:
        state = json.loads(Path(persona["state_file"]).read_text())
        pids += [persona["runtime_pid"], state["pid"]]
    return [p for p in pids if isinstance(p, int)]


SEND_FRAME = """
import socket, sys, time
dst, src, kind = (bytes.fromhex(a.replace(":", "")) for a in sys.argv[1:4])
frame = dst + src + kind + bytes(46)
with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as raw:
    raw.bind(("eth0", 0))
    for _ in range(5):
        raw.send(frame)
        time.sleep(0.1)
"""


LLDP = ("01:80:c2:00:00:0e", "88cc")  # IEEE reserved: forwarded only with group_fwd_mask bit 14
CDP = ("01:00:0c:cc:cc:cc", "0030")  # an ordinary multicast (802.3 length field): always flooded


def _crosses_the_bridge(instance: LabInstance, frame: tuple[str, str]) -> bool:
    """Does a frame to ``frame``'s destination, sent by pc01, reach the technician?"""
    dst, kind = frame
    capture = instance.popen(
        ["tcpdump", "-i", "eth0", "-n", "-l", "-e", "-c", "1", f"ether dst {dst}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert capture.stderr is not None
        capture.stderr.readline()  # "listening on eth0…": the capture is ready
        mac = {p["id"]: p for p in instance.status()["personas"]}["pc01"]["macs"][0]
        argv = [sys.executable, "-c", SEND_FRAME, dst, mac, kind]
        sent = instance.exec(argv, ns="pc01", timeout=30)
        assert sent.returncode == 0, sent.stderr
        try:
            out, _ = capture.communicate(timeout=3)
        except subprocess.TimeoutExpired:
            return False
        return capture.returncode == 0 and dst in out
    finally:
        if capture.poll() is None:
            capture.kill()
            capture.wait()


@pytest.fixture(scope="module")
def bare() -> Iterator[LabInstance]:
    if os.geteuid() != 0:
        pytest.skip("needs root")
    with Lab.up(BARE, "friendly", name=_name("pb")) as instance:
        yield instance


def test_arp_and_ping_sweeps_see_the_lan_but_not_the_routed_hosts(bare: LabInstance) -> None:
    arp = bare.exec(["arp-scan", "-I", "eth0", "-q", "-x", *LAN_TARGETS], timeout=60)
    assert arp.returncode == 0, arp.stderr
    seen = {line.split()[0]: line.split()[1] for line in arp.stdout.splitlines() if line.strip()}
    assert seen["10.77.0.1"] == "70:10:5c:3a:11:01"
    # Two NICs on one subnet: each address answered by its own NIC only (no ARP flux).
    assert seen["10.77.0.40"] == "20:04:0f:6e:77:01"
    assert seen["10.77.0.42"] == "20:04:0f:6e:77:02"
    assert seen["10.77.0.101"] == "b0:4f:13:5c:99:01"
    assert seen["10.77.0.102"] == "a4:c3:f0:2d:5e:01"  # drops IPv4, still answers ARP
    assert "18:66:da:20:30:01" not in seen.values()  # br01 is behind the router
    assert "70:10:5c:3a:11:02" not in seen.values()
    sweep = bare.exec(["nmap", "-n", "-sn", "-oG", "-", *LAN_TARGETS], timeout=120)
    up = {line.split()[1] for line in sweep.stdout.splitlines() if "Status: Up" in line}
    assert {"10.77.0.1", "10.77.0.40", "10.77.0.42", "10.77.0.101", "10.77.0.102"} <= up
    assert not any(ip.startswith("10.77.20.") for ip in up)


def test_routed_subnet_through_the_router(bare: LabInstance) -> None:
    sweep = bare.exec(["nmap", "-n", "-sn", "-oG", "-", "10.77.20.0/24"], timeout=120)
    up = {line.split()[1] for line in sweep.stdout.splitlines() if "Status: Up" in line}
    assert up == {"10.77.20.1", "10.77.20.50"}
    # The router really forwarded: br01 is in its neighbour table, not in the technician's.
    router = bare.exec(["ip", "neigh", "show", "10.77.20.50"], ns="rtr01").stdout
    assert "18:66:da:20:30:01" in router
    assert "10.77.20.50" not in bare.exec(["ip", "neigh"]).stdout


def test_ttl_forwarding_and_firewall_per_namespace(bare: LabInstance) -> None:
    def sysctl(ns: str, key: str) -> str:
        return bare.exec(["sysctl", "-n", key], ns=ns).stdout.strip()

    assert sysctl("rtr01", "net.ipv4.ip_default_ttl") == "255"
    assert sysctl("rtr01", "net.ipv4.ip_forward") == "1"
    assert sysctl("lt01", "net.ipv4.ip_default_ttl") == "128"
    assert sysctl("pc01", "net.ipv4.ip_default_ttl") == "64"
    assert sysctl("pc01", "net.ipv4.ip_forward") == "0"
    assert ",UP," in bare.exec(["ip", "link", "show", "lo"], ns="pc01").stdout
    # lt01 drops inbound IPv4 (TCP gets no answer at all: "filtered"), pc01 answers (RST: closed).
    probe = ["nmap", "-n", "-Pn", "-sS", "-p", "445", "--max-retries", "1", "-oG", "-"]
    assert "445/filtered" in bare.exec([*probe, "10.77.0.102"], timeout=60).stdout
    assert "445/closed" in bare.exec([*probe, "10.77.0.101"], timeout=60).stdout
    # ... while lt01's own outbound traffic and the replies to it still flow.
    out = bare.exec(["nmap", "-n", "-sn", "-oG", "-", "10.77.0.101"], ns="lt01", timeout=60)
    assert "Status: Up" in out.stdout


def test_containment(bare: LabInstance) -> None:
    status = bare.status()
    switch = status["switch"]
    root_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for name in ("tech0", "p0e0", "g0"):
        assert f": {name}@" not in root_links and f": {name}:" not in root_links
    bridges = subprocess.run(
        ["ip", "-n", switch, "-o", "link", "show", "type", "bridge"], capture_output=True, text=True
    ).stdout
    assert sorted(line.split(":")[1].strip() for line in bridges.splitlines()) == ["branch", "lan"]
    # Only the lab's own veths are in the switch namespace: no physical or foreign link.
    links = subprocess.run(["ip", "-n", switch, "-o", "-d", "link"], capture_output=True, text=True)
    for line in links.stdout.splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        assert name in ("lo", "lan", "branch") or " veth " in line, line
    # No route out anywhere: the router has no default route, the lookup fails (nothing is sent).
    route = bare.exec(["ip", "route", "get", "192.0.2.1"], ns="rtr01")
    assert route.returncode != 0 and "unreachable" in route.stderr.lower()
    assert bare.exec(["ip", "route", "show"], ns=None).stdout.startswith("default via 10.77.0.1")
    assert (
        subprocess.run(["ip", "-n", switch, "route", "show"], capture_output=True, text=True).stdout
        == ""
    )


def test_bridge_settings_friendly(bare: LabInstance) -> None:
    switch = bare.status()["switch"]
    for bridge in ("lan", "branch"):
        read = ["ip", "netns", "exec", switch, "cat"]
        base = f"/sys/class/net/{bridge}/bridge/"
        mask = subprocess.run([*read, base + "group_fwd_mask"], capture_output=True, text=True)
        snooping = subprocess.run(
            [*read, base + "multicast_snooping"], capture_output=True, text=True
        )
        assert mask.stdout.strip() == "0x4000"
        assert snooping.stdout.strip() == "0"
    assert _crosses_the_bridge(bare, LLDP)  # friendly: forwarded like any frame


def test_status_rotate_stop_start(bare: LabInstance) -> None:
    status = bare.status()
    assert status["status"] == "ready" and status["profile"] == "friendly"
    personas = {p["id"]: p for p in status["personas"]}
    assert set(personas) == {"rtr01", "srv01", "pc01", "lt01", "br01"}
    assert all(p["running"] for p in personas.values())
    assert personas["srv01"]["macs"] == ["20:04:0f:6e:77:01", "20:04:0f:6e:77:02"]
    assert personas["srv01"]["ips"] == ["10.77.0.40", "10.77.0.42"]
    assert personas["pc01"]["namespace"] == bare.namespace_of("pc01")
    assert sum(1 for h in status["hosts"] if h["role"] == "silent") == 3

    mac = bare.rotate("pc01")
    first = int(mac.split(":")[0], 16)
    assert first & 0x02 and not first & 0x01  # locally administered unicast
    link = bare.exec(["ip", "-o", "link", "show", "eth0"], ns="pc01").stdout
    assert f"link/ether {mac}" in link
    assert {p["id"]: p for p in bare.status()["personas"]}["pc01"]["macs"] == [mac]
    arp = bare.exec(["arp-scan", "-I", "eth0", "-q", "-x", "10.77.0.101"], timeout=30).stdout
    assert mac in arp

    stopped = bare.stop_persona("pc01")
    assert stopped["running"] is False and stopped["stopped"] is True
    gone = bare.exec(["arp-scan", "-I", "eth0", "-q", "-x", "10.77.0.101"], timeout=30).stdout
    assert "10.77.0.101" not in gone  # the device left the network
    started = bare.start_persona("pc01")
    assert started["running"] is True
    back = bare.exec(["nmap", "-n", "-sn", "-oG", "-", "10.77.0.101"], timeout=30).stdout
    assert "Status: Up" in back

    with pytest.raises(LabError, match="nope"):
        bare.rotate("nope")


def test_canary_counts_rise(bare: LabInstance) -> None:
    def counts() -> tuple[int, int]:
        canary = {p["id"]: p for p in bare.status()["personas"]}["srv01"]["canary"]
        return canary["frames_from_scanner"], canary["arp_requests_from_scanner"]

    frames, arps = counts()
    bare.exec(["arp-scan", "-I", "eth0", "-q", "-x", "10.77.0.40"], timeout=30)
    bare.exec(["nmap", "-n", "-Pn", "-sS", "-p", "22,80", "-oG", "-", "10.77.0.40"], timeout=30)
    deadline = time.monotonic() + 6  # the state file is rewritten at least every 2 s
    while time.monotonic() < deadline and not (counts()[0] > frames and counts()[1] > arps):
        time.sleep(0.3)
    new_frames, new_arps = counts()
    assert new_arps > arps
    assert new_frames > frames


def test_exec_reports_the_command_code(bare: LabInstance) -> None:
    assert bare.exec(["sh", "-c", "exit 7"]).returncode == 7
    with pytest.raises(LabError):
        bare.exec(["true"], ns="nope")


# --- lifecycle: each test starts and ends its own instance -------------------------------------


def _supervisor_gone(pid: int, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_down_leaves_nothing() -> None:
    name = _name("pd")
    with _cleanup(name):
        instance = Lab.up(BARE, "realistic", name=name)
        pids = _persona_pids(instance)
        switch = instance.status()["switch"]
        mask = subprocess.run(
            ["ip", "netns", "exec", switch, "cat", "/sys/class/net/lan/bridge/group_fwd_mask"],
            capture_output=True,
            text=True,
        )
        assert mask.stdout.strip() == "0x0"  # realistic: LLDP is not forwarded
        assert _crosses_the_bridge(instance, CDP)  # the capture works...
        assert not _crosses_the_bridge(instance, LLDP)  # ...and LLDP stays on its link
        assert len(pids) == 10 and all(_alive(p) for p in pids)
        assert name in Lab.running()
        instance.down()
        assert instance_namespaces(name) == []
        assert not any(ns.startswith(f"sal-{name}") for ns in existing_namespaces())
        assert not any(_alive(p) for p in pids)
        assert not (RUN_ROOT / name).exists()
        assert name not in Lab.running()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_to_the_supervisor_tear_down(signum: int) -> None:
    name = _name(f"s{signum}")
    with _cleanup(name):
        instance = Lab.up(BARE, name=name)
        pids = _persona_pids(instance)
        supervisor = instance.supervisor_pid()
        assert supervisor is not None
        os.kill(supervisor, signum)
        assert _supervisor_gone(supervisor)
        assert instance_namespaces(name) == []
        assert not any(_alive(p) for p in pids)
        assert not (RUN_ROOT / name).exists()


def test_stale_lab_is_removed_by_the_next_up() -> None:
    name = _name("pk")
    with _cleanup(name):
        instance = Lab.up(BARE, name=name)
        pids = _persona_pids(instance)
        supervisor = instance.supervisor_pid()
        assert supervisor is not None
        os.kill(supervisor, signal.SIGKILL)
        assert _supervisor_gone(supervisor)
        assert instance_namespaces(name)  # killed -9: everything is still there, stale
        assert all(_alive(p) for p in pids)
        assert name not in Lab.running()
        again = Lab.up(BARE, name=name)
        try:
            assert not any(_alive(p) for p in pids)
            assert again.status()["status"] == "ready"
        finally:
            again.down()
        assert instance_namespaces(name) == []


def test_failed_up_leaves_nothing(tmp_path: Path) -> None:
    kind = tmp_path / "bad.yaml"
    kind.write_text("persona: broken\nservices: {nonsense: 1}\n")  # the runtime refuses it
    topology = tmp_path / "t.yaml"
    topology.write_text(
        BARE.read_text()
        .replace("kinds/router-ttl255.yaml", str(kind))
        .replace("../personas/bare.yaml", str(REPO / "fixtures/lab/personas/bare.yaml"))
        .replace(
            "kinds/silent-ttl128.yaml", str(REPO / "fixtures/lab/tests/kinds/silent-ttl128.yaml")
        )
    )
    name = _name("pf")
    with _cleanup(name):
        with pytest.raises(LabError, match="rtr01"):
            Lab.up(topology, name=name)
        assert instance_namespaces(name) == []
        assert not (RUN_ROOT / name).exists()

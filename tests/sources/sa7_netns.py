"""A small routed site in network namespaces for the nmap, snmp and names source tests.

Everything is named ``sa7-<pid>-…`` and lives in namespaces only: the bridges sit in their own
namespace, so nothing links to the machine's real interfaces. ``site()`` always tears down (on
failure and Ctrl-C too); a stale site of a killed run (its pid gone) is removed by the next one.

    lan 10.97.0.0/24:     scan .200 (the scanner), rtr .1, near .30, excl .245 (excluded)
    branch 10.97.20.0/24: rtr .1, far .50 (reachable only through rtr)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
PREFIX = "sa7-"
CLONE_NEWNET = 0x40000000

SCAN_MAC = "02:a7:00:00:00:c8"
SCAN_IP = "10.97.0.200"
RTR_IP = "10.97.0.1"
NEAR_IP = "10.97.0.30"
EXCL_IP = "10.97.0.245"
EXCL_MAC = "02:a7:00:00:00:f5"
FAR_IP = "10.97.20.50"
LAN = "10.97.0.0/24"
BRANCH = "10.97.20.0/24"
EXCLUDED = "10.97.0.240/28"

# name, [(bridge, ifname, mac, cidr)], gateway, forward
HOSTS: list[tuple[str, list[tuple[str, str, str, str]], str | None, bool]] = [
    ("scan", [("lan", "eth0", SCAN_MAC, f"{SCAN_IP}/24")], RTR_IP, False),
    (
        "rtr",
        [
            ("lan", "eth0", "02:a7:00:00:00:01", f"{RTR_IP}/24"),
            ("branch", "eth1", "02:a7:00:00:20:01", "10.97.20.1/24"),
        ],
        None,
        True,
    ),
    ("near", [("lan", "eth0", "02:a7:00:00:00:1e", f"{NEAR_IP}/24")], RTR_IP, False),
    ("excl", [("lan", "eth0", EXCL_MAC, f"{EXCL_IP}/24")], RTR_IP, False),
    ("far", [("branch", "eth0", "02:a7:00:00:20:32", f"{FAR_IP}/24")], "10.97.20.1", False),
]


def sh(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _delete_namespace(name: str) -> None:
    pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), sig)
        if not pids:
            break
        time.sleep(0.2)
        pids = sh("ip", "netns", "pids", name, check=False).stdout.split()
    sh("ip", "netns", "del", name, check=False)


def remove_stale() -> None:
    """Delete sa7 namespaces whose creating test process is gone (never anyone else's)."""
    for line in sh("ip", "netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        parts = name.split("-")
        mine = name.startswith(PREFIX) and len(parts) >= 3 and parts[1].isdigit()
        if mine and not _alive(int(parts[1])):
            _delete_namespace(name)


def in_namespace(namespace: str, fn: Callable[[], T], timeout: float = 600) -> T:
    """Run ``fn`` in a thread that joined ``namespace``: its sockets and children live there,
    while the test process itself stays where it was."""
    box: dict[str, Any] = {}

    def target() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                box["error"] = OSError(ctypes.get_errno(), "setns failed")
                return
        finally:
            os.close(fd)
        try:
            box["value"] = fn()
        except BaseException as error:
            box["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{fn} did not finish in {timeout} s")
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


class Site:
    """Handle on the namespaces of one test site."""

    def __init__(self, tag: str) -> None:
        self.prefix = f"{PREFIX}{os.getpid()}-{tag}-"
        self.created: list[str] = []
        self.procs: list[subprocess.Popen[bytes]] = []

    def ns(self, short: str) -> str:
        return self.prefix + short

    def add_ns(self, short: str) -> str:
        name = self.ns(short)
        sh("ip", "netns", "add", name)
        self.created.append(name)
        sh("ip", "-n", name, "link", "set", "lo", "up")
        return name

    def exec(self, short: str, *cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return sh("ip", "netns", "exec", self.ns(short), *cmd, check=check)

    def spawn(self, short: str, *cmd: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(["ip", "netns", "exec", self.ns(short), *cmd], **kwargs)
        self.procs.append(proc)
        return proc

    def python(self, short: str, script: Path, *args: str) -> subprocess.Popen[bytes]:
        return self.spawn(short, sys.executable, str(script), *args)

    def inside(self, short: str, fn: Callable[[], T], timeout: float = 600) -> T:
        return in_namespace(self.ns(short), fn, timeout)

    def build(self) -> None:
        sw = self.add_ns("sw")
        for bridge in ("lan", "branch"):
            sh("ip", "-n", sw, "link", "add", bridge, "type", "bridge")
            sh("ip", "-n", sw, "link", "set", bridge, "type", "bridge", "mcast_snooping", "0")
            sh("ip", "-n", sw, "link", "set", bridge, "up")
        port = 0
        for short, links, gateway, forward in HOSTS:
            name = self.add_ns(short)
            for bridge, ifname, mac, cidr in links:
                port += 1
                peer = f"p{port}"
                sh("ip", "-n", sw, "link", "add", peer, "type", "veth", "peer", "name", ifname,
                   "netns", name)  # fmt: skip
                sh("ip", "-n", sw, "link", "set", peer, "master", bridge, "up")
                sh("ip", "-n", name, "link", "set", ifname, "address", mac, "up")
                sh("ip", "-n", name, "addr", "add", cidr, "dev", ifname)
            if gateway:
                sh("ip", "-n", name, "route", "add", "default", "via", gateway)
            if forward:
                self.exec(short, "sysctl", "-qw", "net.ipv4.ip_forward=1")

    def teardown(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=3)
        for name in reversed(self.created):
            _delete_namespace(name)


@contextlib.contextmanager
def site(tag: str) -> Iterator[Site]:
    """Build the site, yield it, always tear it down."""
    remove_stale()
    handle = Site(tag)
    try:
        handle.build()
        # The first packets of a fresh namespace can race the links coming up.
        time.sleep(0.5)
        yield handle
    finally:
        handle.teardown()


def poke(net: Site, short: str, ip: str) -> None:
    """Send one UDP datagram from namespace ``short`` to ``ip`` (ARP first, then the frame)."""

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"sa7", (ip, 9))
        time.sleep(0.5)

    net.inside(short, send)


class FrameCounter:
    """tcpdump in a namespace, counting frames from the scanner aimed at that host."""

    def __init__(self, net: Site, short: str, ip: str, mac: str, folder: Path) -> None:
        self.path = folder / f"{short}.pcap"
        octets = "".join(f"{int(o):02x}" for o in ip.split("."))
        rule = (
            f"ether src {SCAN_MAC} and (ether dst {mac} or host {ip} or "
            f"(arp and arp[24:4] = 0x{octets}))"
        )
        self.proc = net.spawn(
            short,
            "tcpdump", "-i", "eth0", "-n", "-U", "--immediate-mode", "-Z", "root", "-w", str(self.path), rule,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while not self.path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)

    def count(self) -> int:
        time.sleep(0.3)
        out = sh("tcpdump", "-r", str(self.path), "-n", check=False).stdout
        return len([line for line in out.splitlines() if line.strip()])


class Capture:
    """tcpdump in a namespace with any filter; ``times()`` gives each frame's timestamp."""

    def __init__(self, net: Site, short: str, rule: str, path: Path) -> None:
        self.path = path
        self.proc = net.spawn(
            short,
            "tcpdump", "-i", "eth0", "-n", "-U", "--immediate-mode", "-Z", "root", "-w", str(path), rule,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 5
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)

    def times(self) -> list[float]:
        time.sleep(0.3)
        out = sh("tcpdump", "-r", str(self.path), "-n", "-tt", check=False).stdout
        return [float(line.split()[0]) for line in out.splitlines() if line.strip()]


def busiest_second(times: list[float]) -> int:
    """The most frames seen in any one-second window."""
    best, start = 0, 0
    for end, stamp in enumerate(times):
        while stamp - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best

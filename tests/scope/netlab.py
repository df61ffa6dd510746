"""A small flat L2 lab for the ARP sweep's tests and benchmark: namespaces on one bridge.

Layout: a bridge in its own namespace (nothing in the root namespace, no link to a real
interface), a scanner namespace and N host namespaces, each joined to the bridge by a veth.
Every name starts with a unique ``sa6-<pid>-`` prefix; ``FlatLab`` is a context manager that
removes everything it created, also on failure, after killing whatever still runs inside.

Used until the team's lab (``scopeaudit.lab``) offers generated flat networks.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PYTHON = str(REPO / ".venv" / "bin" / "python")
SCANNER_MAC = "8c:8c:aa:00:00:c8"


def _ip_batch(commands: Sequence[str], netns: str | None = None) -> None:
    args = ["ip", "-force", "-batch", "-"]
    if netns:
        args[1:1] = ["-n", netns]
    done = subprocess.run(
        args, input="\n".join(commands) + "\n", capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args[1:])} failed: {done.stderr.strip()}")


def host_mac(index: int) -> str:
    # 3c:d9:2b is an HP OUI: real-looking, globally administered
    return f"3c:d9:2b:{(index >> 16) & 0xFF:02x}:{(index >> 8) & 0xFF:02x}:{index & 0xFF:02x}"


def spread_hosts(
    network: IPv4Network, count: int, avoid: Sequence[IPv4Address]
) -> list[IPv4Address]:
    """``count`` addresses spread evenly over ``network``, skipping ``avoid``."""
    usable = network.num_addresses - 2
    step = max(1, usable // count)
    chosen: list[IPv4Address] = []
    value = int(network.network_address) + 1 + step // 2
    while len(chosen) < count:
        address = IPv4Address(value)
        if address not in avoid and address != network.broadcast_address:
            chosen.append(address)
        value += step
        if value >= int(network.broadcast_address):
            value = int(network.network_address) + 1 + len(chosen)
    return chosen


def _interruptible() -> None:
    """Let SIGINT stop a child however the harness runs (ignored or blocked signals survive exec)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@dataclass
class FlatLab:
    """A bridge, a scanner and ``hosts`` silent hosts (they answer ARP, nothing else)."""

    network: IPv4Network
    hosts: list[IPv4Address]
    scanner_ip: IPv4Address
    prefix: str = field(default_factory=lambda: f"sa6-{os.getpid()}-{int(time.time()) % 10000}")
    created: list[str] = field(default_factory=list)

    @property
    def bridge_ns(self) -> str:
        return f"{self.prefix}-br"

    @property
    def scanner_ns(self) -> str:
        return f"{self.prefix}-tech"

    def host_ns(self, index: int) -> str:
        return f"{self.prefix}-h{index}"

    def macs(self) -> dict[str, str]:
        return {str(ip): host_mac(i + 1) for i, ip in enumerate(self.hosts)}

    def __enter__(self) -> FlatLab:
        try:
            self._build()
        except BaseException:
            self.destroy()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.destroy()

    def _add_ns(self, name: str) -> None:
        subprocess.run(["ip", "netns", "add", name], check=True, capture_output=True)
        self.created.append(name)

    def _build(self) -> None:
        plen = self.network.prefixlen
        self._add_ns(self.bridge_ns)
        _ip_batch(
            [
                "link set lo up",
                "link add br0 type bridge stp_state 0 forward_delay 0 ageing_time 30000",
                "link set br0 up",
            ],
            self.bridge_ns,
        )
        self._add_ns(self.scanner_ns)
        members = [(self.scanner_ns, SCANNER_MAC, self.scanner_ip, "pt")]
        for i, ip in enumerate(self.hosts):
            name = self.host_ns(i + 1)
            self._add_ns(name)
            members.append((name, host_mac(i + 1), ip, f"p{i + 1}"))
        bridge_cmds: list[str] = []
        for ns, mac, _ip, port in members:
            bridge_cmds.append(f"link add {port} type veth peer name eth0 netns {ns} address {mac}")
            bridge_cmds.append(f"link set {port} master br0 up")
        _ip_batch(bridge_cmds, self.bridge_ns)
        for ns, _mac, ip, _port in members:
            _ip_batch(["link set lo up", "link set eth0 up", f"addr add {ip}/{plen} dev eth0"], ns)
        # Host namespaces only answer ARP; no IPv6 chatter to muddy counts.
        for ns, *_ in members:
            subprocess.run(
                ["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"],
                check=False,
                capture_output=True,
            )
        # Wait for the veths to be up (carrier) before anyone measures anything.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            out = subprocess.run(
                ["ip", "-n", self.scanner_ns, "-j", "link", "show", "eth0"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout
            if '"operstate":"UP"' in out.replace(" ", ""):
                break
            time.sleep(0.05)

    def destroy(self) -> None:
        for ns in reversed(self.created):
            pids = subprocess.run(
                ["ip", "netns", "pids", ns], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
        for ns in reversed(self.created):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)
        self.created.clear()

    def run(
        self, args: Sequence[str], *, netns: str | None = None, timeout: float = 900, **kw: Any
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside the scanner's namespace (or ``netns``)."""
        return subprocess.run(
            ["ip", "netns", "exec", netns or self.scanner_ns, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            **kw,
        )

    @contextlib.contextmanager
    def capture(self, path: Path) -> Iterator[None]:
        """tcpdump of the ARP frames the scanner's bridge port receives, into ``path``."""
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.bridge_ns,
                "tcpdump",
                "-i",
                "pt",
                "-Q",
                "in",
                "-n",
                "-s",
                "64",
                "-B",
                "32768",
                "--immediate-mode",
                "-U",
                "-w",
                str(path),
                "arp",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_interruptible,
        )
        try:
            time.sleep(0.3)  # tcpdump attaches its filter before the first frame
            yield
            time.sleep(0.3)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                _, err = proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            # "received by filter" also counts frames tcpdump never got to: only drops matter.
            match = re.search(r"(\d+) packets? dropped by kernel", err)
            lost = match is None or int(match.group(1)) != 0
            if lost:
                raise RuntimeError(f"capture lost frames: {err.strip()}")


def count_requests(pcap: Path) -> dict[str, int]:
    """ARP requests per target address in a classic pcap file (Ethernet link type)."""
    data = pcap.read_bytes()
    magic = int.from_bytes(data[:4], "little")
    order = "little" if magic in (0xA1B2C3D4, 0xA1B23C4D) else "big"
    offset = 24
    counts: dict[str, int] = {}
    while offset + 16 <= len(data):
        caplen = int.from_bytes(data[offset + 8 : offset + 12], order)
        frame = data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen
        if len(frame) >= 42 and frame[12:14] == b"\x08\x06" and frame[20:22] == b"\x00\x01":
            target = str(IPv4Address(frame[38:42]))
            counts[target] = counts.get(target, 0) + 1
    return counts


SWEEP_WORKER = """
import json, sys
from scopeaudit.scope import Scope
from scopeaudit.sources.arp import sweep
args = json.loads(sys.argv[1])
calls = []
scope = Scope.from_cidrs(args["networks"], args.get("exclude", []), allow_large=True)
result = sweep(scope, rate=args.get("rate", 2000), grace=args.get("grace", 0.25), senders=args.get("senders"),
               interface=args.get("interface"), progress=lambda d, t: calls.append((d, t)), attempts=args.get("attempts", 2), style=args.get("style", "probe"))
print(json.dumps({
    "outcome": result.outcome.model_dump(mode="json"),
    "observations": [o.model_dump(mode="json") for o in result.observations],
    "probe_log": [p.model_dump(mode="json") for p in result.probe_log],
    "frames_per_target": {str(k): v for k, v in result.stats.frames_per_target.items()},
    "frames_sent": result.stats.frames_sent,
    "targets": result.stats.targets,
    "duration_s": result.stats.duration_s,
    "progress": calls[-1:] + [len(calls)],
}))
"""


def run_sweep(lab: FlatLab, args: dict[str, Any], user: int | None = None) -> dict[str, Any]:
    """Run ``sweep`` in the scanner namespace in a fresh process (optionally as uid ``user``)."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "LANG": "C"}
    command = [PYTHON, "-c", SWEEP_WORKER, json.dumps(args)]
    if user is not None:
        # The venv's interpreter may live where an unprivileged user cannot read (/root):
        # the system's python3 with the venv's packages on its path runs the same code.
        site = next((REPO / ".venv" / "lib").glob("python3*/site-packages"))
        env["PYTHONPATH"] = f"{REPO / 'src'}:{site}"
        command = [
            "setpriv",
            f"--reuid={user}",
            f"--regid={user}",
            "--clear-groups",
            "--inh-caps=-all",
            "/usr/bin/python3",
            "-c",
            SWEEP_WORKER,
            json.dumps(args),
        ]
    done = lab.run(command, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"sweep worker failed ({done.returncode}): {done.stderr.strip()}")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


if __name__ == "__main__":  # manual poking: python tests/scope/netlab.py 10.9.0.0/24 5
    net = IPv4Network(sys.argv[1])
    with FlatLab(net, spread_hosts(net, int(sys.argv[2]), []), net.network_address + 200) as lab:
        print(run_sweep(lab, {"networks": [str(net)]})["outcome"])

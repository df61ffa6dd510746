"""Namespace, bridge, veth, sysctl and nftables plumbing of one lab instance.

Naming (Linux link names are limited to 15 characters, namespace names are not):
- namespaces: ``sal-<name>.sw`` (the bridges), ``sal-<name>.tech`` (the technician),
  ``sal-<name>-<persona id>``, ``sal-<name>.g<n>`` (silent hosts of generated networks);
- links inside the switch namespace: the bridge ids, ``tech0``, ``p<k>e<j>`` (persona k's
  interface j), ``g<n>``; inside a host namespace: ``eth0``, ``eth1``… in topology order.
A managed switch persona (``switch:`` in the topology) owns a bridge ``br0`` in its own
namespace, with its address on it (an SVI), an uplink port to a lab bridge and one access port
per plugged persona interface, named ``gi1-0-<port>`` (``GigabitEthernet1/0/<port>`` is not a
valid link name: it is set as the port's alias, which snmpd serves as ifAlias).
Every link is created directly inside the switch namespace with its peer in the host's
namespace, so nothing of the lab ever exists in the root namespace and nothing links to a real
interface. Commands are batched (``ip -batch``, ``ip -n``) because process starts dominate.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

from scopeaudit.lab.topology import GROUP_FWD_MASK, Firewall, Profile, Topology

PREFIX = "sal-"
NAME = re.compile(r"^[a-z0-9]{1,8}$")
NETNS_DIR = Path("/run/netns")
TECHNICIAN = "technician"

# Inbound IPv4 dropped, the persona's own emissions and the replies to them allowed: a Windows
# laptop on a public network profile. ARP is not IPv4 and still answered, as on the real device.
DROP_INBOUND_NFT = """table ip scopeaudit_lab {
  chain input {
    type filter hook input priority filter; policy drop;
    iifname "lo" accept
    ct state established,related accept
  }
}
"""


class PlumbingError(Exception):
    """A plumbing command failed; the message holds the command and its stderr."""


SWITCH_BRIDGE = "br0"


def port_ifname(port: int) -> str:
    """The link name of a managed switch's port ``port`` (Linux link names allow no '/')."""
    return f"gi1-0-{port}"


def port_alias(port: int) -> str:
    return f"GigabitEthernet1/0/{port}"


@dataclass(frozen=True)
class Link:
    """One veth pair: ``name`` in the host namespace, ``peer`` on the bridge in the switch one.

    Plugged into a managed switch persona (``switch`` = its key), ``peer`` is the access port
    ``gi1-0-<port>`` on that switch's ``br0``, in the switch persona's namespace.
    """

    name: str
    peer: str
    bridge: str
    mac: str
    ip: IPv4Interface
    switch: str | None = None
    port: int | None = None


@dataclass(frozen=True)
class ManagedSwitch:
    """What a switch persona's namespace holds besides the persona: br0 and its uplink."""

    ports: int
    uplink: int  # the port number of the uplink
    ageing_s: int
    vlan: int


@dataclass(frozen=True)
class HostNs:
    """A namespace hanging off the lab's bridges: the technician, a persona or a silent host."""

    key: str  # persona id, "technician", or "g<n>"
    netns: str
    role: str  # "technician" | "persona" | "silent"
    links: tuple[Link, ...]
    gateway: IPv4Address | None = None
    forward: bool = False
    ttl: int = 64
    firewall: Firewall = Firewall.NONE
    ipv6: bool = True
    switch: ManagedSwitch | None = None


@dataclass(frozen=True)
class Layout:
    """Every namespace and link of one instance, derived from the topology and the name."""

    name: str
    switch: str
    bridges: tuple[str, ...]
    hosts: tuple[HostNs, ...] = field(default_factory=tuple)

    @property
    def namespaces(self) -> list[str]:
        return [self.switch, *(h.netns for h in self.hosts)]

    def host(self, key: str) -> HostNs | None:
        return next((h for h in self.hosts if h.key == key), None)


def ns_prefix(name: str) -> str:
    return f"{PREFIX}{name}"


def layout_of(topology: Topology, name: str) -> Layout:
    """Name every namespace and link of instance ``name`` of ``topology``."""
    base = ns_prefix(name)
    tech = topology.technician
    hosts = [
        HostNs(
            key=TECHNICIAN,
            netns=f"{base}.tech",
            role="technician",
            links=(Link("eth0", "tech0", tech.bridge, tech.mac, tech.ip),),
            gateway=tech.gateway,
        )
    ]
    for k, persona in enumerate(topology.personas):
        links = tuple(
            Link(f"eth{j}", f"p{k}e{j}", i.bridge, i.mac, i.ip)
            if i.switch is None or i.port is None
            else Link(f"eth{j}", port_ifname(i.port), i.bridge, i.mac, i.ip, i.switch, i.port)
            for j, i in enumerate(persona.interfaces)
        )
        managed = None
        if persona.switch is not None:
            # The persona's address lives on the bridge (the SVI): its "interface" is br0.
            managed = ManagedSwitch(
                persona.switch.ports,
                persona.switch.uplink,
                persona.switch.ageing_s,
                persona.switch.vlan,
            )
            links = tuple(
                Link(SWITCH_BRIDGE, link.peer, link.bridge, link.mac, link.ip) for link in links
            )
        hosts.append(
            HostNs(
                key=persona.id,
                netns=f"{base}-{persona.id}",
                role="persona",
                links=links,
                gateway=persona.gateway,
                forward=persona.forward,
                ttl=persona.kind.ttl,
                firewall=persona.kind.firewall,
                switch=managed,
            )
        )
    hosts.extend(
        HostNs(
            key=f"g{host.index}",
            netns=f"{base}.g{host.index}",
            role="silent",
            links=(Link("eth0", f"g{host.index}", host.bridge, host.mac, host.ip),),
            gateway=host.gateway,
            ipv6=False,  # silent means silent: no DAD, MLD or router solicitations
        )
        for host in topology.silent_hosts
    )
    return Layout(
        name=name,
        switch=f"{base}.sw",
        bridges=tuple(b.id for b in topology.bridges),
        hosts=tuple(hosts),
    )


# --- pure command builders (unit-tested without root) -------------------------------------


def switch_batch(layout: Layout, profile: Profile) -> list[str]:
    """``ip -batch`` lines run inside the switch namespace: bridges, then every veth pair."""
    mask = GROUP_FWD_MASK[profile]
    lines = ["link set lo up"]
    for bridge in layout.bridges:
        # No snooping: every persona hears every mDNS/SSDP multicast, deterministically.
        lines.append(
            f"link add {bridge} type bridge stp_state 0 mcast_snooping 0 group_fwd_mask {mask:#x}"
        )
        lines.append(f"link set {bridge} up")
    for host in layout.hosts:
        for link in host.links:
            if link.switch is not None:
                continue  # plugged into a switch persona: made by managed_switch_batch
            if host.switch is not None:  # the switch persona's uplink, its far end a port of br0
                lines.append(
                    f"link add {link.peer} type veth peer name {port_ifname(host.switch.uplink)}"
                    f" netns {host.netns}"
                )
            else:
                lines.append(
                    f"link add {link.peer} type veth peer name {link.name} address {link.mac}"
                    f" netns {host.netns}"
                )
            lines.append(f"link set {link.peer} master {link.bridge} up")
    return lines


def managed_switch_batch(layout: Layout, switch: HostNs, profile: Profile) -> list[str]:
    """``ip -batch`` lines run inside a switch persona's namespace: br0, its ports.

    The ageing time is in centiseconds (USER_HZ) on the netlink interface. This kernel has no
    bridge VLAN filtering (``vlan_filtering 1`` is refused): one filtering database.
    """
    assert switch.switch is not None
    spec = switch.switch
    mask = GROUP_FWD_MASK[profile]
    svi = switch.links[0]
    uplink = port_ifname(spec.uplink)
    lines = [
        "link set lo up",
        f"link add {SWITCH_BRIDGE} address {svi.mac} type bridge stp_state 0 mcast_snooping 0"
        f" group_fwd_mask {mask:#x} ageing_time {spec.ageing_s * 100}",
        f"link set {uplink} alias {port_alias(spec.uplink)}",
        f"link set {uplink} master {SWITCH_BRIDGE} up",
    ]
    for host in layout.hosts:
        for link in host.links:
            if link.switch != switch.key or link.port is None:
                continue
            lines.append(
                f"link add {link.peer} type veth peer name {link.name} address {link.mac}"
                f" netns {host.netns}"
            )
            lines.append(f"link set {link.peer} alias {port_alias(link.port)}")
            lines.append(f"link set {link.peer} master {SWITCH_BRIDGE} up")
    return lines


def move_port_batch(old_port: int, new_port: int) -> list[str]:
    """Re-plug the cable of access port ``old_port`` into ``new_port``.

    The port leaves the bridge (the kernel forgets what it learned there), takes the new
    port's name and joins again; the host side sees its carrier drop and come back.
    """
    old, new = port_ifname(old_port), port_ifname(new_port)
    return [
        f"link set {old} down",
        f"link set {old} nomaster",
        f"link set {old} name {new}",
        f"link set {new} alias {port_alias(new_port)}",
        f"link set {new} master {SWITCH_BRIDGE} up",
    ]


def _source_routing(host: HostNs) -> list[str]:
    """Two NICs on one subnet: answer from the NIC that owns the address (no ARP flux)."""
    lines: list[str] = []
    subnets = [link.ip.network for link in host.links]
    for n, link in enumerate(host.links):
        if subnets.count(link.ip.network) < 2:
            continue
        table = 100 + n
        lines.append(f"rule add from {link.ip.ip} table {table}")
        lines.append(
            f"route replace {link.ip.network} dev {link.name} src {link.ip.ip} table {table}"
        )
        if host.gateway is not None and host.gateway in link.ip.network:
            lines.append(f"route replace default via {host.gateway} dev {link.name} table {table}")
    return lines


def host_batch(host: HostNs, addresses: bool = True) -> list[str]:
    """``ip -batch`` lines run inside a host namespace: addresses, links up, routes."""
    lines = ["link set lo up"]
    for link in host.links:
        if addresses:
            lines.append(f"addr replace {link.ip} dev {link.name}")
        lines.append(f"link set {link.name} up")
    if host.gateway is not None:
        lines.append(f"route replace default via {host.gateway}")
    if addresses:
        lines.extend(_source_routing(host))
    else:  # links brought back up: the policy routes went away with them
        lines.extend(line for line in _source_routing(host) if line.startswith("route"))
    return lines


def host_sysctls(host: HostNs) -> list[str]:
    """``sysctl -w`` assignments of a host namespace."""
    values = [
        f"net.ipv4.ip_default_ttl={host.ttl}",
        f"net.ipv4.ip_forward={int(host.forward)}",
        # Each interface answers ARP only for its own addresses (a two-NIC server must not
        # show both MACs for one IP), and picks a source address of its own subnet.
        "net.ipv4.conf.all.arp_ignore=1",
        "net.ipv4.conf.all.arp_announce=2",
    ]
    if host.ipv6:
        values += [f"net.ipv6.conf.{link.name}.hop_limit={host.ttl}" for link in host.links]
    else:
        values += ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]
    return values


# --- runners --------------------------------------------------------------------------------


def _run(argv: Sequence[str], stdin: str | None = None) -> None:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        what = " ".join(argv)
        detail = (done.stderr or done.stdout).strip().replace("\n", " | ")
        raise PlumbingError(f"`{what}` failed ({done.returncode}): {detail[:600]}")


def ip_batch(lines: Iterable[str], netns: str | None = None) -> None:
    """Run ``ip`` commands in one process, in ``netns`` when given."""
    argv = ["ip", *(["-n", netns] if netns else []), "-batch", "-"]
    _run(argv, "\n".join(lines) + "\n")


def netns_exec_argv(netns: str, argv: Sequence[str]) -> list[str]:
    return ["ip", "netns", "exec", netns, *argv]


def existing_namespaces() -> list[str]:
    try:
        return sorted(entry.name for entry in NETNS_DIR.iterdir())
    except FileNotFoundError:
        return []


_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def write_sysctls(netns: str, assignments: Sequence[str]) -> None:
    """Set ``key=value`` sysctls of ``netns`` without starting a process.

    Network sysctls under /proc/sys follow the calling *thread's* network namespace, so this
    thread enters ``netns``, writes, and always comes back (a thread left inside would start
    every later ``ip`` command in the wrong namespace). Falls back to ``sysctl`` in
    ``ip netns exec`` if the kernel refuses.
    """
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    target = os.open(NETNS_DIR / netns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if _libc.setns(target, _CLONE_NEWNET) != 0:
            _run(netns_exec_argv(netns, ["sysctl", "-q", "-w", *assignments]))
            return
        try:
            for assignment in assignments:
                key, value = assignment.split("=", 1)
                Path("/proc/sys", *key.split(".")).write_text(value)
        except OSError as error:
            raise PlumbingError(f"sysctl {assignment} in {netns}: {error}") from None
        finally:
            if _libc.setns(home, _CLONE_NEWNET) != 0:
                # Never carry on from the wrong namespace.
                os.abort()
    finally:
        os.close(target)
        os.close(home)


def _configure_host(host: HostNs) -> None:
    ip_batch(host_batch(host), host.netns)
    write_sysctls(host.netns, host_sysctls(host))
    if host.firewall is Firewall.DROP_INBOUND:
        _run(netns_exec_argv(host.netns, ["nft", "-f", "-"]), DROP_INBOUND_NFT)


def build(
    layout: Layout,
    profile: Profile,
    workers: int = 8,
    on_host_ready: Callable[[HostNs], None] | None = None,
) -> None:
    """Create every namespace, bridge and link of ``layout``; raises PlumbingError.

    ``on_host_ready(host)`` runs (in a worker thread) as soon as that host's namespace is set up.
    """
    ip_batch(f"netns add {ns}" for ns in layout.namespaces)
    # The switch namespace only forwards frames: without IPv6 its ports emit nothing of their own.
    no_ipv6 = ["net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]
    write_sysctls(layout.switch, no_ipv6)
    switches = [h for h in layout.hosts if h.switch is not None]
    for switch in switches:  # nor do a switch persona's ports; its SVI gets IPv6 back below
        write_sysctls(switch.netns, no_ipv6[1:])
    ip_batch(switch_batch(layout, profile), layout.switch)
    for switch in switches:
        ip_batch(managed_switch_batch(layout, switch, profile), switch.netns)
        write_sysctls(switch.netns, [f"net.ipv6.conf.{SWITCH_BRIDGE}.disable_ipv6=0"])

    def configure(host: HostNs) -> None:
        _configure_host(host)
        if on_host_ready is not None:
            on_host_ready(host)

    # Personas first: their runtimes are the slow part to start; silent hosts can wait.
    hosts = sorted(layout.hosts, key=lambda h: h.role != "persona")
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(configure, h) for h in hosts]:
            future.result()


def set_links(host: HostNs, up: bool) -> None:
    """Bring a host's interfaces down (the device left) or back up with its routes."""
    if up:
        ip_batch(host_batch(host, addresses=False), host.netns)
    else:
        ip_batch((f"link set {link.name} down" for link in host.links), host.netns)


def set_mac(host: HostNs, link_name: str, mac: str) -> None:
    ip_batch([f"link set dev {link_name} address {mac}"], host.netns)


def namespace_pids(netns: str) -> list[int]:
    done = subprocess.run(
        ["ip", "netns", "pids", netns], capture_output=True, text=True, check=False
    )
    return [int(word) for word in done.stdout.split() if word.isdigit()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:  # a zombie is dead for our purposes: its parent reaps it
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_namespace_processes(namespaces: Iterable[str], timeout: float = 3.0) -> list[int]:
    """SIGKILL every process living in the namespaces; returns the pids that were found."""
    namespaces = list(namespaces)
    pids = [pid for ns in namespaces if (NETNS_DIR / ns).exists() for pid in namespace_pids(ns)]
    own = os.getpid()
    pids = [pid for pid in pids if pid != own]
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.02)
    return pids


def destroy(namespaces: Iterable[str]) -> list[str]:
    """Kill every process of the namespaces and delete them; returns those that remain."""
    present = [ns for ns in namespaces if (NETNS_DIR / ns).exists()]
    if not present:
        return []
    kill_namespace_processes(present)
    # One batch for all; -force: a namespace that vanished meanwhile must not stop the others.
    subprocess.run(
        ["ip", "-force", "-batch", "-"],
        input="".join(f"netns del {ns}\n" for ns in present),
        capture_output=True,
        text=True,
        check=False,
    )
    return [ns for ns in present if (NETNS_DIR / ns).exists()]


def instance_namespaces(name: str) -> list[str]:
    """Every namespace that belongs to instance ``name``, from the names alone."""
    base = ns_prefix(name)
    return [ns for ns in existing_namespaces() if ns.startswith((base + ".", base + "-"))]

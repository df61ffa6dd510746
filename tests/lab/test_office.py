"""Acceptance of the standard site (issue 3 "done when"), through the session-scoped ``lab`` fixture.

Addresses are the lab plan's (fixtures/lab/office.yaml). LAN sweeps skip the contract's excluded
10.77.0.224/28 (guest01's) and nothing probes the public range; the last test proves the two
canaries stayed at zero.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.lab.topology import load_topology

pytestmark = [pytest.mark.root, pytest.mark.lab]

REPO = Path(__file__).resolve().parents[2]
OFFICE = REPO / "fixtures" / "lab" / "office.yaml"
EXCLUDED = IPv4Network("10.77.0.224/28")  # "Wi-Fi invités" in fixtures/contracts/demo.yaml
LAN_TARGETS = sorted(str(n) for n in IPv4Network("10.77.0.0/24").address_exclude(EXCLUDED))
NEVER_PROBED = {"guest01", "pub01"}


def _lan_personas() -> dict[str, str]:
    """IP -> MAC of every persona interface on the LAN that the tests may probe."""
    topology = load_topology(OFFICE)
    return {
        str(i.ip.ip): i.mac
        for p in topology.personas
        for i in p.interfaces
        if i.bridge == "lan" and i.ip.ip not in EXCLUDED
    }


def _personas(lab: LabInstance) -> dict[str, dict[str, Any]]:
    return {p["id"]: p for p in lab.status()["personas"]}


def test_arp_scan_and_ping_sweep_see_the_lan_not_the_routed_hosts(lab: LabInstance) -> None:
    expected = _lan_personas()
    arp = lab.exec(["arp-scan", "-I", "eth0", "-q", "-x", "-r", "3", *LAN_TARGETS], timeout=90)
    assert arp.returncode == 0, arp.stderr
    seen: dict[str, str] = {}
    for line in arp.stdout.splitlines():
        ip, mac = line.split()[:2]
        seen.setdefault(ip, mac)
    assert seen == expected
    sweep = lab.exec(["nmap", "-n", "-sn", "-oG", "-", *LAN_TARGETS], timeout=180)
    up = {line.split()[1] for line in sweep.stdout.splitlines() if "Status: Up" in line}
    assert up == set(expected) | {"10.77.0.200"}  # nmap lists the scanner itself
    assert not any(ip.startswith(("10.77.20.", "203.0.113.")) for ip in up)


def test_ping_sweep_through_the_router_sees_the_routed_hosts(lab: LabInstance) -> None:
    sweep = lab.exec(["nmap", "-n", "-sn", "-oG", "-", "10.77.20.0/24"], timeout=180)
    up = {line.split()[1] for line in sweep.stdout.splitlines() if "Status: Up" in line}
    assert up == {"10.77.20.1", "10.77.20.50"}


def test_router_snmp_shows_a_routed_hosts_mac(lab: LabInstance) -> None:
    lab.exec(["nmap", "-n", "-sn", "10.77.20.50"], timeout=30)  # the router resolves br01
    phys_address = "1.3.6.1.2.1.4.22.1.2"  # IP-MIB ipNetToMediaPhysAddress
    walk = lab.exec(
        ["snmpwalk", "-v2c", "-c", "public", "-On", "-t", "2", "10.77.0.1", phys_address],
        timeout=60,
    )
    assert walk.returncode == 0, walk.stderr
    br01 = [line for line in walk.stdout.splitlines() if ".10.77.20.50 = " in line]
    assert br01, walk.stdout
    assert "18 66 DA 20 30 01" in br01[0].upper()


MDNS_BROWSE = """
import json, sys, time
from zeroconf import ServiceBrowser, Zeroconf
wanted = sys.argv[1:]
found = {}
class L:
    def add_service(self, zc, type_, name):
        info = zc.get_service_info(type_, name, timeout=3000)
        found[name] = sorted(info.parsed_addresses()) if info else []
    def update_service(self, *a): pass
    def remove_service(self, *a): pass
zc = Zeroconf(interfaces=["10.77.0.200"])
browsers = [ServiceBrowser(zc, t, L()) for t in wanted]
deadline = time.time() + 12
while time.time() < deadline and not all(any(n.endswith(t) for n in found) for t in wanted):
    time.sleep(0.2)
zc.close()
print(json.dumps(found))
"""


def test_mdns_browse_sees_the_ipad_and_the_printer(lab: LabInstance) -> None:
    types = ["_companion-link._tcp.local.", "_ipp._tcp.local."]
    done = lab.exec([sys.executable, "-c", MDNS_BROWSE, *types], timeout=60)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    ipad = [addrs for name, addrs in found.items() if name.endswith("_companion-link._tcp.local.")]
    printer = [addrs for name, addrs in found.items() if name.endswith("_ipp._tcp.local.")]
    assert ["10.77.0.110"] in ipad, found
    assert ["10.77.0.30"] in printer, found


def _friendly_senders(service: str) -> tuple[set[str], float]:
    """MACs of the personas whose kind emits ``service`` in the friendly profile, and the
    longest interval among them."""
    topology = load_topology(OFFICE)
    macs: set[str] = set()
    longest = 0.0
    for persona in topology.personas:
        kind = persona.kind.data
        interval = ((kind.get("emit") or {}).get("friendly") or {}).get(service)
        if (
            (kind.get("services") or {}).get(service)
            and interval
            and persona.id not in NEVER_PROBED
        ) and persona.interfaces[0].bridge == "lan":
            macs.add(persona.interfaces[0].mac)
            longest = max(longest, float(interval))
    return macs, longest


def test_capture_shows_dhcp_and_lldp_from_the_personas_that_send_them(lab: LabInstance) -> None:
    from scapy.layers.l2 import Ether
    from scapy.utils import rdpcap

    dhcp_macs, dhcp_every = _friendly_senders("dhcp")
    lldp_macs, lldp_every = _friendly_senders("lldp")
    assert dhcp_macs and lldp_macs
    window = min(max(dhcp_every, lldp_every) + 4, 70)
    with tempfile.TemporaryDirectory() as folder:
        pcap = Path(folder) / "capture.pcap"
        capture = lab.popen(
            [
                "tcpdump",
                "-i",
                "eth0",
                "-U",
                "-n",
                "-w",
                str(pcap),
                "udp dst port 67 or ether proto 0x88cc",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(window)
        finally:
            capture.terminate()
            capture.wait(timeout=10)
        frames = rdpcap(str(pcap))
    dhcp_seen = {f[Ether].src for f in frames if Ether in f and f[Ether].type == 0x0800}
    lldp_seen = {f[Ether].src for f in frames if Ether in f and f[Ether].type == 0x88CC}
    assert dhcp_macs <= dhcp_seen, dhcp_macs - dhcp_seen
    assert lldp_macs <= lldp_seen, lldp_macs - lldp_seen


def _wait_for(check: Any, seconds: float = 6) -> bool:
    deadline = time.monotonic() + seconds  # state files are rewritten at least every 2 s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.3)
    return bool(check())


def test_canary_counts_rise_when_probed(lab: LabInstance) -> None:
    before = _personas(lab)["pc01"]["canary"]
    lab.exec(["arp-scan", "-I", "eth0", "-q", "-x", "10.77.0.101"], timeout=30)
    lab.exec(["nmap", "-n", "-Pn", "-sS", "-p", "80,443", "10.77.0.101"], timeout=30)

    def risen() -> bool:
        now = _personas(lab)["pc01"]["canary"]
        return (
            now["arp_requests_from_scanner"] > before["arp_requests_from_scanner"]
            and now["frames_from_scanner"] > before["frames_from_scanner"]
        )

    assert _wait_for(risen)


SEND = """
import socket, sys
for port, payload in ((9100, b"hello"), (515, b"abc")):
    with socket.create_connection(("10.77.0.30", port), timeout=5) as conn:
        conn.sendall(payload)
"""


def test_printer_counts_bytes_on_print_ports(lab: LabInstance) -> None:
    def ports() -> dict[str, int]:
        counts = _personas(lab)["prn01"]["canary"].get("print_port_bytes", {})
        return {str(k): int(v) for k, v in counts.items()}

    before = ports()
    assert lab.exec([sys.executable, "-c", SEND], timeout=30).returncode == 0
    assert _wait_for(
        lambda: (
            ports().get("9100", 0) == before.get("9100", 0) + 5
            and ports().get("515", 0) == before.get("515", 0) + 3
        )
    ), ports()


def test_status_lists_every_persona(lab: LabInstance) -> None:
    status = lab.status()
    topology = load_topology(OFFICE)
    personas = {p["id"]: p for p in status["personas"]}
    assert set(personas) == {p.id for p in topology.personas}
    for persona in topology.personas:
        entry = personas[persona.id]
        assert entry["running"], (persona.id, entry["log"])
        assert entry["ips"] == [str(i.ip.ip) for i in persona.interfaces]
        assert entry["namespace"] == lab.namespace_of(persona.id)
    assert len(personas) >= 16


def test_zz_canaries_never_probed_stay_at_zero(lab: LabInstance) -> None:
    personas = _personas(lab)
    for persona in NEVER_PROBED:
        canary = personas[persona]["canary"]
        assert canary["frames_from_scanner"] == 0, persona
        assert canary["arp_requests_from_scanner"] == 0, persona

"""The managed switch sw01 and the router rtr01 over SNMP, read with Debian's snmpwalk from the
technician's namespace of the session lab: what they serve is the kernel's live state.

- sw01's dot1dTpFdbTable maps each plugged persona's MAC to its port, and dot1dBasePortIfIndex
  maps that port to an ifIndex whose ifName is the port's link (v2c and v3 authPriv);
- a re-plugged persona shows on its new port; a stopped one leaves the table;
- rtr01's ipNetToMediaTable holds the silent branch laptop lap02, which nmap cannot find.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import yaml

from scopeaudit.lab.instance import LabInstance

pytestmark = [pytest.mark.root, pytest.mark.lab]

LAB = Path(__file__).resolve().parents[2] / "fixtures" / "lab"
SWITCH, ROUTER = "10.77.0.2", "10.77.0.1"
SWITCH_MAC = "4c:71:0c:5b:22:01"
FDB_PORT = ".1.3.6.1.2.1.17.4.3.1.2"
BASE_PORT_IFINDEX = ".1.3.6.1.2.1.17.1.4.1.2"
IF_NAME = ".1.3.6.1.2.1.31.1.1.1.1"
IP_NET_TO_MEDIA_PHYS = ".1.3.6.1.2.1.4.22.1.2"
PLUGGED = {  # office.yaml
    "pc01": ("b0:4f:13:5c:99:01", "10.77.0.101", 3),
    "mbp01": ("f4:d4:88:6a:10:01", "10.77.0.103", 4),
    "prn01": ("3c:d9:2b:8e:2a:1f", "10.77.0.30", 5),
    "prn02": ("3c:2a:f4:11:22:33", "10.77.0.33", 6),
    "tel01": ("80:5e:c0:7a:15:01", "10.77.0.120", 7),
    "cam01": ("c0:56:e3:5a:6b:7c", "10.77.0.64", 8),
}
LAP02 = ("f8:94:c2:4b:20:51", "10.77.20.51")
T = TypeVar("T")


def _v3() -> list[str]:
    user = yaml.safe_load((LAB / "snmp-v3.yaml").read_text())["users"][0]
    return [
        "-v3", "-l", "authPriv", "-u", user["user"], "-a", user["auth_protocol"],
        "-A", user["auth_key"], "-x", user["priv_protocol"], "-X", user["priv_key"],
    ]  # fmt: skip


def _walk(lab: LabInstance, host: str, oid: str, v3: bool = False) -> dict[str, str]:
    """``{oid suffix after the walked oid: value text}`` from ``snmpwalk -On``."""
    auth = _v3() if v3 else ["-v2c", "-c", "public"]
    done = lab.exec(["snmpwalk", *auth, "-On", "-t", "2", "-r", "2", host, oid], timeout=60)
    assert done.returncode == 0, done.stderr
    out = {}
    for line in done.stdout.splitlines():
        match = re.match(r"^(\.[\d.]+) = (?:[\w-]+: )?(.*)$", line)
        if match and match.group(1).startswith(oid + "."):
            out[match.group(1)[len(oid) + 1 :]] = match.group(2).strip().strip('"')
    return out


def _mac_suffix(mac: str) -> str:
    return ".".join(str(int(part, 16)) for part in mac.split(":"))


def _fdb(lab: LabInstance, v3: bool = False) -> dict[str, int]:
    """MAC -> dot1dTpFdbPort."""
    return {
        ":".join(f"{int(a):02x}" for a in suffix.split(".")): int(value)
        for suffix, value in _walk(lab, SWITCH, FDB_PORT, v3).items()
    }


def _until(check: Callable[[], T | None], seconds: float) -> T | None:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(1)


def _poke(lab: LabInstance, ip: str) -> None:
    """One ARP exchange with the persona: it answers, so the switch learns where it is."""
    lab.exec(["nmap", "-n", "-sn", "-PR", ip], timeout=30)


@pytest.mark.parametrize("v3", [False, True], ids=["v2c", "v3-authpriv"])
def test_switch_fdb_maps_each_plugged_persona_to_its_port_and_ifname(
    lab: LabInstance, v3: bool
) -> None:
    for _, ip, _ in PLUGGED.values():
        _poke(lab, ip)
    fdb = _fdb(lab, v3)
    port_ifindex = {int(k): int(v) for k, v in _walk(lab, SWITCH, BASE_PORT_IFINDEX, v3).items()}
    ifname = {int(k): v for k, v in _walk(lab, SWITCH, IF_NAME, v3).items()}
    for persona, (mac, _, port) in PLUGGED.items():
        assert fdb.get(mac) == port, (persona, fdb)
        assert ifname[port_ifindex[port]] == f"gi1-0-{port}", (persona, port_ifindex, ifname)
    # Everything else on lan is behind the uplink (port 24), the switch itself on port 0.
    assert fdb["8c:8c:aa:00:00:c8"] == 24  # the technician
    assert fdb["70:10:5c:3a:11:01"] == 24  # rtr01
    assert fdb["4c:71:0c:5b:22:01"] == 0
    lab.exec(["ip", "neigh", "flush", "all"], timeout=30)


def test_a_moved_persona_shows_on_its_new_port(lab: LabInstance) -> None:
    mac, ip, home = PLUGGED["pc01"]
    try:
        summary = lab.move_to_port("pc01", 15)
        assert summary["switch_ports"] == [{"switch": "sw01", "port": 15, "interface": 0}]
        _poke(lab, ip)
        assert _until(lambda: _fdb(lab).get(mac) == 15, 10), _fdb(lab)
        port_ifindex = {int(k): int(v) for k, v in _walk(lab, SWITCH, BASE_PORT_IFINDEX).items()}
        assert home not in port_ifindex  # nothing is plugged into port 3 any more
        index = str(port_ifindex[15])
        # The ifName script reads the kernel at most a second late.
        assert _until(lambda: _walk(lab, SWITCH, IF_NAME).get(index) == "gi1-0-15", 5), _walk(
            lab, SWITCH, IF_NAME
        )
    finally:
        lab.move_to_port("pc01", home)
        lab.exec(["ip", "neigh", "flush", "all"], timeout=30)
    _poke(lab, ip)
    assert _until(lambda: _fdb(lab).get(mac) == home, 10)
    lab.exec(["ip", "neigh", "flush", "all"], timeout=30)


def test_a_stopped_persona_leaves_the_forwarding_table(lab: LabInstance) -> None:
    mac, ip, port = PLUGGED["cam01"]
    _poke(lab, ip)
    assert _until(lambda: _fdb(lab).get(mac) == port, 10)
    try:
        lab.stop_persona("cam01")
        # Its link went down: the kernel flushes the port at once; ageing (30 s) at the latest.
        assert _until(lambda: mac not in _fdb(lab), 40), _fdb(lab)
    finally:
        lab.start_persona("cam01")
        lab.exec(["ip", "neigh", "flush", "all"], timeout=30)


def test_the_silent_branch_laptop_is_only_in_the_routers_arp_table(lab: LabInstance) -> None:
    mac, ip = LAP02
    # The router's own interfaces: eth1 is on branch.
    names = _walk(lab, ROUTER, IF_NAME)
    branch = next(int(index) for index, name in names.items() if name == "eth1")

    def seen() -> str | None:
        return _walk(lab, ROUTER, IP_NET_TO_MEDIA_PHYS, v3=True).get(f"{branch}.{ip}")

    # lap02 talks to its gateway every 5 s (friendly profile).
    found = _until(seen, 15)
    assert found is not None and found.lower().replace(" ", ":") == mac
    scan = lab.exec(["nmap", "-n", "-sn", "10.77.20.0/24"], timeout=120)
    assert scan.returncode == 0, scan.stderr
    assert "10.77.20.50" in scan.stdout  # br01 answers: the scan did reach the branch
    assert ip not in scan.stdout
    lab.exec(["ip", "neigh", "flush", "all"], timeout=30)


def test_a_mac_that_stops_talking_ages_out(lab: LabInstance) -> None:
    """One frame from a made-up MAC (to sw01 itself, an experimental EtherType nobody reads):
    the bridge learns it behind the uplink, then forgets it once br0's 30 s ageing time passed."""
    ghost = "02:19:19:00:00:01"
    frame = (
        "import socket;"
        "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW);"
        "s.bind(('eth0', 0));"
        f"s.send(bytes.fromhex('{SWITCH_MAC.replace(':', '')}{ghost.replace(':', '')}88b5')"
        " + bytes(46))"
    )
    done = lab.exec(["python3", "-c", frame], timeout=30)
    assert done.returncode == 0, done.stderr
    assert _fdb(lab).get(ghost) == 24
    assert _until(lambda: ghost not in _fdb(lab), 50), _fdb(lab)

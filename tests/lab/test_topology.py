"""Topology files and the naming/command plans derived from them (no root needed)."""

from __future__ import annotations

import os
import subprocess
from ipaddress import IPv4Address, IPv4Interface
from pathlib import Path

import pytest
import yaml

from scopeaudit.errors import LabError
from scopeaudit.lab.plumbing import (
    host_batch,
    host_sysctls,
    layout_of,
    managed_switch_batch,
    move_port_batch,
    switch_batch,
)
from scopeaudit.lab.topology import Profile, TopologyFile, load_topology

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "fixtures" / "lab"
BARE = LAB / "tests" / "bare.yaml"

# The lab plan's table (/work/notes/lab-plan.md): id -> [(bridge, mac, ip)].
PLAN = {
    "rtr01": [
        ("lan", "70:10:5c:3a:11:01", "10.77.0.1"),
        ("branch", "70:10:5c:3a:11:02", "10.77.20.1"),
        ("edge", "70:10:5c:3a:11:03", "203.0.113.1"),
    ],
    "sw01": [("lan", "4c:71:0c:5b:22:01", "10.77.0.2")],
    "fw01": [("lan", "04:d5:90:7c:33:01", "10.77.0.254")],
    "ap01": [("lan", "74:83:c2:4d:44:01", "10.77.0.20")],
    "prn01": [("lan", "3c:d9:2b:8e:2a:1f", "10.77.0.30")],
    "prn02": [("lan", "3c:2a:f4:11:22:33", "10.77.0.33")],
    "nas01": [("lan", "90:09:d0:1a:2b:3c", "10.77.0.31")],
    "srv01": [
        ("lan", "20:04:0f:6e:77:01", "10.77.0.40"),
        ("lan", "20:04:0f:6e:77:02", "10.77.0.42"),
    ],
    "idrac01": [("lan", "d0:94:66:6e:77:09", "10.77.0.41")],
    "esx01": [("lan", "f4:7b:09:8a:88:01", "10.77.0.50")],
    "vm01": [("lan", "00:0c:29:4e:11:22", "10.77.0.51")],
    "vm02": [("lan", "00:50:56:8a:33:44", "10.77.0.52")],
    "pc01": [("lan", "b0:4f:13:5c:99:01", "10.77.0.101")],
    "lt01": [("lan", "a4:c3:f0:2d:5e:01", "10.77.0.102")],
    "mbp01": [("lan", "f4:d4:88:6a:10:01", "10.77.0.103")],
    "ipad01": [("lan", "6e:8b:2f:41:c7:5a", "10.77.0.110")],
    "tab01": [("lan", "9e:3b:74:a2:10:5f", "10.77.0.111")],
    "iph01": [("lan", "2a:f1:9c:03:5d:88", "10.77.0.112")],
    "tel01": [("lan", "80:5e:c0:7a:15:01", "10.77.0.120")],
    "cam01": [("lan", "c0:56:e3:5a:6b:7c", "10.77.0.64")],
    "hostile01": [("lan", "02:66:66:00:00:66", "10.77.0.66")],
    "br01": [("branch", "18:66:da:20:30:01", "10.77.20.50")],
    "lap02": [("branch", "f8:94:c2:4b:20:51", "10.77.20.51")],
    "guest01": [("lan", "8c:71:f8:aa:bb:01", "10.77.0.230")],
    "pub01": [("edge", "00:1b:21:0a:0b:0c", "203.0.113.10")],
}


def _office_file() -> TopologyFile:
    data = yaml.load((LAB / "office.yaml").read_text(), Loader=yaml.BaseLoader)
    return TopologyFile.model_validate(data)


def test_office_follows_the_lab_plan() -> None:
    office = load_topology(LAB / "office.yaml")  # plugged interfaces get their switch's bridge
    assert {b.id: str(b.subnet) for b in office.bridges} == {
        "lan": "10.77.0.0/24",
        "branch": "10.77.20.0/24",
        "edge": "203.0.113.0/24",
    }
    tech = office.technician
    assert (tech.bridge, tech.mac, tech.ip, tech.gateway) == (
        "lan",
        "8c:8c:aa:00:00:c8",
        IPv4Interface("10.77.0.200/24"),
        IPv4Address("10.77.0.1"),
    )
    got = {p.id: [(i.bridge, i.mac, str(i.ip.ip)) for i in p.interfaces] for p in office.personas}
    assert got == PLAN
    by_id = {p.id: p for p in office.personas}
    assert by_id["rtr01"].forward is True
    assert by_id["br01"].gateway == IPv4Address("10.77.20.1")
    assert by_id["lap02"].gateway == IPv4Address("10.77.20.1")
    assert by_id["pub01"].gateway == IPv4Address("203.0.113.1")
    assert all(
        p.gateway == IPv4Address("10.77.0.1")
        for p in office.personas
        if p.id not in ("rtr01", "br01", "lap02", "pub01")
    )
    # The excluded /28 ("Wi-Fi invités" in fixtures/contracts/demo.yaml) holds only guest01.
    excluded = [
        p.id
        for p in office.personas
        for i in p.interfaces
        if i.ip.ip in IPv4Interface("10.77.0.224/28").network
    ]
    assert excluded == ["guest01"]


def test_office_names_a_kind_file_per_persona() -> None:
    office = _office_file()
    kinds = {p.kind for p in office.personas}
    assert all(k.startswith("personas/") and k.endswith(".yaml") for k in kinds)
    assert len(kinds) == len(office.personas)  # every persona has its own kind


def test_missing_kind_file_is_named(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(
        "format: 1\nname: t\nbridges: [{id: lan, subnet: 10.9.0.0/24}]\n"
        "technician: {bridge: lan, mac: '02:00:00:00:00:01', ip: 10.9.0.200/24}\n"
        "personas:\n  - {id: a, kind: personas/nope.yaml, interfaces: [{bridge: lan, mac: '02:00:00:00:00:02', ip: 10.9.0.2/24}]}\n"
    )
    with pytest.raises(LabError) as caught:
        load_topology(topo)
    message = str(caught.value)
    assert "nope.yaml" in message and "'a'" in message
    assert len(message.splitlines()) == 1


def test_unquoted_mac_stays_a_mac(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(
        "format: 1\nname: t\nbridges: [{id: lan, subnet: 10.9.0.0/24}]\n"
        "technician: {bridge: lan, mac: 10:22:33:44:55:11, ip: 10.9.0.200/24}\n"
    )
    assert load_topology(topo).technician.mac == "10:22:33:44:55:11"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("technician: {bridge: lan, mac: 'zz', ip: 10.9.0.200/24}", "technician.mac"),
        ("technician: {bridge: lan, mac: '02:00:00:00:00:01', ip: 10.8.0.200/24}", "outside lan"),
        (
            "technician: {bridge: wan, mac: '02:00:00:00:00:01', ip: 10.9.0.200/24}",
            "unknown bridge 'wan'",
        ),
        ("technician: {bridge: lan, mac: '02:00:00:00:00:01', ip: nope}", "technician.ip"),
    ],
)
def test_bad_topology_gives_located_one_line_errors(
    tmp_path: Path, body: str, expected: str
) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_text(f"format: 1\nname: t\nbridges: [{{id: lan, subnet: 10.9.0.0/24}}]\n{body}\n")
    with pytest.raises(LabError) as caught:
        load_topology(topo)
    assert expected in str(caught.value)
    assert str(topo) in str(caught.value)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00", b"a: [", b"- 1\n- 2\n"])
def test_hostile_topology_files_are_clear_errors(tmp_path: Path, content: bytes) -> None:
    topo = tmp_path / "t.yaml"
    topo.write_bytes(content)
    with pytest.raises(LabError):
        load_topology(topo)
    with pytest.raises(LabError):
        load_topology(tmp_path)  # a directory


def test_duplicate_mac_and_ip_are_refused(tmp_path: Path) -> None:
    topo = tmp_path / "t.yaml"
    kind = tmp_path / "k.yaml"
    kind.write_text("persona: k\n")
    topo.write_text(
        "format: 1\nname: t\nbridges: [{id: lan, subnet: 10.9.0.0/24}]\n"
        "technician: {bridge: lan, mac: '02:00:00:00:00:01', ip: 10.9.0.200/24}\n"
        "personas:\n"
        "  - {id: a, kind: k.yaml, interfaces: [{bridge: lan, mac: '02:00:00:00:00:01', ip: 10.9.0.200/24}]}\n"
    )
    with pytest.raises(LabError) as caught:
        load_topology(topo)
    assert "MAC 02:00:00:00:00:01 already used by technician" in str(caught.value)
    assert "IP 10.9.0.200 already used by technician" in str(caught.value)


def test_flat16_spreads_silent_hosts_and_can_be_resized() -> None:
    flat = load_topology(LAB / "flat16.yaml")
    assert len(flat.silent_hosts) == 100
    ips = [h.ip.ip for h in flat.silent_hosts]
    assert len(set(ips)) == 100 and flat.technician.ip.ip not in ips
    assert len({int(ip) >> 8 for ip in ips}) > 90  # spread over the /16, not packed in one /24
    assert len({h.mac for h in flat.silent_hosts}) == 100
    assert all(h.mac.startswith("02:42:0a:58:") for h in flat.silent_hosts)
    assert len(load_topology(LAB / "flat16.yaml", hosts=1000).silent_hosts) == 1000


def test_link_names_fit_linux_limit_and_nothing_targets_the_root_namespace() -> None:
    flat = load_topology(LAB / "flat16.yaml", hosts=65_000)
    bare = load_topology(BARE)
    for topology in (flat, bare):
        layout = layout_of(topology, "abcdefgh")
        lines = switch_batch(layout, Profile.FRIENDLY)
        for line in lines:
            words = line.split()
            if words[:2] == ["link", "add"]:
                assert len(words[2]) <= 15
                assert "netns" in words or "bridge" in words  # peers go straight to their host
        assert len({h.netns for h in layout.hosts}) == len(layout.hosts)


def test_bridge_settings_per_profile() -> None:
    layout = layout_of(load_topology(BARE), "x")
    friendly = [line for line in switch_batch(layout, Profile.FRIENDLY) if "type bridge" in line]
    realistic = [line for line in switch_batch(layout, Profile.REALISTIC) if "type bridge" in line]
    assert len(friendly) == 2
    assert all("mcast_snooping 0" in line and "group_fwd_mask 0x4000" in line for line in friendly)
    assert all("mcast_snooping 0" in line and "group_fwd_mask 0x0" in line for line in realistic)


def test_two_nics_on_one_subnet_route_from_their_own_address() -> None:
    layout = layout_of(load_topology(BARE), "x")
    srv = layout.host("srv01")
    assert srv is not None
    lines = host_batch(srv)
    assert "rule add from 10.77.0.42 table 101" in lines
    assert "route replace 10.77.0.0/24 dev eth1 src 10.77.0.42 table 101" in lines
    assert "route replace default via 10.77.0.1" in lines
    rtr = layout.host("rtr01")
    assert rtr is not None
    assert not any(line.startswith("rule") for line in host_batch(rtr))
    assert "net.ipv4.ip_forward=1" in host_sysctls(rtr)
    assert "net.ipv4.ip_default_ttl=255" in host_sysctls(rtr)


def test_lab_commands_refuse_without_root() -> None:
    scopeaudit = REPO / ".venv" / "bin" / "scopeaudit"
    for args in (["lab", "status"], ["lab", "up", str(BARE)], ["lab", "down"]):
        done = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(scopeaudit), *args],
            capture_output=True,
            text=True,
            env={**os.environ, "LANG": "C"},
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "needs root" in done.stderr
        assert "Traceback" not in done.stderr


SWITCHED = """format: 1
name: t
bridges: [{id: lan, subnet: 10.9.0.0/24}]
technician: {bridge: lan, mac: '02:00:00:00:00:01', ip: 10.9.0.200/24}
personas:
  - id: sw
    kind: k.yaml
    switch: {ports: 8, uplink: 8, ageing_s: 30}
    interfaces: [{bridge: lan, mac: '02:00:00:00:00:02', ip: 10.9.0.2/24}]
  - id: a
    kind: k.yaml
    interfaces: [{switch: sw, port: 3, mac: '02:00:00:00:00:03', ip: 10.9.0.3/24}]
"""


def _switched(tmp_path: Path, body: str = SWITCHED) -> Path:
    (tmp_path / "k.yaml").write_text("persona: test\n")
    topo = tmp_path / "t.yaml"
    topo.write_text(body)
    return topo


def test_plugged_interface_gets_its_switch_bridge_and_port(tmp_path: Path) -> None:
    topology = load_topology(_switched(tmp_path))
    switch, plugged = topology.personas
    assert switch.switch is not None and switch.switch.ageing_s == 30
    (iface,) = plugged.interfaces
    assert (iface.bridge, iface.switch, iface.port) == ("lan", "sw", 3)
    layout = layout_of(topology, "x1")
    sw, a = layout.host("sw"), layout.host("a")
    assert sw is not None and a is not None
    # The switch's address is on its bridge; the persona's cable ends on port gi1-0-3 of br0.
    assert [(link.name, link.peer) for link in sw.links] == [("br0", "p0e0")]
    assert [(link.name, link.peer) for link in a.links] == [("eth0", "gi1-0-3")]
    lines = switch_batch(layout, Profile.FRIENDLY)
    assert "link add p0e0 type veth peer name gi1-0-8 netns sal-x1-sw" in lines
    assert not [line for line in lines if "gi1-0-3" in line or "p1e0" in line]
    inside = managed_switch_batch(layout, sw, Profile.REALISTIC)
    assert inside[1].startswith("link add br0 address 02:00:00:00:00:02 type bridge")
    assert "group_fwd_mask 0x0 ageing_time 3000" in inside[1]  # centiseconds
    assert (
        "link add gi1-0-3 type veth peer name eth0 address 02:00:00:00:00:03 netns sal-x1-a"
        in inside
    )
    assert "link set gi1-0-3 alias GigabitEthernet1/0/3" in inside
    assert inside[-1] == "link set gi1-0-3 master br0 up"


def test_move_port_batch_replugs_under_the_new_name() -> None:
    assert move_port_batch(3, 15) == [
        "link set gi1-0-3 down",
        "link set gi1-0-3 nomaster",
        "link set gi1-0-3 name gi1-0-15",
        "link set gi1-0-15 alias GigabitEthernet1/0/15",
        "link set gi1-0-15 master br0 up",
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("port: 3,", "port: 8,", "port 8 is not an access port of sw"),
        ("port: 3,", "port: 9,", "port 9 is not an access port of sw"),
        ("{switch: sw, port: 3,", "{switch: a, port: 3,", "'a' is not a switch persona"),
        ("{switch: sw, port: 3,", "{switch: sw,", "'switch' and 'port' go together"),
        ("{switch: sw, port: 3,", "{bridge: lan, switch: sw, port: 3,", ""),
        ("ip: 10.9.0.3/24", "ip: 10.8.0.3/24", "outside lan"),
        ("uplink: 8,", "uplink: 9,", "uplink port 9 is beyond the 8 ports"),
    ],
)
def test_bad_switch_ports_are_one_line_errors(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    body = SWITCHED.replace(old, new)
    assert body != SWITCHED
    if not expected:  # naming the switch's own bridge is allowed
        assert load_topology(_switched(tmp_path, body)).personas[1].interfaces[0].port == 3
        return
    with pytest.raises(LabError) as caught:
        load_topology(_switched(tmp_path, body))
    assert expected in str(caught.value)


def test_one_port_one_cable(tmp_path: Path) -> None:
    body = SWITCHED + (
        "  - id: b\n    kind: k.yaml\n"
        "    interfaces: [{switch: sw, port: 3, mac: '02:00:00:00:00:04', ip: 10.9.0.4/24}]\n"
    )
    with pytest.raises(LabError) as caught:
        load_topology(_switched(tmp_path, body))
    assert "sw port 3 already used by a" in str(caught.value)

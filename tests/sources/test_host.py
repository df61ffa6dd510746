"""The host source: parsers of the neighbour cache on recorded text, and a real read of a
scanner namespace's interfaces and cache."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from scopeaudit.scope import Scope
from scopeaudit.sources.host import (
    LocalInterface,
    Neighbour,
    interface_observations,
    neighbour_observations,
    parse_ip_neigh_json,
    parse_proc_net_arp,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scope"))
from netlab import PYTHON, REPO, SCANNER_MAC, FlatLab

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

PROC_NET_ARP = """\
IP address       HW type     Flags       HW address            Mask     Device
10.77.0.1        0x1         0x2         70:10:5c:3a:11:01     *        eth0
10.77.0.99       0x1         0x0         00:00:00:00:00:00     *        eth0
10.77.0.30       0x1         0x6         3C:D9:2B:8E:2A:1F     *        eth0
garbage line
192.168.7.1      0x1         0x2         02:fc:00:00:00:05     *        wlan0
"""

IP_NEIGH = json.dumps(
    [
        {"dst": "10.77.0.1", "dev": "eth0", "lladdr": "70:10:5c:3a:11:01", "state": ["REACHABLE"]},
        {"dst": "10.77.0.30", "dev": "eth0", "lladdr": "3c:d9:2b:8e:2a:1f", "state": ["STALE"]},
        {"dst": "10.77.0.99", "dev": "eth0", "state": ["FAILED"]},
        {
            "dst": "10.77.0.98",
            "dev": "eth0",
            "lladdr": "aa:bb:cc:00:00:01",
            "state": ["INCOMPLETE"],
        },
        {"dst": "fe80::1", "dev": "eth0", "lladdr": "70:10:5c:3a:11:01", "state": ["STALE"]},
        {"dst": "10.77.0.2", "dev": "eth0", "lladdr": "4c:71:0c:5b:22:01", "state": ["PERMANENT"]},
        "not a dict",
    ]
)


def test_proc_net_arp_keeps_complete_entries() -> None:
    assert parse_proc_net_arp(PROC_NET_ARP) == [
        Neighbour("10.77.0.1", "70:10:5c:3a:11:01", "eth0"),
        Neighbour("10.77.0.30", "3c:d9:2b:8e:2a:1f", "eth0"),
        Neighbour("192.168.7.1", "02:fc:00:00:00:05", "wlan0"),
    ]
    assert parse_proc_net_arp("") == []


def test_ip_neigh_json_keeps_usable_ipv4_entries() -> None:
    assert [(n.ip, n.mac, n.state) for n in parse_ip_neigh_json(IP_NEIGH)] == [
        ("10.77.0.1", "70:10:5c:3a:11:01", "REACHABLE"),
        ("10.77.0.2", "4c:71:0c:5b:22:01", "PERMANENT"),
    ]
    assert parse_ip_neigh_json("not json") == []
    assert parse_ip_neigh_json('{"dst": "10.0.0.1"}') == []


def test_neighbours_outside_the_scope_are_dropped_and_counted() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"], ["10.77.0.240/28"])
    neighbours = [
        *parse_proc_net_arp(PROC_NET_ARP),
        Neighbour("10.77.0.241", "aa:aa:aa:00:00:01", "eth0"),
    ]
    observations, dropped = neighbour_observations(neighbours, scope.allows, NOW)
    assert dropped == 2  # 192.168.7.1 outside, 10.77.0.241 excluded
    assert [(o.ip, o.mac, o.vantage) for o in observations] == [
        ("10.77.0.1", "70:10:5c:3a:11:01", "eth0"),
        ("10.77.0.30", "3c:d9:2b:8e:2a:1f", "eth0"),
    ]
    assert all(o.data == {"how": "neighbour-cache"} for o in observations)
    assert all(o.source.value == "host" and o.kind.value == "address" for o in observations)


def test_interfaces_facing_the_scope_are_the_scanner() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"])
    interfaces = [
        LocalInterface("lo", None, (IPv4Interface("127.0.0.1/8"),), True, True),
        LocalInterface(
            "eth0",
            SCANNER_MAC,
            (IPv4Interface("10.77.0.200/24"), IPv4Interface("192.168.9.2/24")),
            True,
            False,
        ),
    ]
    observations, skipped = interface_observations(interfaces, scope.allows, NOW)
    assert skipped == 1
    assert len(observations) == 1
    only = observations[0]
    assert (only.mac, only.ip, only.kind.value, only.source.value) == (
        SCANNER_MAC,
        "10.77.0.200",
        "interface",
        "host",
    )
    assert only.data == {"name": "eth0", "cidr": "10.77.0.0/24", "scanner": True}


@pytest.fixture(scope="module")
def small_lab() -> Iterator[FlatLab]:
    with FlatLab(
        IPv4Network("10.67.0.0/24"), [IPv4Address("10.67.0.10")], IPv4Address("10.67.0.200")
    ) as lab:
        yield lab


WORKER = """
import json
from scopeaudit.scope import Scope
from scopeaudit.sources.host import collect
scope = Scope.from_cidrs(["10.67.0.0/24"])
result = collect(scope.allows)
print(json.dumps({"outcome": result.outcome.model_dump(mode="json"),
                  "observations": [o.model_dump(mode="json") for o in result.observations]}))
"""


@pytest.mark.root
def test_collect_reads_a_real_namespace(small_lab: FlatLab) -> None:
    for ip, mac in (("10.67.0.10", "3c:d9:2b:00:00:01"), ("172.20.0.1", "02:00:00:00:00:09")):
        done = small_lab.run(
            ["ip", "neigh", "replace", ip, "lladdr", mac, "nud", "permanent", "dev", "eth0"]
        )
        assert done.returncode == 0, done.stderr
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = small_lab.run([PYTHON, "-c", WORKER], env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["outcome"]["ok"] is True
    assert result["outcome"]["detail"]["neighbours_dropped"] == 1
    assert result["outcome"]["detail"]["neighbour_source"] == "ip -j neigh"
    kinds = {(o["kind"], o["ip"], o["mac"]) for o in result["observations"]}
    assert kinds == {
        ("interface", "10.67.0.200", SCANNER_MAC),
        ("address", "10.67.0.10", "3c:d9:2b:00:00:01"),
    }
    interface = next(o for o in result["observations"] if o["kind"] == "interface")
    assert interface["data"] == {"name": "eth0", "cidr": "10.67.0.0/24", "scanner": True}

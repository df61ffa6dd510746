"""The nmap source: pure parts on recorded nmap XML, then the real nmap in a namespace site.

The recorded files in data/ were written by this source against tests/sources/sa7_netns.py's
site (far = 10.97.20.50 behind the router, listeners on 22, 80, 631 and 9100).
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.scope import PRINT_PORTS, Scope
from scopeaudit.sources.nmap import (
    PROBE_PORTS,
    NmapResult,
    NmapSettings,
    discovery_arguments,
    initial_ttl,
    os_arguments,
    port_list,
    probe_arguments,
    run_nmap,
    ttl_observations,
    version_arguments,
)
from scopeaudit.taxonomy import Language, Source

from .sa7_netns import (
    BRANCH,
    EXCL_IP,
    EXCL_MAC,
    EXCLUDED,
    FAR_IP,
    LAN,
    NEAR_IP,
    SCAN_IP,
    Capture,
    FrameCounter,
    Site,
    busiest_second,
    in_namespace,
    poke,
    site,
)

DATA = Path(__file__).parent / "data"
WHEN = datetime(2026, 11, 28, tzinfo=UTC)
LISTENER = Path(__file__).parent / "sa7_listener.py"


def scope() -> Scope:
    return Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])


# --- pure parts -------------------------------------------------------------------------------


def test_port_list_is_sorted_and_compressed() -> None:
    assert port_list([9101, 22, 9100, 9102, 22, 80]) == "22,80,9100-9102"
    assert port_list(PRINT_PORTS) == "515,631,9100-9107"


def test_curated_ports_cover_the_category_signals() -> None:
    for port in (22, 135, 445, 515, 554, 631, 902, 3389, 5000, 7000, 8291, 9100, 62078):
        assert port in PROBE_PORTS
    assert len(PROBE_PORTS) == len(set(PROBE_PORTS))


def test_discovery_arguments_have_no_reverse_dns_and_the_exclusions() -> None:
    args = discovery_arguments(scope(), NmapSettings(), privileged=True)
    assert args[0] == "-sn"
    assert "-n" in args
    assert args[args.index("--exclude") + 1] == EXCLUDED


def test_light_probe_is_syn_or_connect_only_at_ten_per_second_per_host() -> None:
    root = probe_arguments(scope(), NmapSettings(), privileged=True)
    user = probe_arguments(scope(), NmapSettings(), privileged=False)
    assert "-sS" in root and "-sT" in user
    for args in (root, user):
        assert not {"-sV", "-O", "-sC", "-A", "--script"} & set(args)
        assert args[args.index("--scan-delay") + 1] == "100ms"
        assert "9100" in args[args.index("-p") + 1]


def test_deep_arguments_never_reach_printing_ports() -> None:
    args = version_arguments(scope(), NmapSettings(deep=True), True, 22)
    assert args[:6] == ["-sS", "-sV", "--version-intensity", "2", "-p", "22"]
    assert args[args.index("--exclude-ports") + 1] == "515,631,9100-9107"
    assert "-sT" in version_arguments(scope(), NmapSettings(deep=True), False, 80)
    for port in (515, 631, 9100, 9107):
        with pytest.raises(ValueError, match="printing port"):
            version_arguments(scope(), NmapSettings(deep=True), True, port)
    os_args = os_arguments(scope(), NmapSettings(deep=True))
    assert "-O" in os_args and "-sV" not in os_args
    assert os_args[os_args.index("--max-os-tries") + 1] == "1"
    ports = os_args[os_args.index("-p") + 1].split(",")
    assert not {"515", "631"} & set(ports)
    assert not any(p.startswith("910") for p in ports)
    assert os_args[os_args.index("--scan-delay") + 1] == "100ms"


def test_initial_ttl_rounds_up_to_the_usual_starts() -> None:
    assert [initial_ttl(t) for t in (30, 63, 64, 65, 127, 200, 255)] == [
        32,
        64,
        64,
        128,
        128,
        255,
        255,
    ]


def test_ttl_observations_from_recorded_discovery() -> None:
    found = ttl_observations((DATA / "nmap-discovery.xml").read_bytes(), vantage="eth0", time=WHEN)
    by_ip = {o.ip: o.data for o in found}
    assert by_ip[FAR_IP] == {"ttl": 63, "initial": 64, "hops": 1}
    assert by_ip["10.97.20.1"] == {"ttl": 64, "initial": 64, "hops": 0}
    assert all(o.source is Source.NMAP and o.kind is ObservationKind.TTL for o in found)


def test_ttl_observations_skip_arp_replies_and_garbage() -> None:
    probe = ttl_observations((DATA / "nmap-probe.xml").read_bytes(), vantage="x", time=WHEN)
    # The on-link host answered by ARP and RSTs; only the routed host's SYN-ACK carries a TTL
    # below 64 here, and no TTL is ever 0.
    assert all(o.data["ttl"] > 0 for o in probe)
    assert FAR_IP in {o.ip for o in probe}
    assert ttl_observations(b"<nmaprun><host>", vantage="x", time=WHEN) == []
    assert ttl_observations(b"not xml", vantage="x", time=WHEN) == []


# --- the real nmap in namespaces ---------------------------------------------------------------


@pytest.fixture(scope="module")
def nmap_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path]]:
    folder = tmp_path_factory.mktemp("sa7-nmap")
    with site("nm") as net:
        net.python("far", LISTENER, str(folder), "22", "80", "631", "9100")
        deadline = time.monotonic() + 10
        while not (folder / "ready").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        yield net, folder


def _ports(result: NmapResult, ip: str) -> dict[int, Observation]:
    return {
        int(o.data["port"]): o
        for o in result.observations
        if o.kind is ObservationKind.PORT and o.ip == ip and o.data["state"] == "open"
    }


def _bytes_received(folder: Path, port: int) -> tuple[int, int]:
    path = folder / f"bytes-{port}"
    if not path.exists():
        return 0, 0
    total, connections = path.read_text().split()
    return int(total), int(connections)


@pytest.mark.root
@pytest.mark.slow
def test_deep_scan_finds_the_routed_host_its_ports_and_sends_nothing_to_exclusions(
    nmap_site: tuple[Site, Path],
) -> None:
    net, folder = nmap_site
    counter = FrameCounter(net, "excl", EXCL_IP, EXCL_MAC, folder)
    # Probes: new connections and raw SYNs, ICMP, UDP (not the ACKs inside a connection).
    rule = f"src host {SCAN_IP} and (tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn or icmp or udp)"
    probes = Capture(net, "far", rule, folder / "deep-rate.pcap")
    result = net.inside(
        "scan",
        lambda: run_nmap(
            scope(),
            discover=[IPv4Network(LAN), IPv4Network(BRANCH), IPv4Network("203.0.113.0/24")],
            settings=NmapSettings(deep=True),
            vantage="eth0",
        ),
    )
    # The public network is outside the scope: named, not probed; everything else ran.
    assert result.outcome.error is not None and "203.0.113.0/24" in result.outcome.error
    assert FAR_IP in result.live and NEAR_IP in result.live
    assert EXCL_IP not in result.live
    assert all(o.ip != EXCL_IP for o in result.observations)
    assert all(o.source is Source.NMAP for o in result.observations)

    # Host behind the router: found by discovery, one hop away.
    ttl = [o for o in result.observations if o.kind is ObservationKind.TTL and o.ip == FAR_IP]
    assert ttl and ttl[0].data["hops"] == 1

    # The light probe saw every listener, printing ports included, without table guesses.
    ports = _ports(result, FAR_IP)
    assert {22, 80, 631, 9100} <= set(ports)
    light = [
        o
        for o in result.observations
        if o.kind is ObservationKind.PORT and o.ip == FAR_IP and o.data["port"] == 9100
    ]
    assert light and all("service" not in o.data for o in light)
    # Service detection identified the banner on 22.
    ssh = [
        o
        for o in result.observations
        if o.kind is ObservationKind.PORT and o.data.get("port") == 22 and "product" in o.data
    ]
    assert ssh and ssh[0].data["product"] == "OpenSSH"
    assert any(o.kind is ObservationKind.OS_GUESS for o in result.observations)

    # Probe log: one line per nmap run, with the arguments.
    actions = [p.action for p in result.probes]
    assert actions == [
        "nmap host discovery",
        "nmap port probe",
        "nmap version detection",
        "nmap os detection",
    ]
    assert result.probes[2].count == 2  # far's open non-printing ports: 22 and 80
    for record in result.probes[2:]:
        assert "--exclude-ports 515,631,9100-9107" in record.detail

    # Discovery, port probe, version and OS detection: never over 10 probes/s to one host.
    assert busiest_second(probes.times()) <= 10

    # Zero payload bytes on the printing ports, zero frames to the excluded host...
    assert _bytes_received(folder, 9100)[0] == 0
    assert _bytes_received(folder, 631)[0] == 0
    assert counter.count() == 0
    # ... and both counters do count (positive controls).
    poke(net, "scan", EXCL_IP)
    assert counter.count() > 0

    def send_one_byte() -> None:
        with socket.create_connection((FAR_IP, 9100), timeout=5) as conn:
            conn.sendall(b"x")
        time.sleep(0.3)

    net.inside("scan", send_one_byte)
    assert _bytes_received(folder, 9100)[0] == 1


@pytest.mark.root
def test_unprivileged_probe_uses_connect_and_sends_no_payload(
    nmap_site: tuple[Site, Path],
) -> None:
    net, folder = nmap_site
    before = _bytes_received(folder, 631)
    result = net.inside(
        "scan",
        lambda: run_nmap(scope(), hosts=[FAR_IP], settings=NmapSettings(privileged=False)),
    )
    assert result.outcome.ok, result.outcome.error
    assert result.outcome.detail["privileged"] is False
    assert "-sT" in result.probes[0].detail
    assert {22, 80, 631, 9100} <= set(_ports(result, FAR_IP))
    after = _bytes_received(folder, 631)
    assert after[1] > before[1]  # connect scan: the listener accepted a connection...
    assert after[0] == before[0]  # ... and got not one byte


def test_addresses_outside_the_scope_are_never_probed() -> None:
    result = run_nmap(scope(), hosts=[EXCL_IP, "192.168.1.1", "not-an-ip"])
    assert result.live == []
    assert result.probes == []
    assert result.outcome.error is not None and "not-an-ip" in result.outcome.error


def test_missing_nmap_is_a_failed_outcome_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = run_nmap(scope(), hosts=[NEAR_IP], lang=Language.EN)
    assert result.outcome.ok is False
    assert result.outcome.error == (
        "nmap is not installed (Debian: apt-get install nmap); the nmap source did not run"
    )
    assert result.observations == [] and result.probes == []
    french = run_nmap(scope(), hosts=[NEAR_IP], lang=Language.FR)
    assert french.outcome.error == (
        "nmap n'est pas installé (Debian : apt-get install nmap) ; la source nmap n'a pas tourné"
    )


UNPRIVILEGED_SCRIPT = """
import json, sys
from scopeaudit.scope import Scope
from scopeaudit.sources.nmap import run_nmap
scope = Scope.from_cidrs(sys.argv[1:3], [sys.argv[3]])
result = run_nmap(scope, hosts=[sys.argv[4]])
print(json.dumps({
    "outcome": result.outcome.model_dump(mode="json"),
    "details": [p.detail for p in result.probes],
    "open": sorted(o.data["port"] for o in result.observations
                   if o.kind == "port" and o.data["state"] == "open"),
}))
"""


@pytest.mark.root
def test_as_an_unprivileged_user_it_says_so_and_runs_connect_scans(
    nmap_site: tuple[Site, Path],
) -> None:
    net, folder = nmap_site
    before = _bytes_received(folder, 9100)
    done = net.exec(
        "scan",
        "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        sys.executable, "-c", UNPRIVILEGED_SCRIPT, LAN, BRANCH, EXCLUDED, FAR_IP,
    )  # fmt: skip
    report = json.loads(done.stdout)
    assert report["outcome"]["ok"] is True, report
    assert report["outcome"]["detail"]["privileged"] is False
    assert all("-sT" in d and "--unprivileged" in d and "-sS" not in d for d in report["details"])
    assert {22, 80, 631, 9100} <= set(report["open"])
    after = _bytes_received(folder, 9100)
    assert after[1] > before[1] and after[0] == before[0]  # a bare connect, no byte


@pytest.mark.root
def test_light_probe_sends_each_host_ten_probes_per_second_at_most(
    nmap_site: tuple[Site, Path],
) -> None:
    net, folder = nmap_site
    syns = f"src host {SCAN_IP} and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn"
    capture = Capture(net, "far", syns, folder / "rate.pcap")
    result = net.inside("scan", lambda: run_nmap(scope(), hosts=[FAR_IP]))
    assert result.outcome.ok, result.outcome.error
    times = capture.times()
    assert len(times) >= len(PROBE_PORTS)  # every curated port was probed...
    assert busiest_second(times) <= 10  # ... never more than 10 in one second


# --- the standard office lab ------------------------------------------------------------------

OFFICE = ("10.77.0.0/24", "10.77.20.0/24")
GUEST_RANGE = "10.77.0.240/28"


def _canaries(lab: LabInstance) -> dict[str, dict[str, Any]]:
    time.sleep(2.2)  # personas rewrite their state file every 2 s at most
    return {p["id"]: p.get("canary") or {} for p in lab.status()["personas"]}


@pytest.mark.lab
@pytest.mark.slow
def test_office_lab_routed_hosts_print_ports_and_canaries(lab: LabInstance) -> None:
    office = Scope.from_cidrs(list(OFFICE), [GUEST_RANGE])
    before = _canaries(lab)
    result = in_namespace(
        lab.namespace_of(),
        lambda: run_nmap(
            office,
            discover=[IPv4Network("10.77.20.0/24")],
            hosts=["10.77.0.30", "10.77.0.40", "10.77.0.245"],
            # Every printing port, and 22 so that srv01 (node_exporter on 9100) gets the deep
            # pass; prn01's port 80 is left out: nmap -sV spends minutes on its web server.
            settings=NmapSettings(deep=True, ports=(22, 515, 631, 9100)),
        ),
    )
    assert result.outcome.ok, result.outcome.error
    # br01 lives behind rtr01 (ARP cannot reach it): found by discovery, one hop away.
    assert {"10.77.20.1", "10.77.20.50"} <= set(result.live)
    assert "10.77.0.245" not in result.live
    hops = {o.ip: o.data["hops"] for o in result.observations if o.kind is ObservationKind.TTL}
    assert hops["10.77.20.50"] == 1
    # Both 9100 owners (the printer and node_exporter on srv01) count only as open...
    assert 9100 in _ports(result, "10.77.0.30") and 9100 in _ports(result, "10.77.0.40")
    assert all(
        "product" not in _ports(result, ip)[9100].data for ip in ("10.77.0.30", "10.77.0.40")
    )
    # ... while the deep pass did identify srv01's SSH.
    ssh = [
        o.data
        for o in result.observations
        if o.kind is ObservationKind.PORT and o.ip == "10.77.0.40" and o.data["port"] == 22
    ]
    assert "OpenSSH" in {d.get("product") for d in ssh}
    after = _canaries(lab)
    for port in ("515", "631", "9100"):
        sent = after["prn01"]["print_port_bytes"].get(port, 0)
        assert sent == before["prn01"]["print_port_bytes"].get(port, 0), port
    for canary in ("guest01", "pub01"):
        assert after[canary]["frames_from_scanner"] == before[canary]["frames_from_scanner"]

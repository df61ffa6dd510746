"""The names source: pure parts on recorded replies, then real responders in the namespace site:
python-zeroconf announcing a printer on the LAN (mDNS, answered by legacy unicast), a NetBIOS
node-status responder and an SSDP/UPnP device behind the router, and a multicast SSDP device
on the scanner's segment."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.scope import Scope
from scopeaudit.sources.frames import LINKTYPE_IPV4, decode_frame
from scopeaudit.sources.names import (
    NamesSettings,
    Reply,
    _collect,
    decode_replies,
    description_target,
    device_info_names,
    ipv4_udp_packet,
    mdns_query,
    nbns_node_status_query,
    parse_description,
    query,
    read_mdns_answers,
    reverse_name,
    run_names,
    ssdp_search,
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
    RTR_IP,
    SCAN_IP,
    Capture,
    FrameCounter,
    Site,
    busiest_second,
    in_namespace,
    site,
)

DATA = Path(__file__).parent / "data"
WHEN = datetime(2026, 11, 28, tzinfo=UTC)
RESPONDERS = Path(__file__).parent / "sa7_responders.py"
SYNOLOGY = {
    "deviceType": "urn:schemas-upnp-org:device:Basic:1",
    "friendlyName": "DS920 (DS920+)",
    "manufacturer": "Synology",
    "modelName": "DS920+",
    "modelNumber": "DS920+ 7.2-64570",
    "modelDescription": "Synology NAS",
    "modelType": "NAS",
    "serialNumber": "2040SBRXYZ123",
    "UDN": "uuid:73796E6F-6473-6D00-0000-9009d01a2b3c",
}
PRINTER_TXT = {"ty": "HP LaserJet Pro M404dn", "usb_MFG": "HP", "note": "Étage 2"}
NBNS_NAMES = [
    {"name": "DESKTOP-7K3Q2ZD", "suffix": 0, "group": False},
    {"name": "WORKGROUP", "suffix": 0, "group": True},
    {"name": "DESKTOP-7K3Q2ZD", "suffix": 32, "group": False},
]


def scope() -> Scope:
    return Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])


def recorded_replies() -> list[Reply]:
    return [
        Reply(
            r["src"], r["sport"], r["dst"], r["dport"], r["ttl"], bytes.fromhex(r["payload"]), WHEN
        )
        for r in json.loads((DATA / "names-replies.json").read_text())
    ]


def of(observations: list[Observation], kind: ObservationKind, ip: str) -> list[dict]:  # type: ignore[type-arg]
    return [o.data for o in observations if o.kind is kind and o.ip == ip]


# --- pure parts -------------------------------------------------------------------------------


def test_recorded_replies_decode_to_services_names_and_tables() -> None:
    found = decode_replies(recorded_replies(), vantage="eth0")
    assert all(o.source is Source.NAMES for o in found)
    services = {
        (d["type"], d["instance"]): d for d in of(found, ObservationKind.MDNS_SERVICE, NEAR_IP)
    }
    ipp = services[("_ipp._tcp", "HP LaserJet Pro M404dn")]
    assert ipp["port"] == 631 and ipp["host"] == "NPI8E2A1F.local" and ipp["txt"] == PRINTER_TXT
    assert services[("_device-info._tcp", "NPI8E2A1F")]["txt"] == {"model": "Xserve"}
    assert len(services) == 2  # the PTR-only and the SRV/TXT answers were merged
    assert {"name": "NPI8E2A1F.local", "origin": "mdns"} in of(
        found, ObservationKind.HOSTNAME, NEAR_IP
    )
    nbns = of(found, ObservationKind.NBNS, FAR_IP)
    assert nbns == [{"names": NBNS_NAMES, "how": "node-status", "unit_id": "b0:4f:13:5c:99:01"}]
    assert {"name": "DESKTOP-7K3Q2ZD", "origin": "nbns"} in of(
        found, ObservationKind.HOSTNAME, FAR_IP
    )
    ssdp = of(found, ObservationKind.SSDP, FAR_IP)
    assert {d["st"] for d in ssdp} == {
        "upnp:rootdevice",
        "urn:excluded",
        "urn:printport",
        "urn:big",
    }
    assert all(d["server"] == f"Synology/DSM/{FAR_IP}" for d in ssdp)
    # TTLs are the real ones the replies arrived with: the routed host is one hop away.
    assert of(found, ObservationKind.TTL, FAR_IP) == [{"ttl": 63, "initial": 64, "hops": 1}]
    assert of(found, ObservationKind.TTL, NEAR_IP) == [{"ttl": 64, "initial": 64, "hops": 0}]


def test_mdns_answers_name_types_instances_and_hosts() -> None:
    answers = read_mdns_answers(r.payload for r in recorded_replies() if r.sport == 5353)
    assert set(answers.types) == {"_ipp._tcp.local.", "_device-info._tcp.local."}
    assert "HP LaserJet Pro M404dn._ipp._tcp.local." in answers.instances
    assert answers.hosts == ["NPI8E2A1F.local."]
    assert "NPI8E2A1F._device-info._tcp.local." in device_info_names(answers)
    assert "HP LaserJet Pro M404dn._device-info._tcp.local." in device_info_names(answers)
    assert read_mdns_answers([b"\x00garbage", b""]).types == []


def test_query_packets() -> None:
    (packet,) = mdns_query([("_services._dns-sd._udp.local.", 12)], 0x1234)
    assert packet[:2] == b"\x12\x34" and packet[4:6] == b"\x00\x01"
    assert reverse_name("10.97.0.30") == "30.0.97.10.in-addr.arpa."
    query = nbns_node_status_query(7)
    assert len(query) == 50 and query[13:15] == b"CK" and query[-4:] == b"\x00\x21\x00\x01"
    search = ssdp_search("10.0.0.5").decode()
    assert search.startswith("M-SEARCH * HTTP/1.1\r\nHOST: 10.0.0.5:1900\r\n")
    assert "MX:" not in search and "MX: 1" in ssdp_search("239.255.255.250", mx=1).decode()


def test_rewrapped_packet_is_what_the_decoders_read() -> None:
    packet = ipv4_udp_packet(
        "10.0.0.9", 1900, "10.0.0.1", 40000, 61, b"HTTP/1.1 200 OK\r\nST: x\r\n\r\n"
    )
    found = decode_frame(packet, LINKTYPE_IPV4, time=WHEN, vantage="v", source=Source.NAMES)
    assert [(o.kind, o.ip) for o in found] == [
        (ObservationKind.TTL, "10.0.0.9"),
        (ObservationKind.SSDP, "10.0.0.9"),
    ]
    assert found[0].data == {"ttl": 61, "initial": 64, "hops": 3}


def test_description_parsing_is_hardened() -> None:
    assert parse_description((DATA / "upnp-synology-description.xml").read_bytes()) == SYNOLOGY
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><root><device><modelName>&a;</modelName></device></root>'
    assert parse_description(bomb) is None
    external = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><root><device><modelName>&x;</modelName></device></root>'
    assert parse_description(external) is None
    assert parse_description(b"<root><nodevice/></root>") is None
    assert parse_description(b"not xml") is None


def test_description_only_from_in_scope_http_outside_printing_ports() -> None:
    s = scope()
    assert description_target(f"http://{FAR_IP}:8080/desc.xml?x=1", s) == (
        FAR_IP,
        8080,
        "/desc.xml?x=1",
    )
    assert description_target(f"http://{NEAR_IP}/", s) == (NEAR_IP, 80, "/")
    for refused in (
        f"http://{EXCL_IP}:8080/desc.xml",  # excluded
        "http://192.168.1.1/desc.xml",  # outside the scope
        "http://nas.example.test/desc.xml",  # a name: nothing to resolve, nothing fetched
        f"https://{FAR_IP}/desc.xml",
        f"http://{FAR_IP}:9100/desc.xml",  # printing port
        f"http://{FAR_IP}:631/",
        "http://[::1]:80/",
        "http://10.97.0.30:99999/",
    ):
        assert description_target(refused, s) is None, refused


# --- real responders --------------------------------------------------------------------------


def _wait_ready(folder: Path) -> None:
    deadline = time.monotonic() + 15
    while not (folder / "ready").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (folder / "ready").exists()


@pytest.fixture(scope="module")
def names_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path, Path]]:
    near = tmp_path_factory.mktemp("sa7-names-near")
    far = tmp_path_factory.mktemp("sa7-names-far")
    with site("na") as net:
        net.python("near", RESPONDERS, str(near), NEAR_IP, "mdns", "ssdp-multicast")
        net.python("far", RESPONDERS, str(far), FAR_IP, "nbns", "ssdp")
        _wait_ready(near)
        _wait_ready(far)
        yield net, near, far


def _count(folder: Path, name: str) -> int:
    path = folder / name
    return int(path.read_text()) if path.exists() else 0


@pytest.mark.root
def test_names_from_real_responders(names_site: tuple[Site, Path, Path]) -> None:
    net, _near, far = names_site
    counter = FrameCounter(net, "excl", EXCL_IP, EXCL_MAC, far)
    result = net.inside(
        "scan", lambda: run_names(scope(), [NEAR_IP, FAR_IP, RTR_IP, EXCL_IP], vantage="eth0")
    )
    assert result.outcome.ok, result.outcome.error
    assert result.outcome.detail["queried"] == 3  # the excluded host was filtered out
    found = result.observations

    # mDNS: the service with its TXT, the device-info record, the host name.
    services = {d["type"]: d for d in of(found, ObservationKind.MDNS_SERVICE, NEAR_IP)}
    assert services["_ipp._tcp"]["txt"] == PRINTER_TXT
    assert services["_ipp._tcp"]["port"] == 631
    assert services["_device-info._tcp"]["txt"] == {"model": "Xserve"}
    assert {"name": "NPI8E2A1F.local", "origin": "mdns"} in of(
        found, ObservationKind.HOSTNAME, NEAR_IP
    )

    # NBNS across the router: the name table and the MAC of a host ARP cannot reach.
    (nbns,) = of(found, ObservationKind.NBNS, FAR_IP)
    assert nbns["names"] == NBNS_NAMES and nbns["unit_id"] == "b0:4f:13:5c:99:01"

    # SSDP across the router (answered from another port than 1900, as many devices do), with
    # the description fetched from the in-scope LOCATION only.
    assert any(r.src == FAR_IP and r.asked == 1900 and r.sport != 1900 for r in result.replies)
    ssdp = {d["st"]: d for d in of(found, ObservationKind.SSDP, FAR_IP)}
    assert ssdp["upnp:rootdevice"]["description"] == SYNOLOGY
    for st in ("urn:excluded", "urn:printport", "urn:big"):
        assert "description" not in ssdp[st]
    assert _count(far, "http-desc.xml") == 1  # fetched once per URL
    assert _count(far, "print-connections") == 0  # LOCATION on 9100 never contacted
    assert counter.count() == 0  # nothing to the excluded host (queries, LOCATION)

    # The probe log says what went where.
    assert result.probes[0].action == "unicast mdns, nbns, ssdp queries"
    assert result.probes[0].count == 3
    fetched = [p.targets for p in result.probes if p.action == "http get upnp description"]
    assert f"{FAR_IP}:8080" in fetched and all(EXCL_IP not in t for t in fetched)


@pytest.mark.root
def test_multicast_search_stays_on_in_scope_segments(names_site: tuple[Site, Path, Path]) -> None:
    net, near, _far = names_site
    before = _count(near, "ssdp-searches")
    heard = net.inside(
        "scan", lambda: run_names(scope(), [], multicast_from=[SCAN_IP], vantage="eth0")
    )
    assert _count(near, "ssdp-searches") == before + 1
    assert {d["st"] for d in of(heard.observations, ObservationKind.SSDP, NEAR_IP)} >= {
        "upnp:rootdevice"
    }
    assert heard.dropped == 0

    # With the responder excluded, its multicast answers are heard, dropped and counted.
    narrow = Scope.from_cidrs([LAN], [f"{NEAR_IP}/32"])
    dropped = net.inside(
        "scan", lambda: run_names(narrow, [], multicast_from=[SCAN_IP], vantage="eth0")
    )
    assert dropped.observations == []
    assert dropped.dropped == 4 and dropped.outcome.detail["dropped_out_of_scope"] == 4

    # A local address outside the scope never multicasts at all.
    elsewhere = Scope.from_cidrs([BRANCH])
    before = _count(near, "ssdp-searches")
    net.inside("scan", lambda: run_names(elsewhere, [], multicast_from=[SCAN_IP]))
    assert _count(near, "ssdp-searches") == before


@pytest.mark.root
def test_silent_hosts_and_budget(names_site: tuple[Site, Path, Path]) -> None:
    net, _near, _far = names_site
    settings = NamesSettings(timeout_s=0.3, budget_s=5)
    result = net.inside("scan", lambda: run_names(scope(), [RTR_IP], settings=settings))
    assert result.outcome.ok
    assert result.observations == []
    assert result.outcome.detail["packets_sent"] == 3  # one per protocol; nothing to follow up
    spent = net.inside(
        "scan",
        lambda: run_names(
            scope(),
            ["10.97.0.99"],
            settings=NamesSettings(timeout_s=2, budget_s=0.5),
            lang=Language.EN,
        ),
    )
    assert spent.outcome.ok is False
    assert spent.outcome.error == (
        "names: the 0.5 s budget ran out; some hosts were not fully queried"
    )


def test_bad_input_is_named_not_raised() -> None:
    result = run_names(scope(), ["nope", "192.168.9.9"], lang=Language.EN)
    assert result.probes == []
    assert result.outcome.error == "'nope' is not an IPv4 address: not queried"
    french = run_names(scope(), ["nope"], lang=Language.FR)
    assert french.outcome.error == "'nope' n'est pas une adresse IPv4 : non interrogée"


@pytest.mark.root
def test_scan_entry_point_multicasts_from_the_interface(
    names_site: tuple[Site, Path, Path],
) -> None:
    net, near, _far = names_site
    before = _count(near, "ssdp-searches")
    result = net.inside("scan", lambda: query(scope(), [NEAR_IP], interface="eth0"))
    assert result.outcome.ok, result.outcome.error
    assert _count(near, "ssdp-searches") == before + 2  # unicast, then multicast from eth0
    assert any(
        p.action == "ssdp multicast m-search" and SCAN_IP in p.targets for p in result.probes
    )
    assert all(o.vantage == "eth0" for o in result.observations)
    assert of(result.observations, ObservationKind.MDNS_SERVICE, NEAR_IP)


@pytest.mark.root
def test_each_host_gets_ten_packets_per_second_at_most(names_site: tuple[Site, Path, Path]) -> None:
    net, near, _far = names_site
    rule = f"src host {SCAN_IP} and dst host {NEAR_IP} and udp"
    capture = Capture(net, "near", rule, near / "rate.pcap")
    result = net.inside("scan", lambda: run_names(scope(), [NEAR_IP]))
    assert result.outcome.ok, result.outcome.error
    times = capture.times()
    assert len(times) == result.outcome.detail["packets_sent"] >= 5
    assert busiest_second(times) <= 10


@pytest.mark.lab
def test_office_lab_names(lab: LabInstance) -> None:
    office = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.240/28"])
    hosts = ["10.77.0.31", "10.77.0.101", "10.77.0.103", "10.77.0.110", "10.77.20.50"]
    result = in_namespace(lab.namespace_of(), lambda: query(office, hosts))
    assert result.outcome.ok, result.outcome.error
    found = result.observations

    def txt(ip: str, kind: str) -> dict[str, str]:
        services = of(found, ObservationKind.MDNS_SERVICE, ip)
        return next(d["txt"] for d in services if d["type"] == kind)

    assert txt("10.77.0.103", "_device-info._tcp")["model"] == "Mac15,3"  # mbp01
    assert txt("10.77.0.110", "_device-info._tcp")["model"].startswith("iPad")  # ipad01
    assert txt("10.77.0.31", "_device-info._tcp") == {"model": "Xserve"}  # the NAS trap
    assert txt("10.77.0.31", "_http._tcp")["vendor"] == "Synology"
    names = {(o.ip, o.data["name"]) for o in found if o.kind is ObservationKind.HOSTNAME}
    assert ("10.77.0.110", "Janes-iPad.local") in names
    assert ("10.77.0.101", "DESKTOP-7K3Q2ZD") in names  # NBNS of pc01
    assert ("10.77.20.50", "AGENCE-PC01") in names  # NBNS across the router
    described = [d for d in of(found, ObservationKind.SSDP, "10.77.0.31") if "description" in d]
    assert described and described[0]["description"]["modelType"] == "NAS"


def test_a_chatty_host_cannot_hold_the_query_open() -> None:
    """On loopback: 100 datagrams arrive, the collector keeps ``max_replies`` and stops."""
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ours,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as chatty,
    ):
        ours.bind(("127.0.0.1", 0))
        chatty.bind(("127.0.0.1", 0))
        for number in range(100):
            chatty.sendto(b"x%d" % number, ours.getsockname())
        settings = NamesSettings(timeout_s=5, linger_s=5, max_replies=5)
        started = time.monotonic()
        got = _collect(ours, settings, time.monotonic() + 30, asked=1900, only="127.0.0.1")
        assert time.monotonic() - started < 4.5  # returned on the cap, not on a timeout
        assert [r.payload for r in got] == [b"x0", b"x1", b"x2", b"x3", b"x4"]
        assert all(r.asked == 1900 and r.src == "127.0.0.1" for r in got)

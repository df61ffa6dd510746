"""The snmp source: the pure parser on a recorded reply, then pysnmp against real snmpd agents
(Debian's net-snmp) in the namespace site: a printer on the LAN, the router (ipForwarding 1, a
private community) and a switch-like agent behind it (dot1dBaseNumPorts)."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.models import ObservationKind
from scopeaudit.scope import Scope
from scopeaudit.sources.snmp import (
    SYSTEM_OIDS,
    RawVarBind,
    SnmpSettings,
    read_system,
    run_snmp,
    system_data,
    system_observations,
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
    FrameCounter,
    Site,
    in_namespace,
    site,
)

DATA = Path(__file__).parent / "data"
WHEN = datetime(2026, 11, 28, tzinfo=UTC)
PRINTER_DESCR = "HP ETHERNET MULTI-ENVIRONMENT,ROM A.03.15,JETDIRECT,JD24,EEPROM A.04.09"


def recorded(name: str) -> dict[str, list[RawVarBind]]:
    raw = json.loads((DATA / name).read_text())
    return {
        ip: [
            RawVarBind(oid, kind, bytes.fromhex(value) if kind.endswith("String") else value)
            for oid, kind, value in binds
        ]
        for ip, binds in raw.items()
    }


# --- pure parts -------------------------------------------------------------------------------


def test_recorded_printer_reply() -> None:
    binds = recorded("snmp-hp-printer.json")["10.97.0.30"]
    assert system_data(binds) == {
        "sysDescr": PRINTER_DESCR,
        "sysObjectID": "1.3.6.1.4.1.11.2.3.9.1",
        "sysContact": "IT desk <it@example.test>",
        "sysName": "NPI8E2A1F",
        "sysLocation": "Etage 2, salle café",
        "sysServices": 72,
        "ipForwarding": 2,
    }  # dot1dBaseNumPorts was noSuchObject: absent, not invented


def test_engine_id_is_kept_as_hex() -> None:
    engine = bytes.fromhex("80001f8880a1b2c3d4e5f6")  # net-snmp's format: enterprise 8072 + MAC
    binds = [
        RawVarBind(SYSTEM_OIDS["sysName"], "OctetString", b"rtr01"),
        RawVarBind(SYSTEM_OIDS["snmpEngineID"], "OctetString", engine),
    ]
    assert system_data(binds) == {"sysName": "rtr01", "snmpEngineID": "80001f8880a1b2c3d4e5f6"}
    empty = [binds[0], RawVarBind(SYSTEM_OIDS["snmpEngineID"], "OctetString", b"")]
    assert system_data(empty) == {"sysName": "rtr01"}


def test_observations_carry_the_system_group_and_the_name() -> None:
    binds = recorded("snmp-hp-printer.json")["10.97.0.30"]
    found = system_observations("10.97.0.30", binds, vantage="eth0", time=WHEN)
    assert [o.kind for o in found] == [ObservationKind.SNMP_SYSTEM, ObservationKind.HOSTNAME]
    assert found[1].data == {"name": "NPI8E2A1F", "origin": "snmp"}
    assert all(o.source is Source.SNMP and o.ip == "10.97.0.30" for o in found)


def test_hostile_and_empty_values() -> None:
    binds = [
        RawVarBind(SYSTEM_OIDS["sysDescr"], "OctetString", b"\xff\xfeevil\x00<b>"),
        RawVarBind(SYSTEM_OIDS["sysServices"], "OctetString", b"72"),  # wrong type: ignored
        RawVarBind("1.3.6.1.2.1.1.3.0", "TimeTicks", 12345),  # not asked for: ignored
        RawVarBind(SYSTEM_OIDS["sysName"], "OctetString", b""),
    ]
    data = system_data(binds)
    assert data == {"sysDescr": "\ufffd\ufffdevil\x00<b>", "sysName": ""}
    # An empty sysName is kept in the data but gives no hostname.
    kinds = [o.kind for o in system_observations("10.0.0.1", binds, vantage="x", time=WHEN)]
    assert kinds == [ObservationKind.SNMP_SYSTEM]
    nothing = [RawVarBind(oid, "NoSuchObject", None) for oid in SYSTEM_OIDS.values()]
    assert system_data(nothing) is None
    assert system_observations("10.0.0.1", nothing, vantage="x", time=WHEN) == []


# --- real snmpd agents ------------------------------------------------------------------------

AGENTS = {
    "near": (NEAR_IP, "public", f"sysDescr {PRINTER_DESCR}\nsysObjectID .1.3.6.1.4.1.11.2.3.9.1\n"
             "sysName NPI8E2A1F\nsysServices 72\n"),
    "rtr": (RTR_IP, "s3cret-ro", "sysDescr Cisco IOS Software [Everest], ISR Software, "
            "Version 16.6.8\nsysObjectID .1.3.6.1.4.1.9.1.1862\nsysName BR-RTR01\n"
            "sysServices 78\n"),
    "far": (FAR_IP, "public", "sysDescr Cisco IOS Software, C9200 Software\n"
            "sysObjectID .1.3.6.1.4.1.9.1.2710\nsysName SW-CORE01\nsysServices 2\n"
            "override .1.3.6.1.2.1.17.1.2.0 integer 24\n"),
}  # fmt: skip


@pytest.fixture(scope="module")
def snmp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, Path]]:
    folder = tmp_path_factory.mktemp("sa7-snmp")
    with site("sn") as net:
        for short, (ip, community, extra) in AGENTS.items():
            home = folder / short
            home.mkdir()
            conf = home / "snmpd.conf"
            conf.write_text(f"agentAddress udp:{ip}:161\nrocommunity {community}\n{extra}")
            net.spawn(
                short,
                "env", f"SNMP_PERSISTENT_DIR={home}", "MIBS=",
                "snmpd", "-f", "-Lo", "-C", "-c", str(conf), "-p", str(home / "pid"),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        time.sleep(1.0)
        yield net, folder


@pytest.mark.root
def test_reads_the_system_group_of_real_agents(snmp_site: tuple[Site, Path]) -> None:
    net, folder = snmp_site
    counter = FrameCounter(net, "excl", EXCL_IP, EXCL_MAC, folder)
    scope = Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])
    settings = SnmpSettings(communities=("public", "s3cret-ro"))
    result = net.inside(
        "scan",
        lambda: run_snmp(scope, [NEAR_IP, RTR_IP, FAR_IP, EXCL_IP], settings=settings),
    )
    assert result.outcome.ok, result.outcome.error
    assert result.answered == [RTR_IP, NEAR_IP, FAR_IP]
    systems = {o.ip: o.data for o in result.observations if o.kind is ObservationKind.SNMP_SYSTEM}
    assert systems[NEAR_IP]["sysDescr"] == PRINTER_DESCR
    assert systems[NEAR_IP]["sysObjectID"] == "1.3.6.1.4.1.11.2.3.9.1"
    assert systems[NEAR_IP]["ipForwarding"] == 2
    assert systems[RTR_IP]["ipForwarding"] == 1  # snmpd reads the namespace's ip_forward
    assert systems[RTR_IP]["sysServices"] == 78
    assert systems[FAR_IP]["dot1dBaseNumPorts"] == 24
    assert "dot1dBaseNumPorts" not in systems[NEAR_IP]
    names = {
        o.ip: o.data["name"] for o in result.observations if o.kind is ObservationKind.HOSTNAME
    }
    assert names == {NEAR_IP: "NPI8E2A1F", RTR_IP: "BR-RTR01", FAR_IP: "SW-CORE01"}
    # The excluded host was never asked; the community never lands in the evidence or the log.
    assert result.probes[0].count == 3
    assert counter.count() == 0
    dumped = json.dumps(
        [o.model_dump(mode="json") for o in result.observations]
        + [p.model_dump(mode="json") for p in result.probes]
    )
    assert "s3cret" not in dumped


@pytest.mark.root
def test_wrong_community_and_silent_hosts_are_not_failures(snmp_site: tuple[Site, Path]) -> None:
    net, _ = snmp_site
    scope = Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])
    settings = SnmpSettings(communities=("public",), timeout_s=0.5, retries=0)
    result = net.inside("scan", lambda: run_snmp(scope, [RTR_IP], settings=settings))
    assert result.outcome.ok
    assert result.observations == [] and result.answered == []
    assert result.outcome.detail == {"queried": 1, "answered": 0}


@pytest.mark.root
def test_budget_stops_the_source_with_a_clear_line(snmp_site: tuple[Site, Path]) -> None:
    net, _ = snmp_site
    scope = Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])
    settings = SnmpSettings(timeout_s=1.0, retries=3, budget_s=0.5)
    started = time.monotonic()
    result = net.inside(
        "scan", lambda: run_snmp(scope, ["10.97.0.99"], settings=settings, lang=Language.EN)
    )
    assert time.monotonic() - started < 3
    assert result.outcome.ok is False
    assert result.outcome.error == "snmp: the 0.5 s budget ran out; 1 of 1 host(s) not read"


def test_nothing_in_scope_means_nothing_sent() -> None:
    scope = Scope.from_cidrs([LAN], [EXCLUDED])
    result = run_snmp(scope, [EXCL_IP, "192.168.7.7", "nope"], lang=Language.EN)
    assert result.probes == [] and result.observations == []
    assert result.outcome.error == "'nope' is not an IPv4 address: not queried"
    french = run_snmp(scope, ["nope"], lang=Language.FR)
    assert french.outcome.error == "'nope' n'est pas une adresse IPv4 : non interrogée"


@pytest.mark.root
def test_scan_entry_point_uses_the_configured_communities(snmp_site: tuple[Site, Path]) -> None:
    net, _ = snmp_site
    scope = Scope.from_cidrs([LAN, BRANCH], [EXCLUDED])
    public = net.inside("scan", lambda: read_system(scope, [RTR_IP, NEAR_IP]))
    assert public.answered == [NEAR_IP]  # the router only knows its private community
    private = net.inside("scan", lambda: read_system(scope, [RTR_IP], communities=["s3cret-ro"]))
    assert private.answered == [RTR_IP]


@pytest.mark.lab
def test_office_lab_system_groups(lab: LabInstance) -> None:
    office = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.240/28"])
    hosts = ["10.77.0.1", "10.77.0.2", "10.77.0.30", "10.77.0.31", "10.77.0.33", "10.77.0.101"]
    result = in_namespace(lab.namespace_of(), lambda: read_system(office, hosts))
    assert result.outcome.ok, result.outcome.error
    systems = {o.ip: o.data for o in result.observations if o.kind is ObservationKind.SNMP_SYSTEM}
    names = {ip: data["sysName"] for ip, data in systems.items()}
    assert names == {
        "10.77.0.1": "BR-RTR01",
        "10.77.0.2": "SW-CORE01",
        "10.77.0.30": "NPI8E2A1F",
        "10.77.0.31": "DS920",
        "10.77.0.33": "BRW3C2AF4112233",
    }  # the Windows desktop runs no agent: silent, not an error
    assert systems["10.77.0.1"]["ipForwarding"] == 1
    assert systems["10.77.0.30"]["sysObjectID"].startswith("1.3.6.1.4.1.11.")
    assert systems["10.77.0.31"]["sysObjectID"] == "1.3.6.1.4.1.8072.3.2.10"

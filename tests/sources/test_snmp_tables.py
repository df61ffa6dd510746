"""SNMP tables: the pure parser on recorded walks (the lab router recorded with the capture code
and cross-checked against Debian's snmpbulkwalk; a hand-checked Cisco-like access switch with
dot1q FIDs, three VLANs and LLDP), then the capture against the lab's real snmpd agents."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.lab.instance import LabInstance
from scopeaudit.merge import merge
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.scope import Scope
from scopeaudit.snmp_config import SnmpOptions, V3Credential
from scopeaudit.sources.snmp import RawVarBind
from scopeaudit.sources.snmp_tables import (
    is_network_gear,
    parse_walk,
    read_tables,
    table_observations,
    uplink_ports,
)
from scopeaudit.taxonomy import Language, Source

from .sa7_netns import in_namespace

DATA = Path(__file__).parent / "data" / "snmp_tables"
WHEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
OFFICE = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.224/28"])


def recorded(name: str) -> dict[str, list[RawVarBind]]:
    raw = json.loads((DATA / name).read_text())
    return {
        ip: [
            RawVarBind(oid, kind, bytes.fromhex(value) if isinstance(value, str) else value)
            for oid, kind, value in binds
        ]
        for ip, binds in raw.items()
    }


def of_kind(found: list[Observation], kind: ObservationKind) -> list[Observation]:
    return [o for o in found if o.kind is kind]


# --- the lab router, recorded ------------------------------------------------------------------


def test_router_neighbour_table_recorded_in_the_lab() -> None:
    binds = recorded("lab-rtr01.json")["10.77.0.1"]
    found, dropped = table_observations("10.77.0.1", binds, time=WHEN, allows=OFFICE.allows)
    rows = {o.ip: o for o in of_kind(found, ObservationKind.SNMP_NEIGHBOR)}
    # The routed branch desktop, with its real MAC, learned on the branch interface.
    branch = rows["10.77.20.50"]
    assert branch.mac == "18:66:da:20:30:01"
    assert branch.data["if_name"] == "eth1" and branch.data["if_index"] == 3
    assert branch.data["reporter_ip"] == "10.77.0.1"
    assert branch.data["reporter_name"] == "BR-RTR01"
    assert branch.vantage == "snmp:10.77.0.1"
    assert branch.data["tables"] == ["ipNetToMediaTable", "ipNetToPhysicalTable"]
    assert branch.data["type"] == "dynamic" and branch.data["state"] in (
        "reachable",
        "stale",
        "delay",
    )
    assert isinstance(branch.data["age_s"], float) and branch.data["age_s"] >= 0
    assert rows["10.77.0.30"].mac == "3c:d9:2b:8e:2a:1f"
    # The excluded guest (10.77.0.230) and the public canary (203.0.113.10) are counted only.
    assert "10.77.0.230" not in rows and "203.0.113.10" not in rows
    assert dropped == 2
    assert all(o.source is Source.SNMP and o.time == WHEN for o in found)
    # A Linux router has no bridge and no LLDP agent: no FDB, no LLDP rows, nothing invented.
    assert of_kind(found, ObservationKind.SNMP_FDB) == []
    assert of_kind(found, ObservationKind.SNMP_LLDP) == []


def test_capture_agrees_with_debian_snmpwalk() -> None:
    """The same table walked by net-snmp's snmpbulkwalk a moment later: same (ip, mac) rows."""
    text = (DATA / "lab-rtr01.snmpwalk.txt").read_text()
    pattern = re.compile(
        r"^\.1\.3\.6\.1\.2\.1\.4\.22\.1\.2\.\d+\.(\S+) = Hex-STRING: ((?:[0-9A-F]{2} ?){6})", re.M
    )
    walked = {(ip, mac.strip().lower().replace(" ", ":")) for ip, mac in pattern.findall(text)}
    assert len(walked) >= 20
    device = parse_walk(recorded("lab-rtr01.json")["10.77.0.1"])
    assert set(device.neighbors) == walked


# --- a Cisco-like access switch, hand-checked ---------------------------------------------------


def switch() -> tuple[list[Observation], int]:
    binds = recorded("cisco-access-dot1q.json")["10.77.0.3"]
    return table_observations("10.77.0.3", binds, time=WHEN, allows=OFFICE.allows)


def test_dot1q_forwarding_table_with_fids_and_vlans() -> None:
    found, dropped = switch()
    assert dropped == 0 and of_kind(found, ObservationKind.SNMP_NEIGHBOR) == []
    fdb = {(o.mac, o.data["fid"]): o.data for o in of_kind(found, ObservationKind.SNMP_FDB)}
    desktop = fdb[("b0:4f:13:5c:99:01", 10)]
    assert desktop == {
        "mac": "b0:4f:13:5c:99:01",
        "port": 1,
        "if_index": 10101,
        "if_name": "Gi1/0/1",  # ifName wins over ifDescr
        "fid": 10,
        "vlan": 10,
        "status": "learned",
        "uplink": False,
        "port_macs": 1,
        "reporter_ip": "10.77.0.3",
        "reporter_name": "SW-ACCESS02",
    }
    # The phone (voice VLAN 20) and the PC behind it (data VLAN 10) share port Gi1/0/2.
    assert fdb[("80:5e:c0:7a:15:01", 20)]["if_name"] == "Gi1/0/2"
    assert fdb[("f4:d4:88:6a:10:01", 10)]["port_macs"] == 2
    assert fdb[("20:04:0f:6e:77:01", 30)]["vlan"] == 30
    # One MAC in three VLANs behind the uplink: three rows, all uplink.
    router = [d for (mac, _fid), d in fdb.items() if mac == "70:10:5c:3a:11:01"]
    assert sorted(d["vlan"] for d in router) == [10, 20, 30]
    assert all(d["uplink"] for d in router)
    # The switch's own MAC (self, port 0) and the invalid row are not rows; the dot1d copy of
    # the desktop's row adds nothing.
    assert ("4c:71:0c:5b:aa:01", 10) not in fdb and ("00:11:22:33:44:55", 10) not in fdb
    assert [k for k in fdb if k[0] == "b0:4f:13:5c:99:01"] == [("b0:4f:13:5c:99:01", 10)]
    assert len(fdb) == 8 + 9


def test_uplink_rule() -> None:
    device = parse_walk(recorded("cisco-access-dot1q.json")["10.77.0.3"])
    # Port 24: an LLDP neighbour that routes. Port 5: nine MACs (more than 8). Port 2 carries
    # a phone announcing "bridge": a telephone, not an uplink.
    assert uplink_ports(device) == {5, 24}


def test_lldp_remote_table() -> None:
    found, _ = switch()
    lldp = {o.data["local_port"]: o for o in of_kind(found, ObservationKind.SNMP_LLDP)}
    router = lldp[24]
    assert router.mac == "70:10:5c:3a:11:01"
    assert router.data["chassis_id_subtype"] == "macAddress"
    assert router.data["port_id"] == "Gi0/0/0" and router.data["port_id_subtype"] == "interfaceName"
    assert router.data["system_name"] == "BR-RTR01"
    assert router.data["caps_supported"] == ["bridge", "router"]
    assert router.data["caps_enabled"] == ["router"]
    assert router.data["local_port_name"] == "uplink to BR-RTR01"
    phone = lldp[2]
    assert phone.data["port_id"] == "80:5e:c0:7a:15:01"
    assert phone.data["caps_enabled"] == ["bridge", "telephone"]
    assert phone.data["reporter_name"] == "SW-ACCESS02"


def test_hostile_and_broken_rows() -> None:
    binds = [
        RawVarBind("1.3.6.1.2.1.1.5.0", "OctetString", b"<script>\xff"),
        # A row with a 5-octet "MAC", a multicast MAC, an invalid type, a non-IPv4 phys row.
        RawVarBind("1.3.6.1.2.1.4.22.1.2.2.10.77.0.9", "OctetString", b"\x01\x02\x03\x04\x05"),
        RawVarBind("1.3.6.1.2.1.4.22.1.2.2.10.77.0.10", "OctetString", b"\x01\x00\x5e\x00\x00\x01"),
        RawVarBind("1.3.6.1.2.1.4.22.1.2.2.10.77.0.11", "OctetString", b"\x00\x11\x22\x33\x44\x55"),
        RawVarBind("1.3.6.1.2.1.4.22.1.4.2.10.77.0.11", "Integer", 2),
        RawVarBind("1.3.6.1.2.1.4.35.1.4.2.2.16.254.128.0.0.0.0.0.0.0.0.0.0.0.0.0.1", "OctetString",
                   b"\x00\x11\x22\x33\x44\x66"),
        RawVarBind("1.3.6.1.2.1.4.22.1.2.2.10.77.0.12", "NoSuchInstance", None),
        RawVarBind("1.3.6.1.2.1.4.22.1.2.x", "OctetString", b"\x00\x11\x22\x33\x44\x77"),
    ]  # fmt: skip
    device = parse_walk(binds)
    assert device.sys_name == "<script>\ufffd"  # kept raw (escaped when rendered)
    assert device.neighbors == {}
    assert table_observations("10.77.0.1", binds, time=WHEN) == ([], 0)


def test_which_devices_are_network_gear() -> None:
    assert is_network_gear({"ipForwarding": 1, "sysServices": 78})
    assert is_network_gear({"ipForwarding": 2, "dot1dBaseNumPorts": 28})
    assert is_network_gear({"sysServices": 2})  # an L2 switch
    assert is_network_gear({"sysServices": 6})  # an access point (L2 + L3)
    assert not is_network_gear({"ipForwarding": 2, "sysServices": 72})  # a printer, a NAS
    assert not is_network_gear({})


def test_router_table_binds_routed_hosts_to_their_real_mac() -> None:
    """A routed host answered nmap without a MAC; the router's row gives it its own."""
    binds = recorded("lab-rtr01.json")["10.77.0.1"]
    found, _ = table_observations("10.77.0.1", binds, time=WHEN, allows=OFFICE.allows)
    nmap_seen = Observation(
        source=Source.NMAP,
        kind=ObservationKind.ADDRESS,
        time=WHEN,
        vantage="nmap",
        ip="10.77.20.50",
        data={"how": "nmap-ping"},
    )
    devices = merge([nmap_seen, *found])
    branch = [d for d in devices if "10.77.20.50" in d.ips]
    assert len(branch) == 1
    assert branch[0].macs == ["18:66:da:20:30:01"]
    assert 0 in branch[0].evidence  # the nmap sighting joined the MAC's device
    assert not any(r.code == "identity.weak" for r in branch[0].reasons)


def test_no_credentials_sends_nothing() -> None:
    options = SnmpOptions(communities=(), v3=())
    result = read_tables(OFFICE, ["10.77.0.1"], options=options, lang=Language.EN)
    assert result.probes == [] and result.observations == [] and result.outcome.ok


def test_out_of_scope_devices_are_never_walked() -> None:
    result = read_tables(OFFICE, ["10.77.0.230", "192.0.2.1", "nope"], lang=Language.EN)
    assert result.probes == [] and result.outcome.detail["tables_queried"] == 0


# --- the lab --------------------------------------------------------------------------------------


@pytest.mark.lab
def test_lab_router_table_live(lab: LabInstance) -> None:
    options = SnmpOptions(communities=("public",))
    result = in_namespace(
        lab.namespace_of(), lambda: read_tables(OFFICE, ["10.77.0.1"], options=options)
    )
    assert result.outcome.ok, result.outcome.error
    assert result.walked == ["10.77.0.1"]
    rows = {o.ip: o.mac for o in of_kind(result.observations, ObservationKind.SNMP_NEIGHBOR)}
    assert rows["10.77.20.50"] == "18:66:da:20:30:01"
    # lap02 answers nothing and nmap does not find it; it talks to its gateway, so the router
    # knows it (STALE on Linux: nothing makes rtr01 confirm it), and merge makes it a device
    assert rows["10.77.20.51"] == "f8:94:c2:4b:20:51"
    devices = merge(list(result.observations))
    assert [d.ips for d in devices if "f8:94:c2:4b:20:51" in d.macs] == [["10.77.20.51"]]
    assert "10.77.0.230" not in rows and result.dropped >= 1
    dumped = json.dumps([p.model_dump(mode="json") for p in result.probes])
    assert "public" not in dumped


@pytest.mark.lab
def test_lab_wrong_credentials_are_an_outcome(lab: LabInstance) -> None:
    # A wrong community gets no answer at all (SNMPv2c has no error for it).
    options = SnmpOptions(communities=("h20-wrong-community",), timeout_s=0.5, retries=0)
    for lang, text in ((Language.EN, "did not answer"), (Language.FR, "n'a répondu")):
        result = in_namespace(
            lab.namespace_of(),
            lambda lang=lang: read_tables(OFFICE, ["10.77.0.1"], options=options, lang=lang),
        )
        assert result.outcome.ok is False and result.observations == []
        assert text in (result.outcome.error or "")
        assert "h20-wrong" not in (result.outcome.error or "")
        assert "h20-wrong" not in repr(result)


def test_fdb_rows_give_the_access_port_not_the_uplink() -> None:
    found, _ = switch()
    desktop_arp = Observation(
        source=Source.ARP,
        kind=ObservationKind.ADDRESS,
        time=WHEN,
        vantage="eth0",
        mac="b0:4f:13:5c:99:01",
        ip="10.77.0.101",
        data={"how": "arp-reply"},
    )
    devices = {d.macs[0]: d for d in merge([desktop_arp, *found])}
    port = devices["b0:4f:13:5c:99:01"].switch_port
    assert port is not None
    assert (port.switch_ip, port.switch_name, port.port, port.if_name, port.vlan) == (
        "10.77.0.3",
        "SW-ACCESS02",
        1,
        "Gi1/0/1",
        10,
    )
    assert devices["b0:4f:13:5c:99:01"].ips == ["10.77.0.101"]
    # The router is behind the uplink (and known by LLDP): no access port for it.
    assert devices["70:10:5c:3a:11:01"].switch_port is None
    assert "BR-RTR01" in devices["70:10:5c:3a:11:01"].hostnames
    # The branch desktop's only rows are uplink rows: not a device on this switch.
    assert "18:66:da:20:30:01" not in devices
    # The desk switch's nine MACs: an uplink by count, so no device either.
    assert not any(mac.startswith("00:1b:21:00:00:") for mac in devices)
    assert devices["80:5e:c0:7a:15:01"].switch_port is not None


def test_lab_switch_forwarding_table_recorded() -> None:
    """sw01's real bridge (pass_persist over the kernel FDB), walked with the capture code and
    cross-checked with Debian's snmpbulkwalk of the same moment."""
    binds = recorded("lab-sw01.json")["10.77.0.2"]
    found, _ = table_observations("10.77.0.2", binds, time=WHEN, allows=OFFICE.allows)
    fdb = {o.mac: o.data for o in of_kind(found, ObservationKind.SNMP_FDB)}
    access = {mac: (d["port"], d["if_name"]) for mac, d in fdb.items() if not d["uplink"]}
    assert access == {
        "3c:d9:2b:8e:2a:1f": (5, "gi1-0-5"),  # prn01
        "3c:2a:f4:11:22:33": (6, "gi1-0-6"),  # prn02
        "b0:4f:13:5c:99:01": (3, "gi1-0-3"),  # pc01
        "f4:d4:88:6a:10:01": (4, "gi1-0-4"),  # mbp01
        "80:5e:c0:7a:15:01": (7, "gi1-0-7"),  # tel01
        "c0:56:e3:5a:6b:7c": (8, "gi1-0-8"),  # cam01
    }
    uplink = {d["port"] for d in fdb.values() if d["uplink"]}
    assert uplink == {24} and fdb["70:10:5c:3a:11:01"]["port_macs"] > 8
    assert all(d["reporter_name"] == "SW-CORE01" and d["fid"] == 1 for d in fdb.values())
    text = (DATA / "lab-sw01.snmpwalk.txt").read_text()
    ports = re.findall(
        r"^\.1\.3\.6\.1\.2\.1\.17\.7\.1\.2\.2\.1\.2\.1\.([\d.]+) = INTEGER: (\d+)", text, re.M
    )
    walked = {":".join(f"{int(p):02x}" for p in mac.split(".")): int(port) for mac, port in ports}
    assert walked.pop("4c:71:0c:5b:22:01") == 0  # the switch itself (self, port 0): no row
    assert walked == {mac: d["port"] for mac, d in fdb.items()}


@pytest.mark.lab
def test_lab_v3_auth_priv_and_wrong_key(lab: LabInstance) -> None:
    import yaml

    user = yaml.safe_load((DATA.parents[3] / "fixtures" / "lab" / "snmp-v3.yaml").read_text())
    user = user["users"][0]
    good = V3Credential(user=user["user"], auth_key=user["auth_key"], priv_key=user["priv_key"])
    options = SnmpOptions(communities=(), v3=(good,))
    result = in_namespace(
        lab.namespace_of(),
        lambda: read_tables(OFFICE, ["10.77.0.1", "10.77.0.2"], options=options),
    )
    assert result.outcome.ok, result.outcome.error
    assert result.walked == ["10.77.0.1", "10.77.0.2"]
    kinds = {o.kind for o in result.observations}
    assert {ObservationKind.SNMP_NEIGHBOR, ObservationKind.SNMP_FDB} <= kinds
    bad = SnmpOptions(
        communities=(),
        v3=(V3Credential(user=user["user"], auth_key="h20-not-the-key", priv_key="h20-nope-x"),),
        timeout_s=0.5,
        retries=0,
    )
    for lang, text in (
        (Language.EN, "10.77.0.1: authentication failed"),
        (Language.FR, "10.77.0.1 : échec d'authentification"),
    ):
        failed = in_namespace(
            lab.namespace_of(),
            lambda lang=lang: read_tables(OFFICE, ["10.77.0.1"], options=bad, lang=lang),
        )
        assert failed.outcome.ok is False and failed.observations == []
        assert text in (failed.outcome.error or "")
        for secret in ("h20-not-the-key", "h20-nope-x", user["priv_key"]):
            assert secret not in repr(failed) and secret not in (failed.outcome.error or "")


@pytest.mark.lab
def test_lab_moved_persona_shows_on_its_new_port(lab: LabInstance) -> None:
    options = SnmpOptions(communities=("public",))

    def port_of(mac: str) -> int | None:
        result = in_namespace(
            lab.namespace_of(), lambda: read_tables(OFFICE, ["10.77.0.2"], options=options)
        )
        rows = [o for o in of_kind(result.observations, ObservationKind.SNMP_FDB) if o.mac == mac]
        return rows[0].data["port"] if rows else None

    camera = "c0:56:e3:5a:6b:7c"
    assert port_of(camera) == 8
    moved = lab.move_to_port("cam01", 15)
    assert moved["switch_ports"][0]["port"] == 15
    try:
        # The camera speaks on its own schedule: ping it so its MAC is learned again, and give
        # a loaded machine a few rounds (the next scan, not a timing assertion).
        seen: list[int | None] = []
        for _ in range(10):
            lab.exec(["ping", "-c", "1", "-W", "1", "10.77.0.64"], timeout=10)
            seen.append(port_of(camera))
            if seen[-1] == 15:
                break
            time.sleep(1)
        assert seen[-1] == 15, seen
    finally:
        lab.move_to_port("cam01", 8)


def _switch_snapshot(folder: Path) -> Path:
    from scopeaudit.models import Snapshot
    from scopeaudit.snapshot import seal, write_snapshot

    found, _ = switch()
    arp = Observation(
        source=Source.ARP,
        kind=ObservationKind.ADDRESS,
        time=WHEN,
        vantage="eth0",
        mac="b0:4f:13:5c:99:01",
        ip="10.77.0.101",
        data={"how": "arp-reply"},
    )
    observations = [arp, *found]
    snapshot = Snapshot(
        tool_version="test",
        started_at=WHEN,
        finished_at=WHEN,
        observations=observations,
        devices=merge(observations),
    )
    path = folder / "snap.json"
    write_snapshot(seal(snapshot), path)
    return path


def test_scan_summary_and_explain_show_the_port(tmp_path: Path) -> None:
    import subprocess
    import sys

    from rich.console import Console

    from scopeaudit.render.scan import scan_summary
    from scopeaudit.snapshot import read_snapshot

    path = _switch_snapshot(tmp_path)
    console = Console(record=True, width=200)
    scan_summary(console, read_snapshot(path), Language.FR)
    assert "port de switch : SW-ACCESS02 (10.77.0.3) Gi1/0/1, VLAN 10" in console.export_text()
    for lang, text in (
        ("en", "switch port: SW-ACCESS02 (10.77.0.3) Gi1/0/1, VLAN 10"),
        ("fr", "port de switch : SW-ACCESS02 (10.77.0.3) Gi1/0/1, VLAN 10"),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "scopeaudit", "explain", str(path), "b0:4f:13:5c:99:01",
             "--lang", lang],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert text in done.stdout


def test_stale_router_rows_are_no_sighting() -> None:
    """A phone's previous random MAC lingers in the router's table as STALE: no device; a
    stable MAC's STALE row is one."""

    def row(mac: str, state: str | None) -> Observation:
        return Observation(
            source=Source.SNMP,
            kind=ObservationKind.SNMP_NEIGHBOR,
            time=WHEN,
            vantage="snmp:10.77.0.1",
            mac=mac,
            ip="10.77.0.112" if state else "10.77.20.50",
            data={"ip": "10.77.0.112", "mac": mac, "state": state, "reporter_ip": "10.77.0.1"},
        )

    devices = merge([row("42:f1:9c:03:5d:88", "stale"), row("18:66:da:20:30:01", None)])
    assert [d.macs for d in devices] == [["18:66:da:20:30:01"]]
    fresh = merge([row("42:f1:9c:03:5d:88", "delay")])
    assert [d.macs for d in fresh] == [["42:f1:9c:03:5d:88"]]
    # a stable MAC's STALE row is a silent host that only talks to its router: a sighting
    silent = merge([row("f8:94:c2:4b:20:51", "stale")])
    assert [d.macs for d in silent] == [["f8:94:c2:4b:20:51"]]


def test_physical_table_supersedes_the_media_table() -> None:
    """net-snmp caches the two tables apart: the old table may still list a replaced MAC."""
    media = "1.3.6.1.2.1.4.22.1"
    physical = "1.3.6.1.2.1.4.35.1"
    old, new = b"\x16\xf1\x9c\x03\x5d\x88", b"\x2a\xf1\x9c\x03\x5d\x88"
    binds = [
        RawVarBind(f"{media}.2.2.10.77.0.112", "OctetString", old),
        RawVarBind(f"{media}.4.2.10.77.0.112", "Integer", 3),
        RawVarBind(f"{media}.2.2.10.77.0.30", "OctetString", b"\x3c\xd9\x2b\x8e\x2a\x1f"),
        RawVarBind(f"{physical}.4.2.1.4.10.77.0.112", "OctetString", new),
        RawVarBind(f"{physical}.7.2.1.4.10.77.0.112", "Integer", 1),
    ]
    assert set(parse_walk(binds).neighbors) == {("10.77.0.112", "2a:f1:9c:03:5d:88")}
    # An agent without ipNetToPhysicalTable (Cisco IOS): the media table is all there is.
    only_media = parse_walk(binds[:3]).neighbors
    assert set(only_media) == {
        ("10.77.0.112", "16:f1:9c:03:5d:88"),
        ("10.77.0.30", "3c:d9:2b:8e:2a:1f"),
    }


@pytest.mark.lab
def test_lab_system_group_with_v3_only(lab: LabInstance) -> None:
    """With v3 users and no community, the system group is read over v3, so the gear is
    recognised and its tables walked without listing it in snmp.devices."""
    import yaml

    from scopeaudit.sources.snmp import read_system

    user = yaml.safe_load((DATA.parents[3] / "fixtures" / "lab" / "snmp-v3.yaml").read_text())
    user = user["users"][0]
    good = V3Credential(user=user["user"], auth_key=user["auth_key"], priv_key=user["priv_key"])
    result = in_namespace(
        lab.namespace_of(),
        lambda: read_system(OFFICE, ["10.77.0.1", "10.77.0.2", "10.77.0.30"], v3=[good]),
    )
    assert result.outcome.ok, result.outcome.error
    assert {"10.77.0.1", "10.77.0.2"} <= set(result.answered)
    systems = {o.ip: o.data for o in result.observations if o.kind is ObservationKind.SNMP_SYSTEM}
    assert is_network_gear(systems["10.77.0.1"]) and is_network_gear(systems["10.77.0.2"])
    assert "10.77.0.30" not in systems or not is_network_gear(systems["10.77.0.30"])
    dumped = json.dumps([p.model_dump(mode="json") for p in result.probes])
    assert user["auth_key"] not in dumped and user["priv_key"] not in dumped

"""Merge rules (DESIGN §5) on hand-made observation lists, one test per rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scopeaudit.merge import is_generic_name, merge
from scopeaudit.models import Device, Observation, ObservationKind
from scopeaudit.sources.importer import import_file
from scopeaudit.taxonomy import Source

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
SYNOLOGY_1 = "00:11:32:aa:bb:01"
SYNOLOGY_2 = "00:11:32:aa:bb:02"
DELL = "d0:94:66:00:00:09"
INTEL = "00:1b:21:00:00:09"
ROUTER = "70:10:5c:00:00:01"
RANDOM_1 = "da:a1:19:00:00:01"
RANDOM_2 = "7e:33:10:00:00:02"


def obs(
    kind: ObservationKind,
    mac: str | None = None,
    ip: str | None = None,
    minutes: int = 0,
    source: Source = Source.PASSIVE,
    **data: Any,
) -> Observation:
    return Observation(
        source=source,
        kind=kind,
        time=T0 + timedelta(minutes=minutes),
        vantage="eth0",
        mac=mac,
        ip=ip,
        data=data,
    )


def arp(mac: str, ip: str, minutes: int = 0, how: str = "arp-reply") -> Observation:
    return obs(ObservationKind.ADDRESS, mac, ip, minutes, source=Source.ARP, how=how)


def name(mac: str, value: str, origin: str = "dhcp", ip: str | None = None) -> Observation:
    return obs(ObservationKind.HOSTNAME, mac, ip, name=value, origin=origin)


def by_mac(devices: list[Device], mac: str) -> Device:
    (found,) = [d for d in devices if mac in d.macs]
    return found


def test_one_mac_one_device_with_vendor_and_evidence() -> None:
    observations = [
        arp(DELL, "10.0.0.9"),
        obs(ObservationKind.PORT, DELL, "10.0.0.9", 1, port=22, proto="tcp", state="open"),
        arp(INTEL, "10.0.0.10"),
    ]
    devices = merge(observations)
    assert len(devices) == 2
    dell = by_mac(devices, DELL)
    assert dell.vendor == "Dell" and dell.ips == ["10.0.0.9"]
    assert dell.evidence == [0, 1]
    assert dell.first_seen == T0 and dell.last_seen == T0 + timedelta(minutes=1)
    assert dell.id.startswith("dev-") and len(dell.id) == 16
    assert not dell.randomized_mac and not dell.proxy_arp


def test_ids_are_stable_and_independent_of_order_and_ip() -> None:
    first = merge([arp(DELL, "10.0.0.9"), name(DELL, "PC-COMPTA-01")])
    again = merge([name(DELL, "PC-COMPTA-01"), arp(DELL, "10.0.0.77", 5)])
    assert first[0].id == again[0].id


def test_ip_alone_never_ties_two_macs() -> None:
    # The address moved from one machine to another: two devices, not one.
    devices = merge([arp(DELL, "10.0.0.9", 0), arp(INTEL, "10.0.0.9", 30)])
    assert len(devices) == 2


def test_ip_only_observation_joins_the_latest_holder() -> None:
    late_port = obs(ObservationKind.PORT, None, "10.0.0.9", 40, port=443, proto="tcp", state="open")
    devices = merge([arp(DELL, "10.0.0.9", 0), arp(INTEL, "10.0.0.9", 30), late_port])
    assert 2 in by_mac(devices, INTEL).evidence
    assert 2 not in by_mac(devices, DELL).evidence


def test_routed_host_without_mac_is_a_device_with_a_weak_identity() -> None:
    observations = [
        obs(ObservationKind.ADDRESS, None, "10.1.0.20", source=Source.NMAP, how="nmap"),
        obs(
            ObservationKind.PORT,
            None,
            "10.1.0.20",
            source=Source.NMAP,
            port=22,
            proto="tcp",
            state="open",
        ),
    ]
    (device,) = merge(observations)
    assert device.macs == [] and device.ips == ["10.1.0.20"]
    assert [r.code for r in device.reasons] == ["identity.weak"]
    assert device.reasons[0].params == {"basis": "ip"}
    named = merge([*observations, name_of_routed("srv-app-01.example.lan")])
    assert named[0].reasons == []  # the id now derives from the name
    assert named[0].id != device.id  # a PTR name is steadier than the address


def name_of_routed(value: str) -> Observation:
    return obs(
        ObservationKind.HOSTNAME, None, "10.1.0.20", source=Source.NMAP, name=value, origin="ptr"
    )


def test_rotated_random_mac_with_the_same_name_stays_one_device() -> None:
    observations = [
        name(RANDOM_1, "Lucas-iPhone"),
        arp(RANDOM_1, "10.0.0.50", 0),
        obs(
            ObservationKind.HOSTNAME,
            RANDOM_2,
            "10.0.0.51",
            60,
            name="Lucas-iPhone.local",
            origin="mdns",
        ),
        arp(RANDOM_2, "10.0.0.51", 60),
    ]
    (device,) = merge(observations)
    assert sorted(device.macs) == sorted([RANDOM_1, RANDOM_2])
    assert device.randomized_mac
    assert device.vendor is None  # a random MAC names no manufacturer
    # The id comes from the name, so the next rotation keeps it.
    (later,) = merge([name("22:44:66:00:00:03", "Lucas-iPhone")])
    assert later.id == device.id


def test_random_mac_without_a_name_has_a_weak_identity() -> None:
    (device,) = merge([arp(RANDOM_1, "10.0.0.50")])
    assert device.randomized_mac
    assert device.reasons[0].params == {"basis": "random_mac"}


def test_synology_txt_ties_its_second_interface() -> None:
    observations = [
        arp(SYNOLOGY_1, "10.0.0.6"),
        arp(SYNOLOGY_2, "10.0.0.7"),
        obs(
            ObservationKind.MDNS_SERVICE,
            SYNOLOGY_1,
            "10.0.0.6",
            type="_http._tcp",
            instance="nas01",
            host="nas01.local",
            port=5000,
            txt={
                "vendor": "Synology",
                "model": "DS920+",
                "mac_address": f"{SYNOLOGY_1}|{SYNOLOGY_2}",
            },
        ),
    ]
    (device,) = merge(observations)
    assert device.macs == [SYNOLOGY_1, SYNOLOGY_2]
    assert device.ips == ["10.0.0.6", "10.0.0.7"]
    assert device.vendor == "Synology"


def test_nbns_unit_id_ties_the_mac() -> None:
    observations = [
        arp(DELL, "10.0.0.9"),
        obs(
            ObservationKind.NBNS,
            None,
            "10.0.0.19",
            names=[{"name": "PC-01", "suffix": 0, "group": False}],
            how="node-status",
            unit_id=DELL,
        ),
    ]
    (device,) = merge(observations)
    assert device.ips == ["10.0.0.9", "10.0.0.19"]


def test_same_dhcp_client_id_from_two_macs() -> None:
    client_id = "ff00000001000100012a2b2c2d2e2f"
    observations = [
        obs(ObservationKind.DHCP, RANDOM_1, None, message_type=1, client_id=client_id),
        obs(ObservationKind.DHCP, RANDOM_2, None, 90, message_type=1, client_id=client_id),
    ]
    (device,) = merge(observations)
    assert set(device.macs) == {RANDOM_1, RANDOM_2}
    assert device.reasons == []  # the client-id is a stable identifier


def test_same_name_from_two_universal_macs_is_one_laptop() -> None:
    devices = merge([name(DELL, "LAPTOP-7Q2K"), name(INTEL, "laptop-7q2k.local", "mdns")])
    assert len(devices) == 1 and set(devices[0].macs) == {DELL, INTEL}
    assert devices[0].hostnames == ["LAPTOP-7Q2K", "laptop-7q2k.local"]


def test_generic_names_never_tie() -> None:
    assert is_generic_name("raspberrypi") and is_generic_name("android-1a2b3c4d5e6f7a8b")
    assert is_generic_name("localhost.local") and not is_generic_name("PC-COMPTA-01")
    devices = merge(
        [name("b8:27:eb:00:00:01", "raspberrypi"), name("b8:27:eb:00:00:02", "raspberrypi")]
    )
    assert len(devices) == 2


def test_names_from_queries_or_unnamed_senders_do_not_tie() -> None:
    # A name with no MAC (say, heard for an address) cannot tie two MACs together.
    devices = merge(
        [
            name(DELL, "PC-01"),
            obs(ObservationKind.HOSTNAME, None, "10.0.0.9", name="PC-01", origin="mdns"),
        ]
    )
    assert len(devices) == 2


def test_a_name_does_not_join_devices_with_different_serials() -> None:
    def lldp(mac: str, serial: str) -> Observation:
        return obs(ObservationKind.LLDP, mac, None, chassis_id=mac, med={"serial": serial})

    devices = merge(
        [
            lldp(DELL, "SN-1"),
            name(DELL, "phone-lobby"),
            lldp(INTEL, "SN-2"),
            name(INTEL, "phone-lobby"),
        ]
    )
    assert len(devices) == 2


def test_mdns_reflector_names_do_not_tie() -> None:
    gateway = "70:10:5c:00:00:77"
    observations = [
        obs(ObservationKind.HOSTNAME, gateway, "10.0.0.1", name=n, origin="mdns")
        for n in ("printer-a.local", "nas01.local", "macbook-lucas.local")
    ]
    observations.append(name(DELL, "nas01"))
    devices = merge(observations)
    assert len(devices) == 2
    assert by_mac(devices, DELL).macs == [DELL]


def test_proxy_arp_router_is_flagged_and_keeps_no_borrowed_address() -> None:
    observations = [arp(ROUTER, f"10.0.0.{host}") for host in (1, 20, 21, 22, 23)]
    observations.append(obs(ObservationKind.DHCP, ROUTER, "10.0.0.1", message_type=8))
    observations.append(
        obs(
            ObservationKind.PORT,
            None,
            "10.0.0.21",
            source=Source.NMAP,
            port=22,
            proto="tcp",
            state="open",
        )
    )
    devices = merge(observations)
    router = by_mac(devices, ROUTER)
    assert router.proxy_arp
    assert router.ips == ["10.0.0.1"]  # claimed by its own DHCP, not by proxy answers
    assert set(range(5)) <= set(router.evidence)
    routed = [d for d in devices if d.ips == ["10.0.0.21"]]
    assert len(routed) == 1 and routed[0].macs == []


def test_ttl_through_a_router_gives_it_no_address() -> None:
    observations = [
        arp(ROUTER, "10.0.0.1"),
        obs(ObservationKind.TTL, ROUTER, "93.184.216.34", ttl=52, initial=64, hops=12),
        obs(ObservationKind.TTL, ROUTER, "10.0.0.1", ttl=255, initial=255, hops=0),
    ]
    (router,) = merge(observations)
    assert router.ips == ["10.0.0.1"]
    assert router.evidence == [0, 2]


def test_scanner_interface_is_marked() -> None:
    observations = [
        obs(
            ObservationKind.INTERFACE,
            INTEL,
            "10.0.0.250",
            source=Source.HOST,
            name="eth0",
            cidr="10.0.0.0/24",
            scanner=True,
        ),
        arp(DELL, "10.0.0.9"),
    ]
    devices = merge(observations)
    assert by_mac(devices, INTEL).scanner and not by_mac(devices, DELL).scanner


def test_nmap_vendor_is_the_fallback() -> None:
    unknown = "fc:ff:ff:00:00:01"  # universal, but in no IEEE block we hold
    nmap = obs(
        ObservationKind.ADDRESS,
        unknown,
        "10.0.0.3",
        source=Source.IMPORT,
        how="nmap",
        vendor="Huawei Device",
    )
    assert merge([nmap])[0].vendor == "Huawei"
    assert merge([arp(unknown, "10.0.0.3")])[0].vendor is None


def test_previous_devices_keep_their_ids_and_first_sighting() -> None:
    earlier = T0 - timedelta(days=30)
    previous = [
        Device(id="dev-000000000001", macs=[DELL], first_seen=earlier),
        Device(
            id="dev-000000000002", macs=[RANDOM_1], hostnames=["Lucas-iPhone"], randomized_mac=True
        ),
    ]
    devices = merge([arp(DELL, "10.0.0.99"), name(RANDOM_2, "Lucas-iPhone")], previous)
    dell = by_mac(devices, DELL)
    assert dell.id == "dev-000000000001" and dell.first_seen == earlier
    assert by_mac(devices, RANDOM_2).id == "dev-000000000002"  # matched on its name
    fresh = merge([arp(INTEL, "10.0.0.98")], previous)
    assert fresh[0].id not in {"dev-000000000001", "dev-000000000002"}


@pytest.mark.corpora
def test_iot_sentinel_devices_are_found_whole(corpora: Path) -> None:
    """Each setup capture: the device under test is one device with its MAC, name and vendor."""
    folder = corpora / "pcap" / "iot-sentinel"
    rows = (folder / "iotdevice-mac.tsv").read_text().splitlines()[1:]
    assert len(rows) >= 30
    for row in rows:
        _, mac, pcap = row.split("\t")
        devices = merge(import_file(folder / pcap).observations)
        mine = [d for d in devices if mac in d.macs]
        assert len(mine) == 1, (pcap, [d.macs for d in devices])
        assert not mine[0].randomized_mac and mine[0].vendor is not None, pcap
    hue = merge(import_file(folder / "HueBridge_Setup-A-1-STA.pcap").observations)
    bridge = next(d for d in hue if "00:17:88:24:76:ff" in d.macs)
    assert bridge.vendor == "Philips Lighting"
    assert {"Philips-hue", "Philips-hue.local"} <= set(bridge.hostnames)
    assert bridge.ips == ["10.10.10.6"]


@pytest.mark.corpora
def test_imac_sharing_its_connection_is_one_device(corpora: Path) -> None:
    """iphone.pcap: the iMac's Ethernet MAC and the locally administered MAC of its shared
    network (macOS Internet Sharing, 192.168.2.1) announce the same name: one device."""
    devices = merge(import_file(corpora / "pcap" / "iphone.pcap").observations)
    imac = by_mac(devices, "d8:30:62:56:00:1c")
    assert "c6:2c:03:60:6a:64" in imac.macs and "192.168.2.1" in imac.ips
    assert not imac.randomized_mac and imac.vendor == "Apple"
    phone = by_mac(devices, "c4:61:8b:35:82:a9")
    assert phone.hostnames == ["Lucas-iPhone"] and phone.id != imac.id


def test_apple_announcements_tie_the_wifi_mac() -> None:
    wifi = "c4:2c:03:06:49:fe"
    observations = [
        arp(DELL, "10.0.0.9"),
        obs(
            ObservationKind.MDNS_SERVICE,
            DELL,
            "10.0.0.9",
            type="_raop._tcp",
            instance="C42C030649FE@Lucas iMac",
            host="Lucas-iMac.local",
            port=7000,
            txt={},
        ),
        arp(wifi, "10.0.0.10"),
        arp("3c:22:fb:00:00:01", "10.0.0.11"),
        obs(
            ObservationKind.MDNS_SERVICE,
            INTEL,
            "10.0.0.12",
            type="_odisk._tcp",
            instance="x",
            host=None,
            port=None,
            txt={"sys": "waMA=3C:22:FB:00:00:01,adVF=0x4"},
        ),
    ]
    devices = merge(observations)
    assert set(by_mac(devices, DELL).macs) == {DELL, wifi}
    assert set(by_mac(devices, INTEL).macs) == {INTEL, "3c:22:fb:00:00:01"}


def test_a_mac_answering_for_an_address_another_mac_holds_is_the_proxy() -> None:
    host = "3c:d9:2b:00:00:50"
    observations = [arp(ROUTER, "10.0.0.1"), arp(ROUTER, "10.0.0.50", 1), arp(host, "10.0.0.50", 1)]
    devices = merge(observations)
    router, printer = by_mac(devices, ROUTER), by_mac(devices, host)
    assert router.proxy_arp and router.ips == ["10.0.0.1"]
    assert not printer.proxy_arp and printer.ips == ["10.0.0.50"]


def test_two_macs_claiming_one_address_is_a_conflict_not_proxy_arp() -> None:
    devices = merge([arp(DELL, "10.0.0.60"), arp(INTEL, "10.0.0.60", 1)])
    assert len(devices) == 2
    assert not any(d.proxy_arp for d in devices)
    assert all(d.ips == ["10.0.0.60"] for d in devices)


def test_an_address_that_moved_is_not_proxy_arp() -> None:
    observations = [
        arp(DELL, "10.0.0.50", 0),
        arp(INTEL, "10.0.0.50", 30),
        arp(INTEL, "10.0.0.51", 31),
    ]
    assert not any(d.proxy_arp for d in merge(observations))


# --- the office lab scan (/work/notes/int1-scan.json): hand-made mirrors of its observations ---

NAS = "90:09:d0:1a:2b:3c"
NAS_2 = "90:09:d0:1a:2b:3d"
SRV_1 = "20:04:0f:6e:77:01"
SRV_2 = "20:04:0f:6e:77:02"
RTR = "70:10:5c:3a:11:01"
BRANCH_PC = "18:66:da:20:30:01"
NETSNMP_LINUX = "1.3.6.1.4.1.8072.3.2.10"
CISCO_ISR = "1.3.6.1.4.1.9.1.1861"


def at(seconds: float, observation: Observation) -> Observation:
    return observation.model_copy(update={"time": T0 + timedelta(seconds=seconds)})


def snmp_system(ip: str, sys_name: str, oid: str, descr: str = "") -> list[Observation]:
    """What the snmp source emits for one answering agent: the system group and its name."""
    system = obs(
        ObservationKind.SNMP_SYSTEM,
        None,
        ip,
        source=Source.SNMP,
        sysDescr=descr,
        sysObjectID=oid,
        sysName=sys_name,
        sysServices=72,
        sysContact="root",
        sysLocation="Siege",
    )
    named = obs(
        ObservationKind.HOSTNAME, None, ip, source=Source.SNMP, name=sys_name, origin="snmp"
    )
    return [system, named]


def test_unicast_answers_without_mac_join_the_device_bound_to_their_ip() -> None:
    """nas01: the names source's mDNS/SSDP answers carry the IP only; the SSDP serialNumber
    is the MAC in hex. One device, with the TXT's second MAC, never a second one."""
    txt = {
        "vendor": "Synology",
        "model": "DS920+",
        "serial": "2190PDN123456",
        "mac_address": f"{NAS}|{NAS_2}",
    }
    observations = [
        at(0, arp(NAS, "10.77.0.31")),
        at(8, obs(ObservationKind.ADDRESS, NAS, "10.77.0.31", source=Source.NMAP, how="nmap")),
        at(5, obs(ObservationKind.TTL, NAS, "10.77.0.31", ttl=64, initial=64, hops=0)),
        at(
            5,
            obs(
                ObservationKind.MDNS_SERVICE,
                NAS,
                "10.77.0.31",
                type="_http._tcp",
                instance="DS920",
                host="DS920.local",
                port=5000,
                txt=txt,
            ),
        ),
        at(5, name(NAS, "DS920.local", "mdns", ip="10.77.0.31")),
        at(16, obs(ObservationKind.TTL, None, "10.77.0.31", ttl=64, initial=64, hops=0)),
        at(
            16,
            obs(
                ObservationKind.MDNS_SERVICE,
                None,
                "10.77.0.31",
                source=Source.NAMES,
                type="_device-info._tcp",
                instance="DS920",
                host="DS920.local",
                port=0,
                txt={"model": "Xserve"},
            ),
        ),
        at(
            16,
            obs(
                ObservationKind.MDNS_SERVICE,
                None,
                "10.77.0.31",
                source=Source.NAMES,
                type="_http._tcp",
                instance="DS920",
                host="DS920.local",
                port=5000,
                txt=txt,
            ),
        ),
        at(16, name_of(None, "10.77.0.31", "DS920.local", "mdns", Source.NAMES)),
        at(
            17,
            obs(
                ObservationKind.SSDP,
                None,
                "10.77.0.31",
                source=Source.NAMES,
                method="response",
                description={"manufacturer": "Synology", "serialNumber": "9009d01a2b3c"},
            ),
        ),
        *(at(22, o) for o in snmp_system("10.77.0.31", "DS920", NETSNMP_LINUX)),
    ]
    devices = merge(observations)
    assert len(devices) == 1, [(d.macs, d.ips) for d in devices]
    (nas,) = devices
    assert nas.macs == [NAS, NAS_2]
    assert nas.ips == ["10.77.0.31"]
    assert set(nas.hostnames) == {"DS920.local", "DS920"}
    assert nas.evidence == list(range(len(observations)))


def name_of(mac: str | None, ip: str, value: str, origin: str, source: Source) -> Observation:
    return obs(ObservationKind.HOSTNAME, mac, ip, source=source, name=value, origin=origin)


def lldp_of(mac: str, ip: str, system_name: str, description: str) -> Observation:
    return obs(
        ObservationKind.LLDP,
        mac,
        ip,
        chassis_id=mac,
        port_id="eth0",
        system_name=system_name,
        system_description=description,
        caps_available=["station"],
        caps_enabled=["station"],
        management_addresses=[ip],
    )


def test_two_nics_announcing_one_system_name_are_one_server() -> None:
    """srv01: two Dell NICs, each answering SNMP (sysName srv-app01, no MAC in the answer)."""
    descr = "Linux srv-app01 5.15.0-105-generic #115-Ubuntu SMP x86_64"
    observations = [
        at(0, arp(SRV_1, "10.77.0.40")),
        at(0, arp(SRV_2, "10.77.0.42")),
        at(8, obs(ObservationKind.PORT, SRV_1, "10.77.0.40", port=22, proto="tcp", state="open")),
        at(8, obs(ObservationKind.PORT, SRV_2, "10.77.0.42", port=22, proto="tcp", state="open")),
        *(at(21, o) for o in snmp_system("10.77.0.42", "srv-app01", NETSNMP_LINUX, descr)),
        *(at(21, o) for o in snmp_system("10.77.0.40", "srv-app01", NETSNMP_LINUX, descr)),
    ]
    devices = merge(observations)
    assert len(devices) == 1, [(d.macs, d.ips) for d in devices]
    (server,) = devices
    assert server.macs == [SRV_1, SRV_2]
    assert server.ips == ["10.77.0.40", "10.77.0.42"]
    assert server.hostnames == ["srv-app01"]


def test_two_nics_with_one_lldp_system_name_are_one_server() -> None:
    """Without SNMP: the same non-generic LLDP system name from two MACs of one vendor."""
    description = "Ubuntu 22.04.4 LTS Linux 5.15.0-105-generic x86_64"
    observations = [
        arp(SRV_1, "10.77.0.40"),
        arp(SRV_2, "10.77.0.42"),
        lldp_of(SRV_1, "10.77.0.40", "srv-app01", description),
        lldp_of(SRV_2, "10.77.0.42", "srv-app01", description),
    ]
    (server,) = merge(observations)
    assert server.macs == [SRV_1, SRV_2]
    assert server.hostnames == ["srv-app01"]  # the LLDP system name is an announced name


def test_model_names_in_lldp_never_tie_two_phones() -> None:
    """Yealink phones announce their model as system name: two T46U are two phones."""
    phones = ["80:5e:c0:7a:15:01", "80:5e:c0:7a:15:02"]
    observations = [
        lldp_of(mac, f"10.77.0.{120 + i}", "SIP-T46U", "SIP-T46U 108.86.0.20")
        for i, mac in enumerate(phones)
    ]
    assert len(merge(observations)) == 2


def test_a_system_name_from_two_vendors_or_far_apart_in_time_does_not_tie() -> None:
    description = "Ubuntu 22.04.4 LTS"
    other_vendor = lldp_of(INTEL, "10.77.0.43", "srv-app01", description)
    assert len(merge([lldp_of(SRV_1, "10.77.0.40", "srv-app01", description), other_vendor])) == 2
    # The old server replaced by a new one that kept its name, a week later: two devices.
    replaced = at(7 * 86400, lldp_of(SRV_2, "10.77.0.40", "srv-app01", description))
    assert len(merge([lldp_of(SRV_1, "10.77.0.40", "srv-app01", description), replaced])) == 2


def test_routed_router_interface_with_the_same_snmp_identity_is_the_router() -> None:
    """rtr01: 10.77.0.1 on the LAN (with its MAC) and 10.77.20.1 routed (no MAC) answer
    SNMP with one sysName and one sysObjectID: one router holding both addresses."""
    descr = "Cisco IOS Software [Cupertino], ISR Software, Version 17.9.4a"
    observations = [
        at(0, arp(RTR, "10.77.0.1")),
        at(1, obs(ObservationKind.ADDRESS, None, "10.77.20.1", source=Source.NMAP, how="nmap")),
        at(
            15,
            obs(
                ObservationKind.PORT,
                None,
                "10.77.20.1",
                source=Source.NMAP,
                port=22,
                proto="tcp",
                state="open",
            ),
        ),
        at(6, obs(ObservationKind.CDP, RTR, "10.77.0.1", device_id="BR-RTR01", platform="cisco")),
        *(at(21, o) for o in snmp_system("10.77.0.1", "BR-RTR01", CISCO_ISR, descr)),
        *(at(21, o) for o in snmp_system("10.77.20.1", "BR-RTR01", CISCO_ISR, descr)),
    ]
    devices = merge(observations)
    assert len(devices) == 1, [(d.macs, d.ips) for d in devices]
    (router,) = devices
    assert router.macs == [RTR]
    assert router.ips == ["10.77.0.1", "10.77.20.1"]
    assert router.hostnames == ["BR-RTR01"]


def test_same_sys_name_from_another_kind_of_agent_does_not_tie() -> None:
    """A sysName alone is not enough across two different sysObjectIDs."""
    observations = [
        arp(RTR, "10.77.0.1"),
        *snmp_system("10.77.0.1", "BR-RTR01", CISCO_ISR),
        *snmp_system("10.77.20.9", "BR-RTR01", NETSNMP_LINUX),
    ]
    assert len(merge(observations)) == 2


def test_a_routed_host_never_gets_the_router_mac() -> None:
    """br01 behind rtr01: its frames' TTL observation kept the router's L2 sender MAC; its
    NBNS unit id names its own MAC. The router's MAC stays with the router."""
    observations = [
        at(0, arp(RTR, "10.77.0.1")),
        at(1, obs(ObservationKind.ADDRESS, None, "10.77.20.50", source=Source.NMAP, how="nmap")),
        at(2, obs(ObservationKind.TTL, RTR, "10.77.20.50", ttl=127, initial=128, hops=1)),
        at(
            16,
            obs(
                ObservationKind.NBNS,
                None,
                "10.77.20.50",
                source=Source.NAMES,
                how="node-status",
                names=[{"name": "AGENCE-PC01", "suffix": 0, "group": False}],
                unit_id=BRANCH_PC,
            ),
        ),
        at(16, name_of(None, "10.77.20.50", "AGENCE-PC01", "nbns", Source.NAMES)),
        at(17, obs(ObservationKind.TTL, None, "10.77.20.50", ttl=127, initial=128, hops=1)),
    ]
    devices = merge(observations)
    assert len(devices) == 2
    branch = by_mac(devices, BRANCH_PC)
    assert branch.macs == [BRANCH_PC] and branch.ips == ["10.77.20.50"]
    assert branch.hostnames == ["AGENCE-PC01"]
    router = by_mac(devices, RTR)
    assert router.ips == ["10.77.0.1"]


def test_a_name_answered_for_a_bound_address_ties_a_rotated_mac() -> None:
    """iph01 before and after a MAC rotation: first heard announcing its name, then only its
    new MAC on ARP and a unicast mDNS answer from its address. One phone."""
    observations = [
        at(0, arp(RANDOM_1, "10.77.0.112")),
        at(3, name(RANDOM_1, "Johns-iPhone.local", "mdns", ip="10.77.0.112")),
        at(60, arp(RANDOM_2, "10.77.0.112")),
        at(65, name_of(None, "10.77.0.112", "Johns-iPhone.local", "mdns", Source.NAMES)),
    ]
    (phone,) = merge(observations)
    assert set(phone.macs) == {RANDOM_1, RANDOM_2}
    assert phone.randomized_mac and phone.reasons == []


def test_dhcp_fqdn_is_a_host_name() -> None:
    fqdn = obs(ObservationKind.DHCP, DELL, None, message_type=3, fqdn="PC-01.corp.example")
    (device,) = merge([arp(DELL, "10.0.0.9"), name(DELL, "PC-01"), fqdn])
    assert device.hostnames == ["PC-01", "PC-01.corp.example"]


def test_a_client_id_that_is_the_mac_is_that_mac() -> None:
    """iOS sends option 61 = 01 + its current (randomized) MAC: no steadier than the MAC, so
    the id of a rotating phone still derives from its name, in every run."""
    client_id = "01" + RANDOM_1.replace(":", "")
    observations = [
        obs(ObservationKind.DHCP, RANDOM_1, None, message_type=3, client_id=client_id),
        name(RANDOM_1, "Johns-iPhone.local", "mdns", ip="10.0.0.112"),
    ]
    (device,) = merge(observations)
    (later,) = merge([name(RANDOM_2, "Johns-iPhone.local", "mdns", ip="10.0.0.112")])
    assert device.id == later.id and device.macs == [RANDOM_1]

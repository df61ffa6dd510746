"""Observation lists mirroring the lab personas of /work/notes/lab-plan.md.

Banners, TXT records, DHCP options and SNMP values are the ones research/fingerprints.md §2.3
gives each persona; only what the scanner would see is included (the silent laptop is passive
only, the branch desktop has no MAC since ARP cannot reach it). ``snapshot()`` builds a
``Snapshot`` whose devices point at their observations, as merge will.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scopeaudit.models import Device, Observation, ObservationKind, Snapshot
from scopeaudit.taxonomy import Category, FormFactor, Source

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
K = ObservationKind

WINDOWS_PRL = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]
IOS_PRL = [1, 121, 3, 6, 15, 108, 114, 119, 252]
MACOS_PRL = [1, 121, 3, 6, 15, 108, 114, 119, 252, 95, 44, 46]
ANDROID_PRL = [1, 3, 6, 15, 26, 28, 51, 58, 59, 43, 114, 108]


def o(
    kind: ObservationKind,
    mac: str | None,
    ip: str | None,
    source: Source = Source.NMAP,
    **data: Any,
) -> Observation:
    return Observation(
        source=source, kind=kind, time=T0, vantage="veth-tech", mac=mac, ip=ip, data=data
    )


def arp(mac: str, ip: str) -> Observation:
    return o(K.ADDRESS, mac, ip, Source.ARP, how="arp-reply")


def ports(mac: str | None, ip: str, *numbers: int, proto: str = "tcp") -> list[Observation]:
    return [o(K.PORT, mac, ip, port=n, proto=proto, state="open") for n in numbers]


def ttl(mac: str | None, ip: str, value: int) -> Observation:
    initial = next(t for t in (32, 64, 128, 255) if t >= value)
    return o(K.TTL, mac, ip, ttl=value, initial=initial, hops=initial - value)


def banner(mac: str | None, ip: str, port: int, protocol: str, **fields: Any) -> Observation:
    return o(K.BANNER, mac, ip, port=port, proto="tcp", protocol=protocol, **fields)


def dhcp(
    mac: str, prl: list[int], vendor_class: str | None = None, hostname: str | None = None
) -> Observation:
    data: dict[str, Any] = {
        "message_type": 3,
        "prl": prl,
        "chaddr": mac,
        "options_order": [53, 61, 12, 81, 60, 55],
    }
    if vendor_class:
        data["vendor_class"] = vendor_class
    if hostname:
        data["hostname"] = hostname
    return o(K.DHCP, mac, None, Source.PASSIVE, **data)


def mdns(mac: str, ip: str, type_: str, instance: str, host: str, **txt: str) -> Observation:
    return o(
        K.MDNS_SERVICE,
        mac,
        ip,
        Source.NAMES,
        type=type_,
        instance=instance,
        host=host,
        port=0,
        txt=txt,
    )


def snmp(mac: str, ip: str, **data: Any) -> Observation:
    return o(K.SNMP_SYSTEM, mac, ip, Source.SNMP, **data)


def nbns(mac: str | None, ip: str, name: str, group: str = "WORKGROUP") -> Observation:
    names = [
        {"name": name, "suffix": 0, "group": False},
        {"name": name, "suffix": 0x20, "group": False},
        {"name": group, "suffix": 0, "group": True},
    ]
    return o(K.NBNS, mac, ip, Source.NAMES, names=names, how="node-status")


@dataclass
class Persona:
    id: str
    category: Category
    form_factor: FormFactor | None
    macs: list[str]
    ips: list[str]
    observations: list[Observation] = field(default_factory=list)
    virtual: bool | None = None
    role: str | None = None


def _personas() -> list[Persona]:
    out: list[Persona] = []

    m, ip = "70:10:5c:3a:11:01", "10.77.0.1"
    out.append(
        Persona(
            "rtr01",
            Category.ROUTER,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 255),
                *ports(m, ip, 22),
                banner(m, ip, 22, "ssh", banner="SSH-2.0-Cisco-1.25"),
                snmp(
                    m,
                    ip,
                    sysDescr="Cisco IOS Software [Cupertino], ISR Software (X86_64_LINUX_IOSD-"
                    "UNIVERSALK9-M), Version 17.9.4a, RELEASE SOFTWARE (fc3)",
                    sysObjectID="1.3.6.1.4.1.9.1.1875",
                    sysName="BR-RTR01",
                    sysServices=78,
                    ipForwarding=1,
                ),
                o(
                    K.CDP,
                    m,
                    ip,
                    Source.PASSIVE,
                    device_id="BR-RTR01",
                    platform="cisco ISR4331/K9",
                    software="Cisco IOS Software [Cupertino], ISR Software",
                    capabilities=["router", "switch", "igmp"],
                    addresses=[ip],
                    port_id="GigabitEthernet0/0/0",
                ),
            ],
        )
    )
    m, ip = "4c:71:0c:5b:22:01", "10.77.0.2"
    out.append(
        Persona(
            "sw01",
            Category.SWITCH,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 255),
                *ports(m, ip, 22, 80, 443),
                banner(m, ip, 22, "ssh", banner="SSH-2.0-Cisco-1.25"),
                banner(
                    m,
                    ip,
                    443,
                    "tls",
                    subject="CN=IOS-Self-Signed-Certificate-2984120391",
                    issuer="CN=IOS-Self-Signed-Certificate-2984120391",
                ),
                snmp(
                    m,
                    ip,
                    sysDescr="Cisco IOS Software [Cupertino], Catalyst L3 Switch Software "
                    "(CAT9K_LITE_IOSXE), Version 17.9.4, RELEASE SOFTWARE (fc5)",
                    sysObjectID="1.3.6.1.4.1.9.1.2722",
                    sysName="SW-CORE01",
                    sysServices=6,
                    ipForwarding=2,
                    dot1dBaseNumPorts=28,
                ),
                o(
                    K.CDP,
                    m,
                    ip,
                    Source.PASSIVE,
                    device_id="SW-CORE01",
                    platform="cisco C9200-24P",
                    capabilities=["switch", "igmp"],
                    addresses=[ip],
                    port_id="GigabitEthernet1/0/1",
                ),
                o(
                    K.LLDP,
                    m,
                    ip,
                    Source.PASSIVE,
                    chassis_id=m,
                    port_id="Gi1/0/1",
                    system_name="SW-CORE01",
                    system_description="Cisco IOS Software [Cupertino], "
                    "Catalyst L3 Switch Software (CAT9K_LITE_IOSXE)",
                    caps_available=["bridge", "router"],
                    caps_enabled=["bridge"],
                ),
            ],
        )
    )
    m, ip = "04:d5:90:7c:33:01", "10.77.0.254"
    out.append(
        Persona(
            "fw01",
            Category.FIREWALL,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 22, 80, 443),
                banner(
                    m,
                    ip,
                    443,
                    "tls",
                    subject="CN=FGT60FTK21090001,OU=FortiGate,O=Fortinet,"
                    "L=Sunnyvale,ST=California,C=US",
                    issuer="CN=FGT60FTK21090001",
                ),
                banner(
                    m,
                    ip,
                    443,
                    "http",
                    status=200,
                    server="xxxxxxxx-xxxxx",
                    title="FortiGate",
                    headers=[],
                ),
                banner(m, ip, 22, "ssh", banner="SSH-2.0-OpenSSH_7.9"),
            ],
        )
    )
    m, ip = "74:83:c2:4d:44:01", "10.77.0.20"
    out.append(
        Persona(
            "ap01",
            Category.ACCESS_POINT,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 22),
                banner(m, ip, 22, "ssh", banner="SSH-2.0-dropbear_2020.81"),
                dhcp(m, [1, 3, 6, 12, 15, 28, 42, 43], "ubnt", "U6-Pro-Lobby"),
                o(
                    K.LLDP,
                    m,
                    ip,
                    Source.PASSIVE,
                    chassis_id=m,
                    port_id="eth0",
                    system_name="U6-Pro-Lobby",
                    system_description="U6-Pro, 6.6.55.15189",
                    caps_available=["bridge", "wlan_ap"],
                    caps_enabled=["bridge", "wlan_ap"],
                ),
            ],
        )
    )
    m, ip = "3c:d9:2b:8e:2a:1f", "10.77.0.30"
    out.append(
        Persona(
            "prn01",
            Category.PRINTER,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443, 515, 631, 9100),
                banner(
                    m,
                    ip,
                    80,
                    "http",
                    status=200,
                    server="HP HTTP Server; HP LaserJet Pro M404-M405"
                    " - W1A53A; Serial Number: PHB0000000; Built: Mon Jan 01 2024",
                    title="",
                    headers=[],
                ),
                snmp(
                    m,
                    ip,
                    sysDescr="HP ETHERNET MULTI-ENVIRONMENT,ROM none,JETDIRECT,JD153,EEPROM "
                    "JSI24090012,CIDATE 06/21/2024",
                    sysObjectID="1.3.6.1.4.1.11.2.3.9.1",
                    sysName="NPI8E2A1F",
                    sysServices=72,
                    extra={"1.3.6.1.2.1.25.3.2.1.2.1": "1.3.6.1.2.1.25.3.1.5"},
                ),
                mdns(
                    m,
                    ip,
                    "_ipp._tcp",
                    "HP LaserJet Pro M404-M405 [8E2A1F]",
                    "NPI8E2A1F.local.",
                    txtvers="1",
                    rp="ipp/print",
                    ty="HP LaserJet Pro M404-M405",
                    product="(HP LaserJet Pro M404-M405)",
                    usb_MFG="HP",
                    usb_MDL="LaserJet Pro M404-M405",
                    pdl="application/vnd.hp-PCL,application/pdf",
                ),
                dhcp(
                    m,
                    [1, 3, 44, 6, 7, 12, 15, 54, 58, 59, 69, 119, 81],
                    "Hewlett-Packard JetDirect",
                    "NPI8E2A1F",
                ),
            ],
        )
    )
    m, ip = "3c:2a:f4:11:22:33", "10.77.0.33"
    out.append(
        Persona(
            "prn02",
            Category.PRINTER,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443, 515, 631, 9100),
                mdns(
                    m,
                    ip,
                    "_ipp._tcp",
                    "Brother HL-L2350DW series",
                    "BRW3C2AF4112233.local.",
                    ty="Brother HL-L2350DW series",
                    usb_MFG="Brother",
                    usb_MDL="HL-L2350DW series",
                ),
                dhcp(m, [1, 3, 6, 15, 44, 46, 47], None, "BRW3C2AF4112233"),
            ],
        )
    )
    m, ip = "90:09:d0:1a:2b:3c", "10.77.0.31"
    out.append(
        Persona(
            "nas01",
            Category.NAS,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443, 139, 445, 5000, 5001),
                banner(
                    m,
                    ip,
                    5000,
                    "http",
                    status=200,
                    server="nginx",
                    title="Synology DiskStation",
                    headers=[],
                ),
                o(
                    K.SSDP,
                    m,
                    ip,
                    Source.NAMES,
                    server="Synology/DSM/10.77.0.31",
                    location="http://10.77.0.31:5000/ssdp/desc-DSM-eth0.xml",
                    nt="upnp:rootdevice",
                    usn="uuid:73796E6F-6473-6D00-0000-9009d01a2b3c::upnp:rootdevice",
                    description={
                        "deviceType": "urn:schemas-upnp-org:device:Basic:1",
                        "manufacturer": "Synology",
                        "modelName": "DS920+",
                        "modelDescription": "Synology NAS",
                        "modelType": "NAS",
                    },
                ),
                mdns(
                    m,
                    ip,
                    "_http._tcp",
                    "DS920",
                    "DS920.local.",
                    vendor="Synology",
                    model="DS920+",
                    serial="2150PDN123456",
                    admin_port="5000",
                ),
                mdns(m, ip, "_smb._tcp", "DS920", "DS920.local."),
                mdns(m, ip, "_device-info._tcp", "DS920", "DS920.local.", model="Xserve"),
                dhcp(m, [1, 28, 2, 3, 15, 6, 12], None, "DS920"),
            ],
        )
    )
    m1, m2, ip1, ip2 = "20:04:0f:6e:77:01", "20:04:0f:6e:77:02", "10.77.0.40", "10.77.0.42"
    out.append(
        Persona(
            "srv01",
            Category.SERVER,
            FormFactor.RACK,
            [m1, m2],
            [ip1, ip2],
            [
                arp(m1, ip1),
                arp(m2, ip2),
                ttl(m1, ip1, 64),
                *ports(m1, ip1, 22, 80, 443, 5432, 9100),
                banner(m1, ip1, 22, "ssh", banner="SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"),
                banner(
                    m1,
                    ip1,
                    80,
                    "http",
                    status=200,
                    server="nginx/1.18.0 (Ubuntu)",
                    title="",
                    headers=[],
                ),
                snmp(
                    m1,
                    ip1,
                    sysDescr="Linux srv-app01 5.15.0-105-generic #115-Ubuntu SMP x86_64",
                    sysObjectID="1.3.6.1.4.1.8072.3.2.10",
                    sysName="srv-app01",
                    sysServices=72,
                ),
                o(
                    K.LLDP,
                    m1,
                    ip1,
                    Source.PASSIVE,
                    chassis_id=m1,
                    port_id="eno1",
                    system_name="srv-app01",
                    system_description="Ubuntu 22.04.4 LTS Linux 5.15.0-105-generic",
                    caps_available=["bridge", "router", "station"],
                    caps_enabled=["station"],
                ),
            ],
        )
    )
    m, ip = "d0:94:66:6e:77:09", "10.77.0.41"
    out.append(
        Persona(
            "idrac01",
            Category.SERVER,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 22, 80, 443),
                banner(
                    m,
                    ip,
                    443,
                    "tls",
                    subject="CN=idrac-7XK2M53,OU=Remote Access Group,O=Dell Inc.,"
                    "L=Round Rock,ST=Texas,C=US",
                    issuer="CN=idrac-7XK2M53",
                ),
                dhcp(m, [1, 3, 6, 12, 15, 28, 42, 43, 121, 249], "iDRAC", "idrac-7XK2M53"),
            ],
            role="bmc",
        )
    )
    m, ip = "f4:7b:09:8a:88:01", "10.77.0.50"
    out.append(
        Persona(
            "esx01",
            Category.HYPERVISOR,
            FormFactor.RACK,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443, 902),
                banner(
                    m,
                    ip,
                    443,
                    "tls",
                    subject="CN=esx01.lab.local,OU=VMware ESX Server Default "
                    "Certificate,O=VMware\\, Inc,L=Palo Alto,ST=California,C=US",
                    issuer="x",
                ),
                banner(
                    m,
                    ip,
                    443,
                    "http",
                    status=200,
                    server="",
                    headers=[],
                    title='document.write("<title>" + ID_EESX_Welcome + "</title>")',
                ),
                banner(
                    m,
                    ip,
                    902,
                    "greeting",
                    banner="220 VMware Authentication Daemon Version 1.10: SSL Required, "
                    "ServerDaemonProtocol:SOAP, MKSDisplayProtocol:VNC , , NFCSSL supported/t",
                ),
            ],
        )
    )
    m, ip = "00:0c:29:4e:11:22", "10.77.0.51"
    out.append(
        Persona(
            "vm01",
            Category.SERVER,
            FormFactor.VIRTUAL,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 128),
                *ports(m, ip, 135, 139, 445, 3389, 5985),
                banner(m, ip, 5985, "http", status=404, server="Microsoft-HTTPAPI/2.0", title=""),
                nbns(m, ip, "WIN-4F2K8L1Q9AB"),
            ],
            virtual=True,
        )
    )
    m, ip = "00:50:56:8a:33:44", "10.77.0.52"
    out.append(
        Persona(
            "vm02",
            Category.SERVER,
            FormFactor.VIRTUAL,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 22, 80),
                banner(m, ip, 22, "ssh", banner="SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.10"),
                banner(m, ip, 80, "http", status=200, server="nginx/1.18.0 (Ubuntu)", title=""),
            ],
            virtual=True,
        )
    )
    m, ip = "b0:4f:13:5c:99:01", "10.77.0.101"
    out.append(
        Persona(
            "pc01",
            Category.COMPUTER,
            FormFactor.DESKTOP,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 128),
                *ports(m, ip, 135, 139, 445, 3389),
                dhcp(m, WINDOWS_PRL, "MSFT 5.0", "DESKTOP-7K3Q2ZD"),
                nbns(m, ip, "DESKTOP-7K3Q2ZD"),
            ],
        )
    )
    m, ip = "a4:c3:f0:2d:5e:01", "10.77.0.102"
    out.append(
        Persona(
            "lt01",
            Category.COMPUTER,
            FormFactor.LAPTOP,
            [m],
            [ip],
            [
                o(K.ADDRESS, m, ip, Source.PASSIVE, how="arp-request"),
                o(K.TTL, m, ip, Source.PASSIVE, ttl=128, initial=128, hops=0),
                dhcp(m, WINDOWS_PRL, "MSFT 5.0", "LAPTOP-4F8G2KQ"),
                o(
                    K.NBNS,
                    m,
                    ip,
                    Source.PASSIVE,
                    names=[{"name": "LAPTOP-4F8G2KQ", "suffix": 0, "group": False}],
                    how="registration",
                ),
                o(K.LLMNR, m, ip, Source.PASSIVE, name="wpad", how="query"),
            ],
        )
    )
    m, ip = "f4:d4:88:6a:10:01", "10.77.0.103"
    out.append(
        Persona(
            "mbp01",
            Category.COMPUTER,
            FormFactor.LAPTOP,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 5000, 7000),
                banner(
                    m, ip, 5000, "http", status=403, server="AirTunes/770.8.1", title="", headers=[]
                ),
                banner(
                    m, ip, 7000, "http", status=403, server="AirTunes/770.8.1", title="", headers=[]
                ),
                dhcp(m, MACOS_PRL, None, "Johns-MacBook-Pro"),
                mdns(
                    m,
                    ip,
                    "_airplay._tcp",
                    "John's MacBook Pro",
                    "Johns-MacBook-Pro.local.",
                    model="Mac15,3",
                    deviceid="F4:D4:88:6A:10:01",
                    osvers="14.5",
                ),
                mdns(
                    m,
                    ip,
                    "_companion-link._tcp",
                    "John's MacBook Pro",
                    "Johns-MacBook-Pro.local.",
                    rpMd="Mac15,3",
                    rpFl="0x20000",
                ),
                mdns(
                    m,
                    ip,
                    "_device-info._tcp",
                    "John's MacBook Pro",
                    "Johns-MacBook-Pro.local.",
                    model="Mac15,3",
                    osxvers="23",
                ),
            ],
        )
    )
    m, ip = "6e:8b:2f:41:c7:5a", "10.77.0.110"
    out.append(
        Persona(
            "ipad01",
            Category.TABLET,
            FormFactor.TABLET,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 62078),
                dhcp(m, IOS_PRL),
                mdns(
                    m,
                    ip,
                    "_companion-link._tcp",
                    "Jane's iPad",
                    "Janes-iPad.local.",
                    rpMd="iPad13,16",
                    rpFl="0x30000",
                ),
            ],
        )
    )
    m, ip = "9e:3b:74:a2:10:5f", "10.77.0.111"
    out.append(
        Persona(
            "tab01",
            Category.TABLET,
            FormFactor.TABLET,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                dhcp(m, ANDROID_PRL, "android-dhcp-14", "Galaxy-Tab-S8"),
            ],
        )
    )
    m, ip = "2a:f1:9c:03:5d:88", "10.77.0.112"
    out.append(
        Persona(
            "iph01",
            Category.PHONE,
            FormFactor.PHONE,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 62078),
                dhcp(m, IOS_PRL),
                mdns(
                    m,
                    ip,
                    "_companion-link._tcp",
                    "John's iPhone",
                    "Johns-iPhone.local.",
                    rpMd="iPhone15,4",
                    rpFl="0x30000",
                ),
            ],
        )
    )
    m, ip = "80:5e:c0:7a:15:01", "10.77.0.120"
    out.append(
        Persona(
            "tel01",
            Category.IP_PHONE,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443),
                *ports(m, ip, 5060, proto="udp"),
                banner(
                    m,
                    ip,
                    80,
                    "http",
                    status=200,
                    server="yealink embed httpd",
                    title="",
                    headers=[],
                ),
                o(
                    K.BANNER,
                    m,
                    ip,
                    port=5060,
                    proto="udp",
                    protocol="sip",
                    user_agent="Yealink SIP-T46U 108.86.0.20",
                ),
                dhcp(m, [1, 3, 6, 12, 15, 28, 42, 66, 150], "yealink", "SIP-T46U"),
                o(
                    K.LLDP,
                    m,
                    ip,
                    Source.PASSIVE,
                    chassis_id=m,
                    port_id=m,
                    system_name="SIP-T46U",
                    system_description="SIP-T46U 108.86.0.20",
                    caps_available=["bridge", "telephone"],
                    caps_enabled=["bridge", "telephone"],
                    med={
                        "device_class": "3",
                        "manufacturer": "Yealink",
                        "model": "T46U",
                    },
                ),
            ],
        )
    )
    m, ip = "c0:56:e3:5a:6b:7c", "10.77.0.64"
    out.append(
        Persona(
            "cam01",
            Category.CAMERA,
            None,
            [m],
            [ip],
            [
                arp(m, ip),
                ttl(m, ip, 64),
                *ports(m, ip, 80, 443, 554, 8000),
                banner(m, ip, 80, "http", status=200, server="App-webs/", title="", headers=[]),
            ],
        )
    )
    ip = "10.77.20.50"
    out.append(
        Persona(
            "br01",
            Category.COMPUTER,
            FormFactor.DESKTOP,
            [],
            [ip],
            [
                o(K.ADDRESS, None, ip, Source.NMAP, how="nmap"),
                ttl(None, ip, 127),
                *ports(None, ip, 135, 139, 445),
                nbns(None, ip, "AGENCE-PC01", "AGENCE"),
            ],
        )
    )
    return out


PERSONAS = _personas()
BY_ID = {p.id: p for p in PERSONAS}


def snapshot(personas: list[Persona] | None = None) -> Snapshot:
    """A snapshot with one device per persona pointing at its observations."""
    observations: list[Observation] = []
    devices: list[Device] = []
    for persona in personas or PERSONAS:
        start = len(observations)
        observations.extend(persona.observations)
        devices.append(
            Device(
                id=f"dev-{persona.id}",
                macs=persona.macs,
                ips=persona.ips,
                evidence=list(range(start, len(observations))),
            )
        )
    return Snapshot(
        tool_version="test",
        started_at=T0,
        finished_at=T0,
        observations=observations,
        devices=devices,
    )

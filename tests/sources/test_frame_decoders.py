"""Frame decoders on frames built by scapy (an independent encoder) and on broken bytes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from scapy.contrib.cdp import (
    CDPAddrRecordIPv4,
    CDPMsgAddr,
    CDPMsgCapabilities,
    CDPMsgDeviceID,
    CDPMsgPlatform,
    CDPMsgPortID,
    CDPMsgSoftwareVersion,
    CDPv2_HDR,
)
from scapy.contrib.lldp import (
    LLDPDUChassisID,
    LLDPDUEndOfLLDPDU,
    LLDPDUManagementAddress,
    LLDPDUPortID,
    LLDPDUSystemCapabilities,
    LLDPDUSystemDescription,
    LLDPDUSystemName,
    LLDPDUTimeToLive,
)
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRSRV
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, GRE, LLC, SNAP, Dot3, Ether
from scapy.layers.netbios import (
    NBNSHeader,
    NBNSNodeStatusResponse,
    NBNSNodeStatusResponseService,
    NBNSQueryRequest,
)
from scapy.packet import Raw

from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources import MAX_STRING, TRUNCATION_MARK
from scopeaudit.sources.frames import (
    LINKTYPE_ETHERNET,
    LINKTYPE_IPV4,
    FrameError,
    decode_frame,
    decode_frames,
    ttl_data,
)
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HOST_MAC = "f4:d4:88:12:34:56"
# Frames are built with an explicit destination: left out, scapy would resolve one (and ARP).
BROADCAST = "ff:ff:ff:ff:ff:ff"


def decode(frame: bytes, linktype: int = LINKTYPE_ETHERNET) -> list[Observation]:
    return decode_frame(frame, linktype, time=NOW, vantage="eth0")


def of_kind(observations: list[Observation], kind: ObservationKind) -> list[Observation]:
    return [o for o in observations if o.kind == kind]


def only(observations: list[Observation], kind: ObservationKind) -> Observation:
    found = of_kind(observations, kind)
    assert len(found) == 1, found
    return found[0]


def test_arp_reply_request_and_gratuitous() -> None:
    reply = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(
        op=2, hwsrc=HOST_MAC, psrc="10.0.0.5", pdst="10.0.0.1"
    )
    obs = only(decode(bytes(reply)), ObservationKind.ADDRESS)
    assert (obs.mac, obs.ip, obs.data) == (HOST_MAC, "10.0.0.5", {"how": "arp-reply"})
    assert obs.source == Source.PASSIVE and obs.vantage == "eth0" and obs.time == NOW
    request = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(
        op=1, hwsrc=HOST_MAC, psrc="10.0.0.5", pdst="10.0.0.9"
    )
    assert only(decode(bytes(request)), ObservationKind.ADDRESS).data["how"] == "arp-request"
    gratuitous = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(
        op=1, hwsrc=HOST_MAC, psrc="10.0.0.5", pdst="10.0.0.5"
    )
    assert only(decode(bytes(gratuitous)), ObservationKind.ADDRESS).data["how"] == "gratuitous"
    probe = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(
        op=1, hwsrc=HOST_MAC, psrc="0.0.0.0", pdst="10.0.0.5"
    )
    assert decode(bytes(probe)) == []  # an ARP probe claims no address


def test_arp_with_wrong_lengths_is_malformed() -> None:
    bad = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(hwlen=8, hwsrc=HOST_MAC, psrc="10.0.0.5")
    with pytest.raises(FrameError):
        decode(bytes(bad))
    with pytest.raises(FrameError):
        decode(bytes(Ether(src=HOST_MAC, dst=BROADCAST) / ARP())[:20])


def dhcp_request(**extra: Any) -> bytes:
    options: list[Any] = [
        ("message-type", "request"),
        ("client_id", b"\x01" + bytes.fromhex("c4618b3582a9")),
        ("requested_addr", "192.168.2.17"),
        ("vendor_class_id", b"MSFT 5.0"),
        ("hostname", b"Lucas-iPhone"),
        ("param_req_list", [1, 121, 3, 6, 15, 119, 252]),
        "end",
    ]
    packet = (
        Ether(src=extra.get("relay", "c4:61:8b:35:82:a9"), dst="ff:ff:ff:ff:ff:ff")
        / IP(src=extra.get("src", "0.0.0.0"), dst="255.255.255.255", ttl=64)
        / UDP(sport=68, dport=67)
        / BOOTP(op=1, chaddr=bytes.fromhex("c4618b3582a9"), giaddr=extra.get("giaddr", "0.0.0.0"))
        / DHCP(options=options)
    )
    return bytes(packet)


def test_dhcp_client_options_in_order() -> None:
    observations = decode(dhcp_request())
    dhcp = only(observations, ObservationKind.DHCP)
    assert dhcp.mac == "c4:61:8b:35:82:a9" and dhcp.ip is None
    assert dhcp.data == {
        "message_type": 3,
        "options_order": [53, 61, 50, 60, 12, 55],
        "prl": [1, 121, 3, 6, 15, 119, 252],
        "vendor_class": "MSFT 5.0",
        "hostname": "Lucas-iPhone",
        "client_id": "01c4618b3582a9",
        "requested_ip": "192.168.2.17",
        "chaddr": "c4:61:8b:35:82:a9",
    }
    name = only(observations, ObservationKind.HOSTNAME)
    assert name.data == {"name": "Lucas-iPhone", "origin": "dhcp"}
    assert name.mac == "c4:61:8b:35:82:a9"
    assert of_kind(observations, ObservationKind.TTL) == []  # 0.0.0.0 has no TTL to tell


def test_dhcp_through_a_relay_takes_the_client_from_chaddr() -> None:
    observations = decode(
        dhcp_request(relay="00:23:eb:00:00:01", src="10.0.0.1", giaddr="10.0.0.1")
    )
    dhcp = only(observations, ObservationKind.DHCP)
    assert dhcp.mac == "c4:61:8b:35:82:a9"
    assert dhcp.ip is None  # the relay's address is not the client's
    assert only(observations, ObservationKind.TTL).mac == "00:23:eb:00:00:01"


def test_dhcp_ack_gives_a_lease() -> None:
    ack = (
        Ether(src="00:b5:6d:06:08:ba", dst=BROADCAST)
        / IP(src="10.0.0.1", dst="10.0.0.37")
        / UDP(sport=67, dport=68)
        / BOOTP(op=2, yiaddr="10.0.0.37", chaddr=bytes.fromhex("b0c554255b0e"))
        / DHCP(options=[("message-type", "ack"), "end"])
    )
    lease = only(decode(bytes(ack)), ObservationKind.ADDRESS)
    assert (lease.mac, lease.ip, lease.data) == ("b0:c5:54:25:5b:0e", "10.0.0.37", {"how": "lease"})


def test_dhcp_option_running_past_the_end_is_malformed() -> None:
    frame = dhcp_request()
    cut = frame[: frame.index(b"Lucas-iPhone") + 3]  # the capture ends inside option 12
    with pytest.raises(FrameError, match="DHCP option"):
        decode(cut)


def mdns_response() -> bytes:
    answers = [
        DNSRR(rrname="_ipp._tcp.local.", type="PTR", rdata="Office Printer._ipp._tcp.local."),
        DNSRRSRV(rrname="Office Printer._ipp._tcp.local.", port=631, target="NPI1A2B3C.local."),
        DNSRR(
            rrname="Office Printer._ipp._tcp.local.",
            type="TXT",
            rdata=[b"ty=HP LaserJet Pro M404dn", b"pdl=application/pdf", b"Color"],
        ),
        DNSRR(rrname="NPI1A2B3C.local.", type="A", rdata="10.0.0.20"),
    ]
    packet = (
        Ether(src="3c:d9:2b:00:00:20", dst="01:00:5e:00:00:fb")
        / IP(src="10.0.0.20", dst="224.0.0.251", ttl=255)
        / UDP(sport=5353, dport=5353)
        / DNS(qr=1, aa=1, qd=[], an=answers)
    )
    return bytes(packet)


def test_mdns_service_with_srv_txt_and_address() -> None:
    observations = decode(mdns_response())
    service = only(observations, ObservationKind.MDNS_SERVICE)
    assert service.mac == "3c:d9:2b:00:00:20" and service.ip == "10.0.0.20"
    assert service.data == {
        "type": "_ipp._tcp",
        "instance": "Office Printer",
        "host": "NPI1A2B3C.local",
        "port": 631,
        "txt": {"ty": "HP LaserJet Pro M404dn", "pdl": "application/pdf", "Color": ""},
    }
    name = only(observations, ObservationKind.HOSTNAME)
    assert name.data == {"name": "NPI1A2B3C.local", "origin": "mdns"}
    assert only(observations, ObservationKind.TTL).data == {"ttl": 255, "initial": 255, "hops": 0}


def test_mdns_query_known_answers_are_not_the_askers() -> None:
    query = (
        Ether(src="da:a1:19:00:00:01", dst=BROADCAST)
        / IP(src="10.0.0.50", dst="224.0.0.251")
        / UDP(sport=5353, dport=5353)
        / DNS(
            qr=0,
            qd=DNSQR(qname="_ipp._tcp.local.", qtype="PTR"),
            an=DNSRR(
                rrname="_ipp._tcp.local.", type="PTR", rdata="Office Printer._ipp._tcp.local."
            ),
        )
    )
    assert of_kind(decode(bytes(query)), ObservationKind.MDNS_SERVICE) == []


def test_mdns_probe_names_the_asker() -> None:
    probe = (
        Ether(src="da:a1:19:00:00:01", dst=BROADCAST)
        / IP(src="10.0.0.50", dst="224.0.0.251")
        / UDP(sport=5353, dport=5353)
        / DNS(
            qr=0,
            qd=DNSQR(qname="Lucas-iPhone.local.", qtype="ALL"),
            ns=DNSRR(rrname="Lucas-iPhone.local.", type="A", rdata="10.0.0.50"),
        )
    )
    name = only(decode(bytes(probe)), ObservationKind.HOSTNAME)
    assert (name.mac, name.ip, name.data["name"]) == (
        "da:a1:19:00:00:01",
        "10.0.0.50",
        "Lucas-iPhone.local",
    )


def test_dns_compression_loop_is_malformed() -> None:
    header = bytes.fromhex("0000840000010000 00000000")
    loop = header + b"\xc0\x0c" + b"\x00\x0c\x00\x01"  # the name points at itself
    packet = (
        Ether(src=HOST_MAC, dst=BROADCAST)
        / IP(src="10.0.0.5", dst="224.0.0.251")
        / UDP(sport=5353, dport=5353)
        / Raw(loop)
    )
    with pytest.raises(FrameError, match="loop"):
        decode(bytes(packet))


def test_absurd_strings_are_capped() -> None:
    huge = b"x" * (MAX_STRING * 3)
    packet = (
        Ether(src=HOST_MAC, dst=BROADCAST)
        / IP(src="10.0.0.5", dst="239.255.255.250")
        / UDP(sport=1900, dport=1900)
        / Raw(b"NOTIFY * HTTP/1.1\r\nSERVER: " + huge + b"\r\nNT: upnp:rootdevice\r\n\r\n")
    )
    ssdp = only(decode(bytes(packet)), ObservationKind.SSDP)
    assert ssdp.data["server"] == "x" * MAX_STRING + TRUNCATION_MARK
    assert ssdp.data["nt"] == "upnp:rootdevice"  # what follows the long header is still read


def test_ssdp_notify_response_and_search() -> None:
    notify = (
        Ether(src="00:11:32:00:00:06", dst=BROADCAST)
        / IP(src="10.0.0.6", dst="239.255.255.250")
        / UDP(sport=1900, dport=1900)
        / Raw(
            b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
            b"LOCATION: http://10.0.0.6:5000/description.xml\r\n"
            b"SERVER: Synology/DSM/10.0.0.6\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n"
            b"USN: uuid:73796E6F-6473-6D00-0000-001132000006::upnp:rootdevice\r\n\r\n"
        )
    )
    ssdp = only(decode(bytes(notify)), ObservationKind.SSDP)
    assert ssdp.data == {
        "method": "notify",
        "server": "Synology/DSM/10.0.0.6",
        "location": "http://10.0.0.6:5000/description.xml",
        "nt": "upnp:rootdevice",
        "usn": "uuid:73796E6F-6473-6D00-0000-001132000006::upnp:rootdevice",
    }
    search = (
        Ether(src=HOST_MAC, dst=BROADCAST)
        / IP(src="10.0.0.5", dst="239.255.255.250")
        / UDP(sport=50000, dport=1900)
        / Raw(b'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\nST: ssdp:all\r\n\r\n')
    )
    assert of_kind(decode(bytes(search)), ObservationKind.SSDP) == []


def test_lldp_with_capabilities_and_management_address() -> None:
    lldp = (
        Ether(src="70:10:5c:00:00:02", dst="01:80:c2:00:00:0e")
        / LLDPDUChassisID(subtype=4, id="70:10:5c:00:00:01")
        / LLDPDUPortID(subtype=5, id=b"Gi1/0/1")
        / LLDPDUTimeToLive(ttl=120)
        / LLDPDUSystemName(system_name=b"sw-core-01")
        / LLDPDUSystemDescription(description=b"Cisco IOS XE Software, Catalyst 9200")
        / LLDPDUSystemCapabilities(
            mac_bridge_available=1,
            router_available=1,
            mac_bridge_enabled=1,
        )
        / LLDPDUManagementAddress(
            management_address_subtype=1,
            management_address=b"\x0a\x00\x00\x02",
            interface_numbering_subtype=2,
            interface_number=1,
        )
        / LLDPDUEndOfLLDPDU()
    )
    obs = only(decode(bytes(lldp)), ObservationKind.LLDP)
    assert obs.mac == "70:10:5c:00:00:02" and obs.ip == "10.0.0.2"
    assert obs.data == {
        "chassis_id": "70:10:5c:00:00:01",
        "port_id": "Gi1/0/1",
        "system_name": "sw-core-01",
        "system_description": "Cisco IOS XE Software, Catalyst 9200",
        "caps_available": ["bridge", "router"],
        "caps_enabled": ["bridge"],
        "management_addresses": ["10.0.0.2"],
    }


def test_lldp_tlv_past_the_end_is_malformed() -> None:
    frame = bytes(Ether(src=HOST_MAC, dst="01:80:c2:00:00:0e", type=0x88CC)) + b"\x0a\xff" + b"ab"
    with pytest.raises(FrameError):
        decode(frame)


def test_cdp_behind_snap() -> None:
    cdp = (
        Dot3(src="00:19:06:ea:b8:85", dst="01:00:0c:cc:cc:cc")
        / LLC()
        / SNAP()
        / CDPv2_HDR(
            msg=[
                CDPMsgDeviceID(val=b"SEP001122334455"),
                CDPMsgAddr(addr=[CDPAddrRecordIPv4(addr="10.0.0.15")]),
                CDPMsgPortID(iface=b"Port 1"),
                CDPMsgCapabilities(cap=0x90),
                CDPMsgSoftwareVersion(val=b"SIP88xx.14-1"),
                CDPMsgPlatform(val=b"Cisco IP Phone 8845"),
            ]
        )
    )
    obs = only(decode(bytes(cdp)), ObservationKind.CDP)
    assert obs.mac == "00:19:06:ea:b8:85" and obs.ip == "10.0.0.15"
    assert obs.data == {
        "device_id": "SEP001122334455",
        "addresses": ["10.0.0.15"],
        "port_id": "Port 1",
        "capabilities": ["host", "phone"],
        "software": "SIP88xx.14-1",
        "platform": "Cisco IP Phone 8845",
    }


def test_nbns_node_status_names_and_unit_id() -> None:
    answer = (
        Ether(src="00:1c:c4:10:79:0f", dst=BROADCAST)
        / IP(src="10.0.4.24", dst="10.0.4.1")
        / UDP(sport=137, dport=137)
        / NBNSHeader(RESPONSE=1, ANCOUNT=1, QDCOUNT=0)
        / NBNSNodeStatusResponse(
            RR_NAME=b"*",
            NUM_NAMES=2,
            NODE_NAME=[
                NBNSNodeStatusResponseService(NETBIOS_NAME=b"GUNNAR", SUFFIX=0, NAME_FLAGS=0x04),
                NBNSNodeStatusResponseService(NETBIOS_NAME=b"WORKGROUP", SUFFIX=0, NAME_FLAGS=0x84),
            ],
            MAC_ADDRESS="00:1c:c4:10:79:0f",
        )
    )
    observations = decode(bytes(answer))
    nbns = only(observations, ObservationKind.NBNS)
    assert nbns.data == {
        "names": [
            {"name": "GUNNAR", "suffix": 0, "group": False},
            {"name": "WORKGROUP", "suffix": 0, "group": True},
        ],
        "how": "node-status",
        "unit_id": "00:1c:c4:10:79:0f",
    }
    assert only(observations, ObservationKind.HOSTNAME).data == {"name": "GUNNAR", "origin": "nbns"}


def test_nbns_query_is_not_the_askers_name() -> None:
    query = (
        Ether(src=HOST_MAC, dst=BROADCAST)
        / IP(src="10.0.0.5", dst="10.0.0.255")
        / UDP(sport=137, dport=137)
        / NBNSHeader(QDCOUNT=1)
        / NBNSQueryRequest(QUESTION_NAME=b"FILESERVER")
    )
    observations = decode(bytes(query))
    nbns = only(observations, ObservationKind.NBNS)
    assert nbns.data["how"] == "query"
    assert nbns.data["names"][0]["name"] == "FILESERVER"
    assert of_kind(observations, ObservationKind.HOSTNAME) == []


def test_llmnr_answer_and_query() -> None:
    answer = (
        Ether(src="08:00:27:e6:e5:59", dst=BROADCAST)
        / IP(src="10.0.2.15", dst="10.0.2.20")
        / UDP(sport=5355, dport=50000)
        / DNS(
            qr=1,
            qd=DNSQR(qname="MSEDGEWIN10"),
            an=DNSRR(rrname="MSEDGEWIN10", type="A", rdata="10.0.2.15"),
        )
    )
    observations = decode(bytes(answer))
    llmnr = only(observations, ObservationKind.LLMNR)
    assert (llmnr.mac, llmnr.ip, llmnr.data) == (
        "08:00:27:e6:e5:59",
        "10.0.2.15",
        {"name": "MSEDGEWIN10", "how": "answer"},
    )
    assert only(observations, ObservationKind.HOSTNAME).data["origin"] == "llmnr"


def test_erspan_type_ii_frames_are_opened() -> None:
    inner = Ether(src=HOST_MAC, dst=BROADCAST) / ARP(
        op=2, hwsrc=HOST_MAC, psrc="10.9.0.5", pdst="10.9.0.1"
    )
    gre = bytes.fromhex("100088be") + bytes(4)  # GRE with a sequence number: ERSPAN II
    erspan = bytes.fromhex("1001000100000000")
    outer = (
        Ether(src="00:23:89:00:00:01", dst=BROADCAST)
        / IP(src="192.0.2.1", dst="192.0.2.2", proto=47)
        / Raw(gre + erspan + bytes(inner))
    )
    batch = decode_frames([(bytes(outer), NOW)], LINKTYPE_ETHERNET, vantage="eth0")
    address = only(batch.observations, ObservationKind.ADDRESS)
    assert (address.mac, address.ip) == (HOST_MAC, "10.9.0.5")
    assert batch.stats.tunnelled == 1


def test_gre_that_is_not_erspan_is_ignored() -> None:
    outer = (
        Ether(src=HOST_MAC, dst=BROADCAST)
        / IP(src="192.0.2.1", dst="192.0.2.2")
        / GRE(proto=0x0800)
    )
    assert of_kind(decode(bytes(outer)), ObservationKind.ADDRESS) == []


def test_raw_ip_link_type_has_no_macs() -> None:
    packet = IP(src="192.168.1.7", dst="192.168.1.255", ttl=128) / UDP(sport=1, dport=2)
    ttl = only(decode(bytes(packet), LINKTYPE_IPV4), ObservationKind.TTL)
    assert (ttl.mac, ttl.ip, ttl.data) == (
        None,
        "192.168.1.7",
        {"ttl": 128, "initial": 128, "hops": 0},
    )


@pytest.mark.parametrize(
    ("ttl", "initial", "hops"),
    [(1, 32, 31), (63, 64, 1), (64, 64, 0), (120, 128, 8), (250, 255, 5)],
)
def test_ttl_data(ttl: int, initial: int, hops: int) -> None:
    assert ttl_data(ttl) == {"ttl": ttl, "initial": initial, "hops": hops}


def test_batch_counts_malformed_frames_and_keeps_going() -> None:
    good = bytes(
        Ether(src=HOST_MAC, dst=BROADCAST)
        / ARP(op=2, hwsrc=HOST_MAC, psrc="10.0.0.5", pdst="10.0.0.1")
    )
    frames = [(b"\x00" * 5, NOW), (good, NOW), (good, NOW), (good[:30], NOW)]
    batch = decode_frames(frames, LINKTYPE_ETHERNET, vantage="eth0")
    assert batch.stats.frames == 4
    assert batch.stats.malformed == 2
    assert len(batch.observations) == 1  # the repeated fact is kept once
    assert sum(batch.stats.errors.values()) == 2


def test_unsupported_link_type_is_counted() -> None:
    batch = decode_frames([(b"\x00" * 40, NOW)], 105, vantage="wlan0")  # 802.11
    assert batch.stats.unsupported_linktype == 1 and batch.observations == []


def test_random_bytes_never_escape_as_other_exceptions() -> None:
    seeds = [bytes((i * 37 + j * 11) % 256 for j in range(i)) for i in range(0, 200)]
    templates = [mdns_response(), dhcp_request()]
    for template in templates:
        for cut in range(14, len(template), 7):
            seeds.append(template[:cut])
            seeds.append(template[:cut] + b"\xff" * 8)
    batch = decode_frames([(s, NOW) for s in seeds], LINKTYPE_ETHERNET, vantage="eth0")
    assert batch.stats.frames == len(seeds)
    assert batch.stats.malformed > 0

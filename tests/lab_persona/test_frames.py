"""The persona's frame builders, decoded with scapy field by field (scapy only in tests)."""

from __future__ import annotations

import re
import struct

import pytest
from scapy.contrib import cdp, lldp
from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.dns import DNS
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.layers.netbios import (
    NBNSHeader,
    NBNSNodeStatusResponse,
    NBNSQueryResponse,
    NBNSRegistrationRequest,
)

from scopeaudit.lab.persona import frames

WIN_PRL = [1, 3, 6, 15, 31, 33, 43, 44, 46, 47, 119, 121, 249, 252]


def _raw_option_codes(payload: bytes) -> list[int]:
    """Option codes in wire order, read without scapy (scapy would not prove the order)."""
    body = payload[240:]
    codes, i = [], 0
    while i < len(body) and body[i] != 255:
        codes.append(body[i])
        i += 2 + body[i + 1]
    return codes


def test_dhcp_request_windows_order_and_values() -> None:
    mac = "b0:4f:13:5c:99:01"
    options = frames.dhcp_options(
        "request",
        [53, 61, 50, 54, 12, 81, 60, 55],
        mac,
        hostname="DESKTOP-7K3Q2ZD",
        vendor_class="MSFT 5.0",
        prl=WIN_PRL,
        fqdn="DESKTOP-7K3Q2ZD.corp.example",
        requested_ip="10.77.0.101",
        server_id="10.77.0.1",
    )
    payload = frames.dhcp_payload(mac, 0xDEADBEEF, options)
    frame = Ether(frames.dhcp_frame(mac, payload, ttl=128))
    assert frame.dst == "ff:ff:ff:ff:ff:ff" and frame.src == mac
    assert frame[IP].src == "0.0.0.0" and frame[IP].dst == "255.255.255.255"
    assert frame[IP].ttl == 128 and frame[IP].proto == 17
    assert (frame[UDP].sport, frame[UDP].dport) == (68, 67)
    # checksums: scapy recomputes both when they are deleted; ours must equal them
    ip_again = IP(bytes(frame[IP]))
    expected_ip, expected_udp = ip_again.chksum, ip_again[UDP].chksum
    del ip_again.chksum
    del ip_again[UDP].chksum
    rebuilt = IP(bytes(ip_again))
    assert (rebuilt.chksum, rebuilt[UDP].chksum) == (expected_ip, expected_udp)
    bootp = frame[BOOTP]
    assert bootp.op == 1 and bootp.xid == 0xDEADBEEF
    assert bootp.chaddr[:6] == bytes.fromhex(mac.replace(":", ""))
    assert len(bytes(bootp)) >= 300
    opts = dict(o for o in frame[DHCP].options if isinstance(o, tuple))
    assert opts["message-type"] == 3
    assert opts["client_id"] == b"\x01" + bytes.fromhex(mac.replace(":", ""))
    assert opts["requested_addr"] == "10.77.0.101"
    assert opts["server_id"] == "10.77.0.1"
    assert opts["hostname"] == b"DESKTOP-7K3Q2ZD"
    assert opts["vendor_class_id"] == b"MSFT 5.0"
    assert list(opts["param_req_list"]) == WIN_PRL
    assert opts["client_FQDN"] == b"\x00\x00\x00DESKTOP-7K3Q2ZD.corp.example"
    assert _raw_option_codes(bytes(bootp)) == [53, 61, 50, 54, 12, 81, 60, 55]


def test_dhcp_discover_drops_request_only_options() -> None:
    mac = "6e:8b:2f:41:c7:5a"
    options = frames.dhcp_options(
        "discover",
        [53, 55, 57, 61, 50, 51],
        mac,
        prl=[1, 121, 3, 6, 15, 108, 114, 119, 252],
        max_size=1500,
        lease_time=7776000,
        requested_ip="10.77.0.110",
        server_id="10.77.0.1",
    )
    payload = frames.dhcp_payload(mac, 1, options)
    assert _raw_option_codes(payload) == [53, 55, 57, 61, 51]
    parsed = dict(o for o in DHCP(payload[240:]).options if isinstance(o, tuple))
    assert parsed["message-type"] == 1
    assert parsed["max_dhcp_size"] == 1500 and parsed["lease_time"] == 7776000
    assert "hostname" not in parsed  # iOS with a private address sends no option 12


def test_lldp_frame_with_med() -> None:
    mac = "80:5e:c0:7a:15:01"
    raw = frames.lldp_frame(
        mac,
        port_id="WAN PORT",
        system_name="SIP-T46U",
        system_description="SIP-T46U 108.86.0.20",
        caps_available=["bridge", "telephone"],
        caps_enabled=["telephone"],
        port_description="WAN PORT",
        mgmt_ip="10.77.0.120",
        med={"device_class": 3, "voice_vlan": 20, "manufacturer": "Yealink", "model": "T46U"},
    )
    frame = Ether(raw)
    assert frame.dst == "01:80:c2:00:00:0e" and frame.type == 0x88CC
    assert frame[lldp.LLDPDUChassisID].subtype == 4
    assert frame[lldp.LLDPDUChassisID].id == mac
    assert frame[lldp.LLDPDUPortID].id == b"WAN PORT"
    assert frame[lldp.LLDPDUTimeToLive].ttl == 120
    assert frame[lldp.LLDPDUSystemName].system_name == b"SIP-T46U"
    assert frame[lldp.LLDPDUSystemDescription].description == b"SIP-T46U 108.86.0.20"
    assert frame[lldp.LLDPDUPortDescription].description == b"WAN PORT"
    caps = frame[lldp.LLDPDUSystemCapabilities]
    assert caps.mac_bridge_available == 1 and caps.telephone_available == 1
    assert caps.router_available == 0 and caps.wlan_access_point_available == 0
    assert caps.telephone_enabled == 1 and caps.mac_bridge_enabled == 0
    mgmt = frame[lldp.LLDPDUManagementAddress]
    assert mgmt.management_address == bytes([10, 77, 0, 120])
    med = [
        layer
        for layer in frame.iterpayloads()
        if isinstance(layer, lldp.LLDPDUGenericOrganisationSpecific)
    ]
    assert all(layer.org_code == 0x0012BB for layer in med)
    by_subtype = {layer.subtype: bytes(layer.data) for layer in med}
    caps_med, device_class = struct.unpack("!HB", by_subtype[1])
    assert device_class == 3 and caps_med & 0x02 and caps_med & 0x20
    policy = struct.unpack("!I", by_subtype[2])[0]
    assert policy >> 24 == 1  # application type voice
    assert (policy >> 9) & 0x0FFF == 20  # voice VLAN
    assert by_subtype[9] == b"Yealink" and by_subtype[10] == b"T46U"
    assert isinstance(frame.lastlayer(), lldp.LLDPDUEndOfLLDPDU)


def test_cdp_frame_fields_and_checksum() -> None:
    mac = "70:10:5c:3a:11:01"
    raw = frames.cdp_frame(
        mac,
        device_id="BR-RTR01",
        port_id="GigabitEthernet0/0/0",
        platform="cisco ISR4331/K9",
        software="Cisco IOS Software [Cupertino]",
        capabilities=["router", "switch", "igmp"],
        address="10.77.0.1",
        native_vlan=1,
    )
    frame = Ether(raw)
    assert frame.dst == "01:00:0c:cc:cc:cc" and frame.src == mac
    hdr = frame[cdp.CDPv2_HDR]
    assert hdr.vers == 2 and hdr.ttl == 180
    assert frame[cdp.CDPMsgDeviceID].val == b"BR-RTR01"
    assert frame[cdp.CDPMsgPortID].iface == b"GigabitEthernet0/0/0"
    assert frame[cdp.CDPMsgPlatform].val == b"cisco ISR4331/K9"
    assert frame[cdp.CDPMsgSoftwareVersion].val == b"Cisco IOS Software [Cupertino]"
    assert frame[cdp.CDPMsgCapabilities].cap == 0x29
    assert frame[cdp.CDPAddrRecordIPv4].addr == "10.77.0.1"
    assert frame[cdp.CDPMsgNativeVLAN].vlan == 1
    # scapy recomputes the checksum (with Cisco's odd-length rule) when it is deleted
    again = cdp.CDPv2_HDR(bytes(hdr))
    del again.cksum
    assert cdp.CDPv2_HDR(bytes(again)).cksum == hdr.cksum


@pytest.mark.parametrize("platform", ["odd", "even!"])
def test_cdp_checksum_odd_and_even_lengths(platform: str) -> None:
    raw = frames.cdp_frame(
        "4c:71:0c:5b:22:01",
        device_id="SW",
        port_id="Gi1/0/24",
        platform=platform,
        software="x\xff",
        capabilities=["switch"],
    )
    hdr = Ether(raw)[cdp.CDPv2_HDR]
    again = cdp.CDPv2_HDR(bytes(hdr))
    del again.cksum
    assert cdp.CDPv2_HDR(bytes(again)).cksum == hdr.cksum


def test_netbios_name_round_trip() -> None:
    encoded = frames.netbios_encode("DESKTOP-7K3Q2ZD", 0x20)
    assert len(encoded) == 34 and encoded[0] == 32 and encoded[-1] == 0
    assert frames.netbios_decode(encoded[1:33]) == ("DESKTOP-7K3Q2ZD", 0x20)


def test_nbns_registration() -> None:
    packet = NBNSHeader(
        frames.nbns_registration(0x1234, "DESKTOP-7K3Q2ZD", 0x20, False, "10.77.0.101")
    )
    assert packet.NAME_TRN_ID == 0x1234 and packet.OPCODE == 5 and packet.RESPONSE == 0
    assert packet.QDCOUNT == 1 and packet.ARCOUNT == 1
    reg = packet[NBNSRegistrationRequest]
    assert reg.QUESTION_NAME.rstrip() == b"DESKTOP-7K3Q2ZD"
    assert reg.SUFFIX == 0x4341  # scapy keeps the suffix half-ASCII encoded: "CA" = 0x20
    assert reg.NB_ADDRESS == "10.77.0.101" and reg.G == 0
    group = NBNSHeader(frames.nbns_registration(1, "CORP", 0x00, True, "10.77.0.101"))
    assert group[NBNSRegistrationRequest].G == 1


def test_nbns_query_parse_and_answers() -> None:
    query = struct.pack("!HHHHHH", 0x4242, 0x0110, 1, 0, 0, 0)
    query += frames.netbios_encode("desktop-7k3q2zd", 0x00) + struct.pack("!HH", 0x20, 1)
    assert frames.parse_nbns_query(query) == (0x4242, "DESKTOP-7K3Q2ZD", 0x00, 0x20)
    assert frames.parse_nbns_query(query[:20]) is None
    response = NBNSHeader(
        frames.nbns_name_response(0x4242, "DESKTOP-7K3Q2ZD", 0, False, "10.77.0.101")
    )
    assert response.RESPONSE == 1 and response.NAME_TRN_ID == 0x4242 and response.ANCOUNT == 1
    answer = response[NBNSQueryResponse]
    assert answer.RR_NAME.rstrip() == b"DESKTOP-7K3Q2ZD"
    assert answer.ADDR_ENTRY[0].NB_ADDRESS == "10.77.0.101"
    status = NBNSHeader(
        frames.nbns_node_status_response(
            7, [("DESKTOP-7K3Q2ZD", 0x00, False), ("CORP", 0x00, True)], "b0:4f:13:5c:99:01"
        )
    )
    node = status[NBNSNodeStatusResponse]
    assert node.NUM_NAMES == 2 and node.MAC_ADDRESS == "b0:4f:13:5c:99:01"
    names = [(s.NETBIOS_NAME.rstrip(), s.NAME_FLAGS) for s in node.NODE_NAME]
    assert names == [(b"DESKTOP-7K3Q2ZD", 0x04), (b"CORP", 0x84)]


def test_dns_shaped_queries_and_mdns_announcement() -> None:
    query = DNS(frames.dns_query(99, [("wpad", frames.DNS_A)]))
    assert query.id == 99 and query.qr == 0 and query.qdcount == 1
    assert query.qd[0].qname == b"wpad." and query.qd[0].qtype == 1
    announcement = DNS(frames.mdns_host_announcement("DESKTOP-7K3Q2ZD", "10.77.0.101"))
    assert announcement.qr == 1 and announcement.aa == 1 and announcement.ancount == 1
    record = announcement.an[0]
    assert record.rrname == b"DESKTOP-7K3Q2ZD.local."
    assert record.rdata == "10.77.0.101" and record.cacheflush == 1 and record.rclass == 1
    assert record.ttl == 120


def test_ssdp_notify_search_and_response() -> None:
    uuid = "uuid:73796E6F-6473-6D00-0000-9009d01a2b3c"
    notify = frames.ssdp_notify(
        "http://10.77.0.31:5000/d.xml", "upnp:rootdevice", uuid, "Synology/DSM/10.77.0.31"
    )
    text = notify.decode()
    assert text.startswith("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n")
    assert f"USN: {uuid}::upnp:rootdevice\r\n" in text and text.endswith("\r\n\r\n")
    assert "NTS: ssdp:alive\r\n" in text
    search = b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n'
    assert frames.parse_msearch(search) == "ssdp:all"
    assert frames.parse_msearch(b"NOTIFY * HTTP/1.1\r\n\r\n") is None
    types = ["upnp:rootdevice", "urn:schemas-upnp-org:device:Basic:1"]
    assert frames.ssdp_matches("ssdp:all", uuid, types) == [*types, uuid]
    assert frames.ssdp_matches("upnp:rootdevice", uuid, types) == ["upnp:rootdevice"]
    assert frames.ssdp_matches("urn:other", uuid, types) == []
    reply = frames.ssdp_response("http://x/d.xml", uuid, uuid, "S", now=0).decode()
    assert reply.startswith("HTTP/1.1 200 OK\r\n") and f"USN: {uuid}\r\n" in reply
    assert "DATE: Thu, 01 Jan 1970 00:00:00 GMT\r\n" in reply and "EXT:\r\n" in reply


def test_sip_options_answer_matches_nmap_yealink_rule() -> None:
    request = (
        b"OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/UDP nm;branch=foo;rport\r\n"
        b"From: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\nCall-ID: 50000\r\n"
        b"CSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
    reply = frames.sip_response(request, "Yealink SIP-T46U 108.86.0.20", "10.77.0.120")
    assert reply is not None
    text = reply.decode()
    assert text.startswith("SIP/2.0 200 OK\r\n")
    for header in ("Via: SIP/2.0/UDP nm;branch=foo;rport", "Call-ID: 50000", "CSeq: 42 OPTIONS"):
        assert header + "\r\n" in text
    assert "To: <sip:nm2@nm2>;tag=" in text
    # the rule from nmap-service-probes that names the phone
    rule = re.compile(
        r"^SIP/2\.0 \d\d\d (?:[^\r\n]*\r\n(?!\r\n))*?User-Agent: Yealink (SIP-[\w_]+) ([\d.]+)\r\n",
        re.S,
    )
    match = rule.match(text)
    assert match is not None and match.groups() == ("SIP-T46U", "108.86.0.20")
    assert frames.sip_response(b"INVITE sip:x SIP/2.0\r\n\r\n", "UA", "1.2.3.4") is None


def test_ubnt_discovery_reply_tlvs() -> None:
    assert frames.is_ubnt_probe(b"\x01\x00\x00\x00") and not frames.is_ubnt_probe(b"\x02\x00")
    reply = frames.ubnt_discovery_reply(
        "74:83:c2:4d:44:01",
        "10.77.0.20",
        firmware="fw",
        hostname="U6-Pro-Lobby",
        product="U6-Pro",
        essid="CORP",
    )
    assert reply[:2] == b"\x01\x00"
    (length,) = struct.unpack("!H", reply[2:4])
    assert length == len(reply) - 4
    tlvs, i = {}, 4
    while i < len(reply):
        kind, size = struct.unpack("!BH", reply[i : i + 3])
        tlvs[kind] = reply[i + 3 : i + 3 + size]
        i += 3 + size
    assert tlvs[0x02] == bytes.fromhex("7483c24d4401") + bytes([10, 77, 0, 20])
    assert tlvs[0x0B] == b"U6-Pro-Lobby" and tlvs[0x0C] == b"U6-Pro"
    assert tlvs[0x03] == b"fw" and tlvs[0x0D] == b"CORP"


def test_ipv4_udp_checksums_verified_by_scapy() -> None:
    packet = IP(frames.ipv4_udp("10.0.0.1", "10.0.0.2", 1234, 5678, b"odd-length!", ttl=7))
    assert (
        packet.ttl == 7
        and packet[UDP].sport == 1234
        and bytes(packet[UDP].payload) == b"odd-length!"
    )
    again = IP(bytes(packet))
    del again.chksum
    del again[UDP].chksum
    rebuilt = IP(bytes(again))
    assert rebuilt.chksum == packet.chksum and rebuilt[UDP].chksum == packet[UDP].chksum


def test_raw_mdns_service_announcement_carries_bytes_zeroconf_refuses() -> None:
    instance = b"\x1b[31mRED\x1b[0m\x00\xff"
    txt = b"\x07ty=\x1b[2J"
    packet = DNS(
        frames.mdns_service_announcement(instance, "_http._tcp", "hostile", 80, txt, "10.77.0.66")
    )
    assert packet.qr == 1 and packet.aa == 1 and packet.ancount == 4
    records = {r.type: r for r in packet.an}
    assert records[12].rrname == b"_http._tcp.local."
    assert records[12].rdata == instance + b"._http._tcp.local."
    assert records[33].port == 80 and records[33].target == b"hostile.local."
    assert records[16].rrname == instance + b"._http._tcp.local."
    assert b"".join(bytes([len(t)]) + t for t in records[16].rdata) == txt
    assert records[1].rrname == b"hostile.local." and records[1].rdata == "10.77.0.66"


def test_http_date_matches_the_email_package() -> None:
    from email.utils import formatdate

    for now in (0.0, 1_700_000_000.0, 1_795_867_012.5, 951_782_400.0):
        assert frames.http_date(now) == formatdate(now, usegmt=True)


def test_dns_questions_with_compression_and_responses_ignored() -> None:
    query = frames.dns_query(0, [("_http._tcp.local", frames.DNS_PTR), ("x.local", frames.DNS_A)])
    assert frames.dns_questions(query) == [("_http._tcp.local", 12), ("x.local", 1)]
    # a second question compressed against the first (as zeroconf sends them)
    header = struct.pack("!HHHHHH", 0, 0, 2, 0, 0, 0)
    first = frames.dns_name("_ipp._tcp.local") + struct.pack("!HH", 12, 1)
    second = b"\x05_ipps\xc0\x11" + struct.pack("!HH", 12, 1)  # "_ipps" + pointer to "_tcp.local"
    assert frames.dns_questions(header + first + second) == [
        ("_ipp._tcp.local", 12),
        ("_ipps._tcp.local", 12),
    ]
    assert frames.dns_questions(frames.mdns_host_announcement("h", "10.0.0.1")) == []
    assert frames.dns_questions(b"\x00\x00\x00\x00\x00\x05") == []  # truncated: no crash
    loop = header[:4] + b"\x00\x01" + header[6:] + b"\xc0\x0c" + b"\x00\x0c\x00\x01"
    assert frames.dns_questions(loop) == []  # a pointer to itself: refused, no recursion error

"""Importer: format by magic bytes, pcap/pcapng readers, real captures from the corpora."""

from __future__ import annotations

import csv
import os
import struct
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources.importer import import_file, import_files
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are asserted in English whatever the tester's locale."""
    monkeypatch.setenv("LC_ALL", "C")


ARP_REPLY = bytes.fromhex(
    "fffffffffffff4d48812345608060001080006040002f4d4881234560a0000050000000000000a000001"
)


def pcap(frames: list[bytes], linktype: int = 1, *, big_endian: bool = False) -> bytes:
    order = ">" if big_endian else "<"
    out = struct.pack(order + "IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for index, frame in enumerate(frames):
        out += struct.pack(order + "IIII", 1_700_000_000 + index, 500_000, len(frame), len(frame))
        out += frame
    return out


def pcapng(frames: list[bytes], linktype: int = 1, tsresol: int | None = None) -> bytes:
    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        length = len(body) + 12
        return struct.pack("<II", kind, length) + body + struct.pack("<I", length)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    options = b""
    if tsresol is not None:
        options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
    out += block(1, struct.pack("<HHI", linktype, 0, 65535) + options)
    unit = 10**tsresol if tsresol is not None else 10**6
    for frame in frames:
        stamp = 1_700_000_000 * unit
        head = struct.pack("<IIIII", 0, stamp >> 32, stamp & 0xFFFFFFFF, len(frame), len(frame))
        out += block(6, head + frame)
    return out


def write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def test_pcap_both_byte_orders(tmp_path: Path) -> None:
    for big in (False, True):
        result = import_file(write(tmp_path, "a.cap", pcap([ARP_REPLY], big_endian=big)), now=NOW)
        (obs,) = result.observations
        assert (obs.mac, obs.ip, obs.data["how"]) == ("f4:d4:88:12:34:56", "10.0.0.5", "arp-reply")
        assert obs.time == datetime(2023, 11, 14, 22, 13, 20, 500_000, tzinfo=UTC)
        assert obs.source == Source.IMPORT and obs.vantage == "file:a.cap"
        assert result.files[0].format == "pcap" and result.files[0].ok


def test_pcapng_named_pcap_with_nanosecond_clock(tmp_path: Path) -> None:
    path = write(tmp_path, "really-pcapng.pcap", pcapng([ARP_REPLY], tsresol=9))
    result = import_file(path, now=NOW)
    assert result.files[0].format == "pcapng"
    (obs,) = result.observations
    assert obs.time == datetime.fromtimestamp(1_700_000_000, UTC)


def test_truncated_capture_keeps_what_was_read(tmp_path: Path) -> None:
    content = pcap([ARP_REPLY, ARP_REPLY])[:-10]
    result = import_file(write(tmp_path, "cut.pcap", content), now=NOW)
    (outcome,) = result.files
    assert outcome.ok and outcome.counts["frames"] == 1
    assert outcome.problems == ["pcap file truncated after 1 frames"]
    assert len(result.observations) == 1


def test_header_only_garbage_is_a_per_file_error(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, "x.pcap", b"\xd4\xc3\xb2\xa1\x02\x00"), now=NOW)
    assert not result.files[0].ok
    assert result.files[0].error == "pcap file truncated inside its header"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"PK\x03\x04zipzip", "unknown format (first bytes 504b0304"),
        (b"hello,world\n", "unknown format"),
    ],
)
def test_unknown_files(tmp_path: Path, content: bytes, message: str) -> None:
    (outcome,) = import_file(write(tmp_path, "f.bin", content), now=NOW).files
    assert not outcome.ok and outcome.error is not None and message in outcome.error
    assert outcome.line().startswith(str(tmp_path / "f.bin"))


def test_missing_and_folder(tmp_path: Path) -> None:
    missing = import_file(tmp_path / "nope.xml", now=NOW).files[0]
    assert not missing.ok and "cannot be read" in (missing.error or "")
    folder = import_file(tmp_path, now=NOW).files[0]
    assert not folder.ok and folder.error == "is a folder, not a file"


def test_unsupported_link_type_is_reported(tmp_path: Path) -> None:
    result = import_file(write(tmp_path, "wifi.pcap", pcap([b"\x00" * 40], linktype=105)))
    (outcome,) = result.files
    assert outcome.ok and outcome.counts["unsupported link type"] == 1
    assert outcome.problems == ["link type(s) [105] not supported; those frames were skipped"]


def test_one_bad_file_does_not_stop_the_others(tmp_path: Path) -> None:
    good = write(tmp_path, "good.pcap", pcap([ARP_REPLY]))
    bad = write(tmp_path, "bad.xml", b"<nmaprun><host>")
    result = import_files([bad, good], now=NOW)
    assert [f.ok for f in result.files] == [False, True]
    assert len(result.observations) == 1
    outcome = result.source_outcome(0.5)
    assert outcome.ok and outcome.error is not None and "bad.xml" in outcome.error
    assert outcome.detail == {"files": 2, "failed": 1}


# ------------------------------------------------------------------------------- the corpora


def pcap_listing() -> list[str]:
    root = os.environ.get("SCOPEAUDIT_CORPORA")
    if not root or not (Path(root) / "pcap").is_dir():
        return ["3560_CDP.pcap"]  # the corpora fixture skips (or fails under strict) anyway
    base = Path(root) / "pcap"
    names = [p.name for p in base.iterdir() if p.is_file()]
    names += [f"iot-sentinel/{p.name}" for p in (base / "iot-sentinel").iterdir()]
    return sorted(names)


CAPTURE_MAGICS = (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x0a\x0d\x0d\x0a")


@pytest.mark.corpora
@pytest.mark.parametrize("name", pcap_listing())
def test_every_corpus_file_goes_through_the_importer(corpora: Path, name: str) -> None:
    path = corpora / "pcap" / name
    result = import_file(path, now=NOW)
    (outcome,) = result.files
    if path.read_bytes()[:4] in CAPTURE_MAGICS:
        assert outcome.ok, outcome.line()
        assert outcome.counts["frames"] > 0
        assert outcome.counts["malformed"] < outcome.counts["frames"]
    else:  # the decodes, tables and licences that sit beside the captures
        assert not outcome.ok and outcome.error is not None
        assert outcome.error.startswith("unknown format")
    assert "\n" not in outcome.line()


def observations_of(corpora: Path, name: str) -> list[Observation]:
    result = import_file(corpora / "pcap" / name, now=NOW)
    assert result.files[0].ok, result.files[0].line()
    return result.observations


def data_of(observations: list[Observation], kind: ObservationKind) -> list[dict[str, Any]]:
    return [o.data for o in observations if o.kind == kind]


def derived_dhcp_rows() -> list[dict[str, str]]:
    root = os.environ.get("SCOPEAUDIT_CORPORA")
    table = Path(root) / "pcap" / "DERIVED_dhcp_clients.tsv" if root else None
    if table is None or not table.is_file():
        return [{"pcap": "pcap/dhcp-mud.pcap", "client_mac": "b8:27:eb:b8:53:c8"}]
    lines = [line for line in table.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


@pytest.mark.corpora
@pytest.mark.parametrize(
    "row", derived_dhcp_rows(), ids=lambda r: f"{r['pcap'].split('/')[-1]}-{r['client_mac']}"
)
def test_dhcp_options_of_real_clients(corpora: Path, row: dict[str, str]) -> None:
    """The generated table is a cross-check: option 55, 60 and 12 per client MAC."""
    observations = observations_of(corpora, row["pcap"].removeprefix("pcap/"))
    dhcp = [o.data for o in observations if o.kind == ObservationKind.DHCP]
    mine = [d for d in dhcp if d.get("chaddr") == row["client_mac"]]
    assert mine, f"no DHCP from {row['client_mac']}"
    prl = [int(x) for x in row["option55_param_request_list"].split(",") if x]
    assert any(d.get("prl", []) == prl for d in mine)
    if row["option60_vendor_class"]:
        assert any(d.get("vendor_class") == row["option60_vendor_class"] for d in mine)
    if row["option12_hostname"]:
        assert any(d.get("hostname") == row["option12_hostname"] for d in mine)


# (file, MAC, DHCP hostname or None, vendor class or None, option 55) from SOURCES.md.
IOT_DHCP = [
    ("D-LinkCam", "b0:c5:54:25:5b:0e", "DCS-935L", "udhcp 1.22.1", [1, 3, 6, 12, 15, 28, 42]),
    ("HueBridge", "00:17:88:24:76:ff", "Philips-hue", "udhcp 1.19.4", [1, 3, 6, 12, 15, 28, 42]),
    (
        "TP-LinkPlugHS100",
        "50:c7:bf:00:fc:a3",
        "HS100(EU)",
        "udhcp 0.9.9-pre",
        [1, 3, 6, 12, 15, 28],
    ),
    ("MAXGateway", "00:1a:22:03:cb:be", "KEQ0817541", None, [1, 3, 6, 12, 51, 58, 59]),
    ("Withings", "00:24:e4:24:80:2a", None, "Withings00", [1, 3, 28, 6]),
    (
        "iKettle2",
        "5c:cf:7f:06:d9:02",
        "ESP_06D902",
        None,
        [1, 3, 28, 6, 15, 44, 46, 47, 31, 33, 121, 43],
    ),
]


@pytest.mark.corpora
@pytest.mark.parametrize(("device", "mac", "hostname", "vendor_class", "prl"), IOT_DHCP)
def test_iot_sentinel_dhcp(
    corpora: Path,
    device: str,
    mac: str,
    hostname: str | None,
    vendor_class: str | None,
    prl: list[int],
) -> None:
    folder = corpora / "pcap" / "iot-sentinel"
    (path,) = folder.glob(f"{device}_Setup-*.pcap")
    observations = import_file(path, now=NOW).observations
    dhcp = [
        o
        for o in observations
        if o.kind == ObservationKind.DHCP and o.mac == mac and o.data["message_type"] in (1, 3)
    ]
    assert dhcp  # DISCOVER and REQUEST carry the fingerprint; a RELEASE carries none
    assert all(o.data["prl"] == prl for o in dhcp)
    assert all(o.data.get("vendor_class") == vendor_class for o in dhcp)
    assert all(o.data.get("hostname") == hostname for o in dhcp)
    names = {o.data["name"] for o in observations if o.kind == ObservationKind.HOSTNAME}
    if hostname is not None:
        assert hostname in names


@pytest.mark.corpora
def test_iot_sentinel_mdns_services(corpora: Path) -> None:
    folder = corpora / "pcap" / "iot-sentinel"
    hue = import_file(folder / "HueBridge_Setup-A-1-STA.pcap", now=NOW).observations
    hap = [d for d in data_of(hue, ObservationKind.MDNS_SERVICE) if d["port"] == 8080]
    assert hap[0]["type"] == "_hap._tcp" and hap[0]["instance"] == "Philips hue - 2476FF"
    assert hap[0]["host"] == "Philips-hue.local" and hap[0]["txt"]["md"] == "BSB002"
    cam = import_file(folder / "D-LinkDayCam_Setup-A-1-STA.pcap", now=NOW).observations
    services = {(d["type"], d["instance"]) for d in data_of(cam, ObservationKind.MDNS_SERVICE)}
    assert ("_http._tcp", "DCS-930LB_1C7185") in services
    assert "DCS-930LB1_1C7185.local" in {d["name"] for d in data_of(cam, ObservationKind.HOSTNAME)}
    edimax = import_file(folder / "EdimaxCam1_Setup-A-1-STA.pcap", now=NOW).observations
    instances = {d["instance"] for d in data_of(edimax, ObservationKind.MDNS_SERVICE)}
    assert " [74:da:38:80:7a:08]" in instances  # kept raw, leading space included


@pytest.mark.corpora
def test_iot_sentinel_ssdp_servers(corpora: Path) -> None:
    folder = corpora / "pcap" / "iot-sentinel"
    expected = {
        "HueBridge": "Linux/3.14.0 UPnP/1.0 IpBridge/1.9.0",
        "D-LinkCam": "Linux,    UPnP/1.0 DCS-935L/1.0",
        "WeMoSwitch2": "Linux/2.6.21, UPnP/1.0, Portable SDK for UPnP devices/1.6.18",
        "EdimaxCam1": "Embedded UPnP/1.0",
    }
    for device, server in expected.items():
        (path,) = folder.glob(f"{device}_Setup-*.pcap")
        found = data_of(import_file(path, now=NOW).observations, ObservationKind.SSDP)
        servers = {d.get("server") for d in found}
        assert server in servers, device


@pytest.mark.corpora
def test_mdns_of_the_imac_and_dhcp_of_the_iphone(corpora: Path) -> None:
    observations = observations_of(corpora, "iphone.pcap")
    info = [
        d
        for d in data_of(observations, ObservationKind.MDNS_SERVICE)
        if d["type"] == "_device-info._tcp"
    ]
    assert info[0]["txt"] == {"model": "iMac11,3", "osxvers": "17"}
    assert info[0]["instance"] == "Luca’s iMac"
    types = {d["type"] for d in data_of(observations, ObservationKind.MDNS_SERVICE)}
    assert {"_companion-link._tcp", "_smb._tcp", "_ssh._tcp"} <= types
    phone = [
        o
        for o in observations
        if o.kind == ObservationKind.DHCP and o.data.get("hostname") == "Lucas-iPhone"
    ]
    assert phone[0].mac == "c4:61:8b:35:82:a9"
    assert phone[0].data["prl"] == [1, 121, 3, 6, 15, 119, 252]
    lease = [
        o for o in observations if o.kind == ObservationKind.ADDRESS and o.data["how"] == "lease"
    ]
    assert ("c4:61:8b:35:82:a9", "192.168.2.17") in {(o.mac, o.ip) for o in lease}


@pytest.mark.corpora
def test_dhcp_relay_client_from_chaddr(corpora: Path) -> None:
    (dhcp,) = [
        o for o in observations_of(corpora, "dhcp-mud.pcap") if o.kind == ObservationKind.DHCP
    ]
    assert dhcp.mac == "b8:27:eb:b8:53:c8"
    assert dhcp.data["vendor_class"] == "dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709"
    assert dhcp.data["hostname"] == "raspberrypi"
    assert dhcp.data["options_order"][:3] == [53, 61, 57]


@pytest.mark.corpora
def test_cdp_and_lldp_of_two_catalysts(corpora: Path) -> None:
    observations = observations_of(corpora, "LLDP_and_CDP.pcap")
    lldp = {d["system_name"]: d for d in data_of(observations, ObservationKind.LLDP)}
    assert set(lldp) == {"S1.cisco.com", "S2.cisco.com"}
    assert lldp["S1.cisco.com"]["caps_available"] == ["bridge", "router"]
    assert lldp["S1.cisco.com"]["caps_enabled"] == ["bridge"]
    assert lldp["S2.cisco.com"]["chassis_id"] == "00:19:2f:a7:b2:8d"
    cdp = {d["device_id"]: d for d in data_of(observations, ObservationKind.CDP)}
    assert cdp["S1"]["platform"] == "cisco WS-C3560-24TS"
    assert cdp["S2"]["platform"] == "cisco WS-C3560G-24PS"
    assert cdp["S2"]["port_id"] == "GigabitEthernet0/13"
    assert cdp["S1"]["capabilities"] == ["switch", "igmp"]
    assert all(o.ip is None for o in observations if o.kind == ObservationKind.CDP)  # 0.0.0.0


@pytest.mark.corpora
def test_cdp_of_a_switch_and_an_access_point(corpora: Path) -> None:
    (switch,) = [
        o for o in observations_of(corpora, "3560_CDP.pcap") if o.kind == ObservationKind.CDP
    ]
    assert switch.data["device_id"] == "Switch" and switch.ip == "192.168.0.1"
    assert switch.data["platform"] == "cisco WS-C3560G-24PS"
    ap = data_of(observations_of(corpora, "capwap.pcap"), ObservationKind.CDP)
    assert ap[0]["platform"] == "cisco AIR-CAP2602I-Q-K9"
    assert ap[0]["device_id"] == "APb838.61f3.05ac"


@pytest.mark.corpora
def test_lldp_med_inventory_of_an_sg200(corpora: Path) -> None:
    (lldp,) = data_of(observations_of(corpora, "sg200.pcap"), ObservationKind.LLDP)
    assert lldp["chassis_id"] == "00:35:35:35:35:35" and lldp["port_id"] == "g1"
    med = lldp["med"]
    assert med["device_class"] == 4 and med["device_class_name"] == "network_connectivity"
    # Fixed-width fields arrive NUL-padded: kept as received (docs/observations.md).
    assert med["model"].rstrip("\x00") == "SG 200-08P"
    assert med["hardware"].rstrip("\x00") == "V02"
    assert med["firmware"].rstrip("\x00") == "1.0.8.3"
    assert "system_name" not in lldp


@pytest.mark.corpora
def test_fuzzed_captures_do_not_break_the_import(corpora: Path) -> None:
    result = import_file(corpora / "pcap" / "arp-oobr.pcap", now=NOW)
    counts = result.files[0].counts
    assert counts["frames"] == 2282 and counts["malformed"] > 100
    assert all(o.kind == ObservationKind.ADDRESS for o in result.observations)
    (lldp,) = data_of(observations_of(corpora, "med-loc-malformed.pcap"), ObservationKind.LLDP)
    assert lldp["system_name"] == "defensics"
    assert lldp["med"]["device_class"] == 3


@pytest.mark.corpora
def test_lldp_inside_erspan(corpora: Path) -> None:
    result = import_file(corpora / "pcap" / "erspan-type-i-4.pcap", now=NOW)
    assert result.files[0].counts["tunnelled"] > 0
    names = {d["system_name"] for d in data_of(result.observations, ObservationKind.LLDP)}
    assert names == {"Device B", "Device C"}


@pytest.mark.corpora
def test_nbns_names_from_netbios_pcapng(corpora: Path) -> None:
    result = import_file(corpora / "pcap" / "netbios.pcap", now=NOW)
    assert result.files[0].format == "pcapng"
    status = [
        o
        for o in result.observations
        if o.kind == ObservationKind.NBNS and o.data["how"] == "node-status"
    ]
    assert status[0].data["unit_id"] == "00:1c:c4:10:79:0f"
    assert {"name": "GUNNAR", "suffix": 0x20, "group": False} in status[0].data["names"]
    asked = {
        n["name"] for d in data_of(result.observations, ObservationKind.NBNS) for n in d["names"]
    }
    assert {"GUNNAR", "GURU", "MULI", "NVR9", "XSTREAM_HY", "OZI"} <= asked
    assert {"name": "OZI", "suffix": 0x1C, "group": False} in [
        n for d in data_of(result.observations, ObservationKind.NBNS) for n in d["names"]
    ]


@pytest.mark.corpora
def test_windows_names_ssdp_and_llmnr(corpora: Path) -> None:
    observations = observations_of(corpora, "gnutella.pcap")
    registrations = [
        d for d in data_of(observations, ObservationKind.NBNS) if d["how"] == "registration"
    ]
    assert {"name": "MSEDGEWIN10", "suffix": 0x20, "group": False} in [
        n for d in registrations for n in d["names"]
    ]
    assert {"name": "MSEDGEWIN10", "how": "query"} in data_of(observations, ObservationKind.LLMNR)
    agents = {d.get("user_agent") for d in data_of(observations, ObservationKind.SSDP)}
    assert "Microsoft Edge/99.0.1150.30 Windows" in agents
    roku = data_of(observations_of(corpora, "anyconnect-vpn.pcap"), ObservationKind.SSDP)
    assert "Roku UPnP/1.0 Roku/9.1.0" in {d.get("server") for d in roku}


@pytest.mark.corpora
def test_raw_ip_capture_without_ethernet(corpora: Path) -> None:
    observations = observations_of(corpora, "bjnp.pcap")
    assert observations and all(o.mac is None for o in observations)
    assert all(o.kind == ObservationKind.TTL for o in observations)


@pytest.mark.corpora
def test_mutated_real_frames_only_ever_raise_frame_error(corpora: Path) -> None:
    """Bit flips and cuts in real discovery frames: decoded or counted, never a crash."""
    import random

    from scopeaudit.sources.frames import FrameError, decode_frame
    from scopeaudit.sources.importer import read_pcap, read_pcapng

    rng = random.Random(20261128)
    tried = malformed = 0
    for name in ("LLDP_and_CDP.pcap", "iphone.pcap", "netbios.pcap", "sg200.pcap", "eapon1.pcap"):
        content = (corpora / "pcap" / name).read_bytes()
        reader = read_pcapng if content[:4] == b"\x0a\x0d\x0d\x0a" else read_pcap
        for _, frame, _ in list(reader(content, NOW))[:60]:
            for _ in range(8):
                mutated = bytearray(frame)
                for _ in range(rng.randint(1, 4)):
                    mutated[rng.randrange(len(mutated))] = rng.randrange(256)
                cut = bytes(
                    mutated[: rng.randrange(len(mutated) + 1)] if rng.random() < 0.3 else mutated
                )
                tried += 1
                try:
                    decode_frame(cut, 1, time=NOW, vantage="x")
                except FrameError:
                    malformed += 1
    assert tried > 1000 and 0 < malformed < tried


def test_messages_exist_in_both_languages_and_render_in_french(tmp_path: Path) -> None:
    from scopeaudit.sources import importer, nmap_xml
    from scopeaudit.taxonomy import Language

    for catalog in (importer.TEXT, importer.COUNT_LABELS, nmap_xml.TEXT):
        for code, texts in catalog.items():
            assert set(texts) == set(Language), code
    (outcome,) = import_file(write(tmp_path, "f.bin", b""), lang=Language.FR).files
    assert outcome.error == "est vide" and outcome.code == "empty"
    assert outcome.line() == f"{tmp_path / 'f.bin'} : est vide"
    (truncated,) = import_file(
        write(tmp_path, "t.pcap", pcap([ARP_REPLY, ARP_REPLY])[:-10]), lang=Language.FR
    ).files
    assert truncated.problems == ["fichier pcap tronqué après 1 trames"]
    assert "trames 1" in truncated.line()
    xml = write(tmp_path, "x.xml", b"<nmaprun><host>")
    (broken,) = import_file(xml, lang=Language.FR).files
    assert broken.error is not None and broken.error.startswith("XML mal formé à la ligne 1")

"""nmap XML parser: every corpus file imports or fails with a clear one-line message."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources.importer import import_file
from scopeaudit.sources.nmap_xml import parse_nmap_xml
from scopeaudit.taxonomy import Source

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are asserted in English whatever the tester's locale."""
    monkeypatch.setenv("LC_ALL", "C")


NMAP_XML = Path("nmap-xml")

# file → (hosts up, substring of the one-line error or None). Read from the files themselves.
EXPECTED: dict[str, tuple[int, str | None]] = {
    "1_host_ping.xml": (1, None),
    "1_hosts.xml": (1, None),
    "1_hosts_banner.xml": (1, None),
    "1_hosts_banner_ports.xml": (1, None),
    "1_hosts_banner_ports_notsyn.xml": (1, None),
    "1_hosts_banner_ports_xmas.xml": (1, None),
    "1_hosts_diff.xml": (1, None),
    "1_hosts_down.xml": (1, None),
    "1_hosts_nohostname.xml": (1, None),
    "1_os_banner_scripts.xml": (1, None),
    "2_hosts.xml": (2, None),
    "2_hosts_achange.xml": (2, None),
    "2_hosts_version.xml": (2, None),
    "2_null_hosts.xml": (2, None),
    "2_tcp_hosts.xml": (2, None),
    "RaspberryPi4_ModelB_A.xml": (1, None),
    "RaspberryPi4_ModelB_tcp-only.xml": (1, None),
    "RaspberryPi4_ModelB_top-1000.xml": (1, None),
    "RaspberryPi4_ModelB_udp-only.xml": (1, None),
    "arris_A.xml": (1, None),
    "arris_tcp-only.xml": (1, None),
    "arris_top-1000.xml": (1, None),
    "arris_udp-only.xml": (0, "not well-formed XML at line 14"),
    "complex.xml": (1, None),
    "defused_et_included.xml": (0, "not an nmap XML file (root element <root>"),
    "defused_et_local_includer.xml": (0, "refused: the file declares XML entities"),
    "diff_1_host_ping_mac_changed.xml": (1, None),
    "dionaea_scan.xml": (1, None),
    "down.xml": (0, None),
    "empty.xml": (0, None),
    "extra_ports.xml": (1, None),
    "full_sudo5.xml": (4, None),
    "full_sudo6.xml": (4, None),
    "fullscan.xml": (2, None),
    "os.xml": (1, None),
    "os_scan5.xml": (4, None),
    "os_scan6.xml": (3, None),
    "random-1.xml": (55, None),
    "random-2.xml": (61, None),
    "simple.xml": (1, None),
    "single.xml": (1, None),
    "test_osclass.xml": (0, "host 1: address 'IP' is not an IPv4 address"),
    "tplink_ArcherC6_4.0_A.xml": (1, None),
    "tplink_ArcherC6_4.0_tcp-only.xml": (1, None),
    "tplink_ArcherC6_4.0_top1000.xml": (1, None),
    "tplink_ArcherC6_4.0_udp-only.xml": (1, None),
    "zyxel_A.xml": (1, None),
    "zyxel_tcp-only.xml": (1, None),
    "zyxel_top-1000.xml": (1, None),
    "zyxel_udp-only.xml": (1, None),
}


def corpus_files() -> list[str]:
    """The folder listing when the corpora are reachable at collection time, else the table."""
    import os

    root = os.environ.get("SCOPEAUDIT_CORPORA")
    folder = Path(root) / NMAP_XML if root else None
    if folder is not None and folder.is_dir():
        return sorted(p.name for p in folder.iterdir())
    return sorted(EXPECTED)


@pytest.mark.corpora
@pytest.mark.parametrize("name", corpus_files())
def test_every_nmap_file_imports_or_fails_clearly(corpora: Path, name: str) -> None:
    assert name in EXPECTED, f"new corpus file {name}: add its expected outcome"
    hosts, error = EXPECTED[name]
    result = import_file(corpora / NMAP_XML / name, now=NOW)
    (outcome,) = result.files
    if error is None:
        assert outcome.ok, outcome.line()
        assert outcome.format == "nmap-xml"
        assert outcome.counts["hosts up"] == hosts
        addresses = [o for o in result.observations if o.kind == ObservationKind.ADDRESS]
        assert len(addresses) == hosts
        assert all(o.source == Source.IMPORT and o.vantage == f"file:{name}" for o in addresses)
    else:
        assert not outcome.ok
        assert outcome.error is not None and error in outcome.error
        assert "\n" not in outcome.line()
        assert result.observations == []


def parse(corpora: Path, name: str) -> list[Observation]:
    parsed = parse_nmap_xml(
        (corpora / NMAP_XML / name).read_bytes(), vantage="file:x", fallback_time=NOW
    )
    assert parsed.error is None
    return parsed.observations


@pytest.mark.corpora
def test_tplink_router_mac_ports_and_misleading_os(corpora: Path) -> None:
    observations = parse(corpora, "tplink_ArcherC6_4.0_A.xml")
    address = next(o for o in observations if o.kind == ObservationKind.ADDRESS)
    assert (address.mac, address.ip) == ("9c:53:22:05:1c:6a", "192.168.0.1")
    assert "vendor" not in address.data  # nmap 7.80 did not know this OUI
    ports = {o.data["port"]: o.data for o in observations if o.kind == ObservationKind.PORT}
    assert ports[80]["state"] == "open" and ports[80]["service"] == "http"
    assert ports[22]["service"] == "ssh"
    guesses = [o.data for o in observations if o.kind == ObservationKind.OS_GUESS]
    assert guesses[0]["name"].startswith("Canon imageRUNNER")
    assert guesses[0]["classes"][0]["type"] == "printer"
    names = [o.data for o in observations if o.kind == ObservationKind.HOSTNAME]
    assert names == [{"name": "_gateway", "origin": "ptr"}]
    assert address.time == datetime.fromtimestamp(int(_host_end(corpora)), UTC)


def _host_end(corpora: Path) -> str:
    text = (corpora / NMAP_XML / "tplink_ArcherC6_4.0_A.xml").read_text()
    return text.split('<host starttime="', 1)[1].split('endtime="', 1)[1].split('"', 1)[0]


@pytest.mark.corpora
def test_nmap_vendor_string_kept_raw(corpora: Path) -> None:
    observations = parse(corpora, "zyxel_A.xml")
    address = next(o for o in observations if o.kind == ObservationKind.ADDRESS)
    assert address.mac == "68:13:24:a0:3b:da"
    assert address.data == {"how": "nmap", "vendor": "Huawei Device"}


@pytest.mark.corpora
def test_old_layout_classes_go_to_the_first_match(corpora: Path) -> None:
    observations = parse(corpora, "full_sudo5.xml")
    router = [o.data for o in observations if o.ip == "192.168.1.1"]
    guesses = [d for d in router if "classes" in d]
    assert guesses[0]["name"] == "Chumby Internet radio"
    types = {(c["type"], c["vendor"]) for c in guesses[0]["classes"]}
    assert ("media device", "Chumby") in types and ("general purpose", "Linux") in types
    assert guesses[1]["classes"] == []  # nmap did not tie classes to the second match
    telnet = next(d for d in router if d.get("port") == 23)
    assert telnet["devicetype"] == "router" and telnet["product"] == "Sagem router telnetd"
    # A host with classes and no match still gets one guess, named from its first class.
    bare = [o.data for o in observations if o.ip == "192.168.1.4" and "classes" in o.data]
    assert bare[0]["name"] == "Linux 2.6.X" and bare[0]["accuracy"] == 95


@pytest.mark.corpora
def test_modern_layout_and_service_fields(corpora: Path) -> None:
    observations = parse(corpora, "dionaea_scan.xml")
    ports = {o.data["port"]: o.data for o in observations if o.kind == ObservationKind.PORT}
    assert ports[21]["product"] == "Synology DiskStation NAS ftpd"
    assert ports[21]["devicetype"] == "storage-misc"
    guess = next(o.data for o in observations if o.kind == ObservationKind.OS_GUESS)
    assert guess["name"] == "Linux 4.15 - 5.6" and guess["accuracy"] == 100
    assert {c["osgen"] for c in guess["classes"]} >= {"4.X", "5.X"}
    hostnames = {o.data["name"]: o.data["origin"] for o in observations if "origin" in o.data}
    assert hostnames["dionaea"] == "nmap"  # a name given on the command line


@pytest.mark.corpora
def test_random_internet_scan_device_types(corpora: Path) -> None:
    observations = parse(corpora, "random-1.xml")
    devicetypes = {o.data.get("devicetype") for o in observations if o.kind == ObservationKind.PORT}
    assert {"router", "switch", "broadband router"} <= devicetypes
    assert all(o.mac is None for o in observations)


def test_xxe_is_refused_without_reading_the_entity(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    hostile = (
        f'<?xml version="1.0"?><!DOCTYPE nmaprun [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<nmaprun><host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/>'
        '<hostnames><hostname name="&x;" type="user"/></hostnames></host></nmaprun>'
    )
    parsed = parse_nmap_xml(hostile.encode(), vantage="file:x", fallback_time=NOW)
    assert parsed.error is not None and parsed.error.startswith("refused")
    assert parsed.observations == []


def test_billion_laughs_is_refused() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        "<nmaprun>&lol2;</nmaprun>"
    )
    parsed = parse_nmap_xml(bomb.encode(), vantage="file:x", fallback_time=NOW)
    assert parsed.error is not None and "entities" in parsed.error


def test_bad_mac_skips_the_host_only() -> None:
    document = (
        '<?xml version="1.0"?><nmaprun start="1700000000">'
        '<host><status state="up"/><address addr="10.0.0.1" addrtype="ipv4"/>'
        '<address addr="zz:zz" addrtype="mac"/></host>'
        '<host><status state="up"/><address addr="10.0.0.2" addrtype="ipv4"/>'
        '<address addr="00:11:32:AA:BB:CC" addrtype="mac" vendor="Synology Incorporated"/>'
        "</host></nmaprun>"
    )
    parsed = parse_nmap_xml(document.encode(), vantage="file:x", fallback_time=NOW)
    assert parsed.hosts_up == 1
    assert parsed.problems == ["host 1: 'zz:zz' is not a MAC address; host skipped"]
    (address,) = parsed.observations
    assert address.mac == "00:11:32:aa:bb:cc" and address.ip == "10.0.0.2"
    assert address.time == datetime.fromtimestamp(1_700_000_000, UTC)  # the run's start

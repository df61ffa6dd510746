"""DHCP lease imports: every fixture under fixtures/imports read through the importer, exact
values, per-row problems, hostile names kept raw, expired leases kept but absent from devices."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.merge import merge
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources import leases
from scopeaudit.sources.importer import FileOutcome, import_file
from scopeaudit.taxonomy import Language, Source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C")


def load(name: str, lang: Language = Language.EN) -> tuple[list[Observation], FileOutcome]:
    result = import_file(FIXTURES / name, now=NOW, lang=lang)
    (outcome,) = result.files
    return result.observations, outcome


def of_kind(observations: list[Observation], kind: ObservationKind) -> list[Observation]:
    return [o for o in observations if o.kind is kind]


def by_ip(observations: list[Observation]) -> dict[str, Observation]:
    return {o.ip or "": o for o in of_kind(observations, ObservationKind.INVENTORY)}


def test_dnsmasq_fixture() -> None:
    observations, outcome = load("dnsmasq.leases")
    assert outcome.format == "dnsmasq" and outcome.ok
    assert outcome.counts == {"leases": 8, "active": 7, "inactive": 1, "rejected": 1}
    assert outcome.problems == ["line 9: not a MAC address: zz:4f:13:5c:99:77"]
    rows = by_ip(observations)
    pc = rows["10.77.0.101"]
    assert pc.mac == "b0:4f:13:5c:99:01" and pc.source is Source.IMPORT
    assert pc.vantage == "file:dnsmasq.leases"
    assert pc.data["format"] == "dnsmasq" and pc.data["credentialed"] is False
    assert pc.data["name"] == "DESKTOP-7K3Q2ZD"
    assert pc.data["client_id"] == "01:b0:4f:13:5c:99:01"
    assert (pc.data["state"], pc.data["active"]) == ("active", True)
    assert (pc.data["starts"], pc.data["ends"]) == (None, "2026-11-28T20:00:00Z")
    assert pc.data["fields"]["expiry"] == "1795896000"
    # Infinite lease (expiry 0) and a lease without a host name (the iPad's "*").
    assert rows["10.77.0.30"].data["ends"] is None and rows["10.77.0.30"].data["active"]
    assert rows["10.77.0.110"].data["name"] is None
    assert not [h for h in of_kind(observations, ObservationKind.HOSTNAME) if h.ip == "10.77.0.110"]
    # Expired at NOW: kept, marked, and no address or name for it.
    old = rows["10.77.0.105"]
    assert (old.data["active"], old.data["ends"]) == (False, "2026-11-27T10:00:00Z")
    assert not [
        o for o in observations if o.ip == "10.77.0.105" and o.kind is not ObservationKind.INVENTORY
    ]
    addresses = {(o.mac, o.ip) for o in of_kind(observations, ObservationKind.ADDRESS)}
    assert ("a4:c3:f0:2d:5e:01", "10.77.0.102") in addresses and len(addresses) == 7
    assert all(o.data == {"how": "lease"} for o in of_kind(observations, ObservationKind.ADDRESS))
    names = {
        o.data["name"]: o.data["origin"] for o in of_kind(observations, ObservationKind.HOSTNAME)
    }
    assert names["Galaxy-Tab-S8"] == "dhcp"
    # A hostile name is kept exactly as written.
    assert "<img/src=x/onerror=alert(1)>" in names


def test_isc_dhcpd_fixture_last_block_wins() -> None:
    observations, outcome = load("dhcpd.leases")
    assert outcome.format == "isc-dhcpd"
    assert outcome.counts == {
        "leases": 6,
        "active": 5,
        "inactive": 1,
        "superseded": 1,
        "rejected": 1,
    }
    assert outcome.problems == ["line 70: not a MAC address: 00:1b:21:zz:0b:0c"]
    rows = by_ip(observations)
    laptop = rows["10.77.0.102"]  # the free block first, then the active one: active wins
    assert (laptop.data["state"], laptop.data["active"]) == ("active", True)
    assert (laptop.data["starts"], laptop.data["ends"]) == (
        "2026-11-28T10:15:00Z",
        "2026-11-28T22:15:00Z",
    )
    assert laptop.time == datetime(2026, 11, 28, 10, 15, tzinfo=UTC)
    assert laptop.data["name"] == "LAPTOP-4F8G2KQ"
    pc = rows["10.77.0.101"]
    assert pc.data["client_id"] == "\\001\\260O\\023\\\\\\231\\001"
    assert pc.data["fields"]["set vendor-class-identifier"] == '= "MSFT 5.0"'
    assert rows["10.77.0.120"].data["ends"] is None and rows["10.77.0.120"].data["active"]
    free = rows["10.77.0.105"]
    assert (free.data["state"], free.data["active"]) == ("free", False)
    evil = rows["10.77.0.108"]
    assert evil.data["name"] == 'evil";rm -rf /;<b>x</b>'


def test_kea_fixture() -> None:
    observations, outcome = load("kea-leases4.csv")
    assert outcome.format == "kea"
    assert outcome.counts == {"leases": 8, "active": 6, "inactive": 2, "rejected": 1}
    assert outcome.problems == ["line 9: not an IPv4 address: 10.77.0.300"]
    rows = by_ip(observations)
    ap = rows["10.77.0.20"]
    assert (ap.mac, ap.data["name"]) == ("74:83:c2:4d:44:01", "U6-Pro-Lobby")
    assert (ap.data["starts"], ap.data["ends"]) == ("2026-11-28T08:00:00Z", "2026-11-29T08:00:00Z")
    assert ap.data["fields"]["subnet_id"] == "1"
    # A lease whose computed start is after the import is dated at the import.
    assert rows["10.77.0.31"].time == NOW
    assert rows["10.77.0.105"].data["state"] == "expired-reclaimed"
    assert rows["10.77.0.109"].data["state"] == "declined"
    assert not rows["10.77.0.109"].data["active"]
    assert rows["10.77.0.64"].data["name"] is None
    # Kea's own escape for a comma is undone; the rest of the name is kept as written.
    assert rows["10.77.0.113"].data["name"] == "x,<svg onload=alert(1)>"
    assert rows["10.77.0.113"].data["fields"]["hostname"] == "x&#x2c<svg onload=alert(1)>"


def test_windows_dhcp_fixture() -> None:
    observations, outcome = load("windows-dhcp-leases.csv")
    assert outcome.format == "windows-dhcp"
    assert outcome.counts == {"leases": 5, "active": 4, "inactive": 1, "rejected": 1}
    assert outcome.problems == ["line 7: not an IPv4 address: 10.77.0.999"]
    rows = by_ip(observations)
    pc = rows["10.77.0.101"]
    assert pc.mac == "b0:4f:13:5c:99:01" and pc.data["client_id"] is None
    assert pc.data["name"] == "DESKTOP-7K3Q2ZD.siege.example.lan"
    assert pc.data["ends"] == "2026-11-28T20:00:00Z" and pc.data["fields"]["ScopeId"] == "10.77.0.0"
    reservation = rows["10.77.0.51"]
    assert (reservation.data["state"], reservation.data["ends"]) == ("active", None)
    assert rows["10.77.20.50"].data["ends"] == "2026-11-29T07:30:00Z"
    assert (rows["10.77.0.105"].data["state"], rows["10.77.0.105"].data["active"]) == (
        "expired",
        False,
    )
    assert rows["10.77.0.114"].data["name"] == '=HYPERLINK("http://x";"<i>clic</i>")'


def test_problems_in_french() -> None:
    _, outcome = load("kea-leases4.csv", Language.FR)
    assert outcome.problems == ["ligne 9 : adresse IPv4 invalide : 10.77.0.300"]
    assert "baux 8" in outcome.line()


def test_detect_by_content_not_name(tmp_path: Path) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((FIXTURES / "kea-leases4.csv").read_bytes())
    assert import_file(renamed, now=NOW).files[0].format == "kea"
    utf16 = tmp_path / "leases.csv"
    text = (FIXTURES / "windows-dhcp-leases.csv").read_text(encoding="utf-8")
    utf16.write_bytes(text.encode("utf-16"))  # PowerShell's -Encoding Unicode
    result = import_file(utf16, now=NOW)
    assert result.files[0].format == "windows-dhcp" and result.files[0].counts["leases"] == 5
    assert leases.detect("hello world\n") is None
    assert leases.detect("") is None


def test_only_bad_rows_is_a_failed_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.leases"
    path.write_text("1795896000 nothex 10.0.0.1 host *\n")
    (outcome,) = import_file(path, now=NOW).files
    assert not outcome.ok and outcome.code == "no_usable_row"
    assert outcome.error == "line 1: not a MAC address: nothex"


def test_isc_unclosed_block_reported(tmp_path: Path) -> None:
    path = tmp_path / "dhcpd.leases"
    path.write_text(
        "lease 10.0.0.5 {\n  hardware ethernet b0:4f:13:5c:99:01;\n  binding state active;\n}\n"
        "lease 10.0.0.6 {\n  hardware ethernet b0:4f:13:5c:99:02;\n"
    )
    result = import_file(path, now=NOW)
    assert result.files[0].problems == ["line 5: lease block never closed"]
    assert [o.ip for o in of_kind(result.observations, ObservationKind.ADDRESS)] == ["10.0.0.5"]


def test_expired_lease_makes_no_device() -> None:
    result = import_file(FIXTURES / "dhcpd.leases", now=NOW)
    devices = merge(result.observations)
    macs = {mac for device in devices for mac in device.macs}
    assert "a4:c3:f0:99:99:02" not in macs  # the free lease of LAPTOP-9X7Y6Z5
    assert "00:50:56:8a:33:44" in macs
    assert len(devices) == 5
    laptop = next(d for d in devices if "a4:c3:f0:2d:5e:01" in d.macs)
    assert laptop.ips == ["10.77.0.102"] and laptop.hostnames == ["LAPTOP-4F8G2KQ"]


def test_address_and_mac_checks(tmp_path: Path) -> None:
    path = tmp_path / "odd.leases"
    path.write_text(
        "1795896000 b0:4f:13:5c:99:01 10.77.0.101 ok *\n"
        "1795896000 b0:4f:13:5c:99:02 256.1.1.1 big *\n"
        "1795896000 b0:4f:13:5c:99:03 010.1.1.1 octal *\n"
        "1795896000 B0-4F-13-5C-99-04 10.77.0.104 dashes *\n"
    )
    result = import_file(path, now=NOW)
    assert result.files[0].problems == [
        "line 2: not an IPv4 address: 256.1.1.1",
        "line 3: not an IPv4 address: 010.1.1.1",
    ]
    rows = by_ip(result.observations)
    assert sorted(rows) == ["10.77.0.101", "10.77.0.104"]
    assert rows["10.77.0.104"].mac == "b0:4f:13:5c:99:04"

"""Offline vendor lookup: bundled IEEE data, canonical names, prefix files, staleness."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit import oui
from scopeaudit.errors import InputError


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages are asserted in English whatever the tester's locale."""
    monkeypatch.setenv("LC_ALL", "C")


@pytest.fixture(autouse=True)
def _bundled_only() -> Iterator[None]:
    oui.use_prefix_file(None)
    yield
    oui.use_prefix_file(None)


@pytest.mark.parametrize(
    ("mac", "vendor"),
    [
        ("F4:D4:88:12:34:56", "Apple"),
        ("70-10-5c-00-00-01", "Cisco"),
        ("d094.6600.0001", "Dell"),
        ("3c:d9:2b:00:00:01", "HP"),
        ("d4:f5:ef:00:00:01", "HPE"),
        ("00:1b:21:00:00:01", "Intel"),
        ("00:11:32:00:00:01", "Synology"),
        ("90:09:d0:00:00:01", "Synology"),
        ("80:5e:c0:00:00:01", "Yealink"),
        ("c0:56:e3:00:00:01", "Hikvision"),
        ("8c:8c:aa:00:00:01", "Lenovo"),
        ("08:00:27:00:00:01", "VirtualBox"),
        ("00:0c:29:00:00:01", "VMware"),
        # Newer than nmap 7.80's table (the TP-Link and Raspberry Pi traps of the corpora).
        ("9c:53:22:00:00:01", "TP-Link"),
        ("d8:3a:dd:00:00:01", "Raspberry Pi"),
        ("68:13:24:a0:3b:da", "Huawei"),
    ],
)
def test_known_vendors(mac: str, vendor: str) -> None:
    assert oui.vendor_of(mac) == vendor


def test_registration_authority_blocks_and_random_macs_have_no_vendor() -> None:
    assert oui.database().registry_name("84:8b:cd:00:00:01") == "IEEE Registration Authority"
    assert oui.vendor_of("84:8b:cd:00:00:01") is None
    assert oui.vendor_of("02:42:ac:1c:01:03") is None  # Docker, locally administered
    assert oui.vendor_of("01:00:5e:00:00:fb") is None  # multicast


def test_is_randomized() -> None:
    assert oui.is_randomized("da:a1:19:00:00:01")
    assert oui.is_randomized("02:42:ac:1c:01:03")
    assert not oui.is_randomized("52:54:00:12:34:56")  # QEMU default: stable per VM
    assert not oui.is_randomized("f4:d4:88:12:34:56")
    assert not oui.is_randomized("33:33:00:00:00:fb")  # multicast, not a device's address


@pytest.mark.parametrize(
    ("raw", "short"),
    [
        ("Apple, Inc.", "Apple"),
        ("Cisco Systems, Inc", "Cisco"),
        ("Hewlett Packard", "HP"),
        ("Hewlett Packard Enterprise", "HPE"),
        ("Private", None),
        ("IEEE Registration Authority", None),
        ("Shinko Technos Co., Ltd.", "Shinko Technos"),
        ("Acme Widgets GmbH", "Acme Widgets"),
    ],
)
def test_canonical_vendor(raw: str, short: str | None) -> None:
    assert oui.canonical_vendor(raw) == short


def test_data_version_is_current() -> None:
    version = oui.data_version()
    assert version.name == "oui"
    assert "aiooui" in version.source
    assert version.date == "2026-09"
    assert version.entries is not None and version.entries > 40_000
    assert not version.is_stale(datetime(2026, 11, 28, tzinfo=UTC))
    assert version.is_stale(datetime(2027, 10, 1, tzinfo=UTC))
    assert version.model_dump()["date"] == "2026-09"  # serialises as a plain DataVersion


def test_prefix_file_longest_match(tmp_path: Path) -> None:
    table = tmp_path / "nmap-mac-prefixes"
    table.write_text(
        "# comment\n848BCD Ieee Registration Authority\n848BCD0 SouXin Corporate\n"
        "70B3D5123 Tiny Maker Ltd\n",
        encoding="utf-8",
    )
    oui.use_prefix_file(table)
    assert oui.vendor_of("84:8b:cd:01:02:03") == "SouXin Corporate"
    assert oui.vendor_of("84:8b:cd:f1:02:03") is None  # only the 24-bit parent is known
    assert oui.vendor_of("70:b3:d5:12:34:56") == "Tiny Maker"
    assert oui.vendor_of("f4:d4:88:12:34:56") == "Apple"  # falls back to the bundled table
    assert str(table) in oui.data_version().source


def test_ieee_csv_prefix_file(tmp_path: Path) -> None:
    table = tmp_path / "mam.csv"
    table.write_text(
        "Registry,Assignment,Organization Name,Organization Address\n"
        'MA-M,848BCD0,"SouXin Corporate","Somewhere, CN"\n',
        encoding="utf-8",
    )
    oui.use_prefix_file(table)
    assert oui.vendor_of("84:8b:cd:01:02:03") == "SouXin Corporate"


def test_unusable_prefix_file(tmp_path: Path) -> None:
    bad = tmp_path / "junk.txt"
    bad.write_text("hello world\n", encoding="utf-8")
    with pytest.raises(InputError, match="no MAC prefixes"):
        oui.use_prefix_file(bad)
    with pytest.raises(InputError, match="cannot read"):
        oui.use_prefix_file(tmp_path / "missing")


@pytest.mark.corpora
def test_nmap_prefix_file_from_corpora(corpora: Path) -> None:
    oui.use_prefix_file(corpora / "fingerprints" / "nmap-mac-prefixes")
    assert oui.vendor_of("84:8b:cd:01:02:03") == "SouXin Corporate"
    version = oui.data_version()
    assert version.entries is not None and version.entries > 90_000


def test_describe_in_both_languages() -> None:
    from scopeaudit.taxonomy import Language

    version = oui.data_version()
    fresh = datetime(2026, 11, 28, tzinfo=UTC)
    assert oui.describe(version, fresh, Language.EN) == (
        f"IEEE MA-L via aiooui 0.1.11, 2026-09, {version.entries} prefixes"
    )
    late = oui.describe(version, datetime(2028, 1, 1, tzinfo=UTC), Language.FR)
    assert late.startswith("IEEE MA-L via aiooui 0.1.11, 2026-09,")
    assert "préfixes (plus de 12 mois" in late
    for code, texts in oui.TEXT.items():
        assert set(texts) == set(Language), code

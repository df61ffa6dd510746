"""Offline MAC vendor lookup: IEEE data bundled by aiooui, optional MA-M/MA-S prefix files.

The base table is aiooui's ``oui.data`` (IEEE MA-L, MIT licence), read synchronously here so
that no event loop is needed. A user may add a longer-prefix table (nmap's ``nmap-mac-prefixes``
or an IEEE ``oui.csv``/``mam.csv``/``oui36.csv``) with ``use_prefix_file`` or the
``SCOPEAUDIT_OUI_FILE`` environment variable; lookups are then longest-prefix (36, 28, 24
bits). Nothing is ever downloaded at run time: sites may be offline and lookups leak inventory.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import re
import struct
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata, resources
from pathlib import Path

from scopeaudit.errors import InputError
from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.macaddr import normalize_mac
from scopeaudit.models import DataVersion
from scopeaudit.taxonomy import Language

ENV_PREFIX_FILE = "SCOPEAUDIT_OUI_FILE"
STALE_AFTER_MONTHS = 12

# aiooui does not record the date of its data; its releases regenerate it from IEEE's list.
# Known releases and the month their data was taken (fingerprints.md §1.1.3).
_AIOOUI_DATA_DATES = {"0.1.11": "2026-09"}

# Registrations that name no manufacturer: parents of MA-M/MA-S blocks, private blocks.
_NOT_A_VENDOR = {"ieee registration authority", "private"}

# QEMU/KVM's default prefix is locally administered but stable per virtual machine.
_STABLE_LOCAL_PREFIXES = ("52:54:00",)

# Canonical short vendor names (first match wins): sources disagree on spelling ("Apple, Inc."
# vs "Apple"), and the classifier and policies match on one key per vendor.
_ALIASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), name)
    for pattern, name in (
        (r"^apple\b", "Apple"),
        (r"^cisco meraki", "Cisco Meraki"),
        (r"^cisco", "Cisco"),
        (r"^dell\b", "Dell"),
        (r"^hewlett[ -]?packard enterprise|^hpe\b", "HPE"),
        (r"^hewlett[ -]?packard|^hp inc|^hp$", "HP"),
        (r"^intel\b", "Intel"),
        (r"^synology", "Synology"),
        (r"^samsung", "Samsung"),
        (r"^ubiquiti", "Ubiquiti"),
        (r"^fortinet", "Fortinet"),
        (r"^vmware", "VMware"),
        (r"^microsoft", "Microsoft"),
        (r"hikvision", "Hikvision"),
        (r"^yealink", "Yealink"),
        (r"^polycom", "Polycom"),
        (r"^huawei", "Huawei"),
        (r"^tp-?link", "TP-Link"),
        (r"^raspberry ?pi", "Raspberry Pi"),
        (r"^lenovo|^lcfc", "Lenovo"),
        (r"^realtek", "Realtek"),
        (r"^d-?link", "D-Link"),
        (r"^belkin", "Belkin"),
        (r"^philips lighting|^signify", "Philips Lighting"),
        (r"^google", "Google"),
        (r"^amazon", "Amazon"),
        (r"^espressif", "Espressif"),
        (r"^netgear", "Netgear"),
        (r"^juniper", "Juniper"),
        (r"^aruba", "Aruba"),
        (r"^qnap", "QNAP"),
        (r"^brother", "Brother"),
        (r"^canon", "Canon"),
        (r"epson", "Epson"),
        (r"^xerox", "Xerox"),
        (r"^lexmark", "Lexmark"),
        (r"^ricoh", "Ricoh"),
        (r"^kyocera", "Kyocera"),
        (r"^sonos", "Sonos"),
        (r"^xiaomi", "Xiaomi"),
        (r"^asustek|^asus\b", "ASUS"),
        (r"^super ?micro", "Supermicro"),
        (r"^pcs systemtechnik|virtualbox", "VirtualBox"),
        (r"^zyxel", "Zyxel"),
        (r"^mikrotik|^routerboard", "MikroTik"),
        (r"^axis communications", "Axis"),
        (r"^arris", "Arris"),
        (r"^sagem", "Sagemcom"),
        (r"^proxmox", "Proxmox"),
    )
)
_LEGAL_SUFFIX = re.compile(
    r"[\s,.]*\b(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|ag|sa|s\.a|"
    r"bv|b\.v|oy|ab|as|spa|s\.p\.a|srl|plc|pty|kg|sas|nv|ltda)\b\.?\s*$",
    re.IGNORECASE,
)


def canonical_vendor(name: str) -> str | None:
    """The short vendor key for a registry name: ``Apple, Inc.`` → ``Apple``; None if no vendor."""
    text = " ".join(name.split())
    if not text or text.lower() in _NOT_A_VENDOR:
        return None
    for pattern, short in _ALIASES:
        if pattern.search(text):
            return short
    previous = None
    while previous != text:
        previous = text
        text = _LEGAL_SUFFIX.sub("", text).rstrip(" ,.")
    return text or None


@functools.lru_cache(maxsize=4096)
def _canonical_cached(name: str) -> str | None:
    return canonical_vendor(name)


class OuiDataVersion(DataVersion):
    """The OUI data's origin and date, which every snapshot and ``--version`` show."""

    def is_stale(self, now: datetime) -> bool:
        """True when the data is older than 12 months at ``now`` (or its date is unknown)."""
        if self.date is None:
            return True
        year, month = (int(part) for part in self.date.split("-")[:2])
        months = (now.year - year) * 12 + (now.month - month)
        return months > STALE_AFTER_MONTHS


@dataclass
class _PrefixTable:
    """A user-given longest-prefix table: hex prefix (6, 7 or 9 digits) → registry name."""

    path: Path
    by_length: dict[int, dict[str, str]] = field(default_factory=dict)
    day: date | None = None

    @property
    def entries(self) -> int:
        return sum(len(table) for table in self.by_length.values())


class OuiDatabase:
    """Vendor lookup over aiooui's MA-L table, optionally extended by a prefix file."""

    def __init__(self, data: bytes, aiooui_version: str, extra: _PrefixTable | None = None):
        magic, count = struct.unpack_from("<4sI", data)
        blob = 8 + 8 * count
        if magic != b"OUI1" or len(data) < blob:
            raise InputError(render(TEXT, "damaged", {}, _lang()))
        self._data = data
        self._keys = struct.unpack_from(f"<{count}I", data, 8)
        self._offsets = struct.unpack_from(f"<{count}I", data, 8 + 4 * count)
        self._blob = blob
        self._aiooui_version = aiooui_version
        self._extra = extra

    @classmethod
    def bundled(cls) -> OuiDatabase:
        data = resources.files("aiooui").joinpath("oui.data").read_bytes()
        return cls(data, metadata.version("aiooui"))

    def with_prefix_file(self, path: Path) -> OuiDatabase:
        return OuiDatabase(self._data, self._aiooui_version, load_prefix_file(path))

    def registry_name(self, mac: str) -> str | None:
        """The raw registry name of the longest matching prefix, or None."""
        return self._registry_name(normalize_mac(mac).replace(":", "").upper())

    def _registry_name(self, digits: str) -> str | None:
        if self._extra is not None:
            for length in (9, 7, 6):
                found = self._extra.by_length.get(length, {}).get(digits[:length])
                if found is not None:
                    return found
        key = int(digits[:6], 16)
        index = bisect_left(self._keys, key)
        if index < len(self._keys) and self._keys[index] == key:
            start = self._blob + self._offsets[index]
            end = self._data.find(b"\n", start)
            return self._data[start:end].decode("utf-8", errors="replace")
        return None

    def vendor_of(self, mac: str) -> str | None:
        """Canonical vendor of ``mac``; None for unknown, locally administered or group MACs."""
        digits = normalize_mac(mac).replace(":", "").upper()
        if int(digits[:2], 16) & 0x03:  # group or locally administered: no manufacturer
            return None
        name = self._registry_name(digits)
        return _canonical_cached(name) if name is not None else None

    def data_version(self) -> OuiDataVersion:
        source = f"IEEE MA-L via aiooui {self._aiooui_version}"
        entries = len(self._keys)
        day = _AIOOUI_DATA_DATES.get(self._aiooui_version)
        if self._extra is not None:
            source += f" + {self._extra.path}"
            entries += self._extra.entries
            if self._extra.day is not None:
                day = self._extra.day.strftime("%Y-%m")
        return OuiDataVersion(name="oui", source=source, date=day, entries=entries)


def load_prefix_file(path: Path) -> _PrefixTable:
    """Read an ``nmap-mac-prefixes``-style or IEEE CSV prefix file; InputError when unusable."""
    try:
        raw = path.read_bytes()
        stamp = path.stat().st_mtime
    except OSError as error:
        message = render(TEXT, "unreadable", {"path": path, "error": error.strerror}, _lang())
        raise InputError(message) from error
    text = raw.decode("utf-8", errors="replace")
    table = _PrefixTable(path, day=datetime.fromtimestamp(stamp, UTC).date())
    if text.startswith("Registry,"):
        rows = csv.reader(io.StringIO(text))
        next(rows, None)
        pairs = ((row[1], row[2]) for row in rows if len(row) >= 3)
    else:
        pairs = (
            (line.split(None, 1)[0], line.split(None, 1)[1] if " " in line.strip() else "")
            for line in text.splitlines()
            if line.strip() and not line.startswith("#")
        )
    for prefix, name in pairs:
        prefix = prefix.strip().upper()
        if len(prefix) in (6, 7, 9) and all(c in "0123456789ABCDEF" for c in prefix):
            table.by_length.setdefault(len(prefix), {})[prefix] = name.strip()
    if table.entries == 0:
        raise InputError(render(TEXT, "no_prefixes", {"path": path}, _lang()))
    return table


_DEFAULT: OuiDatabase | None = None


def database() -> OuiDatabase:
    """The process-wide database: aiooui's data plus ``SCOPEAUDIT_OUI_FILE`` when set."""
    global _DEFAULT
    if _DEFAULT is None:
        base = OuiDatabase.bundled()
        extra = os.environ.get(ENV_PREFIX_FILE)
        _DEFAULT = base.with_prefix_file(Path(extra)) if extra else base
    return _DEFAULT


def use_prefix_file(path: Path | None) -> None:
    """Add (or, with None, drop) a longest-prefix file for every later lookup."""
    global _DEFAULT
    base = OuiDatabase.bundled()
    _DEFAULT = base.with_prefix_file(path) if path is not None else base


def vendor_of(mac: str) -> str | None:
    """Canonical vendor of ``mac`` (``Apple``, ``Cisco``…), or None when unknown or random."""
    return database().vendor_of(mac)


def is_randomized(mac: str) -> bool:
    """A locally administered unicast MAC that is not a known stable virtual prefix."""
    normal = normalize_mac(mac)
    if int(normal[:2], 16) & 0x03 != 0x02:  # multicast, or universally administered
        return False
    return not normal.startswith(_STABLE_LOCAL_PREFIXES)


def data_version() -> OuiDataVersion:
    """Source, month and entry count of the OUI data in use."""
    return database().data_version()


TEXT: Catalog = {
    "version": {
        Language.EN: "{source}, {date}, {entries} prefixes",
        Language.FR: "{source}, {date}, {entries} préfixes",
    },
    "date_unknown": {Language.EN: "date unknown", Language.FR: "date inconnue"},
    "unreadable": {
        Language.EN: "{path}: cannot read the OUI file ({error})",
        Language.FR: "{path} : impossible de lire le fichier OUI ({error})",
    },
    "no_prefixes": {
        Language.EN: "{path}: no MAC prefixes found (expected nmap-mac-prefixes lines or an "
        "IEEE CSV)",
        Language.FR: "{path} : aucun préfixe MAC trouvé (lignes nmap-mac-prefixes ou CSV de "
        "l'IEEE attendus)",
    },
    "damaged": {
        Language.EN: "aiooui's oui.data is damaged: reinstall aiooui",
        Language.FR: "le fichier oui.data d'aiooui est endommagé : réinstallez aiooui",
    },
    "stale": {
        Language.EN: " (older than {months} months: update aiooui or give a newer prefix file)",
        Language.FR: " (plus de {months} mois : mettez aiooui à jour ou donnez un fichier de "
        "préfixes plus récent)",
    },
}


def _lang() -> Language:
    return resolve_language()


def describe(version: OuiDataVersion, now: datetime, lang: Language | None = None) -> str:
    """One line for ``--version`` and ``doctor``: source, month, size, and a staleness warning."""
    language = lang or resolve_language()
    date_text = version.date or render(TEXT, "date_unknown", {}, language)
    params = {"source": version.source, "date": date_text, "entries": version.entries}
    line = render(TEXT, "version", params, language)
    if version.is_stale(now):
        line += render(TEXT, "stale", {"months": STALE_AFTER_MONTHS}, language)
    return line

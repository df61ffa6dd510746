"""Inventory exports given to ``--import``: GLPI "Computers" / "Network devices" and OCS
Inventory CSV exports, French or English headers.

Pure functions: text in, observations out. Columns are found by their header, whatever their
order (GLPI prefixes linked fields: ``Port réseau - Adresse MAC``); name, serial number and MAC
columns are required for the file to be recognised. Each row is evidence from a credentialed
agent: an ``inventory`` observation (``credentialed: true``, the row as read, its MACs, serial,
name) and, when the row names the machine, a ``hostname`` with origin ``import``. A cell may
hold several MACs or addresses. A MAC found on two rows of one file (a VPN or hypervisor adapter
cloned on every machine) names no single device: it is left out of both rows' ``macs`` and
listed in ``shared_macs``. A row without any usable MAC is a problem naming its line.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime

from scopeaudit.i18n import Catalog
from scopeaudit.macaddr import normalize_mac
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources.leases import RowError, TableResult
from scopeaudit.taxonomy import Language, Source

GLPI = "glpi"
OCS = "ocs"
FORMATS = (GLPI, OCS)

TEXT: Catalog = {
    "no_mac": {
        Language.EN: "no MAC address in column {column}: {value}",
        Language.FR: "aucune adresse MAC dans la colonne {column} : {value}",
    },
    "short_row": {
        Language.EN: "fewer fields than the header",
        Language.FR: "moins de champs que l'en-tête",
    },
}

# Header (lower case, without accents, last " - " part) → role. French and English labels of
# GLPI and OCS Reports, and OCS's own column names (hardware/bios/networks tables).
_ROLES = {
    "name": {"nom", "name", "computer", "machine", "ordinateur", "nom de la machine"},
    "serial": {"numero de serie", "serial number", "serial", "ssn", "n de serie", "numero serie"},
    "mac": {"adresse mac", "adresses mac", "mac address", "mac addresses", "mac", "macaddr"},
    "ip": {"adresse ip", "adresses ip", "ip address", "ip addresses", "ip", "ipaddr"},
    "updated": {
        "derniere modification",
        "last update",
        "derniere mise a jour",
        "last inventory",
        "dernier inventaire",
        "lastdate",
        "last inventory date",
    },
}
# Headers only OCS writes; without them a file with the required columns is GLPI's.
_OCS_HEADERS = {
    "ssn",
    "macaddr",
    "ipaddr",
    "lastdate",
    "deviceid",
    "tag",
    "account info: tag",
    "last inventory",
    "dernier inventaire",
}
_MAC_TOKEN = re.compile(
    r"(?<![0-9A-Fa-f.:-])(?:[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5}"
    r"|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![0-9A-Fa-f.:-])"
)
_IP_TOKEN = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])")
_TIMES = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d-%m-%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m-%d-%Y %H:%M",
)


def _normal(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    text = " ".join(text.lower().replace("°", "").split())
    return text


def _role(header: str, *, linked: bool) -> str | None:
    """The role of a column; ``linked``: by the last part of a GLPI ``Item - Field`` label."""
    normal = _normal(header)
    candidate = normal.rsplit(" - ", 1)[-1] if linked else normal
    for role, labels in _ROLES.items():
        if candidate in labels:
            return role
    return None


def _delimiter(first_line: str) -> str:
    return max((";", ",", "\t"), key=first_line.count)


def _columns(header: list[str]) -> dict[str, str]:
    """Role → the first column holding it."""
    found: dict[str, str] = {}
    # Exact labels first: "Nom" is the machine's name, "Système d'exploitation - Nom" is not.
    for linked in (False, True):
        for column in header:
            role = _role(column, linked=linked)
            if role is not None:
                found.setdefault(role, column)
    return found


def detect(text: str) -> str | None:
    """``glpi`` or ``ocs`` when the header has name, serial and MAC columns (BOM removed)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    header = next(csv.reader([first], delimiter=_delimiter(first)), [])
    if not {"name", "serial", "mac"} <= set(_columns(header)):
        return None
    return OCS if {_normal(h) for h in header} & _OCS_HEADERS else GLPI


def _time(value: str | None) -> datetime | None:
    """The row's last inventory or update time; the export carries no zone: taken as UTC."""
    if not value:
        return None
    for pattern in _TIMES:
        try:
            return datetime.strptime(value.strip(), pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def parse(
    text: str, fmt: str, *, vantage: str, now: datetime, lang: Language = Language.EN
) -> TableResult:
    """Observations from a GLPI or OCS export already known to be ``fmt`` (see ``detect``)."""
    result = TableResult(fmt)
    first = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.DictReader(io.StringIO(text.lstrip("\r\n")), delimiter=_delimiter(first))
    columns = _columns(list(reader.fieldnames or []))
    rows: list[tuple[int, dict[str, str], list[str]]] = []
    line = reader.line_num
    for row in reader:
        number = line + 1
        line = reader.line_num
        cells = {key: value for key, value in row.items() if key is not None}
        try:
            if None in cells.values():
                raise RowError("short_row")
            cell = cells.get(columns["mac"], "")
            macs = list(dict.fromkeys(normalize_mac(m) for m in _MAC_TOKEN.findall(cell)))
            if not macs:
                raise RowError("no_mac", column=columns["mac"], value=cell)
        except RowError as error:
            result.problem(number, error, lang, TEXT)
            continue
        rows.append((number, cells, macs))
    result.rows = len(rows)
    seen = Counter(mac for _, _, macs in rows for mac in macs)
    shared_total = 0
    for _, cells, all_macs in rows:
        macs = [mac for mac in all_macs if seen[mac] == 1]
        shared = [mac for mac in all_macs if seen[mac] > 1]
        shared_total += bool(shared)
        result.observations += _row_observations(
            cells, columns, fmt, macs, shared, vantage=vantage, now=now
        )
    result.counts = {"rows": len(rows), "shared MAC": shared_total}
    return result


def _row_observations(
    cells: dict[str, str],
    columns: dict[str, str],
    fmt: str,
    macs: list[str],
    shared: list[str],
    *,
    vantage: str,
    now: datetime,
) -> list[Observation]:
    name = cells.get(columns["name"], "").strip() or None
    serial = cells.get(columns["serial"], "").strip() or None
    ips = _IP_TOKEN.findall(cells.get(columns["ip"], "")) if "ip" in columns else []
    updated = _time(cells.get(columns["updated"])) if "updated" in columns else None
    when = updated or now
    mac = macs[0] if macs else None
    ip = ips[0] if ips else None
    data = {
        "format": fmt,
        "fields": cells,
        "credentialed": True,
        "macs": macs,
        "shared_macs": shared,
        "name": name,
        "serial": serial,
        "ips": ips,
        "updated": updated.isoformat().replace("+00:00", "Z") if updated else None,
    }
    common = {"source": Source.IMPORT, "time": when, "vantage": vantage, "mac": mac}
    out = [Observation(kind=ObservationKind.INVENTORY, ip=ip, data=data, **common)]
    if name and mac:
        hostname = {"name": name, "origin": "import"}
        out.append(Observation(kind=ObservationKind.HOSTNAME, ip=ip, data=hostname, **common))
    return out

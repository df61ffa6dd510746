"""DHCP lease files given to ``--import``: dnsmasq, ISC dhcpd (and pfSense), Kea CSV (and
OPNsense), Windows DHCP server ``Get-DhcpServerv4Lease | Export-Csv``.

Pure functions: text in, observations out. ``detect`` tells the format by content; ``parse``
turns each lease into an ``inventory`` observation (the row as read, its state and times) and,
for a lease still active at ``now``, an ``address`` (how ``lease``) and a ``hostname`` (origin
``dhcp``). Expired, free or declined leases are kept, marked ``active: false``, and give no
address or name: a lease that ended says the device was there once, not that it is there now.
A row that cannot be read is one problem naming its line; the other rows are still read.
Also home of ``TableResult``, shared with ``inventory``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from scopeaudit.i18n import Catalog, render
from scopeaudit.macaddr import is_mac, normalize_mac
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.taxonomy import Language, Source

DNSMASQ = "dnsmasq"
ISC = "isc-dhcpd"
KEA = "kea"
WINDOWS = "windows-dhcp"
FORMATS = (DNSMASQ, ISC, KEA, WINDOWS)

TEXT: Catalog = {
    "bad_row": {
        Language.EN: "line {line}: {why}",
        Language.FR: "ligne {line} : {why}",
    },
    "bad_mac": {
        Language.EN: "not a MAC address: {value}",
        Language.FR: "adresse MAC invalide : {value}",
    },
    "bad_ip": {
        Language.EN: "not an IPv4 address: {value}",
        Language.FR: "adresse IPv4 invalide : {value}",
    },
    "bad_time": {Language.EN: "unreadable time: {value}", Language.FR: "date illisible : {value}"},
    "columns": {
        Language.EN: "expected {expected} fields, found {found}",
        Language.FR: "{expected} champs attendus, {found} trouvés",
    },
    "short_row": {
        Language.EN: "fewer fields than the header",
        Language.FR: "moins de champs que l'en-tête",
    },
    "unclosed": {
        Language.EN: "lease block never closed",
        Language.FR: "bloc de bail jamais fermé",
    },
}

_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_DNSMASQ_LINE = re.compile(rf"^\d+\s+\S+\s+{_IPV4}\s+\S+(\s+\S+)?\s*$")
_ISC_BLOCK = re.compile(rf"^\s*lease\s+{_IPV4}\s*\{{", re.MULTILINE)
_KEA_HEADER = "address,hwaddr,client_id,valid_lifetime,expire"
_WINDOWS_COLUMNS = {"IPAddress", "ScopeId", "ClientId", "AddressState"}
# Windows AddressState values that mean the address is held now.
_WINDOWS_ACTIVE = frozenset({"active", "activereservation"})
# Kea lease states (lease_state in the memfile CSV).
_KEA_STATES = {"0": "default", "1": "declined", "2": "expired-reclaimed", "3": "released"}


class RowError(ValueError):
    """One row cannot be used; ``code``/``params`` render the reason in the user's language."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)


@dataclass
class TableResult:
    """What one file gave: observations, how many rows were read, per-row problems (rendered)."""

    format: str
    observations: list[Observation] = field(default_factory=list)
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def problem(self, line: int, error: RowError, lang: Language, catalog: Catalog) -> None:
        why = render(catalog, error.code, error.params, lang)
        self.problems.append(render(TEXT, "bad_row", {"line": line, "why": why}, lang))


@dataclass
class Lease:
    """One lease as the server recorded it; ``fields`` is the row or block as read."""

    line: int
    mac: str | None
    ip: str
    hostname: str | None
    client_id: str | None
    starts: datetime | None
    ends: datetime | None
    state: str
    fields: dict[str, Any]


def detect(text: str) -> str | None:
    """The lease format of ``text`` (BOM already removed), or None."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    first = lines[0].strip()
    if first.lower().startswith(_KEA_HEADER):
        return KEA
    header = lines[1] if first.startswith("#TYPE") and len(lines) > 1 else first
    if {cell.strip() for cell in next(csv.reader([header]), [])} >= _WINDOWS_COLUMNS:
        return WINDOWS
    if _ISC_BLOCK.search(text):
        return ISC
    readable = [line for line in lines if not line.startswith("duid ")]
    if readable and all(_DNSMASQ_LINE.match(line) for line in readable[:20]):
        return DNSMASQ
    return None


def parse(
    text: str, fmt: str, *, vantage: str, now: datetime, lang: Language = Language.EN
) -> TableResult:
    """Observations from a lease file already known to be ``fmt`` (see ``detect``)."""
    result = TableResult(fmt)
    reader = {DNSMASQ: _dnsmasq, ISC: _isc, KEA: _kea, WINDOWS: _windows}[fmt]
    leases = reader(text, result, now, lang)
    result.rows = len(leases)
    active = 0
    for lease in leases:
        observations = lease_observations(lease, fmt, vantage=vantage, now=now)
        active += len(observations) > 1
        result.observations += observations
    result.counts = {
        "leases": len(leases),
        "active": active,
        "inactive": len(leases) - active,
        **result.counts,
    }
    return result


def lease_observations(lease: Lease, fmt: str, *, vantage: str, now: datetime) -> list[Observation]:
    """The inventory record of a lease, then its address and name when it is active at ``now``."""
    active = lease.state == "active" and (lease.ends is None or lease.ends > now)
    # Never later than the import: a lease file's clock may run ahead of ours.
    when = min(lease.starts, now) if lease.starts else now
    data: dict[str, Any] = {
        "format": fmt,
        "fields": lease.fields,
        "credentialed": False,
        "macs": [lease.mac] if lease.mac else [],
        "name": lease.hostname,
        "client_id": lease.client_id,
        "state": lease.state,
        "active": active,
        "starts": _rfc3339(lease.starts),
        "ends": _rfc3339(lease.ends),
    }
    common = {"source": Source.IMPORT, "time": when, "vantage": vantage, "mac": lease.mac}
    out = [Observation(kind=ObservationKind.INVENTORY, ip=lease.ip, data=data, **common)]
    if not active or lease.mac is None:
        return out
    out.append(
        Observation(kind=ObservationKind.ADDRESS, ip=lease.ip, data={"how": "lease"}, **common)
    )
    if lease.hostname:
        name = {"name": lease.hostname, "origin": "dhcp"}
        out.append(Observation(kind=ObservationKind.HOSTNAME, ip=lease.ip, data=name, **common))
    return out


def _rfc3339(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else None


def _mac(value: str) -> str:
    try:
        return normalize_mac(value)
    except ValueError:
        raise RowError("bad_mac", value=value) from None


_DOTTED = re.compile(rf"^{_IPV4}$")


def _ip(value: str) -> str:
    text = value.strip()
    # The common case without ipaddress: four decimal parts, none above 255, no leading zero.
    if _DOTTED.match(text) and all(
        int(part) <= 255 and (part == "0" or not part.startswith("0")) for part in text.split(".")
    ):
        return text
    raise RowError("bad_ip", value=value)


def _epoch(value: str) -> datetime:
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (ValueError, OverflowError, OSError):
        raise RowError("bad_time", value=value) from None


def _name(value: str | None) -> str | None:
    """A host name as recorded; ``*`` (dnsmasq) and empty cells are no name."""
    if value is None or value.strip() in ("", "*"):
        return None
    return value


def _dnsmasq(text: str, result: TableResult, now: datetime, lang: Language) -> list[Lease]:
    """``expiry mac ip hostname client-id``; expiry 0 is an infinite lease; ``duid`` lines skip."""
    leases = []
    for number, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0] == "duid":
            continue
        try:
            if len(parts) not in (4, 5):
                raise RowError("columns", expected="4-5", found=len(parts))
            expiry, mac, ip, hostname = parts[:4]
            ends = None if expiry == "0" else _epoch(expiry)
            client_id = parts[4] if len(parts) == 5 and parts[4] != "*" else None
            fields = dict(
                zip(("expiry", "mac", "ip", "hostname", "client_id"), parts, strict=False)
            )
            leases.append(
                Lease(
                    number,
                    _mac(mac),
                    _ip(ip),
                    _name(hostname),
                    client_id,
                    None,
                    ends,
                    "active",
                    fields,
                )
            )
        except RowError as error:
            result.problem(number, error, lang, TEXT)
    return leases


_ISC_STATEMENT = re.compile(r"^\s*([a-z-]+(?:\s+[a-z-]+)?)\s+(.*?);\s*$")
_ISC_TIME = re.compile(r"^\d\s+(\d{4})/(\d{1,2})/(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})$")


def _isc_time(value: str) -> datetime | None:
    """``4 2026/11/28 09:12:00`` (UTC, as dhcpd writes), ``epoch N; # …``, or ``never``."""
    value = value.split("#")[0].strip()
    if value == "never":
        return None
    if value.startswith("epoch "):
        return _epoch(value.removeprefix("epoch ").strip())
    found = _ISC_TIME.match(value)
    if not found:
        raise RowError("bad_time", value=value)
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError:
        raise RowError("bad_time", value=value) from None


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def _isc(text: str, result: TableResult, now: datetime, lang: Language) -> list[Lease]:
    """``lease IP { … }`` blocks; dhcpd appends, so the last block of an address wins."""
    latest: dict[str, Lease] = {}
    block: dict[str, str] | None = None
    start, ip, superseded = 0, "", 0
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if block is None:
            opened = re.match(rf"^lease\s+({_IPV4})\s*\{{", stripped)
            if opened:
                block, start, ip = {}, number, opened.group(1)
            continue
        if stripped == "}":
            try:
                lease = _isc_lease(start, ip, block)
            except RowError as error:
                result.problem(start, error, lang, TEXT)
            else:
                superseded += latest.pop(lease.ip, None) is not None
                latest[lease.ip] = lease
            block = None
            continue
        statement = _ISC_STATEMENT.match(stripped)
        if statement:
            block.setdefault(statement.group(1), statement.group(2))
    if block is not None:
        result.problem(start, RowError("unclosed"), lang, TEXT)
    result.counts["superseded"] = superseded
    return list(latest.values())


def _isc_lease(line: int, ip: str, block: Mapping[str, str]) -> Lease:
    hardware = block.get("hardware ethernet")
    state = block.get("binding state", "active").strip()
    uid = block.get("uid")
    return Lease(
        line,
        _mac(hardware) if hardware else None,
        _ip(ip),
        _name(_unquote(block["client-hostname"])) if "client-hostname" in block else None,
        _unquote(uid) if uid else None,
        _isc_time(block["starts"]) if "starts" in block else None,
        _isc_time(block["ends"]) if "ends" in block else None,
        state,
        {"lease": ip, **block},
    )


def _csv_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """Rows of a comma CSV as dicts, each with the line it started on."""
    reader = csv.DictReader(io.StringIO(text))
    rows = []
    line = reader.line_num
    for row in reader:
        rows.append((line + 1, {key: value for key, value in row.items() if key is not None}))
        line = reader.line_num
    return rows


def _kea(text: str, result: TableResult, now: datetime, lang: Language) -> list[Lease]:
    """Kea memfile CSV: ``expire`` is when the lease ends; it began ``valid_lifetime`` before."""
    leases = []
    for number, row in _csv_rows(text):
        try:
            if None in row.values() or not row.get("address"):
                raise RowError("short_row")
            ends = _epoch(row.get("expire", ""))
            lifetime = row.get("valid_lifetime", "")
            starts = ends - timedelta(seconds=int(lifetime)) if lifetime.isdigit() else None
            state = _KEA_STATES.get(row.get("state", "0").strip(), row.get("state", ""))
            leases.append(
                Lease(
                    number,
                    _mac(row["hwaddr"]) if row.get("hwaddr") else None,
                    _ip(row["address"]),
                    # Kea writes a comma inside a field as "&#x2c".
                    _name((row.get("hostname") or "").replace("&#x2c", ",")),
                    row.get("client_id") or None,
                    starts,
                    ends,
                    "active" if state == "default" else state,
                    row,
                )
            )
        except RowError as error:
            result.problem(number, error, lang, TEXT)
    return leases


_WINDOWS_TIMES = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def _windows_time(value: str) -> datetime | None:
    """``LeaseExpiryTime`` as Export-Csv writes it in en-US. The server's zone is not in the
    file: the time is taken as UTC (documented in docs/observations.md)."""
    value = value.strip()
    if not value:
        return None
    for pattern in _WINDOWS_TIMES:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise RowError("bad_time", value=value)


def _windows(text: str, result: TableResult, now: datetime, lang: Language) -> list[Lease]:
    lines = text.splitlines(keepends=True)
    skipped = 1 if lines and lines[0].startswith("#TYPE") else 0
    leases = []
    for number, row in _csv_rows("".join(lines[skipped:])):
        number += skipped
        try:
            if None in row.values() or not row.get("IPAddress"):
                raise RowError("short_row")
            client_id = row.get("ClientId", "").strip()
            # For Ethernet clients ClientId is the MAC (aa-bb-cc-dd-ee-ff); else it stays an id.
            mac = normalize_mac(client_id) if is_mac(client_id) else None
            raw_state = row.get("AddressState", "").strip()
            state = "active" if raw_state.lower() in _WINDOWS_ACTIVE else raw_state.lower()
            leases.append(
                Lease(
                    number,
                    mac,
                    _ip(row["IPAddress"]),
                    _name(row.get("HostName")),
                    None if mac else client_id or None,
                    None,
                    _windows_time(row.get("LeaseExpiryTime", "")),
                    state,
                    row,
                )
            )
        except RowError as error:
            result.problem(number, error, lang, TEXT)
    return leases

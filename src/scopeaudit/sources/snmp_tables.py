"""snmp source, tables: read-only walks of the neighbour, bridge-forwarding and LLDP tables of the
network gear in scope, turned into evidence with its vantage point (docs/snmp.md).

What is walked (GETBULK, SNMPv2c or v3): ipNetToMediaTable and ipNetToPhysicalTable (a router's
ARP/neighbour cache), dot1dBasePortIfIndex, dot1dTpFdbTable and dot1qTpFdbTable (a switch's
forwarding table, the port each MAC was learned on), dot1qVlanFdbId (FID → VLAN), LLDP-MIB
lldpRemTable and lldpLocPortDesc (the neighbours each port hears), ifName and ifDescr, and the
scalars sysName and sysUpTime. Each table walk stops at ``max_rows`` rows; each device stops at
its share of the budget; a device that does not answer, or refuses our credentials, is a line of
the source outcome, never an exception.

Capture (pysnmp 7, asyncio) hands the pure parser ``RawVarBind`` lists, the same format as the
system group's recordings; ``table_observations`` turns one device's walk into ``snmp_neighbor``,
``snmp_fdb`` and ``snmp_lldp`` observations. Neighbour rows of addresses the scope does not allow
are dropped there and only counted (DESIGN §5). Secrets (communities, v3 keys) never enter an
observation, the probe log or an error message.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address
from typing import Any

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.macaddr import is_multicast
from scopeaudit.models import (
    Observation,
    ObservationKind,
    ProbeRecord,
    SourceOutcome,
    SwitchPort,
    utc_now,
)
from scopeaudit.scope import Scope
from scopeaudit.snmp_config import SnmpOptions, V3Credential
from scopeaudit.sources import network_text
from scopeaudit.sources.snmp import RawVarBind, _raw, auth_data
from scopeaudit.taxonomy import Language, Source

# Walked subtrees, in walk order: the small naming tables first, so a budget that runs out
# mid-way still leaves the port names of the rows already read.
TABLES: dict[str, str] = {
    "sysName": "1.3.6.1.2.1.1.5",
    "sysUpTime": "1.3.6.1.2.1.1.3",
    "ifDescr": "1.3.6.1.2.1.2.2.1.2",
    "ifName": "1.3.6.1.2.1.31.1.1.1.1",
    "ipNetToMediaTable": "1.3.6.1.2.1.4.22.1",
    "ipNetToPhysicalTable": "1.3.6.1.2.1.4.35.1",
    "dot1dBasePortIfIndex": "1.3.6.1.2.1.17.1.4.1.2",
    "dot1dTpFdbTable": "1.3.6.1.2.1.17.4.3.1",
    "dot1qTpFdbTable": "1.3.6.1.2.1.17.7.1.2.2.1",
    "dot1qVlanFdbId": "1.3.6.1.2.1.17.7.1.4.2.1.3",
    "lldpLocPortDesc": "1.0.8802.1.1.2.1.3.7.1.4",
    "lldpRemTable": "1.0.8802.1.1.2.1.4.1.1",
}

# A bridge port carrying more than this many MACs is an uplink (a switch or a router behind
# it): its rows say "somewhere beyond this port", not "plugged into this port".
UPLINK_MIN_MACS = 8
# LLDP capabilities (BITS, bit 0 = most significant bit of the first octet).
LLDP_CAPS = (
    "other",
    "repeater",
    "bridge",
    "wlanAccessPoint",
    "router",
    "telephone",
    "docsisCableDevice",
    "stationOnly",
)
_NEIGHBOR_TYPES = {1: "other", 2: "invalid", 3: "dynamic", 4: "static", 5: "local"}
_NEIGHBOR_STATES = {
    1: "reachable",
    2: "stale",
    3: "delay",
    4: "probe",
    5: "invalid",
    6: "unknown",
    7: "incomplete",
}
_FDB_STATUS = {1: "other", 2: "invalid", 3: "learned", 4: "self", 5: "mgmt"}
_CHASSIS_SUBTYPES = {
    1: "chassisComponent",
    2: "interfaceAlias",
    3: "portComponent",
    4: "macAddress",
    5: "networkAddress",
    6: "interfaceName",
    7: "local",
}
_PORT_SUBTYPES = {
    1: "interfaceAlias",
    2: "portComponent",
    3: "macAddress",
    4: "networkAddress",
    5: "interfaceName",
    6: "agentCircuitId",
    7: "local",
}

_MESSAGES: Catalog = {
    "auth": {
        Language.EN: "snmp tables: {ip}: authentication failed (check the v3 user and keys)",
        Language.FR: "tables snmp : {ip} : échec d'authentification (vérifiez l'utilisateur v3 et ses clés)",
    },
    "silent": {
        Language.EN: "snmp tables: {ip} did not answer with any configured credential",
        Language.FR: "tables snmp : {ip} n'a répondu avec aucun des identifiants configurés",
    },
    "budget": {
        Language.EN: "snmp tables: {ip}: the {seconds} s budget ran out; tables partly read",
        Language.FR: "tables snmp : {ip} : le budget de {seconds} s est épuisé ; tables lues en partie",
    },
    "capped": {
        Language.EN: "snmp tables: {ip}: {table} stopped at {rows} rows",
        Language.FR: "tables snmp : {ip} : {table} arrêtée à {rows} lignes",
    },
    "port": {
        Language.EN: "switch port: {switch} {port}{vlan}",
        Language.FR: "port de switch : {switch} {port}{vlan}",
    },
    "no_pysnmp": {
        Language.EN: "pysnmp is not installed (pip install 'pysnmp>=7.1'); SNMP tables not read",
        Language.FR: "pysnmp n'est pas installé (pip install 'pysnmp>=7.1') ; tables SNMP non lues",
    },
}


def _mac(value: object) -> str | None:
    """Six octets as a lower-case colon MAC; None for anything else, zero or multicast."""
    if not isinstance(value, bytes) or len(value) != 6:
        return None
    mac = ":".join(f"{octet:02x}" for octet in value)
    if mac == "00:00:00:00:00:00" or is_multicast(mac):
        return None
    return mac


def _split(oid: str, root: str) -> tuple[int, tuple[int, ...]] | None:
    """(column, index) of a table cell's OID under ``root``; None when outside it."""
    oid = oid.lstrip(".")
    if not oid.startswith(root + "."):
        return None
    try:
        parts = tuple(int(p) for p in oid[len(root) + 1 :].split("."))
    except ValueError:
        return None
    return (parts[0], parts[1:]) if len(parts) >= 2 else None


def _cells(
    binds: Sequence[RawVarBind], table: str
) -> dict[tuple[int, ...], dict[int, bytes | str | int]]:
    """Rows of one table: index → {column: value}; exceptions (None values) left out."""
    root = TABLES[table]
    rows: dict[tuple[int, ...], dict[int, bytes | str | int]] = defaultdict(dict)
    for bind in binds:
        split = _split(bind.oid, root)
        if split is None or bind.value is None:
            continue
        column, index = split
        rows[index][column] = bind.value
    return rows


def _column(binds: Sequence[RawVarBind], table: str) -> dict[tuple[int, ...], bytes | str | int]:
    """A single-column table (``TABLES`` points at the column itself): index → value."""
    root = TABLES[table]
    out: dict[tuple[int, ...], bytes | str | int] = {}
    for bind in binds:
        oid = bind.oid.lstrip(".")
        if bind.value is None or not oid.startswith(root + "."):
            continue
        try:
            out[tuple(int(p) for p in oid[len(root) + 1 :].split("."))] = bind.value
        except ValueError:
            continue
    return out


def _text(value: object) -> str | None:
    return network_text(value) if isinstance(value, bytes) else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _caps(value: object) -> list[str]:
    if not isinstance(value, bytes):
        return []
    return [
        name
        for bit, name in enumerate(LLDP_CAPS)
        if bit // 8 < len(value) and value[bit // 8] & (0x80 >> (bit % 8))
    ]


def _lldp_id(subtype: int | None, value: object, names: dict[int, str]) -> str | None:
    """A chassis or port id as text: a MAC for macAddress, dotted IPv4 for networkAddress."""
    if not isinstance(value, bytes):
        return None
    if names.get(subtype or 0) == "macAddress":
        mac = _mac(value)
        return mac if mac is not None else value.hex(":")
    if names.get(subtype or 0) == "networkAddress" and len(value) == 5 and value[0] == 1:
        return str(IPv4Address(value[1:]))
    return network_text(value)


@dataclass
class Device:
    """What one device's walk says, before it becomes observations (pure, for the parser)."""

    sys_name: str | None = None
    uptime: int | None = None  # sysUpTime, hundredths of a second
    if_names: dict[int, str] = field(default_factory=dict)
    neighbors: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    fdb: dict[tuple[str, int, int | None], dict[str, Any]] = field(default_factory=dict)
    lldp: list[dict[str, Any]] = field(default_factory=list)


def parse_walk(binds: Sequence[RawVarBind]) -> Device:
    """One device's walk (every table, in any order) as rows (pure)."""
    device = Device()
    for bind in binds:
        oid = bind.oid.lstrip(".")
        if oid == TABLES["sysName"] + ".0":
            device.sys_name = _text(bind.value)
        elif oid == TABLES["sysUpTime"] + ".0":
            device.uptime = _int(bind.value)
    descr = _column(binds, "ifDescr")
    names = _column(binds, "ifName")
    for index, value in [*descr.items(), *names.items()]:  # ifName wins over ifDescr
        text = _text(value)
        if len(index) == 1 and text:
            device.if_names[index[0]] = text
    _neighbors(binds, device)
    _fdb(binds, device)
    _lldp(binds, device)
    return device


def _neighbors(binds: Sequence[RawVarBind], device: Device) -> None:
    physical = False
    for index, row in _cells(binds, "ipNetToMediaTable").items():
        kind = _NEIGHBOR_TYPES.get(_int(row.get(4)) or 0)
        mac = _mac(row.get(2))
        if len(index) != 5 or kind in ("invalid", "local") or mac is None:
            continue
        ip = ".".join(str(p) for p in index[1:])
        entry = device.neighbors.setdefault((ip, mac), {"if_index": index[0]})
        entry.update(type=kind, tables=["ipNetToMediaTable"])
    for index, row in _cells(binds, "ipNetToPhysicalTable").items():
        # index: ifIndex, addressType (1 = ipv4), length, address octets
        if len(index) != 7 or index[1] != 1 or index[2] != 4:
            continue
        physical = True
        kind = _NEIGHBOR_TYPES.get(_int(row.get(6)) or 0)
        state = _NEIGHBOR_STATES.get(_int(row.get(7)) or 0)
        mac = _mac(row.get(4))
        if kind in ("invalid", "local") or state in ("invalid", "incomplete") or mac is None:
            continue
        ip = ".".join(str(p) for p in index[3:])
        entry = device.neighbors.setdefault((ip, mac), {"if_index": index[0]})
        entry["tables"] = [*entry.get("tables", []), "ipNetToPhysicalTable"]
        entry.setdefault("type", kind)
        if state is not None:
            entry["state"] = state
        updated = _int(row.get(5))
        if updated is not None and device.uptime is not None:
            # net-snmp stamps the time it reloaded its cache, which may follow our sysUpTime
            # read: an age below zero is "just now".
            entry["age_s"] = max(0.0, round((device.uptime - updated) / 100, 2))
    if physical:
        # ipNetToPhysicalTable supersedes ipNetToMediaTable (RFC 4293); net-snmp caches the two
        # apart, so a row only the old table still lists is a MAC the router already replaced.
        for key in [
            k for k, v in device.neighbors.items() if "ipNetToPhysicalTable" not in v["tables"]
        ]:
            del device.neighbors[key]


def _fdb(binds: Sequence[RawVarBind], device: Device) -> None:
    port_if = {i[0]: v for i, v in _column(binds, "dot1dBasePortIfIndex").items() if len(i) == 1}
    fid_vlans: dict[int, set[int]] = defaultdict(set)
    for index, value in _column(binds, "dot1qVlanFdbId").items():
        if len(index) == 2 and isinstance(value, int):
            fid_vlans[value].add(index[1])

    def add(mac: str | None, port: int | None, status: int | None, fid: int | None) -> None:
        name = _FDB_STATUS.get(status or 0, "other")
        if mac is None or port is None or port == 0 or name == "invalid":
            return
        if_index = _int(port_if.get(port))
        vlans = fid_vlans.get(fid or -1, set())
        device.fdb[(mac, port, fid)] = {
            "mac": mac,
            "port": port,
            "if_index": if_index,
            "if_name": device.if_names.get(if_index) if if_index is not None else None,
            "fid": fid,
            "vlan": next(iter(vlans)) if len(vlans) == 1 else None,
            "status": name,
        }

    for index, row in _cells(binds, "dot1qTpFdbTable").items():
        if len(index) == 7:
            mac = _mac(bytes(index[1:])) if all(0 <= p < 256 for p in index[1:]) else None
            add(mac, _int(row.get(2)), _int(row.get(3)), index[0])
    seen = {(mac, port) for mac, port, _ in device.fdb}
    for row in _cells(binds, "dot1dTpFdbTable").values():
        mac = _mac(row.get(1))
        port = _int(row.get(2))
        if (mac, port) not in seen:  # the dot1q rows already say it, with their FID
            add(mac, port, _int(row.get(3)), None)


def _lldp(binds: Sequence[RawVarBind], device: Device) -> None:
    local = {i[0]: _text(v) for i, v in _column(binds, "lldpLocPortDesc").items() if len(i) == 1}
    for index, row in sorted(_cells(binds, "lldpRemTable").items()):
        if len(index) != 3:
            continue
        chassis_subtype = _int(row.get(4))
        port_subtype = _int(row.get(6))
        device.lldp.append(
            {
                "local_port": index[1],
                "local_port_name": local.get(index[1]) or device.if_names.get(index[1]),
                "chassis_id_subtype": _CHASSIS_SUBTYPES.get(chassis_subtype or 0),
                "chassis_id": _lldp_id(chassis_subtype, row.get(5), _CHASSIS_SUBTYPES),
                "port_id_subtype": _PORT_SUBTYPES.get(port_subtype or 0),
                "port_id": _lldp_id(port_subtype, row.get(7), _PORT_SUBTYPES),
                "port_description": _text(row.get(8)),
                "system_name": _text(row.get(9)),
                "system_description": _text(row.get(10)),
                "caps_supported": _caps(row.get(11)),
                "caps_enabled": _caps(row.get(12)),
            }
        )


def uplink_ports(device: Device) -> set[int]:
    """Bridge ports that lead to other network gear (documented in docs/snmp.md):

    - a port where more than ``UPLINK_MIN_MACS`` distinct MACs were learned; or
    - a port where an LLDP neighbour enables the bridge or router capability and is not a
      telephone (IP phones announce "bridge" for their PC port)."""
    macs: dict[int, set[str]] = defaultdict(set)
    for mac, port, _fid in device.fdb:
        macs[port].add(mac)
    ports = {port for port, found in macs.items() if len(found) > UPLINK_MIN_MACS}
    names = {port: row.get("if_name") for (_m, port, _f), row in device.fdb.items()}
    for row in device.lldp:
        caps = set(row["caps_enabled"] or row["caps_supported"])
        if caps & {"bridge", "router"} and "telephone" not in caps:
            ports.add(row["local_port"])
            # LLDP numbers its ports itself: also match the FDB port by interface name.
            ports |= {
                port for port, name in names.items() if name and name == row["local_port_name"]
            }
    return ports


def table_observations(
    reporter_ip: str,
    binds: Sequence[RawVarBind],
    *,
    time: datetime,
    allows: Callable[[str], bool] | None = None,
) -> tuple[list[Observation], int]:
    """One device's walk as observations (pure), and how many neighbour rows the scope dropped.

    Every observation names its reporter (``reporter_ip``, ``reporter_name``) in its data and
    vantage; its ``time`` is when the table was read (the tables hold no per-row time except
    ipNetToPhysicalLastUpdated, given as ``age_s``)."""
    device = parse_walk(binds)
    reporter = {"reporter_ip": reporter_ip, "reporter_name": device.sys_name}
    vantage = f"snmp:{reporter_ip}"
    found: list[Observation] = []
    dropped = 0
    for (ip, mac), row in sorted(device.neighbors.items()):
        if allows is not None and not allows(ip):
            dropped += 1
            continue
        if_index = row["if_index"]
        data = {
            "ip": ip,
            "mac": mac,
            "if_index": if_index,
            "if_name": device.if_names.get(if_index),
            "type": row.get("type"),
            "state": row.get("state"),
            "age_s": row.get("age_s"),
            "tables": row.get("tables", []),
            **reporter,
        }
        found.append(_observation(ObservationKind.SNMP_NEIGHBOR, time, vantage, mac, ip, data))
    uplinks = uplink_ports(device)
    port_macs: dict[int, set[str]] = defaultdict(set)
    for mac, port, _fid in device.fdb:
        port_macs[port].add(mac)
    for _key, row in sorted(device.fdb.items(), key=lambda item: str(item[0])):
        data = {
            **row,
            "uplink": row["port"] in uplinks,
            "port_macs": len(port_macs[row["port"]]),
            **reporter,
        }
        found.append(_observation(ObservationKind.SNMP_FDB, time, vantage, row["mac"], None, data))
    for row in device.lldp:
        chassis = row["chassis_id"] if row["chassis_id_subtype"] == "macAddress" else None
        data = {**row, **reporter}
        found.append(_observation(ObservationKind.SNMP_LLDP, time, vantage, chassis, None, data))
    return found, dropped


def _observation(
    kind: ObservationKind,
    time: datetime,
    vantage: str,
    mac: str | None,
    ip: str | None,
    data: dict[str, Any],
) -> Observation:
    return Observation(
        source=Source.SNMP, kind=kind, time=time, vantage=vantage, mac=mac, ip=ip, data=data
    )


# --- capture ------------------------------------------------------------------------------------


@dataclass
class TablesResult:
    """What the table walks produced: evidence, probe log, outcome and the raw walks."""

    observations: list[Observation] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(name=Source.SNMP, ok=False, error="not run")
    )
    walked: list[str] = field(default_factory=list)
    dropped: int = 0
    raw: dict[str, list[RawVarBind]] = field(default_factory=dict, repr=False)


_AUTH_ERRORS = (
    "wrongDigest",
    "Wrong SNMP PDU digest",
    "unknownUserName",
    "Unknown USM user",
    "decryptionError",
    "Ciphering services not available",
    "unsupportedSecLevel",
)


async def _walk(
    engine: Any, auth: Any, target: Any, root: str, max_rows: int, deadline: float
) -> tuple[list[RawVarBind], str | None]:
    """One subtree with GETBULK; (rows, None|'budget'|'capped'|error text)."""
    from pysnmp.hlapi.v3arch import asyncio as api  # type: ignore[import-untyped]

    rows: list[RawVarBind] = []
    current = root
    while True:
        if time.monotonic() > deadline:
            return rows, "budget"
        indication, status, _index, binds = await api.bulk_cmd(
            engine,
            auth,
            target,
            api.ContextData(),
            0,
            25,
            api.ObjectType(api.ObjectIdentity(current)),
            lookupMib=False,
        )
        if indication:
            return rows, str(indication)
        if int(status):
            return rows, f"SNMP error status {int(status)}"
        if not binds:
            return rows, None
        for oid, value in binds:
            raw = _raw(oid, value)
            if not raw.oid.startswith(root + ".") or raw.value is None:
                return rows, None
            if raw.oid == current:  # a broken agent repeating itself
                return rows, None
            rows.append(raw)
            current = raw.oid
            if len(rows) >= max_rows:
                return rows, "capped"


async def _read_device(
    engine: Any, ip: str, options: SnmpOptions, deadline: float
) -> tuple[list[RawVarBind], list[tuple[str, dict[str, object]]]]:
    """Every table of one device with the first credential that answers; (rows, problems)."""
    from pysnmp.hlapi.v3arch import asyncio as api

    target = await api.UdpTransportTarget.create(
        (ip, 161), timeout=options.timeout_s, retries=options.retries
    )
    credentials: list[str | V3Credential] = [*options.v3, *options.communities]
    auth: Any = None
    auth_failed = False
    for credential in credentials:
        candidate = auth_data(credential)
        rows, error = await _walk(
            engine, candidate, target, TABLES["sysName"], 1, min(deadline, time.monotonic() + 30)
        )
        if rows:
            auth = candidate
            break
        if error and any(marker in error for marker in _AUTH_ERRORS):
            auth_failed = True
    if auth is None:
        return [], [("auth" if auth_failed else "silent", {"ip": ip})]
    found: list[RawVarBind] = []
    problems: list[tuple[str, dict[str, object]]] = []
    for table, root in TABLES.items():
        rows, error = await _walk(engine, auth, target, root, options.max_rows, deadline)
        found += rows
        if error == "budget":
            problems.append(("budget", {"ip": ip, "seconds": f"{options.budget_s:g}"}))
            break
        if error == "capped":
            problems.append(("capped", {"ip": ip, "table": table, "rows": options.max_rows}))
    return found, problems


async def read_tables_async(
    scope: Scope,
    devices: Sequence[str],
    *,
    options: SnmpOptions | None = None,
    lang: Language | None = None,
) -> TablesResult:
    """Walk the tables of ``devices`` the scope allows, concurrently; never raises."""
    options = options or SnmpOptions()
    language = lang or resolve_language()
    started = time.monotonic()
    result = TablesResult()
    problems: list[str] = []
    targets = sorted(
        {str(IPv4Address(ip)) for ip in devices if _is_ipv4(ip) and scope.allows(ip)},
        key=IPv4Address,
    )

    def finish() -> TablesResult:
        result.outcome = SourceOutcome(
            name=Source.SNMP,
            ok=not problems,
            error="; ".join(problems) if problems else None,
            duration_s=round(time.monotonic() - started, 3),
            detail={
                "tables_queried": len(targets),
                "tables_read": len(result.walked),
                "rows_dropped_out_of_scope": result.dropped,
            },
        )
        return result

    if not targets or not (options.communities or options.v3):
        return finish()
    try:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine  # type: ignore[import-untyped]
    except ImportError:
        problems.append(render(_MESSAGES, "no_pysnmp", {}, language))
        return finish()
    result.probes.append(
        ProbeRecord(
            source=Source.SNMP,
            action="snmp getbulk walk of ARP/FDB/LLDP tables",
            targets=", ".join(targets[:16]) + (" …" if len(targets) > 16 else ""),
            started_at=utc_now(),
            count=len(targets),
            rate_pps=None,
            detail=(
                f"UDP 161, {len(options.communities)} community(ies) and {len(options.v3)} "
                f"v3 user(s) configured, timeout {options.timeout_s} s, {options.retries} "
                f"retry(ies), budget {options.budget_s} s per device, at most "
                f"{options.max_rows} rows per table; subtrees " + " ".join(TABLES.values())
            ),
        )
    )
    engine = SnmpEngine()
    deadline = time.monotonic() + options.budget_s

    async def one(ip: str) -> None:
        try:
            rows, issues = await _read_device(engine, ip, options, deadline)
        except Exception:  # a malformed reply or a socket error is one device's silence
            rows, issues = [], [("silent", {"ip": ip})]
        for key, params in issues:
            problems.append(render(_MESSAGES, key, params, language))
        if not rows:
            return
        result.raw[ip] = rows
        found, dropped = table_observations(ip, rows, time=utc_now(), allows=scope.allows)
        result.walked.append(ip)
        result.observations.extend(found)
        result.dropped += dropped

    await asyncio.gather(*(one(ip) for ip in targets))
    engine.close_dispatcher()
    result.walked.sort(key=IPv4Address)
    return finish()


def _is_ipv4(text: str) -> bool:
    try:
        IPv4Address(text)
    except ValueError:
        return False
    return True


def read_tables(
    scope: Scope,
    devices: Sequence[str],
    *,
    options: SnmpOptions | None = None,
    lang: Language | None = None,
) -> TablesResult:
    """``read_tables_async`` for callers without an event loop of their own."""
    return asyncio.run(read_tables_async(scope, devices, options=options, lang=lang))


def port_label(port: SwitchPort, lang: Language) -> str:
    """``switch port: SW-CORE01 (10.77.0.2) gi1-0-3, VLAN 10`` in the user's language. Names
    come from the network: the caller escapes the text when it renders it."""
    switch = f"{port.switch_name} ({port.switch_ip})" if port.switch_name else port.switch_ip
    params = {
        "switch": switch,
        "port": port.if_name or f"#{port.port}",
        "vlan": f", VLAN {port.vlan}" if port.vlan is not None else "",
    }
    return render(_MESSAGES, "port", params, lang)


def is_network_gear(system: dict[str, Any]) -> bool:
    """The system group of a router, switch or access point: ipForwarding 1, a bridge
    (dot1dBaseNumPorts), or sysServices with the datalink (2) or internet (4) layer bit."""
    services = system.get("sysServices")
    return (
        system.get("ipForwarding") == 1
        or isinstance(system.get("dot1dBaseNumPorts"), int)
        or (isinstance(services, int) and bool(services & 0b110))
    )

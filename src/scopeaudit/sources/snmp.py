"""snmp source: the read-only system group of live in-scope hosts answering on UDP 161.

One GET per host and credential (SNMPv3 users first, then v2c communities) asks sysDescr,
sysObjectID, sysContact, sysName, sysLocation, sysServices, ipForwarding and dot1dBaseNumPorts
(research/fingerprints.md §1.8). Read-only, with the configured credentials only (default
``public``), never a brute force; each host gets at most ``len(credentials) x (1 + retries)``
requests, one per ``timeout_s``, far below 10 probes/s; the whole source stops at ``budget_s``.
Communities and v3 keys are credentials: they are never written into observations or the probe
log. The tables of the network gear found here are read by ``snmp_tables`` (docs/snmp.md).

Capture uses pysnmp 7 (pure Python, asyncio): no dependency on Debian's snmp tools, one
process for hundreds of concurrent hosts, and replies arrive as typed values (raw bytes of
OCTET STRINGs, dotted OIDs, integers) that ``system_observations`` turns into observations
without any text re-parsing. Capture hands the parser plain ``RawVarBind`` tuples, the format
recorded under tests/sources/data/.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address
from typing import Any, NamedTuple

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome, utc_now
from scopeaudit.scope import Scope
from scopeaudit.snmp_config import V3Credential
from scopeaudit.sources import cap, network_text
from scopeaudit.taxonomy import Language, Source

SYSTEM_OIDS: dict[str, str] = {
    "sysDescr": "1.3.6.1.2.1.1.1.0",
    "sysObjectID": "1.3.6.1.2.1.1.2.0",
    "sysContact": "1.3.6.1.2.1.1.4.0",
    "sysName": "1.3.6.1.2.1.1.5.0",
    "sysLocation": "1.3.6.1.2.1.1.6.0",
    "sysServices": "1.3.6.1.2.1.1.7.0",
    "ipForwarding": "1.3.6.1.2.1.4.1.0",  # 1 forwarding (router), 2 not (host, L2 switch)
    "dot1dBaseNumPorts": "1.3.6.1.2.1.17.1.2.0",  # BRIDGE-MIB: present on switches
    # SNMP-FRAMEWORK-MIB: unique per agent (RFC 3411), so a router answering on each of its
    # addresses is walked once
    "snmpEngineID": "1.3.6.1.6.3.10.2.1.1.0",
}
_NAMES_BY_OID = {oid: name for name, oid in SYSTEM_OIDS.items()}
_TEXT = ("sysDescr", "sysContact", "sysName", "sysLocation")
_INTEGERS = ("sysServices", "ipForwarding", "dot1dBaseNumPorts")


_MESSAGES: Catalog = {
    "not_ipv4": {
        Language.EN: "{value} is not an IPv4 address: not queried",
        Language.FR: "{value} n'est pas une adresse IPv4 : non interrogée",
    },
    "no_community": {
        Language.EN: "no SNMP community configured: nothing queried",
        Language.FR: "aucune communauté SNMP configurée : rien n'a été interrogé",
    },
    "no_pysnmp": {
        Language.EN: "pysnmp is not installed (pip install 'pysnmp>=7.1'); the snmp source did not run",
        Language.FR: "pysnmp n'est pas installé (pip install 'pysnmp>=7.1') ; la source snmp n'a pas tourné",
    },
    "budget": {
        Language.EN: "snmp: the {seconds} s budget ran out; {pending} of {total} host(s) not read",
        Language.FR: "snmp : le budget de {seconds} s est épuisé ; {pending} hôte(s) sur {total} non lu(s)",
    },
}


class RawVarBind(NamedTuple):
    """One variable binding as received: dotted OID, SMI type name, value.

    ``value`` is bytes for OCTET STRING, a dotted string for OBJECT IDENTIFIER, an int for the
    integer types, and None for the exceptions (noSuchObject, noSuchInstance, endOfMibView).
    """

    oid: str
    type: str
    value: bytes | str | int | None


@dataclass(frozen=True)
class SnmpSettings:
    """Communities and limits; the defaults are the documented safe ones."""

    communities: tuple[str, ...] = field(default=("public",), repr=False)
    v3: tuple[V3Credential, ...] = ()  # tried before the communities
    timeout_s: float = 1.0
    retries: int = 1
    budget_s: float = 30.0
    concurrency: int = 32
    port: int = 161


@dataclass
class SnmpResult:
    """What the snmp source produced: evidence, the probe log and its outcome."""

    observations: list[Observation] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(name=Source.SNMP, ok=False, error="not run")
    )
    answered: list[str] = field(default_factory=list)
    raw: dict[str, list[RawVarBind]] = field(default_factory=dict, repr=False)


def system_data(varbinds: Iterable[RawVarBind]) -> dict[str, Any] | None:
    """The ``snmp_system`` data of one reply (pure); None when it holds no system value."""
    data: dict[str, Any] = {}
    for bind in varbinds:
        name = _NAMES_BY_OID.get(bind.oid.lstrip("."))
        if name is None or bind.value is None:
            continue
        if name in _TEXT and isinstance(bind.value, bytes):
            data[name] = network_text(bind.value)
        elif name == "sysObjectID" and isinstance(bind.value, str):
            data[name] = cap(bind.value.lstrip("."))
        elif name in _INTEGERS and isinstance(bind.value, int):
            data[name] = bind.value
        elif name == "snmpEngineID" and isinstance(bind.value, bytes) and bind.value:
            data[name] = bind.value[:32].hex()
    if not any(key in data for key in ("sysDescr", "sysObjectID", "sysName", "sysServices")):
        return None
    return data


def system_observations(
    ip: str, varbinds: Iterable[RawVarBind], *, vantage: str, time: datetime
) -> list[Observation]:
    """The ``snmp_system`` observation of one reply, plus its sysName as a hostname (pure)."""
    data = system_data(varbinds)
    if data is None:
        return []
    found = [
        Observation(
            source=Source.SNMP,
            kind=ObservationKind.SNMP_SYSTEM,
            time=time,
            vantage=vantage,
            ip=ip,
            data=data,
        )
    ]
    name = str(data.get("sysName", "")).strip()
    if name:
        found.append(
            Observation(
                source=Source.SNMP,
                kind=ObservationKind.HOSTNAME,
                time=time,
                vantage=vantage,
                ip=ip,
                data={"name": name, "origin": "snmp"},
            )
        )
    return found


def _raw(oid: Any, value: Any) -> RawVarBind:
    """A pysnmp (ObjectName, value) pair as a RawVarBind."""
    from pyasn1.type import univ  # type: ignore[import-untyped]
    from pysnmp.proto import rfc1902  # type: ignore[import-untyped]

    type_name = type(value).__name__
    plain: bytes | str | int | None
    if isinstance(value, rfc1902.OctetString):
        plain = value.asOctets()
    elif isinstance(value, univ.ObjectIdentifier):
        plain = ".".join(str(part) for part in value.asTuple())
    elif hasattr(value, "get_oid"):  # pysnmp resolves sysObjectID to an ObjectIdentity
        type_name = "ObjectIdentifier"
        plain = ".".join(str(part) for part in value.get_oid().asTuple())
    elif isinstance(value, univ.Integer):
        plain = int(value)
    else:
        plain = None  # noSuchObject, noSuchInstance, endOfMibView, Null
    return RawVarBind(".".join(str(part) for part in oid.asTuple()), type_name, plain)


def auth_data(credential: str | V3Credential) -> Any:
    """A pysnmp authentication object (v2c community or v3 USM user); the secret goes only
    there, never into a message."""
    from pysnmp.hlapi.v3arch import asyncio as api  # type: ignore[import-untyped]

    if isinstance(credential, str):
        return api.CommunityData(credential, mpModel=1)
    auth = {
        "md5": api.usmHMACMD5AuthProtocol,
        "sha": api.usmHMACSHAAuthProtocol,
        "sha256": api.usmHMAC192SHA256AuthProtocol,
    }[credential.auth_protocol]
    if credential.level == "authNoPriv" or credential.priv_key is None:
        return api.UsmUserData(credential.user, credential.auth_key, authProtocol=auth)
    priv = {
        "aes": api.usmAesCfb128Protocol,
        "aes256": api.usmAesCfb256Protocol,
        "des": api.usmDESPrivProtocol,
    }[credential.priv_protocol]
    return api.UsmUserData(
        credential.user,
        credential.auth_key,
        credential.priv_key,
        authProtocol=auth,
        privProtocol=priv,
    )


async def _ask(
    engine: Any, ip: str, settings: SnmpSettings
) -> tuple[list[RawVarBind] | None, str | None]:
    """One host, each community in turn until one answers; (varbinds, error)."""
    from pysnmp.hlapi.v3arch.asyncio import (  # type: ignore[import-untyped]
        ContextData,
        ObjectIdentity,
        ObjectType,
        UdpTransportTarget,
        get_cmd,
    )

    transport = await UdpTransportTarget.create(
        (ip, settings.port), timeout=settings.timeout_s, retries=settings.retries
    )
    objects = [ObjectType(ObjectIdentity(oid)) for oid in SYSTEM_OIDS.values()]
    last_error: str | None = None
    credentials: list[str | V3Credential] = [*settings.v3, *settings.communities]
    for credential in credentials:
        indication, status, _index, varbinds = await get_cmd(
            engine, auth_data(credential), transport, ContextData(), *objects
        )
        if indication:
            last_error = str(indication)  # usually "No SNMP response received before timeout"
            continue
        if int(status):
            last_error = f"SNMP error status {int(status)}"
            continue
        return [_raw(bind[0], bind[1]) for bind in varbinds], None
    return None, last_error


async def query_snmp_async(
    scope: Scope,
    hosts: Sequence[str],
    *,
    settings: SnmpSettings | None = None,
    vantage: str = "snmp",
    lang: Language | None = None,
) -> SnmpResult:
    """Read the system group of ``hosts`` (only those ``scope`` allows); never raises."""
    settings = settings or SnmpSettings()
    language = lang or resolve_language()
    started = time.monotonic()
    result = SnmpResult()
    problems: list[str] = []
    targets: list[str] = []
    for text in hosts:
        try:
            address = str(IPv4Address(text))
        except ValueError:
            problems.append(render(_MESSAGES, "not_ipv4", {"value": repr(text)}, language))
            continue
        if scope.allows(address) and address not in targets:
            targets.append(address)
    targets.sort(key=IPv4Address)

    def finish(ok: bool) -> SnmpResult:
        result.outcome = SourceOutcome(
            name=Source.SNMP,
            ok=ok and not problems,
            error="; ".join(problems) if problems else None,
            duration_s=round(time.monotonic() - started, 3),
            detail={"queried": len(targets), "answered": len(result.answered)},
        )
        return result

    if not targets:
        return finish(True)
    if not settings.communities and not settings.v3:
        problems.append(render(_MESSAGES, "no_community", {}, language))
        return finish(False)
    try:
        from pysnmp.hlapi.v3arch.asyncio import SnmpEngine
    except ImportError:
        problems.append(render(_MESSAGES, "no_pysnmp", {}, language))
        return finish(False)

    shown = ", ".join(targets[:16]) + (" …" if len(targets) > 16 else "")
    result.probes.append(
        ProbeRecord(
            source=Source.SNMP,
            action="snmp v2c get system group",
            targets=shown,
            started_at=utc_now(),
            count=len(targets),
            rate_pps=None,
            detail=(
                f"UDP {settings.port}, {len(settings.communities)} community(ies) and "
                f"{len(settings.v3)} v3 user(s) configured, "
                f"timeout {settings.timeout_s} s, {settings.retries} retry(ies), "
                f"budget {settings.budget_s} s; OIDs " + " ".join(SYSTEM_OIDS.values())
            ),
        )
    )
    engine = SnmpEngine()
    gate = asyncio.Semaphore(max(1, settings.concurrency))

    async def one(ip: str) -> None:
        async with gate:
            try:
                varbinds, _error = await _ask(engine, ip, settings)
            except Exception:  # a malformed reply or a socket error is one host's silence
                return
        if varbinds is None:
            return
        result.raw[ip] = varbinds
        found = system_observations(ip, varbinds, vantage=vantage, time=utc_now())
        if found:
            result.answered.append(ip)
            result.observations.extend(found)

    tasks = [asyncio.create_task(one(ip)) for ip in targets]
    _done, pending = await asyncio.wait(tasks, timeout=settings.budget_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
        params = {
            "seconds": f"{settings.budget_s:g}",
            "pending": len(pending),
            "total": len(targets),
        }
        problems.append(render(_MESSAGES, "budget", params, language))
    engine.close_dispatcher()
    result.answered.sort(key=IPv4Address)
    return finish(True)


def run_snmp(
    scope: Scope,
    hosts: Sequence[str],
    *,
    settings: SnmpSettings | None = None,
    vantage: str = "snmp",
    lang: Language | None = None,
) -> SnmpResult:
    """``query_snmp_async`` for callers without an event loop of their own."""
    return asyncio.run(
        query_snmp_async(scope, hosts, settings=settings, vantage=vantage, lang=lang)
    )


def read_system(
    scope: Scope,
    hosts: Sequence[str],
    *,
    communities: Sequence[str] = ("public",),
    v3: Sequence[V3Credential] = (),
    vantage: str = "snmp",
    lang: Language | None = None,
) -> SnmpResult:
    """The scan's entry point: ``run_snmp`` with the configured v3 users and communities
    (default public)."""
    default = () if v3 else ("public",)
    settings = SnmpSettings(communities=tuple(communities) or default, v3=tuple(v3))
    return run_snmp(scope, hosts, settings=settings, vantage=vantage, lang=lang)

"""The persona kind file's ``services`` schema and the runtime spec the lab supervisor writes.

A kind file (``fixtures/lab/personas/<kind>.yaml``) describes one sort of device: its TTL, its
firewall, the services it runs and how often it announces itself in each lab profile. The lab
supervisor hands the parsed kind, the persona's interfaces and where to write its state to
``python -m scopeaudit.lab.persona spec.json``.

The schema is written once, as standard-library dataclasses with ``annotated_types``
constraints, and checked two ways: ``loader.validate_kind``/``validate_spec`` validate with
pydantic (tests, the lab supervisor), and ``build`` below does the same structural checks without
importing pydantic, because importing it and building its validators costs ~0.35 s of CPU in each
of the ~20 persona processes that start together. A test proves both agree on every kind file.

Strings in services may use the tokens ``{{ip}}``, ``{{mac}}``, ``{{MAC}}``, ``{{mac_hex}}``,
``{{MAC_HEX}}`` (first interface), ``{{id}}``, ``{{hostile:NAME}}`` (see ``hostile.py``) and, in
HTTP/RTSP headers and bodies, ``{{date}}`` (RFC 7231 date at send time), ``{{length}}`` (body
length in bytes) and ``{{cseq}}`` (RTSP); in LLDP/CDP ``port_id``, ``{{ifindex}}`` (0-based). Text goes on the wire as UTF-8 with
``surrogateescape`` (``\\udcff`` = byte FF).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union

import annotated_types as at

from scopeaudit.lab.persona.frames import CDP_CAPS, LLDP_CAPS

Profile = Literal["friendly", "realistic"]
Port = Annotated[int, at.Ge(1), at.Le(65535)]
_FORBID: dict[str, str] = {"extra": "forbid"}
_IGNORE: dict[str, str] = {"extra": "ignore"}


@dataclass(frozen=True)
class HttpResponse:
    """One response, sent byte for byte: status line, headers in the order given, body."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    version: str = "HTTP/1.1"
    status: str = "200 OK"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    body_file: str | None = None  # relative to the kind file's folder; replaces ``body``


@dataclass(frozen=True)
class TlsCert:
    """A certificate made at start with openssl and cached in run_dir.

    ``subject`` in openssl's ``/C=US/O=…/CN=…`` form. Without ``issuer`` it is self-signed; with
    it, a throw-away CA of that subject signs it (e.g. ``Yealink Equipment Issuing CA``).
    """

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    subject: str
    issuer: str | None = None


@dataclass(frozen=True)
class TcpService:
    """A TCP listener.

    ``banner``: sends ``banner`` on connect, then holds the connection ``hold`` seconds;
    ``http``/``rtsp``: answers each request by path from ``routes`` (``*`` = any other path);
    ``accept``: accepts and closes; ``count``: reads and counts every byte, never answers (the
    PRINT_PORTS canary). ``tls`` wraps banner/http in TLS.
    """

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    port: Port
    type: Literal["banner", "http", "rtsp", "accept", "count"]
    banner: str | None = None
    hold: Annotated[float, at.Ge(0), at.Le(60)] = 10.0
    routes: dict[str, HttpResponse] = field(default_factory=dict)
    tls: TlsCert | None = None

    def __post_init__(self) -> None:
        if self.type == "banner" and self.banner is None:
            raise ValueError(f"tcp/{self.port}: type banner needs `banner`")
        if self.type in ("http", "rtsp") and not self.routes:
            raise ValueError(f"tcp/{self.port}: type {self.type} needs `routes`")
        if self.type in ("accept", "count") and self.tls is not None:
            raise ValueError(f"tcp/{self.port}: type {self.type} cannot use tls")


@dataclass(frozen=True)
class UdpService:
    """A UDP responder: ``sip`` answers OPTIONS with ``user_agent``; ``ubnt-discovery`` answers
    the 10001 probe; ``reply`` answers any datagram starting with ``match`` with ``response``
    (joining multicast ``group`` when set, e.g. WS-Discovery on 239.255.255.250:3702)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    port: Port
    type: Literal["sip", "ubnt-discovery", "reply"]
    user_agent: str | None = None
    match: str = ""
    response: str = ""
    group: str | None = None
    hostname: str = ""  # ubnt-discovery
    product: str = ""
    firmware: str = ""
    essid: str = ""

    def __post_init__(self) -> None:
        if self.type == "sip" and not self.user_agent:
            raise ValueError(f"udp/{self.port}: type sip needs `user_agent`")
        if self.type == "reply" and not self.response:
            raise ValueError(f"udp/{self.port}: type reply needs `response`")


DhcpMessage = Literal["discover", "request"]


@dataclass(frozen=True)
class Dhcp:
    """DHCP client broadcasts. ``order`` lists option codes exactly as the device sends them;
    53 = message type, 61 = 01+MAC, 50 = the persona's IP and 54 = its gateway (REQUEST only)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    order: list[int]
    messages: list[DhcpMessage] = field(default_factory=lambda: ["discover", "request"])
    hostname: str | None = None
    vendor_class: str | None = None
    prl: list[int] = field(default_factory=list)
    fqdn: str | None = None
    user_class: str | None = None
    max_size: int | None = None
    lease_time: int | None = None
    broadcast_flag: bool = False

    def __post_init__(self) -> None:
        have = {
            53: True,
            61: True,
            50: True,
            54: True,
            12: self.hostname is not None,
            60: self.vendor_class is not None,
            55: bool(self.prl),
            81: self.fqdn is not None,
            77: self.user_class is not None,
            57: self.max_size is not None,
            51: self.lease_time is not None,
        }
        for code in self.order:
            if not have.get(code, False):
                raise ValueError(f"dhcp: option {code} is in `order` but has no value")
        for code in self.prl:
            if not 1 <= code <= 254:
                raise ValueError(f"dhcp: option {code} in `prl` is not 1-254")


LldpCap = Literal[
    "other", "repeater", "bridge", "wlan_ap", "router", "telephone", "docsis", "station"
]
CdpCap = Literal["router", "bridge", "srb", "switch", "host", "igmp", "repeater", "phone"]


@dataclass(frozen=True)
class LldpMed:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    device_class: Annotated[int, at.Ge(1), at.Le(4)] = 3
    voice_vlan: int | None = None
    hardware: str | None = None
    firmware: str | None = None
    software: str | None = None
    serial: str | None = None
    manufacturer: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Lldp:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    system_name: str
    system_description: str
    caps_available: list[LldpCap]
    caps_enabled: list[LldpCap]
    port_id: str | None = None  # default: the interface name
    port_description: str | None = None
    mgmt_address: bool = True
    ttl: int = 120
    med: LldpMed | None = None


@dataclass(frozen=True)
class Cdp:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    device_id: str
    platform: str
    software: str
    capabilities: list[CdpCap]
    port_id: str | None = None  # default: the interface name
    native_vlan: int | None = None
    ttl: int = 180


@dataclass(frozen=True)
class MdnsService:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    type: str  # e.g. _ipp._tcp
    name: str  # instance name
    port: Annotated[int, at.Ge(0), at.Le(65535)]
    txt: list[str] = field(default_factory=list)  # "key=value" entries, order kept

    def __post_init__(self) -> None:
        if not (self.type.startswith("_") and self.type.endswith(("._tcp", "._udp"))):
            raise ValueError(f"mdns service type {self.type!r} must look like _name._tcp")


@dataclass(frozen=True)
class Mdns:
    """``services`` are registered with python-zeroconf (which then answers queries). With no
    services, ``hostname`` is only announced (an unsolicited A record), never answered.
    ``queries`` are names the device itself asks for (PTR), e.g. the silent laptop's."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    hostname: str | None = None
    services: list[MdnsService] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Ssdp:
    """Answers M-SEARCH and sends NOTIFY; ``location`` is served by one of the persona's HTTP
    routes (the kind file declares both)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    server: str
    location: str
    uuid: str  # "uuid:…"
    types: list[str] = field(default_factory=lambda: ["upnp:rootdevice"])
    max_age: int = 1800
    answer: bool = True


@dataclass(frozen=True)
class NetbiosName:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    name: Annotated[str, at.MaxLen(15)]
    suffix: Annotated[int, at.Ge(0), at.Le(255)]
    group: bool = False


@dataclass(frozen=True)
class Netbios:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    names: list[NetbiosName]
    answer: bool = True  # answer name and node-status queries on udp/137
    announce: bool = True  # broadcast name registrations at each emission


@dataclass(frozen=True)
class Llmnr:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    queries: list[str]


@dataclass(frozen=True)
class SnmpOverride:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    oid: str
    type: Literal["object_id", "counter", "integer", "octet_str", "gauge", "timeticks", "null"]
    value: str = ""


@dataclass(frozen=True)
class Snmp:
    """Debian's snmpd, one per persona, answering on the persona's addresses (read-only)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    sys_descr: str
    sys_object_id: str
    sys_name: str
    community: str = "public"
    sys_services: int = 72
    sys_contact: str = ""
    sys_location: str = ""
    overrides: list[SnmpOverride] = field(default_factory=list)
    # The persona's kernel bridge whose forwarding table snmpd serves (bridge_mib.py), if any.
    bridge_mib: str = ""
    # SNMPv3 users (read-only, authPriv), a YAML file relative to the kind file (snmp.py).
    v3_users: str = ""


@dataclass(frozen=True)
class Services:
    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    tcp: list[TcpService] = field(default_factory=list)
    udp: list[UdpService] = field(default_factory=list)
    dhcp: Dhcp | None = None
    lldp: Lldp | None = None
    cdp: Cdp | None = None
    mdns: Mdns | None = None
    ssdp: Ssdp | None = None
    netbios: Netbios | None = None
    llmnr: Llmnr | None = None
    snmp: Snmp | None = None

    def __post_init__(self) -> None:
        for proto, ports in (
            ("tcp", [s.port for s in self.tcp]),
            ("udp", [s.port for s in self.udp]),
        ):
            dupes = sorted({p for p in ports if ports.count(p) > 1})
            if dupes:
                raise ValueError(f"{proto} port(s) declared twice: {dupes}")


Emission = Literal["dhcp", "lldp", "cdp", "mdns", "ssdp", "netbios", "llmnr", "gateway"]
EMISSIONS: tuple[str, ...] = typing.get_args(Emission)
Interval = Annotated[float, at.Ge(0)]


@dataclass(frozen=True)
class Emit:
    """Seconds between emissions; 0 or absent = once at start (``gateway``: absent = never)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _FORBID
    dhcp: Interval | None = None
    lldp: Interval | None = None
    cdp: Interval | None = None
    mdns: Interval | None = None
    ssdp: Interval | None = None
    netbios: Interval | None = None
    llmnr: Interval | None = None
    gateway: Interval | None = None


@dataclass(frozen=True)
class Kind:
    """A kind file. Top-level keys other than these belong to the lab infrastructure."""

    __pydantic_config__: ClassVar[dict[str, str]] = _IGNORE
    persona: str
    ttl: Annotated[int, at.Ge(1), at.Le(255)] = 64
    firewall: Literal["none", "drop-inbound"] = "none"
    services: Services = field(default_factory=Services)
    emit: dict[Profile, Emit] = field(default_factory=dict)


@dataclass(frozen=True)
class Interface:
    __pydantic_config__: ClassVar[dict[str, str]] = _IGNORE
    name: str
    mac: str
    ip: str  # CIDR
    bridge: str = ""

    def __post_init__(self) -> None:
        ipaddress.ip_interface(self.ip)  # ValueError on a bad address

    @property
    def address(self) -> str:
        return str(ipaddress.ip_interface(self.ip).ip)

    @property
    def broadcast(self) -> str:
        return str(ipaddress.ip_interface(self.ip).network.broadcast_address)


@dataclass(frozen=True)
class Spec:
    """The runtime spec.json written by the lab supervisor (lab-plan contract)."""

    __pydantic_config__: ClassVar[dict[str, str]] = _IGNORE
    id: str
    interfaces: Annotated[list[Interface], at.MinLen(1)]
    kind: Kind
    state_file: str
    run_dir: str
    namespace: str = ""
    profile: Profile = "friendly"
    gateway: str | None = None
    scanner_mac: str | None = None
    kind_dir: str = "."

    def interval(self, emission: Emission) -> float | None:
        """Seconds between two emissions in this profile; 0 = only at start; None = never."""
        emit = self.kind.emit.get(self.profile)
        value = getattr(emit, emission) if emit is not None else None
        if value is None:
            return None if emission == "gateway" else 0.0
        return float(value)


assert set(typing.get_args(LldpCap)) == set(LLDP_CAPS)
assert set(typing.get_args(CdpCap)) == set(CDP_CAPS)


# --- the pydantic-free builder -----------------------------------------------------------

T = TypeVar("T")


class SchemaError(ValueError):
    """A value that does not fit the schema; the message starts with its dotted location."""


def build(cls: type[T], data: Any) -> T:
    """``data`` (parsed JSON/YAML) as an instance of the dataclass ``cls``, checked like pydantic
    would in strict-ish mode: unknown keys, wrong types, Literal values, constraints."""
    return typing.cast(T, _convert(cls, data, "(top)"))


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls, include_extras=True)
    return _HINTS[cls]


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *constraints = typing.get_args(tp)
        result = _convert(base, value, where)
        for constraint in constraints:
            _check(constraint, result, where)
        return result
    if origin in (Union, types.UnionType):
        options = typing.get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _convert(option, value, where)
            except SchemaError as error:
                errors.append(str(error))
        raise SchemaError(errors[0] if len(errors) == 1 else f"{where}: no variant fits {value!r}")
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise SchemaError(f"{where}: {value!r} is not one of {list(typing.get_args(tp))}")
        return value
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise SchemaError(f"{where}: expected a list")
        return [_convert(item, v, f"{where}.{i}") for i, v in enumerate(value)]
    if origin is tuple:
        items = typing.get_args(tp)
        if not isinstance(value, list | tuple) or len(value) != len(items):
            raise SchemaError(f"{where}: expected a list of {len(items)}")
        return tuple(
            _convert(t, v, f"{where}.{i}")
            for i, (t, v) in enumerate(zip(items, value, strict=True))
        )
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if not isinstance(value, dict):
            raise SchemaError(f"{where}: expected a mapping")
        return {
            _convert(key_type, k, where): _convert(value_type, v, f"{where}.{k}")
            for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _dataclass(tp, value, where)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SchemaError(f"{where}: expected a number")
        return float(value)
    if tp in (int, str, bool):
        if not isinstance(value, tp) or (tp is int and isinstance(value, bool)):
            raise SchemaError(f"{where}: expected {tp.__name__}, got {value!r}")
        return value
    raise SchemaError(f"{where}: unsupported type {tp!r}")  # a schema bug, caught by the tests


def _dataclass(cls: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise SchemaError(f"{where}: expected a mapping")
    hints = _hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    config = getattr(cls, "__pydantic_config__", _FORBID)
    unknown = set(value) - names
    if unknown and config.get("extra") == "forbid":
        raise SchemaError(f"{where}: unknown key(s) {sorted(map(str, unknown))}")
    kwargs = {}
    for f in dataclasses.fields(cls):
        here = f.name if where == "(top)" else f"{where}.{f.name}"
        if f.name in value:
            kwargs[f.name] = _convert(hints[f.name], value[f.name], here)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SchemaError(f"{here}: missing")
    try:
        return cls(**kwargs)
    except ValueError as error:
        raise SchemaError(f"{where}: {error}") from error


def _check(constraint: Any, value: Any, where: str) -> None:
    ge, le = getattr(constraint, "ge", None), getattr(constraint, "le", None)
    low, high = getattr(constraint, "min_length", None), getattr(constraint, "max_length", None)
    broken = (
        (ge is not None and value < ge)
        or (le is not None and value > le)
        or (low is not None and len(value) < low)
        or (high is not None and len(value) > high)
    )
    if broken:
        raise SchemaError(f"{where}: {value!r} is out of bounds ({constraint!r})")

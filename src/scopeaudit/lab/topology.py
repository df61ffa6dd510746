"""The topology file (format 1): bridges, the technician, personas, generated flat networks.

``load_topology(path)`` reads the YAML, validates it, loads every persona kind file it names
(paths relative to the topology file) and expands ``generated`` networks into silent hosts.
The topology is read without implicit typing (every scalar is text until pydantic converts it),
so an unquoted MAC such as ``10:22:33:44:55:11`` stays a MAC instead of a base-60 integer.
Kind files belong to the persona runtime: only ``ttl`` and ``firewall`` are read here, the rest
is passed to the runtime unchanged.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from scopeaudit.errors import LabError
from scopeaudit.lab.messages import lab_error, text
from scopeaudit.macaddr import normalize_mac

PERSONA_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,23}$")
BRIDGE_ID = re.compile(r"^[a-z][a-z0-9]{0,10}$")
MAX_FILE_BYTES = 1_000_000


class Profile(StrEnum):
    """Lab profiles (DESIGN §8): how chatty the personas are and what the switch forwards."""

    FRIENDLY = "friendly"
    REALISTIC = "realistic"


# Bit 14 of the bridge's group_fwd_mask forwards 01:80:c2:00:00:0e (LLDP). A real access switch
# consumes LLDP; forwarding it is a convenience of the friendly profile only.
GROUP_FWD_MASK: dict[Profile, int] = {Profile.FRIENDLY: 0x4000, Profile.REALISTIC: 0x0}


class Firewall(StrEnum):
    """What a kind file's ``firewall:`` asks the infrastructure to install in the namespace."""

    NONE = "none"
    DROP_INBOUND = "drop-inbound"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _mac(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("a MAC address must be text, e.g. '70:10:5c:3a:11:01'")
    return normalize_mac(value)


class BridgeSpec(_Model):
    id: str
    subnet: IPv4Network

    @field_validator("id")
    @classmethod
    def _short_id(cls, value: str) -> str:
        if not BRIDGE_ID.match(value):
            raise ValueError(
                "bridge ids are 1-11 lowercase letters or digits, starting with a letter"
            )
        return value


class InterfaceSpec(_Model):
    """A persona's NIC: on a lab bridge, or plugged into a port of a switch persona.

    A plugged interface may leave ``bridge`` out: it is the switch's uplink bridge (its
    broadcast domain), filled in by ``load_topology``.
    """

    bridge: str = ""
    mac: str
    ip: IPv4Interface
    switch: str | None = None
    port: int | None = Field(default=None, ge=1, le=999)

    _check_mac = field_validator("mac", mode="before")(_mac)

    @model_validator(mode="after")
    def _placed(self) -> InterfaceSpec:
        if (self.switch is None) != (self.port is None):
            raise ValueError("'switch' and 'port' go together")
        if not self.bridge and self.switch is None:
            raise ValueError("an interface needs a 'bridge', or a 'switch' and a 'port'")
        return self


class SwitchSpec(_Model):
    """A managed switch persona: a real Linux bridge in its own namespace (docs/lab.md).

    Its one interface is the uplink to a lab bridge, plugged into port ``uplink``; its address
    sits on the bridge (an SVI). ``ageing_s``: the forwarding table's ageing time, short so
    tests see a departed MAC go within a minute (a real switch: 300 s).
    """

    ports: int = Field(default=24, ge=2, le=96)
    uplink: int = Field(default=24, ge=1, le=96)
    ageing_s: int = Field(default=30, ge=10, le=1_000_000)
    vlan: int = Field(default=1, ge=1, le=4094)

    @model_validator(mode="after")
    def _uplink_is_a_port(self) -> SwitchSpec:
        if self.uplink > self.ports:
            raise ValueError(f"uplink port {self.uplink} is beyond the {self.ports} ports")
        return self


class TechnicianSpec(_Model):
    bridge: str
    mac: str
    ip: IPv4Interface
    gateway: IPv4Address | None = None

    _check_mac = field_validator("mac", mode="before")(_mac)


class PersonaEntry(_Model):
    id: str
    kind: str
    forward: bool = False
    gateway: IPv4Address | None = None
    switch: SwitchSpec | None = None
    interfaces: list[InterfaceSpec] = Field(min_length=1, max_length=8)

    @field_validator("id")
    @classmethod
    def _short_id(cls, value: str) -> str:
        if not PERSONA_ID.match(value):
            raise ValueError("persona ids are 1-24 lowercase letters, digits or '-'")
        return value


class GeneratedSpec(_Model):
    bridge: str
    subnet: IPv4Network
    hosts: int = Field(ge=0, le=65_000)
    mac_prefix: str = "02:42:0a"
    gateway: IPv4Address | None = None

    @field_validator("mac_prefix", mode="before")
    @classmethod
    def _prefix(cls, value: object) -> str:
        if not isinstance(value, str) or not re.fullmatch(
            r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){0,3}", value
        ):
            raise ValueError("mac_prefix is 1 to 4 octets, e.g. '02:42:0a'")
        if int(value[:2], 16) & 1:
            raise ValueError("mac_prefix must be unicast (low bit of the first octet clear)")
        return value.lower()


class TopologyFile(_Model):
    format: int
    name: str
    bridges: list[BridgeSpec] = Field(min_length=1)
    technician: TechnicianSpec
    personas: list[PersonaEntry] = Field(default_factory=list)
    generated: list[GeneratedSpec] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _format_one(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only format 1 is known")
        return value


class Kind(_Model):
    """The part of a persona kind file the infrastructure applies, plus the whole file."""

    path: Path
    ttl: int = Field(default=64, ge=1, le=255)
    firewall: Firewall = Firewall.NONE
    data: dict[str, Any]


class SilentHost(_Model):
    """One host of a generated network: a namespace with an address and no process."""

    index: int
    bridge: str
    mac: str
    ip: IPv4Interface
    gateway: IPv4Address | None


class Persona(_Model):
    """A persona entry with its kind file loaded."""

    id: str
    kind: Kind
    forward: bool
    gateway: IPv4Address | None
    interfaces: list[InterfaceSpec]
    switch: SwitchSpec | None = None


class Topology(_Model):
    """A validated topology, kind files loaded, generated hosts expanded."""

    path: Path
    name: str
    bridges: list[BridgeSpec]
    technician: TechnicianSpec
    personas: list[Persona]
    silent_hosts: list[SilentHost]

    def persona(self, persona_id: str) -> Persona | None:
        return next((p for p in self.personas if p.id == persona_id), None)


def _read_yaml(path: Path, loader: type[yaml.BaseLoader] | type[yaml.SafeLoader]) -> Any:
    try:
        if path.is_dir():
            raise OSError("is a directory")
        raw = path.read_bytes()
        if len(raw) > MAX_FILE_BYTES:
            raise OSError(f"larger than {MAX_FILE_BYTES} bytes")
        return yaml.load(raw.decode("utf-8"), Loader=loader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        detail = str(error).replace("\n", " ")
        raise lab_error("topology_unreadable", path=str(path), error=detail) from None


def _problems(path: Path, error: ValidationError) -> LabError:
    lines = [
        text(
            "topology_invalid",
            path=str(path),
            where=".".join(str(part) for part in item["loc"]) or "(top)",
            error=item["msg"],
        )
        for item in error.errors()
    ]
    return LabError("\n".join(lines))


def _load_kind(topology_path: Path, entry: PersonaEntry) -> Kind:
    kind_path = (topology_path.parent / entry.kind).resolve()
    if not kind_path.is_file():
        raise lab_error(
            "kind_missing", path=str(topology_path), persona=entry.id, kind=str(kind_path)
        )
    data = _read_yaml(kind_path, yaml.SafeLoader)
    if not isinstance(data, dict):
        raise lab_error("kind_invalid", kind=str(kind_path), error="not a mapping")
    try:
        return Kind(
            path=kind_path,
            ttl=data.get("ttl", 64),
            firewall=data.get("firewall", "none"),
            data=data,
        )
    except ValidationError as error:
        first = error.errors()[0]
        detail = f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
        raise lab_error("kind_invalid", kind=str(kind_path), error=detail) from None


def _generated_hosts(
    spec: GeneratedSpec, taken: set[IPv4Address], start: int
) -> Iterator[SilentHost]:
    """Spread ``spec.hosts`` addresses evenly over the subnet, skipping taken ones."""
    first = int(spec.subnet.network_address) + 1
    usable = spec.subnet.num_addresses - 2
    if spec.hosts == 0:
        return
    step = max(1, usable // spec.hosts)
    prefix_octets = len(spec.mac_prefix.split(":"))
    suffix_bytes = 6 - prefix_octets
    offset = 0
    for n in range(spec.hosts):
        while True:
            address = IPv4Address(first + (n * step + offset) % usable)
            if address not in taken:
                break
            offset += 1
        taken.add(address)
        index = start + n
        suffix = (n + 1).to_bytes(suffix_bytes, "big")
        mac = spec.mac_prefix + "".join(f":{b:02x}" for b in suffix)
        yield SilentHost(
            index=index,
            bridge=spec.bridge,
            mac=mac,
            ip=IPv4Interface(f"{address}/{spec.subnet.prefixlen}"),
            gateway=spec.gateway,
        )


def _plug(raw: TopologyFile) -> tuple[TopologyFile, list[str]]:
    """Check switch ports and give every plugged interface its switch's uplink bridge."""
    switches = {p.id: p for p in raw.personas if p.switch is not None}
    problems = [
        f"{switch.id}: a switch has exactly one interface, on a lab bridge"
        for switch in switches.values()
        if len(switch.interfaces) != 1 or switch.interfaces[0].switch is not None
    ]
    taken: dict[tuple[str, int], str] = {}
    personas = []
    for persona in raw.personas:
        interfaces = []
        for n, iface in enumerate(persona.interfaces):
            label = f"{persona.id}.interfaces.{n}"
            if iface.switch is None or iface.port is None:
                interfaces.append(iface)
                continue
            owner = switches.get(iface.switch)
            if owner is None or owner.switch is None or not owner.interfaces:
                problems.append(f"{label}: {iface.switch!r} is not a switch persona")
                interfaces.append(iface)
                continue
            uplink = owner.interfaces[0].bridge
            if iface.bridge and iface.bridge != uplink:
                problems.append(
                    f"{label}: bridge {iface.bridge!r} is not {iface.switch}'s {uplink!r}"
                )
            if iface.port > owner.switch.ports or iface.port == owner.switch.uplink:
                problems.append(
                    f"{label}: port {iface.port} is not an access port of {iface.switch}"
                    f" (1-{owner.switch.ports}, uplink {owner.switch.uplink})"
                )
            key = (iface.switch, iface.port)
            if key in taken:
                problems.append(
                    f"{label}: {iface.switch} port {iface.port} already used by {taken[key]}"
                )
            taken[key] = persona.id
            interfaces.append(iface.model_copy(update={"bridge": uplink}))
        personas.append(persona.model_copy(update={"interfaces": interfaces}))
    return raw.model_copy(update={"personas": personas}), problems


def _cross_check(path: Path, raw: TopologyFile) -> list[str]:
    """Problems no single field shows: unknown bridges, duplicates, addresses off their subnet."""
    problems: list[str] = []
    subnets = {b.id: b.subnet for b in raw.bridges}
    if len(subnets) != len(raw.bridges):
        problems.append("bridges: duplicate bridge id")

    def where(label: str, bridge: str, ip: IPv4Interface | None) -> None:
        if bridge not in subnets:
            problems.append(f"{label}: unknown bridge {bridge!r}")
        elif ip is not None and ip.ip not in subnets[bridge]:
            problems.append(f"{label}: {ip.ip} is outside {bridge} ({subnets[bridge]})")

    where("technician", raw.technician.bridge, raw.technician.ip)
    macs: dict[str, str] = {raw.technician.mac: "technician"}
    ips: dict[IPv4Address, str] = {raw.technician.ip.ip: "technician"}
    ids: set[str] = set()
    for persona in raw.personas:
        if persona.id in ids:
            problems.append(f"personas: duplicate id {persona.id!r}")
        ids.add(persona.id)
        own = [i.ip.network for i in persona.interfaces]
        if persona.gateway is not None and not any(persona.gateway in net for net in own):
            problems.append(f"{persona.id}: gateway {persona.gateway} is on none of its subnets")
        for n, iface in enumerate(persona.interfaces):
            label = f"{persona.id}.interfaces.{n}"
            where(label, iface.bridge, iface.ip)
            if iface.mac in macs:
                problems.append(f"{label}: MAC {iface.mac} already used by {macs[iface.mac]}")
            macs[iface.mac] = persona.id
            if iface.ip.ip in ips:
                problems.append(f"{label}: IP {iface.ip.ip} already used by {ips[iface.ip.ip]}")
            ips[iface.ip.ip] = persona.id
    for n, gen in enumerate(raw.generated):
        where(f"generated.{n}", gen.bridge, None)
        if gen.bridge in subnets and gen.subnet != subnets[gen.bridge]:
            problems.append(f"generated.{n}: subnet {gen.subnet} differs from {gen.bridge}'s")
        if gen.hosts > gen.subnet.num_addresses - 2 - len(ips):
            problems.append(f"generated.{n}: {gen.hosts} hosts do not fit in {gen.subnet}")
    return [text("topology_problem", path=str(path), error=p) for p in problems]


def load_topology(path: str | Path, hosts: int | None = None) -> Topology:
    """Read and validate a topology file; ``hosts`` overrides every generated network's size."""
    path = Path(path).resolve()
    data = _read_yaml(path, yaml.BaseLoader)
    if not isinstance(data, dict):
        raise lab_error("topology_unreadable", path=str(path), error="not a mapping")
    if hosts is not None:
        for gen in data.get("generated") or []:
            if isinstance(gen, dict):
                gen["hosts"] = str(hosts)
    for key in ("personas", "generated"):
        if data.get(key) == "":  # `generated:` with nothing after it
            data[key] = []
    try:
        raw = TopologyFile.model_validate(data)
    except ValidationError as error:
        raise _problems(path, error) from None
    raw, plugged = _plug(raw)
    problems = [text("topology_problem", path=str(path), error=p) for p in plugged]
    problems += _cross_check(path, raw)
    if problems:
        raise LabError("\n".join(problems))
    missing = [
        text(
            "kind_missing", path=str(path), persona=p.id, kind=str((path.parent / p.kind).resolve())
        )
        for p in raw.personas
        if not (path.parent / p.kind).resolve().is_file()
    ]
    if missing:
        raise LabError("\n".join(missing))
    kinds: dict[str, Kind] = {}
    personas = []
    for entry in raw.personas:
        if entry.kind not in kinds:
            kinds[entry.kind] = _load_kind(path, entry)
        personas.append(
            Persona(
                id=entry.id,
                kind=kinds[entry.kind],
                forward=entry.forward,
                gateway=entry.gateway,
                interfaces=entry.interfaces,
                switch=entry.switch,
            )
        )
    taken = {raw.technician.ip.ip} | {i.ip.ip for p in raw.personas for i in p.interfaces}
    taken |= {ipaddress.IPv4Address(str(g.gateway)) for g in raw.generated if g.gateway}
    silent: list[SilentHost] = []
    for gen in raw.generated:
        silent.extend(_generated_hosts(gen, taken, len(silent)))
    return Topology(
        path=path,
        name=raw.name,
        bridges=raw.bridges,
        technician=raw.technician,
        personas=personas,
        silent_hosts=silent,
    )

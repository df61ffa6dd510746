"""Shared data models of the discovery pipeline: observations, devices, source outcomes, snapshots.

The contract's own models live in ``scopeaudit.contract``; audit results arrive with the
reconciliation. Everything here serialises to the ``scopeaudit.snapshot/1`` JSON (DESIGN §6).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from scopeaudit.taxonomy import Category, FormFactor, Role, Source

SNAPSHOT_SCHEMA = "scopeaudit.snapshot/1"

JsonScalar = str | int | float | bool | None


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Frozen(BaseModel):
    """Base of the immutable models: unknown fields are an error, instances are hashable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ObservationKind(StrEnum):
    """What one observation says. ``data`` keys per kind are documented in docs/json.md."""

    ADDRESS = "address"  # mac had ip (ARP reply, neighbour cache, router table, lease)
    PORT = "port"  # data: port, proto, state, service?, banner?
    BANNER = "banner"  # data: port, proto, protocol (ssh|http|tls|rtsp|sip|ftp|telnet), fields
    HOSTNAME = "hostname"  # data: name, origin (dhcp|mdns|nbns|llmnr|ptr|snmp|lldp|cdp|import)
    MDNS_SERVICE = "mdns_service"  # data: type, instance, port?, txt {k: v}, host?
    DHCP = "dhcp"  # data: message_type, options_order, prl, vendor_class, hostname, client_id
    SSDP = "ssdp"  # data: server, location, st/nt, usn, description {deviceType, ...}
    LLDP = "lldp"  # data: chassis_id, port_id, system_name, system_description, caps, ...
    CDP = "cdp"  # data: device_id, platform, software, capabilities, addresses, port_id
    NBNS = "nbns"  # data: names [{name, suffix, group}], mac?
    LLMNR = "llmnr"  # data: name
    SNMP_SYSTEM = "snmp_system"  # data: sysDescr, sysObjectID, sysName, sysServices, ...
    TTL = "ttl"  # data: ttl (as received), initial (rounded up 32/64/128/255)
    OS_GUESS = "os_guess"  # data: name, accuracy, classes [{type, vendor, osfamily}]
    INTERFACE = "interface"  # the scanner's own interface (host source); data: name, cidr
    INVENTORY = "inventory"  # imported inventory row (GLPI, OCS, lease file); data: fields
    SNMP_NEIGHBOR = "snmp_neighbor"  # a router's ARP row: ip, mac, if_index, if_name, reporter_ip
    SNMP_FDB = "snmp_fdb"  # a switch's FDB row: mac, port, if_name, vlan, fid, status, uplink
    SNMP_LLDP = "snmp_lldp"  # a remote LLDP neighbour in a device's lldpRemTable


class Observation(Frozen):
    """One fact from one source at one time from one vantage point (DESIGN §5)."""

    source: Source
    kind: ObservationKind
    time: datetime
    vantage: str = Field(description="Where it was seen from: interface, host or imported file.")
    mac: str | None = Field(default=None, description="Normalized lower-case colon MAC.")
    ip: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Reason(Frozen):
    """Why something was decided: programs read ``code``/``params``; only ``text`` is translated."""

    code: str
    params: dict[str, JsonScalar] = Field(default_factory=dict)
    text: str = ""


class SwitchPort(Frozen):
    """Where a device is plugged: the switch port its MAC was learned on (an SNMP FDB row)."""

    switch_ip: str
    switch_name: str | None = None
    port: int = Field(description="BRIDGE-MIB port number.")
    if_name: str | None = None
    vlan: int | None = None
    seen_at: datetime | None = None


class Device(BaseModel):
    """A device built from observations (DESIGN §5, §6 device fields)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    macs: list[str] = Field(default_factory=list)
    ips: list[str] = Field(default_factory=list)
    hostnames: list[str] = Field(default_factory=list)
    vendor: str | None = None
    model: str | None = None
    os: str | None = None
    category: Category = Category.UNKNOWN
    confidence: float = 0.0
    reasons: list[Reason] = Field(default_factory=list)
    randomized_mac: bool = False
    form_factor: FormFactor | None = None
    virtual: bool | None = None
    role: Role | None = None
    parent_id: str | None = None
    policy: str | None = None
    scanner: bool = Field(default=False, description="This device is the scanning machine.")
    proxy_arp: bool = Field(default=False, description="One IP answered for many MACs.")
    switch_port: SwitchPort | None = Field(
        default=None, description="The access port its MAC was last learned on (SNMP FDB)."
    )
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    evidence: list[int] = Field(
        default_factory=list, description="Indexes into the snapshot's observations."
    )

    @model_serializer(mode="wrap")
    def _without_empty_port(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation: pydantic then keeps the model's own JSON Schema.
        # Written only when known, so snapshots and results made before the field existed keep
        # their canonical JSON, hence their fingerprints.
        dumped: dict[str, Any] = handler(self)
        if dumped.get("switch_port") is None:
            dumped.pop("switch_port", None)
        return dumped


class SourceOutcome(Frozen):
    """How one source ran: a failure is data, never an abort (DESIGN §3)."""

    name: Source
    ok: bool
    error: str | None = None
    duration_s: float = 0.0
    detail: dict[str, JsonScalar] = Field(default_factory=dict)


class ProbeRecord(Frozen):
    """One line of the probe log: what was sent where, when, how fast."""

    source: Source
    action: str
    targets: str
    started_at: datetime
    count: int = 0
    rate_pps: float | None = None
    detail: str = ""


class ScopeSummary(Frozen):
    """The scope a snapshot was taken under."""

    networks: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    contract_reference: str | None = None


class DataVersion(Frozen):
    """A data file the result depends on, with its origin and date."""

    name: str
    source: str
    date: str | None = None
    entries: int | None = None


class Snapshot(BaseModel):
    """Everything one scan saw, kept raw so it can be reconciled again later."""

    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(default=SNAPSHOT_SCHEMA, alias="schema")
    tool_version: str
    started_at: datetime
    finished_at: datetime
    scope: ScopeSummary = Field(default_factory=ScopeSummary)
    sources: list[SourceOutcome] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    probe_log: list[ProbeRecord] = Field(default_factory=list)
    data_versions: list[DataVersion] = Field(default_factory=list)
    dropped: dict[str, int] = Field(
        default_factory=dict, description="Out-of-scope frames heard and dropped, by reason."
    )
    fingerprint: str | None = None

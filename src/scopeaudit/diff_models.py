"""Models of a diff between two runs: the ``scopeaudit.diff/1`` JSON (DESIGN §6, issue 7).

Devices are paired by identity (``scopeaudit.diff``), never by IP, so an address change is a
``changed`` entry and not a device gone plus a device new. Scope status changes compare the
findings of two audits: per equipment item for declared things, per (paired) device for
unexpected ones. Other tools read this JSON: names are only ever added, never renamed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from scopeaudit.taxonomy import Category, Status

DIFF_SCHEMA = "scopeaudit.diff/1"


class Model(BaseModel):
    """Base of the diff models: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class SideKind(StrEnum):
    """What one side of a diff was read from."""

    SNAPSHOT = "snapshot"
    AUDIT = "audit"


class Side(Model):
    """One side of the diff: which run or file, its fingerprint and times."""

    kind: SideKind
    run_id: str | None = Field(default=None, description="The store's run id, when from a store.")
    path: str | None = Field(default=None, description="The file, when read from a file.")
    fingerprint: str | None = Field(default=None, description="The snapshot's fingerprint.")
    contract_reference: str | None = None
    contract_sha256: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    devices: int = 0


class DeviceField(StrEnum):
    """The device fields a change is reported on (closed set)."""

    IPS = "ips"
    NAMES = "names"
    MACS = "macs"
    CATEGORY = "category"
    OPEN_PORTS = "open_ports"
    VENDOR = "vendor"


class FieldChange(Model):
    """One field of a device that differs: lists are sorted; category and vendor are text."""

    field: DeviceField
    before: list[str] | str | None = None
    after: list[str] | str | None = None
    added: list[str] = Field(default_factory=list, description="For list fields: now present.")
    removed: list[str] = Field(default_factory=list, description="For list fields: now absent.")


class DeviceRef(Model):
    """A device as the diff shows it (the side it was seen on)."""

    id: str
    macs: list[str] = Field(default_factory=list)
    ips: list[str] = Field(default_factory=list)
    hostnames: list[str] = Field(default_factory=list)
    vendor: str | None = None
    category: Category = Category.UNKNOWN
    randomized_mac: bool = False


class DeviceChange(Model):
    """A device seen in both runs with at least one field changed."""

    before_id: str
    after_id: str
    matched_by: str = Field(description="id, serial, mac, client_id or name: what paired them.")
    device: DeviceRef = Field(description="The device as seen in the later run.")
    changes: list[FieldChange] = Field(default_factory=list)


class ScopeKind(StrEnum):
    """Whether a scope status change is about a declared item or an undeclared device."""

    EQUIPMENT = "equipment"
    DEVICE = "device"


class ScopeChange(Model):
    """The scope status of one equipment item or device, before and after (null: no finding)."""

    kind: ScopeKind
    equipment_id: str | None = None
    device_id: str | None = Field(default=None, description="The later run's id, else earlier.")
    category: Category
    name: str | None = Field(default=None, description="The item's name or the device's name.")
    before: Status | None = None
    after: Status | None = None
    before_provisional: bool = False
    after_provisional: bool = False


class DiffSummary(Model):
    """Counts of each list of the diff."""

    new: int = 0
    gone: int = 0
    changed: int = 0
    unchanged: int = 0
    newly_unexpected: int = 0
    newly_missing: int = 0
    resolved: int = 0
    status_changed: int = 0


class DeviceDiff(Model):
    """Devices paired by identity: only in the later run, only in the earlier, or changed."""

    new: list[DeviceRef] = Field(default_factory=list)
    gone: list[DeviceRef] = Field(default_factory=list)
    changed: list[DeviceChange] = Field(default_factory=list)


class ScopeDiff(Model):
    """Scope status changes between two audits (empty when a side is a bare snapshot)."""

    newly_unexpected: list[ScopeChange] = Field(default_factory=list)
    newly_missing: list[ScopeChange] = Field(
        default_factory=list, description="Missing now (provisional or not), not before."
    )
    resolved: list[ScopeChange] = Field(
        default_factory=list,
        description="Drift before (unexpected, missing, mismatch, ambiguous), none now.",
    )
    status_changed: list[ScopeChange] = Field(
        default_factory=list, description="Every other change of status or provisional flag."
    )


class RunDiff(Model):
    """What changed between two runs (``from`` earlier, ``to`` later)."""

    schema_: str = Field(default=DIFF_SCHEMA, alias="schema")
    tool_version: str
    from_: Side = Field(alias="from")
    to: Side
    devices: DeviceDiff = Field(default_factory=DeviceDiff)
    scope: ScopeDiff = Field(default_factory=ScopeDiff)
    scope_compared: bool = Field(
        default=False, description="True when both sides are audits, so scope was compared."
    )
    summary: DiffSummary = Field(default_factory=DiffSummary)
    changed: bool = Field(default=False, description="True when any list above is not empty.")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

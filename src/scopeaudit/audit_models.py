"""Models of an audit result: the ``scopeaudit.audit/1`` JSON (DESIGN §6).

Other tools read this JSON, so the names DESIGN §6 gives are stable; fields are only ever added.
Money is ``Decimal`` in memory and written as a JSON number rounded half-up to the cent. Every
renderer (terminal, JSON, CSV, Markdown, HTML, PDF, amendment) reads an ``AuditResult`` only:
whatever a report shows about the contract (parties, billing) is copied in here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PrivateAttr

from scopeaudit.models import (
    DataVersion,
    Device,
    Observation,
    ProbeRecord,
    Reason,
    SourceOutcome,
)
from scopeaudit.taxonomy import Category, Language, Source, Status

AUDIT_SCHEMA = "scopeaudit.audit/1"
CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round half-up to the cent (the one rounding rule of every amount)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money_json(value: Decimal) -> float:
    # A JSON number, not a string: spreadsheets and jq read it as-is. Two decimals survive float.
    return float(money(value))


Money = Annotated[Decimal, PlainSerializer(_money_json, return_type=float, when_used="json")]
# A percentage (VAT): a JSON number too, never a string.
Rate = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class Model(BaseModel):
    """Base of the audit models: unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")


class Party(Model):
    """A party of the contract, as the amendment names it."""

    name: str | None = None
    registration: str | None = None
    address: str | None = None
    representative: str | None = None


class Billing(Model):
    """The contract's billing terms that the money of the audit depends on."""

    currency: str | None = None
    period: str | None = Field(default=None, description="monthly, quarterly or yearly.")
    base_fee: Money | None = None
    vat_rate: Rate | None = Field(default=None, description="Percent, e.g. 20.")
    unit_prices: dict[Category, Money] = Field(default_factory=dict)


class SiteRef(Model):
    """A site of the contract."""

    id: str
    name: str | None = None


class ContractRef(Model):
    """Which contract was audited (reference, sha256, path), plus what the reports quote."""

    reference: str
    sha256: str
    path: str | None = None
    title: str | None = None
    language: Language | None = None
    client: Party | None = None
    provider: Party | None = None
    signed_on: date | None = None
    effective_on: date | None = None
    billing: Billing = Field(default_factory=Billing)
    sites: list[SiteRef] = Field(default_factory=list)
    declared: int = Field(default=0, description="Number of declared equipment items.")
    current_fee: Money | None = Field(
        default=None, description="Base fee + unit prices of the declared items, excl. tax."
    )


class SnapshotRef(Model):
    """Which snapshot(s) were reconciled: the fingerprint, and each input when merged."""

    fingerprint: str | None = None
    inputs: list[str] = Field(
        default_factory=list, description="Fingerprints of the merged snapshots (one when single)."
    )
    tool_version: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class Coverage(Model):
    """One network of the contract: which methods reached it, can an absence be asserted."""

    cidr: str
    site: str
    name: str | None = None
    methods: list[Source] = Field(default_factory=list)
    verifiable: bool = False


class DeclaredItem(Model):
    """The declared equipment item a finding is about (copied from the contract)."""

    id: str
    category: Category
    name: str | None = None
    hostname: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    macs: list[str] = Field(default_factory=list)
    ip: str | None = None
    site: str | None = None
    criticality: str = "normal"


class Candidate(Model):
    """One possible pairing of an ambiguous finding, and the identifier that suggested it."""

    equipment_id: str
    device_id: str
    identifier: str = Field(description="serial, mac, hostname or ip.")


class Finding(Model):
    """One reconciliation result (DESIGN §6)."""

    status: Status
    equipment_id: str | None = None
    device_id: str | None = None
    candidates: list[Candidate] = Field(default_factory=list)
    category: Category = Field(description="The declared category, else the observed one.")
    observed_category: Category | None = None
    details: list[Reason] = Field(default_factory=list)
    provisional: bool = False
    fee_delta: Money | None = Field(
        default=None, description="Per billing period, excl. tax; null when unpriced."
    )
    unit_price: Money | None = Field(
        default=None, description="The unit price of ``category`` (null when unpriced)."
    )
    site: str | None = None
    criticality: str | None = None
    intervention_delay: str | None = Field(
        default=None, description="The contract's delay for this criticality, e.g. 4h."
    )
    policy: str | None = Field(default=None, description="The policy that matched, if any.")
    decision: str | None = Field(
        default=None, description="accept or pending_amendment when a decision applied."
    )
    pending_amendment: bool = False
    declared: DeclaredItem | None = None


class SiteSummary(Model):
    """Counts and money of one site."""

    by_status: dict[Status, int] = Field(default_factory=dict)
    fee_delta: Money = Decimal(0)


class CategorySummary(Model):
    """Declared vs found for one category (the chart of the HTML report)."""

    declared: int = 0
    found: int = Field(default=0, description="Devices seen and counted in this category.")
    by_status: dict[Status, int] = Field(default_factory=dict)
    fee_delta: Money = Decimal(0)


class Summary(Model):
    """Totals of an audit (DESIGN §6)."""

    by_status: dict[Status, int] = Field(default_factory=dict)
    by_category: dict[Category, CategorySummary] = Field(default_factory=dict)
    by_site: dict[str, SiteSummary] = Field(default_factory=dict)
    coverage_rate: float | None = Field(
        default=None, description="(matched + mismatch) / (declared - not_verifiable)."
    )
    fee_delta_total: Money = Decimal(0)
    fee_delta_total_incl_vat: Money | None = None
    new_fee: Money | None = Field(default=None, description="current_fee + fee_delta_total.")
    new_fee_incl_vat: Money | None = None
    currency: str | None = None
    period: str | None = None
    unpriced: list[Category] = Field(
        default_factory=list, description="Categories without a unit price that had findings."
    )
    provisional: int = 0
    ignored: int = Field(default=0, description="Devices left out by an ignore decision.")
    out_of_scope: int = Field(default=0, description="Devices left out by an out_of_scope policy.")
    drift: bool = False


class AuditResult(Model):
    """The whole result of one audit: what every renderer reads."""

    schema_: str = Field(default=AUDIT_SCHEMA, alias="schema")
    tool_version: str
    language: Language = Language.EN
    contract: ContractRef
    snapshot: SnapshotRef
    started_at: datetime
    finished_at: datetime
    sources: list[SourceOutcome] = Field(default_factory=list)
    coverage: list[Coverage] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    summary: Summary = Field(default_factory=Summary)
    recheck: list[ProbeRecord] = Field(
        default_factory=list, description="The targeted re-check before calling items missing."
    )
    probe_log: list[ProbeRecord] = Field(default_factory=list)
    data_versions: list[DataVersion] = Field(default_factory=list)
    observations: list[Observation] = Field(
        default_factory=list, description="Raw observations; device.evidence indexes into them."
    )

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _by_id: dict[str, Device] = PrivateAttr(default_factory=dict)

    def device(self, device_id: str | None) -> Device | None:
        """The device of that id, or None (indexed once: reports look up every finding's)."""
        if device_id is None:
            return None
        if len(self._by_id) != len(self.devices):
            self._by_id = {d.id: d for d in self.devices}
        return self._by_id.get(device_id)

    def evidence(self, device: Device) -> list[Observation]:
        """The observations that built a device."""
        return [self.observations[i] for i in device.evidence if 0 <= i < len(self.observations)]

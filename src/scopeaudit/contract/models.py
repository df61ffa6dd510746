"""The contract's pydantic models (format 1): one model per section, unknown keys forbidden.

Values arrive as the YAML source text (see ``yamltree``); numbers, dates and booleans are
converted here, explicitly, and identifiers (MACs, serials, ids, hostnames) stay text. Validators
raise ``PydanticCustomError`` whose type is a message code of ``messages.ERRORS``, so the loader
can say what is wrong in the user's language. Clauses of the checklist are optional here: a
missing clause is a finding of the clause check, not a validation error (DESIGN §4).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from scopeaudit.macaddr import normalize_mac
from scopeaudit.taxonomy import Category, FormFactor, Language

FORMAT_VERSION = 1


class Renewal(StrEnum):
    TACIT = "tacit"
    EXPLICIT = "explicit"
    NONE = "none"


class Period(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


class Treatment(StrEnum):
    """How a policy treats the undeclared devices it matches (DESIGN §4)."""

    TOLERATED = "tolerated"
    OUT_OF_SCOPE = "out_of_scope"
    COVERED = "covered"


class Criticality(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"


def _got(value: object) -> str:
    return repr(value) if isinstance(value, str) else type(value).__name__


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank_text", "must not be empty")
    return value


def _mac(value: str) -> str:
    try:
        return normalize_mac(value)
    except ValueError:
        raise PydanticCustomError("mac", "not a MAC address", {"got": _got(value)}) from None


_PREFIX = re.compile(r"^[0-9a-f]{2}(?:[:\-.]?[0-9a-f]{2}){0,4}$")


def _mac_prefix(value: str) -> str:
    text = value.strip().lower()
    if not _PREFIX.match(text):
        raise PydanticCustomError("mac_prefix", "not a MAC prefix", {"got": _got(value)})
    digits = re.sub(r"[:\-.]", "", text)
    return ":".join(digits[i : i + 2] for i in range(0, len(digits), 2))


def _ipv4(value: object) -> object:
    if not isinstance(value, str):
        return value
    try:
        return IPv4Address(value.strip())
    except ValueError:
        raise PydanticCustomError("ipv4", "not an IPv4 address", {"got": _got(value)}) from None


def _cidr(value: object) -> object:
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        return IPv4Network(text if "/" in text else text + "/32")
    except ValueError:
        pass
    try:
        loose = IPv4Network(text, strict=False)
    except ValueError:
        raise PydanticCustomError("cidr", "not an IPv4 network", {"got": _got(value)}) from None
    raise PydanticCustomError(
        "cidr_host_bits", "host bits set", {"got": _got(value), "network": str(loose)}
    )


_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNIT = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
_UNIT["w"] = timedelta(weeks=1)


def _duration(value: object) -> object:
    match = _DURATION.match(value) if isinstance(value, str) else None
    if match is None:
        raise PydanticCustomError("duration", "not a duration", {"got": _got(value)})
    return int(match.group(1)) * _UNIT[match.group(2)]


def format_duration(value: timedelta) -> str:
    """The compact source form of a duration (``4h``, ``2d``, ``30m``, ``1w``)."""
    minutes = int(value.total_seconds() // 60)
    for unit, size in (("w", 7 * 24 * 60), ("d", 24 * 60), ("h", 60)):
        if minutes and minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


_DECLARABLE = [c.value for c in Category if c is not Category.UNKNOWN]


def _declarable(value: object) -> object:
    """A category a contract may declare: any of the taxonomy but ``unknown``."""
    if not isinstance(value, str) or value in _DECLARABLE:
        return value
    expected = ", ".join(_DECLARABLE)
    code = "category_unknown" if value == Category.UNKNOWN.value else "category"
    raise PydanticCustomError(code, "not a declarable category", {"expected": expected})


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD``: no timestamps, no times, no other layouts."""
    if not isinstance(value, str):
        return value
    try:
        if _ISO_DATE.match(value.strip()):
            return date.fromisoformat(value.strip())
    except ValueError:
        pass
    raise PydanticCustomError("date", "not an ISO date", {"got": _got(value)})


_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _currency(value: str) -> str:
    if not _CURRENCY.match(value.strip()):
        raise PydanticCustomError("currency", "not a currency", {"got": _got(value)})
    return value.strip()


def _format_version(value: object) -> object:
    if str(value).strip() != str(FORMAT_VERSION):
        raise PydanticCustomError("format_version", "unsupported", {"got": _got(value)})
    return FORMAT_VERSION


def _as_list(value: object) -> object:
    """A lone scalar where a list is expected is taken as a one-item list; nothing as empty."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


def _presence_key(value: str) -> str:
    if value != "default" and value not in {c.value for c in Category}:
        raise PydanticCustomError("presence_key", "bad presence key", {"got": _got(value)})
    return value


Text = Annotated[str, AfterValidator(_not_blank)]
Mac = Annotated[str, AfterValidator(_mac)]
MacPrefix = Annotated[str, AfterValidator(_mac_prefix)]
IPv4 = Annotated[IPv4Address, BeforeValidator(_ipv4)]
Cidr = Annotated[IPv4Network, BeforeValidator(_cidr)]
Duration = Annotated[timedelta, BeforeValidator(_duration)]
DeclaredCategory = Annotated[Category, BeforeValidator(_declarable)]
Money = Annotated[Decimal, Field(ge=0)]
Currency = Annotated[str, AfterValidator(_currency)]
PresenceKey = Annotated[str, AfterValidator(_presence_key)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]


class Section(BaseModel):
    """Base of every section: unknown keys are errors (reported with a suggestion)."""

    model_config = ConfigDict(extra="forbid")


class Party(Section):
    name: str | None = None
    registration: str | None = None
    address: str | None = None
    representative: str | None = None
    email: str | None = None
    phone: str | None = None


class Parties(Section):
    client: Party | None = None
    provider: Party | None = None


class Term(Section):
    duration_months: Annotated[int, Field(ge=1)] | None = None
    renewal: Renewal | None = None
    notice_months: Annotated[int, Field(ge=0)] | None = None
    termination: str | None = None


class Billing(Section):
    currency: Currency | None = None
    period: Period | None = None
    payment_terms_days: Annotated[int, Field(ge=0)] | None = None
    price_revision: str | None = None
    base_fee: Money | None = None
    unit_prices: dict[DeclaredCategory, Money] | None = None
    vat_rate: Annotated[Decimal, Field(ge=0, le=100)] | None = None


class Responsibilities(Section):
    provider: str | None = None
    client: str | None = None


class InterventionDelay(Section):
    critical: Duration | None = None
    high: Duration | None = None
    normal: Duration | None = None


class ContactPerson(Section):
    name: Text
    role: str | None = None
    phone: str | None = None
    email: str | None = None


class ServiceLevels(Section):
    hours: str | None = None
    intervention_delay: InterventionDelay | None = None
    contacts: list[ContactPerson] | None = None


class Hotline(Section):
    availability: str | None = None
    scope: str | None = None
    pricing: str | None = None


class Reversibility(Section):
    restitution_delay_days: Annotated[int, Field(ge=0)] | None = None
    formats: list[str] | None = None
    terms: str | None = None


class Clauses(Section):
    """The ``contract:`` section: the reference and the clauses of the checklist."""

    reference: Text
    title: str | None = None
    parties: Parties | None = None
    signed_on: IsoDate | None = None
    effective_on: IsoDate | None = None
    term: Term | None = None
    billing: Billing | None = None
    responsibilities: Responsibilities | None = None
    missions: list[str] | None = None
    service_levels: ServiceLevels | None = None
    hotline: Hotline | None = None
    confidentiality: str | None = None
    data_security: str | None = None
    reversibility: Reversibility | None = None
    client_obligations: str | None = None


class Site(Section):
    id: Text
    name: str | None = None
    address: str | None = None


class Network(Section):
    """A network the audit may probe, and the site it belongs to."""

    cidr: Cidr
    site: Text
    name: str | None = None


class Exclusion(Section):
    """A range never probed, even inside a network."""

    cidr: Cidr
    reason: str | None = None


class PolicyMatch(Section):
    """What an undeclared device must show for a policy to apply (every given key must match)."""

    category: Category | None = None
    randomized_mac: bool | None = None
    vendor: str | None = None
    cidr: Cidr | None = None
    mac_prefix: MacPrefix | None = None
    hostname: str | None = None  # a glob, matched case-insensitively


class Policy(Section):
    """A class-level clause for undeclared devices; the first matching policy wins."""

    id: Text
    match: PolicyMatch
    treatment: Treatment
    limit: Annotated[int, Field(ge=1)] | None = None
    reason: str | None = None


class PresenceRule(Section):
    """How long a declared device may stay unseen before it is reported missing (reserved)."""

    runs: Annotated[int, Field(ge=1)] | None = None
    days: Annotated[int, Field(ge=1)] | None = None


class Scope(Section):
    sites: Annotated[list[Site], BeforeValidator(_as_list)] = Field(default_factory=list)
    networks: Annotated[list[Network], Field(min_length=1)]
    exclude: Annotated[list[Exclusion], BeforeValidator(_as_list)] = Field(default_factory=list)
    policies: Annotated[list[Policy], BeforeValidator(_as_list)] = Field(default_factory=list)
    presence: dict[PresenceKey, PresenceRule] | None = None


class EquipmentItem(Section):
    """One covered device of the declared perimeter."""

    id: Text
    category: DeclaredCategory
    name: str | None = None
    hostname: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial: str | None = None
    mac: Annotated[list[Mac], BeforeValidator(_as_list)] = Field(default_factory=list)
    ip: IPv4 | None = None
    site: str | None = None
    criticality: Criticality = Criticality.NORMAL
    form_factor: FormFactor | None = None
    notes: str | None = None

    def identifiers(self) -> list[str]:
        """The identifier kinds this item declares, strongest first."""
        kinds: list[tuple[str, object]] = [
            ("serial", self.serial),
            ("mac", self.mac),
            ("hostname", self.hostname),
            ("ip", self.ip),
        ]
        return [name for name, value in kinds if value]


class Contract(Section):
    """A whole contract file (format 1)."""

    format: Annotated[int, BeforeValidator(_format_version)]
    language: Language | None = None
    contract: Clauses
    scope: Scope
    equipment: Annotated[list[EquipmentItem], BeforeValidator(_as_list)]

    @property
    def reference(self) -> str:
        return self.contract.reference

    def dump(self) -> dict[str, Any]:
        """JSON-ready dict of the contract, as validated."""
        return self.model_dump(mode="json")

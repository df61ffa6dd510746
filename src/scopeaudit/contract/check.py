"""What ``contract check`` computes from a valid contract: clause findings, warnings, perimeter
counts, the fee of the declared perimeter, and the allowed networks.

Everything here is pure: it takes a ``Contract`` and returns data; rendering lives in ``render``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from ipaddress import IPv4Network, collapse_addresses
from typing import Any

from pydantic import BaseModel

from scopeaudit.contract.messages import WARNINGS, text
from scopeaudit.contract.models import Clauses, Contract, Period
from scopeaudit.taxonomy import Category, Language

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round half-up to the cent (DESIGN §6)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def is_empty(value: Any) -> bool:
    """None, blank text, an empty list or mapping, or a section whose every field is empty."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return all(is_empty(v) for v in (value.values() if isinstance(value, dict) else value))
    if isinstance(value, BaseModel):
        return all(is_empty(getattr(value, name)) for name in type(value).model_fields)
    return False


def _get(*names: str) -> Callable[[Clauses], Any]:
    def getter(clauses: Clauses) -> Any:
        value: Any = clauses
        for name in names:
            value = getattr(value, name, None) if value is not None else None
        return value

    return getter


def _party(role: str) -> Callable[[Clauses], Any]:
    # a party without a name is not a party, whatever else it says
    return lambda c: getattr(getattr(c.parties, role, None), "name", None) if c.parties else None


# The checklist (DESIGN §4), in the order of the contract: code -> where the value lives.
CHECKLIST: dict[str, Callable[[Clauses], Any]] = {
    "parties.client": _party("client"),
    "parties.provider": _party("provider"),
    "signed_on": _get("signed_on"),
    "effective_on": _get("effective_on"),
    "term.duration_months": _get("term", "duration_months"),
    "term.renewal": _get("term", "renewal"),
    "term.notice_months": _get("term", "notice_months"),
    "term.termination": _get("term", "termination"),
    "billing.currency": _get("billing", "currency"),
    "billing.period": _get("billing", "period"),
    "billing.payment_terms_days": _get("billing", "payment_terms_days"),
    "billing.price_revision": _get("billing", "price_revision"),
    "billing.base_fee": _get("billing", "base_fee"),
    "billing.unit_prices": _get("billing", "unit_prices"),
    "responsibilities": _get("responsibilities"),
    "missions": _get("missions"),
    "service_levels.hours": _get("service_levels", "hours"),
    "service_levels.intervention_delay.critical": _get(
        "service_levels", "intervention_delay", "critical"
    ),
    "service_levels.intervention_delay.high": _get("service_levels", "intervention_delay", "high"),
    "service_levels.intervention_delay.normal": _get(
        "service_levels", "intervention_delay", "normal"
    ),
    "service_levels.contacts": _get("service_levels", "contacts"),
    "hotline.availability": _get("hotline", "availability"),
    "hotline.scope": _get("hotline", "scope"),
    "hotline.pricing": _get("hotline", "pricing"),
    "confidentiality": _get("confidentiality"),
    "data_security": _get("data_security"),
    "reversibility": _get("reversibility"),
    "client_obligations": _get("client_obligations"),
}


def missing_clauses(contract: Contract) -> list[str]:
    """Codes of the checklist's clauses that are missing or empty, in checklist order."""
    return [code for code, getter in CHECKLIST.items() if is_empty(getter(contract.contract))]


@dataclass(frozen=True)
class ContractWarning:
    """A warning about a valid contract: ``code`` and ``params`` for programs, text for people."""

    code: str
    params: dict[str, str]

    def text(self, lang: Language) -> str:
        return text(WARNINGS, self.code, lang, **self.params)


def allowed_networks(contract: Contract) -> list[IPv4Network]:
    """The contract's networks minus its exclusions, as a sorted list of disjoint CIDRs."""
    result: list[IPv4Network] = []
    holes = [e.cidr for e in contract.scope.exclude]
    for network in collapse_addresses(n.cidr for n in contract.scope.networks):
        pieces = [network]
        for hole in holes:
            next_pieces: list[IPv4Network] = []
            for piece in pieces:
                if hole.subnet_of(piece):
                    next_pieces.extend(piece.address_exclude(hole))
                elif not piece.subnet_of(hole):
                    next_pieces.append(piece)
            pieces = next_pieces
        result.extend(pieces)
    return sorted(collapse_addresses(result))


def unit_prices(contract: Contract) -> dict[Category, Decimal]:
    """Fee per covered device per billing period, by category (only the priced ones)."""
    billing = contract.contract.billing
    return dict(billing.unit_prices or {}) if billing else {}


def warnings(contract: Contract) -> list[ContractWarning]:
    """Every warning of DESIGN §4, in file order then by kind."""
    found: list[ContractWarning] = []
    scope = contract.scope
    sites = {s.id for s in scope.sites}
    for network in scope.networks:
        if network.site not in sites:
            where = f"scope.networks {network.cidr}"
            found.append(ContractWarning("site_undeclared", {"where": where, "site": network.site}))
    for item in contract.equipment:
        if item.ip is not None:
            if not any(item.ip in n.cidr for n in scope.networks):
                found.append(
                    ContractWarning(
                        "ip_outside_networks", {"equipment": item.id, "ip": str(item.ip)}
                    )
                )
            for hole in scope.exclude:
                if item.ip in hole.cidr:
                    params = {"equipment": item.id, "ip": str(item.ip), "cidr": str(hole.cidr)}
                    found.append(ContractWarning("ip_in_excluded", params))
                    break
        if item.site is not None and item.site not in sites:
            found.append(ContractWarning("site_undeclared", {"where": item.id, "site": item.site}))
        if not item.identifiers():
            found.append(ContractWarning("no_identifier", {"equipment": item.id}))
    prices = unit_prices(contract)
    counts = Counter(item.category for item in contract.equipment)
    for category in Category:
        if counts[category] and category not in prices:
            params = {"category": category.value, "count": str(counts[category])}
            found.append(ContractWarning("category_unpriced", params))
    return found


@dataclass(frozen=True)
class FeeLine:
    category: Category
    count: int
    unit_price: Decimal | None  # None: the category has no unit price
    amount: Decimal | None


@dataclass(frozen=True)
class Fees:
    """The fee of the declared perimeter per billing period (excl. tax, rounded to the cent)."""

    period: Period | None
    currency: str | None
    base_fee: Decimal | None
    lines: list[FeeLine]
    total: Decimal | None  # None when the base fee and every unit price are missing
    vat_rate: Decimal | None
    total_incl_vat: Decimal | None
    unpriced: list[Category] = field(default_factory=list)


def fees(contract: Contract) -> Fees:
    """Base fee + unit price x count for each declared category (Decimal, half-up to the cent)."""
    billing = contract.contract.billing
    prices = unit_prices(contract)
    counts = Counter(item.category for item in contract.equipment)
    lines: list[FeeLine] = []
    for category in Category:  # taxonomy order: stable output
        if not counts[category]:
            continue
        price = prices.get(category)
        amount = money(price * counts[category]) if price is not None else None
        lines.append(FeeLine(category, counts[category], price, amount))
    base = billing.base_fee if billing else None
    total: Decimal | None = None
    if base is not None or prices:
        total = money(
            (base or Decimal(0)) + sum((ln.amount or Decimal(0) for ln in lines), Decimal(0))
        )
    vat = billing.vat_rate if billing else None
    incl = money(total * (1 + vat / 100)) if total is not None and vat is not None else None
    return Fees(
        period=billing.period if billing else None,
        currency=billing.currency if billing else None,
        base_fee=money(base) if base is not None else None,
        lines=lines,
        total=total,
        vat_rate=vat,
        total_incl_vat=incl,
        unpriced=[ln.category for ln in lines if ln.unit_price is None],
    )


def counts_by_category(contract: Contract) -> dict[Category, int]:
    counts = Counter(item.category for item in contract.equipment)
    return {c: counts[c] for c in Category if counts[c]}


def counts_by_site(contract: Contract) -> dict[str | None, int]:
    """Items per site, declared sites first in their order, then undeclared ones, then none."""
    counts = Counter(item.site for item in contract.equipment)
    order: list[str | None] = [s.id for s in contract.scope.sites]
    order += sorted({s for s in counts if s is not None and s not in order})
    order.append(None)
    return {site: counts[site] for site in order if counts[site]}

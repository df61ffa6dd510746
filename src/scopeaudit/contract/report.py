"""The ``contract check`` report: one JSON-ready dict, and its text rendering built from it.

The text and the JSON say the same things because the text is drawn from the JSON dict.
Strings from the file are kept raw in the dict and escaped when drawn (no terminal escapes or
rich markup from a contract ever reach the screen).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Any

from rich.console import Group
from rich.text import Text

from scopeaudit.contract.check import (
    CHECKLIST,
    counts_by_category,
    counts_by_site,
    fees,
    missing_clauses,
    warnings,
)
from scopeaudit.contract.messages import CATEGORIES, CLAUSES, LABELS, text
from scopeaudit.contract.models import Contract, format_duration
from scopeaudit.errors import ExitCode, Problem
from scopeaudit.taxonomy import Category, Language

SCHEMA = "scopeaudit.contract-check/1"


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def build_report(contract: Contract, path: str, sha256: str, lang: Language) -> dict[str, Any]:
    """Everything ``contract check`` shows, as a JSON-ready dict."""
    clauses = contract.contract
    parties = clauses.parties
    term = clauses.term
    sl = clauses.service_levels
    fee = fees(contract)
    missing = missing_clauses(contract)
    delay = sl.intervention_delay if sl else None
    return {
        "schema": SCHEMA,
        "file": path,
        "sha256": sha256,
        "valid": True,
        "language": lang.value,
        "reference": clauses.reference,
        "title": clauses.title,
        "parties": {
            role: (party.model_dump(mode="json") if party else None)
            for role, party in (
                ("client", parties.client if parties else None),
                ("provider", parties.provider if parties else None),
            )
        },
        "signed_on": clauses.signed_on.isoformat() if clauses.signed_on else None,
        "effective_on": clauses.effective_on.isoformat() if clauses.effective_on else None,
        "term": term.model_dump(mode="json", exclude={"termination"}) if term else None,
        "perimeter": {
            "total": len(contract.equipment),
            "by_category": {c.value: n for c, n in counts_by_category(contract).items()},
            "by_site": [{"site": s, "count": n} for s, n in counts_by_site(contract).items()],
            "networks": [
                {"cidr": str(n.cidr), "site": n.site, "name": n.name}
                for n in contract.scope.networks
            ],
            "exclude": [{"cidr": str(e.cidr), "reason": e.reason} for e in contract.scope.exclude],
            "policies": [
                {"id": p.id, "treatment": p.treatment.value, "limit": p.limit}
                for p in contract.scope.policies
            ],
        },
        "fees": {
            "period": fee.period.value if fee.period else None,
            "currency": fee.currency,
            "base_fee": _num(fee.base_fee),
            "lines": [
                {
                    "category": ln.category.value,
                    "count": ln.count,
                    "unit_price": _num(ln.unit_price),
                    "amount": _num(ln.amount),
                }
                for ln in fee.lines
            ],
            "total": _num(fee.total),
            "vat_rate": _num(fee.vat_rate),
            "total_incl_vat": _num(fee.total_incl_vat),
            "unpriced": [c.value for c in fee.unpriced],
        },
        "service_levels": {
            "hours": sl.hours if sl else None,
            "intervention_delay": {
                level: format_duration(value) if value is not None else None
                for level in ("critical", "high", "normal")
                for value in [getattr(delay, level, None)]
            },
            "contacts": [c.model_dump(mode="json") for c in (sl.contacts or [])] if sl else [],
        },
        "hotline": clauses.hotline.model_dump(mode="json") if clauses.hotline else None,
        "warnings": [
            {"code": w.code, "params": w.params, "text": w.text(lang)} for w in warnings(contract)
        ],
        "clauses": {
            "checked": len(CHECKLIST),
            "missing": [{"code": c, "text": text(CLAUSES, c, lang)} for c in missing],
        },
        "exit_code": int(ExitCode.FINDINGS if missing else ExitCode.OK),
    }


def problems_report(path: str, problems: list[Problem]) -> dict[str, Any]:
    """The JSON of an invalid contract (exit 3)."""
    return {
        "schema": SCHEMA,
        "file": path,
        "valid": False,
        "problems": [
            {"line": p.line, "column": p.column, "path": p.path, "message": p.message}
            for p in problems
        ],
        "exit_code": int(ExitCode.BAD_INPUT),
    }


def safe(value: object) -> str:
    """Text from the file made harmless for a terminal: control characters escaped."""
    shown = str(value)
    return "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in shown
    )


def _amount(value: float | None, lang: Language) -> str:
    if value is None:
        return text(LABELS, "missing_value", lang)
    shown = f"{value:,.2f}".replace(",", " ")
    return shown.replace(".", ",") if lang is Language.FR else shown


def render_text(report: dict[str, Any], lang: Language) -> Group:
    """The readable summary of a check report (rich renderables; no colour off a TTY)."""
    lines: list[Text] = []

    def label(code: str, **params: object) -> str:
        return text(LABELS, code, lang, **params)

    def heading(code: str, suffix: str = "") -> None:
        lines.append(Text(""))
        lines.append(Text(label(code) + suffix, style="bold"))

    def row(name: str, value: str, style: str = "") -> None:
        line = Text(f"  {name:<22} ")
        line.append(value, style=style)
        lines.append(line)

    dash = label("missing_value")
    title = label("title", reference=safe(report["reference"]))
    if report.get("title"):
        title += f" — {safe(report['title'])}"
    lines.append(Text(title, style="bold"))
    row(label("file"), safe(report["file"]))

    heading("parties")
    for role in ("client", "provider"):
        party = report["parties"][role] or {}
        shown = safe(party.get("name") or dash)
        if party.get("registration"):
            shown += f" ({safe(party['registration'])})"
        row(label(role), shown)

    heading("dates")
    row(label("signed_on"), report["signed_on"] or dash)
    row(label("effective_on"), report["effective_on"] or dash)
    term = report["term"] or {}
    months = term.get("duration_months")
    row(label("term"), label("months", n=months) if months else dash)
    renewal = term.get("renewal")
    row(label("renewal"), label(f"renewal.{renewal}") if renewal else dash)
    notice = term.get("notice_months")
    row(label("notice"), label("months", n=notice) if notice is not None else dash)

    perimeter = report["perimeter"]
    heading("perimeter", " : " if lang is Language.FR else ": ")
    lines[-1].append(label("equipment_count", n=perimeter["total"]))
    by_cat = ", ".join(
        f"{text(CATEGORIES, c, lang)} {n}" for c, n in perimeter["by_category"].items()
    )
    row(label("by_category"), by_cat or dash)
    by_site = ", ".join(
        f"{safe(s['site']) if s['site'] is not None else label('no_site')} {s['count']}"
        for s in perimeter["by_site"]
    )
    row(label("by_site"), by_site or dash)
    row(
        label("networks"),
        ", ".join(f"{n['cidr']} ({safe(n['site'])})" for n in perimeter["networks"]),
    )
    excluded = ", ".join(
        e["cidr"] + (f" ({safe(e['reason'])})" if e["reason"] else "") for e in perimeter["exclude"]
    )
    row(label("excluded"), excluded or dash)
    policies = ", ".join(
        f"{safe(p['id'])}: {label('treatment.' + p['treatment'])}"
        + (f" ≤ {p['limit']}" if p["limit"] else "")
        for p in perimeter["policies"]
    )
    row(label("policies"), policies or dash)

    fee = report["fees"]
    period = label(f"period.{fee['period']}") if fee["period"] else dash
    currency = safe(fee["currency"] or "")
    heading("fee", f" ({label('fee.period', period=period)}{', ' + currency if currency else ''})")
    if fee["total"] is None:
        row("", label("fee.unavailable"), style="yellow")
    else:
        row(label("base_fee"), f"{_amount(fee['base_fee'], lang):>12}")
        for ln in fee["lines"]:
            name = text(CATEGORIES, Category(ln["category"]), lang)
            if ln["unit_price"] is None:
                row(f"{name} × {ln['count']}", f"{label('unpriced'):>12}", style="yellow")
            else:
                price = _amount(ln["unit_price"], lang)
                row(f"{name} × {ln['count']}", f"{_amount(ln['amount'], lang):>12}  (× {price})")
        row(label("total"), f"{_amount(fee['total'], lang):>12}", style="bold")
        if fee["total_incl_vat"] is not None:
            rate = _amount(fee["vat_rate"], lang).rstrip("0").rstrip(",.")
            row(label("total_vat", rate=rate), f"{_amount(fee['total_incl_vat'], lang):>12}")

    sl = report["service_levels"]
    heading("service_levels")
    row(label("hours"), safe(sl["hours"] or dash))
    delays = ", ".join(
        f"{label(level)} {value}" for level, value in sl["intervention_delay"].items() if value
    )
    row(label("delay"), delays or dash)
    contacts = "; ".join(
        safe(c["name"]) + "".join(f", {safe(c[k])}" for k in ("role", "phone", "email") if c.get(k))
        for c in sl["contacts"]
    )
    row(label("contacts"), contacts or dash)
    hotline = report["hotline"] or {}
    shown = " ; ".join(
        safe(hotline[k]) for k in ("availability", "scope", "pricing") if hotline.get(k)
    )
    row(label("hotline"), shown or dash)

    heading("warnings", f" ({len(report['warnings'])})")
    lines.extend(Text(f"  ! {safe(w['text'])}", style="yellow") for w in report["warnings"])
    if not report["warnings"]:
        lines.append(Text(f"  {label('no_warnings')}"))

    heading("clauses")
    clauses = report["clauses"]
    if clauses["missing"]:
        lines.append(
            Text(
                "  "
                + label("clauses.missing", missing=len(clauses["missing"]), n=clauses["checked"])
            )
        )
        lines.extend(
            Text(f"  ✗ {item['text']} ({item['code']})", style="red") for item in clauses["missing"]
        )
    else:
        lines.append(Text("  " + label("clauses.ok", n=clauses["checked"]), style="green"))
    lines.append(Text(""))
    verdict = "verdict.findings" if clauses["missing"] else "verdict.ok"
    lines.append(Text(label(verdict), style="bold"))
    return Group(*lines)


class OutputFormat(StrEnum):
    """Output formats of ``contract check``."""

    TEXT = "text"
    JSON = "json"

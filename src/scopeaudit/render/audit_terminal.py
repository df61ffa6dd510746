"""The audit in the terminal (rich): the summary first, then one table per status.

Readable in 100 columns; colour only on a TTY (rich decides from the console it is given).
Every string that came from the network goes through ``safetext.inert`` and is wrapped in
``Text`` so rich never interprets it as markup.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scopeaudit.audit_models import AuditResult
from scopeaudit.render.audit_labels import (
    STATUS_ORDER,
    amount,
    category_label,
    detail_texts,
    finding_row,
    ordered,
    percent,
    period_label,
    status_label,
    t,
)
from scopeaudit.safetext import inert
from scopeaudit.taxonomy import Language, Status

_STYLE = {
    Status.MATCHED: "green",
    Status.MISMATCH: "yellow",
    Status.MISSING: "red",
    Status.NOT_VERIFIABLE: "dim",
    Status.UNEXPECTED: "red",
    Status.TOLERATED: "cyan",
    Status.AMBIGUOUS: "magenta",
}


def _summary(console: Console, result: AuditResult, lang: Language) -> None:
    s = result.summary
    console.print(Text(t("title", lang, reference=inert(result.contract.reference)), style="bold"))
    console.print(
        Text(
            t(
                "when",
                lang,
                started=result.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                finished=result.finished_at.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
    )
    console.print(Text(t("snapshot", lang, fingerprint=result.snapshot.fingerprint or "-")))
    rate = percent(s.coverage_rate, lang)
    currency, period = s.currency, period_label(s.period, lang)
    lines = [
        (t("declared", lang), str(result.contract.declared)),
        (t("coverage_rate", lang), rate),
        (
            t("fee_delta", lang),
            f"{amount(s.fee_delta_total, lang, currency)} {t('excl_tax', lang)} {period}".strip(),
        ),
    ]
    if s.fee_delta_total_incl_vat is not None:
        lines.append(
            (t("fee_delta_vat", lang), f"{amount(s.fee_delta_total_incl_vat, lang, currency)}")
        )
    if s.new_fee is not None:
        lines.append(
            (
                t("new_fee", lang),
                f"{amount(s.new_fee, lang, currency, signed=False)} {period}".strip(),
            )
        )
    lines.append((t("drift", lang), t("yes", lang) if s.drift else t("no", lang)))
    grid = Table.grid(padding=(0, 2))
    grid.add_column()
    grid.add_column()
    for label, value in lines:
        grid.add_row(Text(label), Text(value, style="bold"))
    console.print(grid)
    if s.unpriced:
        names = ", ".join(category_label(c, lang) for c in s.unpriced)
        console.print(Text(t("unpriced", lang, categories=names), style="yellow"))
    if s.provisional:
        console.print(Text(t("provisional_note", lang, count=s.provisional)))
    if s.ignored or s.out_of_scope:
        console.print(Text(t("left_out", lang, ignored=s.ignored, out_of_scope=s.out_of_scope)))

    counts = Table(title=t("by_status", lang), title_justify="left")
    counts.add_column(t("col.status", lang))
    counts.add_column(t("col.count", lang), justify="right")
    for status in STATUS_ORDER:
        counts.add_row(
            Text(status_label(status, lang), style=_STYLE[status]), str(s.by_status.get(status, 0))
        )
    sites = Table(title=t("by_site", lang), title_justify="left")
    sites.add_column(t("col.site", lang))
    for status in STATUS_ORDER:
        sites.add_column(status_label(status, lang), justify="right")
    sites.add_column(t("col.fee", lang), justify="right")
    for site, tally in s.by_site.items():
        sites.add_row(
            Text(inert(site, 30)),
            *[str(tally.by_status.get(st, 0)) for st in STATUS_ORDER],
            amount(tally.fee_delta, lang),
        )
    console.print(counts)
    console.print(sites)

    cover = Table(title=t("coverage", lang), title_justify="left")
    for column in ("col.network", "col.site", "col.methods"):
        cover.add_column(t(column, lang))
    cover.add_column("")
    for item in result.coverage:
        methods = ", ".join(m.value for m in item.methods) or t("none", lang)
        state = t("verifiable", lang) if item.verifiable else t("not_reached", lang)
        cover.add_row(item.cidr, Text(inert(item.site, 30)), methods, state)
    console.print(cover)
    console.print(Text(t("sources", lang), style="bold"))
    for outcome in result.sources:
        state = t("ok", lang) if outcome.ok else t("failed", lang)
        line = f"  {outcome.name.value}: {state}, {outcome.duration_s:.1f} s"
        if outcome.error:
            line += f" — {inert(outcome.error, 300)}"
        console.print(Text(line))


def _lines(values: Iterable[str], limit: int = 60) -> Text:
    """One line per value, each made inert (a newline inside a value cannot split it)."""
    return Text("\n".join(inert(v, limit) for v in values))


def render_terminal(console: Console, result: AuditResult, lang: Language) -> None:
    """Print the whole audit on ``console``."""
    _summary(console, result, lang)
    findings = ordered(result)
    for status in STATUS_ORDER:
        group = [f for f in findings if f.status is status]
        if not group:
            continue
        table = Table(
            title=f"{status_label(status, lang)} ({len(group)})",
            title_justify="left",
            title_style=_STYLE[status],
        )
        billed = status is not Status.MATCHED
        table.add_column(t("col.equipment", lang), overflow="fold", max_width=20)
        table.add_column(t("col.category", lang), overflow="fold", max_width=16)
        table.add_column(t("col.ip", lang), no_wrap=True)
        table.add_column(t("col.names", lang), overflow="fold", max_width=22)
        if billed:
            table.add_column(t("col.fee", lang), justify="right", no_wrap=True)
        table.add_column(t("col.details", lang), overflow="fold", min_width=20)
        for finding in group:
            row = finding_row(result, finding, lang)
            who = [row["equipment"], row["device"]]
            category = row["category"]
            if row["observed"] and row["observed"] != row["category"]:
                category += f" → {row['observed']}"
            details = [d for d in finding.details if d.code != "matched_by" or not billed]
            texts = detail_texts(finding.model_copy(update={"details": details}), lang)
            if finding.pending_amendment:
                texts.insert(0, t("pending", lang))
            cells = [
                _lines(w for w in who if w),
                Text(category),
                _lines(row["ip"].split(", ")),
                _lines(row["names"].split(", ") if row["names"] else []),
            ]
            if billed:
                cells.append(Text(amount(finding.fee_delta, lang)))
            cells.append(_lines(texts, 300))
            table.add_row(*cells)
        console.print(table)


def terminal_text(result: AuditResult, lang: Language, width: int = 100) -> str:
    """The terminal report as plain text (no colour), as a pipe or a log would get it."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, color_system=None, force_terminal=False, highlight=False
    )
    render_terminal(console, result, lang)
    return buffer.getvalue()

"""The audit as Markdown: the summary, then one table per status (GitHub-flavoured tables).

Network text is made inert (no control characters), then every character Markdown or HTML
could read as syntax is escaped, so a hostile name shows as text in any Markdown viewer.
"""

from __future__ import annotations

import re

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

# Inline syntax of CommonMark/GFM and raw HTML; cells never start a line, so block markers
# (``-``, ``+``, ``#`` at line start) need no escape.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|!~&$])")


def md(text: str, limit: int = 200) -> str:
    """Inert, Markdown-escaped text for one table cell or line."""
    return _SPECIAL.sub(r"\\\1", inert(text, limit))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def render_markdown(result: AuditResult, lang: Language) -> str:
    """The Markdown report."""
    s = result.summary
    currency, period = s.currency, period_label(s.period, lang)
    out = [f"# {md(t('title', lang, reference=result.contract.reference))}", ""]
    out.append(
        md(
            t(
                "when",
                lang,
                started=result.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                finished=result.finished_at.strftime("%Y-%m-%d %H:%M:%S"),
            )
        )
        + "  "
    )
    out += [md(t("snapshot", lang, fingerprint=result.snapshot.fingerprint or "-")), ""]
    rate = percent(s.coverage_rate, lang)
    fee = f"{amount(s.fee_delta_total, lang, currency)} {t('excl_tax', lang)} {period}".strip()
    summary = [
        [t("declared", lang), str(result.contract.declared)],
        [t("coverage_rate", lang), rate],
        [t("fee_delta", lang), fee],
    ]
    if s.fee_delta_total_incl_vat is not None:
        summary.append(
            [t("fee_delta_vat", lang), amount(s.fee_delta_total_incl_vat, lang, currency)]
        )
    if s.new_fee is not None:
        summary.append(
            [
                t("new_fee", lang),
                f"{amount(s.new_fee, lang, currency, signed=False)} {period}".strip(),
            ]
        )
    summary.append([t("drift", lang), t("yes", lang) if s.drift else t("no", lang)])
    out += _table(["", ""], [[md(a), md(b)] for a, b in summary])
    notes = []
    if s.unpriced:
        names = ", ".join(category_label(c, lang) for c in s.unpriced)
        notes.append(t("unpriced", lang, categories=names))
    if s.provisional:
        notes.append(t("provisional_note", lang, count=s.provisional))
    if s.ignored or s.out_of_scope:
        notes.append(t("left_out", lang, ignored=s.ignored, out_of_scope=s.out_of_scope))
    out += [f"- {md(n)}" for n in notes] + ([""] if notes else [])

    out += [f"## {md(t('by_status', lang))}", ""]
    out += _table(
        [md(t("col.status", lang)), md(t("col.count", lang))],
        [[md(status_label(st, lang)), str(s.by_status.get(st, 0))] for st in STATUS_ORDER],
    )
    out += [f"## {md(t('by_site', lang))}", ""]
    out += _table(
        [md(t("col.site", lang))]
        + [md(status_label(st, lang)) for st in STATUS_ORDER]
        + [md(t("col.fee", lang))],
        [
            [md(site)]
            + [str(tally.by_status.get(st, 0)) for st in STATUS_ORDER]
            + [md(amount(tally.fee_delta, lang))]
            for site, tally in s.by_site.items()
        ],
    )
    out += [f"## {md(t('coverage', lang))}", ""]
    out += _table(
        [md(t("col.network", lang)), md(t("col.site", lang)), md(t("col.methods", lang)), ""],
        [
            [
                md(c.cidr),
                md(c.site),
                md(", ".join(m.value for m in c.methods) or t("none", lang)),
                md(t("verifiable", lang) if c.verifiable else t("not_reached", lang)),
            ]
            for c in result.coverage
        ],
    )
    out += [f"## {md(t('sources', lang))}", ""]
    out += _table(
        [md(t("sources", lang)), "", md(t("col.duration", lang)), md(t("col.error", lang))],
        [
            [
                o.name.value,
                md(t("ok", lang) if o.ok else t("failed", lang)),
                f"{o.duration_s:.1f} s",
                md(o.error or "", 300),
            ]
            for o in result.sources
        ],
    )
    findings = ordered(result)
    for status in STATUS_ORDER:
        group = [f for f in findings if f.status is status]
        if not group:
            continue
        out += [f"## {md(status_label(status, lang))} ({len(group)})", ""]
        header = ["col.equipment", "col.device", "col.category", "col.ip", "col.mac", "col.names"]
        header += ["col.site", "col.fee", "col.details"]
        rows = []
        for finding in group:
            row = finding_row(result, finding, lang)
            category = row["category"]
            if row["observed"] and row["observed"] != row["category"]:
                category += f" → {row['observed']}"
            texts = detail_texts(finding, lang)
            if finding.pending_amendment:
                texts.insert(0, t("pending", lang))
            fee = (
                ""
                if status is Status.MATCHED and finding.fee_delta == 0
                else amount(finding.fee_delta, lang)
            )
            rows.append(
                [
                    md(row["equipment"]),
                    md(row["device"]),
                    md(category),
                    md(row["ip"]),
                    md(row["mac"]),
                    md(row["names"]),
                    md(row["site"]),
                    md(fee),
                    "<br>".join(md(x, 300) for x in texts),
                ]
            )
        out += _table([md(t(h, lang)) for h in header], rows)
    return "\n".join(out).rstrip("\n") + "\n"

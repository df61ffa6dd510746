"""The audit as one self-contained HTML page: screen and A4 print (and so the PDF).

No template engine: every value goes through ``h()`` (control characters, bidi overrides and
invalid UTF-8 made visible, then ``html.escape``), and nothing from the data is ever emitted
unescaped. The page loads nothing (inline CSS and SVG, no external URL) and a Content Security
Policy allows only this module's own one-line script, so even an escaping slip could not run a
script from the network. Evidence is in ``<details>``: closed on screen, opened for print by
``expanded=True`` (the PDF path), by ``beforeprint`` and by ``::details-content`` CSS.

``render_pdf`` and ``render_amendment`` are re-exported here because the CLI reaches every
browser-facing format through this one module.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from scopeaudit.audit_models import AuditResult, Finding
from scopeaudit.classify.messages import rerender
from scopeaudit.i18n import Catalog, render
from scopeaudit.models import Device, Observation, ProbeRecord
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
from scopeaudit.taxonomy import Category, Language, Status

FR, EN = Language.FR, Language.EN

# Limits of network text: a 10,000-character name must not turn a table into pages of "L".
CELL_LIMIT = 300
EVIDENCE_LIMIT = 400
EVIDENCE_ROWS = 12

TEXT: Catalog = {
    "summary": {FR: "Synthèse", EN: "Summary"},
    "chart": {FR: "Déclarés et trouvés par catégorie", EN: "Declared and found per category"},
    "chart.declared": {FR: "déclarés", EN: "declared"},
    "chart.found": {FR: "trouvés", EN: "found"},
    "findings": {FR: "Constats", EN: "Findings"},
    "evidence": {FR: "Preuves et classification", EN: "Evidence and classification"},
    "evidence.of": {FR: "Preuves — {device}", EN: "Evidence — {device}"},
    "reasons": {FR: "Raisons de la classification", EN: "Classification reasons"},
    "observations": {FR: "Observations", EN: "Observations"},
    "more": {FR: "… et {count} de plus (voir le JSON)", EN: "… and {count} more (see the JSON)"},
    "annex": {FR: "Annexe — journal des sondes", EN: "Annex — probe log"},
    "recheck": {FR: "Re-vérification ciblée", EN: "Targeted re-check"},
    "fingerprint": {FR: "Empreinte de l'instantané", EN: "Snapshot fingerprint"},
    "inputs": {FR: "Instantanés fusionnés", EN: "Merged snapshots"},
    "contract_sha": {FR: "Empreinte du contrat", EN: "Contract fingerprint"},
    "data_versions": {FR: "Versions des données", EN: "Data versions"},
    "tool": {FR: "Outil", EN: "Tool"},
    "client": {FR: "Client", EN: "Client"},
    "provider": {FR: "Prestataire", EN: "Provider"},
    "contract": {FR: "Contrat", EN: "Contract"},
    "col.source": {FR: "Source", EN: "Source"},
    "col.action": {FR: "Action", EN: "Action"},
    "col.targets": {FR: "Cibles", EN: "Targets"},
    "col.when": {FR: "Début (UTC)", EN: "Start (UTC)"},
    "col.sent": {FR: "Envoyés", EN: "Sent"},
    "col.rate": {FR: "Débit (paquets/s)", EN: "Rate (packets/s)"},
    "col.detail": {FR: "Détail", EN: "Detail"},
    "col.time": {FR: "Heure (UTC)", EN: "Time (UTC)"},
    "col.kind": {FR: "Nature", EN: "Kind"},
    "col.data": {FR: "Données", EN: "Data"},
    "col.name": {FR: "Nom", EN: "Name"},
    "col.date": {FR: "Date", EN: "Date"},
    "col.entries": {FR: "Entrées", EN: "Entries"},
    "dev.id": {FR: "Identifiant", EN: "Id"},
    "dev.model": {FR: "Modèle", EN: "Model"},
    "dev.os": {FR: "Système", EN: "OS"},
    "dev.confidence": {FR: "Confiance", EN: "Confidence"},
    "dev.form": {FR: "Format", EN: "Form factor"},
    "dev.virtual": {FR: "Virtuel", EN: "Virtual"},
    "dev.role": {FR: "Rôle", EN: "Role"},
    "dev.parent": {FR: "Appareil parent", EN: "Parent device"},
    "dev.randomized": {FR: "MAC aléatoire", EN: "Randomized MAC"},
    "dev.seen": {FR: "Vu (UTC)", EN: "Seen (UTC)"},
    "dev.policy": {FR: "Règle", EN: "Policy"},
    "empty": {FR: "Aucun.", EN: "None."},
    "no_evidence": {FR: "Aucun appareil vu.", EN: "No device seen."},
}


# French typography puts a (no-break) space before a colon.
COLON = {FR: "\u00a0: ", EN: ": "}


def tx(code: str, lang: Language, **params: object) -> str:
    """One label of this module (``TEXT``) in ``lang``."""
    return render(TEXT, code, params, lang)


def h(text: object, limit: int | None = CELL_LIMIT) -> str:
    """Text from anywhere made safe for HTML element content and quoted attributes.

    ``inert`` spells out control characters, bidi overrides, NUL and the lone surrogates that
    stand for invalid UTF-8 (so the page always encodes), then every markup character is
    escaped, quotes included.
    """
    return html.escape(inert(str(text), limit), quote=True)


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def value_text(value: object) -> str:
    """A data value as text (strings raw, the rest as compact JSON)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


# Opens every <details> before the browser prints; the report works the same without it.
SCRIPT = (
    'window.addEventListener("beforeprint",function(){'
    'document.querySelectorAll("details").forEach(function(d){d.open=true;});});'
)
_SCRIPT_HASH = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
# Nothing may be fetched; only the script above may run (its hash), styles are inline.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{_SCRIPT_HASH}'; base-uri 'none'; form-action 'none'"
)

CSS = """
@page { size: A4; margin: 15mm 12mm 16mm 12mm; }
:root { --ink: #1d2330; --muted: #5b6475; --line: #d5d9e0; --accent: #2456a6;
  --warn: #b3261e; --ok: #1e7a3c; --soft: #f4f6f9; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink);
  font-size: 10.5pt; line-height: 1.4; margin: 0 auto; max-width: 190mm; padding: 8mm 4mm; }
h1 { font-size: 17pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; border-bottom: 2px solid var(--accent);
  padding-bottom: 1mm; }
h3 { font-size: 11pt; margin: 4mm 0 1mm; }
h1, h2, h3 { break-after: avoid; }
figure { margin: 0; break-inside: avoid; }
.keep { break-inside: avoid; }
.meta { color: var(--muted); margin: 0 0 1mm; }
.mono, code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; margin: 1mm 0 3mm; }
th, td { border: 1px solid var(--line); padding: 1mm 1.5mm; text-align: left;
  vertical-align: top; overflow-wrap: anywhere; word-break: break-word; font-size: 9pt; }
th { background: var(--soft); }
td.num, th.num { text-align: right; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.cards { display: flex; flex-wrap: wrap; gap: 3mm; margin: 2mm 0 3mm; }
.card { border: 1px solid var(--line); border-radius: 2mm; padding: 2mm 3mm; min-width: 40mm;
  background: var(--soft); }
.card .k { color: var(--muted); font-size: 8.5pt; }
.card .v { font-size: 13pt; font-weight: bold; }
.drift-yes .v { color: var(--warn); }
.drift-no .v { color: var(--ok); }
ul.notes { margin: 1mm 0 3mm; padding-left: 5mm; color: var(--muted); }
details { border: 1px solid var(--line); border-radius: 1.5mm; margin: 1mm 0;
  padding: 0 2mm; break-inside: auto; }
details > summary { cursor: pointer; padding: 1mm 0; font-weight: bold; }
dl.props { display: grid; grid-template-columns: 38mm 1fr; gap: 0.5mm 3mm; margin: 1mm 0; }
dl.props dt { color: var(--muted); }
dl.props dd { margin: 0; overflow-wrap: anywhere; }
svg text { font-family: "DejaVu Sans", Arial, sans-serif; }
section.page { break-before: page; }
.status-unexpected h2, .status-missing h2, .status-mismatch h2, .status-ambiguous h2 {
  border-color: var(--warn); }
@media print {
  body { max-width: none; padding: 0; }
  details { border: none; padding: 0; }
  details > summary { list-style: none; }
  details > summary::-webkit-details-marker { display: none; }
  details::details-content { content-visibility: visible; display: contents; }
  a { color: inherit; text-decoration: none; }
}
"""


def page(title: str, body: Iterable[str], lang: Language) -> str:
    """The HTML document around ``body`` (``title`` is already escaped)."""
    return "".join(
        [
            "<!DOCTYPE html>\n",
            f'<html lang="{lang.value}">\n<head>\n<meta charset="utf-8">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            '<meta name="referrer" content="no-referrer">\n',
            f"<title>{title}</title>\n<style>{CSS}</style>\n",
            f"<script>{SCRIPT}</script>\n</head>\n<body>\n",
            *body,
            "</body>\n</html>\n",
        ]
    )


def table(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    numeric: Sequence[int] = (),
    widths: Sequence[int] = (),
) -> str:
    """A table; header and cells are already escaped HTML; ``widths`` in percent."""
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    cols = f"<colgroup>{cols}</colgroup>" if cols else ""
    num = ' class="num"'
    head = "".join(f"<th{num if i in numeric else ''}>{cell}</th>" for i, cell in enumerate(header))
    body = "".join(
        "<tr>"
        + "".join(f"<td{num if i in numeric else ''}>{cell}</td>" for i, cell in enumerate(row))
        + "</tr>\n"
        for row in rows
    )
    thead = f"<thead><tr>{head}</tr></thead>\n" if any(header) else ""
    return f"<table>{cols}{thead}<tbody>\n{body}</tbody></table>\n"


def props(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list of escaped label/value pairs, empty values left out."""
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs if v)
    return f'<dl class="props">{items}</dl>\n'


def fee_text(
    value: Decimal | None, lang: Language, currency: str | None, period: str | None
) -> str:
    """``-56.00 EUR excl. tax per month`` (raw text)."""
    shown = amount(value, lang, currency)
    return f"{shown} {t('excl_tax', lang)} {period_label(period, lang)}".strip()


def header(result: AuditResult, lang: Language) -> list[str]:
    c = result.contract
    out = [f"<h1>{h(t('title', lang, reference=c.reference))}</h1>\n"]
    started, finished = when(result.started_at), when(result.finished_at)
    out.append(f'<p class="meta">{h(t("when", lang, started=started, finished=finished))}</p>\n')
    colon = COLON[lang]
    parties = []
    if c.title:
        parties.append(f"{h(tx('contract', lang))}{colon}{h(c.title)}")
    if c.client and c.client.name:
        parties.append(f"{h(tx('client', lang))}{colon}{h(c.client.name)}")
    if c.provider and c.provider.name:
        parties.append(f"{h(tx('provider', lang))}{colon}{h(c.provider.name)}")
    if parties:
        sep = " · "
        out.append(f'<p class="meta">{sep.join(parties)}</p>\n')
    fingerprint = t("snapshot", lang, fingerprint=result.snapshot.fingerprint or "-")
    out.append(f'<p class="meta mono">{h(fingerprint)}</p>\n')
    return out


def summary(result: AuditResult, lang: Language) -> list[str]:
    s = result.summary
    cur = s.currency
    cards = [
        ("", t("declared", lang), str(result.contract.declared)),
        ("", t("coverage_rate", lang), percent(s.coverage_rate, lang)),
        ("", t("fee_delta", lang), fee_text(s.fee_delta_total, lang, cur, s.period)),
    ]
    if s.fee_delta_total_incl_vat is not None:
        vat = amount(s.fee_delta_total_incl_vat, lang, cur)
        cards.append(("", t("fee_delta_vat", lang), f"{vat} {period_label(s.period, lang)}"))
    if s.new_fee is not None:
        new = amount(s.new_fee, lang, cur, signed=False)
        cards.append(("", t("new_fee", lang), f"{new} {period_label(s.period, lang)}"))
    drift = t("yes", lang) if s.drift else t("no", lang)
    cards.append(("drift-yes" if s.drift else "drift-no", t("drift", lang), drift))
    out = [f"<h2>{h(tx('summary', lang))}</h2>\n", '<div class="cards">']
    for klass, key, value in cards:
        out.append(
            f'<div class="card {klass}"><div class="k">{h(key)}</div>'
            f'<div class="v">{h(value.strip())}</div></div>'
        )
    out.append("</div>\n")
    notes = []
    if s.unpriced:
        names = ", ".join(category_label(c, lang) for c in s.unpriced)
        notes.append(t("unpriced", lang, categories=names))
    if s.provisional:
        notes.append(t("provisional_note", lang, count=s.provisional))
    if s.ignored or s.out_of_scope:
        notes.append(t("left_out", lang, ignored=s.ignored, out_of_scope=s.out_of_scope))
    if notes:
        out.append('<ul class="notes">' + "".join(f"<li>{h(n)}</li>" for n in notes) + "</ul>\n")
    out.append(f"<h3>{h(t('by_status', lang))}</h3>\n")
    out.append(
        table(
            [h(t("col.status", lang)), h(t("col.count", lang))],
            [[h(status_label(st, lang)), str(s.by_status.get(st, 0))] for st in STATUS_ORDER],
            numeric=(1,),
        )
    )
    out.append(f"<h3>{h(t('by_site', lang))}</h3>\n")
    out.append(
        table(
            [h(t("col.site", lang))]
            + [h(status_label(st, lang)) for st in STATUS_ORDER]
            + [h(t("col.fee", lang))],
            [
                [h(site)]
                + [str(tally.by_status.get(st, 0)) for st in STATUS_ORDER]
                + [h(amount(tally.fee_delta, lang, cur))]
                for site, tally in s.by_site.items()
            ],
            numeric=tuple(range(1, len(STATUS_ORDER) + 2)),
            widths=[14] + [9] * len(STATUS_ORDER) + [23],
        )
    )
    return out


def chart(result: AuditResult, lang: Language) -> str:
    """An inline SVG bar chart: declared vs found for each category that has either."""
    rows = [
        (category, tally.declared, tally.found)
        for category, tally in result.summary.by_category.items()
        if tally.declared or tally.found
    ]
    order = {c: i for i, c in enumerate(Category)}
    rows.sort(key=lambda r: order[r[0]])
    top = max([1, *(max(d, f) for _, d, f in rows)])
    label_w, bar_w, row_h, pad = 130, 420, 30, 26
    width, height = label_w + bar_w + 60, pad + row_h * len(rows) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="100%" '
        f'viewBox="0 0 {width} {height}" aria-label="{h(tx("chart", lang))}">',
        f'<rect x="{label_w}" y="4" width="12" height="10" fill="#9aa7bd"/>'
        f'<text x="{label_w + 16}" y="13" font-size="11">{h(tx("chart.declared", lang))}</text>',
        f'<rect x="{label_w + 110}" y="4" width="12" height="10" fill="#2456a6"/>'
        f'<text x="{label_w + 126}" y="13" font-size="11">{h(tx("chart.found", lang))}</text>',
    ]
    for i, (category, declared, found) in enumerate(rows):
        y = pad + i * row_h
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" font-size="11" text-anchor="end">'
            f"{h(category_label(category, lang))}</text>"
        )
        for j, (value, color) in enumerate(((declared, "#9aa7bd"), (found, "#2456a6"))):
            length = round(bar_w * value / top, 1)
            by = y + j * 11
            parts.append(
                f'<rect x="{label_w}" y="{by}" width="{length}" height="10" fill="{color}"/>'
                f'<text x="{label_w + length + 4}" y="{by + 9}" font-size="9">{value}</text>'
            )
    parts.append("</svg>")
    heading = f"<h3>{h(tx('chart', lang))}</h3>\n"
    return f'<div class="keep">{heading}<figure>' + "".join(parts) + "</figure></div>\n"


def coverage_and_sources(result: AuditResult, lang: Language) -> list[str]:
    out = [f"<h3>{h(t('coverage', lang))}</h3>\n"]
    out.append(
        table(
            [h(t("col.network", lang)), h(t("col.site", lang)), h(t("col.methods", lang)), ""],
            [
                [
                    h(c.cidr),
                    h(c.site),
                    h(", ".join(m.value for m in c.methods) or t("none", lang)),
                    h(t("verifiable", lang) if c.verifiable else t("not_reached", lang)),
                ]
                for c in result.coverage
            ],
        )
    )
    out.append(f"<h3>{h(t('sources', lang))}</h3>\n")
    out.append(
        table(
            [h(t("sources", lang)), "", h(t("col.duration", lang)), h(t("col.error", lang))],
            [
                [
                    h(o.name.value),
                    h(t("ok", lang) if o.ok else t("failed", lang)),
                    f"{o.duration_s:.1f} s",
                    h(o.error or ""),
                ]
                for o in result.sources
            ],
        )
    )
    return out


def _fee_cell(finding: Finding, lang: Language) -> str:
    if finding.status is Status.MATCHED and finding.fee_delta == 0:
        return ""
    return amount(finding.fee_delta, lang)


def _device_block(result: AuditResult, device: Device, lang: Language, opened: str) -> str:
    yes, no = t("yes", lang), t("no", lang)
    info = props(
        [
            (h(tx("dev.id", lang)), h(device.id)),
            (h(t("col.mac", lang)), h(", ".join(device.macs))),
            (h(t("col.ip", lang)), h(", ".join(device.ips))),
            (h(t("col.names", lang)), h(", ".join(device.hostnames), EVIDENCE_LIMIT)),
            (h(t("col.vendor", lang)), h(device.vendor or "")),
            (h(tx("dev.model", lang)), h(device.model or "")),
            (h(tx("dev.os", lang)), h(device.os or "")),
            (h(t("col.category", lang)), h(category_label(device.category, lang))),
            (h(tx("dev.confidence", lang)), f"{device.confidence:.2f}"),
            (h(tx("dev.form", lang)), h(device.form_factor.value if device.form_factor else "")),
            (
                h(tx("dev.virtual", lang)),
                h("" if device.virtual is None else (yes if device.virtual else no)),
            ),
            (h(tx("dev.role", lang)), h(device.role.value if device.role else "")),
            (h(tx("dev.parent", lang)), h(device.parent_id or "")),
            (h(tx("dev.randomized", lang)), h(yes if device.randomized_mac else "")),
            (h(tx("dev.policy", lang)), h(device.policy or "")),
            (
                h(tx("dev.seen", lang)),
                h(f"{when(device.first_seen)} → {when(device.last_seen)}")
                if device.first_seen
                else "",
            ),
        ]
    )
    reasons = "".join(
        f"<li>{h(rerender(r, lang).text, EVIDENCE_LIMIT)}</li>" for r in device.reasons
    )
    parts = [
        f"<details{opened}><summary>{h(tx('evidence.of', lang, device=device.id))}</summary>\n",
        info,
        f"<h3>{h(tx('reasons', lang))}</h3>\n<ul>{reasons or '<li>-</li>'}</ul>\n",
    ]
    observations = result.evidence(device)
    if observations:
        parts.append(f"<h3>{h(tx('observations', lang))}</h3>\n")
        parts.append(_observations(observations[:EVIDENCE_ROWS], lang))
        if len(observations) > EVIDENCE_ROWS:
            more = tx("more", lang, count=len(observations) - EVIDENCE_ROWS)
            parts.append(f'<p class="meta">{h(more)}</p>\n')
    parts.append("</details>\n")
    return "".join(parts)


def _observations(observations: Sequence[Observation], lang: Language) -> str:
    rows = []
    for o in observations:
        data = "; ".join(
            f"{k}={value_text(v)}" for k, v in sorted(o.data.items(), key=lambda kv: kv[0])
        )
        rows.append(
            [
                h(when(o.time)),
                h(o.source.value),
                h(o.kind.value),
                h(o.ip or ""),
                h(o.mac or ""),
                h(data, EVIDENCE_LIMIT),
            ]
        )
    header = [
        tx("col.time", lang),
        tx("col.source", lang),
        tx("col.kind", lang),
        t("col.ip", lang),
        t("col.mac", lang),
        tx("col.data", lang),
    ]
    return table([h(x) for x in header], rows, widths=(13, 9, 11, 11, 14, 42))


def status_sections(result: AuditResult, lang: Language, expanded: bool) -> list[str]:
    opened = " open" if expanded else ""
    by_id = {d.id: d for d in result.devices}  # one lookup per finding, not a scan
    out: list[str] = []
    findings = ordered(result)
    for status in STATUS_ORDER:
        group = [f for f in findings if f.status is status]
        if not group:
            continue
        title = f"{status_label(status, lang)} ({len(group)})"
        out.append(f'<section class="page status-{status.value}">\n<h2>{h(title)}</h2>\n')
        columns = ["col.equipment", "col.device", "col.category", "col.ip", "col.mac"]
        columns += ["col.names", "col.site", "col.fee", "col.details"]
        rows = []
        for finding in group:
            row = finding_row(result, finding, lang)
            category = row["category"]
            if row["observed"] and row["observed"] != row["category"]:
                category += f" → {row['observed']}"
            texts = detail_texts(finding, lang)
            if finding.pending_amendment:
                texts.insert(0, t("pending", lang))
            if finding.provisional:
                texts.insert(0, t("provisional", lang))
            rows.append(
                [
                    h(row["equipment"]),
                    h(row["device"]),
                    h(category),
                    h(row["ip"]),
                    h(row["mac"]),
                    h(row["names"]),
                    h(row["site"]),
                    h(_fee_cell(finding, lang)),
                    "<br>".join(h(x) for x in texts),
                ]
            )
        out.append(
            table(
                [h(t(c, lang)) for c in columns],
                rows,
                numeric=(7,),
                widths=(10, 12, 10, 10, 12, 15, 7, 9, 15),
            )
        )
        blocks = []
        for finding in group:
            ids = [finding.device_id] if finding.device_id else []
            ids += [c.device_id for c in finding.candidates if c.device_id not in ids]
            for device_id in ids:
                device = by_id.get(device_id)
                if device is not None:
                    blocks.append(_device_block(result, device, lang, opened))
        if blocks:
            out.append(f"<h3>{h(tx('evidence', lang))}</h3>\n")
            out += blocks
        out.append("</section>\n")
    return out


def probe_rows(records: Sequence[ProbeRecord]) -> list[list[str]]:
    return [
        [
            h(when(r.started_at)),
            h(r.source.value),
            h(r.action),
            h(r.targets),
            str(r.count),
            "" if r.rate_pps is None else f"{r.rate_pps:.0f}",
            h(r.detail),
        ]
        for r in records
    ]


def annex(result: AuditResult, lang: Language) -> list[str]:
    probe_header = [
        tx("col.when", lang),
        tx("col.source", lang),
        tx("col.action", lang),
        tx("col.targets", lang),
        tx("col.sent", lang),
        tx("col.rate", lang),
        tx("col.detail", lang),
    ]
    out = [f'<section class="page annex">\n<h2>{h(tx("annex", lang))}</h2>\n']
    out.append(
        props(
            [
                (
                    h(tx("fingerprint", lang)),
                    f'<span class="mono">{h(result.snapshot.fingerprint or "-")}</span>',
                ),
                (
                    h(tx("inputs", lang)),
                    "<br>".join(f'<span class="mono">{h(x)}</span>' for x in result.snapshot.inputs)
                    if len(result.snapshot.inputs) > 1
                    else "",
                ),
                (
                    h(tx("contract_sha", lang)),
                    f'<span class="mono">{h(result.contract.sha256)}</span>',
                ),
                (h(tx("tool", lang)), h(f"scopeaudit {result.tool_version}")),
            ]
        )
    )
    if result.probe_log:
        out.append(table([h(x) for x in probe_header], probe_rows(result.probe_log), (4, 5)))
    else:
        out.append(f"<p>{h(tx('empty', lang))}</p>\n")
    if result.recheck:
        out.append(f"<h3>{h(tx('recheck', lang))}</h3>\n")
        out.append(table([h(x) for x in probe_header], probe_rows(result.recheck), (4, 5)))
    if result.data_versions:
        out.append(f"<h3>{h(tx('data_versions', lang))}</h3>\n")
        out.append(
            table(
                [h(tx(x, lang)) for x in ("col.name", "col.source", "col.date", "col.entries")],
                [
                    [
                        h(d.name),
                        h(d.source),
                        h(d.date or ""),
                        "" if d.entries is None else str(d.entries),
                    ]
                    for d in result.data_versions
                ],
                numeric=(3,),
            )
        )
    out.append("</section>\n")
    return out


def render_html(result: AuditResult, lang: Language, *, expanded: bool = False) -> str:
    """The audit report as one self-contained HTML page.

    ``expanded`` renders every evidence block open (the print and PDF path).
    """
    body = header(result, lang)
    body += summary(result, lang)
    body.append(chart(result, lang))
    body += coverage_and_sources(result, lang)
    body += status_sections(result, lang, expanded)
    body += annex(result, lang)
    return page(h(t("title", lang, reference=result.contract.reference)), body, lang)


def render_pdf(result: AuditResult, lang: Language, path: Path) -> Path:
    """The report printed to PDF by headless Chromium (see ``scopeaudit.render.pdf``)."""
    from scopeaudit.render import pdf

    return pdf.render_pdf(result, lang, path)


def render_amendment(
    result: AuditResult,
    lang: Language,
    fmt: str = "html",
    options: Mapping[str, object] | None = None,
) -> str | bytes:
    """The contract amendment (see ``scopeaudit.render.amendment``)."""
    from scopeaudit.render import amendment

    return amendment.render_amendment(result, lang, fmt, options)

"""The contract amendment ("avenant"): the perimeter change an audit calls for, ready to sign.

``plan()`` decides once what the amendment says (equipment to add, to remove, to re-categorize,
the new periodic fee); HTML, PDF (Chromium printing that HTML) and Markdown only lay it out.
To add: every ``unexpected`` finding (``pending_amendment`` ones included). To remove: every
non-provisional ``missing`` item, and provisional ones only with ``include_provisional``. A
``mismatch`` changes the item's category (and its price). Ambiguous findings need a decision
first and are only counted. Amounts are per billing period, excluding tax; VAT when known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from scopeaudit.audit_models import AuditResult, Finding, Party, money
from scopeaudit.classify.messages import rerender
from scopeaudit.i18n import Catalog, render
from scopeaudit.render.audit_labels import amount, category_label, period_label
from scopeaudit.render.audit_markdown import md
from scopeaudit.render.html import (
    COLON,
    h,
    page,
    props,
    table,
    when,
)
from scopeaudit.taxonomy import Category, Language, Status

FR, EN = Language.FR, Language.EN
FORMATS = ("html", "pdf", "md")
BLANK = "…………"

TEXT: Catalog = {
    "title": {
        FR: "Avenant n° {number} au contrat {reference} — modification du périmètre",
        EN: "Amendment no. {number} to contract {reference} — change of perimeter",
    },
    "parties": {FR: "Entre les soussignés", EN: "Between the undersigned"},
    "client": {FR: "Le client", EN: "The client"},
    "provider": {FR: "Le prestataire", EN: "The provider"},
    "registration": {FR: "Immatriculation", EN: "Registration"},
    "address": {FR: "Adresse", EN: "Address"},
    "representative": {FR: "Représenté par", EN: "Represented by"},
    "name": {FR: "Nom", EN: "Name"},
    "contract": {FR: "Contrat", EN: "Contract"},
    "reference": {FR: "Référence", EN: "Reference"},
    "signed_on": {FR: "Signé le", EN: "Signed on"},
    "effective_on": {FR: "En vigueur depuis le", EN: "In force since"},
    "number": {FR: "Numéro de l'avenant", EN: "Amendment number"},
    "effective_date": {FR: "Date d'effet de l'avenant", EN: "Effective date of the amendment"},
    "art.object": {FR: "Article 1 — Objet", EN: "Article 1 — Purpose"},
    "object": {
        FR: "Le présent avenant modifie la liste des équipements couverts par le contrat "
        "{reference}, à la suite de l'audit du périmètre réalisé le {scan_date} (UTC), dont "
        "les preuves figurent en annexe.",
        EN: "This amendment changes the list of equipment covered by contract {reference}, "
        "following the perimeter audit carried out on {scan_date} (UTC), whose evidence is "
        "annexed.",
    },
    "art.add": {FR: "Article 2 — Équipements ajoutés", EN: "Article 2 — Equipment added"},
    "art.remove": {FR: "Article 3 — Équipements retirés", EN: "Article 3 — Equipment removed"},
    "art.change": {
        FR: "Article 4 — Équipements reclassés",
        EN: "Article 4 — Equipment re-categorized",
    },
    "art.fee": {FR: "Article 5 — Redevance", EN: "Article 5 — Fee"},
    "art.other": {FR: "Article 6 — Autres stipulations", EN: "Article 6 — Other terms"},
    "other": {
        FR: "Toutes les autres stipulations du contrat demeurent inchangées.",
        EN: "All other terms of the contract remain unchanged.",
    },
    "none": {FR: "Néant.", EN: "None."},
    "col.item": {FR: "Équipement", EN: "Item"},
    "col.category": {FR: "Catégorie", EN: "Category"},
    "col.description": {FR: "Identification", EN: "Identification"},
    "col.site": {FR: "Site", EN: "Site"},
    "col.price": {FR: "Prix unitaire HT {period}", EN: "Unit price excl. tax {period}"},
    "col.delta": {FR: "Variation HT {period}", EN: "Change excl. tax {period}"},
    "col.from": {FR: "Catégorie déclarée", EN: "Declared category"},
    "col.to": {FR: "Catégorie constatée", EN: "Observed category"},
    "unpriced": {FR: "à convenir", EN: "to be agreed"},
    "current_fee": {FR: "Redevance actuelle HT", EN: "Current fee excl. tax"},
    "delta": {FR: "Variation HT", EN: "Change excl. tax"},
    "new_fee": {FR: "Nouvelle redevance HT", EN: "New fee excl. tax"},
    "new_fee_vat": {
        FR: "Nouvelle redevance TTC (TVA {rate} %)",
        EN: "New fee incl. VAT ({rate} %)",
    },
    "delta_vat": {FR: "Variation TTC (TVA {rate} %)", EN: "Change incl. VAT ({rate} %)"},
    "unpriced_note": {
        FR: "{count} équipement(s) sans prix unitaire au contrat : montant à convenir, hors total.",
        EN: "{count} item(s) without a unit price in the contract: amount to be agreed, "
        "left out of the total.",
    },
    "ambiguous_note": {
        FR: "{count} constat(s) ambigu(s) à trancher avant un prochain avenant.",
        EN: "{count} ambiguous finding(s) to settle before a further amendment.",
    },
    "provisional_in": {
        FR: "Les absences provisoires sont incluses à la demande.",
        EN: "Provisional absences are included on request.",
    },
    "provisional_out": {
        FR: "{count} absence(s) provisoire(s) non retirée(s) : à confirmer par un prochain audit.",
        EN: "{count} provisional absence(s) not removed: to be confirmed by a later audit.",
    },
    "annex": {FR: "Annexe — preuves", EN: "Annex — evidence"},
    "scan_date": {FR: "Date de l'audit (UTC)", EN: "Audit date (UTC)"},
    "fingerprint": {FR: "Empreinte de l'instantané", EN: "Snapshot fingerprint"},
    "contract_sha": {FR: "Empreinte du contrat", EN: "Contract fingerprint"},
    "col.evidence": {FR: "Preuves", EN: "Evidence"},
    "signatures": {FR: "Signatures", EN: "Signatures"},
    "sign.for": {FR: "Pour {party}", EN: "For {party}"},
    "sign.name": {FR: "Nom et qualité", EN: "Name and title"},
    "sign.date": {FR: "Date et lieu", EN: "Date and place"},
    "sign.signature": {FR: "Signature", EN: "Signature"},
    "copies": {
        FR: "Fait en deux exemplaires originaux.",
        EN: "Made in two original copies.",
    },
    "bad_format": {
        FR: "format d'avenant inconnu : {fmt} (html, pdf ou md)",
        EN: "unknown amendment format: {fmt} (html, pdf or md)",
    },
}


def tx(code: str, lang: Language, **params: object) -> str:
    return render(TEXT, code, params, lang)


@dataclass(frozen=True)
class Line:
    """One item of the amendment; text fields are raw (each layout escapes)."""

    item: str
    category: str
    description: str
    site: str
    unit_price: Decimal | None
    delta: Decimal | None
    evidence: str
    target_category: str = ""


@dataclass
class Plan:
    """What the amendment says, independent of its layout."""

    number: str
    effective_date: str
    scan_date: str
    added: list[Line] = field(default_factory=list)
    removed: list[Line] = field(default_factory=list)
    changed: list[Line] = field(default_factory=list)
    delta: Decimal = Decimal(0)
    current_fee: Decimal | None = None
    new_fee: Decimal | None = None
    vat_rate: Decimal | None = None
    new_fee_vat: Decimal | None = None
    delta_vat: Decimal | None = None
    unpriced: int = 0
    ambiguous: int = 0
    provisional_left: int = 0
    include_provisional: bool = False


def _option_text(value: object) -> str:
    if value is None or value == "":
        return BLANK
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _identify(result: AuditResult, finding: Finding, lang: Language) -> tuple[str, str]:
    """(identification, evidence) of a finding, raw text."""
    device = result.device(finding.device_id)
    declared = finding.declared
    ident: list[str] = []
    evidence: list[str] = []
    if declared is not None:
        ident += [x for x in (declared.name, declared.hostname, declared.serial) if x]
        ident += list(declared.macs)
        if declared.ip:
            ident.append(declared.ip)
    if device is not None:
        if not ident:
            ident += device.hostnames[:2] + device.ips + device.macs
        seen = device.hostnames[:3] + device.ips + device.macs
        evidence.append(" ".join([device.id, *seen]))
        if device.vendor:
            evidence.append(device.vendor)
        evidence += [rerender(r, lang).text for r in device.reasons[:3]]
        if device.last_seen:
            evidence.append(when(device.last_seen))
    evidence += [d.text for d in finding.details]
    return ", ".join(ident), " — ".join(evidence)


def _line(
    result: AuditResult,
    finding: Finding,
    lang: Language,
    delta: Decimal | None,
    target: Category | None = None,
) -> Line:
    ident, evidence = _identify(result, finding, lang)
    return Line(
        item=finding.equipment_id or finding.device_id or "",
        category=category_label(finding.category, lang),
        description=ident,
        site=finding.site or "",
        unit_price=finding.unit_price,
        delta=delta,
        evidence=evidence,
        target_category=category_label(target, lang) if target is not None else "",
    )


def plan(result: AuditResult, lang: Language, options: Mapping[str, object] | None = None) -> Plan:
    """Decide the amendment's content from an audit result."""
    options = options or {}
    include = bool(options.get("include_provisional", False))
    scan = result.snapshot.started_at or result.started_at
    out = Plan(
        number=_option_text(options.get("number")),
        effective_date=_option_text(options.get("effective_date")),
        scan_date=when(scan),
        include_provisional=include,
    )
    for finding in result.findings:
        if finding.status is Status.UNEXPECTED:
            out.added.append(_line(result, finding, lang, finding.fee_delta))
        elif finding.status is Status.MISSING:
            if finding.provisional and not include:
                out.provisional_left += 1
                continue
            # A provisional absence costs 0 in the audit; removed on request, it is priced.
            delta = None if finding.unit_price is None else -finding.unit_price
            out.removed.append(_line(result, finding, lang, delta))
        elif finding.status is Status.MISMATCH:
            target = finding.observed_category or finding.category
            out.changed.append(_line(result, finding, lang, finding.fee_delta, target))
        elif finding.status is Status.AMBIGUOUS:
            out.ambiguous += 1
    for line in (*out.added, *out.removed, *out.changed):
        if line.delta is None:
            out.unpriced += 1
        else:
            out.delta += line.delta
    out.delta = money(out.delta)
    billing = result.contract.billing
    out.current_fee = result.contract.current_fee
    if out.current_fee is not None:
        out.new_fee = money(out.current_fee + out.delta)
    if billing.vat_rate is not None:
        factor = 1 + billing.vat_rate / 100
        out.vat_rate = billing.vat_rate
        out.delta_vat = money(out.delta * factor)
        if out.new_fee is not None:
            out.new_fee_vat = money(out.new_fee * factor)
    return out


def _rate(value: Decimal, lang: Language) -> str:
    text = f"{value.normalize():f}"
    return text.replace(".", ",") if lang is FR else text


def _fee_rows(p: Plan, result: AuditResult, lang: Language) -> list[tuple[str, str]]:
    """(label, amount) rows of the fee article, raw text."""
    billing = result.contract.billing
    cur, per = billing.currency, period_label(billing.period, lang)
    rows = []
    if p.current_fee is not None:
        rows.append((tx("current_fee", lang), f"{amount(p.current_fee, lang, cur, False)} {per}"))
    rows.append((tx("delta", lang), f"{amount(p.delta, lang, cur)} {per}"))
    if p.new_fee is not None:
        rows.append((tx("new_fee", lang), f"{amount(p.new_fee, lang, cur, False)} {per}"))
    if p.vat_rate is not None:
        rate = _rate(p.vat_rate, lang)
        if p.delta_vat is not None:
            rows.append(
                (tx("delta_vat", lang, rate=rate), f"{amount(p.delta_vat, lang, cur)} {per}")
            )
        if p.new_fee_vat is not None:
            shown = amount(p.new_fee_vat, lang, cur, False)
            rows.append((tx("new_fee_vat", lang, rate=rate), f"{shown} {per}"))
    return [(a, b.strip()) for a, b in rows]


def _notes(p: Plan, lang: Language) -> list[str]:
    notes = []
    if p.unpriced:
        notes.append(tx("unpriced_note", lang, count=p.unpriced))
    if p.include_provisional:
        notes.append(tx("provisional_in", lang))
    elif p.provisional_left:
        notes.append(tx("provisional_out", lang, count=p.provisional_left))
    if p.ambiguous:
        notes.append(tx("ambiguous_note", lang, count=p.ambiguous))
    return notes


def _money_cell(value: Decimal | None, lang: Language, signed: bool) -> str:
    return tx("unpriced", lang) if value is None else amount(value, lang, signed=signed)


def _party_pairs(party: Party | None, lang: Language) -> list[tuple[str, str]]:
    if party is None:
        return [(tx("name", lang), BLANK)]
    return [
        (tx("name", lang), party.name or BLANK),
        (tx("registration", lang), party.registration or ""),
        (tx("address", lang), party.address or ""),
        (tx("representative", lang), party.representative or BLANK),
    ]


def _contract_pairs(p: Plan, result: AuditResult, lang: Language) -> list[tuple[str, str]]:
    c = result.contract
    return [
        (tx("reference", lang), c.reference),
        (tx("contract", lang), c.title or ""),
        (tx("signed_on", lang), c.signed_on.isoformat() if c.signed_on else ""),
        (tx("effective_on", lang), c.effective_on.isoformat() if c.effective_on else ""),
        (tx("number", lang), p.number),
        (tx("effective_date", lang), p.effective_date),
    ]


# --- HTML -----------------------------------------------------------------------------------

AMENDMENT_CSS = """<style>
.sign { display: flex; gap: 8mm; margin-top: 6mm; break-inside: avoid; }
.sign > div { flex: 1; border: 1px solid var(--line); padding: 3mm; min-height: 45mm; }
.sign p { margin: 0 0 6mm; }
.lead { text-align: justify; }
</style>
"""


def _html_lines(lines: list[Line], lang: Language, period: str, changed: bool) -> str:
    if not lines:
        return f"<p>{h(tx('none', lang))}</p>\n"
    header = [tx("col.item", lang)]
    header += [tx("col.from", lang), tx("col.to", lang)] if changed else [tx("col.category", lang)]
    header += [tx("col.description", lang), tx("col.site", lang)]
    header += [tx("col.price", lang, period=period), tx("col.delta", lang, period=period)]
    rows = []
    for line in lines:
        row = [h(line.item), h(line.category)]
        if changed:
            row.append(h(line.target_category))
        row += [h(line.description), h(line.site)]
        row += [
            h(_money_cell(line.unit_price, lang, False)),
            h(_money_cell(line.delta, lang, True)),
        ]
        rows.append(row)
    n = len(header)
    widths = (14, 12, 12, 28, 10, 12, 12) if changed else (16, 14, 32, 12, 13, 13)
    return table([h(x) for x in header], rows, numeric=(n - 2, n - 1), widths=widths)


def render_amendment_html(
    result: AuditResult, lang: Language, options: Mapping[str, object] | None = None
) -> str:
    """The amendment as one self-contained HTML page (A4 print-ready)."""
    p = plan(result, lang, options)
    c = result.contract
    period = period_label(c.billing.period, lang)
    title = tx("title", lang, number=p.number, reference=c.reference)
    colon = COLON[lang]
    body = [AMENDMENT_CSS, f"<h1>{h(title)}</h1>\n"]
    body.append(f"<h2>{h(tx('parties', lang))}</h2>\n")
    for key, party in (("client", c.client), ("provider", c.provider)):
        body.append(f"<h3>{h(tx(key, lang))}</h3>\n")
        body.append(props((h(a), h(b)) for a, b in _party_pairs(party, lang)))
    body.append(f"<h3>{h(tx('contract', lang))}</h3>\n")
    body.append(props((h(a), h(b)) for a, b in _contract_pairs(p, result, lang)))
    body.append(f"<h2>{h(tx('art.object', lang))}</h2>\n")
    body.append(
        f'<p class="lead">{h(tx("object", lang, reference=c.reference, scan_date=p.scan_date))}</p>\n'
    )
    body.append(f"<h2>{h(tx('art.add', lang))}</h2>\n" + _html_lines(p.added, lang, period, False))
    body.append(
        f"<h2>{h(tx('art.remove', lang))}</h2>\n" + _html_lines(p.removed, lang, period, False)
    )
    body.append(
        f"<h2>{h(tx('art.change', lang))}</h2>\n" + _html_lines(p.changed, lang, period, True)
    )
    body.append(f"<h2>{h(tx('art.fee', lang))}</h2>\n")
    body.append(
        table(["", ""], [[h(a), h(b)] for a, b in _fee_rows(p, result, lang)], (1,), (60, 40))
    )
    notes = _notes(p, lang)
    if notes:
        body.append('<ul class="notes">' + "".join(f"<li>{h(n)}</li>" for n in notes) + "</ul>\n")
    body.append(f"<h2>{h(tx('art.other', lang))}</h2>\n<p>{h(tx('other', lang))}</p>\n")
    body.append(f"<h2>{h(tx('signatures', lang))}</h2>\n<p>{h(tx('copies', lang))}</p>\n")
    blocks = []
    for key, party in (("client", c.client), ("provider", c.provider)):
        who = (party.name if party and party.name else None) or tx(key, lang)
        blocks.append(
            f"<div><p><strong>{h(tx('sign.for', lang, party=who))}</strong></p>"
            f"<p>{h(tx('sign.name', lang))}{colon}</p><p>{h(tx('sign.date', lang))}{colon}</p>"
            f"<p>{h(tx('sign.signature', lang))}{colon}</p></div>"
        )
    body.append('<div class="sign">' + "".join(blocks) + "</div>\n")
    body.append(f'<section class="page annex">\n<h2>{h(tx("annex", lang))}</h2>\n')
    body.append(
        props(
            [
                (h(tx("scan_date", lang)), h(p.scan_date)),
                (
                    h(tx("fingerprint", lang)),
                    f'<span class="mono">{h(result.snapshot.fingerprint or "-")}</span>',
                ),
                (h(tx("contract_sha", lang)), f'<span class="mono">{h(c.sha256)}</span>'),
            ]
        )
    )
    evidence = [*p.added, *p.removed, *p.changed]
    if evidence:
        body.append(
            table(
                [h(tx("col.item", lang)), h(tx("col.evidence", lang))],
                [[h(line.item), h(line.evidence, 600)] for line in evidence],
                widths=(20, 80),
            )
        )
    body.append("</section>\n")
    return page(h(title), body, lang)


# --- Markdown -------------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _md_lines(lines: list[Line], lang: Language, period: str, changed: bool) -> list[str]:
    if not lines:
        return [md(tx("none", lang)), ""]
    header = [tx("col.item", lang)]
    header += [tx("col.from", lang), tx("col.to", lang)] if changed else [tx("col.category", lang)]
    header += [tx("col.description", lang), tx("col.site", lang)]
    header += [tx("col.price", lang, period=period), tx("col.delta", lang, period=period)]
    rows = []
    for line in lines:
        row = [md(line.item), md(line.category)]
        if changed:
            row.append(md(line.target_category))
        row += [md(line.description), md(line.site)]
        row += [
            md(_money_cell(line.unit_price, lang, False)),
            md(_money_cell(line.delta, lang, True)),
        ]
        rows.append(row)
    return _md_table([md(x) for x in header], rows)


def render_amendment_md(
    result: AuditResult, lang: Language, options: Mapping[str, object] | None = None
) -> str:
    """The amendment as Markdown (every network string inert and escaped)."""
    p = plan(result, lang, options)
    c = result.contract
    period = period_label(c.billing.period, lang)
    colon = COLON[lang].replace("\u00a0", " ")
    out = [f"# {md(tx('title', lang, number=p.number, reference=c.reference))}", ""]
    out += [f"## {md(tx('parties', lang))}", ""]
    for key, party in (("client", c.client), ("provider", c.provider)):
        out += [f"### {md(tx(key, lang))}", ""]
        out += [f"- {md(a)}{colon}{md(b)}" for a, b in _party_pairs(party, lang) if b] + [""]
    out += [f"### {md(tx('contract', lang))}", ""]
    out += [f"- {md(a)}{colon}{md(b)}" for a, b in _contract_pairs(p, result, lang) if b] + [""]
    out += [f"## {md(tx('art.object', lang))}", ""]
    out += [md(tx("object", lang, reference=c.reference, scan_date=p.scan_date), 2000), ""]
    out += [f"## {md(tx('art.add', lang))}", "", *_md_lines(p.added, lang, period, False)]
    out += [f"## {md(tx('art.remove', lang))}", "", *_md_lines(p.removed, lang, period, False)]
    out += [f"## {md(tx('art.change', lang))}", "", *_md_lines(p.changed, lang, period, True)]
    out += [f"## {md(tx('art.fee', lang))}", ""]
    out += _md_table(["", ""], [[md(a), md(b)] for a, b in _fee_rows(p, result, lang)])
    out += [f"- {md(n)}" for n in _notes(p, lang)]
    if _notes(p, lang):
        out.append("")
    out += [f"## {md(tx('art.other', lang))}", "", md(tx("other", lang)), ""]
    out += [f"## {md(tx('signatures', lang))}", "", md(tx("copies", lang)), ""]
    for key, party in (("client", c.client), ("provider", c.provider)):
        who = (party.name if party and party.name else None) or tx(key, lang)
        out += [f"**{md(tx('sign.for', lang, party=who))}**", ""]
        for label in ("sign.name", "sign.date", "sign.signature"):
            out += [f"{md(tx(label, lang))}{colon}{BLANK}", ""]
    out += [f"## {md(tx('annex', lang))}", ""]
    out += [f"- {md(tx('scan_date', lang))}{colon}{md(p.scan_date)}"]
    out += [f"- {md(tx('fingerprint', lang))}{colon}`{md(result.snapshot.fingerprint or '-')}`"]
    out += [f"- {md(tx('contract_sha', lang))}{colon}`{md(c.sha256)}`", ""]
    evidence = [*p.added, *p.removed, *p.changed]
    if evidence:
        out += _md_table(
            [md(tx("col.item", lang)), md(tx("col.evidence", lang))],
            [[md(line.item), md(line.evidence, 600)] for line in evidence],
        )
    return "\n".join(out).rstrip("\n") + "\n"


def render_amendment(
    result: AuditResult,
    lang: Language,
    fmt: str = "html",
    options: Mapping[str, object] | None = None,
) -> str | bytes:
    """The amendment in ``fmt``: ``html`` and ``md`` give text, ``pdf`` the PDF's bytes.

    ``options``: ``number``, ``effective_date`` (left blank to fill in by hand when absent),
    ``include_provisional``.
    """
    from scopeaudit.errors import UsageError

    if fmt == "html":
        return render_amendment_html(result, lang, options)
    if fmt == "md":
        return render_amendment_md(result, lang, options)
    if fmt == "pdf":
        import tempfile

        from scopeaudit.render.pdf import print_html

        with tempfile.TemporaryDirectory(prefix="scopeaudit-avenant-") as work:
            target = print_html(
                render_amendment_html(result, lang, options), Path(work) / "amendment.pdf", lang
            )
            return target.read_bytes()
    raise UsageError(tx("bad_format", lang, fmt=fmt))

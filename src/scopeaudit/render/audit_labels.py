"""Words and rows shared by the audit's text reports (terminal, CSV, Markdown) in FR and EN.

Every closed set (statuses, categories) has a label in both languages; ``finding_row`` is the
one flattening of a finding the table-shaped reports use. Values stay raw here: each renderer
makes network-sourced text inert in its own way.
"""

from __future__ import annotations

from decimal import Decimal

from scopeaudit.audit_models import AuditResult, Finding, money
from scopeaudit.contract.messages import CATEGORIES
from scopeaudit.i18n import Catalog, render
from scopeaudit.reconcile import DETAILS, detail_text
from scopeaudit.taxonomy import Category, Language, Status

FR, EN = Language.FR, Language.EN

STATUSES: Catalog = {
    Status.MATCHED: {FR: "conforme", EN: "matched"},
    Status.MISMATCH: {FR: "écart", EN: "mismatch"},
    Status.MISSING: {FR: "manquant", EN: "missing"},
    Status.NOT_VERIFIABLE: {FR: "non vérifiable", EN: "not verifiable"},
    Status.UNEXPECTED: {FR: "non déclaré", EN: "unexpected"},
    Status.TOLERATED: {FR: "toléré", EN: "tolerated"},
    Status.AMBIGUOUS: {FR: "ambigu", EN: "ambiguous"},
}

# Report order: what to act on first.
STATUS_ORDER = (
    Status.UNEXPECTED,
    Status.MISSING,
    Status.MISMATCH,
    Status.AMBIGUOUS,
    Status.NOT_VERIFIABLE,
    Status.TOLERATED,
    Status.MATCHED,
)

PERIODS: Catalog = {
    "monthly": {FR: "par mois", EN: "per month"},
    "quarterly": {FR: "par trimestre", EN: "per quarter"},
    "yearly": {FR: "par an", EN: "per year"},
}

TEXT: Catalog = {
    "title": {
        FR: "Audit du périmètre — contrat {reference}",
        EN: "Perimeter audit — contract {reference}",
    },
    "snapshot": {FR: "Instantané {fingerprint}", EN: "Snapshot {fingerprint}"},
    "when": {
        FR: "Audit du {started} au {finished} (UTC)",
        EN: "Audit from {started} to {finished} (UTC)",
    },
    "coverage_rate": {FR: "Taux de couverture", EN: "Coverage rate"},
    "declared": {FR: "Équipements déclarés", EN: "Declared items"},
    "drift": {FR: "Dérive", EN: "Drift"},
    "yes": {FR: "oui", EN: "yes"},
    "no": {FR: "non", EN: "no"},
    "fee_delta": {FR: "Écart de redevance", EN: "Fee change"},
    "fee_delta_vat": {FR: "Écart de redevance TTC", EN: "Fee change incl. VAT"},
    "new_fee": {FR: "Nouvelle redevance HT", EN: "New fee excl. tax"},
    "excl_tax": {FR: "HT", EN: "excl. tax"},
    "unpriced": {
        FR: "Catégories sans prix unitaire (montants exclus du total) : {categories}",
        EN: "Categories without a unit price (left out of the total): {categories}",
    },
    "provisional_note": {
        FR: "{count} absence(s) provisoire(s) : signalées, hors dérive, hors redevance",
        EN: "{count} provisional absence(s): reported, not drift, not billed",
    },
    "left_out": {
        FR: "Écartés : {ignored} par décision, {out_of_scope} hors périmètre par règle",
        EN: "Left out: {ignored} by decision, {out_of_scope} out of scope by policy",
    },
    "by_status": {FR: "Par statut", EN: "By status"},
    "by_site": {FR: "Par site", EN: "By site"},
    "coverage": {FR: "Couverture des réseaux", EN: "Network coverage"},
    "sources": {FR: "Sources", EN: "Sources"},
    "ok": {FR: "ok", EN: "ok"},
    "failed": {FR: "échec", EN: "failed"},
    "verifiable": {FR: "vérifiable", EN: "verifiable"},
    "not_reached": {FR: "non atteint", EN: "not reached"},
    "none": {FR: "aucune", EN: "none"},
    "col.status": {FR: "Statut", EN: "Status"},
    "col.equipment": {FR: "Équipement", EN: "Item"},
    "col.device": {FR: "Appareil", EN: "Device"},
    "col.category": {FR: "Catégorie", EN: "Category"},
    "col.observed": {FR: "Catégorie vue", EN: "Seen as"},
    "col.ip": {FR: "IP", EN: "IP"},
    "col.mac": {FR: "MAC", EN: "MAC"},
    "col.names": {FR: "Noms", EN: "Names"},
    "col.vendor": {FR: "Fabricant", EN: "Vendor"},
    "col.site": {FR: "Site", EN: "Site"},
    "col.fee": {FR: "Écart", EN: "Fee"},
    "col.provisional": {FR: "Provisoire", EN: "Provisional"},
    "col.details": {FR: "Détails", EN: "Details"},
    "col.count": {FR: "Nombre", EN: "Count"},
    "col.network": {FR: "Réseau", EN: "Network"},
    "col.methods": {FR: "Méthodes", EN: "Methods"},
    "col.duration": {FR: "Durée", EN: "Duration"},
    "col.error": {FR: "Erreur", EN: "Error"},
    "provisional": {FR: "provisoire", EN: "provisional"},
    "pending": {FR: "avenant en attente", EN: "pending amendment"},
    "unknown_amount": {FR: "inconnu", EN: "unknown"},
}


def t(code: str, lang: Language, **params: object) -> str:
    """One label of ``TEXT`` in ``lang``."""
    return render(TEXT, code, params, lang)


def status_label(status: Status, lang: Language) -> str:
    return STATUSES[status][lang]


def category_label(category: Category | None, lang: Language) -> str:
    return CATEGORIES[category][lang] if category is not None else ""


def amount(
    value: Decimal | None, lang: Language, currency: str | None = None, signed: bool = True
) -> str:
    """An amount to the cent (``+10.00``, FR ``+10,00``), with the currency when known."""
    if value is None:
        return t("unknown_amount", lang)
    text = f"{money(value):+.2f}" if signed else f"{money(value):.2f}"
    if lang is Language.FR:
        text = text.replace(".", ",")
    return f"{text} {currency}" if currency else text


def percent(rate: float | None, lang: Language) -> str:
    """A rate as a percentage with one decimal (``94.4 %``, FR ``94,4 %``), ``-`` when none."""
    if rate is None:
        return "-"
    text = f"{rate * 100:.1f} %"
    return text.replace(".", ",") if lang is Language.FR else text


def period_label(period: str | None, lang: Language) -> str:
    return PERIODS[period][lang] if period is not None and period in PERIODS else ""


def detail_texts(finding: Finding, lang: Language) -> list[str]:
    """The finding's details in ``lang`` (rendered again, so ``--lang`` wins over the result's)."""
    out: list[str] = []
    for item in finding.details:
        if item.code in DETAILS:
            out.append(detail_text(item.code, item.params, lang))
        else:
            out.append(item.text)
    return out


def finding_row(result: AuditResult, finding: Finding, lang: Language) -> dict[str, str]:
    """The columns of a finding, raw text (renderers escape)."""
    device = result.device(finding.device_id)
    if finding.candidates:
        devices = [result.device(c.device_id) for c in finding.candidates]
        ips = sorted({ip for d in devices if d for ip in d.ips})
        macs = sorted({m for d in devices if d for m in d.macs})
        names = sorted({n for d in devices if d for n in d.hostnames})
        equipment = ", ".join(sorted({c.equipment_id for c in finding.candidates}))
        device_ids = ", ".join(sorted({c.device_id for c in finding.candidates}))
        vendor = ""
    else:
        ips = (
            list(device.ips)
            if device
            else ([finding.declared.ip] if finding.declared and finding.declared.ip else [])
        )
        macs = (
            list(device.macs)
            if device
            else (list(finding.declared.macs) if finding.declared else [])
        )
        names = (
            list(device.hostnames)
            if device
            else (
                [finding.declared.hostname]
                if finding.declared and finding.declared.hostname
                else []
            )
        )
        equipment = finding.equipment_id or ""
        device_ids = finding.device_id or ""
        vendor = (device.vendor if device else None) or ""
    return {
        "status": status_label(finding.status, lang),
        "equipment": equipment,
        "device": device_ids,
        "category": category_label(finding.category, lang),
        "observed": category_label(finding.observed_category, lang),
        "ip": ", ".join(ips),
        "mac": ", ".join(macs),
        "names": ", ".join(names),
        "vendor": vendor,
        "site": finding.site or "",
        "provisional": t("yes", lang) if finding.provisional else "",
        "details": "; ".join(detail_texts(finding, lang)),
    }


COLUMNS = (
    "status",
    "equipment",
    "device",
    "category",
    "observed",
    "ip",
    "mac",
    "names",
    "vendor",
    "site",
    "fee",
    "provisional",
    "details",
)
COLUMN_LABELS = {
    "status": "col.status",
    "equipment": "col.equipment",
    "device": "col.device",
    "category": "col.category",
    "observed": "col.observed",
    "ip": "col.ip",
    "mac": "col.mac",
    "names": "col.names",
    "vendor": "col.vendor",
    "site": "col.site",
    "fee": "col.fee",
    "provisional": "col.provisional",
    "details": "col.details",
}


def ordered(result: AuditResult) -> list[Finding]:
    """Findings grouped by status in report order, stable inside a group."""
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    return sorted(result.findings, key=lambda f: rank[f.status])

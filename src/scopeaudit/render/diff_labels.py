"""Words and rows shared by the diff's human reports (terminal, Markdown, HTML) in FR and EN.

``sections`` is the one flattening of a ``RunDiff`` into titled tables of raw strings; each
renderer makes the cells safe in its own way (network names stay raw until then).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scopeaudit.diff_models import (
    DeviceChange,
    DeviceField,
    DeviceRef,
    RunDiff,
    ScopeChange,
    ScopeKind,
    Side,
    SideKind,
)
from scopeaudit.i18n import Catalog, render
from scopeaudit.render.audit_labels import category_label, status_label
from scopeaudit.taxonomy import Category, Language, Status

FR, EN = Language.FR, Language.EN

TEXT: Catalog = {
    "title": {FR: "Changements entre deux passages", EN: "Changes between two runs"},
    "from": {FR: "Avant", EN: "Before"},
    "to": {FR: "Après", EN: "After"},
    "run": {FR: "passage {id}", EN: "run {id}"},
    "side": {
        FR: "{what}, {kind} du {started} (UTC), {devices} appareils, {fingerprint}",
        EN: "{what}, {kind} of {started} (UTC), {devices} devices, {fingerprint}",
    },
    "kind_snapshot": {FR: "instantané", EN: "snapshot"},
    "kind_audit": {FR: "audit", EN: "audit"},
    "no_change": {FR: "Aucun changement.", EN: "No change."},
    "scope_not_compared": {
        FR: "Statuts de périmètre non comparés : il faut deux audits (pas des instantanés).",
        EN: "Scope statuses not compared: that needs two audits (not snapshots).",
    },
    "new": {FR: "Nouveaux appareils", EN: "New devices"},
    "gone": {FR: "Appareils disparus", EN: "Devices gone"},
    "changed": {FR: "Appareils modifiés", EN: "Changed devices"},
    "newly_unexpected": {FR: "Nouveaux non déclarés", EN: "Newly unexpected"},
    "newly_missing": {FR: "Nouveaux manquants", EN: "Newly missing"},
    "resolved": {FR: "Résolus", EN: "Resolved"},
    "status_changed": {FR: "Autres changements de statut", EN: "Other status changes"},
    "col_device": {FR: "Appareil", EN: "Device"},
    "col_category": {FR: "Catégorie", EN: "Category"},
    "col_macs": {FR: "MAC", EN: "MACs"},
    "col_ips": {FR: "Adresses IP", EN: "IP addresses"},
    "col_names": {FR: "Noms", EN: "Names"},
    "col_matched_by": {FR: "Apparié par", EN: "Matched by"},
    "col_field": {FR: "Champ", EN: "Field"},
    "col_before": {FR: "Avant", EN: "Before"},
    "col_after": {FR: "Après", EN: "After"},
    "col_item": {FR: "Élément", EN: "Item"},
    "col_name": {FR: "Nom", EN: "Name"},
    "equipment": {FR: "équipement {id}", EN: "equipment {id}"},
    "device": {FR: "appareil {id}", EN: "device {id}"},
    "none": {FR: "(aucun)", EN: "(none)"},
    "absent": {FR: "(absent)", EN: "(absent)"},
    "provisional": {FR: "{status} (provisoire)", EN: "{status} (provisional)"},
    "randomized": {FR: "{mac} (aléatoire)", EN: "{mac} (randomized)"},
    "summary": {
        FR: "nouveaux : {new}, disparus : {gone}, modifiés : {changed}, "
        "inchangés : {unchanged} ; nouveaux non déclarés : {newly_unexpected}, "
        "nouveaux manquants : {newly_missing}, résolus : {resolved}, "
        "autres changements de statut : {status_changed}",
        EN: "new: {new}, gone: {gone}, changed: {changed}, unchanged: {unchanged}; "
        "newly unexpected: {newly_unexpected}, newly missing: {newly_missing}, "
        "resolved: {resolved}, other status changes: {status_changed}",
    },
}

FIELDS: Catalog = {
    DeviceField.IPS: {FR: "adresses IP", EN: "IP addresses"},
    DeviceField.NAMES: {FR: "noms", EN: "names"},
    DeviceField.MACS: {FR: "MAC", EN: "MACs"},
    DeviceField.CATEGORY: {FR: "catégorie", EN: "category"},
    DeviceField.OPEN_PORTS: {FR: "ports ouverts", EN: "open ports"},
    DeviceField.VENDOR: {FR: "fabricant", EN: "vendor"},
}

MATCHED_BY: Catalog = {
    "id": {FR: "identifiant", EN: "device id"},
    "serial": {FR: "numéro de série", EN: "serial number"},
    "mac": {FR: "MAC", EN: "MAC"},
    "client_id": {FR: "client-id DHCP", EN: "DHCP client-id"},
    "name": {FR: "nom annoncé", EN: "announced name"},
}

SCOPE_SECTIONS = ("newly_unexpected", "newly_missing", "resolved", "status_changed")


def t(code: str, lang: Language, **params: object) -> str:
    """One label of ``TEXT`` in ``lang``."""
    return render(TEXT, code, params, lang)


@dataclass(frozen=True)
class Section:
    """One titled table of a diff report; cells are raw text (the renderer escapes them)."""

    key: str
    title: str
    header: list[str]
    rows: list[list[str]]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def side_line(side: Side, lang: Language) -> str:
    """Which run or file a side is, what it was, when, how many devices, its fingerprint."""
    what = t("run", lang, id=side.run_id) if side.run_id else side.path or "-"
    kind = t("kind_audit" if side.kind is SideKind.AUDIT else "kind_snapshot", lang)
    return t(
        "side",
        lang,
        what=what,
        kind=kind,
        started=_when(side.started_at),
        devices=side.devices,
        fingerprint=side.fingerprint or "-",
    )


def summary_line(diff: RunDiff, lang: Language) -> str:
    """All counts in one sentence."""
    return t("summary", lang, **diff.summary.model_dump())


def _macs(device: DeviceRef, lang: Language) -> str:
    if device.randomized_mac:
        return ", ".join(render(TEXT, "randomized", {"mac": m}, lang) for m in device.macs)
    return ", ".join(device.macs)


def _device_row(device: DeviceRef, lang: Language) -> list[str]:
    return [
        device.id,
        category_label(device.category, lang),
        _macs(device, lang),
        ", ".join(device.ips),
        ", ".join(device.hostnames),
    ]


def _value(field: DeviceField, value: list[str] | str | None, lang: Language) -> str:
    if value is None or value == []:
        return t("none", lang)
    if isinstance(value, list):
        return ", ".join(value)
    if field is DeviceField.CATEGORY:
        try:
            return category_label(Category(value), lang)
        except ValueError:
            return value
    return value


def _change_rows(change: DeviceChange, lang: Language) -> list[list[str]]:
    name = change.device.hostnames[0] if change.device.hostnames else ""
    device = change.after_id if not name else f"{change.after_id} {name}"
    matched = (
        render(MATCHED_BY, change.matched_by, {}, lang)
        if change.matched_by in MATCHED_BY
        else change.matched_by
    )
    return [
        [
            device,
            matched,
            render(FIELDS, item.field, {}, lang),
            _value(item.field, item.before, lang),
            _value(item.field, item.after, lang),
        ]
        for item in change.changes
    ]


def _status(status: Status | None, provisional: bool, lang: Language) -> str:
    if status is None:
        return t("absent", lang)
    label = status_label(status, lang)
    return t("provisional", lang, status=label) if provisional else label


def _scope_row(change: ScopeChange, lang: Language) -> list[str]:
    if change.kind is ScopeKind.EQUIPMENT:
        item = t("equipment", lang, id=change.equipment_id)
    else:
        item = t("device", lang, id=change.device_id)
    return [
        item,
        change.name or "",
        category_label(change.category, lang),
        _status(change.before, change.before_provisional, lang),
        _status(change.after, change.after_provisional, lang),
    ]


def sections(diff: RunDiff, lang: Language) -> list[Section]:
    """The non-empty tables of the report, in reading order (devices, then scope)."""
    device_header = [
        t(c, lang) for c in ("col_device", "col_category", "col_macs", "col_ips", "col_names")
    ]
    scope_header = [
        t(c, lang) for c in ("col_item", "col_name", "col_category", "col_before", "col_after")
    ]
    out = [
        Section(
            "new", t("new", lang), device_header, [_device_row(d, lang) for d in diff.devices.new]
        ),
        Section(
            "gone",
            t("gone", lang),
            device_header,
            [_device_row(d, lang) for d in diff.devices.gone],
        ),
        Section(
            "changed",
            t("changed", lang),
            [
                t(c, lang)
                for c in ("col_device", "col_matched_by", "col_field", "col_before", "col_after")
            ],
            [row for change in diff.devices.changed for row in _change_rows(change, lang)],
        ),
    ]
    for key in SCOPE_SECTIONS:
        changes: list[ScopeChange] = getattr(diff.scope, key)
        out.append(Section(key, t(key, lang), scope_header, [_scope_row(c, lang) for c in changes]))
    return [section for section in out if section.rows]

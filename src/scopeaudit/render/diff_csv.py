"""The diff as CSV: one row per change, for spreadsheets (issue 7, item 2).

Columns: ``kind`` (a code: new, gone, changed, newly_unexpected, newly_missing, resolved,
status_changed), the device id, the equipment id, the category, the name, ``field`` (a code: a
``DeviceField`` for changed devices, ``status`` for scope changes, empty for a device new or
gone), the value before and after. ``kind`` and ``field`` stay codes so a filter works in any
language; the header, categories and statuses are in the report's language.

A device new or gone is one row whose before/after cell lists its MACs then its IPs. Every cell
built from network data goes through ``safetext.inert`` and ``safetext.csv_cell`` (a leading
``= + - @``, TAB or CR is neutralized), as in ``render.audit_csv``.
"""

from __future__ import annotations

import csv
import io

from scopeaudit.diff_models import DeviceRef, RunDiff, ScopeChange
from scopeaudit.i18n import Catalog, render
from scopeaudit.render.audit_labels import category_label, status_label
from scopeaudit.render.diff_labels import SCOPE_SECTIONS
from scopeaudit.safetext import csv_cell, inert
from scopeaudit.taxonomy import Category, Language, Status

FR, EN = Language.FR, Language.EN

COLUMNS = ("kind", "device", "equipment", "category", "name", "field", "before", "after")

HEADER: Catalog = {
    "kind": {FR: "type", EN: "kind"},
    "device": {FR: "appareil", EN: "device"},
    "equipment": {FR: "équipement", EN: "equipment"},
    "category": {FR: "catégorie", EN: "category"},
    "name": {FR: "nom", EN: "name"},
    "field": {FR: "champ", EN: "field"},
    "before": {FR: "avant", EN: "before"},
    "after": {FR: "après", EN: "after"},
}

PROVISIONAL: Catalog = {
    "provisional": {FR: "{status} (provisoire)", EN: "{status} (provisional)"},
}

# Long enough for a device's every address; a cell is never unbounded.
_LIMIT = 1000


def _cell(text: str) -> str:
    return csv_cell(inert(text, _LIMIT))


def _listed(device: DeviceRef) -> str:
    return ", ".join([*device.macs, *device.ips])


def _value(value: list[str] | str | None) -> str:
    if value is None:
        return ""
    return ", ".join(value) if isinstance(value, list) else value


def _status(status: Status | None, provisional: bool, lang: Language) -> str:
    if status is None:
        return ""
    label = status_label(status, lang)
    return render(PROVISIONAL, "provisional", {"status": label}, lang) if provisional else label


def _category(value: str, lang: Language) -> str:
    try:
        return category_label(Category(value), lang)
    except ValueError:
        return value


def _device_row(kind: str, device: DeviceRef, lang: Language) -> list[str]:
    listed = _cell(_listed(device))
    return [
        kind,
        _cell(device.id),
        "",
        category_label(device.category, lang),
        _cell(", ".join(device.hostnames)),
        "",
        listed if kind == "gone" else "",
        listed if kind == "new" else "",
    ]


def _scope_row(kind: str, change: ScopeChange, lang: Language) -> list[str]:
    return [
        kind,
        _cell(change.device_id or ""),
        _cell(change.equipment_id or ""),
        category_label(change.category, lang),
        _cell(change.name or ""),
        "status",
        _status(change.before, change.before_provisional, lang),
        _status(change.after, change.after_provisional, lang),
    ]


def rows(diff: RunDiff, lang: Language) -> list[list[str]]:
    """Every change as a row of ``COLUMNS``, in the human reports' order."""
    out = [_device_row("new", d, lang) for d in diff.devices.new]
    out += [_device_row("gone", d, lang) for d in diff.devices.gone]
    for change in diff.devices.changed:
        device = change.device
        for item in change.changes:
            before, after = _value(item.before), _value(item.after)
            if item.field.value == "category":
                before, after = _category(before, lang), _category(after, lang)
            out.append(
                [
                    "changed",
                    _cell(change.after_id),
                    "",
                    category_label(device.category, lang),
                    _cell(", ".join(device.hostnames)),
                    item.field.value,
                    _cell(before),
                    _cell(after),
                ]
            )
    for key in SCOPE_SECTIONS:
        changes: list[ScopeChange] = getattr(diff.scope, key)
        out += [_scope_row(key, c, lang) for c in changes]
    return out


def render_csv(diff: RunDiff, lang: Language) -> str:
    """CSV text (RFC 4180 quoting, ``\\r\\n`` line ends), header in ``lang``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([render(HEADER, c, {}, lang) for c in COLUMNS])
    writer.writerows(rows(diff, lang))
    return buffer.getvalue()

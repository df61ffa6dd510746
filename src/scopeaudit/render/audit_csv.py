"""The audit as CSV: one row per finding, for spreadsheets.

Text columns that come from the network (names, vendors, details) go through
``safetext.csv_cell`` (a leading ``= + - @``, TAB or CR is neutralized) and ``safetext.inert``
(no control characters); amounts stay numbers (a dot decimal separator, two decimals, empty when
unknown) so a spreadsheet sums them.
"""

from __future__ import annotations

import csv
import io

from scopeaudit.audit_models import AuditResult, money
from scopeaudit.render.audit_labels import COLUMN_LABELS, COLUMNS, finding_row, ordered, t
from scopeaudit.safetext import csv_cell, inert
from scopeaudit.taxonomy import Language

# Columns whose text we did not write ourselves: always neutralized.
_RAW = frozenset({"equipment", "device", "ip", "mac", "names", "vendor", "site", "details"})


def render_csv(result: AuditResult, lang: Language) -> str:
    """CSV text (RFC 4180 quoting, ``\\r\\n`` line ends), header in ``lang``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([t(COLUMN_LABELS[c], lang) for c in COLUMNS] + ["code"])
    for finding in ordered(result):
        row = finding_row(result, finding, lang)
        fee = finding.fee_delta
        row["fee"] = f"{money(fee):.2f}" if fee is not None else ""
        cells = [csv_cell(inert(row[c], 1000)) if c in _RAW else row[c] for c in COLUMNS]
        writer.writerow([*cells, finding.status.value])
    return buffer.getvalue()

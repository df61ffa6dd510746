"""The audit as JSON (``scopeaudit.audit/1``, DESIGN §6; documented in docs/json.md).

Keys are sorted and the output indented, so two runs diff cleanly; money is a JSON number
rounded half-up to the cent (see ``audit_models.Money``). Network text stays raw: JSON escaping
is enough for a JSON reader, and every human renderer makes it inert.
"""

from __future__ import annotations

import json
from typing import Any

from scopeaudit.audit_models import AuditResult


def audit_document(result: AuditResult) -> dict[str, Any]:
    """The result as a JSON-ready dict (aliases, RFC 3339 times, money as numbers)."""
    return result.model_dump(mode="json", by_alias=True)


def render_json(result: AuditResult) -> str:
    """The JSON text, ending with a newline."""
    document = audit_document(result)
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (invalid UTF-8 heard on the wire) cannot be written as UTF-8: the
        # ASCII form escapes it as \udcXX and stays valid JSON.
        text = json.dumps(document, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    return text

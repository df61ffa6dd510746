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
    return json.dumps(audit_document(result), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

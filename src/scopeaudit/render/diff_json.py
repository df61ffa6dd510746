"""The diff as JSON (``scopeaudit.diff/1``; schema in docs/schema/diff.schema.json).

Keys sorted and indented like the audit's JSON; network text stays raw (JSON escaping is enough
for a JSON reader; every human renderer makes it inert).
"""

from __future__ import annotations

import json
from typing import Any

from scopeaudit.diff_models import RunDiff


def diff_document(diff: RunDiff) -> dict[str, Any]:
    """The diff as a JSON-ready dict (aliases, RFC 3339 times)."""
    return diff.model_dump(mode="json", by_alias=True)


def render_json(diff: RunDiff) -> str:
    """The JSON text, ending with a newline."""
    document = diff_document(diff)
    text = json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (invalid UTF-8 heard on the wire): the ASCII form stays valid JSON.
        text = json.dumps(document, ensure_ascii=True, indent=1, sort_keys=True) + "\n"
    return text

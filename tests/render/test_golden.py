"""Golden HTML report and amendment (HTML, Markdown) in French and English.

Input: the committed office-lab snapshot and the demo contract (as the other formats' goldens).
Regenerate only on purpose: ``SCOPEAUDIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/render/test_golden.py``
(CI never does, and fails when the output differs).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from scopeaudit.audit_models import AuditResult
from scopeaudit.render.amendment import render_amendment
from scopeaudit.render.html import render_html
from scopeaudit.taxonomy import Language

from .helpers import demo_result

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SCOPEAUDIT_UPDATE_GOLDEN") == "1"
OPTIONS = {"number": "3", "effective_date": "2027-01-01"}


def _text(value: str | bytes) -> str:
    assert isinstance(value, str)
    return value


RENDERERS: dict[str, Callable[[AuditResult, Language], str]] = {
    "report.html": lambda r, lang: render_html(r, lang),
    "amendment.html": lambda r, lang: _text(render_amendment(r, lang, "html", OPTIONS)),
    "amendment.md": lambda r, lang: _text(render_amendment(r, lang, "md", OPTIONS)),
}


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("kind", list(RENDERERS))
def test_golden(kind: str, lang: Language) -> None:
    text = RENDERERS[kind](demo_result(lang), lang)
    name, ext = kind.split(".")
    path = GOLDEN / f"office-demo.{name}.{lang.value}.{ext}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(text)
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert text == expected, f"{path.name} differs: regenerate on purpose (see module doc)"

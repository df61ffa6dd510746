"""The HTML report: self-contained, print-ready, translated, and inert with hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scopeaudit.render.audit_labels import STATUS_ORDER, status_label
from scopeaudit.render.html import CSP, SCRIPT, TEXT, h, render_html
from scopeaudit.taxonomy import Category, Language, Status

from .helpers import ATTACKS, LONG_NAME, TITLE_ATTACKS, Page, demo_result, hostile_result

FORBIDDEN = ("\x1b", "\x00", "\u202e", "\r", "\x07")


@pytest.fixture(scope="module")
def demo() -> dict[Language, str]:
    return {lang: render_html(demo_result(lang), lang) for lang in Language}


@pytest.mark.parametrize("lang", list(Language))
def test_self_contained(demo: dict[Language, str], lang: Language) -> None:
    text = demo[lang]
    page = Page(text)
    assert "link" not in page.tags and "iframe" not in page.tags and "img" not in page.tags
    names = {name for name, _ in page.attributes}
    assert not names & {"src", "href", "action", "formaction", "srcset", "data", "poster"}
    assert "url(" not in text and "@import" not in text
    # The one URL in markup is the SVG namespace, a name, not a request (URLs heard on the
    # network, like the hostile persona's, are text only).
    urls = {value for _, value in page.attributes if value and "://" in value}
    assert urls == {"http://www.w3.org/2000/svg"}
    assert page.scripts == [SCRIPT]  # our own beforeprint helper only
    assert ("content", CSP) in page.attributes and "default-src 'none'" in CSP


@pytest.mark.parametrize("lang", list(Language))
def test_print_ready(demo: dict[Language, str], lang: Language) -> None:
    text = demo[lang]
    assert "@page { size: A4;" in text and "@media print" in text
    assert "details::details-content" in text  # printing from a browser opens them too
    closed = text.count("<details>")
    assert closed >= 20 and "<details open>" not in text  # collapsed on screen
    expanded = render_html(demo_result(lang), lang, expanded=True)
    assert expanded.count("<details open>") == closed and "<details>" not in expanded
    assert text.count('<section class="page') == 1 + len(
        {s for s in Status if demo_result(lang).summary.by_status.get(s)}
    )  # each status table and the annex start a page


def test_labels_in_both_languages(demo: dict[Language, str]) -> None:
    for code, labels in TEXT.items():
        assert set(labels) == set(Language), code
    fr, en = demo[Language.FR], demo[Language.EN]
    assert '<html lang="fr">' in fr and '<html lang="en">' in en
    for label in ("Synthèse", "Taux de couverture", "Annexe — journal des sondes", "Par site"):
        assert h(label) in fr and h(label) not in en
    for label in ("Summary", "Coverage rate", "Annex — probe log", "By site"):
        assert label in en and label not in fr
    for status in STATUS_ORDER:
        assert h(status_label(status, Language.FR)) in fr


def test_summary_figures(demo: dict[Language, str]) -> None:
    en, fr = demo[Language.EN], demo[Language.FR]
    assert "-66.00 EUR excl. tax per month" in en and "-66,00 EUR HT par mois" in fr
    assert "-79.20 EUR per month" in en and "1451.00 EUR per month" in en
    assert "94.4 %" in en and "94,4 %" in fr
    result = demo_result(Language.EN)
    page = Page(en).all_text
    assert "HQ-NAS-01" in page and "HQ-PC-03" in page  # mismatch, provisional missing
    assert "10.77.0.33" in page and "10.77.0.64" in page  # unexpected printer, camera
    for record in result.probe_log:
        assert h(record.action) in en
    assert result.snapshot.fingerprint and result.snapshot.fingerprint in en


def test_chart_declared_vs_found(demo: dict[Language, str]) -> None:
    result = demo_result(Language.EN)
    svg = demo[Language.EN].split("<svg", 1)[1].split("</svg>", 1)[0]
    rows = [
        (c, t.declared, t.found)
        for c, t in result.summary.by_category.items()
        if t.declared or t.found
    ]
    assert svg.count("<rect") == 2 + 2 * len(rows)  # legend + two bars per category
    numbers = [int(n) for n in re.findall(r'font-size="9">(\d+)</text>', svg)]
    order = {c: i for i, c in enumerate(Category)}
    expected = [n for _, d, f in sorted(rows, key=lambda r: order[r[0]]) for n in (d, f)]
    assert numbers == expected
    assert {c: (d, f) for c, d, f in rows}[Category.PRINTER] == (1, 2)


@pytest.mark.parametrize("lang", list(Language))
def test_hostile_strings_inert(tmp_path: Path, lang: Language) -> None:
    result = hostile_result(tmp_path, lang)
    text = render_html(result, lang, expanded=True)
    text.encode("utf-8")  # invalid UTF-8 from the wire cannot break the file
    for char in FORBIDDEN:
        assert char not in text, repr(char)
    page = Page(text)
    assert page.scripts == [SCRIPT]
    assert not [name for name, _ in page.attributes if name.startswith("on")]
    assert page.tags.count("svg") == 1 and "img" not in page.tags and "b" not in page.tags
    shown = page.all_text
    assert ATTACKS["script"] in shown  # shown as text, exactly
    for attack in TITLE_ATTACKS.values():
        assert attack in shown
    assert "Client <b>bold</b> & co" in shown
    assert "\\x1b[31mRED\\x1b[0m" in shown and "invoice\\u202egpj.exe" in shown
    assert "bad\\udcff\\udcfeutf8" in shown and "nul\\x00byte" in shown
    # A 10,000-character name is cut, never a wall of text.
    assert LONG_NAME not in shown and "N" * 299 + "…" in shown
    assert max(len(run) for run in re.findall(r"N+", shown)) < 400

"""The contract amendment: what it adds, removes and re-prices, in HTML and Markdown."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from scopeaudit.errors import UsageError
from scopeaudit.render.amendment import BLANK, plan, render_amendment
from scopeaudit.render.html import SCRIPT
from scopeaudit.render.html import render_amendment as via_html_module
from scopeaudit.taxonomy import Language

from .helpers import ATTACKS, TITLE_ATTACKS, Page, demo_result, hostile_result

FORBIDDEN = ("\x1b", "\x00", "\u202e", "\r", "\x07")


def test_demo_plan_matches_the_planted_gaps() -> None:
    result = demo_result(Language.EN)
    p = plan(result, Language.EN)
    added = {line.description.split(", ")[-2]: line.delta for line in p.added}
    # Exactly the planted ones: prn02 and cam01.
    assert added == {"10.77.0.33": Decimal("10"), "10.77.0.64": Decimal("9")}
    assert [(x.item, x.category, x.target_category, x.delta) for x in p.changed] == [
        ("HQ-NAS-01", "server", "NAS", Decimal("-85"))
    ]
    assert p.removed == [] and p.provisional_left == 1  # HQ-PC-03 is provisional
    assert p.delta == result.summary.fee_delta_total == Decimal("-66")
    assert p.current_fee == Decimal("1517") and p.new_fee == result.summary.new_fee
    assert p.new_fee == Decimal("1451") and p.new_fee_vat == Decimal("1741.20")
    assert p.delta_vat == Decimal("-79.20") and p.unpriced == 0


def test_include_provisional_removes_the_unseen_laptop() -> None:
    p = plan(demo_result(Language.EN), Language.EN, {"include_provisional": True})
    assert [(x.item, x.unit_price, x.delta) for x in p.removed] == [
        ("HQ-PC-03", Decimal("32"), Decimal("-32"))
    ]
    assert p.provisional_left == 0 and p.delta == Decimal("-98") and p.new_fee == Decimal("1419")


@pytest.mark.parametrize("fmt", ["html", "md"])
def test_titles_options_and_blanks(fmt: str) -> None:
    fr = render_amendment(demo_result(Language.FR), Language.FR, fmt, {"number": 3})
    en = render_amendment(
        demo_result(Language.EN),
        Language.EN,
        fmt,
        {"number": "2026-07", "effective_date": date(2027, 1, 1)},
    )
    assert isinstance(fr, str) and isinstance(en, str)
    assert "Avenant n° 3 au contrat DEMO-2026-001 — modification du périmètre" in fr
    assert "Amendment no. 2026-07 to contract DEMO-2026-001 — change of perimeter" in en
    assert "2027-01-01" in en and BLANK in fr  # an absent effective date is left to fill in
    assert "1451,00 EUR par mois" in fr and "1741,20 EUR par mois" in fr
    assert "1451.00 EUR per month" in en and "-85.00" in en
    assert "Société Démo SARL" in fr and "Infogest Services SAS" in fr
    assert "2026-03-02" in fr and "2026-04-01" in fr  # contract signature and effective dates
    assert "sha256:3a8086b3" in fr  # the scan's fingerprint in the annex
    assert "Pour Société Démo SARL" in fr and "For Infogest Services SAS" in en
    assert via_html_module(demo_result(Language.FR), Language.FR, fmt, {"number": 3}) == fr


def test_hostile_amendment_html(tmp_path: Path) -> None:
    text = render_amendment(hostile_result(tmp_path), Language.EN, "html", {"number": 1})
    assert isinstance(text, str)
    for char in FORBIDDEN:
        assert char not in text
    page = Page(text)
    assert page.scripts == [SCRIPT]
    assert not [name for name, _ in page.attributes if name.startswith("on")]
    assert "img" not in page.tags and "b" not in page.tags
    shown = page.all_text
    assert ATTACKS["script"] in shown and TITLE_ATTACKS["title_img"] in shown
    assert "Client <b>bold</b> & co" in shown


def test_hostile_amendment_markdown(tmp_path: Path) -> None:
    text = render_amendment(hostile_result(tmp_path), Language.FR, "md", {"number": 1})
    assert isinstance(text, str)
    for char in FORBIDDEN:
        assert char not in text
    assert not re.search(r"(?<!\\)<", text)  # no raw HTML tag opens
    assert "[click](javascript" not in text
    rows = [line for line in text.splitlines() if line.startswith("| dev-")]
    assert len(rows) == 2 * len(ATTACKS)  # article 2 and the annex, one row each
    for line in rows:
        assert line.replace("\\|", "").count("|") in (3, 7), line  # cells never split


def test_unknown_format() -> None:
    with pytest.raises(UsageError, match="docx"):
        render_amendment(demo_result(Language.EN), Language.EN, "docx", {})


def test_decisions_pending_is_added_accepted_is_not() -> None:
    from scopeaudit.audit import build_result
    from scopeaudit.contract import read_contract
    from scopeaudit.decisions import DecisionsFile
    from scopeaudit.snapshot import read_snapshot

    from .helpers import DEMO, SNAPSHOT

    entry = {"reason": "r", "author": "t", "date": "2026-11-01"}
    decisions = DecisionsFile.model_validate(
        {
            "decisions": [
                {"device": "dev-eeb9b6302f99", "action": "pending_amendment", **entry},
                {"device": "dev-1ac0de597642", "action": "accept", **entry},
            ]
        }
    )
    result = build_result(
        read_contract(DEMO, "en"), read_snapshot(SNAPSHOT), decisions=decisions, lang=Language.EN
    )
    p = plan(result, Language.EN)
    added = {line.item: line.delta for line in p.added}
    assert added["dev-eeb9b6302f99"] == Decimal("10")  # pending amendment: listed, priced
    assert "dev-1ac0de597642" not in added  # accepted: tolerated, not in the amendment
    assert p.delta == result.summary.fee_delta_total == Decimal("-75")

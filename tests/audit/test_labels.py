"""Every closed set the audit shows has its label in French and English (DESIGN §3)."""

from __future__ import annotations

from scopeaudit.contract import Period
from scopeaudit.reconcile import DEFAULT_PRESENCE
from scopeaudit.render.audit_labels import PERIODS, STATUS_ORDER, STATUSES, TEXT, amount, percent
from scopeaudit.render.audit_terminal import _STYLE
from scopeaudit.taxonomy import Category, Language, Status


def test_exhaustive_mappings() -> None:
    assert set(STATUSES) == set(Status) and set(_STYLE) == set(Status)
    assert sorted(STATUS_ORDER) == sorted(Status) and len(STATUS_ORDER) == len(Status)
    assert set(PERIODS) == {p.value for p in Period}
    assert set(DEFAULT_PRESENCE) == set(Category)
    for catalog in (STATUSES, PERIODS, TEXT):
        for code, texts in catalog.items():
            assert set(texts) == set(Language), code


def test_amounts_and_rates_per_language() -> None:
    from decimal import Decimal

    assert amount(Decimal("-66"), Language.EN, "EUR") == "-66.00 EUR"
    assert amount(Decimal("-66"), Language.FR, "EUR") == "-66,00 EUR"
    assert amount(Decimal("10.005"), Language.EN) == "+10.01"  # half-up
    assert amount(Decimal("1461"), Language.FR, signed=False) == "1461,00"
    assert amount(None, Language.FR) == "inconnu"
    assert percent(17 / 18, Language.FR) == "94,4 %" and percent(None, Language.EN) == "-"

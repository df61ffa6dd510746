"""Hostile strings shown in a terminal or a spreadsheet stay inert text."""

from __future__ import annotations

import pytest

from scopeaudit.safetext import csv_cell, inert


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain name", "plain name"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
        ("nul\x00byte", "nul\\x00byte"),
        ("two\nlines\r", "two\\x0alines\\x0d"),
        ("\x1b]8;;http://x\x1b\\link", "\\x1b]8;;http://x\\x1b\\link"),
        ("Café Müller-iPad", "Café Müller-iPad"),
        ("zero\u200bwidth", "zero\\u200bwidth"),
    ],
)
def test_inert_shows_controls_as_escapes(raw: str, shown: str) -> None:
    assert inert(raw) == shown


def test_inert_never_leaves_a_control_character() -> None:
    hostile = "".join(chr(c) for c in range(0, 0x250)) + "\u202e\u2066\ufeff"
    result = inert(hostile, limit=None)
    assert all(ch.isprintable() for ch in result)
    assert "\x1b" not in result and "\u202e" not in result


def test_inert_cuts_long_names() -> None:
    assert inert("A" * 10_000, limit=50) == "A" * 49 + "…"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_neutralizes_formulas(start: str) -> None:
    assert csv_cell(start + "HYPERLINK(1)") == "'" + start + "HYPERLINK(1)"


def test_csv_cell_keeps_ordinary_text() -> None:
    assert csv_cell("DESKTOP-7K3Q2ZD") == "DESKTOP-7K3Q2ZD"

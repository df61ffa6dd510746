"""Making strings from the network safe to show: terminals, CSV cells, one-line logs.

Names, banners and TXT records come from devices we do not control (a hostile one may send
ANSI escapes, right-to-left overrides, NUL bytes, rich markup or spreadsheet formulas). Data
keeps them raw; every renderer passes them through one of these functions. HTML escaping is the
HTML renderer's (its template engine escapes); these cover the other outputs.
"""

from __future__ import annotations

import unicodedata

# Bidirectional controls that reorder what a reader sees (Trojan Source, CVE-2021-42574).
_BIDI = {0x200E, 0x200F, 0x061C, *range(0x202A, 0x202F), *range(0x2066, 0x206A)}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def inert(text: str, limit: int | None = 200) -> str:
    """``text`` with every control, bidi override and other invisible format character shown as
    a visible escape (``\\x1b``, ``\\u202e``), cut at ``limit`` characters with an ellipsis.

    The result prints on one line, cannot move the cursor, change colours, open hyperlinks or
    reorder the text around it.
    """
    out: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char == " " or category[0] not in ("C", "Z"):
            if ord(char) in _BIDI:
                out.append(_visible(char))
            else:
                out.append(char)
        else:
            out.append(_visible(char))
    result = "".join(out)
    if limit is not None and len(result) > limit:
        return result[: max(0, limit - 1)] + "…"
    return result


def csv_cell(text: str) -> str:
    """A text cell for CSV: a leading ``= + - @``, TAB or CR is neutralized with a quote, so a
    spreadsheet shows the text instead of evaluating it (OWASP CSV injection)."""
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text

"""The diff as plain text for a terminal or a log: one line per device or status change.

Every cell goes through ``safetext.inert``: a hostile name cannot move the cursor, change
colours or reorder the line. No rich markup is produced, so nothing needs rich escaping.
"""

from __future__ import annotations

from scopeaudit.diff_models import RunDiff
from scopeaudit.render.diff_labels import sections, side_line, summary_line, t
from scopeaudit.safetext import inert
from scopeaudit.taxonomy import Language


def _cell(text: str) -> str:
    return inert(text, 120)


def terminal_text(diff: RunDiff, lang: Language) -> str:
    """The whole report as text, ending with a newline."""
    out = [t("title", lang), ""]
    colon = "\u00a0: " if lang is Language.FR else ": "  # French puts a space before a colon
    out.append(f"{t('from', lang)}{colon}{inert(side_line(diff.from_, lang), 300)}")
    out.append(f"{t('to', lang)}{colon}{inert(side_line(diff.to, lang), 300)}")
    out += ["", summary_line(diff, lang)]
    if not diff.scope_compared:
        out.append(t("scope_not_compared", lang))
    if not diff.changed:
        out += ["", t("no_change", lang)]
    for section in sections(diff, lang):
        out += ["", f"{section.title} ({len(section.rows)})"]
        for row in section.rows:
            cells = [_cell(cell) for cell in row]
            head, rest = cells[0], [cell for cell in cells[1:] if cell]
            if section.key == "changed":
                # device · matched by · field: before → after
                out.append(f"  {head} · {cells[1]} · {cells[2]}: {cells[3]} → {cells[4]}")
            elif section.key in ("new", "gone"):
                out.append(f"  {head}  " + "  ".join(rest))
            else:
                out.append(
                    f"  {' '.join(c for c in cells[:2] if c)} ({cells[2]}): {cells[3]} → {cells[4]}"
                )
    return "\n".join(out) + "\n"

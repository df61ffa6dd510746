"""The diff as Markdown: the two sides and the counts, then one table per non-empty list.

Cells are made inert and Markdown-escaped with the audit report's ``md`` helper, so a hostile
name shows as text in any Markdown viewer.
"""

from __future__ import annotations

from scopeaudit.diff_models import RunDiff
from scopeaudit.render.audit_markdown import md
from scopeaudit.render.diff_labels import sections, side_line, summary_line, t
from scopeaudit.taxonomy import Language


def render_markdown(diff: RunDiff, lang: Language) -> str:
    """The Markdown report."""
    out = [f"# {md(t('title', lang))}", ""]
    out.append(f"**{md(t('from', lang))}**: {md(side_line(diff.from_, lang))}  ")
    out += [f"**{md(t('to', lang))}**: {md(side_line(diff.to, lang))}", ""]
    out += [md(summary_line(diff, lang), 1000), ""]
    if not diff.scope_compared:
        out += [md(t("scope_not_compared", lang)), ""]
    if not diff.changed:
        out += [md(t("no_change", lang)), ""]
    for section in sections(diff, lang):
        out += [f"## {md(section.title)} ({len(section.rows)})", ""]
        out.append("| " + " | ".join(md(cell) for cell in section.header) + " |")
        out.append("|" + "---|" * len(section.header))
        out += ["| " + " | ".join(md(cell) for cell in row) + " |" for row in section.rows]
        out.append("")
    return "\n".join(out)

"""The diff as one self-contained HTML page, with the audit report's page, CSS and CSP.

Every value goes through ``render.html.h`` (inert, then HTML-escaped, quotes included); nothing
from the data is emitted unescaped, and the page loads nothing.
"""

from __future__ import annotations

from scopeaudit.diff_models import RunDiff
from scopeaudit.render.diff_labels import sections, side_line, summary_line, t
from scopeaudit.render.html import h, page, props, table
from scopeaudit.taxonomy import Language


def render_html(diff: RunDiff, lang: Language) -> str:
    """The HTML page."""
    title = h(t("title", lang))
    body = [f"<h1>{title}</h1>\n"]
    body.append(
        props(
            [
                (h(t("from", lang)), h(side_line(diff.from_, lang), 400)),
                (h(t("to", lang)), h(side_line(diff.to, lang), 400)),
            ]
        )
    )
    body.append(f'<p class="meta">{h(summary_line(diff, lang), 1000)}</p>\n')
    if not diff.scope_compared:
        body.append(f'<p class="meta">{h(t("scope_not_compared", lang))}</p>\n')
    if not diff.changed:
        body.append(f"<p>{h(t('no_change', lang))}</p>\n")
    for section in sections(diff, lang):
        body.append(f"<h2>{h(section.title)} ({len(section.rows)})</h2>\n")
        body.append(
            table(
                [h(cell) for cell in section.header],
                ([h(cell) for cell in row] for row in section.rows),
            )
        )
    return page(title, body, lang)

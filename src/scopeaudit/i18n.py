"""Languages: which one a user gets, and message catalogs keyed by code.

Reasons, details and report texts are ``{code, params, text}``: programs read ``code`` and
``params``; only ``text`` is rendered here in the user's language (DESIGN §6). Language choice:
``--lang``, else the contract's ``language``, else ``LANG`` (fr* gives French), else English.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from scopeaudit.taxonomy import Language

Catalog = Mapping[str, Mapping[Language, str]]


def resolve_language(
    explicit: Language | str | None = None,
    contract_language: Language | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Language:
    """Pick the language for a user-facing output."""
    for choice in (explicit, contract_language):
        if choice:
            return Language(choice)
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return Language.FR if value.lower().startswith("fr") else Language.EN
    return Language.EN


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(catalog: Catalog, code: str, params: Mapping[str, object], lang: Language) -> str:
    """Render ``code`` from ``catalog`` in ``lang`` with ``params``; unknown codes raise KeyError.

    A missing parameter stays visible as ``{name}`` rather than failing a whole report.
    """
    template = catalog[code][lang]
    return template.format_map(_Missing(params))

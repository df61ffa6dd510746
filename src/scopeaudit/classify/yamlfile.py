"""Loading a YAML input file (rules, decisions) into a pydantic model with located problems.

The reading itself (no implicit typing, hostile-file limits, positions) is the contract's
``scopeaudit.contract.yamltree``; this module only turns pydantic's errors into one
``FILE:LINE:COLUMN: path: message`` problem each, in the user's language where we wrote it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from scopeaudit.contract.messages import ERRORS as FILE_ERRORS
from scopeaudit.contract.messages import text as file_text
from scopeaudit.contract.yamltree import Tree, TreeError, key_node_at, load_tree, node_at
from scopeaudit.errors import Problem, ValidationFailed
from scopeaudit.taxonomy import Language

M = TypeVar("M", bound=BaseModel)


def read_tree(path: Path, lang: Language = Language.EN) -> Tree:
    """The composed file; file-level problems raise ``ValidationFailed`` with one located line."""
    try:
        return load_tree(path)
    except TreeError as error:
        from scopeaudit.classify.messages import MESSAGES

        catalog = MESSAGES if error.problem.value in MESSAGES else FILE_ERRORS
        message = file_text(catalog, error.problem.value, lang, **error.params)
        raise ValidationFailed(
            [Problem(str(path), error.line, error.column, "", message)]
        ) from None


def dotted(loc: tuple[str | int, ...]) -> str:
    """``('rules', 3, 'match')`` as ``rules[3].match``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate(model: type[M], tree: Tree, path: Path, context: dict[str, Any] | None = None) -> M:
    """``model`` built from the tree's value, or every problem located at once."""
    try:
        return model.model_validate(tree.value, context=context)
    except ValidationError as error:
        raise ValidationFailed(problems(error, tree, path)) from None


def problems(error: ValidationError, tree: Tree, path: Path) -> list[Problem]:
    """One located problem per pydantic error (unknown keys point at the key itself)."""
    found: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if isinstance(p, str | int))
        node = None
        if item["type"] == "extra_forbidden":
            node = key_node_at(tree.root, loc)
        if node is None:
            node, _ = node_at(tree.root, loc)
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        found.append(
            Problem(
                str(path),
                node.start_mark.line + 1,
                node.start_mark.column + 1,
                dotted(loc),
                message,
            )
        )
    return sorted(found, key=lambda p: (p.line, p.column))

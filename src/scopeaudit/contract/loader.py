"""``load_contract(path)``: read, validate and cross-check a contract, reporting every problem.

Each problem is ``FILE:LINE:COLUMN: field.path: what is wrong and what is expected``, 1-based,
pointing at the value (at the parent mapping when a key is missing, at the key when it is
unknown). Pydantic's error locations are mapped back to the YAML nodes that produced them.
"""

from __future__ import annotations

import difflib
import hashlib
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from scopeaudit.contract.messages import ERRORS, text
from scopeaudit.contract.models import Contract
from scopeaudit.contract.yamltree import TreeError, key_node_at, load_tree, node_at
from scopeaudit.errors import Problem, ValidationFailed
from scopeaudit.i18n import resolve_language
from scopeaudit.macaddr import normalize_mac
from scopeaudit.taxonomy import Language

Loc = tuple[str | int, ...]

# pydantic error types -> our message codes (anything else falls back to "other")
_TYPE_CODES = {
    "string_type": "string_type",
    "string_too_short": "string_too_short",
    "list_type": "list_type",
    "too_short": "too_short",
    "dict_type": "mapping_type",
    "model_type": "mapping_type",
    "model_attributes_type": "mapping_type",
    "int_parsing": "int",
    "int_type": "int",
    "int_from_float": "int",
    "decimal_parsing": "decimal",
    "decimal_type": "decimal",
    "finite_number": "decimal",
    "date_parsing": "date",
    "date_from_datetime_parsing": "date",
    "date_from_datetime_inexact": "date",
    "date_type": "date",
    "date_future": "date",
    "bool_parsing": "bool",
    "bool_type": "bool",
    "enum": "enum",
    "literal_error": "enum",
    "greater_than_equal": "ge",
    "greater_than": "gt",
    "less_than_equal": "le",
}

# error types raised by our own validators (models.py): each is a message code of ERRORS
_CUSTOM = frozenset(
    {
        "format_version",
        "mac",
        "mac_prefix",
        "ipv4",
        "cidr",
        "cidr_host_bits",
        "duration",
        "category_unknown",
        "category",
        "date",
        "currency",
        "presence_key",
        "blank_text",
    }
)


def contract_sha256(path: str | Path) -> str:
    """Hex SHA-256 of the contract file's bytes (the audit result names the contract by it)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class LoadedContract:
    """A valid contract with the SHA-256 of the very bytes it was read from."""

    contract: Contract
    sha256: str


def load_contract(path: str | Path, lang: Language | str | None = None) -> Contract:
    """Load and validate ``path``; raise ``ValidationFailed`` with every problem found.

    ``lang`` chooses the language of the messages; by default the contract's own ``language``
    (when it can be read), else ``LANG``.
    """
    return read_contract(path, lang).contract


def read_contract(path: str | Path, lang: Language | str | None = None) -> LoadedContract:
    """``load_contract`` that also returns the digest of the bytes read (read once)."""
    path = Path(path)
    name = str(path)
    try:
        tree = load_tree(path)
    except TreeError as error:
        language = resolve_language(lang)
        message = text(ERRORS, error.problem.value, language, **error.params)
        raise ValidationFailed([Problem(name, error.line, error.column, "", message)]) from None
    raw = tree.value
    declared = raw.get("language") if isinstance(raw, dict) else None
    language = resolve_language(lang, declared if declared in ("fr", "en") else None)
    problems: list[Problem] = []
    contract: Contract | None = None
    try:
        contract = Contract.model_validate(raw)
    except ValidationError as error:
        problems.extend(
            _problem(name, tree.root, item, language) for item in error.errors(include_url=False)
        )
    problems.extend(_cross_checks(name, tree.root, raw, language))
    if problems or contract is None:
        unique = {(p.line, p.column, p.path, p.message): p for p in problems}
        raise ValidationFailed(sorted(unique.values(), key=lambda p: (p.line, p.column, p.path)))
    return LoadedContract(contract, tree.sha256)


def format_path(loc: Loc) -> str:
    """``('equipment', 2, 'mac', 0)`` -> ``equipment[2].mac[0]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _at(name: str, node: yaml.Node, loc: Loc, message: str) -> Problem:
    mark = node.start_mark
    return Problem(name, mark.line + 1, mark.column + 1, format_path(loc), message)


def _describe(value: object, lang: Language) -> str:
    if isinstance(value, dict):
        return text(ERRORS, "got.mapping", lang)
    if isinstance(value, list):
        return text(ERRORS, "got.list", lang)
    if value is None:
        return text(ERRORS, "got.nothing", lang)
    shown = str(value)
    return repr(shown if len(shown) <= 60 else shown[:57] + "...")


def _problem(name: str, root: yaml.Node, item: Any, lang: Language) -> Problem:
    kind: str = item["type"]
    raw_loc: Loc = tuple(item["loc"])
    on_key = bool(raw_loc) and raw_loc[-1] == "[key]"
    loc: Loc = raw_loc[:-1] if on_key else raw_loc
    ctx: dict[str, Any] = dict(item.get("ctx") or {})
    if kind == "missing":
        parent, _ = node_at(root, loc[:-1])
        return _at(name, parent, loc, text(ERRORS, "missing", lang))
    if kind == "extra_forbidden":
        key = str(loc[-1])
        node = key_node_at(root, loc) or node_at(root, loc)[0]
        allowed = _allowed_keys(loc[:-1])
        guess = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if guess:
            hint = text(ERRORS, "unknown_key.suggest", lang, guess=guess[0])
        else:
            hint = text(ERRORS, "unknown_key.allowed", lang, allowed=", ".join(allowed))
        return _at(name, node, loc, text(ERRORS, "unknown_key", lang, key=key, hint=hint))
    node, used = node_at(root, loc)
    if on_key:
        node = key_node_at(root, loc) or node
    elif all(isinstance(part, int) for part in loc[used:]):
        loc = loc[:used]  # a lone scalar taken as a one-item list: name it as written
    got = _describe(item.get("input"), lang)
    if kind in _CUSTOM:  # our own validators: the type is the message code
        params = {**ctx, "got": ctx.get("got", got)}
        return _at(name, node, loc, text(ERRORS, kind, lang, **params))
    code = _TYPE_CODES.get(kind, "other")
    params = {"got": got, "detail": item.get("msg", kind)}
    if code == "enum":
        expected = str(ctx.get("expected", ""))
        params["expected"] = expected.replace(" or ", f" {text(ERRORS, 'or', lang)} ")
    elif code in ("ge", "gt", "le"):
        params["limit"] = ctx.get(code, "")
    elif code == "too_short":
        params["min"] = ctx.get("min_length", 1)
    return _at(name, node, loc, text(ERRORS, code, lang, **params))


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (for "did you mean")."""
    model: type[BaseModel] = Contract
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            inner = _inner_model(model.model_fields[part].annotation)
            if inner is None:
                break
            model = inner
    return list(model.model_fields)


def _items(raw: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = raw.get(key) if isinstance(raw, dict) else None
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _cross_checks(name: str, root: yaml.Node, raw: Any, lang: Language) -> list[Problem]:
    """Rules across items, checked on the raw values so they report even when others fail."""
    problems: list[Problem] = []
    scope = raw.get("scope") if isinstance(raw, dict) else None

    def remember(seen: dict[str, Loc], value: str, loc: Loc, code: str) -> None:
        if value in seen:
            first = format_path(seen[value])
            message = text(ERRORS, code, lang, value=value, first=first)
            problems.append(_at(name, node_at(root, loc)[0], loc, message))
        else:
            seen[value] = loc

    ids: dict[str, Loc] = {}
    macs: dict[str, Loc] = {}
    serials: dict[str, Loc] = {}
    for index, item in _items(raw, "equipment"):
        if isinstance(item.get("id"), str):
            remember(ids, item["id"], ("equipment", index, "id"), "duplicate_id")
        if isinstance(item.get("serial"), str) and item["serial"].strip():
            remember(
                serials, item["serial"].strip(), ("equipment", index, "serial"), "duplicate_serial"
            )
        mac_value = item.get("mac")
        listed = [mac_value] if isinstance(mac_value, str) else mac_value
        if isinstance(listed, list):
            for position, mac in enumerate(listed):
                try:
                    normal = normalize_mac(mac) if isinstance(mac, str) else None
                except ValueError:
                    normal = None
                if normal is not None:
                    loc: Loc = ("equipment", index, "mac")
                    if isinstance(mac_value, list):
                        loc = (*loc, position)
                    remember(macs, normal, loc, "duplicate_mac")
    for section in ("sites", "policies"):
        seen: dict[str, Loc] = {}
        for index, item in _items(scope, section):
            if isinstance(item.get("id"), str):
                remember(seen, item["id"], ("scope", section, index, "id"), "duplicate_id")
    expected = "category, randomized_mac, vendor, cidr, mac_prefix, hostname"
    for index, item in _items(scope, "policies"):
        base: Loc = ("scope", "policies", index)
        match = item.get("match", "absent")
        if match is None or match == {}:
            message = text(ERRORS, "policy_match_empty", lang, expected=expected)
            problems.append(
                _at(name, node_at(root, (*base, "match"))[0], (*base, "match"), message)
            )
        if item.get("limit") is not None and item.get("treatment") != "covered":
            message = text(ERRORS, "policy_limit", lang)
            problems.append(
                _at(name, node_at(root, (*base, "limit"))[0], (*base, "limit"), message)
            )
    return problems

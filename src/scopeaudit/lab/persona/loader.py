"""Reading a runtime spec (JSON) or a kind file (YAML) into the schema of ``spec.py``.

``load_spec`` is the runtime's path (no pydantic, see ``spec.py``); ``validate_kind`` and
``validate_spec`` validate with pydantic, for tests and for the lab supervisor, which checks
every kind of a topology once before starting any persona.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scopeaudit.lab.persona.spec import Kind, SchemaError, Spec, build


class SpecError(ValueError):
    """A spec or kind file that cannot be used; the message names the file and the field."""


def _read_yaml(path: Path) -> Any:
    import yaml  # only here: the runtime receives the kind already parsed, inside spec.json

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise SpecError(f"{path}: {error}") from error


def load_spec(path: Path) -> Spec:
    """The spec.json the supervisor wrote, checked structurally (the runtime's path)."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        return build(Spec, data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, SchemaError) as error:
        raise SpecError(f"{path}: {error}") from error


def load_kind(path: Path) -> Kind:
    """A kind file, checked structurally without pydantic."""
    try:
        return build(Kind, _read_yaml(path))
    except SchemaError as error:
        raise SpecError(f"{path}: {error}") from error


_ADAPTERS: dict[str, Any] = {}


def _adapter(cls: type[Any]) -> Any:
    from pydantic import TypeAdapter

    if cls.__name__ not in _ADAPTERS:  # building one costs ~0.2 s: once per class
        _ADAPTERS[cls.__name__] = TypeAdapter(cls)
    return _ADAPTERS[cls.__name__]


def _pydantic(cls: type[Any], data: Any, origin: str) -> Any:
    from pydantic import ValidationError

    try:
        return _adapter(cls).validate_python(data)
    except ValidationError as error:
        problems = []
        for item in error.errors():
            where = ".".join(str(part) for part in item["loc"]) or "(top)"
            problems.append(f"{where}: {item['msg']}")
        raise SpecError(f"{origin}: " + "; ".join(problems)) from error


def validate_kind(data: Any, origin: str = "kind") -> Kind:
    """Validate a parsed kind file with pydantic; ``SpecError`` lists every problem at once."""
    result: Kind = _pydantic(Kind, data, origin)
    return result


def validate_kind_file(path: Path) -> Kind:
    return validate_kind(_read_yaml(path), str(path))


def validate_spec(data: Any, origin: str = "spec") -> Spec:
    result: Spec = _pydantic(Spec, data, origin)
    return result

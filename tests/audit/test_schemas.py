"""The committed JSON Schemas are exactly what the models generate (scripts/gen_schemas.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import jsonschema

from .helpers import REPO


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "gen_schemas", REPO / "scripts" / "gen_schemas.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_schemas_match_models() -> None:
    for path, text in _generator().generated().items():
        assert path.exists(), f"{path} missing: run scripts/gen_schemas.py"
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.name} differs from the models: run scripts/gen_schemas.py and commit"
        )


def test_schemas_are_valid_and_snapshot_fixture_conforms() -> None:
    for name in ("audit.schema.json", "snapshot.schema.json"):
        schema = json.loads((REPO / "docs" / "schema" / name).read_text("utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
    snapshot_schema = json.loads((REPO / "docs" / "schema" / "snapshot.schema.json").read_text())
    snapshot = json.loads(Path(REPO / "fixtures" / "snapshots" / "office-demo.json").read_text())
    jsonschema.Draft202012Validator(snapshot_schema).validate(snapshot)


def test_schema_rejects_money_as_string() -> None:
    schema = json.loads((REPO / "docs" / "schema" / "audit.schema.json").read_text("utf-8"))
    finding = schema["$defs"]["Finding"]["properties"]["fee_delta"]
    validator = jsonschema.Draft202012Validator({"$defs": schema["$defs"], **finding})
    assert validator.is_valid(-85.0) and validator.is_valid(None)
    assert not validator.is_valid("-85.00")

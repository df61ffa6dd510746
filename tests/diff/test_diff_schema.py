"""diff.schema.json is a valid JSON Schema and the diffs we produce conform to it.

That the committed file equals what the models generate is tests/audit/test_schemas.py's
drift test (it covers every schema scripts/gen_schemas.py writes, this one included).
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from scopeaudit.diff import diff_snapshots
from scopeaudit.render.diff_json import render_json

from .builders import IPHONE_2, run

REPO = Path(__file__).resolve().parents[2]


def test_schema_valid_and_diff_conforms() -> None:
    schema = json.loads((REPO / "docs" / "schema" / "diff.schema.json").read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["default"] == "scopeaudit.diff/1"
    assert {"from", "to", "devices", "scope", "summary", "changed"} <= set(schema["properties"])
    before = run(["printer", "iphone"])
    after = run(["server", "iphone"], iphone={"mac": IPHONE_2})
    document = json.loads(render_json(diff_snapshots(before, after)))
    jsonschema.Draft202012Validator(schema).validate(document)
    bad = {**document, "changed": "yes"}
    assert not jsonschema.Draft202012Validator(schema).is_valid(bad)

"""Write the JSON Schemas of scopeaudit's JSON outputs, generated from the pydantic models.

    .venv/bin/python scripts/gen_schemas.py          # write docs/schema/*.schema.json
    .venv/bin/python scripts/gen_schemas.py --check  # exit 1 when a committed file differs

The schemas describe the documents as written (serialization mode, aliases): money is a number.
tests/audit/test_schemas.py fails when the committed files differ from what this produces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scopeaudit.audit_models import AUDIT_SCHEMA, AuditResult
from scopeaudit.diff_models import DIFF_SCHEMA, RunDiff
from scopeaudit.models import SNAPSHOT_SCHEMA, Snapshot

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS: dict[str, tuple[type[BaseModel], str]] = {
    "audit.schema.json": (AuditResult, AUDIT_SCHEMA),
    "snapshot.schema.json": (Snapshot, SNAPSHOT_SCHEMA),
    "diff.schema.json": (RunDiff, DIFF_SCHEMA),
}


def schema_of(model: type[BaseModel], name: str) -> dict[str, Any]:
    schema = model.model_json_schema(mode="serialization", by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://scopeaudit.invalid/schema/{name}"
    schema["title"] = name
    return schema


def text_of(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generated() -> dict[Path, str]:
    """Every schema file's path and expected text."""
    return {
        ROOT / "docs" / "schema" / file: text_of(schema_of(model, name))
        for file, (model, name) in SCHEMAS.items()
    }


def main(argv: list[str]) -> int:
    stale = []
    for path, text in generated().items():
        if "--check" in argv:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"{path.relative_to(ROOT)} differs from the models: run scripts/gen_schemas.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

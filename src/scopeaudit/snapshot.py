"""Snapshot files: the canonical JSON, its fingerprint, and reading and writing them safely.

The fingerprint is ``sha256:`` of the snapshot's canonical JSON (sorted keys, no whitespace,
UTF-8) computed with the ``fingerprint`` field left out, so it can be checked after reading.
Files are written atomically (a temporary file renamed over the target) so that an interrupted
write never leaves half a snapshot where a good one was.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from scopeaudit.errors import InputError
from scopeaudit.models import SNAPSHOT_SCHEMA, Snapshot

MAX_SNAPSHOT_BYTES = 512 * 1024 * 1024


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the form fingerprints are computed on."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def snapshot_document(snapshot: Snapshot) -> dict[str, Any]:
    """The snapshot as the JSON document written to disk (aliases, RFC 3339 times)."""
    return snapshot.model_dump(mode="json", by_alias=True)


def compute_fingerprint(snapshot: Snapshot) -> str:
    """``sha256:<hex>`` of the canonical JSON without the fingerprint field."""
    document = snapshot_document(snapshot)
    document.pop("fingerprint", None)
    return "sha256:" + hashlib.sha256(canonical_json(document)).hexdigest()


def seal(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its fingerprint filled in."""
    return snapshot.model_copy(update={"fingerprint": compute_fingerprint(snapshot)})


def write_snapshot(snapshot: Snapshot, path: Path) -> Path:
    """Write ``snapshot`` (sealed) to ``path`` atomically; returns the path."""
    sealed = seal(snapshot) if snapshot.fingerprint is None else snapshot
    data = json.dumps(snapshot_document(sealed), ensure_ascii=False, indent=1, sort_keys=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(data)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def read_json_file(path: Path, what: str, hint: str) -> Any:
    """The parsed JSON of a snapshot or audit file; every reading problem is one ``InputError``
    line naming ``what`` ("a snapshot file"), with ``hint`` when the file is missing."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InputError(f"{path}: is a folder, not {what}")
        if size > MAX_SNAPSHOT_BYTES:
            raise InputError(f"{path}: {size} bytes is too large for {what.removesuffix(' file')}")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file ({hint})") from None
    except PermissionError:
        raise InputError(f"{path}: cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text, so not {what}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})"
        ) from None


def validation_problem(path: Path, error: ValidationError) -> InputError:
    """The first problem pydantic found in a document read from ``path``, as one line."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return InputError(f"{path}: {where}: {first['msg']}")


def snapshot_from_document(path: Path, document: Any) -> Snapshot:
    """A snapshot from the parsed JSON of ``path``, its fingerprint checked."""
    try:
        snapshot = Snapshot.model_validate(document)
    except ValidationError as error:
        raise validation_problem(path, error) from None
    if snapshot.fingerprint is not None and snapshot.fingerprint != compute_fingerprint(snapshot):
        raise InputError(
            f"{path}: the fingerprint does not match the content: the file was changed after the scan"
        )
    return snapshot


def read_snapshot(path: Path) -> Snapshot:
    """Read a snapshot file; every problem is one clear ``InputError`` line."""
    document = read_json_file(path, "a snapshot file", "give a snapshot written by scan --output")
    if not isinstance(document, dict) or document.get("schema") != SNAPSHOT_SCHEMA:
        raise InputError(f"{path}: not a {SNAPSHOT_SCHEMA} file (its 'schema' field differs)")
    return snapshot_from_document(path, document)

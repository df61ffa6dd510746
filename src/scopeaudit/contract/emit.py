"""Writing a contract's ``equipment:`` section, and a new version of a contract file.

Items are written in block style, keys in the contract model's order, MACs always quoted, any
value YAML 1.1 would not read as text quoted too (so other YAML tools read the same thing), and
strings from the network escaped: a host name can never break out of its value or its comment.
``replace_equipment`` edits only the lines of the ``equipment:`` section of a contract's text;
the rest of the file is kept byte for byte, and so is every item that does not change.
``write_keeping`` never overwrites a file without keeping the old one beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from scopeaudit.audit_models import AUDIT_SCHEMA, AuditResult
from scopeaudit.contract.loader import read_contract
from scopeaudit.contract.models import Contract
from scopeaudit.contract.yamltree import _TextLoader, decode, read_bytes
from scopeaudit.errors import InputError
from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Snapshot
from scopeaudit.perimeter import (
    PerimeterChange,
    ProposedItem,
    amendment_change,
    describe,
    equipment_from_devices,
    item_fields,
    merge_perimeter,
)
from scopeaudit.taxonomy import Language

_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.+/()@-]*( [A-Za-z0-9_.+/()@&'-]+)*$")
_RESOLVER = yaml.resolver.Resolver()
_STR = "tag:yaml.org,2002:str"
_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _hidden(char: str) -> bool:
    """Controls, format characters (bidi overrides…), line separators: never written as is."""
    return char != " " and unicodedata.category(char)[0] in ("C", "Z")


def _code(char: str) -> str:
    value = ord(char)
    return f"\\u{value:04x}" if value <= 0xFFFF else f"\\U{value:08x}"


def _escape(text: str) -> str:
    return "".join(_NAMED.get(c, _code(c)) if c in _NAMED or _hidden(c) else c for c in text)


def scalar(value: object, quote: bool = False) -> str:
    """``value`` as a YAML scalar: plain when that reads back as the same text, else quoted."""
    text = str(value)
    plain = (
        not quote
        and _PLAIN.match(text) is not None
        and _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR  # type: ignore[no-untyped-call]
        and text not in ("null", "Null", "NULL", "~")
    )
    return text if plain else f'"{_escape(text)}"'


def comment(text: str) -> str:
    """One comment line's text: control and invisible characters, line breaks escaped."""
    return "".join(_code(c) if _hidden(c) else c for c in text)


def _value(key: str, value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(scalar(v, quote=key == "mac") for v in value) + "]"
    return scalar(value, quote=key == "mac")


def render_item(
    fields: dict[str, Any],
    comments: Sequence[str] = (),
    commented: bool = False,
    note: str = "",
    indent: int = 2,
) -> str:
    """One item of the section, its dash at column ``indent``, commented out when asked."""
    pad = " " * indent
    lines = [f"{pad}# {comment(c)}" for c in comments]
    if note:
        lines.append(f"{pad}# {comment(note)}")
    body: list[str] = []
    for index, (key, value) in enumerate(fields.items()):
        lead = "- " if index == 0 else "  "
        body.append(f"{pad}{lead}{key}: {_value(key, value)}")
    if commented:
        body = [f"{pad}# {line[indent:]}" for line in body]
    return "\n".join([*lines, *body]) + "\n"


@dataclass(frozen=True)
class Keep:
    """Keep the existing item at this index exactly as written."""

    index: int


@dataclass(frozen=True)
class Write:
    """Write this item (new, changed, or a proposal left commented out)."""

    fields: dict[str, Any]
    comments: list[str] = field(default_factory=list)
    commented: bool = False
    note: str = ""


@dataclass(frozen=True)
class Note:
    """A comment line of the section (why an item is flagged)."""

    text: str


Entry = Keep | Write | Note


def equipment_section(entries: Sequence[Write], header: Sequence[str] = ()) -> str:
    """A whole ``equipment:`` section made of new items (to start a contract)."""
    lines = "".join(f"# {comment(h)}\n" for h in header)
    if not entries:
        return lines + "equipment: []\n"
    body = "".join(render_item(e.fields, e.comments, e.commented, e.note) for e in entries)
    return lines + "equipment:\n" + body


def _top_level(root: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(root.value)


def _is_blank_or_comment(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def replace_equipment(
    text: str,
    root: yaml.Node,
    entries: Sequence[Entry],
    existing: Sequence[dict[str, Any]] = (),
) -> str:
    """``text`` (a contract's) with its ``equipment:`` section made of ``entries``.

    Lines outside the section are kept byte for byte; a ``Keep`` copies an item's own lines
    (with the comments after it). A flow-style section (``equipment: [...]``) is rewritten whole,
    a ``Keep`` then writing ``existing[index]`` (the item's fields) again.
    """
    assert isinstance(root, yaml.MappingNode)
    lines = text.splitlines(keepends=True)
    pairs = _top_level(root)
    index = next(i for i, (k, _) in enumerate(pairs) if str(k.value) == "equipment")
    key, value = pairs[index]
    start = key.start_mark.line
    end = pairs[index + 1][0].start_mark.line if index + 1 < len(pairs) else len(lines)
    # comments and blank lines just before the next key belong to it, not to the section
    # (at the end of the file they are the section's: the template's example, say)
    while index + 1 < len(pairs) and end > start + 1 and _is_blank_or_comment(lines[end - 1]):
        end -= 1
    chunks: list[str] = []
    items = value.value if isinstance(value, yaml.SequenceNode) else []
    starts = [node.start_mark.line for node in items]
    block = (
        isinstance(value, yaml.SequenceNode)
        and not value.flow_style
        and len(set(starts)) == len(starts)
        and all(s > start for s in starts)
    )
    if block:
        # an item written "-" alone on its line starts on that line, not at its first key
        starts = [
            s - 1 if not lines[s].lstrip().startswith("-") and lines[s - 1].strip() == "-" else s
            for s in starts
        ]
        for position, first in enumerate(starts):
            last = starts[position + 1] if position + 1 < len(starts) else end
            chunks.append("".join(lines[first:last]))
    # new items line up with the file's own (a sequence's dashes must share one column)
    indent = 2
    if block and starts:
        indent = len(lines[starts[0]]) - len(lines[starts[0]].lstrip(" "))
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    out: list[str] = []
    for entry in entries:
        if isinstance(entry, Keep) and block:
            kept = chunks[entry.index]
            out.append(kept if kept.endswith("\n") else kept + newline)
            continue
        if isinstance(entry, Keep):
            made = render_item(existing[entry.index], indent=indent)
        elif isinstance(entry, Note):
            made = f"{' ' * indent}# {comment(entry.text)}\n"
        else:
            made = render_item(entry.fields, entry.comments, entry.commented, entry.note, indent)
        out.append(made.replace("\n", newline))
    # the key's line and the comments before the first item stay as written
    head = "".join(lines[start : starts[0]]) if block and starts else "equipment:" + newline
    section = head + "".join(out) if out else "equipment: []" + newline
    if not section.endswith("\n"):
        section += newline
    return "".join(lines[:start]) + section + "".join(lines[end:])


def load_text(
    path: Path, sha256: str | None = None, lang: Language = Language.EN
) -> tuple[str, yaml.Node]:
    """A contract file's text and its composed YAML tree, read once (TreeError on a hostile
    file); with ``sha256``, the bytes must be those validated before (InputError else)."""
    data = read_bytes(path)
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256:
        raise InputError(_t("changed", lang, path=path))
    text = decode(data)
    root = yaml.compose(text, Loader=_TextLoader)
    if not isinstance(root, yaml.MappingNode):  # only when it changed since it was validated
        raise InputError(_t("changed", lang, path=path))
    return text, root


def next_version_path(path: Path, first: int = 2) -> Path:
    """``NAME.v<N>.yaml`` beside ``path``, N the first number from ``first`` not used yet."""
    number = first
    while True:
        candidate = path.with_name(f"{path.stem}.v{number}{path.suffix}")
        if not candidate.exists():
            return candidate
        number += 1


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file renamed over it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_keeping(path: Path, text: str, lang: Language = Language.EN) -> Path | None:
    """Write ``text`` to ``path``; an existing file is first kept as ``NAME.v<N>`` (returned)."""
    kept: Path | None = None
    try:
        if path.is_dir():
            raise InputError(_t("folder", lang, path=path))
        if path.exists():
            kept = next_version_path(path, first=1)  # NAME.v1.yaml: the version before this one
            shutil.copy2(path, kept)
        atomic_write(path, text)
    except OSError as error:
        raise InputError(_t("unwritable", lang, path=path, error=error.strerror or error)) from None
    return kept


@dataclass
class Outcome:
    """What a perimeter command produced: the text to write and the change it makes."""

    text: str
    change: PerimeterChange
    language: Language = Language.EN  # the contract's, unless one was asked for


FR, EN = Language.FR, Language.EN
TEXT: Catalog = {
    "updated": {EN: "updated from {source}: {what}", FR: "mis à jour d'après {source} : {what}"},
    "not_found": {
        EN: "{id}: not found in {source}; remove it by amendment",
        FR: "{id} : absent de {source} ; à retirer par avenant",
    },
    "decide": {
        EN: "to decide ({note}): uncomment with a category, or leave it out",
        FR: "à décider ({note}) : décommentez avec une catégorie, ou laissez de côté",
    },
    "built": {
        EN: "equipment built by scopeaudit from {name}",
        FR: "équipements construits par scopeaudit d'après {name}",
    },
    "amendment": {EN: "amendment: {what}", FR: "avenant : {what}"},
    "other_version": {
        EN: "{audit}: this audit was made from another version of {contract} (sha256 {audit_sha}…,"
        " the file is {file_sha}…)",
        FR: "{audit} : cet audit a été fait sur une autre version de {contract} (sha256 "
        "{audit_sha}…, le fichier est {file_sha}…)",
    },
    "no_audit": {
        EN: "{path}: no such file (give the audit's JSON: audit --format json)",
        FR: "{path} : fichier introuvable (donnez le JSON de l'audit : audit --format json)",
    },
    "folder": {
        EN: "{path}: is a folder, not a file",
        FR: "{path} : est un dossier, pas un fichier",
    },
    "unreadable": {
        EN: "{path}: cannot be read (permission denied)",
        FR: "{path} : illisible (permission refusée)",
    },
    "not_json": {EN: "{path}: not valid JSON ({error})", FR: "{path} : JSON invalide ({error})"},
    "not_audit": {
        EN: "{path}: not a {schema} file (its 'schema' field differs)",
        FR: "{path} : pas un fichier {schema} (son champ 'schema' diffère)",
    },
    "bad_audit": {EN: "{path}: {where}: {error}", FR: "{path} : {where} : {error}"},
    "unwritable": {
        EN: "{path}: cannot be written ({error})",
        FR: "{path} : écriture impossible ({error})",
    },
    "changed": {
        EN: "{path}: the file changed while it was being read; run the command again",
        FR: "{path} : le fichier a changé pendant sa lecture ; relancez la commande",
    },
    "nothing": {
        EN: "{path}: nothing usable in this file",
        FR: "{path} : rien d'exploitable dans ce fichier",
    },
}


def _t(code: str, lang: Language, **params: object) -> str:
    return render(TEXT, code, params, lang)


def _entries_for_merge(
    contract: Contract, change: PerimeterChange, source: str, lang: Language
) -> list[Entry]:
    changed = {c.id: c for c in change.changed}
    removed = set(change.removed)
    entries: list[Entry] = []
    for index, item in enumerate(contract.equipment):
        if item.id in changed:
            what = describe(changed[item.id])
            comments = [_t("updated", lang, source=source, what=what)]
            entries.append(Write(changed[item.id].fields, comments))
        else:
            if item.id in removed:
                entries.append(Note(_t("not_found", lang, id=item.id, source=source)))
            entries.append(Keep(index))
    entries += [_write(p, lang) for p in (*change.added, *change.undecided)]
    return entries


def _write(proposal: ProposedItem, lang: Language) -> Write:
    note = ""
    if proposal.commented:
        note = _t("decide", lang, note=proposal.note)
    return Write(proposal.fields, list(proposal.comments), proposal.commented, note)


def equipment_from(
    snapshot: Snapshot, name: str, merge: Path | None = None, lang: Language | str | None = None
) -> Outcome:
    """``contract equipment-from``: the section (or, with ``merge``, the whole contract).

    ``name`` says where the snapshot came from (its file or run id), in the comments written.
    """
    language = resolve_language(lang)
    if merge is None:
        proposals = equipment_from_devices(snapshot.devices, None, snapshot.observations)
        change = PerimeterChange(
            added=[p for p in proposals if not p.commented],
            undecided=[p for p in proposals if p.commented],
        )
        header = [_t("built", language, name=name)]
        text = equipment_section([_write(p, language) for p in proposals], header)
        return Outcome(text, change, language)
    loaded = read_contract(merge, lang)
    contract = loaded.contract
    language = resolve_language(lang, contract.language)
    proposals = equipment_from_devices(snapshot.devices, contract, snapshot.observations)
    change = merge_perimeter(contract, proposals)
    text, root = load_text(merge, loaded.sha256, language)
    entries = _entries_for_merge(contract, change, name, language)
    existing = [item_fields(i) for i in contract.equipment]
    return Outcome(replace_equipment(text, root, entries, existing), change, language)


def apply_amendment(
    contract_path: Path,
    audit_path: Path,
    lang: Language | str | None = None,
    include_provisional: bool = False,
) -> Outcome:
    """``contract apply-amendment``: the contract's next version after a signed amendment."""
    loaded = read_contract(contract_path, lang)
    language = resolve_language(lang, loaded.contract.language)
    result = read_audit(audit_path, language)
    if result.contract.sha256 != loaded.sha256:
        raise InputError(
            _t(
                "other_version",
                language,
                audit=audit_path,
                contract=contract_path,
                audit_sha=result.contract.sha256[:12],
                file_sha=loaded.sha256[:12],
            )
        )
    contract = loaded.contract
    change = amendment_change(contract, result, include_provisional)
    changed = {c.id: c for c in change.changed}
    removed = set(change.removed)
    entries: list[Entry] = []
    for index, item in enumerate(contract.equipment):
        if item.id in removed:
            continue
        if item.id in changed:
            what = describe(changed[item.id])
            entries.append(Write(changed[item.id].fields, [_t("amendment", language, what=what)]))
        else:
            entries.append(Keep(index))
    entries += [_write(p, language) for p in (*change.added, *change.undecided)]
    text, root = load_text(contract_path, loaded.sha256, language)
    existing = [item_fields(i) for i in contract.equipment]
    return Outcome(replace_equipment(text, root, entries, existing), change, language)


def read_audit(path: Path, lang: Language = Language.EN) -> AuditResult:
    """An audit JSON (``audit --format json``); every problem is one ``InputError`` line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(_t("no_audit", lang, path=path)) from None
    except IsADirectoryError:
        raise InputError(_t("folder", lang, path=path)) from None
    except PermissionError:
        raise InputError(_t("unreadable", lang, path=path)) from None
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(_t("not_json", lang, path=path, error=error)) from None
    if not isinstance(document, dict) or document.get("schema") != AUDIT_SCHEMA:
        raise InputError(_t("not_audit", lang, path=path, schema=AUDIT_SCHEMA))
    try:
        return AuditResult.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InputError(
            _t("bad_audit", lang, path=path, where=where, error=first["msg"])
        ) from None


def snapshot_from_inventory(path: Path, lang: Language | None = None) -> Snapshot:
    """An inventory (GLPI, OCS, lease file, nmap XML, capture: whatever ``scan --import``
    reads) turned into devices as a scan would: observations merged, devices classified."""
    from scopeaudit import __version__
    from scopeaudit.classify import classify_devices, load_ruleset
    from scopeaudit.merge import merge
    from scopeaudit.models import utc_now
    from scopeaudit.sources.importer import import_file

    language = lang or Language.EN
    imported = import_file(path, lang=language)
    failed = [f for f in imported.files if not f.ok]
    if failed or not imported.observations:
        line = failed[0].line() if failed else _t("nothing", language, path=path)
        raise InputError(line)
    observations = imported.observations
    devices = classify_devices(merge(observations), observations, load_ruleset(), lang=language)
    now = utc_now()
    return Snapshot(
        tool_version=__version__,
        started_at=now,
        finished_at=now,
        sources=[imported.source_outcome()],
        observations=observations,
        devices=devices,
    )


def read_source(text: str, lang: Language | None = None) -> Snapshot | None:
    """A snapshot JSON file, or an inventory file, read; None when no such file exists (then
    the caller tries it as a run id)."""
    path = Path(text)
    if not path.exists():
        return None
    if path.is_file():
        with path.open("rb") as handle:
            head = handle.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if not head.startswith(b"{"):
            return snapshot_from_inventory(path, lang)
    from scopeaudit.snapshot import read_snapshot

    return read_snapshot(path)

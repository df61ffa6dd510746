"""The decisions file: what a technician decided about devices, kept beside the contract.

``decisions.yaml`` (or ``--decisions FILE``) lists entries keyed by a device id plus the
identifiers that justified them (MACs, names), so a decision survives a device id change. Each
entry has an ``action``:

- ``pin``: fix the category and/or the name (classification shows "set by technician");
- ``accept``: the device is tolerated (a ``tolerated`` finding, not billed, not drift);
- ``ignore``: no finding at all, only counted;
- ``pending_amendment``: unexpected but not drift, listed in the next amendment;

with ``reason``, ``author``, ``date`` and an optional ``expires`` (after it, the entry is
ignored). Files are read like the contract (no implicit typing, located errors) and appended to
as text, so the user's comments stay.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scopeaudit.classify.device import Pin
from scopeaudit.classify.yamlfile import read_tree, validate
from scopeaudit.errors import InputError, Problem, ValidationFailed
from scopeaudit.macaddr import is_locally_administered, normalize_mac
from scopeaudit.models import Device
from scopeaudit.taxonomy import Category, Language

FILE_NAME = "decisions.yaml"
HEADER = (
    "# scopeaudit decisions: what technicians decided about devices (docs/classification.md).\n"
    "format: 1\n"
    "decisions:\n"
)


class Action(StrEnum):
    """What a decision does (closed set)."""

    PIN = "pin"
    ACCEPT = "accept"
    IGNORE = "ignore"
    PENDING_AMENDMENT = "pending_amendment"


class Identifiers(BaseModel):
    """The identifiers that justified a decision: it still applies if the device id changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    macs: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list)

    @field_validator("macs")
    @classmethod
    def _macs(cls, values: list[str]) -> list[str]:
        return [normalize_mac(v) for v in values]


class Decision(BaseModel):
    """One entry of the decisions file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: Annotated[str, Field(min_length=1)]
    identifiers: Identifiers = Field(default_factory=Identifiers)
    action: Action
    category: Category | None = None
    name: str | None = None
    reason: Annotated[str, Field(min_length=1)]
    author: Annotated[str, Field(min_length=1)]
    date: dt.date
    expires: dt.date | None = None

    @field_validator("category")
    @classmethod
    def _known(cls, value: Category | None) -> Category | None:
        if value == Category.UNKNOWN:
            raise ValueError("pin a real category; 'unknown' is what the classifier says")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if self.action == Action.PIN and self.category is None and not self.name:
            raise ValueError("action 'pin' needs a category and/or a name")
        if self.action != Action.PIN and (self.category is not None or self.name):
            raise ValueError(
                f"category and name only go with action 'pin', not {self.action.value!r}"
            )
        if self.expires is not None and self.expires < self.date:
            raise ValueError("expires is before date")
        return self

    def active(self, today: dt.date) -> bool:
        return self.expires is None or today <= self.expires

    def applies_to(self, device: Device) -> bool:
        """Same id, or a stable MAC or a name in common."""
        if self.device == device.id:
            return True
        stable = {m for m in device.macs if not is_locally_administered(m)}
        if stable & set(self.identifiers.macs):
            return True
        names = {n.lower() for n in device.hostnames}
        return bool(names & {n.lower() for n in self.identifiers.names})

    def pin(self) -> Pin:
        return Pin(self.category, self.name, self.reason, self.author, self.date.isoformat())


class DecisionsFile(BaseModel):
    """The whole file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = 1
    decisions: list[Decision] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != 1:
            raise ValueError("this version of scopeaudit reads decisions format 1")
        return value

    @field_validator("decisions", mode="before")
    @classmethod
    def _empty(cls, value: object) -> object:
        return [] if value is None else value

    def for_device(self, device: Device, today: dt.date | None = None) -> list[Decision]:
        """Active decisions about ``device``, latest first."""
        day = today or dt.datetime.now(dt.UTC).date()
        found = [d for d in self.decisions if d.active(day) and d.applies_to(device)]
        return sorted(found, key=lambda d: d.date, reverse=True)

    def pins(self, devices: Iterable[Device], today: dt.date | None = None) -> dict[str, Pin]:
        """The latest active pin of each device, by device id."""
        out: dict[str, Pin] = {}
        for device in devices:
            pins = [d for d in self.for_device(device, today) if d.action == Action.PIN]
            if pins:
                out[device.id] = pins[0].pin()
        return out


def default_path(contract: Path | None) -> Path:
    """``decisions.yaml`` beside the contract, else in the current folder."""
    return (contract.parent if contract is not None else Path.cwd()) / FILE_NAME


def load(path: Path, required: bool = False, lang: Language = Language.EN) -> DecisionsFile:
    """The decisions in ``path``; a missing file is empty unless ``required``."""
    if not required and not path.exists():
        return DecisionsFile()
    return validate(DecisionsFile, read_tree(path, lang), path)


def current_author(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    for name in ("SCOPEAUDIT_AUTHOR", "SUDO_USER", "USER", "LOGNAME"):
        if env.get(name):
            return env[name]
    return "unknown"


def entry_text(decision: Decision) -> str:
    """One entry as YAML block text, indented for the ``decisions:`` list."""
    data = decision.model_dump(mode="json", exclude_none=True)
    ids = data.get("identifiers", {})
    if not ids.get("macs") and not ids.get("names"):
        data.pop("identifiers", None)
    else:
        data["identifiers"] = {k: v for k, v in ids.items() if v}
    body = yaml.safe_dump([data], sort_keys=False, allow_unicode=True, default_flow_style=False)
    return "".join(f"  {line}\n" for line in body.splitlines())


def append(path: Path, decision: Decision, lang: Language = Language.EN) -> None:
    """Add ``decision`` at the end of ``path`` (created if missing), keeping its comments.

    The file is validated before and after; if the result would not load, it is left as it was.
    """
    if path.exists():
        load(path, required=True, lang=lang)
        original = path.read_text(encoding="utf-8")
        text = original
        stripped = text.rstrip()
        if stripped.endswith("decisions: []"):
            text = stripped[: -len("[]")].rstrip() + "\n"
        elif "decisions:" not in text:
            text = text.rstrip("\n") + "\ndecisions:\n"
        if not text.endswith("\n"):
            text += "\n"
    else:
        original = None
        text = HEADER
    try:
        path.write_text(text + entry_text(decision), encoding="utf-8")
    except OSError as error:
        raise InputError(f"{path}: cannot write the decisions file ({error.strerror})") from None
    try:
        load(path, required=True, lang=lang)
    except ValidationFailed:
        if original is None:
            path.unlink(missing_ok=True)
        else:
            path.write_text(original, encoding="utf-8")
        raise


def find_device(devices: Sequence[Device], query: str, where: str) -> Device:
    """The device named by ``query``: its id, a unique id prefix, a MAC, a name, else an IP."""
    from scopeaudit.classify.messages import MESSAGES
    from scopeaudit.i18n import render, resolve_language

    lang = resolve_language()
    text = query.strip()
    exact = [d for d in devices if d.id == text]
    if exact:
        return exact[0]
    try:
        mac = normalize_mac(text)
    except ValueError:
        mac = None
    if mac:
        found = [d for d in devices if mac in d.macs]
    else:
        lowered = text.lower()
        found = [d for d in devices if lowered in {n.lower() for n in d.hostnames}]
        if not found:
            found = [d for d in devices if d.id.startswith(text)] if text else []
        if not found:  # a convenience for people reading a report: the current address
            found = [d for d in devices if text in d.ips]
    if len(found) == 1:
        return found[0]
    if not found:
        message = render(MESSAGES, "device.not_found", {"file": where, "query": query}, lang)
    else:
        ids = ", ".join(d.id for d in found[:5])
        message = render(
            MESSAGES, "device.ambiguous", {"file": where, "query": query, "candidates": ids}, lang
        )
    raise InputError(message)


def problem_free(path: Path) -> list[Problem]:
    """The problems of ``path`` as a list (empty when it loads); for ``contract check``-like use."""
    try:
        load(path, required=True)
    except ValidationFailed as error:
        return list(error.problems)
    return []

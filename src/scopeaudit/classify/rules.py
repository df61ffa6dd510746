"""Classification rules as data: the shipped YAML, user files that extend or override it, matching.

A rule matches one kind of evidence (one ``Signal``) and, when it fires, votes for categories with
weights in [-1, 1] and may tell vendor, model, OS, form factor, virtual or role. A rule with
``alone: false`` only counts for a category that some other rule already supports: generic
identities (Net-SNMP's Linux OID, a TTL, an nmap OS class) never decide on their own.

User rule files (``--rules FILE``, or ``SCOPEAUDIT_RULES`` with paths separated by ``:``) have
the same format; a rule with the id of a shipped one replaces it, ``disable: [id, ...]`` turns
shipped rules off. See docs/classification.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scopeaudit.classify.evidence import Evidence, Signal
from scopeaudit.classify.yamlfile import read_tree, validate
from scopeaudit.errors import Problem, ValidationFailed
from scopeaudit.taxonomy import Category, FormFactor, Language, Role

ENV_RULES = "SCOPEAUDIT_RULES"
DEFAULT_THRESHOLD = 0.5
_SET_SIGNALS = frozenset({Signal.OPEN_PORTS, Signal.LLDP_CAPS, Signal.CDP_CAPS})
_INT_SIGNALS = frozenset(
    {
        Signal.SNMP_SYSSERVICES,
        Signal.SNMP_IP_FORWARDING,
        Signal.SNMP_BRIDGE_PORTS,
        Signal.TTL,
    }
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """How a rule tests its evidence's value: exactly one of these keys."""

    regex: str | None = None
    equals: str | None = None
    prefix: list[str] | None = None
    any_of: list[str] | None = None
    all_of: list[str] | None = None
    bits: int | None = None
    present: bool | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Match:
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of regex, equals, prefix, any_of, all_of, bits, present"
                f" (got {', '.join(given) or 'none'})"
            )
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as error:
                raise ValueError(f"invalid regex: {error}") from None
        return self


class Sets(_Strict):
    """What a rule tells about the device beside its category; ``{1}`` is the regex's group 1."""

    vendor: str | None = None
    model: str | None = None
    os: str | None = None
    form_factor: FormFactor | None = None
    virtual: bool | None = None
    role: Role | None = None


class Label(_Strict):
    """The rule's meaning in each language, quoted in reasons."""

    en: Annotated[str, Field(min_length=1)]
    fr: Annotated[str, Field(min_length=1)]

    def get(self, lang: Language) -> str:
        return self.fr if lang == Language.FR else self.en


class Example(_Strict):
    """An input the rule must (or must not) fire on and the category the classifier gives then.

    ``category`` is the outcome when this input is the only evidence the device has, through all
    shipped rules: ``unknown`` for rules that cannot decide alone.
    """

    input: str | list[str]
    key: str | None = None
    context: str | None = None
    fires: bool = True
    category: Category | None = None


class Rule(_Strict):
    """One rule: one signal, one match, votes and attributes, a label, examples."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    signal: Signal
    key: str | list[str] | None = None
    context: str | None = None
    match: Match
    votes: dict[Category, float] = Field(default_factory=dict)
    sets: Sets = Field(default_factory=Sets)
    alone: bool = True
    label: Label
    examples: list[Example] = Field(default_factory=list)

    @field_validator("context")
    @classmethod
    def _context(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as error:
                raise ValueError(f"invalid regex: {error}") from None
        return value

    @field_validator("votes")
    @classmethod
    def _weights(cls, votes: dict[Category, float]) -> dict[Category, float]:
        for category, weight in votes.items():
            if category == Category.UNKNOWN:
                raise ValueError("'unknown' is the absence of a decision; do not vote for it")
            if not -1.0 <= weight <= 1.0 or weight == 0:
                raise ValueError(f"weight for {category} must be in [-1, 1] and not 0")
        return votes

    def keys(self) -> tuple[str, ...] | None:
        if self.key is None:
            return None
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    def strength(self) -> float:
        """The rule's weight for attributes: its strongest positive vote, 0.5 without votes."""
        positive = [w for w in self.votes.values() if w > 0]
        return max(positive) if positive else 0.5


class RuleFile(_Strict):
    """A rules file: shipped (``src/scopeaudit/rules/classification.yaml``) or the user's."""

    format: int = 1
    threshold: Annotated[float, Field(gt=0, lt=1)] | None = None
    disable: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != 1:
            raise ValueError("this version of scopeaudit reads rules format 1")
        return value

    @field_validator("rules")
    @classmethod
    def _unique(cls, rules: list[Rule]) -> list[Rule]:
        seen: set[str] = set()
        for rule in rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return rules


@dataclass(frozen=True)
class Hit:
    """A rule that fired on a piece of evidence, with the regex groups for ``{1}`` templates."""

    rule: Rule
    evidence: Evidence
    groups: tuple[str, ...] = ()

    def attribute(self, name: str) -> Any:
        value = getattr(self.rule.sets, name)
        if isinstance(value, str) and "{" in value:
            values = {str(i): g for i, g in enumerate(self.groups)}
            try:
                return value.format(*self.groups) if self.groups else value.format_map(values)
            except (IndexError, KeyError):
                return None
        return value


def _normal_item(signal: Signal, item: str) -> str:
    text = str(item).strip()
    if signal == Signal.OPEN_PORTS and "/" not in text:
        return f"{text}/tcp"
    return text.lower()


@dataclass
class CompiledRule:
    """A rule with its regex compiled and its list items normalised once."""

    rule: Rule
    pattern: re.Pattern[str] | None = None
    items: frozenset[str] = field(default_factory=frozenset)
    context: re.Pattern[str] | None = None

    @classmethod
    def of(cls, rule: Rule) -> CompiledRule:
        match = rule.match
        pattern = re.compile(match.regex, re.IGNORECASE) if match.regex is not None else None
        listed = match.any_of or match.all_of or match.prefix or []
        items = frozenset(_normal_item(rule.signal, i) for i in listed)
        context = re.compile(rule.context, re.IGNORECASE) if rule.context is not None else None
        return cls(rule, pattern, items, context)

    def test(self, evidence: Evidence) -> Hit | None:
        rule = self.rule
        if evidence.signal != rule.signal:
            return None
        keys = rule.keys()
        if keys is not None and (
            evidence.key is None or evidence.key.lower() not in {k.lower() for k in keys}
        ):
            return None
        if self.context is not None and not self.context.search(evidence.context or ""):
            return None
        value = evidence.value
        match = rule.match
        if match.present is not None:
            return Hit(rule, evidence) if match.present else None
        if isinstance(value, frozenset):
            have = {_normal_item(rule.signal, v) for v in value}
            if match.any_of is not None:
                return Hit(rule, evidence) if have & self.items else None
            if match.all_of is not None:
                return Hit(rule, evidence) if self.items <= have else None
            if self.pattern is not None:
                found = next((self.pattern.search(v) for v in sorted(value)), None)
                return Hit(rule, evidence, _groups(found)) if found else None
            return None
        if match.bits is not None:
            number = value if isinstance(value, int) else _as_int(value)
            return (
                Hit(rule, evidence)
                if number is not None and number & match.bits == match.bits
                else None
            )
        text = str(value)
        if self.pattern is not None:
            found = self.pattern.search(text)
            return Hit(rule, evidence, _groups(found)) if found else None
        if match.equals is not None:
            return (
                Hit(rule, evidence)
                if text.strip().lower() == match.equals.strip().lower()
                else None
            )
        if match.prefix is not None:
            lowered = text.strip().lower()
            return Hit(rule, evidence) if any(lowered.startswith(p) for p in self.items) else None
        if match.any_of is not None:
            return Hit(rule, evidence) if text.strip().lower() in self.items else None
        return None


def _as_int(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _groups(found: re.Match[str] | None) -> tuple[str, ...]:
    if found is None:
        return ()
    return (found.group(0), *(g or "" for g in found.groups()))


def example_evidence(rule: Rule, example: Example) -> Evidence:
    """The evidence an example stands for (used by tests and by ``rules check``)."""
    signal = rule.signal
    value: str | int | frozenset[str]
    if isinstance(example.input, list):
        value = frozenset(_normal_item(signal, i) for i in example.input)
    elif signal in _SET_SIGNALS:
        value = frozenset(_normal_item(signal, i) for i in example.input.split(","))
    elif signal in _INT_SIGNALS and _as_int(example.input) is not None:
        value = int(example.input)
    else:
        value = example.input
    keys = rule.keys()
    key = example.key or (keys[0] if keys else None)
    return Evidence(signal, value, key, example.context)


@dataclass
class RuleSet:
    """The rules in force: shipped ones, then each user file in order."""

    rules: list[CompiledRule]
    threshold: float = DEFAULT_THRESHOLD
    sources: list[str] = field(default_factory=list)

    def by_id(self, rule_id: str) -> Rule | None:
        return next((c.rule for c in self.rules if c.rule.id == rule_id), None)

    def hits(self, evidence: Sequence[Evidence]) -> list[Hit]:
        """Every rule that fires, once each, on its first matching piece of evidence."""
        by_signal: dict[Signal, list[Evidence]] = {}
        for item in evidence:
            by_signal.setdefault(item.signal, []).append(item)
        found: list[Hit] = []
        for compiled in self.rules:
            for item in by_signal.get(compiled.rule.signal, ()):
                hit = compiled.test(item)
                if hit is not None:
                    found.append(hit)
                    break
        return found


def shipped_path() -> Path:
    """Where the shipped rules file is (package data)."""
    return Path(str(resources.files("scopeaudit") / "rules" / "classification.yaml"))


def load_file(path: Path) -> RuleFile:
    """One rules file, validated; every problem located (``FILE:LINE:COLUMN``)."""
    return validate(RuleFile, read_tree(path), path)


_SHIPPED: RuleFile | None = None


def shipped() -> RuleFile:
    global _SHIPPED
    if _SHIPPED is None:
        _SHIPPED = load_file(shipped_path())
    return _SHIPPED


def user_paths(explicit: Iterable[Path] = (), environ: dict[str, str] | None = None) -> list[Path]:
    """User rule files: ``SCOPEAUDIT_RULES`` first, then the explicit ones (later ones win)."""
    env = os.environ if environ is None else environ
    from_env = [Path(p) for p in env.get(ENV_RULES, "").split(os.pathsep) if p.strip()]
    return [*from_env, *explicit]


def load_ruleset(extra: Iterable[Path] = (), environ: dict[str, str] | None = None) -> RuleSet:
    """Shipped rules extended or overridden by the user's files."""
    base = shipped()
    order = [rule.id for rule in base.rules]
    rules = {rule.id: rule for rule in base.rules}
    threshold = base.threshold or DEFAULT_THRESHOLD
    sources = [str(shipped_path())]
    problems: list[Problem] = []
    for path in user_paths(extra, environ):
        try:
            loaded = load_file(path)
        except ValidationFailed as error:
            problems.extend(error.problems)
            continue
        sources.append(str(path))
        for rule_id in loaded.disable:
            rules.pop(rule_id, None)
        for rule in loaded.rules:
            if rule.id not in rules and rule.id not in order:
                order.append(rule.id)
            rules[rule.id] = rule
        if loaded.threshold is not None:
            threshold = loaded.threshold
    if problems:
        raise ValidationFailed(problems)
    compiled = [CompiledRule.of(rules[i]) for i in order if i in rules]
    return RuleSet(compiled, threshold, sources)

"""Classifying devices: evidence → rules → decision → the Device fields, reasons and pins.

``classify_devices`` is the library entry point the audit calls: it classifies every device of a
snapshot, applies the technician's pins (decisions file) and links management controllers to
their servers. It never prints and never raises on odd evidence: a device it cannot place is
``unknown`` with its reasons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from scopeaudit.classify import messages
from scopeaudit.classify.bmc import link_controllers
from scopeaudit.classify.engine import Outcome, decide
from scopeaudit.classify.evidence import VendorLookup, for_device
from scopeaudit.classify.rules import RuleSet, load_ruleset
from scopeaudit.models import Device, Observation, Reason
from scopeaudit.taxonomy import Category, Language


@dataclass(frozen=True)
class Pin:
    """A technician's decision that fixes a device's category and/or name."""

    category: Category | None
    name: str | None
    reason: str
    author: str
    date: str


# Reasons travel in every snapshot and report: a hostile 10 kB banner is cut, not repeated.
MAX_EVIDENCE_CHARS = 200


def _short(text: str) -> str:
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[: MAX_EVIDENCE_CHARS - 1] + "…"


def reasons_of(outcome: Outcome, lang: Language) -> list[Reason]:
    """The decision first, then each rule that fired (counted ones first, heaviest first)."""
    out: list[Reason] = []
    params: dict[str, object]
    if outcome.category != Category.UNKNOWN:
        params = {
            "category": outcome.category.value,
            "confidence": outcome.confidence,
            "threshold": outcome.threshold,
        }
        out.append(messages.reason("classify.decision", params, lang))
    elif outcome.best_guess != Category.UNKNOWN:
        params = {
            "category": outcome.best_guess.value,
            "confidence": outcome.confidence,
            "threshold": outcome.threshold,
        }
        out.append(messages.reason("classify.below_threshold", params, lang))
    else:
        out.append(messages.reason("classify.no_rule", {}, lang))
    if outcome.competitor is not None and outcome.competitor_score >= 0.1:
        params = {"category": outcome.competitor.value, "score": outcome.competitor_score}
        out.append(messages.reason("classify.competitor", params, lang))
    counted = {(v.hit.rule.id, v.category) for v in outcome.votes if v.counted}
    ordered = sorted(
        outcome.hits,
        key=lambda h: (
            not any((h.rule.id, c) in counted for c in h.rule.votes),
            -h.rule.strength(),
            h.rule.id,
        ),
    )
    for hit in ordered:
        rule = hit.rule
        fully = all((rule.id, c) in counted for c in rule.votes)
        code = "classify.rule" if fully or not rule.votes else "classify.unsupported"
        params = {
            "rule": rule.id,
            "signal": hit.evidence.signal.value,
            "evidence": _short(hit.evidence.display()),
            "votes": ",".join(f"{c.value}:{w:g}" for c, w in rule.votes.items()),
            "label_en": rule.label.en,
            "label_fr": rule.label.fr,
        }
        out.append(messages.reason(code, params, lang))
    return out


def apply(device: Device, outcome: Outcome, lang: Language) -> Device:
    """``device`` with the outcome's category, confidence, reasons and attributes."""
    update: dict[str, object] = {
        "category": outcome.category,
        "confidence": outcome.confidence,
        "reasons": reasons_of(outcome, lang),
        "form_factor": outcome.form_factor,
        "virtual": outcome.virtual,
        "role": outcome.role,
        "model": outcome.model,
        "os": outcome.os,
    }
    if outcome.vendor:
        update["vendor"] = outcome.vendor
    return device.model_copy(update=update)


def pin(device: Device, chosen: Pin, lang: Language) -> Device:
    """``device`` with the technician's category and/or name; confidence 1 for a pinned category."""
    params = {"reason": chosen.reason, "author": chosen.author, "date": chosen.date}
    update: dict[str, object] = {}
    reasons: list[Reason] = []
    if chosen.category is not None:
        update.update(category=chosen.category, confidence=1.0)
        reasons.append(
            messages.reason("classify.pinned", {**params, "category": chosen.category.value}, lang)
        )
    if chosen.name:
        names = [chosen.name, *(n for n in device.hostnames if n != chosen.name)]
        update["hostnames"] = names
        reasons.append(
            messages.reason("classify.pinned_name", {**params, "name": chosen.name}, lang)
        )
    update["reasons"] = [*reasons, *device.reasons]
    return device.model_copy(update=update)


def classify_device(
    device: Device,
    observations: Sequence[Observation],
    ruleset: RuleSet,
    lang: Language = Language.EN,
    vendor_lookup: VendorLookup | None = None,
) -> tuple[Device, Outcome]:
    """One device, classified from its own observations (no pins, no linking)."""
    evidence = for_device(device, list(observations), vendor_lookup)
    outcome = decide(evidence, ruleset)
    return apply(device, outcome, lang), outcome


def classify_devices(
    devices: Sequence[Device],
    observations: Sequence[Observation],
    ruleset: RuleSet | None = None,
    pins: Mapping[str, Pin] | None = None,
    lang: Language = Language.EN,
    vendor_lookup: VendorLookup | None = None,
) -> list[Device]:
    """Every device classified, pins applied (by device id), controllers linked to servers."""
    rules = ruleset or load_ruleset()
    done: list[Device] = []
    outcomes: dict[str, Outcome] = {}
    for device in devices:
        classified, outcome = classify_device(device, observations, rules, lang, vendor_lookup)
        outcomes[device.id] = outcome
        done.append(classified)
    done = link_controllers(done, {i: o.evidence for i, o in outcomes.items()}, lang)
    chosen = pins or {}
    return [pin(d, chosen[d.id], lang) if d.id in chosen else d for d in done]

"""What ``scopeaudit explain SNAPSHOT DEVICE`` shows: evidence, rules that fired, the decision.

``explain`` re-runs the classifier on the device's raw observations (snapshots keep them) with
the rules in force now, applies the technician's pins, and returns plain rows; the CLI draws
them. Strings from the network stay raw here and are escaped by the renderer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from scopeaudit.classify.device import Pin, apply, pin
from scopeaudit.classify.engine import Outcome, decide
from scopeaudit.classify.evidence import for_device
from scopeaudit.classify.messages import category_name, signal_name, votes_text
from scopeaudit.classify.rules import RuleSet
from scopeaudit.models import Device, Reason, Snapshot
from scopeaudit.taxonomy import Language


@dataclass
class RuleRow:
    rule: str
    signal: str
    evidence: str
    votes: str
    target: str
    counted: bool
    label: str


@dataclass
class Explanation:
    """Everything explain prints, already in the user's language (except raw evidence)."""

    device: Device
    evidence: list[tuple[str, str, str]] = field(default_factory=list)  # signal, value, obs
    rules: list[RuleRow] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    scores: list[tuple[str, float]] = field(default_factory=list)
    outcome: Outcome | None = None


def explain(
    snapshot: Snapshot,
    device: Device,
    ruleset: RuleSet,
    pins: dict[str, Pin] | None = None,
    lang: Language = Language.EN,
) -> Explanation:
    """The explanation of one device of ``snapshot``."""
    evidence = for_device(device, snapshot.observations)
    outcome = decide(evidence, ruleset)
    classified = apply(device, outcome, lang)
    # Keep what linking found earlier (parent, BMC note): explain shows one device only.
    if device.parent_id:
        classified = classified.model_copy(
            update={
                "parent_id": device.parent_id,
                "reasons": [
                    *classified.reasons,
                    *(r for r in device.reasons if r.code == "classify.bmc_parent"),
                ],
            }
        )
    chosen = (pins or {}).get(device.id)
    if chosen is not None:
        classified = pin(classified, chosen, lang)
    counted = {(v.hit.rule.id, v.category) for v in outcome.votes if v.counted}
    rows = [
        RuleRow(
            rule=hit.rule.id,
            signal=signal_name(hit.evidence.signal, lang),
            evidence=hit.evidence.display(),
            votes=", ".join(
                f"{category_name(c, lang)} {w:+.2f}" for c, w in hit.rule.votes.items()
            ),
            target=votes_text(",".join(f"{c.value}:{w}" for c, w in hit.rule.votes.items()), lang),
            counted=all((hit.rule.id, c) in counted for c in hit.rule.votes),
            label=hit.rule.label.get(lang),
        )
        for hit in outcome.hits
    ]
    return Explanation(
        device=classified,
        evidence=[
            (signal_name(e.signal, lang), e.display(), ", ".join(f"#{i}" for i in e.observations))
            for e in evidence
        ],
        rules=rows,
        reasons=classified.reasons,
        scores=sorted(
            ((category_name(c, lang), s) for c, s in outcome.scores.items()),
            key=lambda item: -item[1],
        ),
        outcome=outcome,
    )

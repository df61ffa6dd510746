"""Combining the votes of the rules that fired into a category, a confidence and attributes.

Per category, positive votes combine as independent evidence (1 − Π(1 − w)) and negative votes
scale the result down (× Π(1 − |w|)); the best score wins. Its confidence counts, for each rule,
only what the rule says for the winner beyond what it says for any other category (a Cisco SSH
banner saying "router or switch" tells neither), then is lowered by the strongest competitor,
counting only the rules that do not also vote for the winner. Below the threshold the answer is
``unknown``, an honest output. Attributes (vendor, model, OS, form factor, virtual, role) come
from the rules that voted for the winner or for nothing, heaviest first; a form factor must fit
the category.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from scopeaudit.classify.evidence import Evidence, Signal
from scopeaudit.classify.rules import Hit, RuleSet
from scopeaudit.taxonomy import Category, FormFactor, Role

# Half of the competitor's score is taken off: two strong, contradicting signals leave a
# confidence near 0.5, which is what a technician should see.
COMPETITOR_FACTOR = 0.5

# Which form factors make sense for a category (exhaustive over Category; tested).
FORM_FACTORS: dict[Category, frozenset[FormFactor]] = {
    Category.COMPUTER: frozenset({FormFactor.DESKTOP, FormFactor.LAPTOP, FormFactor.VIRTUAL}),
    Category.TABLET: frozenset({FormFactor.TABLET}),
    Category.PHONE: frozenset({FormFactor.PHONE}),
    Category.SERVER: frozenset({FormFactor.RACK, FormFactor.VIRTUAL, FormFactor.DESKTOP}),
    Category.HYPERVISOR: frozenset({FormFactor.RACK, FormFactor.VIRTUAL}),
    Category.ROUTER: frozenset({FormFactor.RACK, FormFactor.EMBEDDED, FormFactor.VIRTUAL}),
    Category.FIREWALL: frozenset({FormFactor.RACK, FormFactor.EMBEDDED, FormFactor.VIRTUAL}),
    Category.SWITCH: frozenset({FormFactor.RACK, FormFactor.EMBEDDED}),
    Category.ACCESS_POINT: frozenset({FormFactor.EMBEDDED}),
    Category.PRINTER: frozenset({FormFactor.EMBEDDED}),
    Category.NAS: frozenset({FormFactor.RACK, FormFactor.EMBEDDED}),
    Category.IP_PHONE: frozenset({FormFactor.EMBEDDED}),
    Category.CAMERA: frozenset({FormFactor.EMBEDDED}),
    Category.IOT: frozenset({FormFactor.EMBEDDED}),
    Category.UNKNOWN: frozenset(),
}

_ORDER = {category: position for position, category in enumerate(Category)}


@dataclass(frozen=True)
class Vote:
    """One rule's vote for one category, and whether it counted."""

    hit: Hit
    category: Category
    weight: float
    counted: bool


@dataclass
class Outcome:
    """The classifier's answer for one device, with everything ``explain`` shows."""

    category: Category
    confidence: float
    best_guess: Category
    threshold: float
    scores: dict[Category, float]
    competitor: Category | None
    competitor_score: float
    hits: list[Hit]
    votes: list[Vote]
    vendor: str | None = None
    model: str | None = None
    os: str | None = None
    form_factor: FormFactor | None = None
    virtual: bool | None = None
    role: Role | None = None
    evidence: list[Evidence] = field(default_factory=list)


def _combine(weights: Sequence[float]) -> float:
    positive = 1.0
    negative = 1.0
    for weight in weights:
        if weight > 0:
            positive *= 1.0 - weight
        else:
            negative *= 1.0 + weight
    if positive == 1.0:
        return 0.0
    return (1.0 - positive) * negative


def decide(evidence: Sequence[Evidence], ruleset: RuleSet) -> Outcome:
    """Fire the rules on ``evidence`` and combine their votes."""
    hits = ruleset.hits(evidence)
    supported = {
        category
        for hit in hits
        if hit.rule.alone
        for category, weight in hit.rule.votes.items()
        if weight > 0
    }
    votes = [
        Vote(hit, category, weight, hit.rule.alone or weight < 0 or category in supported)
        for hit in hits
        for category, weight in hit.rule.votes.items()
    ]
    by_category: dict[Category, list[float]] = {}
    for vote in votes:
        if vote.counted:
            by_category.setdefault(vote.category, []).append(vote.weight)
    scores = {c: round(_combine(w), 4) for c, w in by_category.items()}
    scores = {c: s for c, s in scores.items() if s > 0}
    if not scores:
        return _attributes(
            Outcome(
                Category.UNKNOWN,
                0.0,
                Category.UNKNOWN,
                ruleset.threshold,
                {},
                None,
                0.0,
                hits,
                votes,
            ),
            evidence,
        )
    best = min(scores, key=lambda c: (-scores[c], _ORDER[c]))
    backers = {v.hit.rule.id for v in votes if v.counted and v.category == best and v.weight > 0}
    rivals: dict[Category, list[float]] = {}
    for vote in votes:
        if vote.counted and vote.category != best and vote.hit.rule.id not in backers:
            rivals.setdefault(vote.category, []).append(vote.weight)
    rival_scores = {c: _combine(w) for c, w in rivals.items()}
    competitor = max(rival_scores, key=lambda c: (rival_scores[c], -_ORDER[c]), default=None)
    competitor_score = rival_scores.get(competitor, 0.0) if competitor else 0.0
    # Only what a rule says for the winner beyond what it says for any other category tells
    # them apart: "router or switch" at 0.3 each is no evidence for either.
    exclusive = [
        vote.weight
        - (
            max((w for c, w in vote.hit.rule.votes.items() if c != best and w > 0), default=0.0)
            if vote.weight > 0
            else 0.0
        )
        for vote in votes
        if vote.counted and vote.category == best
    ]
    distinct = _combine([w for w in exclusive if w > 0] + [w for w in exclusive if w < 0])
    confidence = round(distinct * (1.0 - COMPETITOR_FACTOR * competitor_score), 3)
    category = best if confidence >= ruleset.threshold else Category.UNKNOWN
    outcome = Outcome(
        category,
        confidence,
        best,
        ruleset.threshold,
        scores,
        competitor if competitor_score > 0 else None,
        round(competitor_score, 4),
        hits,
        votes,
    )
    return _attributes(outcome, evidence)


def _attributes(outcome: Outcome, evidence: Sequence[Evidence]) -> Outcome:
    outcome.evidence = list(evidence)
    winner = outcome.category
    usable = [
        hit
        for hit in outcome.hits
        if not any(w > 0 for w in hit.rule.votes.values())
        or (winner != Category.UNKNOWN and hit.rule.votes.get(winner, 0) > 0)
    ]
    for name in ("vendor", "model", "os", "form_factor", "virtual", "role"):
        tally: dict[object, float] = {}
        for hit in usable:
            value = hit.attribute(name)
            if value is None or value == "":
                continue
            if name == "form_factor" and value not in FORM_FACTORS[winner]:
                continue
            if name == "role" and winner == Category.UNKNOWN:
                continue
            tally[value] = tally.get(value, 0.0) + hit.rule.strength()
        if tally:
            chosen = max(tally, key=lambda v: (tally[v], str(v)))
            setattr(outcome, name, chosen)
    if outcome.vendor is None:
        # No rule named the vendor: the MAC's registry owner is still worth showing.
        outcome.vendor = next(
            (str(e.value) for e in evidence if e.signal == Signal.MAC_VENDOR), None
        )
    if outcome.virtual and winner in FORM_FACTORS and FormFactor.VIRTUAL in FORM_FACTORS[winner]:
        outcome.form_factor = FormFactor.VIRTUAL
    return outcome

"""Every example of every shipped rule: the rule fires (or not) and the classifier's answer
when that input is the device's only evidence is the example's ``category``."""

from __future__ import annotations

import pytest

from scopeaudit.classify.engine import decide
from scopeaudit.classify.rules import CompiledRule, Rule, example_evidence, load_ruleset, shipped

RULESET = load_ruleset(environ={})
CASES = [
    pytest.param(rule, n, id=f"{rule.id}#{n}")
    for rule in shipped().rules
    for n in range(len(rule.examples))
]


def test_every_rule_has_an_example() -> None:
    assert [r.id for r in shipped().rules if not r.examples] == []


@pytest.mark.parametrize(("rule", "n"), CASES)
def test_example(rule: Rule, n: int) -> None:
    example = rule.examples[n]
    evidence = example_evidence(rule, example)
    fired = CompiledRule.of(rule).test(evidence) is not None
    assert fired == example.fires, f"{rule.id} on {example.input!r}"
    if example.category is not None:
        outcome = decide([evidence], RULESET)
        assert outcome.category == example.category, (
            f"{rule.id} on {example.input!r}: got {outcome.category} "
            f"({outcome.confidence}, best {outcome.best_guess})"
        )

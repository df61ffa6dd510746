"""User rule files (override by id, disable, environment hook), located errors, and the closed
sets' mappings (every category has its form factors, every signal and message both languages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scopeaudit.classify import Evidence, Signal, decide, load_ruleset
from scopeaudit.classify.engine import FORM_FACTORS
from scopeaudit.classify.messages import MESSAGES, SIGNALS, rerender
from scopeaudit.classify.rules import ENV_RULES, shipped_path
from scopeaudit.errors import ValidationFailed
from scopeaudit.models import Reason
from scopeaudit.taxonomy import Category, Language

CLIENT = """\
format: 1
threshold: 0.6
disable: [name.workstation]
rules:
  - id: client.workstations
    signal: hostname
    match: {regex: '^CLI-PC-\\d+$'}
    votes: {computer: 0.7}
    sets: {form_factor: desktop}
    label: {en: client's workstation naming, fr: nommage des postes du client}
    examples: [{input: CLI-PC-042, category: computer}]
  - id: name.hp-printer
    signal: hostname
    match: {regex: '^NPI'}
    votes: {iot: 0.9}
    label: {en: overridden, fr: remplacée}
"""


def test_user_file_extends_overrides_and_disables(tmp_path: Path) -> None:
    path = tmp_path / "client.yaml"
    path.write_text(CLIENT, encoding="utf-8")
    rules = load_ruleset([path], environ={})
    assert rules.threshold == 0.6
    assert rules.by_id("name.workstation") is None
    assert decide([Evidence(Signal.HOSTNAME, "CLI-PC-042")], rules).category == Category.COMPUTER
    assert decide([Evidence(Signal.HOSTNAME, "NPI8E2A1F")], rules).category == Category.IOT
    shipped = load_ruleset(environ={})
    assert decide([Evidence(Signal.HOSTNAME, "NPI8E2A1F")], shipped).category == Category.PRINTER
    from_env = load_ruleset(environ={ENV_RULES: str(path)})
    assert from_env.by_id("client.workstations") is not None
    assert str(path) in from_env.sources


def test_rules_file_errors_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "format: 1\nrules:\n"
        "  - id: Bad Id\n    signal: smoke\n    match: {regex: '(', equals: x}\n"
        "    votes: {toaster: 2}\n    label: {en: x, fr: x}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValidationFailed) as caught:
        load_ruleset([path], environ={})
    lines = caught.value.lines()
    assert any(line.startswith(f"{path}:3:9: rules[0].id:") for line in lines)
    assert any(":4:13: rules[0].signal:" in line for line in lines)
    assert any(":5:12: rules[0].match:" in line for line in lines)
    assert any("rules[0].votes" in line for line in lines)


def test_shipped_file_is_package_data() -> None:
    assert shipped_path().is_file()
    assert shipped_path().parent.parent.name == "scopeaudit"


def test_form_factors_cover_every_category() -> None:
    assert set(FORM_FACTORS) == set(Category)


def test_every_signal_and_message_in_both_languages() -> None:
    assert set(SIGNALS) == set(Signal)
    for catalog in (SIGNALS, MESSAGES):
        for code, texts in catalog.items():
            assert set(texts) == set(Language), code
            assert all(texts.values()), code


def test_reason_rerendered_in_french() -> None:
    reason = Reason(
        code="classify.rule",
        params={"rule": "mdns.apple-model.ipad", "signal": "mdns_txt",
                "evidence": "_companion-link rpMd=iPad13,16", "votes": "tablet:0.9",
                "label_en": "Apple iPad model identifier",
                "label_fr": "identifiant de modèle Apple iPad"},
        text="",
    )  # fmt: skip
    french = rerender(reason, Language.FR)
    assert french.text == (
        "mDNS _companion-link rpMd=iPad13,16 → tablette (identifiant de modèle Apple iPad)"
    )

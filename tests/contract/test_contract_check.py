"""``contract check``: clause findings, warnings, fees, exit codes, and ``contract init``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scopeaudit.cli import app
from scopeaudit.contract import fees, load_contract, missing_clauses, warnings
from scopeaudit.contract.check import CHECKLIST, money
from scopeaudit.contract.template import TEMPLATES
from scopeaudit.taxonomy import Category, Language

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "fixtures" / "contracts"
EXAMPLE = CONTRACTS / "example.yaml"
runner = CliRunner()


def test_example_is_complete_and_warns_about_the_firewall_in_the_guest_range() -> None:
    contract = load_contract(EXAMPLE)
    assert missing_clauses(contract) == []
    found = warnings(contract)
    assert [(w.code, w.params.get("equipment")) for w in found] == [
        ("ip_in_excluded", "LYON-FW-01")
    ]
    assert found[0].params["cidr"] == "10.20.0.240/28"
    result = runner.invoke(app, ["contract", "check", str(EXAMPLE), "--lang", "en"])
    assert result.exit_code == 0
    assert "LYON-FW-01: IP 10.20.0.254 lies in an excluded range (10.20.0.240/28)" in result.stdout


def test_example_fee() -> None:
    fee = fees(load_contract(EXAMPLE))
    amounts = {line.category: line.amount for line in fee.lines}
    assert amounts[Category.COMPUTER] == Decimal("96.00")  # 3 x 32
    assert amounts[Category.ROUTER] == Decimal("90.00")  # 2 x 45
    assert fee.total == Decimal("913.00")  # 450 + 96 + 12 + 140 + 90 + 60 + 10 + 55
    assert fee.total_incl_vat is None


def test_demo_fee_and_perimeter() -> None:
    contract = load_contract(CONTRACTS / "demo.yaml")
    fee = fees(contract)
    assert fee.total == Decimal("1517.00")
    assert fee.total_incl_vat == Decimal("1820.40")
    assert len(contract.equipment) == 18
    assert missing_clauses(contract) == []
    assert warnings(contract) == []  # the firewall sits outside the excluded guest range


def test_removing_reversibility_exits_1_naming_the_clause(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    del data["contract"]["reversibility"]
    path = tmp_path / "no-reversibility.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert missing_clauses(load_contract(path)) == ["reversibility"]
    result = runner.invoke(app, ["contract", "check", str(path)])
    assert result.exit_code == 1
    assert "✗ Réversibilité (reversibility)" in result.stdout
    result = runner.invoke(app, ["contract", "check", str(path), "--lang", "en"])
    assert "✗ Reversibility (reversibility)" in result.stdout
    result = runner.invoke(app, ["contract", "check", str(path), "--format", "json"])
    report = json.loads(result.stdout)
    assert report["clauses"]["missing"] == [{"code": "reversibility", "text": "Réversibilité"}]
    assert report["exit_code"] == 1


def test_empty_clauses_count_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    data = yaml.safe_load(EXAMPLE.read_text("utf-8"))
    data["contract"]["hotline"]["pricing"] = "  "
    data["contract"]["missions"] = []
    data["contract"]["parties"]["client"] = {"address": "somewhere"}
    data["contract"]["service_levels"]["intervention_delay"].pop("high")
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert missing_clauses(load_contract(path)) == [
        "parties.client",
        "missions",
        "service_levels.intervention_delay.high",
        "hotline.pricing",
    ]


def test_multi_site_warnings_and_findings() -> None:
    contract = load_contract(CONTRACTS / "multi-site.yaml")
    assert missing_clauses(contract) == ["hotline.pricing", "reversibility"]
    codes = [
        (w.code, w.params.get("equipment") or w.params.get("where") or w.params.get("category"))
        for w in warnings(contract)
    ]
    assert codes == [
        ("site_undeclared", "scope.networks 172.16.12.0/24"),
        ("ip_outside_networks", "RBX-PC-01"),
        ("site_undeclared", "TRC-PC-01"),
        ("site_undeclared", "TRC-IOT-01"),
        ("no_identifier", "TRC-IOT-01"),
        ("category_unpriced", "camera"),
        ("category_unpriced", "iot"),
    ]
    fee = fees(contract)
    assert fee.unpriced == [Category.CAMERA, Category.IOT]
    assert fee.total == Decimal("10116.00")


def test_minimal_misses_every_clause() -> None:
    contract = load_contract(CONTRACTS / "minimal.yaml")
    assert missing_clauses(contract) == list(CHECKLIST)
    assert fees(contract).total is None
    result = runner.invoke(app, ["contract", "check", str(CONTRACTS / "minimal.yaml")])
    assert result.exit_code == 1


def test_money_rounds_half_up_to_the_cent(tmp_path: Path) -> None:
    assert money(Decimal("0.125")) == Decimal("0.13")
    assert money(Decimal("2.675")) == Decimal("2.68")  # a float would give 2.67
    path = tmp_path / "c.yaml"
    path.write_text(
        "format: 1\ncontract:\n  reference: R\n  billing: {base_fee: 0.005, unit_prices: {iot: 0.125}}\n"
        "scope:\n  networks: [{cidr: 10.0.0.0/24, site: A}]\n"
        "equipment:\n  - {id: a, category: iot, hostname: a}\n  - {id: b, category: iot, hostname: b}\n"
        "  - {id: c, category: iot, hostname: c}\n"
    )
    fee = fees(load_contract(path))
    assert fee.lines[0].amount == Decimal("0.38")  # 0.375 -> 0.38
    assert fee.total == Decimal("0.39")  # 0.005 + 0.38 = 0.385 -> 0.39


@pytest.mark.parametrize("lang", list(Language))
def test_template_loads_and_leaves_every_clause_to_fill(lang: Language, tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    result = runner.invoke(app, ["contract", "init", "--lang", lang.value, "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text("utf-8") == TEMPLATES[lang]
    assert missing_clauses(load_contract(path)) == list(CHECKLIST)
    checked = runner.invoke(app, ["contract", "check", str(path)])
    assert checked.exit_code == 1
    again = runner.invoke(app, ["contract", "init", "--lang", lang.value, "--output", str(path)])
    assert again.exit_code == 2
    assert "--force" in again.stderr
    path.write_text("mine")
    forced = runner.invoke(app, ["contract", "init", "-o", str(path), "--force", "--lang", "en"])
    assert forced.exit_code == 0
    assert path.read_text("utf-8") == TEMPLATES[Language.EN]


def test_template_mentions_every_section_and_clause() -> None:
    for text in TEMPLATES.values():
        data = yaml.safe_load(text)
        assert set(data) == {"format", "language", "contract", "scope", "equipment"}
        clause_keys = {code.split(".")[0] for code in CHECKLIST} - {"parties"}
        assert clause_keys <= set(data["contract"])
        assert {"sites", "networks", "exclude", "policies"} <= set(data["scope"])
        assert "credentials" in text or "secret" in text


def test_init_without_output_prints_the_template() -> None:
    result = runner.invoke(app, ["contract", "init", "--lang", "fr"])
    assert result.exit_code == 0
    assert result.stdout == TEMPLATES[Language.FR]


def test_check_and_init_through_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "LANG": "fr_FR.UTF-8"}
    env.pop("LC_ALL", None)
    env.pop("LC_MESSAGES", None)
    scopeaudit = [sys.executable, "-m", "scopeaudit"]
    path = tmp_path / "c.yaml"
    done = subprocess.run(
        [*scopeaudit, "contract", "init", "--output", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "Modèle écrit" in done.stderr  # LANG=fr_FR picks French
    done = subprocess.run(
        [*scopeaudit, "contract", "check", str(path), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["language"] == "fr"
    assert len(report["clauses"]["missing"]) == len(CHECKLIST)
    done = subprocess.run(
        [*scopeaudit, "contract", "check", str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "LYON-FW-01 : l'IP 10.20.0.254 est dans une plage exclue" in done.stdout
    assert "\x1b[" not in done.stdout  # not a TTY: no colour


def test_json_of_an_invalid_contract(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("format: 1\ncontract: {reference: R}\nscope: {networks: []}\nequipment: []\n")
    result = runner.invoke(app, ["contract", "check", str(path), "--format", "json"])
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["problems"][0]["path"] == "scope.networks"
    assert (report["problems"][0]["line"], report["problems"][0]["column"]) == (3, 19)


def test_hostile_strings_are_escaped_in_text(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(
        'format: 1\ncontract:\n  reference: "R\\e[2J[red]x[/red]"\n  title: ":warning: urgent"\n'
        "scope:\n  networks: [{cidr: 10.0.0.0/24, site: A}]\nequipment: []\n"
    )
    result = runner.invoke(app, ["contract", "check", str(path), "--lang", "en"])
    assert "Contract R\\x1b[2J[red]x[/red]" in result.stdout
    assert "\x1b" not in result.stdout
    assert ":warning: urgent" in result.stdout  # no emoji substitution
    report = json.loads(
        runner.invoke(app, ["contract", "check", str(path), "--format", "json"]).stdout
    )
    assert report["reference"] == "R\x1b[2J[red]x[/red]"  # raw in data
    assert report["title"] == ":warning: urgent"


def test_format_doc_names_every_clause_warning_and_field() -> None:
    doc = (REPO / "docs" / "contract-format.md").read_text("utf-8")
    for code in CHECKLIST:
        assert f"`{code.split('.')[-1]}" in doc or f".{code.split('.')[-1]}`" in doc, code
    for code in ("ip_outside_networks", "ip_in_excluded", "site_undeclared", "category_unpriced"):
        assert f"`{code}`" in doc
    from scopeaudit.contract.models import EquipmentItem, Policy, PolicyMatch

    for model in (EquipmentItem, Policy, PolicyMatch):
        for name in model.model_fields:
            assert f"`{name}`" in doc, name
    assert "credentials" in doc

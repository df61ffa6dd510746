"""Loading contracts: the fixtures, typing without surprises, positions and messages."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

import pytest

from scopeaudit.contract import (
    Criticality,
    Period,
    Treatment,
    allowed_networks,
    contract_sha256,
    load_contract,
    read_contract,
    unit_prices,
)
from scopeaudit.contract.check import CHECKLIST
from scopeaudit.contract.loader import _CUSTOM, _TYPE_CODES, format_path
from scopeaudit.contract.messages import (
    CATEGORIES,
    CLAUSES,
    CLI,
    ERRORS,
    LABELS,
    WARNINGS,
    FileProblem,
)
from scopeaudit.contract.models import Renewal
from scopeaudit.errors import ExitCode, ValidationFailed
from scopeaudit.taxonomy import Category, Language

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "fixtures" / "contracts"
GOOD = ["example.yaml", "demo.yaml", "small-office.yaml", "multi-site.yaml", "minimal.yaml"]


@pytest.mark.parametrize("name", GOOD)
def test_every_fixture_loads(name: str) -> None:
    contract = load_contract(CONTRACTS / name)
    assert contract.format == 1
    assert contract.contract.reference
    assert contract.scope.networks


def test_example_is_the_shared_reference_unchanged() -> None:
    """fixtures/contracts/example.yaml is a byte copy of ../shared/examples/contract-example.yaml."""
    places = [REPO.parent / "shared"]
    if os.environ.get("SCOPEAUDIT_CORPORA"):  # CI: ../shared/corpora, beside ../shared/examples
        places.insert(0, Path(os.environ["SCOPEAUDIT_CORPORA"]).parent)
    found = [p / "examples" / "contract-example.yaml" for p in places]
    found = [p for p in found if p.is_file()]
    if not found:
        pytest.skip("the shared examples folder is not beside this clone")
    shared = found[0]
    assert (CONTRACTS / "example.yaml").read_bytes() == shared.read_bytes()
    assert load_contract(shared).contract.reference == "INF-2026-014"


def test_example_content() -> None:
    contract = load_contract(CONTRACTS / "example.yaml")
    assert contract.language is Language.FR
    assert contract.contract.signed_on == date(2026, 1, 15)
    fw = next(item for item in contract.equipment if item.id == "LYON-FW-01")
    assert fw.ip == IPv4Address("10.20.0.254")
    assert fw.serial == "FGT60FTK21090001"
    assert fw.mac == ["04:d5:90:7c:33:01"]
    delay = contract.contract.service_levels.intervention_delay  # type: ignore[union-attr]
    assert delay is not None
    assert (delay.critical, delay.high, delay.normal) == (
        timedelta(hours=4),
        timedelta(hours=8),
        timedelta(days=2),
    )
    assert contract.scope.policies[0].treatment is Treatment.TOLERATED
    assert unit_prices(contract)[Category.SERVER] == Decimal("140.00")


def test_no_implicit_typing_surprises() -> None:
    """Unquoted MACs (base 60 in YAML 1.1), serial 00123 and hostname NO keep their text."""
    contract = load_contract(CONTRACTS / "small-office.yaml")
    by_id = {item.id: item for item in contract.equipment}
    assert by_id["BR-NAS-01"].hostname == "NO"
    assert by_id["BR-NAS-01"].serial == "00123"
    assert by_id["BR-NAS-01"].mac == ["00:1c:c0:ff:ee:01"]  # Cisco dotted notation
    assert by_id["BR-FW-01"].mac == ["00:1d:aa:12:34:56"]  # dashes, upper case, not a list
    assert by_id["BR-AP-01"].mac == ["10:22:33:44:55:11"]  # unquoted: would be base 60
    match = {p.id: p.match for p in contract.scope.policies}
    assert match["vmware"].mac_prefix == "00:0c:29"
    assert match["printers"].hostname == "NPI*"
    assert match["isp"].cidr == IPv4Network("192.168.10.1/32")
    assert contract.scope.policies[0].limit == 10
    assert contract.scope.presence is not None
    assert contract.scope.presence["computer"].runs == 3
    assert contract.contract.billing is not None
    assert contract.contract.billing.unit_prices == {
        Category.COMPUTER: Decimal("45.50"),
        Category.PRINTER: Decimal("12"),
        Category.ROUTER: Decimal("30"),
        Category.ACCESS_POINT: Decimal("15.25"),
        Category.NAS: Decimal("40"),
    }


def test_allowed_networks_are_networks_minus_exclusions() -> None:
    contract = load_contract(CONTRACTS / "example.yaml")
    allowed = allowed_networks(contract)
    assert IPv4Network("10.20.0.240/28") not in allowed
    assert not any(IPv4Address("10.20.0.250") in n for n in allowed)
    assert any(IPv4Address("10.20.0.239") in n for n in allowed)
    assert sum(n.num_addresses for n in allowed) == 3 * 256 - 16


def test_sha256_is_of_the_bytes_read() -> None:
    loaded = read_contract(CONTRACTS / "demo.yaml")
    assert loaded.sha256 == contract_sha256(CONTRACTS / "demo.yaml")
    assert len(loaded.sha256) == 64


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "contract.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = "format: 1\ncontract:\n  reference: T-1\nscope:\n  networks:\n    - {cidr: 10.0.0.0/24, site: HQ}\n"


def test_every_problem_reported_at_once_in_file_order(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        BASE
        + "equipment:\n"
        + "  - {id: A, category: computer, ip: 10.0.0.999}\n"
        + "  - {id: B, category: tablet, mac: nope, colour: red}\n"
        + "  - {id: A, category: fridge}\n",
    )
    with pytest.raises(ValidationFailed) as caught:
        load_contract(path, "en")
    found = [(p.line, p.column, p.path) for p in caught.value.problems]
    assert found == [
        (8, 37, "equipment[0].ip"),
        (9, 36, "equipment[1].mac"),
        (9, 42, "equipment[1].colour"),
        (10, 10, "equipment[2].id"),
        (10, 23, "equipment[2].category"),
    ]
    assert caught.value.exit_code is ExitCode.BAD_INPUT
    lines = caught.value.lines()
    assert len(lines) == 5
    assert all(line.startswith(f"{path}:") for line in lines)


def test_messages_follow_the_contract_language(tmp_path: Path) -> None:
    path = _write(tmp_path, "language: fr\n" + BASE + "equipement: []\n")
    with pytest.raises(ValidationFailed) as caught:
        load_contract(path)
    text = "\n".join(caught.value.lines())
    assert "vouliez-vous dire « equipment » ?" in text
    assert "clé obligatoire absente" in text
    with pytest.raises(ValidationFailed) as caught:
        load_contract(path, Language.EN)
    assert "did you mean 'equipment'?" in "\n".join(caught.value.lines())


def test_equipment_may_be_empty_or_blank(tmp_path: Path) -> None:
    assert load_contract(_write(tmp_path, BASE + "equipment:\n")).equipment == []


def test_strings_from_the_file_are_kept_raw(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        BASE + 'equipment:\n  - {id: "X\\e[31m[bold]", category: iot, hostname: "a\\tb"}\n',
    )
    item = load_contract(path).equipment[0]
    assert item.id == "X\x1b[31m[bold]"
    assert item.hostname == "a\tb"


def test_format_path() -> None:
    assert format_path(("equipment", 2, "mac", 0)) == "equipment[2].mac[0]"
    assert format_path(("contract", "billing", "base_fee")) == "contract.billing.base_fee"


def test_catalogs_are_complete_in_both_languages() -> None:
    for catalog in (ERRORS, CLAUSES, WARNINGS, LABELS, CATEGORIES, CLI):
        for code, texts in catalog.items():
            assert set(texts) == set(Language), code
    assert set(FileProblem) <= set(ERRORS)
    assert set(_CUSTOM) <= set(ERRORS)
    assert set(_TYPE_CODES.values()) <= set(ERRORS)
    assert set(CHECKLIST) == set(CLAUSES)
    assert set(Category) == set(CATEGORIES)
    # every member of the contract's closed sets has its label
    assert {f"renewal.{r.value}" for r in Renewal} <= set(LABELS)
    assert {f"period.{p.value}" for p in Period} <= set(LABELS)
    assert {f"treatment.{t.value}" for t in Treatment} <= set(LABELS)
    assert {c.value for c in Criticality} <= set(LABELS)
    assert {f"service_levels.intervention_delay.{c.value}" for c in Criticality} <= set(CLAUSES)

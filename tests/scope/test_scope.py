"""The scope guard: allowed networks, exclusions, private/public and size rules, print ports,
the probe plan."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from types import SimpleNamespace

import pytest

from scopeaudit.errors import ExitCode, ScopeRefused
from scopeaudit.scope import (
    LARGE_LIMIT,
    PRINT_PORTS,
    PlanStep,
    Scope,
    build_plan,
    check_payload_port,
    is_private,
    parse_exclusion,
    payload_allowed,
    without_print_ports,
)
from scopeaudit.taxonomy import Language, Source

EN = Language.EN
FR = Language.FR


def test_print_ports_are_exactly_the_documented_set() -> None:
    assert set(range(9100, 9108)) | {515, 631} == PRINT_PORTS
    assert not payload_allowed(9100)
    assert payload_allowed(9108)
    assert payload_allowed(80)
    assert without_print_ports([22, 515, 80, 631, 9107, 9108]) == [22, 80, 9108]
    assert check_payload_port(443) == 443
    with pytest.raises(ScopeRefused, match="9103"):
        check_payload_port(9103, EN)


@pytest.mark.parametrize(
    ("cidr", "private"),
    [
        ("10.1.0.0/16", True),
        ("172.16.0.0/12", True),
        ("172.32.0.0/24", False),
        ("192.168.1.0/24", True),
        ("100.64.0.0/10", True),
        ("100.128.0.0/24", False),
        ("169.254.0.0/16", True),
        ("203.0.113.0/24", False),
        ("8.8.8.8/32", False),
        ("10.0.0.0/7", False),  # reaches beyond 10/8
    ],
)
def test_private_ranges(cidr: str, private: bool) -> None:
    assert is_private(IPv4Network(cidr)) is private


def test_network_minus_exclusions() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"], ["10.77.0.240/28"])
    targets = list(scope.targets())
    assert targets[0] == IPv4Address("10.77.0.1")
    assert IPv4Address("10.77.0.0") not in targets  # network address
    assert IPv4Address("10.77.0.255") not in targets  # broadcast
    assert IPv4Address("10.77.0.239") in targets
    assert not any(IPv4Address("10.77.0.240") <= t <= IPv4Address("10.77.0.255") for t in targets)
    assert len(targets) == 254 - 15  # 240..254 removed
    assert scope.target_count() == len(targets)
    assert scope.allows("10.77.0.30")
    assert not scope.allows("10.77.0.245")
    assert not scope.allows("10.77.1.1")
    assert not scope.allows("not an ip")


def test_refusals_say_why_and_what_to_do() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"], ["10.77.0.240/28"])
    with pytest.raises(ScopeRefused, match=r"excluded range 10\.77\.0\.240/28"):
        scope.check("10.77.0.241", EN)
    with pytest.raises(ScopeRefused, match="hors du périmètre"):
        scope.check("192.168.9.9", FR)
    with pytest.raises(ScopeRefused, match="not an IPv4"):
        scope.check("fe80::1", EN)
    assert scope.check("10.77.0.5") == IPv4Address("10.77.0.5")


def test_public_needs_allow_public() -> None:
    with pytest.raises(ScopeRefused, match="--allow-public") as caught:
        Scope.from_cidrs(["10.0.0.0/24", "203.0.113.0/24"], lang=EN)
    assert caught.value.exit_code == ExitCode.USAGE
    scope = Scope.from_cidrs(["203.0.113.0/24"], allow_public=True)
    assert scope.allows("203.0.113.9")


def test_large_needs_allow_large() -> None:
    # exactly 65,536 addresses is allowed; one more network is not
    assert Scope.from_cidrs(["10.1.0.0/16"]).address_count() == LARGE_LIMIT
    with pytest.raises(ScopeRefused, match="--allow-large") as caught:
        Scope.from_cidrs(["10.1.0.0/16", "10.2.0.0/30"], lang=EN)
    assert "65540" in str(caught.value)
    with pytest.raises(ScopeRefused, match="--allow-large"):
        Scope.from_cidrs(["10.0.0.0/8"], lang=EN)
    assert Scope.from_cidrs(["10.0.0.0/8"], allow_large=True).address_count() == 2**24
    # exclusions count: a /15 minus half of it fits
    assert Scope.from_cidrs(["10.0.0.0/15"], ["10.1.0.0/16"]).address_count() == LARGE_LIMIT
    # overlapping networks are counted once
    assert Scope.from_cidrs(["10.1.0.0/16", "10.1.2.0/24"]).address_count() == LARGE_LIMIT


def test_bad_input_is_refused_in_one_line() -> None:
    for bad in ["10.0.0.0/33", "banana", "2001:db8::/64", ""]:
        with pytest.raises(ScopeRefused) as caught:
            Scope.from_cidrs([bad], lang=EN)
        assert "\n" not in str(caught.value)
    with pytest.raises(ScopeRefused, match="--network"):
        Scope.from_cidrs([], lang=EN)


def test_exclusion_forms() -> None:
    assert parse_exclusion("10.0.0.5") == [IPv4Network("10.0.0.5/32")]
    assert parse_exclusion("10.0.0.4-10.0.0.7") == [IPv4Network("10.0.0.4/30")]
    scope = Scope.from_cidrs(["10.0.0.0/24"], ["10.0.0.10-10.0.0.12", "10.0.0.20"])
    assert [str(a) for a in scope.targets() if 9 <= int(a.packed[3]) <= 21] == [
        "10.0.0.9",
        "10.0.0.13",
        *(f"10.0.0.{i}" for i in range(14, 20)),
        "10.0.0.21",
    ]
    with pytest.raises(ScopeRefused):
        parse_exclusion("10.0.0.9-10.0.0.1")


def _contract(networks: list[tuple[str, str]], exclude: list[str]) -> SimpleNamespace:
    return SimpleNamespace(
        contract=SimpleNamespace(reference="CTR-1"),
        scope=SimpleNamespace(
            networks=[SimpleNamespace(cidr=c, site=s) for c, s in networks],
            exclude=[SimpleNamespace(cidr=e) for e in exclude],
        ),
    )


def test_from_contract_and_narrowing() -> None:
    contract = _contract([("10.20.0.0/24", "LYON"), ("10.30.0.0/24", "AGENCE")], ["10.20.0.240/28"])
    scope = Scope.from_contract(contract)
    assert scope.contract_reference == "CTR-1"
    assert scope.allows("10.30.0.9")
    assert not scope.allows("10.20.0.250")
    net = scope.network_of("10.30.0.9")
    assert net is not None and net.site == "AGENCE"
    summary = scope.summary()
    assert summary.networks == ["10.20.0.0/24", "10.30.0.0/24"]
    assert summary.exclude == ["10.20.0.240/28"]
    narrow = Scope.from_contract(contract, networks=["10.20.0.0/25"])
    assert narrow.allows("10.20.0.100")
    assert not narrow.allows("10.20.0.200")
    assert not narrow.allows("10.30.0.9")
    with pytest.raises(ScopeRefused, match="not inside the contract"):
        Scope.from_contract(contract, networks=["10.40.0.0/24"], lang=EN)
    public = _contract([("203.0.113.0/24", "X")], [])
    with pytest.raises(ScopeRefused, match="--allow-public"):
        Scope.from_contract(public, lang=EN)


def test_probe_plan_names_every_step_in_both_languages() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24"], ["10.77.0.240/28"])
    plan = build_plan(
        scope,
        list(Source),
        arp_networks=[IPv4Network("10.77.0.0/24")],
        rate=2000,
        deep=True,
        import_count=2,
    )
    steps = [item.step for item in plan.items]
    assert steps == [
        PlanStep.HOST_READ,
        PlanStep.ARP_SWEEP,
        PlanStep.NMAP_DISCOVERY,
        PlanStep.NMAP_PORTS,
        PlanStep.NMAP_DEEP,
        PlanStep.PASSIVE_LISTEN,
        PlanStep.NAME_QUERIES,
        PlanStep.SNMP_SYSTEM,
        PlanStep.SNMP_TABLES,
        PlanStep.IMPORT_FILES,
    ]
    arp = plan.items[1]
    assert arp.params["count"] == 239
    assert arp.params["frames"] == 478
    nmap = plan.items[2]
    assert nmap.params["where"] == "10.77.20.0/24"
    assert {item.source for item in plan.items} == set(Source)
    en = plan.lines(EN)
    fr = plan.lines(FR)
    assert "nothing is sent" in en[0] and "10.77.0.240/28" in en[0]
    assert "rien n'est envoyé" in fr[0]
    assert len(en) == len(fr) == 11
    assert all("{" not in line for line in en + fr)
    assert all(a != b for a, b in zip(en[1:], fr[1:], strict=True))


def test_every_plan_step_has_both_languages() -> None:
    from scopeaudit.scope import _PLAN_TEXT, _STEP_SOURCE

    assert set(_STEP_SOURCE) == set(PlanStep)
    for step in PlanStep:
        assert set(_PLAN_TEXT[step]) == set(Language)


def test_from_a_real_contract_file(fixtures_dir: Path) -> None:
    from scopeaudit.contract import load_contract

    contract = load_contract(fixtures_dir / "contracts" / "demo.yaml")
    scope = Scope.from_contract(contract)
    declared = [str(n.cidr) for n in contract.scope.networks]
    excluded = [n.cidr for n in contract.scope.exclude]
    assert declared and excluded
    assert scope.summary().networks == declared
    assert scope.summary().exclude == [str(e) for e in excluded]
    assert scope.contract_reference == contract.reference
    assert not scope.allows(excluded[0].network_address + 1)
    for network in contract.scope.networks:
        inside = network.cidr.network_address + 5
        assert scope.allows(inside) or any(inside in e for e in excluded)
        found = scope.network_of(inside)
        assert found is not None and found.site == network.site


@pytest.mark.parametrize(
    ("networks", "exclude", "within"),
    [
        (["10.77.0.0/24"], ["10.77.0.240/28"], None),
        (["10.77.0.0/24", "10.77.0.128/25"], ["10.77.0.0/30"], None),
        (["10.1.0.0/16"], ["10.1.0.255", "10.1.255.0/24"], "10.1.0.0/23"),
        (["192.168.1.8/30", "192.168.1.12/31", "192.168.1.20/32"], [], None),
    ],
)
def test_target_count_matches_the_listed_targets(
    networks: list[str], exclude: list[str], within: str | None
) -> None:
    scope = Scope.from_cidrs(networks, exclude)
    net = IPv4Network(within) if within else None
    assert scope.target_count(net) == len(list(scope.targets(net)))


def test_target_count_of_a_large_scope_is_arithmetic() -> None:
    scope = Scope.from_cidrs(["10.0.0.0/8"], ["10.5.0.0/16"], allow_large=True)
    assert scope.target_count() == 2**24 - 2**16 - 2


def test_probe_plan_says_which_snmp_tables_would_be_walked() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"], [])
    listed = build_plan(scope, [Source.SNMP], snmp_devices=["10.77.0.9"], snmp_rows=500)
    assert [i.step for i in listed.items] == [PlanStep.SNMP_SYSTEM, PlanStep.SNMP_TABLES]
    (line,) = [text for text in listed.lines(EN) if "GETBULK" in text]
    assert "+ 10.77.0.9" in line and "500 rows" in line
    system_only = build_plan(scope, [Source.SNMP], snmp_tables=False)
    assert [i.step for i in system_only.items] == [PlanStep.SNMP_SYSTEM]

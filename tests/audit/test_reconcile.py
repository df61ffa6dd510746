"""Reconciliation rules on hand-made devices and real contract files (pure, no network)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from scopeaudit.audit_models import Coverage
from scopeaudit.contract import load_contract
from scopeaudit.decisions import DecisionsFile
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.reconcile import Presence, compute_coverage, reconcile
from scopeaudit.taxonomy import Category, Language, Role, Source, Status

from .helpers import DEMO, demo_devices, dev, full_coverage, simple

C = Category


def by_item(result: object) -> dict[str, object]:
    return {f.equipment_id: f for f in result.findings if f.equipment_id}  # type: ignore[attr-defined]


def test_demo_planted_findings_and_fee_delta() -> None:
    contract = load_contract(DEMO, lang="en")
    result = reconcile(contract, demo_devices(), coverage=full_coverage(contract))
    items = by_item(result)
    statuses = {k: v.status for k, v in items.items()}
    assert statuses.pop("HQ-NAS-01") is Status.MISMATCH
    assert statuses.pop("HQ-PC-03") is Status.MISSING
    assert set(statuses.values()) == {Status.MATCHED}
    assert len(statuses) == 16
    assert items["HQ-PC-03"].provisional is True
    assert items["HQ-PC-03"].fee_delta == 0
    assert items["HQ-NAS-01"].observed_category is C.NAS
    assert items["HQ-NAS-01"].fee_delta == Decimal("-85")
    assert items["HQ-TAB-01"].device_id == "ipad01"
    assert items["HQ-SRV-01"].device_id == "srv01"
    assert "bmc" in [d.code for d in items["HQ-SRV-01"].details]
    unexpected = {f.device_id: f for f in result.findings if f.status is Status.UNEXPECTED}
    assert set(unexpected) == {"prn02", "cam01"}
    assert unexpected["prn02"].fee_delta == 10 and unexpected["cam01"].fee_delta == 9
    tolerated = [f for f in result.findings if f.status is Status.TOLERATED]
    assert [(f.device_id, f.policy) for f in tolerated] == [("iph01", "phones")]
    s = result.summary
    assert s.fee_delta_total == Decimal("-66.00")
    assert s.fee_delta_total_incl_vat == Decimal("-79.20")
    assert s.currency == "EUR" and s.period == "monthly"
    assert s.drift is True
    assert s.by_status[Status.MATCHED] == 16 and s.by_status[Status.UNEXPECTED] == 2
    assert s.coverage_rate == round(17 / 18, 4)
    assert s.by_site["HQ"].fee_delta == Decimal("-66")
    assert s.by_category[C.PRINTER].declared == 1 and s.by_category[C.PRINTER].found == 2
    # 450 + the declared items' prices (DESIGN: the amendment's new periodic fee).
    assert s.new_fee is not None and s.new_fee == s.new_fee_incl_vat / Decimal("1.2")


def test_money_written_half_up_to_the_cent(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        "  []",
        scope="",
    ).model_copy()
    contract.contract.billing.unit_prices[C.PRINTER] = Decimal("10.005")  # type: ignore[index,union-attr]
    result = reconcile(
        contract, [dev("p", C.PRINTER, ["00:11:22:33:44:55"], ["10.0.0.9"])], coverage=[]
    )
    assert result.findings[0].fee_delta == Decimal("10.005")
    assert result.summary.fee_delta_total == Decimal("10.01")
    assert '"fee_delta":10.01' in result.findings[0].model_dump_json()


def test_serial_beats_mac(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: server, serial: SN1}
  - {id: B, category: server, mac: [00:11:22:33:44:55]}
""",
    )
    devices = [dev("d1", C.SERVER, ["00:11:22:33:44:55"], ["10.0.0.5"])]
    obs = [
        Observation(
            source=Source.NAMES,
            kind=ObservationKind.SSDP,
            time=datetime(2026, 1, 1, tzinfo=UTC),
            vantage="t",
            mac="00:11:22:33:44:55",
            ip="10.0.0.5",
            data={"description": {"serialNumber": "SN1"}},
        )
    ]
    devices[0].evidence = [0]
    result = reconcile(contract, devices, coverage=full_coverage(contract), observations=obs)
    items = by_item(result)
    assert items["A"].status is Status.MATCHED and items["A"].device_id == "d1"
    assert items["B"].status is Status.MISSING


def test_hostname_case_domain_and_local(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: computer, hostname: PC-ONE}
  - {id: B, category: computer, hostname: pc-two.corp.example}
  - {id: C, category: computer, hostname: pc-three.local}
""",
    )
    devices = [
        dev("d1", C.COMPUTER, ["00:11:22:33:44:01"], ["10.0.0.1"], ["pc-one.corp.example"]),
        dev("d2", C.COMPUTER, ["00:11:22:33:44:02"], ["10.0.0.2"], ["PC-TWO"]),
        dev("d3", C.COMPUTER, ["00:11:22:33:44:03"], ["10.0.0.3"], ["Pc-Three"]),
    ]
    items = by_item(reconcile(contract, devices, coverage=full_coverage(contract)))
    assert {k: (v.status, v.device_id) for k, v in items.items()} == {
        "A": (Status.MATCHED, "d1"),
        "B": (Status.MATCHED, "d2"),
        "C": (Status.MATCHED, "d3"),
    }


def test_ip_only_match_and_changes_are_details(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: printer, ip: 10.0.0.30}
  - {id: B, category: computer, mac: [00:11:22:33:44:02], ip: 10.0.0.40, hostname: OLD}
""",
    )
    devices = [
        dev("d1", C.PRINTER, ["00:11:22:33:44:01"], ["10.0.0.30"]),
        dev("d2", C.COMPUTER, ["00:11:22:33:44:02"], ["10.0.0.41"], ["NEW"]),
    ]
    items = by_item(reconcile(contract, devices, coverage=full_coverage(contract)))
    assert items["A"].status is Status.MATCHED
    assert items["B"].status is Status.MATCHED
    codes = {d.code: d.params for d in items["B"].details}
    assert codes["ip_changed"] == {"declared": "10.0.0.40", "observed": "10.0.0.41"}
    assert codes["hostname_changed"] == {"declared": "OLD", "observed": "NEW"}
    assert codes["matched_by"] == {"identifier": "mac", "value": "00:11:22:33:44:02"}


def test_weak_identifier_never_pairs_contradicting_hardware(tmp_path: Path) -> None:
    contract = simple(
        tmp_path, "  - {id: A, category: computer, mac: [00:11:22:33:44:01], ip: 10.0.0.5}\n"
    )
    devices = [dev("other", C.COMPUTER, ["00:aa:bb:cc:dd:ee"], ["10.0.0.5"])]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    assert by_item(result)["A"].status is Status.MISSING
    assert [f.status for f in result.findings if f.device_id == "other"] == [Status.UNEXPECTED]


def test_multi_nic_item_seen_as_two_devices_is_one_match(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        "  - {id: S, category: server, mac: [00:11:22:33:44:01, 00:11:22:33:44:02]}\n",
    )
    devices = [
        dev("n1", C.SERVER, ["00:11:22:33:44:01"], ["10.0.0.1"]),
        dev("n2", C.SERVER, ["00:11:22:33:44:02"], ["10.0.0.2"]),
    ]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    assert [f.status for f in result.findings] == [Status.MATCHED]
    assert [d.params for d in result.findings[0].details if d.code == "extra_nic"] == [
        {"device_id": "n2"}
    ]


def test_ambiguous_item_fits_several_devices(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  - {id: A, category: computer, hostname: pc}\n")
    devices = [
        dev("d1", C.COMPUTER, ["00:11:22:33:44:01"], ["10.0.0.1"], ["PC"]),
        dev("d2", C.COMPUTER, ["00:11:22:33:44:02"], ["10.0.0.2"], ["pc.local"]),
    ]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    assert [f.status for f in result.findings] == [Status.AMBIGUOUS]
    f = result.findings[0]
    assert f.equipment_id is None and f.device_id is None and f.category is C.COMPUTER
    assert {(c.equipment_id, c.device_id) for c in f.candidates} == {("A", "d1"), ("A", "d2")}
    assert f.fee_delta == 0 and result.summary.drift is True


def test_ambiguous_device_fits_several_items(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: computer, ip: 10.0.0.7}
  - {id: B, category: computer, hostname: shared}
  - {id: C, category: computer, hostname: SHARED}
""",
    )
    devices = [dev("d1", C.COMPUTER, ["00:11:22:33:44:01"], ["10.0.0.7"], ["shared"])]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    amb = [f for f in result.findings if f.status is Status.AMBIGUOUS]
    assert len(amb) == 1
    assert {c.equipment_id for c in amb[0].candidates} == {"B", "C"}
    # The device is taken by the ambiguity: item A (weaker, IP) is missing, not matched.
    assert by_item(result)["A"].status is Status.MISSING


def test_site_and_category_mismatch_unpriced(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: computer, mac: [00:11:22:33:44:01], site: HQ}
  - {id: B, category: computer, mac: [00:11:22:33:44:02]}
""",
    )
    devices = [
        dev("d1", C.COMPUTER, ["00:11:22:33:44:01"], ["10.0.1.9"]),
        dev("d2", C.CAMERA, ["00:11:22:33:44:02"], ["10.0.0.9"]),
    ]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    items = by_item(result)
    assert items["A"].status is Status.MISMATCH
    assert [d.params for d in items["A"].details if d.code == "site_differs"] == [
        {"declared": "HQ", "observed": "BR"}
    ]
    assert items["A"].fee_delta == 0
    assert items["B"].status is Status.MISMATCH and items["B"].fee_delta is None
    assert result.summary.unpriced == [C.COMPUTER]
    assert result.summary.fee_delta_total == 0


def test_unknown_category_is_not_a_mismatch(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  - {id: A, category: printer, mac: [00:11:22:33:44:01]}\n")
    devices = [dev("d1", C.UNKNOWN, ["00:11:22:33:44:01"], ["10.0.0.9"])]
    f = by_item(reconcile(contract, devices, coverage=full_coverage(contract)))["A"]
    assert f.status is Status.MATCHED
    assert "category_unconfirmed" in [d.code for d in f.details]


POLICIES = """\
  policies:
    - {id: guests, match: {randomized_mac: true}, treatment: tolerated}
    - {id: iot, match: {vendor: hikvision}, treatment: out_of_scope}
    - {id: pcs, match: {category: computer, hostname: "PC-*"}, treatment: covered, limit: 2}
    - {id: later, match: {randomized_mac: true}, treatment: covered}
"""


def test_policies_first_match_wins_and_limit(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  []", scope=POLICIES)
    devices = [
        dev("phone", C.PHONE, ["2a:00:00:00:00:01"], ["10.0.0.2"], randomized_mac=True),
        dev("cam", C.CAMERA, ["c0:56:e3:00:00:01"], ["10.0.0.3"], vendor="Hikvision"),
        dev("p1", C.COMPUTER, ["00:11:22:33:44:01"], ["10.0.0.11"], ["pc-1"]),
        dev("p2", C.COMPUTER, ["00:11:22:33:44:02"], ["10.0.0.12"], ["PC-2"]),
        dev("p3", C.COMPUTER, ["00:11:22:33:44:03"], ["10.0.0.13"], ["pc-3"]),
        dev("x", C.COMPUTER, ["00:11:22:33:44:04"], ["10.0.0.14"], ["laptop"]),
    ]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    got = {f.device_id: (f.status, f.equipment_id, f.fee_delta) for f in result.findings}
    assert got == {
        "phone": (Status.TOLERATED, None, 0),
        "p1": (Status.MATCHED, "policy:pcs", 0),
        "p2": (Status.MATCHED, "policy:pcs", 0),
        "p3": (Status.UNEXPECTED, None, 30),
        "x": (Status.UNEXPECTED, None, 30),
    }
    assert result.summary.out_of_scope == 1
    assert {d.id: d.policy for d in result.devices}["cam"] == "iot"
    assert result.summary.coverage_rate is None  # nothing declared


def test_decisions_ignore_accept_pending(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  []")
    decisions = DecisionsFile.model_validate(
        {
            "decisions": [
                {
                    "device": "a",
                    "action": "ignore",
                    "reason": "r",
                    "author": "t",
                    "date": "2026-01-01",
                },
                {
                    "device": "b",
                    "action": "accept",
                    "reason": "r",
                    "author": "t",
                    "date": "2026-01-01",
                },
                {
                    "device": "c",
                    "action": "pending_amendment",
                    "reason": "r",
                    "author": "t",
                    "date": "2026-01-01",
                },
                {
                    "device": "d",
                    "action": "accept",
                    "reason": "old",
                    "author": "t",
                    "date": "2025-01-01",
                    "expires": "2025-06-01",
                },
            ]
        }
    )
    devices = [
        dev(x, C.PRINTER, [f"00:11:22:33:44:0{i}"], [f"10.0.0.{i}"]) for i, x in enumerate("abcd")
    ]
    result = reconcile(
        contract,
        devices,
        coverage=full_coverage(contract),
        decisions=decisions,
        today=date(2026, 2, 1),
    )
    got = {f.device_id: (f.status, f.pending_amendment, f.fee_delta) for f in result.findings}
    assert got == {
        "b": (Status.TOLERATED, False, 0),
        "c": (Status.UNEXPECTED, True, 10),
        "d": (Status.UNEXPECTED, False, 10),
    }
    assert result.summary.ignored == 1
    assert result.summary.drift is True  # only d (expired decision) is drift
    result2 = reconcile(
        contract,
        devices[:3],
        coverage=full_coverage(contract),
        decisions=decisions,
        today=date(2026, 2, 1),
    )
    assert result2.summary.drift is False


def test_not_verifiable_unreached_network_and_excluded_range(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        """\
  - {id: A, category: printer, ip: 10.0.1.5}
  - {id: B, category: printer, ip: 10.0.0.230}
  - {id: C, category: printer, ip: 10.0.0.5}
""",
    )
    coverage = [
        Coverage(cidr="10.0.0.0/24", site="HQ", methods=[Source.ARP], verifiable=True),
        Coverage(cidr="10.0.1.0/24", site="BR", methods=[], verifiable=False),
    ]
    result = reconcile(contract, [], coverage=coverage, rechecked={"C": "ARP 10.0.0.5"})
    items = by_item(result)
    assert items["A"].status is Status.NOT_VERIFIABLE
    assert items["B"].status is Status.NOT_VERIFIABLE
    assert items["B"].details[0].code == "excluded_range"
    assert items["C"].status is Status.MISSING and items["C"].fee_delta == -10
    assert [d.params for d in items["C"].details if d.code == "recheck"] == [
        {"what": "ARP 10.0.0.5"}
    ]
    assert result.summary.coverage_rate == 0.0  # 0 / (3 - 2)
    assert result.summary.fee_delta_total == -10


@pytest.mark.parametrize(
    ("category", "runs", "days", "provisional"),
    [
        ("printer", 1, 0, False),
        ("computer", 1, 0, True),
        ("computer", 2, 13, True),
        ("computer", 3, 0, False),
        ("computer", 1, 14, False),
        ("tablet", 4, 29, True),
        ("tablet", 5, 0, False),
        ("tablet", 1, 30, False),
    ],
)
def test_provisional_thresholds(
    tmp_path: Path, category: str, runs: int, days: float, provisional: bool
) -> None:
    contract = simple(tmp_path, f"  - {{id: A, category: {category}, ip: 10.0.0.5}}\n")
    result = reconcile(
        contract, [], coverage=full_coverage(contract), presence={"A": Presence(runs, days)}
    )
    f = result.findings[0]
    assert f.status is Status.MISSING and f.provisional is provisional
    assert (f.fee_delta == 0) is provisional
    assert result.summary.drift is not provisional


def test_presence_override(tmp_path: Path) -> None:
    contract = simple(
        tmp_path,
        "  - {id: A, category: printer, ip: 10.0.0.5}\n",
        scope="  presence:\n    default: {runs: 2}\n",
    )
    first = reconcile(contract, [], coverage=full_coverage(contract))
    assert first.findings[0].provisional is True
    second = reconcile(
        contract, [], coverage=full_coverage(contract), presence={"A": Presence(runs=2)}
    )
    assert second.findings[0].provisional is False


def test_missing_critical_names_intervention_delay(tmp_path: Path) -> None:
    contract = simple(
        tmp_path, "  - {id: A, category: server, ip: 10.0.0.5, criticality: critical}\n"
    )
    f = reconcile(contract, [], coverage=full_coverage(contract), lang=Language.FR).findings[0]
    assert f.intervention_delay == "4h"
    delay = next(d for d in f.details if d.code == "intervention_delay")
    assert delay.params == {"criticality": "critical", "delay": "4h"}
    assert "4h" in delay.text and "délai" in delay.text
    assert f.fee_delta == -140


def test_bmc_never_unexpected_nor_matched_alone(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  []")
    devices = [
        dev(
            "bmc",
            C.SERVER,
            ["d0:94:66:00:00:01"],
            ["10.0.0.41"],
            role=Role.BMC,
            parent_id="srv",
        )
    ]
    result = reconcile(contract, devices, coverage=full_coverage(contract))
    assert result.findings == []
    assert result.summary.drift is False


def test_coverage_from_observations(tmp_path: Path) -> None:
    contract = simple(tmp_path, "  []")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    obs = [
        Observation(
            source=Source.HOST,
            kind=ObservationKind.INTERFACE,
            time=t,
            vantage="eth0",
            ip="10.0.0.200",
            data={"name": "eth0", "cidr": "10.0.0.200/24"},
        ),
        Observation(
            source=Source.NMAP,
            kind=ObservationKind.ADDRESS,
            time=t,
            vantage="eth0",
            ip="10.0.1.50",
        ),
    ]
    coverage = compute_coverage(contract, obs, ran=[Source.ARP, Source.NMAP, Source.HOST])
    assert [(c.cidr, c.methods, c.verifiable) for c in coverage] == [
        ("10.0.0.0/24", [Source.ARP], True),
        ("10.0.1.0/24", [Source.NMAP], True),
    ]
    none = compute_coverage(contract, obs[:1], ran=[Source.NMAP])
    assert [c.verifiable for c in none] == [False, False]


def test_every_detail_code_in_both_languages() -> None:
    from scopeaudit.reconcile import DETAILS

    for code, texts in DETAILS.items():
        assert set(texts) == set(Language), code


@pytest.mark.parametrize(
    "text",
    ["10.0.0.1", "255.255.255.255", "0.0.0.0", "1.2.3", "1.2.3.256", "01.2.3.4", "a.b.c.d",
     "1.2.3.4 ", "", "\u0661.2.3.4", "00.1.1.1", "1.2.3.4.5"],
)  # fmt: skip
def test_fast_ip_parse_agrees_with_ipaddress(text: str) -> None:
    from ipaddress import IPv4Address

    from scopeaudit.reconcile import _ip_int

    try:
        expected: int | None = int(IPv4Address(text))
    except ValueError:
        expected = None
    assert _ip_int(text) == expected

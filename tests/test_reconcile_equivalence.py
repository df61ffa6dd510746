"""reconcile() on a mixed site of a few thousand items gives exactly the committed golden JSON.

The golden (tests/data/reconcile_equivalence.json) was written by the code as it was before the
DESIGN §9 speed work (100,000 against 100,000 under 2 s), so any optimisation that changes one
byte of a finding, a detail text, the summary or a device fails here. Every status and every
detail kind appears: matches by serial, MAC, host name and IP with IP and host name changes,
multi-NIC items, BMCs, category and site mismatches (priced and not), unconfirmed categories,
ambiguities both ways, missing items provisional or not (history, presence override, re-check,
intervention delay), not verifiable ones (excluded range, unreached network), policies (first
match wins, limit honoured, out of scope), decisions (accept, ignore, pending, expired, pin),
in English and in French.

Regenerate (only when an output change is intended, never to make an optimisation pass):
    PYTHONPATH=src .venv/bin/python tests/test_reconcile_equivalence.py
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from scopeaudit.audit_models import Coverage
from scopeaudit.contract import Contract
from scopeaudit.decisions import DecisionsFile
from scopeaudit.models import Device, Observation, ObservationKind
from scopeaudit.reconcile import Presence, reconcile
from scopeaudit.taxonomy import Category, Language, Role, Source

GOLDEN = Path(__file__).parent / "data" / "reconcile_equivalence.json"
ITEMS = 2000  # declared items (plus one twin per ambiguous_items case)
EXTRA = 400  # undeclared devices
TODAY = date(2026, 2, 1)
C = Category


def _mac(prefix: int, i: int) -> str:
    return f"00:16:{prefix:02x}:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"


def _ip(net: int, i: int) -> str:
    return str(IPv4Address(f"10.{net}.0.0") + 1 + i)


def _contract(equipment: list[dict[str, Any]]) -> Contract:
    return Contract.model_validate(
        {
            "format": 1,
            "contract": {
                "reference": "EQ-1",
                "billing": {
                    "currency": "EUR",
                    "period": "monthly",
                    "base_fee": "100",
                    "vat_rate": "20",
                    # camera, phone and switch are deliberately unpriced; 10.005 tests rounding.
                    "unit_prices": {
                        "computer": "30",
                        "printer": "10.005",
                        "server": "140",
                        "nas": "55",
                        "tablet": "12",
                    },
                },
                "service_levels": {
                    "intervention_delay": {"critical": "4h", "high": "8h", "normal": "2d"}
                },
            },
            "scope": {
                "sites": [{"id": "HQ"}, {"id": "BR"}, {"id": "LAB"}],
                "networks": [
                    {"cidr": "10.0.0.0/16", "site": "HQ"},
                    {"cidr": "10.1.0.0/16", "site": "BR"},
                    {"cidr": "10.2.0.0/16", "site": "LAB"},
                ],
                "exclude": [{"cidr": "10.0.250.0/24"}],
                "policies": [
                    {"id": "guests", "match": {"randomized_mac": True}, "treatment": "tolerated"},
                    {"id": "iot", "match": {"vendor": "hikvision"}, "treatment": "out_of_scope"},
                    {
                        "id": "pcs",
                        "match": {"category": "computer", "hostname": "PC-*"},
                        "treatment": "covered",
                        "limit": 15,
                    },
                    {"id": "phones", "match": {"category": "phone"}, "treatment": "covered"},
                    {"id": "lab", "match": {"cidr": "10.2.0.0/16"}, "treatment": "tolerated"},
                    {"id": "oem", "match": {"mac_prefix": "00:16:ee"}, "treatment": "tolerated"},
                ],
                "presence": {"printer": {"days": 7}, "tablet": {"runs": 2}},
            },
            "equipment": equipment,
        }
    )


def site() -> dict[str, Any]:
    """The contract, devices, observations, decisions, presence and re-checks of the site."""
    equipment: list[dict[str, Any]] = []
    devices: list[Device] = []
    observations: list[Observation] = []
    presence: dict[str, Presence] = {}
    rechecked: dict[str, str] = {}
    kinds_of_0 = [C.COMPUTER, C.PRINTER, C.NAS, C.TABLET, C.SWITCH]
    for i in range(ITEMS):
        kind = i % 20
        ident = f"E{i}"
        mac, ip = _mac(0x3E, i), _ip(0, i)
        item: dict[str, Any] = {"id": ident, "category": "computer", "site": "HQ"}
        seen: dict[str, Any] = {"id": f"d{i}", "macs": [mac], "ips": [ip], "category": C.COMPUTER}
        if kind == 0:  # by MAC, same everything, various categories
            category = kinds_of_0[(i // 20) % len(kinds_of_0)]
            item.update(category=category.value, mac=[mac], name=f"Item {i}", vendor="Dell")
            seen.update(category=category, hostnames=[f"host-{i}"])
        elif kind == 1:  # by MAC, the IP changed
            item.update(mac=[mac], ip=_ip(0, i + 50_000))
        elif kind == 2:  # by MAC, the host name changed
            item.update(mac=[mac.upper()] if i % 40 == 2 else [mac], hostname=f"old-{i}")
            seen.update(hostnames=[f"new-{i}.corp.example", f"NEW-{i}"])
        elif kind == 3:  # by host name only (case, domain)
            item.pop("site")
            item.update(hostname=f"WS-{i}.corp.example")
            seen.update(hostnames=[f"ws-{i}"])
        elif kind == 4:  # by IP only
            item.update(category="printer", ip=ip, model="LaserJet")
            seen.update(category=C.PRINTER)
        elif kind == 5:  # by serial (SSDP), MAC declared too
            item.update(category="server", serial=f"SN{i:05d}", mac=[mac])
            seen.update(category=C.SERVER, evidence=[len(observations)])
            observations.append(
                Observation(
                    source=Source.NAMES,
                    kind=ObservationKind.SSDP,
                    time=datetime(2026, 1, 1, tzinfo=UTC),
                    vantage="t",
                    mac=mac,
                    ip=ip,
                    data={"description": {"serialNumber": f"SN{i:05d}"}},
                )
            )
        elif kind == 6:  # category mismatch, priced
            item.update(mac=[mac])
            seen.update(category=C.SERVER)
        elif kind == 7:  # category mismatch, unpriced
            item.update(mac=[mac], criticality="high")
            seen.update(category=C.CAMERA)
        elif kind == 8:  # category unconfirmed
            item.update(mac=[mac])
            seen.update(category=C.UNKNOWN)
        elif kind == 9:  # site mismatch (declared HQ, seen in BR)
            item.update(mac=[mac])
            seen.update(ips=[_ip(1, i)])
        elif kind == 10:  # missing computer: provisional or not depending on history
            item.update(ip=ip)
            presence[ident] = Presence(runs=1 + (i // 20) % 4, days=float((i // 20) % 16))
            seen = {}
        elif kind == 11:  # missing printer (presence override: days), re-checked
            item.update(category="printer", ip=ip, site=None if i % 40 == 11 else "HQ")
            presence[ident] = Presence(runs=(i // 20) % 3 + 1, days=float((i // 20) % 9))
            rechecked[ident] = f"ARP {ip}"
            seen = {}
        elif kind == 12:  # missing critical or high server, phone or tablet (unpriced / override)
            category = [C.SERVER, C.PHONE, C.TABLET][(i // 20) % 3]
            item.update(
                category=category.value,
                mac=[mac],
                criticality=["critical", "high", "normal"][(i // 60) % 3],
            )
            seen = {}
        elif kind == 13:  # not verifiable: excluded range
            item.update(ip=_ip(0, 250 * 256 + (i // 20) % 250))
            seen = {}
        elif kind == 14:  # not verifiable: unreached network (by site, or by IP)
            item.update(site="LAB")
            if i % 40 == 14:
                item.update(ip=_ip(2, i))
            seen = {}
        elif kind == 15:  # multi-NIC item seen as two devices
            second = _mac(0x3F, i)
            item.update(category="server", mac=[mac, second], ip=ip)
            seen.update(category=C.SERVER)
            devices.append(
                Device(id=f"d{i}n", macs=[second], ips=[_ip(0, i + 60_000)], category=C.SERVER)
            )
        elif kind == 16:  # server with its management controller
            item.update(category="server", mac=[mac])
            seen.update(category=C.SERVER)
            devices.append(
                Device(
                    id=f"d{i}bmc",
                    macs=[_mac(0x40, i)],
                    ips=[_ip(0, i + 70_000)],
                    category=C.SERVER,
                    role=Role.BMC,
                    parent_id=f"d{i}",
                )
            )
        elif kind == 17:  # ambiguous: the host name fits two devices
            item.update(hostname=f"twin-{i}")
            seen.update(hostnames=[f"TWIN-{i}"])
            devices.append(
                Device(
                    id=f"d{i}t",
                    macs=[_mac(0x41, i)],
                    ips=[_ip(0, i + 80_000)],
                    hostnames=[f"twin-{i}.local"],
                    category=C.COMPUTER if i % 40 == 17 else C.NAS,
                )
            )
        elif kind == 18:  # ambiguous: one device fits two items (and a weaker third by IP)
            item.update(hostname=f"dup-{i}")
            equipment.append(
                {
                    "id": f"E{i}b",
                    "category": "computer" if i % 40 == 18 else "nas",
                    "hostname": f"DUP-{i}",
                }
            )
            equipment.append({"id": f"E{i}c", "category": "computer", "ip": ip})
            seen.update(hostnames=[f"dup-{i}"])
        else:  # a weak identifier that contradicts the hardware: missing + unexpected
            item.update(mac=[mac], ip=ip)
            seen.update(macs=[_mac(0x42, i)], vendor="Acme")
        equipment.append(item)
        if seen:
            devices.append(Device(**seen))

    decisions: list[dict[str, Any]] = []
    for j in range(EXTRA):
        kind = j % 12
        ident = f"x{j}"
        mac, ip = _mac(0x50, j), _ip(0, 100_000 + j)
        seen = {"id": ident, "macs": [mac], "ips": [ip], "category": C.PRINTER}
        if kind == 0:
            seen.update(
                macs=[f"02:00:00:00:{j >> 8 & 255:02x}:{j & 255:02x}"],
                randomized_mac=True,
                category=C.PHONE,
            )
        elif kind == 1:
            seen.update(vendor="Hikvision Digital", category=C.CAMERA)
        elif kind == 2:
            seen.update(category=C.COMPUTER, hostnames=[f"pc-{j}"])
        elif kind == 3:
            seen.update(category=C.PHONE)
        elif kind == 4:
            seen.update(hostnames=[f"<b>prn-{j}</b>"], vendor='HP "quoted"')
        elif kind == 5:
            seen.update(category=C.CAMERA, ips=[_ip(1, 100_000 + j)])
        elif kind in (6, 7, 8, 9, 10):
            action = ["accept", "ignore", "pending_amendment", "accept", "pin"][kind - 6]
            entry: dict[str, Any] = {
                "device": ident if j % 24 < 12 else f"old-{ident}",
                "identifiers": {"macs": [mac]} if j % 24 >= 12 else {},
                "action": action,
                "reason": f"ticket #{j}",
                "author": "tech",
                "date": "2026-01-01",
            }
            if kind == 9:
                entry.update(date="2025-01-01", expires="2025-06-01")
            if kind == 10:
                entry.update(category="printer")
            decisions.append(entry)
        else:
            seen.update(ips=[_ip(2, j)], category=C.IOT, macs=[_mac(0xEE, j)])
        devices.append(Device(**seen))
    devices.append(
        Device(id="scanner", macs=["8c:8c:aa:00:00:c8"], ips=["10.0.0.250"], scanner=True)
    )
    devices.append(
        Device(id="orphan-bmc", macs=["d0:94:66:00:00:01"], ips=["10.0.9.9"], role=Role.BMC)
    )
    devices.append(Device(id="silent", macs=["00:16:99:00:00:01"], category=C.UNKNOWN))
    _edges(equipment, devices, observations)
    contract = _contract(equipment)
    coverage = [
        Coverage(cidr="10.0.0.0/16", site="HQ", methods=[Source.ARP], verifiable=True),
        Coverage(cidr="10.1.0.0/16", site="BR", methods=[Source.NMAP], verifiable=True),
        Coverage(cidr="10.2.0.0/16", site="LAB", methods=[], verifiable=False),
    ]
    return {
        "contract": contract,
        "devices": devices,
        "coverage": coverage,
        "observations": observations,
        "decisions": DecisionsFile.model_validate({"decisions": decisions}),
        "presence": presence,
        "rechecked": rechecked,
        "today": TODAY,
    }


def _dumps(result: Any) -> dict[str, Any]:
    return {
        "findings": [f.model_dump(mode="json") for f in result.findings],
        "summary": result.summary.model_dump(mode="json"),
        "devices": [d.model_dump(mode="json") for d in result.devices],
        # Which fields each finding had set: kept equal too (exclude_unset dumps).
        "fields_set": [sorted(f.model_fields_set) for f in result.findings],
    }


def _without_texts(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {**f, "details": [{k: v for k, v in d.items() if k != "text"} for d in f["details"]]}
        for f in findings
    ]


def _edges(
    equipment: list[dict[str, Any]], devices: list[Device], observations: list[Observation]
) -> None:
    """Rare shapes of the matching rules, a few of each."""
    for k in range(5):
        m = [f"00:16:77:{k:02x}:00:{n:02x}" for n in range(6)]
        ip = [f"10.0.77.{10 * k + n}" for n in range(6)]
        # An item with two MACs and another with one of them: the shared device is ambiguous,
        # the first item's other device stays free (unexpected).
        equipment.append({"id": f"G{k}a", "category": "server", "mac": [m[0], m[1]]})
        equipment.append({"id": f"G{k}b", "category": "server", "mac": [m[0]]})
        devices.append(Device(id=f"g{k}a", macs=[m[0]], ips=[ip[0]], category=C.SERVER))
        devices.append(Device(id=f"g{k}b", macs=[m[1]], ips=[ip[1]], category=C.SERVER))
        # Two devices with the same MAC (one listing it twice): ambiguous devices.
        equipment.append({"id": f"G{k}c", "category": "nas", "mac": [m[2]]})
        devices.append(Device(id=f"g{k}c", macs=[m[2], m[2]], ips=[ip[2]], category=C.NAS))
        devices.append(Device(id=f"g{k}d", macs=[m[2]], ips=[ip[3]], category=C.NAS))
        # A full name fitting one device and its first label another: ambiguous.
        equipment.append({"id": f"G{k}e", "category": "computer", "hostname": f"h{k}.corp.example"})
        devices.append(
            Device(id=f"g{k}e", macs=[m[4]], ips=[ip[4]], hostnames=[f"H{k}.corp.example."])
        )
        devices.append(
            Device(id=f"g{k}f", macs=[m[5]], ips=["300.1.1.1", ip[5]], hostnames=[f"h{k}"])
        )
        # A serial beats a MAC; a randomized MAC does not contradict a declared one; odd IPs.
        serial = f" SX{k} "
        equipment.append({"id": f"G{k}g", "category": "server", "serial": serial.strip()})
        equipment.append({"id": f"G{k}h", "category": "server", "mac": [f"00:16:78:00:00:{k:02x}"]})
        devices.append(
            Device(
                id=f"g{k}g",
                macs=[f"00:16:78:00:00:{k:02x}"],
                ips=[f"10.0.78.{k}"],
                category=C.SERVER,
                evidence=[len(observations)],
            )
        )
        observations.append(
            Observation(
                source=Source.NAMES,
                kind=ObservationKind.SSDP,
                time=datetime(2026, 1, 1, tzinfo=UTC),
                vantage="t",
                mac=f"00:16:78:00:00:{k:02x}",
                ip=f"10.0.78.{k}",
                data={"description": {"serialNumber": serial.strip()}},
            )
        )
        equipment.append(
            {
                "id": f"G{k}i",
                "category": "tablet",
                "mac": [f"00:16:79:00:00:{k:02x}"],
                "ip": f"10.0.79.{k}",
            }
        )
        devices.append(
            Device(
                id=f"g{k}i",
                macs=[f"6a:00:00:00:00:{k:02x}"],
                ips=[f"10.0.79.{k}", "010.0.79.1", "10.0.79"],
                category=C.TABLET,
                randomized_mac=True,
            )
        )


def results() -> dict[str, Any]:
    """What the golden holds: the English result whole, and the French texts.

    The French result differs from the English one only by the ``text`` of its details (the
    test checks it), so the golden keeps those texts alone: half the size of a second copy.
    """
    inputs = site()
    english = _dumps(reconcile(**inputs, lang=Language.EN))
    french = _dumps(reconcile(**inputs, lang=Language.FR))
    for key in ("summary", "devices", "fields_set"):
        assert french[key] == english[key], key
    assert _without_texts(french["findings"]) == _without_texts(english["findings"])
    english["fr_texts"] = [[d["text"] for d in f["details"]] for f in french["findings"]]
    return english


def _write(data: dict[str, Any]) -> None:
    # One finding/device per line: a failing comparison points at a readable line of the diff.
    parts = [f'"summary": {json.dumps(data["summary"], sort_keys=True, ensure_ascii=False)}']
    for key in ("findings", "devices", "fields_set", "fr_texts"):
        rows = [json.dumps(x, sort_keys=True, ensure_ascii=False) for x in data[key]]
        parts.append(f'"{key}": [\n' + ",\n".join(rows) + "\n]")
    GOLDEN.write_text("{\n" + ",\n".join(parts) + "\n}\n", encoding="utf-8")


def test_every_status_and_detail_is_exercised() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    findings = golden["findings"]
    statuses = {f["status"] for f in findings}
    assert statuses == {
        "matched",
        "mismatch",
        "missing",
        "not_verifiable",
        "unexpected",
        "tolerated",
        "ambiguous",
    }
    codes = {d["code"] for f in findings for d in f["details"]}
    from scopeaudit.reconcile import DETAILS

    assert codes == set(DETAILS)
    assert any(f["provisional"] for f in findings)
    assert any(f["status"] == "missing" and not f["provisional"] for f in findings)
    assert any(f["pending_amendment"] for f in findings)
    assert any((f["equipment_id"] or "").startswith("policy:") for f in findings)
    assert golden["summary"]["ignored"] > 0 and golden["summary"]["out_of_scope"] > 0
    assert any("provisoire" in text for texts in golden["fr_texts"] for text in texts)


def test_reconcile_output_equals_golden() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(results()))  # results() also checks French == English + texts
    assert got["summary"] == golden["summary"]
    assert len(got["findings"]) == len(golden["findings"])
    for n, (mine, theirs) in enumerate(zip(got["findings"], golden["findings"], strict=True)):
        assert mine == theirs, f"finding {n}"
    assert got["devices"] == golden["devices"]
    assert got["fields_set"] == golden["fields_set"]
    assert got["fr_texts"] == golden["fr_texts"]


if __name__ == "__main__":
    _write(results())

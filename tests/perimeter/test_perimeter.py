"""The perimeter built from a snapshot and updated from an audit (issue 8, item 6).

On the recorded lab scan fixtures/snapshots/office-demo.json and the demo contract: a contract
built from the snapshot loads cleanly and reconciles with zero unexpected devices against that
same snapshot; ``--merge`` keeps the file outside the changed items byte for byte; an amendment
applied to the demo contract adds the printer and the camera, re-categorizes the NAS (as the
amendment says), keeps HQ-PC-03 (provisional) and keeps the previous version of the file.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scopeaudit import oui
from scopeaudit.audit import build_result
from scopeaudit.cli import app
from scopeaudit.contract import read_contract
from scopeaudit.contract.emit import (
    Keep,
    Write,
    equipment_from,
    load_text,
    render_item,
    replace_equipment,
    scalar,
)
from scopeaudit.contract.yamltree import load_tree
from scopeaudit.perimeter import (
    CATEGORY_CODES,
    equipment_from_devices,
    item_fields,
    merge_perimeter,
)
from scopeaudit.render.audit_json import render_json
from scopeaudit.snapshot import read_snapshot
from scopeaudit.taxonomy import Category, Language, Status

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"
MINIMAL = REPO / "fixtures" / "contracts" / "minimal.yaml"
runner = CliRunner()


def _outside_equipment(text: str) -> list[str]:
    """The file's lines before and after its equipment section (a top-level key)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("equipment:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha()),
        len(lines),
    )
    return lines[:start] + lines[end:]


def _statuses(contract: Path) -> Counter[Status]:
    result = build_result(read_contract(contract), read_snapshot(SNAPSHOT))
    return Counter(f.status for f in result.findings)


def test_every_category_has_an_id_code() -> None:
    assert set(CATEGORY_CODES) == set(Category)
    assert len(set(CATEGORY_CODES.values())) == len(Category)


def test_items_use_stable_identifiers_only() -> None:
    snapshot = read_snapshot(SNAPSHOT)
    proposals = equipment_from_devices(snapshot.devices, None, snapshot.observations)
    by_device = {p.device_id: p for p in proposals}
    scanner = next(d for d in snapshot.devices if d.scanner)
    bmc = next(d for d in snapshot.devices if d.role is not None)
    assert scanner.id not in by_device
    assert bmc.id not in by_device  # the iDRAC is noted on its server, never listed alone
    server = by_device[bmc.parent_id]
    assert any(bmc.macs[0] in c for c in server.comments)
    assert bmc.macs[0] not in server.fields["mac"]
    for proposal in proposals:
        assert not any(oui.is_randomized(m) for m in proposal.fields.get("mac", []))
        if proposal.fields["category"] == "unknown":
            assert proposal.commented
    ipad = next(p for p in proposals if p.fields.get("hostname") == "Janes-iPad")
    assert "mac" not in ipad.fields  # a private MAC is no identity; the mDNS name is
    nas = next(p for p in proposals if p.fields["category"] == "nas")
    assert nas.fields["serial"] == "2190PDN123456"
    phone = next(p for p in proposals if p.fields["category"] == "ip_phone")
    assert "serial" not in phone.fields  # the lab's "{{mac_hex}}" template is not a serial
    ids = [p.id for p in proposals]
    assert len(ids) == len(set(ids))
    assert {"PRN-01", "PRN-02", "SRV-01", "VM-01", "VM-02", "HYP-01"} <= set(ids)


def test_contract_built_from_the_snapshot_reconciles_with_zero_unexpected(tmp_path: Path) -> None:
    snapshot = read_snapshot(SNAPSHOT)
    demo = read_contract(DEMO).contract
    proposals = equipment_from_devices(snapshot.devices, demo, snapshot.observations)
    text, root = load_text(DEMO)
    entries = [Write(p.fields, p.comments, p.commented, p.note) for p in proposals]
    built = tmp_path / "built.yaml"
    built.write_text(replace_equipment(text, root, entries), encoding="utf-8")
    loaded = read_contract(built)  # raises ValidationFailed on any problem
    listed = [p for p in proposals if not p.commented]
    assert len(loaded.contract.equipment) == len(listed) == 17
    assert {i.site for i in loaded.contract.equipment} == {"HQ", "AGENCE"}
    for item in loaded.contract.equipment:  # <SITE>-<CAT>-NN, numbered after the demo's ids
        assert re.fullmatch(rf"{item.site}-[A-Z]+-\d\d", item.id)
    assert {i.id for i in loaded.contract.equipment} >= {"HQ-PRN-02", "AGENCE-PC-01"}
    statuses = _statuses(built)
    assert statuses[Status.UNEXPECTED] == 0
    assert statuses[Status.MATCHED] == 17
    assert set(statuses) <= {Status.MATCHED, Status.TOLERATED}
    assert _outside_equipment(built.read_text()) == _outside_equipment(DEMO.read_text())


def test_merge_shows_add_change_remove_and_keeps_the_rest(tmp_path: Path) -> None:
    outcome = equipment_from(read_snapshot(SNAPSHOT), SNAPSHOT.name, DEMO, Language.EN)
    change = outcome.change
    assert [p.id for p in change.added] == ["HQ-PRN-02", "HQ-CAM-01"]
    assert change.removed == ["HQ-PC-03"]
    changed = {c.id: {x.name: x.new for x in c.changes} for c in change.changed}
    assert changed["HQ-NAS-01"]["category"] == "nas"
    assert "ip" not in {name for fields in changed.values() for name in fields}
    assert {p.fields["category"] for p in change.undecided} == {"phone", "unknown"}
    merged = tmp_path / "merged.yaml"
    merged.write_text(outcome.text, encoding="utf-8")
    read_contract(merged)
    statuses = _statuses(merged)
    assert statuses[Status.UNEXPECTED] == 0
    assert statuses[Status.MISSING] == 1  # HQ-PC-03: kept, a removal goes through an amendment
    before = DEMO.read_text()
    assert _outside_equipment(outcome.text) == _outside_equipment(before)
    for line in before.splitlines():  # every unchanged item keeps its own line
        if line.startswith("  - {id: ") and line.split(",")[0][9:] in change.unchanged:
            assert line in outcome.text.splitlines()


def _audit_json(tmp_path: Path, contract: Path) -> Path:
    result = build_result(read_contract(contract), read_snapshot(SNAPSHOT))
    path = tmp_path / "audit.json"
    path.write_text(render_json(result), encoding="utf-8")
    return path


def test_apply_amendment_adds_the_planted_devices_and_keeps_the_old_file(tmp_path: Path) -> None:
    contract = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, contract)
    audit = _audit_json(tmp_path, contract)
    result = runner.invoke(app, ["contract", "apply-amendment", str(contract), str(audit)])
    assert result.exit_code == 0, result.output
    assert contract.read_bytes() == DEMO.read_bytes()  # the signed version stays as it was
    new = tmp_path / "demo.v2.yaml"
    assert "demo.v2.yaml" in result.stderr
    after = {i.id: i for i in read_contract(new).contract.equipment}
    before = {i.id: i for i in read_contract(DEMO).contract.equipment}
    added = set(after) - set(before)
    assert {after[i].category for i in added} == {Category.PRINTER, Category.CAMERA}
    assert {m for i in added for m in after[i].mac} == {"3c:2a:f4:11:22:33", "c0:56:e3:5a:6b:7c"}
    assert set(before) <= set(after)  # HQ-PC-03 (provisional) stays
    assert after["HQ-NAS-01"].category is Category.NAS  # the amendment's re-categorization
    for item_id, item in before.items():
        if item_id != "HQ-NAS-01":
            assert item_fields(after[item_id]) == item_fields(item)
    assert _outside_equipment(new.read_text()) == _outside_equipment(DEMO.read_text())
    statuses = _statuses(new)
    assert statuses[Status.UNEXPECTED] == 0
    assert statuses[Status.MISMATCH] == 0

    again = runner.invoke(app, ["contract", "apply-amendment", str(contract), str(audit)])
    assert again.exit_code == 0
    assert (tmp_path / "demo.v3.yaml").exists()  # never over the version written before
    assert new.read_text() == (tmp_path / "demo.v3.yaml").read_text()

    inplace = runner.invoke(
        app, ["contract", "apply-amendment", str(contract), str(audit), "-o", str(contract)]
    )
    assert inplace.exit_code == 0
    assert (tmp_path / "demo.v1.yaml").read_bytes() == DEMO.read_bytes()
    assert "demo.v1.yaml" in inplace.stderr


def test_apply_amendment_refuses_an_audit_of_another_version(tmp_path: Path) -> None:
    contract = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, contract)
    audit = _audit_json(tmp_path, contract)
    contract.write_text(DEMO.read_text() + "# edited after the audit\n", encoding="utf-8")
    result = runner.invoke(app, ["contract", "apply-amendment", str(contract), str(audit)])
    assert result.exit_code == 3
    assert "une autre version" in result.stderr  # the contract's language (fr)
    args = ["contract", "apply-amendment", str(contract), str(audit), "--lang", "en"]
    result = runner.invoke(app, args)
    assert result.exit_code == 3
    assert "another version" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "demo.v2.yaml").exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["contract", "apply-amendment", str(contract), str(bad)])
    assert result.exit_code == 3
    assert len(result.stderr.strip().splitlines()) == 1


def test_equipment_from_cli_writes_a_section_and_merges(tmp_path: Path) -> None:
    result = runner.invoke(app, ["contract", "equipment-from", str(SNAPSHOT)])
    assert result.exit_code == 0, result.output
    section = yaml.safe_load(result.stdout)["equipment"]
    assert len(section) == 20  # the unknown device is commented out
    assert "to add" in result.stderr
    contract = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, contract)
    result = runner.invoke(
        app,
        [
            "contract",
            "equipment-from",
            str(SNAPSHOT),
            "--merge",
            str(contract),
            "-o",
            str(contract),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "demo.v1.yaml").read_bytes() == DEMO.read_bytes()
    assert "HQ-PRN-02" in result.stderr and "HQ-PC-03" in result.stderr
    read_contract(contract)
    missing = runner.invoke(app, ["contract", "equipment-from", str(tmp_path / "nope.json")])
    assert missing.exit_code == 3
    assert "Traceback" not in missing.output


@pytest.mark.parametrize(
    "value",
    [
        "NO",
        "00123",
        "a: b",
        "#x",
        "x #y",
        "- x",
        "line\nbreak",
        "rtl\u202eevil",
        "null",
        "",
        "~",
        "10:22:33:44:55:11",
        "=CMD|' /C CALC",
        "<SCRIPT>",
        'quote " and \\',
        "Siège",
        "1e3",
        "2026-01-15",
    ],
)
def test_scalars_read_back_as_the_same_text(value: str, tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(f"k: {scalar(value)}\n", encoding="utf-8")
    assert "\u202e" not in path.read_text(encoding="utf-8")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 1
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"k": value}  # YAML 1.1 readers
    assert load_tree(path).value == {"k": value}  # scopeaudit's own reader


def test_hostile_comments_stay_on_their_line() -> None:
    text = render_item({"id": "X-1", "category": "printer"}, ["name\nequipment: evil\r\u2028"])
    assert yaml.safe_load("equipment:\n" + text) == {
        "equipment": [{"id": "X-1", "category": "printer"}]
    }


def test_flow_style_section_is_rewritten_whole(tmp_path: Path) -> None:
    contract = read_contract(DEMO).contract
    snapshot = read_snapshot(SNAPSHOT)
    proposals = equipment_from_devices(snapshot.devices, contract, snapshot.observations)
    minimal = read_contract(MINIMAL).contract
    change = merge_perimeter(minimal, proposals)
    assert not change.removed and len(change.added) == 17
    text, root = load_text(MINIMAL)
    out = replace_equipment(text, root, [Write(p.fields) for p in change.added])
    path = tmp_path / "m.yaml"
    path.write_text(out, encoding="utf-8")
    assert len(read_contract(path).contract.equipment) == 17
    assert out.startswith(MINIMAL.read_text().split("equipment:")[0])
    # Keep on a flow-style section writes the item again from its fields
    kept = replace_equipment(text, root, [Keep(0)], [{"id": "A", "category": "server"}])
    assert yaml.safe_load(kept)["equipment"] == [{"id": "A", "category": "server"}]


def test_equipment_from_an_inventory_export(tmp_path: Path) -> None:
    glpi = REPO / "fixtures" / "imports" / "glpi-computers-fr.csv"
    result = runner.invoke(app, ["contract", "equipment-from", str(glpi)])
    assert result.exit_code == 0, result.output
    section = yaml.safe_load(result.stdout)["equipment"]
    serials = {item.get("serial") for item in section}
    assert {"8K3Q2Z3", "9X7Y6Z5"} <= serials  # the inventory's serials become identifiers
    merged = tmp_path / "demo.yaml"
    result = runner.invoke(
        app,
        ["contract", "equipment-from", str(glpi), "--merge", str(DEMO), "-o", str(merged)],
    )
    assert result.exit_code == 0, result.output
    after = {i.id: i for i in read_contract(merged).contract.equipment}
    before = {i.id: i for i in read_contract(DEMO).contract.equipment}
    assert after["HQ-PC-03"].serial == "9X7Y6Z5"  # paired by MAC, completed with its serial
    # the inventory's unclassified server row changes nothing of the declared server
    assert item_fields(after["HQ-SRV-01"]) == item_fields(before["HQ-SRV-01"])


def test_new_items_line_up_with_the_files_own(tmp_path: Path) -> None:
    """Items at column 0 and CRLF line ends: what is added follows the file's layout."""
    source = tmp_path / "flat.yaml"
    source.write_bytes(
        b"format: 1\r\ncontract: {reference: R-1}\r\nscope:\r\n  networks:\r\n"
        b"    - {cidr: 10.77.0.0/24, site: HQ}\r\nequipment:\r\n"
        b"- id: HQ-PRN-01\r\n  category: printer\r\n  hostname: NPI8E2A1F\r\n"
        b"  mac: 3c:d9:2b:8e:2a:1f\r\n  site: HQ\r\n"
        b"# the end\r\nlanguage: en\r\n"
    )
    outcome = equipment_from(read_snapshot(SNAPSHOT), SNAPSHOT.name, source, Language.EN)
    assert outcome.change.unchanged == ["HQ-PRN-01"]
    written = tmp_path / "out.yaml"
    written.write_bytes(outcome.text.encode())
    loaded = read_contract(written).contract
    assert len(loaded.equipment) == 1 + len(outcome.change.added)
    raw = written.read_bytes()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # CRLF throughout
    assert b"- id: HQ-PRN-01\r\n  category: printer\r\n" in raw  # kept as written
    assert raw.endswith(b"# the end\r\nlanguage: en\r\n")


def test_apply_amendment_with_provisional_absences(tmp_path: Path) -> None:
    contract = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, contract)
    audit = _audit_json(tmp_path, contract)
    args = ["contract", "apply-amendment", str(contract), str(audit), "--include-provisional"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    after = {i.id for i in read_contract(tmp_path / "demo.v2.yaml").contract.equipment}
    assert "HQ-PC-03" not in after  # as the amendment made with --include-provisional says
    assert len(after) == 18 - 1 + 2


def test_hostile_device_strings_cannot_break_the_contract(tmp_path: Path) -> None:
    """Names and models come from the network: escaped in values and comments, never code."""
    from scopeaudit.models import Device
    from scopeaudit.taxonomy import Role

    evil = "x\nequipment: []\n# \u202e\x1b[31m"
    devices = [
        Device(id="dev-a", macs=["3c:2a:f4:11:22:33"], ips=["10.77.0.33"],
               hostnames=[evil, "PRN-OK"], model=evil, vendor="Brother",
               category=Category.PRINTER),
        Device(id="dev-b", macs=["d0:94:66:6e:77:09"], ips=["10.77.0.41"], hostnames=[evil],
               role=Role.BMC, parent_id="dev-a", category=Category.SERVER),
    ]  # fmt: skip
    contract = tmp_path / "demo.yaml"
    shutil.copyfile(DEMO, contract)
    from scopeaudit.models import Snapshot

    snapshot = Snapshot(
        tool_version="t",
        started_at="2026-11-28T10:00:00Z",
        finished_at="2026-11-28T10:00:00Z",
        devices=devices,
    )
    outcome = equipment_from(snapshot, "evil\n.json", contract, Language.EN)
    assert "\u202e" not in outcome.text and "\x1b" not in outcome.text
    written = tmp_path / "out.yaml"
    written.write_text(outcome.text, encoding="utf-8")
    after = {i.id: i for i in read_contract(written).contract.equipment}
    added = after[outcome.change.added[0].id]
    assert added.hostname == "PRN-OK"  # the hostile name is no identifier
    assert added.model == evil  # kept raw in the data, escaped in the file
    assert len(after) == 19


def test_a_contract_started_from_the_template(tmp_path: Path) -> None:
    """contract init, then equipment-from --merge: the template's example gives way to items."""
    start = tmp_path / "new.yaml"
    assert runner.invoke(app, ["contract", "init", "--lang", "en", "-o", str(start)]).exit_code == 0
    args = ["contract", "equipment-from", str(SNAPSHOT), "--merge", str(start), "-o", str(start)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = start.read_text(encoding="utf-8")
    assert 'serial: "00123"' not in text  # the template's commented example is gone
    assert len(read_contract(start).contract.equipment) == 20
    template = (tmp_path / "new.v1.yaml").read_text(encoding="utf-8")
    assert text.split("equipment:")[0] == template.split("equipment:")[0]


def test_equipment_from_with_decisions_declares_what_the_technician_settled(
    tmp_path: Path,
) -> None:
    """An unknown device is proposed commented out; once pinned with ``decide`` it is an item."""
    decisions = tmp_path / "decisions.yaml"
    decided = runner.invoke(
        app,
        ["decide", "10.77.0.66", "--pin-category", "iot", "--reason", "boîtier de test",
         "--snapshot", str(SNAPSHOT), "--decisions", str(decisions)],
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    before = runner.invoke(app, ["contract", "equipment-from", str(SNAPSHOT)])
    after = runner.invoke(
        app, ["contract", "equipment-from", str(SNAPSHOT), "--decisions", str(decisions)]
    )
    assert after.exit_code == 0, after.output
    old, new = (yaml.safe_load(r.stdout)["equipment"] for r in (before, after))
    assert len(new) == len(old) + 1
    (added,) = [item for item in new if item.get("ip") == "10.77.0.66"]
    assert added["category"] == "iot"
    assert not [item for item in old if item.get("ip") == "10.77.0.66"]
    broken = tmp_path / "broken.yaml"
    broken.write_text("decisions: [{action: pin}]\n", encoding="utf-8")
    refused = runner.invoke(
        app, ["contract", "equipment-from", str(SNAPSHOT), "--decisions", str(broken)]
    )
    assert refused.exit_code == 3 and "Traceback" not in refused.output

"""Golden files of every text format, in French and English, from a committed lab snapshot.

The snapshot (fixtures/snapshots/office-demo.json) is a real scan of the office lab taken from
the technician namespace. Regenerate the goldens only on purpose:
``SCOPEAUDIT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/audit/test_golden.py`` (CI never does).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from scopeaudit.audit import build_result
from scopeaudit.audit_models import AuditResult
from scopeaudit.contract import read_contract
from scopeaudit.render.audit_csv import render_csv
from scopeaudit.render.audit_json import render_json
from scopeaudit.render.audit_markdown import render_markdown
from scopeaudit.render.audit_terminal import terminal_text
from scopeaudit.snapshot import read_snapshot
from scopeaudit.taxonomy import Language, Status

from .helpers import DEMO, REPO

GOLDEN = Path(__file__).parent / "golden"
SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
UPDATE = os.environ.get("SCOPEAUDIT_UPDATE_GOLDEN") == "1"


def demo_result(lang: Language) -> AuditResult:
    snapshot = read_snapshot(SNAPSHOT)
    return build_result(
        read_contract(DEMO, lang),
        snapshot,
        contract_path=Path("fixtures/contracts/demo.yaml"),
        lang=lang,
    )


RENDERERS = {
    "txt": lambda r, lang: terminal_text(r, lang),
    "json": lambda r, lang: render_json(r),
    "csv": lambda r, lang: render_csv(r, lang),
    "md": lambda r, lang: render_markdown(r, lang),
}


@pytest.mark.parametrize("lang", list(Language))
@pytest.mark.parametrize("fmt", list(RENDERERS))
def test_golden(fmt: str, lang: Language) -> None:
    text = RENDERERS[fmt](demo_result(lang), lang)
    path = GOLDEN / f"office-demo.{lang.value}.{fmt}"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as out:
            out.write(text)
    with path.open(encoding="utf-8", newline="") as handle:
        expected = handle.read()
    assert text == expected, f"{path.name} differs: regenerate on purpose (see module doc)"


@pytest.mark.parametrize("lang", list(Language))
def test_golden_json_validates_against_committed_schema(lang: Language) -> None:
    schema = json.loads((REPO / "docs" / "schema" / "audit.schema.json").read_text("utf-8"))
    document = json.loads((GOLDEN / f"office-demo.{lang.value}.json").read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)
    assert document["schema"] == "scopeaudit.audit/1"
    assert document["summary"]["drift"] is True


def test_terminal_fits_100_columns() -> None:
    for lang in Language:
        text = terminal_text(demo_result(lang), lang, width=100)
        assert max(len(line) for line in text.splitlines()) <= 100


def test_lab_snapshot_planted_findings() -> None:
    """The real lab scan: the planted gaps are found; what else shows is named here."""
    result = demo_result(Language.EN)
    items = {f.equipment_id: f for f in result.findings if f.equipment_id}
    assert items["HQ-NAS-01"].status is Status.MISMATCH
    assert items["HQ-NAS-01"].fee_delta == -85
    assert items["HQ-PC-03"].status is Status.MISSING and items["HQ-PC-03"].provisional
    assert items["HQ-TAB-01"].status is Status.MATCHED
    assert {k for k, f in items.items() if f.status is Status.MATCHED} == {
        "HQ-RTR-01", "HQ-SW-01", "HQ-FW-01", "HQ-AP-01", "HQ-PRN-01", "HQ-SRV-01",
        "HQ-ESX-01", "HQ-VM-01", "HQ-VM-02", "HQ-PC-01", "HQ-PC-02", "HQ-MAC-01",
        "HQ-TAB-01", "HQ-TAB-02", "HQ-TEL-01", "AG-PC-01",
    }  # fmt: skip
    unexpected = {
        result.device(f.device_id).ips[0]: f.fee_delta  # type: ignore[union-attr]
        for f in result.findings
        if f.status is Status.UNEXPECTED
    }
    # Exactly the planted gaps of the lab plan: prn02 +10 and cam01 +9 (the hostile persona is
    # tolerated by the BYOD policy, the iDRAC is part of its server).
    assert unexpected == {"10.77.0.33": 10, "10.77.0.64": 9}
    assert result.summary.fee_delta_total == -66


def test_unreached_branch_makes_its_items_not_verifiable() -> None:
    """The lab snapshot without what nmap, names and snmp heard from the routed branch: no
    method reached 10.77.20.0/24, so its unseen PC is not_verifiable, never missing."""
    snapshot = read_snapshot(SNAPSHOT)
    kept = [o for o in snapshot.observations if not (o.ip or "").startswith("10.77.20.")]
    devices = [d for d in snapshot.devices if not all(i.startswith("10.77.20.") for i in d.ips)]
    trimmed = snapshot.model_copy(update={"observations": kept, "devices": devices})
    result = build_result(read_contract(DEMO, "en"), trimmed, lang=Language.EN)
    coverage = {c.cidr: c for c in result.coverage}
    assert coverage["10.77.20.0/24"].verifiable is False
    assert coverage["10.77.20.0/24"].methods == []
    items = {f.equipment_id: f for f in result.findings if f.equipment_id}
    assert items["AG-PC-01"].status is Status.NOT_VERIFIABLE
    assert items["AG-PC-01"].fee_delta == 0
    assert items["AG-PC-01"].details[0].code == "not_reached"
    assert result.summary.coverage_rate == round(16 / 17, 4)  # 16 matched+mismatch of 18-1

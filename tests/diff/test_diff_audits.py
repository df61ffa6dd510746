"""Scope status changes between two audits: newly unexpected, newly missing, resolved, other."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scopeaudit.audit_models import (
    AuditResult,
    Candidate,
    ContractRef,
    DeclaredItem,
    Finding,
    SnapshotRef,
)
from scopeaudit.diff import diff_audits, diff_runs
from scopeaudit.diff_models import ScopeKind
from scopeaudit.errors import InputError
from scopeaudit.models import Snapshot
from scopeaudit.taxonomy import Category, Status

from .builders import CAMERA, LAPTOP, NAS, PRINTER, T0, run

LATER = T0 + timedelta(days=30)


def _audit(snapshot: Snapshot, findings: list[Finding]) -> AuditResult:
    return AuditResult(
        tool_version="test",
        contract=ContractRef(reference="CTR-2026-01", sha256="sha256:00"),
        snapshot=SnapshotRef(fingerprint=snapshot.fingerprint),
        started_at=snapshot.started_at,
        finished_at=snapshot.finished_at,
        devices=snapshot.devices,
        observations=snapshot.observations,
        findings=findings,
    )


def _id(snapshot: Snapshot, mac: str) -> str:
    return next(d.id for d in snapshot.devices if mac in d.macs)


def _item(equipment_id: str, category: Category, name: str) -> DeclaredItem:
    return DeclaredItem(id=equipment_id, category=category, name=name)


def _matched(snapshot: Snapshot, equipment_id: str, mac: str, category: Category) -> Finding:
    return Finding(
        status=Status.MATCHED,
        equipment_id=equipment_id,
        device_id=_id(snapshot, mac),
        category=category,
        declared=_item(equipment_id, category, equipment_id.lower()),
    )


def _missing(equipment_id: str, category: Category, provisional: bool = False) -> Finding:
    return Finding(
        status=Status.MISSING,
        equipment_id=equipment_id,
        category=category,
        provisional=provisional,
        declared=_item(equipment_id, category, equipment_id.lower()),
    )


def _unexpected(snapshot: Snapshot, mac: str, category: Category) -> Finding:
    return Finding(status=Status.UNEXPECTED, device_id=_id(snapshot, mac), category=category)


def _scrambled(snapshot: Snapshot) -> Snapshot:
    devices = [
        d.model_copy(update={"id": f"dev-z{i:011d}"}) for i, d in enumerate(snapshot.devices)
    ]
    return snapshot.model_copy(update={"devices": devices})


def test_newly_unexpected_newly_missing_resolved_and_other() -> None:
    before_run = run(["printer", "laptop", "nas"])
    # Next month: the NAS is gone (its item now missing), a camera appeared (unexpected), the
    # laptop that was unexpected was declared (matched), the printer still matched. Device ids
    # differ on purpose: scope changes follow devices by identity.
    after_run = _scrambled(run(["printer", "laptop", "camera"], at=LATER))
    before = _audit(
        before_run,
        [
            _matched(before_run, "EQ-PRN", PRINTER, Category.PRINTER),
            _matched(before_run, "EQ-NAS", NAS, Category.NAS),
            _unexpected(before_run, LAPTOP, Category.COMPUTER),
            _missing("EQ-SRV", Category.SERVER, provisional=True),
            _missing("EQ-AP", Category.ACCESS_POINT),
        ],
    )
    after = _audit(
        after_run,
        [
            _matched(after_run, "EQ-PRN", PRINTER, Category.PRINTER),
            _missing("EQ-NAS", Category.NAS, provisional=True),
            _matched(after_run, "EQ-LAP", LAPTOP, Category.COMPUTER),
            _unexpected(after_run, CAMERA, Category.CAMERA),
            _missing("EQ-SRV", Category.SERVER, provisional=False),
            _matched(after_run, "EQ-AP", PRINTER, Category.ACCESS_POINT),
        ],
    )
    diff = diff_audits(before, after)
    assert diff.scope_compared is True
    assert [(c.kind, c.device_id) for c in diff.scope.newly_unexpected] == [
        (ScopeKind.DEVICE, _id(after_run, CAMERA))
    ]
    assert [
        (c.equipment_id, c.before, c.after, c.after_provisional) for c in diff.scope.newly_missing
    ] == [("EQ-NAS", Status.MATCHED, Status.MISSING, True)]
    resolved = {
        (c.kind, c.equipment_id or c.device_id, c.before, c.after) for c in diff.scope.resolved
    }
    assert resolved == {
        (ScopeKind.EQUIPMENT, "EQ-AP", Status.MISSING, Status.MATCHED),
        # The unexpected laptop is now declared: no undeclared-device finding about it any more.
        (ScopeKind.DEVICE, _id(before_run, LAPTOP), Status.UNEXPECTED, None),
    }
    other = {
        (c.equipment_id, c.before, c.after, c.before_provisional, c.after_provisional)
        for c in diff.scope.status_changed
    }
    assert other == {
        ("EQ-SRV", Status.MISSING, Status.MISSING, True, False),  # provisional → definitive
        ("EQ-LAP", None, Status.MATCHED, False, False),  # a new item of the contract
    }
    assert diff.summary.newly_unexpected == 1 and diff.summary.newly_missing == 1
    assert diff.summary.resolved == 2 and diff.summary.status_changed == 2
    assert diff.changed is True
    # The devices themselves: the camera is new, the NAS gone, by identity despite new ids.
    assert [d.macs for d in diff.devices.new] == [[CAMERA]]
    assert [d.macs for d in diff.devices.gone] == [[NAS]]


def test_still_unexpected_device_is_no_scope_change() -> None:
    before_run = run(["camera"])
    after_run = _scrambled(run(["camera"], at=LATER, camera={"ip": "10.9.0.99"}))
    diff = diff_audits(
        _audit(before_run, [_unexpected(before_run, CAMERA, Category.CAMERA)]),
        _audit(after_run, [_unexpected(after_run, CAMERA, Category.CAMERA)]),
    )
    assert diff.summary.newly_unexpected == 0 and not diff.scope.status_changed
    assert diff.summary.changed == 1  # only its address changed


def test_ambiguous_item_resolved_when_matched() -> None:
    before_run = run(["printer"])
    ambiguous = Finding(
        status=Status.AMBIGUOUS,
        category=Category.PRINTER,
        candidates=[
            Candidate(
                equipment_id="EQ-PRN", device_id=_id(before_run, PRINTER), identifier="hostname"
            )
        ],
    )
    after_run = run(["printer"], at=LATER, previous=before_run)
    diff = diff_audits(
        _audit(before_run, [ambiguous]),
        _audit(after_run, [_matched(after_run, "EQ-PRN", PRINTER, Category.PRINTER)]),
    )
    assert [(c.equipment_id, c.before, c.after) for c in diff.scope.resolved] == [
        ("EQ-PRN", Status.AMBIGUOUS, Status.MATCHED)
    ]


def test_identical_audits_are_no_change() -> None:
    snap = run(["printer", "nas"])
    audit = _audit(
        snap,
        [_matched(snap, "EQ-PRN", PRINTER, Category.PRINTER), _missing("EQ-X", Category.SERVER)],
    )
    diff = diff_audits(audit, audit)
    assert diff.changed is False and diff.summary.unchanged == 2


def test_snapshot_against_audit_compares_devices_only() -> None:
    snap = run(["printer"])
    audit = _audit(snap, [_missing("EQ-X", Category.SERVER)])
    diff = diff_runs(snap, audit)
    assert diff.scope_compared is False and diff.changed is False
    assert diff.from_.kind.value == "snapshot" and diff.to.kind.value == "audit"
    assert diff.to.contract_reference == "CTR-2026-01"


def test_amendment_from_diff_keeps_only_new_drift() -> None:
    from scopeaudit.diff import amendment_from_diff
    from scopeaudit.render.amendment import plan, render_amendment
    from scopeaudit.taxonomy import Language

    before_run = run(["printer", "camera"])
    after_run = run(["printer", "camera", "laptop"], at=LATER, previous=before_run)
    old_drift = _unexpected(after_run, CAMERA, Category.CAMERA)  # already there last month
    before = _audit(
        before_run,
        [
            _unexpected(before_run, CAMERA, Category.CAMERA),
            _missing("EQ-AP", Category.ACCESS_POINT),
        ],
    )
    after = _audit(
        after_run,
        [
            old_drift,
            _missing("EQ-AP", Category.ACCESS_POINT),
            _unexpected(after_run, LAPTOP, Category.COMPUTER),
            _missing("EQ-NAS", Category.NAS),
        ],
    )
    diff = diff_audits(before, after)
    amended = amendment_from_diff(diff, after)
    assert {(f.status, f.device_id or f.equipment_id) for f in amended.findings} == {
        (Status.UNEXPECTED, _id(after_run, LAPTOP)),
        (Status.MISSING, "EQ-NAS"),
    }
    content = plan(amended, Language.EN)
    assert len(content.added) == 1 and len(content.removed) == 1
    text = render_amendment(amended, Language.FR, "md")
    assert isinstance(text, str) and "eq-nas" in text.lower()
    with pytest.raises(InputError):
        amendment_from_diff(diff, before)

"""Diffs between two runs: devices paired by identity, then scope status changes (issue 7).

Pure: two snapshots or two audit results in, a ``RunDiff`` out (``load_side`` only reads files).

Devices are paired by identity, never by IP (anchors §1.14: ndiff keys hosts by address, so a
DHCP renumbering shows as one host gone and another new). First the same device id (ids are kept
across runs by ``merge``); then the strongest stable identifier the two share: a serial, a
universally administered MAC, a DHCP client-id (from the device's evidence, with ``merge``'s own
``identity_keys``), or a non-generic announced name. Randomized MACs never pair (they rotate), so
an iPhone that rotated its MAC pairs by its name. A name alone does not pair two devices that
both have universal MACs and share none: that is replaced hardware keeping its predecessor's
name (merge's rule too), reported as one gone and one new.

Open ports are compared only when both runs scanned ports at all, so a passive-only run after a
full one does not report every port as closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError

from scopeaudit import __version__, oui
from scopeaudit.audit_models import AUDIT_SCHEMA, AuditResult, Finding
from scopeaudit.diff_models import (
    DeviceChange,
    DeviceDiff,
    DeviceField,
    DeviceRef,
    DiffSummary,
    FieldChange,
    RunDiff,
    ScopeChange,
    ScopeDiff,
    ScopeKind,
    Side,
    SideKind,
)
from scopeaudit.errors import InputError
from scopeaudit.macaddr import is_mac, normalize_mac
from scopeaudit.merge import Key, Weight, identity_keys, is_generic_name, normalize_name
from scopeaudit.models import SNAPSHOT_SCHEMA, Device, Observation, ObservationKind, Snapshot
from scopeaudit.snapshot import (
    read_json_file,
    snapshot_from_document,
    validation_problem,
)
from scopeaudit.taxonomy import Status

Run = Snapshot | AuditResult

# Identifiers that pair devices across runs, with the name ``matched_by`` gives them.
_PAIRING: dict[Weight, str] = {
    Weight.SERIAL: "serial",
    Weight.MAC: "mac",
    Weight.CLIENT_ID: "client_id",
    Weight.NAME: "name",
}
_DRIFT = frozenset({Status.UNEXPECTED, Status.MISSING, Status.MISMATCH, Status.AMBIGUOUS})


def _ip_sort(ip: str) -> tuple[int, tuple[int, ...] | str]:
    parts = ip.split(".")
    if len(parts) == 4 and all(part.isdigit() for part in parts):
        return (0, tuple(int(part) for part in parts))
    return (1, ip)


def device_keys(device: Device, observations: Sequence[Observation]) -> set[Key]:
    """The stable identifiers of a device: universal MACs, serials and client-ids from its
    evidence, and its non-generic names. Never an IP, never a randomized MAC."""
    keys: set[Key] = set()
    for mac in device.macs:
        if is_mac(mac) and not oui.is_randomized(mac):
            keys.add((Weight.MAC, normalize_mac(mac)))
    for index in device.evidence:
        if 0 <= index < len(observations):
            for weight, value in identity_keys(observations[index]):
                if weight in (Weight.SERIAL, Weight.MAC, Weight.CLIENT_ID):
                    keys.add((weight, value))
    for name in device.hostnames:
        if name.strip() and not is_generic_name(name):
            keys.add((Weight.NAME, normalize_name(name)))
    return keys


def _universal(keys: set[Key]) -> set[Key]:
    return {key for key in keys if key[0] is Weight.MAC}


def pair_devices(
    before: Sequence[Device],
    before_observations: Sequence[Observation],
    after: Sequence[Device],
    after_observations: Sequence[Observation],
) -> list[tuple[int, int, str]]:
    """(index before, index after, matched_by) of the devices that are the same device."""
    pairs: list[tuple[int, int, str]] = []
    after_by_id = {device.id: index for index, device in enumerate(after)}
    taken_before: set[int] = set()
    taken_after: set[int] = set()
    for index, device in enumerate(before):
        other = after_by_id.get(device.id)
        if other is not None and other not in taken_after:
            pairs.append((index, other, "id"))
            taken_before.add(index)
            taken_after.add(other)
    keys_before = {
        i: device_keys(d, before_observations)
        for i, d in enumerate(before)
        if i not in taken_before
    }
    keys_after = {
        i: device_keys(d, after_observations) for i, d in enumerate(after) if i not in taken_after
    }
    owners: dict[Key, list[int]] = {}
    for index, keys in keys_after.items():
        for key in keys:
            owners.setdefault(key, []).append(index)
    candidates: list[tuple[int, int, int]] = []  # (-weight, before, after): strongest first
    for index, keys in keys_before.items():
        best: dict[int, int] = {}
        for key in keys:
            for other in owners.get(key, ()):
                best[other] = max(best.get(other, 0), int(key[0]))
        for other, weight in best.items():
            if weight == Weight.NAME:
                mine, theirs = _universal(keys), _universal(keys_after[other])
                if mine and theirs and not mine & theirs:
                    continue  # replaced hardware that kept its predecessor's name
            candidates.append((-weight, index, other))
    for negative, index, other in sorted(candidates):
        if index in taken_before or other in taken_after:
            continue
        pairs.append((index, other, _PAIRING[Weight(-negative)]))
        taken_before.add(index)
        taken_after.add(other)
    return sorted(pairs)


def _ref(device: Device) -> DeviceRef:
    return DeviceRef(
        id=device.id,
        macs=list(device.macs),
        ips=list(device.ips),
        hostnames=list(device.hostnames),
        vendor=device.vendor,
        category=device.category,
        randomized_mac=device.randomized_mac,
    )


def open_ports(device: Device, observations: Sequence[Observation]) -> list[str]:
    """``port/proto`` of every port its evidence says is open, in port order."""
    found: set[tuple[int, str]] = set()
    for index in device.evidence:
        if 0 <= index < len(observations):
            observation = observations[index]
            data = observation.data
            if observation.kind is ObservationKind.PORT and data.get("state") == "open":
                port = data.get("port")
                if isinstance(port, int) and not isinstance(port, bool):
                    found.add((port, str(data.get("proto") or "tcp")))
    return [f"{port}/{proto}" for port, proto in sorted(found)]


def _scanned_ports(observations: Sequence[Observation]) -> bool:
    return any(o.kind is ObservationKind.PORT for o in observations)


def _list_change(
    field: DeviceField,
    before: list[str],
    after: list[str],
    key: Callable[[str], str] = str,
) -> FieldChange | None:
    """The change of a list field, or None when both hold the same values (compared by ``key``)."""
    if {key(value) for value in before} == {key(value) for value in after}:
        return None
    return FieldChange(
        field=field,
        before=before,
        after=after,
        added=[value for value in after if value not in before],
        removed=[value for value in before if value not in after],
    )


def _changes(
    before: Device,
    after: Device,
    ports: tuple[list[str], list[str]] | None,
) -> list[FieldChange]:
    found = [
        _list_change(
            DeviceField.IPS, sorted(before.ips, key=_ip_sort), sorted(after.ips, key=_ip_sort)
        ),
        # ``x.local`` from mDNS and ``X`` from NetBIOS are one name: only a real rename counts.
        _list_change(
            DeviceField.NAMES,
            sorted(set(before.hostnames)),
            sorted(set(after.hostnames)),
            normalize_name,
        ),
        _list_change(DeviceField.MACS, sorted(before.macs), sorted(after.macs)),
    ]
    if before.category != after.category:
        found.append(
            FieldChange(
                field=DeviceField.CATEGORY, before=before.category.value, after=after.category.value
            )
        )
    if ports is not None:
        found.append(_list_change(DeviceField.OPEN_PORTS, *ports))
    if (before.vendor or None) != (after.vendor or None):
        found.append(
            FieldChange(field=DeviceField.VENDOR, before=before.vendor, after=after.vendor)
        )
    return [change for change in found if change is not None]


def _observations(run: Run) -> list[Observation]:
    return list(run.observations)


def _side(run: Run, run_id: str | None, path: str | None) -> Side:
    if isinstance(run, Snapshot):
        return Side(
            kind=SideKind.SNAPSHOT,
            run_id=run_id,
            path=path,
            fingerprint=run.fingerprint,
            contract_reference=run.scope.contract_reference,
            started_at=run.started_at,
            finished_at=run.finished_at,
            devices=len(run.devices),
        )
    return Side(
        kind=SideKind.AUDIT,
        run_id=run_id,
        path=path,
        fingerprint=run.snapshot.fingerprint,
        contract_reference=run.contract.reference,
        contract_sha256=run.contract.sha256,
        started_at=run.started_at,
        finished_at=run.finished_at,
        devices=len(run.devices),
    )


def _device_diff(before: Run, after: Run) -> tuple[DeviceDiff, dict[str, str], int]:
    """The device lists, the before→after id map, and how many paired devices did not change."""
    obs_before, obs_after = _observations(before), _observations(after)
    pairs = pair_devices(before.devices, obs_before, after.devices, obs_after)
    compare_ports = _scanned_ports(obs_before) and _scanned_ports(obs_after)
    changed: list[DeviceChange] = []
    id_map: dict[str, str] = {}
    unchanged = 0
    for index_before, index_after, matched_by in pairs:
        device_before, device_after = before.devices[index_before], after.devices[index_after]
        id_map[device_before.id] = device_after.id
        ports = None
        if compare_ports:
            ports = (open_ports(device_before, obs_before), open_ports(device_after, obs_after))
        changes = _changes(device_before, device_after, ports)
        if changes:
            changed.append(
                DeviceChange(
                    before_id=device_before.id,
                    after_id=device_after.id,
                    matched_by=matched_by,
                    device=_ref(device_after),
                    changes=changes,
                )
            )
        else:
            unchanged += 1
    paired_before = {pair[0] for pair in pairs}
    paired_after = {pair[1] for pair in pairs}
    new = [_ref(d) for i, d in enumerate(after.devices) if i not in paired_after]
    gone = [_ref(d) for i, d in enumerate(before.devices) if i not in paired_before]
    devices = DeviceDiff(
        new=sorted(new, key=lambda d: d.id),
        gone=sorted(gone, key=lambda d: d.id),
        changed=sorted(changed, key=lambda c: c.after_id),
    )
    return devices, id_map, unchanged


_State = tuple[Status, bool, Finding]


def _equipment_states(result: AuditResult) -> dict[str, _State]:
    states: dict[str, _State] = {}
    for finding in result.findings:
        if finding.equipment_id is not None:
            states[finding.equipment_id] = (finding.status, finding.provisional, finding)
    for finding in result.findings:  # an ambiguous item has its candidates, not an equipment id
        if finding.equipment_id is None and finding.status is Status.AMBIGUOUS:
            for candidate in finding.candidates:
                states.setdefault(candidate.equipment_id, (Status.AMBIGUOUS, False, finding))
    return states


def _device_states(result: AuditResult) -> dict[str, _State]:
    """Findings about undeclared devices (unexpected, tolerated, ambiguous), by device id."""
    return {
        finding.device_id: (finding.status, finding.provisional, finding)
        for finding in result.findings
        if finding.equipment_id is None and finding.device_id is not None
    }


def _is_drift(state: _State | None) -> bool:
    return state is not None and state[0] in _DRIFT and not state[1]


def _name(finding: Finding, result: AuditResult) -> str | None:
    if finding.declared is not None:
        return finding.declared.name or finding.declared.hostname
    device = result.device(finding.device_id)
    return device.hostnames[0] if device is not None and device.hostnames else None


def _file(scope: ScopeDiff, change: ScopeChange, before: _State | None) -> None:
    after_status = change.after
    became = after_status is not None and after_status is not change.before
    if change.kind is ScopeKind.DEVICE and became and after_status is Status.UNEXPECTED:
        scope.newly_unexpected.append(change)
        return
    if change.kind is ScopeKind.EQUIPMENT and became and after_status is Status.MISSING:
        scope.newly_missing.append(change)
        return
    if _is_drift(before) and (after_status is None or after_status not in _DRIFT):
        scope.resolved.append(change)
        return
    scope.status_changed.append(change)


def _scope_diff(before: AuditResult, after: AuditResult, id_map: dict[str, str]) -> ScopeDiff:
    scope = ScopeDiff()
    items_before, items_after = _equipment_states(before), _equipment_states(after)
    for equipment_id in sorted(set(items_before) | set(items_after)):
        old, new = items_before.get(equipment_id), items_after.get(equipment_id)
        if old is not None and new is not None and old[:2] == new[:2]:
            continue
        finding, result = (new[2], after) if new is not None else (old[2], before)  # type: ignore[index]
        change = ScopeChange(
            kind=ScopeKind.EQUIPMENT,
            equipment_id=equipment_id,
            device_id=finding.device_id,
            category=finding.category,
            name=_name(finding, result),
            before=old[0] if old else None,
            after=new[0] if new else None,
            before_provisional=old[1] if old else False,
            after_provisional=new[1] if new else False,
        )
        _file(scope, change, old)
    devices_before = {id_map.get(k, f"gone:{k}"): v for k, v in _device_states(before).items()}
    devices_after = _device_states(after)
    for key in sorted(set(devices_before) | set(devices_after)):
        old, new = devices_before.get(key), devices_after.get(key)
        if old is not None and new is not None and old[:2] == new[:2]:
            continue
        finding, result = (new[2], after) if new is not None else (old[2], before)  # type: ignore[index]
        change = ScopeChange(
            kind=ScopeKind.DEVICE,
            device_id=finding.device_id,
            category=finding.category,
            name=_name(finding, result),
            before=old[0] if old else None,
            after=new[0] if new else None,
            before_provisional=old[1] if old else False,
            after_provisional=new[1] if new else False,
        )
        _file(scope, change, old)
    return scope


def diff_runs(
    before: Run,
    after: Run,
    *,
    before_label: tuple[str | None, str | None] = (None, None),
    after_label: tuple[str | None, str | None] = (None, None),
) -> RunDiff:
    """The diff of two runs; scope statuses are compared when both are audits.

    ``*_label``: (run id, path) of each side, shown in the result.
    """
    devices, id_map, unchanged = _device_diff(before, after)
    both_audits = isinstance(before, AuditResult) and isinstance(after, AuditResult)
    scope = ScopeDiff()
    if isinstance(before, AuditResult) and isinstance(after, AuditResult):
        scope = _scope_diff(before, after, id_map)
    summary = DiffSummary(
        new=len(devices.new),
        gone=len(devices.gone),
        changed=len(devices.changed),
        unchanged=unchanged,
        newly_unexpected=len(scope.newly_unexpected),
        newly_missing=len(scope.newly_missing),
        resolved=len(scope.resolved),
        status_changed=len(scope.status_changed),
    )
    counts = summary.model_dump(exclude={"unchanged"})
    return RunDiff(
        tool_version=__version__,
        from_=_side(before, *before_label),
        to=_side(after, *after_label),
        devices=devices,
        scope=scope,
        scope_compared=both_audits,
        summary=summary,
        changed=any(counts.values()),
    )


def diff_snapshots(before: Snapshot, after: Snapshot) -> RunDiff:
    """Devices new, gone and changed between two snapshots."""
    return diff_runs(before, after)


def diff_audits(before: AuditResult, after: AuditResult) -> RunDiff:
    """Devices and scope statuses changed between two audits."""
    return diff_runs(before, after)


def load_side(path: Path) -> Run:
    """A snapshot or an audit JSON file, by its ``schema`` field; one clear line otherwise."""
    document = read_json_file(path, "a snapshot or audit file", "give a snapshot or an audit JSON")
    schema = document.get("schema") if isinstance(document, dict) else None
    if schema == SNAPSHOT_SCHEMA:
        return snapshot_from_document(path, document)
    if schema != AUDIT_SCHEMA:
        raise InputError(f"{path}: neither a {SNAPSHOT_SCHEMA} nor a {AUDIT_SCHEMA} file")
    try:
        return AuditResult.model_validate(document)
    except ValidationError as error:
        raise validation_problem(path, error) from None


Labelled = tuple[Run, str | None, str | None]  # the run, its store run id, its file path


def open_sides(refs: Sequence[str], store_path: Path | None = None) -> tuple[Labelled, Labelled]:
    """The two sides of ``scopeaudit diff``: each reference is a snapshot or audit JSON file,
    else a run of the store (id, unique prefix, ``last``, ``last~N``). Missing references are
    the store's last two runs. A stored audit is diffed as an audit, a stored scan as a snapshot.
    """
    if len(refs) > 2:
        raise InputError("give at most two runs or files to compare")
    wanted = {0: ["last~1", "last"], 1: [*refs, "last"]}.get(len(refs), list(refs))
    sides: list[Labelled] = []
    store = None
    try:
        for ref in wanted:
            path = Path(ref)
            if path.is_file() or path.suffix.lower() == ".json" or "/" in ref:
                # Looks like a file: say so when it is not there, not "no such run".
                sides.append((load_side(path), None, str(path)))
                continue
            if store is None:
                from scopeaudit.store import Store

                store = Store.open(store_path, lock=False, create=False)
            run_id = store.resolve(ref)
            audit = store.audit(run_id)
            sides.append((audit if audit is not None else store.snapshot(run_id), run_id, None))
    finally:
        if store is not None:
            store.close()
    return sides[0], sides[1]


def amendment_from_diff(diff: RunDiff, to_audit: AuditResult) -> AuditResult:
    """``to_audit`` keeping only the findings that are new drift since the earlier run (newly
    unexpected devices, newly missing items, new category mismatches), for
    ``render.amendment.render_amendment``: the amendment of what changed since the last one.

    The fee lines are recomputed from these findings by the amendment; the current fee is still
    the contract's, so the earlier changes must have been signed into the contract already.
    """
    if diff.to.kind is not SideKind.AUDIT or diff.to.fingerprint != to_audit.snapshot.fingerprint:
        raise InputError("the amendment needs the audit the diff ends with (its 'to' side)")
    devices = {c.device_id for c in diff.scope.newly_unexpected}
    items = {c.equipment_id for c in diff.scope.newly_missing}
    items |= {c.equipment_id for c in diff.scope.status_changed if c.after is Status.MISMATCH}
    kept = [
        finding
        for finding in to_audit.findings
        if (finding.status is Status.UNEXPECTED and finding.device_id in devices)
        or (finding.status in (Status.MISSING, Status.MISMATCH) and finding.equipment_id in items)
    ]
    return to_audit.model_copy(update={"findings": kept})

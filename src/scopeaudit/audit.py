"""The audit orchestrator: contract + (live scan or snapshots) + decisions -> ``AuditResult``.

``run_audit`` is the one entry point the CLI and the agent call; it never prints and never
exits. Live: a scan within the contract's scope at default settings, then a targeted re-check
(ARP/ping of the declared IPs, a name query to them) of every item about to be reported
missing, inside the scope. With snapshots: they are merged (observations joined, devices
rebuilt and classified again) and reconciled; nothing is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from scopeaudit import __version__
from scopeaudit.audit_models import (
    AuditResult,
    Billing,
    ContractRef,
    Party,
    SiteRef,
    SnapshotRef,
)
from scopeaudit.classify import classify_devices, load_ruleset
from scopeaudit.contract import Contract, LoadedContract, fees, read_contract
from scopeaudit.decisions import DecisionsFile
from scopeaudit.decisions import default_path as default_decisions_path
from scopeaudit.decisions import load as load_decisions
from scopeaudit.discovery import DEFAULT_PASSIVE_SECONDS, Progress, ScanRequest, run_scan
from scopeaudit.i18n import resolve_language
from scopeaudit.merge import merge
from scopeaudit.models import Observation, ProbeRecord, Snapshot, utc_now
from scopeaudit.reconcile import Presence, compute_coverage, reconcile
from scopeaudit.scope import Scope, ScopeNetwork
from scopeaudit.snapshot import canonical_json, read_snapshot, seal, write_snapshot
from scopeaudit.snmp_config import SnmpOptions
from scopeaudit.sources import arp, names, nmap
from scopeaudit.taxonomy import Language, Status

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class AuditRequest:
    """What to audit: a contract, and snapshots (none: scan live)."""

    contract: Path
    snapshots: tuple[Path, ...] = ()
    decisions: Path | None = None
    lang: Language | None = None
    presence: Mapping[str, Presence] | None = None  # issue 7 (history) fills it
    interface: str | None = None
    recheck: bool = True
    today: date | None = None
    save_snapshot: Path | None = None  # live audits: also write the scan's snapshot here
    communities: tuple[str, ...] = ("public",)  # SNMP, read-only (never written anywhere)
    snmp: SnmpOptions | None = None  # --snmp-config resolved: v3 users, devices, limits
    passive_seconds: float = DEFAULT_PASSIVE_SECONDS  # the agent listens longer (DESIGN §7)


def merge_snapshots(snapshots: Sequence[Snapshot], lang: Language) -> Snapshot:
    """One snapshot from several (sites or vantage points): devices are rebuilt from all the
    observations, so one device seen from two places is one device."""
    if len(snapshots) == 1:
        return snapshots[0]
    observations = [o for s in snapshots for o in s.observations]
    devices = classify_devices(merge(observations), observations, load_ruleset(), lang=lang)
    dropped: dict[str, int] = {}
    for snapshot in snapshots:
        for reason, count in snapshot.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + count
    first = snapshots[0]
    merged = Snapshot(
        tool_version=__version__,
        started_at=min(s.started_at for s in snapshots),
        finished_at=max(s.finished_at for s in snapshots),
        scope=first.scope,
        sources=[o for s in snapshots for o in s.sources],
        observations=observations,
        devices=devices,
        probe_log=[p for s in snapshots for p in s.probe_log],
        data_versions=first.data_versions,
        dropped=dropped,
    )
    return seal(merged)


def contract_ref(loaded: LoadedContract, path: Path | None) -> ContractRef:
    """What the reports quote of the contract."""
    contract = loaded.contract
    clauses = contract.contract
    billing = clauses.billing
    parties = clauses.parties

    def party(value: object) -> Party | None:
        if value is None:
            return None
        return Party(
            name=getattr(value, "name", None),
            registration=getattr(value, "registration", None),
            address=getattr(value, "address", None),
            representative=getattr(value, "representative", None),
        )

    return ContractRef(
        reference=contract.reference,
        sha256=loaded.sha256,
        path=str(path) if path is not None else None,
        title=clauses.title,
        language=contract.language,
        client=party(parties.client) if parties else None,
        provider=party(parties.provider) if parties else None,
        signed_on=clauses.signed_on,
        effective_on=clauses.effective_on,
        billing=Billing(
            currency=billing.currency if billing else None,
            period=billing.period.value if billing and billing.period else None,
            base_fee=billing.base_fee if billing else None,
            vat_rate=billing.vat_rate if billing else None,
            unit_prices=dict(billing.unit_prices or {}) if billing else {},
        ),
        sites=[SiteRef(id=s.id, name=s.name) for s in contract.scope.sites],
        declared=len(contract.equipment),
        current_fee=fees(contract).total,
    )


def build_result(
    loaded: LoadedContract,
    snapshot: Snapshot,
    *,
    contract_path: Path | None = None,
    inputs: Sequence[str] = (),
    decisions: DecisionsFile | None = None,
    presence: Mapping[str, Presence] | None = None,
    rechecked: Mapping[str, str] | None = None,
    recheck_log: Sequence[ProbeRecord] = (),
    lang: Language = Language.EN,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
    today: date | None = None,
) -> AuditResult:
    """Reconcile ``snapshot`` with the contract and wrap everything in an ``AuditResult`` (pure)."""
    contract = loaded.contract
    ran = [o.name for o in snapshot.sources if o.ok]
    coverage = compute_coverage(contract, snapshot.observations, ran)
    outcome = reconcile(
        contract,
        snapshot.devices,
        coverage=coverage,
        observations=snapshot.observations,
        decisions=decisions,
        presence=presence,
        rechecked=rechecked,
        today=today,
        lang=lang,
    )
    return AuditResult(
        tool_version=__version__,
        language=lang,
        contract=contract_ref(loaded, contract_path),
        snapshot=SnapshotRef(
            fingerprint=snapshot.fingerprint,
            inputs=list(inputs) or ([snapshot.fingerprint] if snapshot.fingerprint else []),
            tool_version=snapshot.tool_version,
            started_at=snapshot.started_at,
            finished_at=snapshot.finished_at,
        ),
        started_at=started_at or snapshot.started_at,
        finished_at=finished_at or snapshot.finished_at,
        sources=snapshot.sources,
        coverage=coverage,
        devices=outcome.devices,
        findings=outcome.findings,
        summary=outcome.summary,
        recheck=list(recheck_log),
        probe_log=snapshot.probe_log,
        data_versions=snapshot.data_versions,
        observations=snapshot.observations,
    )


def _recheck(
    contract: Contract,
    scope: Scope,
    result: AuditResult,
    interface: str | None,
    lang: Language,
) -> tuple[list[Observation], list[ProbeRecord], dict[str, str]]:
    """ARP/ping and a name query to the declared IPs of the items about to be called missing."""
    missing = {f.equipment_id for f in result.findings if f.status is Status.MISSING}
    ips: dict[str, str] = {}
    what: dict[str, str] = {}
    for item in contract.equipment:
        if item.id not in missing:
            continue
        parts: list[str] = []
        if item.ip is not None and scope.allows(str(item.ip)):
            ips[str(item.ip)] = item.id
            parts.append(f"ARP/ping {item.ip}")
            if item.hostname:
                query = "requête de nom" if lang is Language.FR else "name query"
                parts.append(f"{query} {item.hostname} @ {item.ip}")
        what[item.id] = ", ".join(parts) if parts else "-"
    if not ips:
        return [], [], {k: v for k, v in what.items() if v != "-"}
    sites = {str(n.cidr): n.site for n in scope.networks}
    targets = [
        ScopeNetwork(
            IPv4Network(f"{ip}/32"),
            next((s for c, s in sites.items() if IPv4Address(ip) in IPv4Network(c)), None),
        )
        for ip in sorted(ips, key=lambda a: int(IPv4Address(a)))
    ]
    narrow = Scope.from_cidrs(
        targets,
        list(scope.exclude),
        contract_reference=scope.contract_reference,
        lang=lang,
    )
    swept = arp.sweep(narrow, interface=interface, lang=lang)
    observations = list(swept.observations)
    log = list(swept.probe_log)
    if swept.unreached:
        pinged = nmap.run_nmap(narrow, discover=swept.unreached, lang=lang)
        observations += pinged.observations
        log += pinged.probes
    asked = names.query(narrow, list(ips), interface=interface, lang=lang)
    observations += asked.observations
    log += asked.probes
    return observations, log, {k: v for k, v in what.items() if v != "-"}


def run_audit(
    request: AuditRequest, progress: Progress | None = None, clock: Clock = utc_now
) -> AuditResult:
    """Audit a contract: scan live (or read the snapshots), re-check, reconcile."""
    started = clock()
    loaded = read_contract(request.contract, request.lang)
    contract = loaded.contract
    lang = resolve_language(request.lang, contract.language)
    decisions_path = request.decisions or default_decisions_path(request.contract)
    decisions = load_decisions(decisions_path, required=request.decisions is not None, lang=lang)
    pins = None
    if request.snapshots:
        read = [read_snapshot(p) for p in request.snapshots]
        snapshot = merge_snapshots(read, lang)
        inputs = [s.fingerprint or "" for s in read]
        pins = decisions.pins(snapshot.devices, request.today)
        if pins:
            snapshot = _reclassified(snapshot, snapshot.observations, decisions, request, lang)
        return build_result(
            loaded,
            snapshot,
            contract_path=request.contract,
            inputs=inputs,
            decisions=decisions,
            presence=request.presence,
            lang=lang,
            started_at=started,
            finished_at=clock(),
            today=request.today,
        )
    scope = Scope.from_contract(contract, lang=lang)
    scan = ScanRequest(
        scope=scope,
        interface=request.interface,
        communities=request.communities,
        snmp=request.snmp,
        passive_seconds=request.passive_seconds,
        lang=lang,
    )
    snapshot = run_scan(scan, progress)
    if request.save_snapshot is not None:
        write_snapshot(snapshot, request.save_snapshot)
    if decisions.pins(snapshot.devices, request.today):
        snapshot = _reclassified(snapshot, snapshot.observations, decisions, request, lang)
    first = build_result(
        loaded, snapshot, decisions=decisions, presence=request.presence, lang=lang
    )
    rechecked: dict[str, str] = {}
    log: list[ProbeRecord] = []
    if request.recheck:
        extra, log, rechecked = _recheck(contract, scope, first, request.interface, lang)
        if extra:
            observations = [*snapshot.observations, *extra]
            snapshot = _reclassified(snapshot, observations, decisions, request, lang)
    return build_result(
        loaded,
        snapshot,
        contract_path=request.contract,
        decisions=decisions,
        presence=request.presence,
        rechecked=rechecked,
        recheck_log=log,
        lang=lang,
        started_at=started,
        finished_at=clock(),
        today=request.today,
    )


def _reclassified(
    snapshot: Snapshot,
    observations: list[Observation],
    decisions: DecisionsFile,
    request: AuditRequest,
    lang: Language,
) -> Snapshot:
    """Devices rebuilt from ``observations`` (ids kept by identity) with the technician's pins."""
    devices = merge(observations, snapshot.devices)
    pins = decisions.pins(devices, request.today)
    classified = classify_devices(devices, observations, load_ruleset(), pins=pins, lang=lang)
    return seal(
        snapshot.model_copy(
            update={"observations": observations, "devices": classified, "fingerprint": None}
        )
    )


def result_digest(result: AuditResult) -> str:
    """``sha256:`` of the result's canonical JSON (for logs and the store)."""
    document = result.model_dump(mode="json", by_alias=True)
    return "sha256:" + hashlib.sha256(canonical_json(document)).hexdigest()

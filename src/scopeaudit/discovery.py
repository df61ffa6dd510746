"""The discovery engine: run the sources inside the scope and build a snapshot.

``run_scan`` is the one orchestrator of a scan; it never prints and never exits. Order: the host
source (instant), then the passive window opens in the background while the ARP sweep runs on
the segments this machine faces, nmap discovers the routed networks and probes the live hosts,
and the name and SNMP queries go to the live hosts (then the SNMP tables of the routers,
switches and access points among them, and of the configured ``snmp.devices``); files given with ``--import`` are read; the
window closes; observations are merged into devices, which are classified. Each source's failure is a
``SourceOutcome``, never an abort: only when every source failed is the scan a failure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from scopeaudit import __version__
from scopeaudit.classify import classify_devices, load_ruleset
from scopeaudit.errors import DiscoveryFailed
from scopeaudit.i18n import resolve_language
from scopeaudit.merge import merge
from scopeaudit.models import (
    Observation,
    ObservationKind,
    ProbeRecord,
    ScopeSummary,
    Snapshot,
    SourceOutcome,
    utc_now,
)
from scopeaudit.oui import data_version
from scopeaudit.scope import DEFAULT_ARP_RATE, ProbePlan, Scope, build_plan
from scopeaudit.snapshot import seal
from scopeaudit.snmp_config import SnmpOptions
from scopeaudit.sources import arp, banners, host, importer, names, nmap, passive, snmp, snmp_tables
from scopeaudit.sources.host import local_interfaces
from scopeaudit.taxonomy import Language, Source

ALL_SOURCES: frozenset[Source] = frozenset(Source)
DEFAULT_PASSIVE_SECONDS = 20.0


@dataclass(frozen=True)
class ScanRequest:
    """What to scan and how; ``scope`` is None for an import-only run."""

    scope: Scope | None
    sources: frozenset[Source] = ALL_SOURCES
    interface: str | None = None
    rate: float = DEFAULT_ARP_RATE
    passive_seconds: float = DEFAULT_PASSIVE_SECONDS
    deep: bool = False
    imports: tuple[Path, ...] = ()
    communities: tuple[str, ...] = ("public",)
    # Resolved --snmp-config / agent snmp section; None: ``communities`` and default limits.
    snmp: SnmpOptions | None = None
    rules: tuple[Path, ...] = ()
    lang: Language | None = None


@dataclass(frozen=True)
class ScanEvent:
    """Progress of a scan: the phase, how far it is, and how many hosts are known so far."""

    phase: str
    done: int | None = None
    total: int | None = None
    hosts: int = 0
    message: str = ""


Progress = Callable[[ScanEvent], None]


@dataclass
class _Collected:
    observations: list[Observation] = field(default_factory=list)
    outcomes: list[SourceOutcome] = field(default_factory=list)
    probe_log: list[ProbeRecord] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)

    def add_dropped(self, reason: str, count: int) -> None:
        if count:
            self.dropped[reason] = self.dropped.get(reason, 0) + count

    def live_hosts(self) -> list[str]:
        """In-scope IPs seen alive so far (answering or announcing), in address order."""
        seen = {
            o.ip
            for o in self.observations
            if o.ip and o.kind is not ObservationKind.INTERFACE and o.ip != "0.0.0.0"
        }
        return sorted(seen, key=lambda ip: int(IPv4Address(ip)))


def plan(request: ScanRequest) -> ProbePlan | None:
    """The probe plan ``--dry-run`` prints: what would be sent where, how fast. Sends nothing."""
    if request.scope is None:
        return None
    segments, _ = arp.plan_segments(request.scope, local_interfaces(), request.interface)
    snmp_options = request.snmp or SnmpOptions(communities=request.communities)
    return build_plan(
        request.scope,
        sorted(request.sources),
        arp_networks=[s.network for s in segments],
        rate=request.rate,
        passive_seconds=request.passive_seconds,
        deep=request.deep,
        import_count=len(request.imports),
        snmp_tables=snmp_options.tables,
        snmp_devices=snmp_options.devices,
        snmp_rows=snmp_options.max_rows,
    )


def _emit(progress: Progress | None, event: ScanEvent) -> None:
    if progress is not None:
        progress(event)


def run_scan(request: ScanRequest, progress: Progress | None = None) -> Snapshot:
    """Run every requested source within the scope and return the sealed snapshot."""
    lang = request.lang or resolve_language()
    started = utc_now()
    collected = _Collected()
    scope = request.scope
    wanted = request.sources if scope is not None else frozenset({Source.IMPORT})

    listener: threading.Thread | None = None
    heard: list[passive.PassiveResult] = []
    stop = threading.Event()
    if scope is not None:
        if Source.HOST in wanted:
            _emit(progress, ScanEvent("host"))
            found = host.collect(scope.allows)
            collected.observations.extend(found.observations)
            collected.outcomes.append(found.outcome)
            collected.add_dropped("out_of_scope", found.dropped)
        if Source.PASSIVE in wanted and request.passive_seconds > 0:
            seconds = request.passive_seconds

            def _listen() -> None:
                heard.append(
                    passive.listen(
                        scope, seconds, interface=request.interface, stop=stop, lang=lang
                    )
                )

            listener = threading.Thread(target=_listen, name="passive", daemon=True)
            listener.start()
            window_end = time.monotonic() + seconds
        unreached: list[IPv4Network] = [n.cidr for n in scope.networks]
        if Source.ARP in wanted:
            _emit(progress, ScanEvent("arp", hosts=len(collected.live_hosts())))
            swept = arp.sweep(
                scope,
                interface=request.interface,
                rate=request.rate,
                progress=lambda done, total: _emit(
                    progress, ScanEvent("arp", done=done, total=total)
                ),
                lang=lang,
            )
            collected.observations.extend(swept.observations)
            collected.outcomes.append(swept.outcome)
            collected.probe_log.extend(swept.probe_log)
            collected.add_dropped("out_of_scope", swept.dropped)
            unreached = swept.unreached
        else:
            _, unreached = arp.plan_segments(scope, local_interfaces(), request.interface)
        if Source.NMAP in wanted:
            _emit(progress, ScanEvent("nmap", hosts=len(collected.live_hosts())))
            scanned = nmap.run_nmap(
                scope,
                discover=unreached,
                hosts=collected.live_hosts(),
                settings=nmap.NmapSettings(deep=request.deep),
                lang=lang,
            )
            collected.observations.extend(scanned.observations)
            collected.probe_log.extend(scanned.probes)
            collected.outcomes.append(_with_banners(scope, scanned, collected, progress, lang))
        _run_queries(request, scope, collected, progress, lang)
        if listener is not None:
            _emit(
                progress,
                ScanEvent(
                    "passive",
                    hosts=len(collected.live_hosts()),
                    message=f"{max(0.0, window_end - time.monotonic()):.0f} s",
                ),
            )
            listener.join()
            for result in heard:
                collected.observations.extend(result.observations)
                collected.outcomes.append(result.outcome)
                collected.probe_log.extend(result.probe_log)
                for reason, count in result.dropped.items():
                    collected.add_dropped(reason, count)
    if request.imports:
        _emit(progress, ScanEvent("import", total=len(request.imports)))
        clock = time.monotonic()
        imported = importer.import_files(request.imports)
        kept = imported.observations
        if scope is not None:
            # With a scope, imported captures obey it like live listening does (DESIGN §5).
            kept, dropped = passive.filter_in_scope(kept, scope)
            for reason, count in dropped.items():
                collected.add_dropped(reason, count)
        collected.observations.extend(kept)
        collected.outcomes.append(imported.source_outcome(round(time.monotonic() - clock, 3)))
    stop.set()
    _emit(progress, ScanEvent("merge", hosts=len(collected.live_hosts())))
    if scope is not None:
        onlink = [a.network for i in local_interfaces() for a in i.ipv4 if not i.loopback]
        collected.observations = unbind_routed_macs(collected.observations, onlink)
    ruleset = load_ruleset(list(request.rules))
    devices = classify_devices(
        merge(collected.observations), collected.observations, ruleset, lang=lang
    )
    if collected.outcomes and not any(o.ok for o in collected.outcomes):
        raise DiscoveryFailed(
            "every discovery source failed: "
            + "; ".join(f"{o.name}: {o.error}" for o in collected.outcomes)
        )
    snapshot = Snapshot(
        tool_version=__version__,
        started_at=started,
        finished_at=utc_now(),
        scope=scope.summary() if scope is not None else ScopeSummary(),
        sources=collected.outcomes,
        observations=collected.observations,
        devices=devices,
        probe_log=collected.probe_log,
        data_versions=[data_version()],
        dropped=collected.dropped,
    )
    return seal(snapshot)


def _with_banners(
    scope: Scope,
    scanned: nmap.NmapResult,
    collected: _Collected,
    progress: Progress | None,
    lang: Language,
) -> SourceOutcome:
    """The safe banner grab of nmap's open ports (never a print port), folded into nmap's
    outcome: banners are part of the port probe."""
    targets = banners.targets_from(scanned.observations)
    if not targets:
        return scanned.outcome
    _emit(progress, ScanEvent("banners", total=len(targets), hosts=len(collected.live_hosts())))
    grabbed = banners.grab(scope, targets, lang=lang)
    collected.observations.extend(grabbed.observations)
    collected.probe_log.extend(grabbed.probes)
    detail = dict(scanned.outcome.detail)
    detail["banners"] = len(grabbed.observations)
    if grabbed.outcome.error:
        detail["banners_error"] = grabbed.outcome.error
    return scanned.outcome.model_copy(
        update={
            "detail": detail,
            "duration_s": round(scanned.outcome.duration_s + grabbed.outcome.duration_s, 3),
        }
    )


# Sources whose observations come from captured frames: their MAC is the frame's L2 sender.
_FRAME_SOURCES = frozenset({Source.PASSIVE, Source.NAMES})


def unbind_routed_macs(
    observations: Sequence[Observation], onlink: Sequence[IPv4Network]
) -> list[Observation]:
    """Frames from a host behind a router carry the router's MAC as their L2 sender: that MAC
    says nothing about the host. Drop it from frame-derived observations of off-link IPs, so a
    routed host is never merged with its gateway."""
    fixed: list[Observation] = []
    for item in observations:
        if (
            item.source in _FRAME_SOURCES
            and item.mac is not None
            and item.ip is not None
            and not any(IPv4Address(item.ip) in net for net in onlink)
        ):
            item = item.model_copy(update={"mac": None})
        fixed.append(item)
    return fixed


def _run_queries(
    request: ScanRequest,
    scope: Scope,
    collected: _Collected,
    progress: Progress | None,
    lang: Language,
) -> None:
    """Name and SNMP queries to the live in-scope hosts found so far."""
    live = [ip for ip in collected.live_hosts() if scope.allows(ip)]
    if Source.NAMES in request.sources:
        _emit(progress, ScanEvent("names", total=len(live), hosts=len(live)))
        asked = names.query(scope, live, interface=request.interface, lang=lang)
        collected.observations.extend(asked.observations)
        collected.outcomes.append(asked.outcome)
        collected.probe_log.extend(asked.probes)
    if Source.SNMP in request.sources:
        _emit(progress, ScanEvent("snmp", total=len(live), hosts=len(live)))
        options = request.snmp or SnmpOptions(communities=request.communities)
        communities = list(options.communities)
        read = snmp.read_system(scope, live, communities=communities, v3=options.v3, lang=lang)
        collected.observations.extend(read.observations)
        collected.probe_log.extend(read.probes)
        outcome = read.outcome
        # ``tables: false`` in an SNMP configuration reads the system group only.
        if options.tables:
            # one walk per agent: a router answers on each of its addresses with one engine id
            agents: dict[str, str] = {}
            for o in sorted(read.observations, key=lambda o: int(IPv4Address(o.ip or "0.0.0.0"))):
                if (
                    o.kind is ObservationKind.SNMP_SYSTEM
                    and o.ip
                    and snmp_tables.is_network_gear(o.data)
                ):
                    agents.setdefault(str(o.data.get("snmpEngineID") or o.ip), o.ip)
            gear = list(agents.values())
            devices = list(dict.fromkeys([*gear, *options.devices]))
            if devices:
                _emit(progress, ScanEvent("snmp", total=len(devices), hosts=len(live)))
                tables = snmp_tables.read_tables(scope, devices, options=options, lang=lang)
                collected.observations.extend(tables.observations)
                collected.probe_log.extend(tables.probes)
                collected.add_dropped("out_of_scope", tables.dropped)
                outcome = _joined(outcome, tables.outcome)
        collected.outcomes.append(outcome)


def _joined(system: SourceOutcome, tables: SourceOutcome) -> SourceOutcome:
    """The system group and the tables are one source, ``snmp``: one outcome."""
    errors = [e for e in (system.error, tables.error) if e]
    return SourceOutcome(
        name=Source.SNMP,
        ok=system.ok and tables.ok,
        error="; ".join(errors) if errors else None,
        duration_s=round(system.duration_s + tables.duration_s, 3),
        detail={**system.detail, **tables.detail},
    )


def parse_sources(names: Sequence[str]) -> frozenset[Source]:
    """``--sources arp,nmap`` as enum members; unknown names raise ValueError naming them."""
    chosen: set[Source] = set()
    for raw in names:
        for name in raw.split(","):
            name = name.strip().lower()
            if not name:
                continue
            try:
                chosen.add(Source(name))
            except ValueError:
                known = ", ".join(s.value for s in Source)
                raise ValueError(f"unknown source {name!r} (known: {known})") from None
    return frozenset(chosen)

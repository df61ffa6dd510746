"""The terminal side of ``scopeaudit scan``: live progress and the summary of what was found.

On a terminal the progress is a rich live display (phase, hosts found, addresses swept, time left
in the listening window); otherwise one plain log line per phase, fit for journald and CI logs.
"""

from __future__ import annotations

import time
from ipaddress import IPv4Address
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from scopeaudit.discovery import ScanEvent, ScanRequest
from scopeaudit.i18n import Catalog, render
from scopeaudit.models import Snapshot
from scopeaudit.safetext import inert
from scopeaudit.sources.snmp_tables import port_label
from scopeaudit.taxonomy import Language

TEXT: Catalog = {
    "phase.host": {
        Language.EN: "this machine's interfaces",
        Language.FR: "interfaces de cette machine",
    },
    "phase.arp": {Language.EN: "ARP sweep", Language.FR: "balayage ARP"},
    "phase.nmap": {
        Language.EN: "nmap (routed networks, ports)",
        Language.FR: "nmap (réseaux routés, ports)",
    },
    "phase.banners": {
        Language.EN: "banners of open ports (never print ports)",
        Language.FR: "bannières des ports ouverts (jamais les ports d'impression)",
    },
    "phase.names": {
        Language.EN: "name queries (mDNS, NBNS, SSDP)",
        Language.FR: "requêtes de noms (mDNS, NBNS, SSDP)",
    },
    "phase.snmp": {Language.EN: "SNMP system group", Language.FR: "groupe système SNMP"},
    "phase.passive": {Language.EN: "listening window", Language.FR: "fenêtre d'écoute"},
    "phase.import": {Language.EN: "imported files", Language.FR: "fichiers importés"},
    "phase.merge": {
        Language.EN: "merging and classifying",
        Language.FR: "fusion et classification",
    },
    "line": {
        Language.EN: "scan: {phase}{detail} — {hosts} hosts so far, {elapsed:.1f} s",
        Language.FR: "scan : {phase}{detail} — {hosts} hôtes jusqu'ici, {elapsed:.1f} s",
    },
    "eta": {
        Language.EN: "about {seconds:.0f} s left",
        Language.FR: "environ {seconds:.0f} s restantes",
    },
    "title": {Language.EN: "{count} devices found", Language.FR: "{count} équipements trouvés"},
    "col.id": {Language.EN: "Device", Language.FR: "Équipement"},
    "col.ip": {Language.EN: "IP", Language.FR: "IP"},
    "col.mac": {Language.EN: "MAC", Language.FR: "MAC"},
    "col.name": {Language.EN: "Names", Language.FR: "Noms"},
    "col.vendor": {Language.EN: "Vendor", Language.FR: "Fabricant"},
    "col.category": {Language.EN: "Category", Language.FR: "Catégorie"},
    "sources": {Language.EN: "Sources", Language.FR: "Sources"},
    "ok": {Language.EN: "ok", Language.FR: "ok"},
    "failed": {Language.EN: "failed", Language.FR: "échec"},
    "dropped": {
        Language.EN: "Heard but out of scope, dropped and not kept: {detail}",
        Language.FR: "Entendus hors périmètre, écartés et non conservés : {detail}",
    },
    "random": {Language.EN: "randomized MAC", Language.FR: "MAC aléatoire"},
    "scanner": {Language.EN: "this machine", Language.FR: "cette machine"},
}


def _t(code: str, lang: Language, **params: object) -> str:
    return render(TEXT, code, params, lang)


class ScanProgress:
    """A progress sink for ``run_scan``: a live display on a terminal, log lines otherwise."""

    def __init__(self, console: Console, lang: Language, request: ScanRequest) -> None:
        self.console = console
        self.lang = lang
        self.request = request
        self.started = time.monotonic()
        self.window_end = self.started + request.passive_seconds
        self.live = console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = ""

    def __enter__(self) -> ScanProgress:
        if self.live:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[detail]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("scan", total=None, detail="")
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, event: ScanEvent) -> None:
        """Called by ``run_scan`` for every progress event."""
        phase = (
            _t(f"phase.{event.phase}", self.lang) if f"phase.{event.phase}" in TEXT else event.phase
        )
        left = self.window_end - time.monotonic()
        eta = (
            f", {_t('eta', self.lang, seconds=left)}"
            if self.request.passive_seconds and left > 1
            else ""
        )
        counts = f" {event.done}/{event.total}" if event.done is not None and event.total else ""
        detail = f"{counts}{eta}"
        if self._progress is not None and self._task is not None:
            self._progress.update(
                self._task,
                description=phase,
                total=event.total if event.done is not None else None,
                completed=event.done or 0,
                detail=f"{event.hosts} hosts{eta}"
                if self.lang is Language.EN
                else f"{event.hosts} hôtes{eta}",
            )
            return
        # Plain logs: one line when a phase starts and one when its count completes.
        finished = event.done is not None and event.done == event.total
        key = f"{event.phase}:{'end' if finished else 'start'}"
        if key == self._phase or (event.phase == self._phase.split(":")[0] and not finished):
            return
        self._phase = key
        self.console.print(
            _t(
                "line",
                self.lang,
                phase=phase,
                detail=detail,
                hosts=event.hosts,
                elapsed=time.monotonic() - self.started,
            ),
            markup=False,
            highlight=False,
        )


def _ip_key(text: str) -> int:
    try:
        return int(IPv4Address(text))
    except ValueError:
        return 1 << 33


def scan_summary(console: Console, snapshot: Snapshot, lang: Language) -> None:
    """The devices found, then each source's outcome, then what was dropped as out of scope."""
    table = Table(title=_t("title", lang, count=len(snapshot.devices)), title_justify="left")
    for column in ("col.ip", "col.mac", "col.name", "col.vendor", "col.category", "col.id"):
        table.add_column(_t(column, lang))
    devices = sorted(
        snapshot.devices, key=lambda d: min((_ip_key(i) for i in d.ips), default=1 << 34)
    )
    for device in devices:
        marks = []
        if device.randomized_mac:
            marks.append(_t("random", lang))
        if device.scanner:
            marks.append(_t("scanner", lang))
        category = f"{device.category.value} {device.confidence:.2f}"
        if device.role is not None:
            category += f" ({device.role.value})"
        if device.switch_port is not None:  # SNMP forwarding table (docs/snmp.md)
            marks.append(inert(port_label(device.switch_port, lang), 80))
        table.add_row(
            Text("\n".join(device.ips)),
            Text("\n".join(device.macs) + (f"\n({', '.join(marks)})" if marks else "")),
            Text(inert(", ".join(device.hostnames), 60)),
            Text(inert(device.vendor or "", 30)),
            Text(category),
            Text(device.id),
        )
    # Logs and pipes are not 80 columns wide: keep MACs and names whole there.
    console.print(table, width=None if console.is_terminal else max(console.width, 150))
    console.print(Text(_t("sources", lang), style="bold"))
    for outcome in snapshot.sources:
        state = _t("ok", lang) if outcome.ok else _t("failed", lang)
        line = f"  {outcome.name.value}: {state}, {outcome.duration_s:.1f} s"
        if outcome.error:
            line += f" — {inert(outcome.error, 300)}"
        console.print(Text(line))
    if snapshot.dropped:
        detail = ", ".join(
            f"{reason} {count}" for reason, count in sorted(snapshot.dropped.items())
        )
        console.print(Text(_t("dropped", lang, detail=detail)))

"""One scheduled run (cron or systemd timer): lock, audit, record, diff, reports, alerts, metrics.

``run_agent`` never prints and never exits: it returns an ``AgentOutcome`` whose ``exit_code``
follows DESIGN §6 (0 no drift, 1 drift, 5 another run holds the lock…) and reports progress as
plain log lines through a callback (the CLI writes them to stderr, which journald keeps).
Alerts go out only for NEW drift: a drifting finding that the previous run did not have. The
previous run is remembered only once every alert went out, so a failed alert is retried next
time instead of being lost (``<state_dir>/agent-pending.json``). Secrets are resolved at send
time and never logged.

The run store (``scopeaudit.store``, ``<state_dir>/runs.sqlite`` by default) holds the lock
(exit 5), gives the presence history that makes a long absence definitive, keeps device ids
stable, and records the run; ``scopeaudit.diff.diff_audits`` against the store's previous audit
of the same contract says which drift is new.
"""

from __future__ import annotations

import contextlib
import json
import os
import smtplib
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from scopeaudit import __version__
from scopeaudit.agent_config import AgentConfig, Email, Webhook
from scopeaudit.audit import AuditRequest, run_audit
from scopeaudit.audit_models import AuditResult
from scopeaudit.diff_models import ScopeKind
from scopeaudit.discovery import ScanEvent
from scopeaudit.errors import ExitCode, ScopeauditError, StoreLocked
from scopeaudit.i18n import render, resolve_language
from scopeaudit.models import utc_now
from scopeaudit.reconcile import Presence
from scopeaudit.store import STORE_FILE, RunKind, Store, snapshot_from_result
from scopeaudit.taxonomy import Language, Status

Log = Callable[[str], None]
DRIFT_STATUSES = frozenset({Status.MISMATCH, Status.MISSING, Status.UNEXPECTED, Status.AMBIGUOUS})
PENDING = "agent-pending.json"

_TEXT = {
    "start": {
        Language.EN: "agent run started (scopeaudit {version}, contract {contract})",
        Language.FR: "exécution de l'agent démarrée (scopeaudit {version}, contrat {contract})",
    },
    "locked": {
        Language.EN: "another run holds the lock {path}; stopping",
        Language.FR: "une autre exécution détient le verrou {path} ; arrêt",
    },
    "phase": {
        Language.EN: "scan: {phase} {message}",
        Language.FR: "scan : {phase} {message}",
    },
    "audited": {
        Language.EN: "audit done (run {run}): {devices} devices, drift={drift}, coverage={coverage}, "
        "fee delta={fee}, {new} new drifting finding(s)",
        Language.FR: "audit terminé (passage {run}) : {devices} appareils, dérive={drift}, couverture={coverage}, "
        "écart de redevance={fee}, {new} nouvel(s) écart(s)",
    },
    "new_drift": {
        Language.EN: "new drift: {key}",
        Language.FR: "nouvel écart : {key}",
    },
    "report": {
        Language.EN: "report written: {path}",
        Language.FR: "rapport écrit : {path}",
    },
    "alert_ok": {
        Language.EN: "alert sent by {channel}",
        Language.FR: "alerte envoyée par {channel}",
    },
    "alert_failed": {
        Language.EN: "alert by {channel} failed: {error} (retried next run)",
        Language.FR: "échec de l'alerte par {channel} : {error} (nouvel essai au prochain passage)",
    },
    "no_alert": {
        Language.EN: "no new drift: no alert",
        Language.FR: "pas de nouvel écart : pas d'alerte",
    },
    "metrics": {
        Language.EN: "metrics written: {path}",
        Language.FR: "métriques écrites : {path}",
    },
    "failed": {
        Language.EN: "agent run failed: {error}",
        Language.FR: "échec de l'exécution de l'agent : {error}",
    },
    "done": {
        Language.EN: "agent run finished in {duration:.1f} s, exit {status}",
        Language.FR: "exécution de l'agent terminée en {duration:.1f} s, code {status}",
    },
}


@dataclass(frozen=True)
class AlertOutcome:
    """One alert channel's result; ``error`` never contains a secret."""

    channel: str
    ok: bool
    error: str | None = None


@dataclass
class AgentOutcome:
    """What one agent run did."""

    exit_code: ExitCode
    drift: bool = False
    new_drift: list[str] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    metrics: Path | None = None
    alerts: list[AlertOutcome] = field(default_factory=list)
    duration_s: float = 0.0
    error: str | None = None
    run_id: str | None = None


def _nolog(line: str) -> None:
    return None


def _umask() -> int:
    """The process umask (the unit's ``UMask=``), read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text("ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_atomic(path: Path, data: str | bytes, mode: int = 0o644, *, public: bool = False) -> None:
    """Write ``path`` through a temporary file in its folder and a rename: readers never see
    half a file (node_exporter may read the metrics at any moment). ``mode`` is narrowed by the
    umask as ``open`` would: reports name every device of a client, the unit keeps them 0640.
    ``public`` files (the metrics: counts only) keep ``mode`` so node_exporter's user reads them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode if public else mode & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- history and diff: the run store and scopeaudit.diff ----------------------------------------
def store_path(config: AgentConfig) -> Path:
    return config.store or config.state_dir / STORE_FILE


def _key(status: Status, who: str) -> str:
    return f"{status.value}:{who}"


def drift_keys(result: AuditResult) -> set[str]:
    """Stable keys of an audit's drifting findings: declared items by id, undeclared devices by
    their identity-based id; a provisional ``missing`` is not drift (DESIGN §6)."""
    keys: set[str] = set()
    for finding in result.findings:
        if finding.status not in DRIFT_STATUSES or finding.provisional:
            continue
        if finding.equipment_id is not None:
            keys.add(_key(finding.status, finding.equipment_id))
        elif finding.device_id is not None:
            keys.add(_key(finding.status, finding.device_id))
        else:
            keys.update(_key(finding.status, c.equipment_id) for c in finding.candidates)
    return keys


def new_drift(before: AuditResult | None, after: AuditResult) -> set[str]:
    """Drift in ``after`` that ``before`` did not have, by identity (``diff_audits``)."""
    if before is None:
        return drift_keys(after)
    from scopeaudit.diff import diff_audits

    scope = diff_audits(before, after).scope
    keys: set[str] = set()
    for change in (*scope.newly_unexpected, *scope.newly_missing, *scope.status_changed):
        now = change.after
        if now is None or now not in DRIFT_STATUSES or change.after_provisional:
            continue
        if change.before in DRIFT_STATUSES and not change.before_provisional:
            continue  # already drift, another kind of it: not news
        who = change.equipment_id if change.kind is ScopeKind.EQUIPMENT else change.device_id
        keys.add(_key(now, who or "?"))
    return keys


def previous_audit(store: Store, reference: str) -> AuditResult | None:
    """The newest recorded audit of the same contract."""
    for run in store.runs():
        if run.kind is RunKind.AUDIT and run.contract_reference == reference:
            return store.audit(run.id)
    return None


def _pending(state_dir: Path) -> set[str]:
    """Drift whose alert failed last time: announced again until an alert goes out."""
    try:
        value = json.loads((state_dir / PENDING).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    return {str(k) for k in value} if isinstance(value, list) else set()


def _set_pending(state_dir: Path, keys: set[str]) -> None:
    path = state_dir / PENDING
    if keys:
        write_atomic(path, json.dumps(sorted(keys)), 0o600)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# --- reports -------------------------------------------------------------------------------------
def _render(result: AuditResult, fmt: str, lang: Language) -> str:
    if fmt == "json":
        from scopeaudit.render.audit_json import render_json

        return render_json(result)
    if fmt == "html":
        from scopeaudit.render.html import render_html

        return render_html(result, lang)
    if fmt == "md":
        from scopeaudit.render.audit_markdown import render_markdown

        return render_markdown(result, lang)
    from scopeaudit.render.audit_csv import render_csv

    return render_csv(result, lang)


def stamp(moment: datetime) -> str:
    """``YYYY-MM-DDTHHMMSSZ`` (no colons: safe in every file system)."""
    return moment.strftime("%Y-%m-%dT%H%M%SZ")


def write_reports(
    config: AgentConfig, result: AuditResult, json_text: str, lang: Language
) -> list[Path]:
    """``latest.<fmt>`` and ``<stamp>.<fmt>`` for each format; old dated ones pruned."""
    folder = config.reports
    written: list[Path] = []
    moment = stamp(result.finished_at)
    for fmt in config.formats:
        text = json_text if fmt == "json" else _render(result, fmt, lang)
        for name in (f"{moment}.{fmt}", f"latest.{fmt}"):
            write_atomic(folder / name, text)
            written.append(folder / name)
        if config.keep_reports:
            dated = sorted(p for p in folder.glob(f"*.{fmt}") if p.name[:1].isdigit())
            for old in dated[: -config.keep_reports]:
                with contextlib.suppress(OSError):
                    old.unlink()
    return written


# --- alerts --------------------------------------------------------------------------------------
def send_webhook(
    hook: Webhook, body: str, environ: Mapping[str, str] | None = None
) -> AlertOutcome:
    """POST the audit JSON; any 2xx is success. The token goes only into the header."""
    headers = {"Content-Type": "application/json", "User-Agent": f"scopeaudit/{__version__}"}
    try:
        if hook.token is not None:
            headers["Authorization"] = "Bearer " + hook.token.resolve(environ)
        request = urllib.request.Request(
            hook.url, data=body.encode("utf-8"), headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=hook.timeout_s) as response:
            status = int(response.status)
    except urllib.error.HTTPError as error:
        return AlertOutcome("webhook", False, f"HTTP {error.code}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        return AlertOutcome("webhook", False, _reason(error))
    except ScopeauditError as error:
        return AlertOutcome("webhook", False, str(error))
    if not 200 <= status < 300:
        return AlertOutcome("webhook", False, f"HTTP {status}")
    return AlertOutcome("webhook", True)


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return f"{type(error).__name__}: {reason if reason is not None else error}"


def send_email(
    mail: Email,
    result: AuditResult,
    json_text: str,
    new: list[str],
    lang: Language,
    environ: Mapping[str, str] | None = None,
) -> AlertOutcome:
    """A plain-text mail listing the new drift, the audit JSON attached."""
    reference = result.contract.reference
    message = EmailMessage()
    subject = {
        Language.EN: f"[scopeaudit] {reference}: {len(new)} new drifting finding(s)",
        Language.FR: f"[scopeaudit] {reference} : {len(new)} nouvel(s) écart(s)",
    }[lang]
    message["Subject"] = subject
    message["From"] = mail.sender
    message["To"] = ", ".join(mail.to)
    summary = result.summary
    lines = [subject, "", *(f"- {key}" for key in new), ""]
    lines.append(f"coverage_rate={summary.coverage_rate} fee_delta_total={summary.fee_delta_total}")
    message.set_content("\n".join(lines))
    message.add_attachment(
        json_text.encode("utf-8"),
        maintype="application",
        subtype="json",
        filename=f"scopeaudit-{stamp(result.finished_at)}.json",
    )
    try:
        with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_s) as smtp:
            if mail.starttls:
                smtp.starttls()
            if mail.username is not None and mail.password is not None:
                smtp.login(mail.username, mail.password.resolve(environ))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        return AlertOutcome("email", False, f"{type(error).__name__}: {error}")
    except ScopeauditError as error:
        return AlertOutcome("email", False, str(error))
    return AlertOutcome("email", True)


# --- metrics -------------------------------------------------------------------------------------
def metrics_text(
    result: AuditResult | None,
    *,
    success: bool,
    duration_s: float,
    now: float,
    new_drift: int,
    last_success: float | None,
) -> str:
    """The Prometheus text exposition of one run (``# HELP``/``# TYPE`` then samples)."""
    out: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        out.append(f"# HELP scopeaudit_{name} {help_text}")
        out.append(f"# TYPE scopeaudit_{name} {kind}")
        for labels, value in samples:
            out.append(f"scopeaudit_{name}{labels} {_number(value)}")

    metric("agent_last_run_timestamp_seconds", "gauge", "End of the last agent run.", [("", now)])
    metric("agent_last_run_success", "gauge", "1 when the last run audited.", [("", int(success))])
    if last_success is not None:
        metric(
            "agent_last_success_timestamp_seconds",
            "gauge",
            "End of the last successful agent run.",
            [("", last_success)],
        )
    metric("agent_duration_seconds", "gauge", "Duration of the last run.", [("", duration_s)])
    if result is not None:
        summary = result.summary
        reference = result.contract.reference.replace("\\", "\\\\").replace('"', '\\"')
        ref = f'contract="{reference}"'
        metric("drift", "gauge", "1 when the perimeter drifted.", [(f"{{{ref}}}", summary.drift)])
        metric(
            "new_drift_findings",
            "gauge",
            "Drifting findings the previous run did not have.",
            [(f"{{{ref}}}", new_drift)],
        )
        if summary.coverage_rate is not None:
            metric(
                "coverage_rate",
                "gauge",
                "(matched + mismatch) / (declared - not_verifiable).",
                [(f"{{{ref}}}", summary.coverage_rate)],
            )
        metric(
            "findings",
            "gauge",
            "Findings per status.",
            [(f'{{{ref},status="{s.value}"}}', summary.by_status.get(s, 0)) for s in Status],
        )
        metric(
            "fee_delta",
            "gauge",
            "Fee change per billing period if the contract followed the network.",
            [(f"{{{ref}}}", float(summary.fee_delta_total))],
        )
        metric("devices", "gauge", "Devices seen.", [(f"{{{ref}}}", len(result.devices))])
    return "\n".join(out) + "\n"


def _number(value: float) -> str:
    """Integers as integers, floats at full precision (a timestamp must keep its seconds)."""
    if isinstance(value, bool | int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def _last_success(path: Path) -> float | None:
    """The last success time already in the metrics file, kept across failed runs."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("scopeaudit_agent_last_success_timestamp_seconds "):
            with contextlib.suppress(ValueError):
                return float(line.split()[1])
    return None


# --- the run -------------------------------------------------------------------------------------
def _request(
    config: AgentConfig, presence: Mapping[str, Presence], save: Path | None
) -> AuditRequest:
    request = AuditRequest(
        contract=config.contract,
        snapshots=tuple(config.snapshots),
        decisions=config.decisions,
        lang=config.lang,
        presence=presence,
        interface=config.interface,
        save_snapshot=save,
        passive_seconds=config.passive_seconds,
    )
    if config.snmp.communities or config.snmp.v3 or config.snmp.devices:
        # Resolved only now, from their files or environment variables; never logged.
        snmp = config.snmp.resolve()
        request = replace(request, communities=snmp.communities, snmp=snmp)
    return request


def run_agent(
    config: AgentConfig,
    log: Log = _nolog,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AgentOutcome:
    """One scheduled run. ``StoreLocked`` (exit 5) when another run holds the store; other
    ``ScopeauditError``s come back as the outcome's ``error`` and ``exit_code`` (metrics say
    the run failed, so a broken agent is noticed)."""
    lang = resolve_language(config.lang, None, environ)
    say: Callable[..., None] = lambda code, **p: log(render(_TEXT, code, p, lang))  # noqa: E731
    started = time.monotonic()
    say("start", version=__version__, contract=config.contract)
    path = store_path(config)
    try:
        with Store.open(path) as store:
            try:
                audited = _audit(config, store, say, clock)
            except StoreLocked:
                raise
            except ScopeauditError as error:
                return _failed(config, say, error, started, clock)
            outcome = _report(config, audited, say, environ, started, clock)
    except StoreLocked:
        say("locked", path=path)
        raise
    except ScopeauditError as error:  # the store itself cannot be opened
        return _failed(config, say, error, started, clock)
    say("done", duration=outcome.duration_s, status=int(outcome.exit_code))
    return outcome


def _failed(
    config: AgentConfig,
    say: Callable[..., None],
    error: ScopeauditError,
    started: float,
    clock: Callable[[], datetime],
) -> AgentOutcome:
    text = " / ".join(error.lines())
    say("failed", error=text)
    duration = time.monotonic() - started
    path = config.metrics.textfile
    if path is not None:
        write_atomic(
            path,
            metrics_text(
                None,
                success=False,
                duration_s=duration,
                now=clock().timestamp(),
                new_drift=0,
                last_success=_last_success(path),
            ),
            public=True,
        )
    say("done", duration=duration, status=int(error.exit_code))
    return AgentOutcome(error.exit_code, duration_s=duration, error=text, metrics=path)


@dataclass(frozen=True)
class _Audited:
    result: AuditResult
    new: list[str]
    run_id: str


def _audit(
    config: AgentConfig, store: Store, say: Callable[..., None], clock: Callable[[], datetime]
) -> _Audited:
    """Audit with the store's presence history, record the run, diff with the previous one."""
    from scopeaudit.contract import load_contract
    from scopeaudit.snapshot import read_snapshot

    declared = load_contract(config.contract, config.lang)
    presence = store.presence(declared.reference, [e.id for e in declared.equipment])

    def progress(event: ScanEvent) -> None:
        if event.done is None or event.done == event.total:
            say("phase", phase=event.phase, message=event.message)

    with tempfile.TemporaryDirectory(prefix="scopeaudit-agent-") as folder:
        save = None if config.snapshots else Path(folder) / "scan.json"
        result = run_audit(_request(config, presence, save), progress, clock=clock)
        read = [read_snapshot(p) for p in (config.snapshots or ([save] if save else []))]
    result = store.stabilize_audit(result)
    before = previous_audit(store, result.contract.reference)
    dropped: dict[str, int] = {}
    for one in read:
        for reason, count in one.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + count
    kept = snapshot_from_result(result, read[0].scope if read else None, dropped)
    run_id = store.record_audit(result, kept, config.contract, result.contract.sha256)
    if config.keep_runs is not None or config.keep_days is not None:
        store.prune(config.keep_runs, config.keep_days)
    new = new_drift(before, result) | (_pending(config.state_dir) & drift_keys(result))
    return _Audited(result, sorted(new), run_id)


def _report(
    config: AgentConfig,
    audited: _Audited,
    say: Callable[..., None],
    environ: Mapping[str, str] | None,
    started: float,
    clock: Callable[[], datetime],
) -> AgentOutcome:
    """Reports, alerts on new drift, metrics."""
    result, new = audited.result, audited.new
    lang = result.language
    from scopeaudit.render.audit_json import render_json

    json_text = render_json(result)
    summary = result.summary
    say(
        "audited",
        run=audited.run_id,
        devices=len(result.devices),
        drift=summary.drift,
        coverage=summary.coverage_rate,
        fee=summary.fee_delta_total,
        new=len(new),
    )
    for key in new:
        say("new_drift", key=key)
    reports = write_reports(config, result, json_text, lang)
    for path in reports:
        if path.name.startswith("latest."):
            say("report", path=path)

    alerts: list[AlertOutcome] = []
    if new:
        if config.alerts.webhook is not None:
            alerts.append(send_webhook(config.alerts.webhook, json_text, environ))
        if config.alerts.email is not None:
            alerts.append(send_email(config.alerts.email, result, json_text, new, lang, environ))
        for alert in alerts:
            if alert.ok:
                say("alert_ok", channel=alert.channel)
            else:
                say("alert_failed", channel=alert.channel, error=alert.error)
    else:
        say("no_alert")
    _set_pending(config.state_dir, set() if all(a.ok for a in alerts) else set(new))

    duration = time.monotonic() - started
    metrics_path = config.metrics.textfile
    if metrics_path is not None:
        now = clock().timestamp()
        write_atomic(
            metrics_path,
            metrics_text(
                result,
                success=True,
                duration_s=duration,
                now=now,
                new_drift=len(new),
                last_success=now,
            ),
            public=True,
        )
        say("metrics", path=metrics_path)
    return AgentOutcome(
        ExitCode.FINDINGS if summary.drift else ExitCode.OK,
        drift=summary.drift,
        new_drift=new,
        reports=reports,
        metrics=metrics_path,
        alerts=alerts,
        duration_s=duration,
        run_id=audited.run_id,
    )

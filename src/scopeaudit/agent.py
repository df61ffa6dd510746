"""One scheduled run (cron or systemd timer): lock, audit, record, diff, reports, alerts, metrics.

``run_agent`` never prints and never exits: it returns an ``AgentOutcome`` whose ``exit_code``
follows DESIGN §6 (0 no drift, 1 drift, 5 another run holds the lock…) and reports progress as
plain log lines through a callback (the CLI writes them to stderr, which journald keeps).
Alerts go out only for NEW drift: a drifting finding that the previous run did not have. The
previous run is remembered only once every alert went out, so a failed alert is retried next
time instead of being lost. Secrets are resolved at send time and never logged.

History and diff belong to ``scopeaudit.store`` / ``scopeaudit.diff`` (issue 7); until they
land, ``_previous``/``_remember``/``_new_drift`` below are the one place that keeps the last
audit (``<state_dir>/agent-last.json``) and compares with it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import smtplib
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from scopeaudit import __version__
from scopeaudit.agent_config import AgentConfig, Email, Webhook
from scopeaudit.audit import AuditRequest, run_audit
from scopeaudit.audit_models import AuditResult
from scopeaudit.discovery import ScanEvent
from scopeaudit.errors import ExitCode, ScopeauditError, StoreLocked
from scopeaudit.i18n import render, resolve_language
from scopeaudit.models import utc_now
from scopeaudit.taxonomy import Language, Status

Log = Callable[[str], None]
DRIFT_STATUSES = frozenset({Status.MISMATCH, Status.MISSING, Status.UNEXPECTED, Status.AMBIGUOUS})
LAST_RUN = "agent-last.json"
LOCK = "agent.lock"

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
        Language.EN: "audit done: {devices} devices, drift={drift}, coverage={coverage}, "
        "fee delta={fee}, {new} new drifting finding(s)",
        Language.FR: "audit terminé : {devices} appareils, dérive={drift}, couverture={coverage}, "
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


def _nolog(line: str) -> None:
    return None


@contextlib.contextmanager
def agent_lock(state_dir: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on ``<state_dir>/agent.lock``; held: ``StoreLocked``.

    flock is released by the kernel when the process dies, so a killed run never leaves a stale
    lock behind.
    """
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreLocked(str(path)) from None
        yield
    finally:
        os.close(fd)


def write_atomic(path: Path, data: str | bytes, mode: int = 0o644) -> None:
    """Write ``path`` through a temporary file in its folder and a rename: readers never see
    half a file (node_exporter may read the metrics at any moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(raw)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --- history and diff (one place; scopeaudit.store / scopeaudit.diff take over here) -------------
def drift_keys(findings: list[dict[str, Any]]) -> set[str]:
    """Stable keys of the drifting findings of an audit JSON document.

    Declared items by their id, unexpected devices by their identity-based device id; a
    provisional ``missing`` is not drift (DESIGN §6).
    """
    keys: set[str] = set()
    for finding in findings:
        status = finding.get("status")
        if status not in {s.value for s in DRIFT_STATUSES} or finding.get("provisional"):
            continue
        who = finding.get("equipment_id") or finding.get("device_id")
        if who is None:
            who = ",".join(sorted(str(c.get("device_id")) for c in finding.get("candidates", [])))
        keys.add(f"{status}:{who}")
    return keys


def _previous(state_dir: Path) -> dict[str, Any] | None:
    try:
        value = json.loads((state_dir / LAST_RUN).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _remember(state_dir: Path, document: dict[str, Any]) -> None:
    write_atomic(state_dir / LAST_RUN, json.dumps(document, ensure_ascii=False), 0o600)


def _new_drift(previous: dict[str, Any] | None, document: dict[str, Any]) -> list[str]:
    before = drift_keys(previous.get("findings", [])) if previous else set()
    return sorted(drift_keys(document.get("findings", [])) - before)


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
def _request(config: AgentConfig, lang: Language | None) -> AuditRequest:
    request = AuditRequest(
        contract=config.contract,
        snapshots=tuple(config.snapshots),
        decisions=config.decisions,
        lang=lang,
        interface=config.interface,
    )
    # SNMP communities reach the scan once AuditRequest carries them (resolved only then).
    names = AuditRequest.__dataclass_fields__
    if config.snmp.communities and "communities" in names:
        secrets = tuple(c.ref.resolve() for c in config.snmp.communities)
        request = replace(request, communities=secrets)  # type: ignore[call-arg,unused-ignore]
    return request


def run_agent(
    config: AgentConfig,
    log: Log = _nolog,
    *,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> AgentOutcome:
    """One scheduled run. ``StoreLocked`` (exit 5) when another run holds the lock; other
    ``ScopeauditError``s come back as the outcome's ``error`` and ``exit_code`` (metrics say
    the run failed, so a broken agent is noticed)."""
    lang = resolve_language(config.lang, None, environ)
    say: Callable[..., None] = lambda code, **p: log(render(_TEXT, code, p, lang))  # noqa: E731
    started = time.monotonic()
    try:
        with agent_lock(config.state_dir):
            outcome = _locked_run(config, say, lang, environ, started, clock)
    except StoreLocked:
        say("locked", path=config.state_dir / LOCK)
        raise
    say("done", duration=outcome.duration_s, status=int(outcome.exit_code))
    return outcome


def _locked_run(
    config: AgentConfig,
    say: Callable[..., None],
    lang: Language,
    environ: Mapping[str, str] | None,
    started: float,
    clock: Callable[[], datetime],
) -> AgentOutcome:
    say("start", version=__version__, contract=config.contract)
    metrics_path = config.metrics.textfile

    def progress(event: ScanEvent) -> None:
        if event.done is None or event.done == event.total:
            say("phase", phase=event.phase, message=event.message)

    try:
        result = run_audit(_request(config, config.lang), progress, clock=clock)
    except ScopeauditError as error:
        text = " / ".join(error.lines())
        say("failed", error=text)
        duration = time.monotonic() - started
        if metrics_path is not None:
            write_atomic(
                metrics_path,
                metrics_text(
                    None,
                    success=False,
                    duration_s=duration,
                    now=clock().timestamp(),
                    new_drift=0,
                    last_success=_last_success(metrics_path),
                ),
            )
        return AgentOutcome(error.exit_code, duration_s=duration, error=text, metrics=metrics_path)

    lang = result.language
    from scopeaudit.render.audit_json import render_json

    json_text = render_json(result)
    document = json.loads(json_text)
    new = _new_drift(_previous(config.state_dir), document)
    summary = result.summary
    say(
        "audited",
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
    if all(a.ok for a in alerts):
        _remember(config.state_dir, document)

    duration = time.monotonic() - started
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
    )

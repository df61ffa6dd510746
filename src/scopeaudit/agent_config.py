"""The scheduled agent's configuration file (``agent.yaml``): model, loading, secret references.

Read like the contract (``scopeaudit.contract.yamltree``: no implicit typing, hostile-file limits)
and validated by pydantic, so every mistake is one ``FILE:LINE:COLUMN: path: message`` line.
Secrets (webhook token, SMTP password, SNMP communities) are never written in the file itself:
only a reference, ``*_file:`` (a file holding the secret) or ``*_env:`` (an environment variable),
resolved at run time so they never reach a log, a report or the store (``SecretRef``, shared
with ``--snmp-config``, lives in ``scopeaudit.snmp_config``).
Relative paths are relative to the configuration file's folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scopeaudit.classify.yamlfile import read_tree, validate
from scopeaudit.snmp_config import SecretRef, SnmpConfig
from scopeaudit.taxonomy import Language

DEFAULT_STATE_DIR = Path("/var/lib/scopeaudit")
ReportFormat = Literal["json", "html", "md", "csv"]
_DEFAULT_FORMATS: list[ReportFormat] = ["json", "html"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _secret(file: Path | None, env: str | None) -> SecretRef | None:
    return None if file is None and env is None else SecretRef(file=file, env=env)


class Webhook(_Model):
    """POST of the audit JSON when new drift appears, with ``Authorization: Bearer <token>``."""

    url: str = Field(pattern=r"^https?://")
    token_file: Path | None = None
    token_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=300)

    @model_validator(mode="after")
    def _at_most_one(self) -> Webhook:
        if self.token_file is not None and self.token_env is not None:
            raise ValueError("give token_file or token_env, not both")
        return self

    @property
    def token(self) -> SecretRef | None:
        return _secret(self.token_file, self.token_env)


class Email(_Model):
    """A mail through an SMTP relay when new drift appears (smtplib)."""

    host: str = Field(min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    starttls: bool = False
    sender: str = Field(alias="from", min_length=3)
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password_file: Path | None = None
    password_env: str | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=300)

    @model_validator(mode="after")
    def _login(self) -> Email:
        if self.password_file is not None and self.password_env is not None:
            raise ValueError("give password_file or password_env, not both")
        has_password = self.password_file is not None or self.password_env is not None
        if self.username is not None and not has_password:
            raise ValueError("username needs password_file or password_env")
        if self.username is None and has_password:
            raise ValueError("password_file or password_env needs username")
        return self

    @property
    def password(self) -> SecretRef | None:
        return _secret(self.password_file, self.password_env)


class Alerts(_Model):
    webhook: Webhook | None = None
    email: Email | None = None


class Metrics(_Model):
    """Prometheus textfile (node_exporter's textfile collector reads ``*.prom`` files)."""

    textfile: Path | None = None


# The ``snmp:`` section is the shape ``--snmp-config`` reads too (scopeaudit.snmp_config).
Community = SecretRef
Snmp = SnmpConfig


class AgentConfig(_Model):
    """``agent.yaml``, format 1."""

    format: int = 1
    contract: Path
    decisions: Path | None = None
    state_dir: Path = DEFAULT_STATE_DIR
    store: Path | None = None  # the run store; default: <state_dir>/runs.sqlite
    keep_runs: int | None = Field(default=None, ge=1)  # store retention; default: keep all
    keep_days: float | None = Field(default=None, gt=0)
    reports_dir: Path | None = None  # default: <state_dir>/reports
    formats: list[ReportFormat] = Field(default_factory=lambda: _DEFAULT_FORMATS.copy())
    keep_reports: int = Field(default=90, ge=0)  # dated reports of each format kept; 0 = all
    lang: Language | None = None
    interface: str | None = None
    # Listening window of each scan: longer than a technician's 20 s (DESIGN §7), since sleeping
    # laptops and tablets announce themselves rarely.
    passive_seconds: float = Field(default=120.0, ge=0, le=3600)
    snapshots: list[Path] = Field(default_factory=list)  # reconcile these instead of scanning
    snmp: Snmp = Field(default_factory=Snmp)
    alerts: Alerts = Field(default_factory=Alerts)
    metrics: Metrics = Field(default_factory=Metrics)

    @field_validator("format")
    @classmethod
    def _format(cls, value: int) -> int:
        if value != 1:
            raise ValueError("unknown format; this version reads format 1")
        return value

    @property
    def reports(self) -> Path:
        return self.reports_dir or self.state_dir / "reports"

    def resolved(self, base: Path) -> AgentConfig:
        """Every relative path made relative to ``base`` (the configuration file's folder)."""

        def fix(path: Path | None) -> Path | None:
            return None if path is None or path.is_absolute() else base / path

        def fixed(model: _Model, *names: str) -> dict[str, Path]:
            out: dict[str, Path] = {}
            for name in names:
                new = fix(getattr(model, name))
                if new is not None:
                    out[name] = new
            return out

        alerts = self.alerts
        if alerts.webhook is not None:
            alerts = alerts.model_copy(
                update={
                    "webhook": alerts.webhook.model_copy(update=fixed(alerts.webhook, "token_file"))
                }
            )
        if alerts.email is not None:
            alerts = alerts.model_copy(
                update={
                    "email": alerts.email.model_copy(update=fixed(alerts.email, "password_file"))
                }
            )
        snmp = self.snmp.relative_to(base)
        update: dict[str, object] = dict(
            fixed(self, "contract", "decisions", "state_dir", "reports_dir", "store")
        )
        update["snapshots"] = [p if p.is_absolute() else base / p for p in self.snapshots]
        update["alerts"] = alerts
        update["snmp"] = snmp
        update["metrics"] = self.metrics.model_copy(update=fixed(self.metrics, "textfile"))
        return self.model_copy(update=update)


def load_agent_config(path: Path, lang: Language = Language.EN) -> AgentConfig:
    """``agent.yaml`` validated, relative paths resolved; problems raise ``ValidationFailed``."""
    tree = read_tree(path, lang)
    config = validate(AgentConfig, tree, path)
    return config.resolved(path.resolve().parent)

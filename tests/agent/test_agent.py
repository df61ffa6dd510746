"""``scopeaudit agent run`` on a recorded snapshot: reports, metrics, alerts to real servers.

The webhook goes to a real ``http.server`` and the mail to a real SMTP server, both on
127.0.0.1; the CLI runs as a subprocess with stdin from /dev/null, as a timer would start it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scopeaudit.errors import ExitCode
from scopeaudit.snapshot import read_snapshot, write_snapshot
from scopeaudit.store import Store

from . import sinks

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"
SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
TOKEN = "s3cr3t-t0ken-h14"


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Path, int, int, object]]:
    out = tmp_path / "received.jsonl"
    web = sinks.http_server(out)
    mail = sinks.smtp_server(out)
    sinks.start(web)
    sinks.start(mail)
    try:
        yield out, web.server_address[1], mail.server_address[1], web
    finally:
        web.shutdown()
        mail.shutdown()
        web.server_close()
        mail.server_close()


def write_config(folder: Path, http_port: int, smtp_port: int) -> Path:
    (folder / "webhook.token").write_text(TOKEN + "\n", encoding="utf-8")
    config = folder / "agent.yaml"
    config.write_text(
        f"""format: 1
contract: {DEMO}
snapshots: [{SNAPSHOT}]
state_dir: state
formats: [json, html, md]
lang: en
alerts:
  webhook:
    url: http://127.0.0.1:{http_port}/hook
    token_file: webhook.token
  email:
    host: 127.0.0.1
    port: {smtp_port}
    from: agent@client.example
    to: [noc@provider.example]
metrics:
  textfile: metrics/scopeaudit.prom
""",
        encoding="utf-8",
    )
    return config


def agent(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scopeaudit", "agent", "run", "--config", str(config)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "SCOPEAUDIT_WEBHOOK_TOKEN"},
    )


def metrics(path: Path) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


def test_first_run_alerts_once_second_run_stays_quiet(
    tmp_path: Path, servers: tuple[Path, int, int, object]
) -> None:
    out, http_port, smtp_port, _ = servers
    config = write_config(tmp_path, http_port, smtp_port)

    first = agent(config)
    assert first.returncode == ExitCode.FINDINGS, first.stderr
    got = sinks.received(out)
    assert [r["kind"] for r in got] == ["webhook", "email"]
    hook = got[0]
    assert hook["path"] == "/hook"
    assert hook["headers"]["Authorization"] == f"Bearer {TOKEN}"
    document = json.loads(hook["body"])
    assert document["schema"] == "scopeaudit.audit/1"
    drifting = sorted(
        f["status"]
        for f in document["findings"]
        if f["status"] in ("mismatch", "unexpected", "missing", "ambiguous")
        and not f["provisional"]
    )
    assert drifting == ["mismatch", "unexpected", "unexpected"]
    assert "new drift: mismatch:HQ-NAS-01" in first.stderr
    assert "3 new drifting finding(s)" in got[1]["data"]
    assert got[1]["rcpt"] == ["<noc@provider.example>"]

    reports = tmp_path / "state" / "reports"
    names = sorted(p.name for p in reports.iterdir())
    assert {"latest.json", "latest.html", "latest.md"} <= set(names)
    dated = [n for n in names if n[0].isdigit()]
    assert len(dated) == 3 and all(n[:4].isdigit() and "T" in n and "Z." in n for n in dated)
    assert json.loads((reports / "latest.json").read_text("utf-8")) == document

    values = metrics(tmp_path / "metrics" / "scopeaudit.prom")
    ref = 'contract="DEMO-2026-001"'
    assert values["scopeaudit_agent_last_run_success"] == 1
    assert values[f"scopeaudit_drift{{{ref}}}"] == 1
    assert values[f"scopeaudit_new_drift_findings{{{ref}}}"] == 3
    assert values[f"scopeaudit_fee_delta{{{ref}}}"] == -66
    assert values[f'scopeaudit_findings{{{ref},status="unexpected"}}'] == 2
    assert values[f"scopeaudit_coverage_rate{{{ref}}}"] == pytest.approx(17 / 18, abs=1e-4)
    assert values["scopeaudit_agent_last_success_timestamp_seconds"] > 1.7e9

    second = agent(config)
    assert second.returncode == ExitCode.FINDINGS, second.stderr
    assert len(sinks.received(out)) == 2  # nothing new: no alert
    assert "no new drift" in second.stderr
    again = metrics(tmp_path / "metrics" / "scopeaudit.prom")
    assert again[f"scopeaudit_new_drift_findings{{{ref}}}"] == 0

    # the token is never logged nor written anywhere but the request header
    for text in (first.stderr, first.stdout, second.stderr):
        assert TOKEN not in text
    for path in (tmp_path / "state").rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


def test_failed_alert_is_retried_next_run(
    tmp_path: Path, servers: tuple[Path, int, int, object]
) -> None:
    out, http_port, smtp_port, web = servers
    config = write_config(tmp_path, http_port, smtp_port)
    web.status = 500  # type: ignore[attr-defined]
    first = agent(config)
    assert first.returncode == ExitCode.FINDINGS, first.stderr
    assert "alert by webhook failed: HTTP 500" in first.stderr
    web.status = 200  # type: ignore[attr-defined]
    second = agent(config)
    kinds = [r["kind"] for r in sinks.received(out)]
    assert kinds == ["webhook", "email", "webhook", "email"]  # the drift was not forgotten
    assert "alert sent by webhook" in second.stderr
    third = agent(config)  # HQ-PC-03 unseen for three runs: now definitively missing
    news = [line for line in third.stderr.splitlines() if line.startswith("new drift: ")]
    assert news == ["new drift: missing:HQ-PC-03"], third.stderr
    assert len(sinks.received(out)) == 6
    fourth = agent(config)
    assert len(sinks.received(out)) == 6 and "no new drift" in fourth.stderr, fourth.stderr


def test_missing_token_env_fails_the_alert_not_the_run(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"contract: {DEMO}\nsnapshots: [{SNAPSHOT}]\nstate_dir: state\nalerts:\n"
        "  webhook: {url: 'http://127.0.0.1:9/x', token_env: SCOPEAUDIT_WEBHOOK_TOKEN}\n",
        encoding="utf-8",
    )
    done = agent(config)
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert "SCOPEAUDIT_WEBHOOK_TOKEN is not set" in done.stderr
    assert (tmp_path / "state" / "reports" / "latest.json").is_file()
    pending = json.loads((tmp_path / "state" / "agent-pending.json").read_text("utf-8"))
    assert "mismatch:HQ-NAS-01" in pending  # announced again at the next run


def test_a_second_concurrent_run_exits_5(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"contract: {DEMO}\nsnapshots: [{SNAPSHOT}]\nstate_dir: state\n", encoding="utf-8"
    )
    with Store.open(tmp_path / "state" / "runs.sqlite"):  # a technician's audit on the same store
        done = agent(config)
    assert done.returncode == ExitCode.LOCKED, done.stderr
    assert "another run holds the lock" in done.stderr
    assert not (tmp_path / "state" / "reports").exists()
    assert agent(config).returncode == ExitCode.FINDINGS  # released: the next run works


def test_a_failed_audit_keeps_the_last_success_time(tmp_path: Path) -> None:
    config = tmp_path / "agent.yaml"
    body = f"snapshots: [{SNAPSHOT}]\nstate_dir: state\nmetrics: {{textfile: m.prom}}\n"
    config.write_text(f"contract: {DEMO}\n" + body, encoding="utf-8")
    assert agent(config).returncode == ExitCode.FINDINGS
    success = metrics(tmp_path / "m.prom")["scopeaudit_agent_last_success_timestamp_seconds"]
    config.write_text(f"contract: {tmp_path / 'gone.yaml'}\n" + body, encoding="utf-8")
    failed = agent(config)
    assert failed.returncode == ExitCode.BAD_INPUT, failed.stderr
    assert "agent run failed" in failed.stderr
    values = metrics(tmp_path / "m.prom")
    assert values["scopeaudit_agent_last_run_success"] == 0
    assert values["scopeaudit_agent_last_success_timestamp_seconds"] == success


def test_only_the_drift_new_since_the_previous_run_is_announced(
    tmp_path: Path, servers: tuple[Path, int, int, object]
) -> None:
    out, http_port, smtp_port, _ = servers
    full = read_snapshot(SNAPSHOT)
    camera = [d for d in full.devices if "10.77.0.64" in d.ips]
    assert len(camera) == 1
    without = full.model_copy(
        update={"devices": [d for d in full.devices if d not in camera], "fingerprint": None}
    )
    reduced = write_snapshot(without, tmp_path / "without-camera.json")
    config = write_config(tmp_path, http_port, smtp_port)
    text = config.read_text("utf-8")
    config.write_text(text.replace(str(SNAPSHOT), str(reduced)), encoding="utf-8")
    first = agent(config)
    assert first.returncode == ExitCode.FINDINGS, first.stderr
    assert len(sinks.received(out)) == 2
    config.write_text(text, encoding="utf-8")  # the camera appears
    second = agent(config)
    assert second.returncode == ExitCode.FINDINGS, second.stderr
    got = sinks.received(out)
    assert [r["kind"] for r in got] == ["webhook", "email", "webhook", "email"]
    assert "1 new drifting finding(s)" in got[3]["data"]
    news = [line for line in second.stderr.splitlines() if line.startswith("new drift: ")]
    assert news == [f"new drift: unexpected:{camera[0].id}"], second.stderr
    with Store.open(tmp_path / "state" / "runs.sqlite", lock=False) as store:
        runs = store.runs()
        assert [r.kind.value for r in runs] == ["audit", "audit"]
        assert store.integrity() == "ok"


def test_log_lines_exist_in_french_and_english(tmp_path: Path) -> None:
    from scopeaudit.agent import _TEXT
    from scopeaudit.taxonomy import Language

    assert all(set(texts) == set(Language) for texts in _TEXT.values())
    config = tmp_path / "agent.yaml"
    config.write_text(
        f"contract: {DEMO}\nsnapshots: [{SNAPSHOT}]\nstate_dir: state\nlang: fr\n",
        encoding="utf-8",
    )
    done = agent(config)
    assert done.returncode == ExitCode.FINDINGS, done.stderr
    assert "audit terminé (passage " in done.stderr
    assert "nouvel écart : mismatch:HQ-NAS-01" in done.stderr
    assert "rapport écrit : " in done.stderr

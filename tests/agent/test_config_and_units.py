"""agent.yaml validation (located errors, secrets by reference) and the agent/ files themselves:
``systemd-analyze verify`` on the units, the hardening the issue asks for, install.sh twice."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from scopeaudit.agent_config import load_agent_config
from scopeaudit.errors import InputError, ValidationFailed

REPO = Path(__file__).resolve().parents[2]
AGENT = REPO / "agent"
EXEC_START = "/opt/scopeaudit/.venv/bin/scopeaudit agent run --config /etc/scopeaudit/agent.yaml"


def unit_values(path: Path) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            values.setdefault(key, []).append(value)
    return values


def test_the_example_config_loads_with_paths_as_written() -> None:
    config = load_agent_config(AGENT / "agent.yaml")
    assert config.contract == Path("/etc/scopeaudit/contract.yaml")
    assert config.state_dir == Path("/var/lib/scopeaudit")
    assert config.reports == Path("/var/lib/scopeaudit/reports")
    assert config.metrics.textfile == Path("/var/lib/scopeaudit/metrics/scopeaudit.prom")
    assert config.formats == ["json", "html"]


def test_every_commented_option_of_the_example_is_valid(tmp_path: Path) -> None:
    lines = (AGENT / "agent.yaml").read_text(encoding="utf-8").splitlines()
    # uncomment the option lines (``# key: value``, also indented), not the prose around them
    option = re.compile(r"^(\s*)# (\s*(?:[a-z_]+:|- ).*)$")
    opened = [option.sub(r"\1\2", line) for line in lines]
    text = "\n".join(opened).replace("# or token_env: SCOPEAUDIT_WEBHOOK_TOKEN", "")
    text = text.replace("# or password_env: SCOPEAUDIT_SMTP_PASSWORD", "")
    path = tmp_path / "agent.yaml"
    path.write_text(text, encoding="utf-8")
    config = load_agent_config(path)
    assert config.alerts.webhook is not None and config.alerts.email is not None
    assert config.alerts.email.sender == "scopeaudit@client.example"
    assert [c.file or c.env for c in config.snmp.communities] == [
        Path("/etc/scopeaudit/snmp-community"),
        "SCOPEAUDIT_SNMP_COMMUNITY",
    ]


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ("contract: c.yaml\ncolour: red\n", ":2:1: colour: unknown key"),
        ("state_dir: /x\n", ":1:1: contract: required key is missing"),
        ("contract: c.yaml\nformat: 2\n", ":2:9: format: unknown format"),
        ("contract: c.yaml\nformats: [json, pdf]\n", ":2:17: formats[1]:"),
        (
            "contract: c.yaml\nalerts:\n  webhook: {url: 'ftp://x', token_env: T}\n",
            ":3:18: alerts.webhook.url:",
        ),
        (
            "contract: c.yaml\nalerts:\n  webhook:\n    url: http://x\n    token: abc\n",
            ":5:5: alerts.webhook.token: unknown key",
        ),
        (
            "contract: c.yaml\nalerts:\n  webhook: {url: 'http://x', token_file: a, token_env: B}\n",
            "alerts.webhook: give token_file or token_env, not both",
        ),
        (
            "contract: c.yaml\nsnmp:\n  communities: [{community: public}]\n",
            "snmp.communities[0].community: unknown key",
        ),
        ("contract: c.yaml\nkeep_reports: -1\n", ":2:15: keep_reports:"),
    ],
)
def test_mistakes_are_located(tmp_path: Path, body: str, where: str) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        load_agent_config(path)
    assert any(where in line for line in caught.value.lines()), caught.value.lines()
    assert all(line.startswith(str(path) + ":") for line in caught.value.lines())


def test_secrets_resolve_by_reference_only(tmp_path: Path) -> None:
    (tmp_path / "tok").write_text("abc\n", encoding="utf-8")
    path = tmp_path / "agent.yaml"
    path.write_text(
        "contract: c.yaml\nalerts:\n  webhook: {url: 'http://x', token_file: tok}\n"
        "  email: {host: h, from: a@b.c, to: [x@y.z], username: u, password_env: PW}\n",
        encoding="utf-8",
    )
    config = load_agent_config(path)
    assert config.contract == tmp_path / "c.yaml"
    hook, mail = config.alerts.webhook, config.alerts.email
    assert hook is not None and hook.token is not None and mail is not None
    assert hook.token.resolve() == "abc"
    assert mail.password is not None and mail.password.resolve({"PW": "pw"}) == "pw"
    with pytest.raises(InputError, match="PW is not set"):
        mail.password.resolve({})


def test_cli_gives_one_line_per_problem_and_exit_3(tmp_path: Path) -> None:
    path = tmp_path / "agent.yaml"
    path.write_text("contract: c.yaml\nbogus: 1\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "scopeaudit", "agent", "run", "--config", str(path)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 3
    assert done.stderr.strip() == f"{path}:2:1: bogus: unknown key"
    missing = subprocess.run(
        [sys.executable, "-m", "scopeaudit", "agent", "run", "--config", str(tmp_path / "no")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert missing.returncode == 3 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_service_is_hardened_as_asked() -> None:
    unit = unit_values(AGENT / "scopeaudit-agent.service")
    assert unit["ExecStart"] == [EXEC_START]
    assert unit["User"] == ["scopeaudit"]
    assert unit["AmbientCapabilities"] == ["CAP_NET_RAW CAP_NET_ADMIN"]
    assert unit["CapabilityBoundingSet"] == ["CAP_NET_RAW CAP_NET_ADMIN"]
    assert unit["NoNewPrivileges"] == ["yes"]
    assert unit["ProtectSystem"] == ["strict"]
    assert unit["ReadWritePaths"] == ["/var/lib/scopeaudit"]
    assert unit["PrivateTmp"] == ["yes"]
    assert unit["SuccessExitStatus"] == ["1"]
    assert unit["Environment"] == ["NMAP_PRIVILEGED=1"]
    assert unit["StandardInput"] == ["null"]
    timer = unit_values(AGENT / "scopeaudit-agent.timer")
    assert all(v.startswith("Mon..Fri ") for v in timer["OnCalendar"])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify checks that ExecStart's program exists: point it at this checkout's venv, nothing else
    here = Path(sys.executable).parent / "scopeaudit"
    text = (AGENT / "scopeaudit-agent.service").read_text(encoding="utf-8")
    (tmp_path / "scopeaudit-agent.service").write_text(
        text.replace("/opt/scopeaudit/.venv/bin/scopeaudit", str(here)), encoding="utf-8"
    )
    shutil.copy(AGENT / "scopeaudit-agent.timer", tmp_path)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(p) for p in sorted(tmp_path.iterdir()))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warned about
    for calendar in unit_values(AGENT / "scopeaudit-agent.timer")["OnCalendar"]:
        check = subprocess.run(
            ["systemd-analyze", "calendar", calendar], capture_output=True, text=True, timeout=30
        )
        assert check.returncode == 0, check.stderr


def test_cron_example_runs_the_same_command() -> None:
    jobs = [
        line.split()
        for line in (AGENT / "scopeaudit-agent.cron").read_text(encoding="utf-8").splitlines()
        if line[:1].isdigit()
    ]
    assert len(jobs) == 2
    for job in jobs:
        assert job[4] == "1-5" and job[5] == "root"
        assert " ".join(job[6:11]) == EXEC_START


def test_install_sh_is_idempotent(tmp_path: Path) -> None:
    def install() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", str(AGENT / "install.sh"), "--root", str(tmp_path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    first = install()
    assert first.returncode == 0, first.stderr
    assert "wrote /etc/systemd/system/scopeaudit-agent.service" in first.stdout
    config = tmp_path / "etc" / "scopeaudit" / "agent.yaml"
    config.write_text(config.read_text("utf-8") + "lang: fr\n", encoding="utf-8")
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    second = install()
    assert second.returncode == 0, second.stderr
    assert "wrote" not in second.stdout
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == files
    assert (tmp_path / "var" / "lib" / "scopeaudit" / "reports").is_dir()

"""The unit's ExecStart run exactly as systemd would, against the standard lab site.

In the technician's namespace, as the unit's own system user (``User=``/``Group=`` of the unit;
created as agent/install.sh creates it when the machine has none, and removed afterwards) holding
only the unit's ambient capabilities (setpriv), no new privileges, the unit's umask, stdin from
/dev/null, no TTY, the unit's environment.
The webhook and SMTP receivers run inside the same namespace on its loopback. Two runs: the
first writes reports, metrics and ONE alert of each kind for the new drift; the second, with
nothing changed, none.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scopeaudit.lab import plumbing
from scopeaudit.lab.instance import LabInstance
from scopeaudit.store import Store

from . import sinks
from .test_agent import metrics

pytestmark = [pytest.mark.root, pytest.mark.lab]

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"
UNIT = REPO / "agent" / "scopeaudit-agent.service"
HTTP_PORT, SMTP_PORT = 18014, 18025


def unit_settings() -> dict[str, list[str]]:
    """Every ``Key=value`` of the unit's [Service] section (a key may repeat)."""
    settings: dict[str, list[str]] = {}
    for line in UNIT.read_text("utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key, []).append(value)
    return settings


@pytest.fixture
def unit_user() -> Iterator[tuple[int, int]]:
    """The unit's user: the machine's own when installed, else created for this test only."""
    settings = unit_settings()
    user, group = settings["User"][0], settings["Group"][0]
    created = False
    try:
        pwd.getpwnam(user)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--home-dir", "/var/lib/scopeaudit", "--no-create-home",
             "--shell", "/usr/sbin/nologin", "--user-group", "--comment", "scopeaudit test", user],
            check=True, capture_output=True,
        )  # fmt: skip
        created = True
    try:
        yield pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    finally:
        if created:
            subprocess.run(["userdel", user], check=True, capture_output=True)


def exec_start() -> tuple[list[str], dict[str, str]]:
    """The unit's ExecStart line, with the environment it needs to run this checkout.

    The venv's interpreter lives under /root, which the unit's user cannot read: the system's
    python3 (same minor version) with this checkout's code and the venv's packages on its path
    runs the same program with the same arguments.
    """
    line = next(
        v for v in UNIT.read_text("utf-8").splitlines() if v.startswith("ExecStart=")
    ).removeprefix("ExecStart=")
    program, *args = line.split()
    assert program == "/opt/scopeaudit/.venv/bin/scopeaudit"
    site = next((REPO / ".venv" / "lib").glob("python3*/site-packages"))
    return ["/usr/bin/python3", "-m", "scopeaudit", *args], {"PYTHONPATH": f"{REPO / 'src'}:{site}"}


def test_unit_command_against_the_lab(lab: LabInstance, unit_user: tuple[int, int]) -> None:
    uid, gid = unit_user
    settings = unit_settings()
    caps = ",".join(
        "+" + cap.removeprefix("CAP_").lower() for cap in settings["AmbientCapabilities"][0].split()
    )
    assert caps == "+net_raw,+net_admin"  # what the issue allows, nothing more
    environment = [v for line in settings.get("Environment", []) for v in line.split()]
    folder = Path(tempfile.mkdtemp(prefix="h14-agent-"))
    try:
        os.chmod(folder, 0o755)
        state = folder / "state"
        state.mkdir()
        os.chown(state, uid, gid)
        token = folder / "webhook.token"
        token.write_text("lab-t0ken-h14\n", encoding="utf-8")
        os.chown(token, uid, gid)
        os.chmod(token, 0o600)
        config = folder / "agent.yaml"
        config.write_text(
            f"""format: 1
contract: {DEMO}
state_dir: {state}
passive_seconds: 20
formats: [json, html]
alerts:
  webhook: {{url: "http://127.0.0.1:{HTTP_PORT}/hook", token_file: {token}}}
  email: {{host: 127.0.0.1, port: {SMTP_PORT}, from: a@b.example, to: [noc@c.example]}}
metrics: {{textfile: {state}/metrics/scopeaudit.prom}}
""",
            encoding="utf-8",
        )
        received = folder / "received.jsonl"
        receiver = lab.popen(
            [sys.executable, str(Path(__file__).with_name("sinks.py")), str(received),
             str(HTTP_PORT), str(SMTP_PORT)],
            stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            assert receiver.stdout is not None
            assert receiver.stdout.readline().strip() == b"ready"
            argv, env = exec_start()
            argv[argv.index("/etc/scopeaudit/agent.yaml")] = str(config)
            wrapped = plumbing.netns_exec_argv(
                lab.namespace_of(),
                ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--init-groups",
                 f"--inh-caps=-all,{caps}", f"--ambient-caps=-all,{caps}",
                 f"--bounding-set=-all,{caps}", "--no-new-privs",
                 "env", "-i", *environment, "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                 "LANG=C.UTF-8", *(f"{k}={v}" for k, v in env.items()),
                 "/bin/sh", "-c", f'umask {settings["UMask"][0]} && exec "$@"', "unit", *argv],
            )  # fmt: skip

            def run() -> subprocess.CompletedProcess[str]:
                return subprocess.run(
                    wrapped, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                    timeout=600, start_new_session=True,
                )  # fmt: skip

            first = run()
            assert first.returncode == 1, first.stderr  # drift: SuccessExitStatus=1
            time.sleep(0.5)
            got = sinks.received(received)
            assert [r["kind"] for r in got] == ["webhook", "email"], first.stderr
            assert got[0]["headers"]["Authorization"] == "Bearer lab-t0ken-h14"
            assert json.loads(got[0]["body"])["summary"]["drift"] is True
            reports = state / "reports"
            assert (reports / "latest.json").is_file() and (reports / "latest.html").is_file()
            assert (reports / "latest.json").stat().st_uid == uid  # written as the unit's user
            assert (reports / "latest.json").stat().st_mode & 0o007 == 0  # the unit's UMask
            document = json.loads((reports / "latest.json").read_text("utf-8"))
            ran = {s["name"]: s["ok"] for s in document["sources"]}
            assert ran["arp"] is True and ran["passive"] is True, ran  # raw sockets: the caps
            values = metrics(state / "metrics" / "scopeaudit.prom")
            # counts only, read by node_exporter's own user: the umask does not hide them
            assert (state / "metrics" / "scopeaudit.prom").stat().st_mode & 0o004
            assert values["scopeaudit_agent_last_run_success"] == 1
            assert values['scopeaudit_fee_delta{contract="DEMO-2026-001"}'] == -66
            assert "lab-t0ken-h14" not in first.stderr

            second = run()
            assert second.returncode == 1, second.stderr
            time.sleep(0.5)
            assert len(sinks.received(received)) == 2, second.stderr  # nothing new: no alert
            assert "no new drift" in second.stderr
            store = state / "runs.sqlite"
            assert store.stat().st_uid == uid
            with Store.open(store, lock=False) as runs:
                assert [r.kind.value for r in runs.runs()] == ["audit", "audit"]
                assert runs.integrity() == "ok"
        finally:
            receiver.terminate()
            receiver.wait(timeout=10)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

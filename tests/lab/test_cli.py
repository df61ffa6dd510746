"""The ``lab`` command group end to end, as a user runs it (real processes, bare topology)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from scopeaudit.lab.instance import RUN_ROOT, LabInstance
from scopeaudit.lab.plumbing import instance_namespaces

pytestmark = pytest.mark.root

REPO = Path(__file__).resolve().parents[2]
BARE = REPO / "fixtures" / "lab" / "tests" / "bare.yaml"
SCOPEAUDIT = str(REPO / ".venv" / "bin" / "scopeaudit")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCOPEAUDIT, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LANG": "C", **(env or {})},
        check=False,
    )


def test_up_status_exec_rotate_down() -> None:
    name = f"c{os.getpid() % 10000}"
    try:
        up = _cli("lab", "up", str(BARE), "--name", name, "--profile", "realistic")
        assert up.returncode == 0, up.stderr
        assert up.stdout.strip() == name
        status = json.loads(_cli("lab", "status", "--name", name, "--format", "json").stdout)
        assert status["profile"] == "realistic" and status["status"] == "ready"
        assert {p["id"] for p in status["personas"]} == {"rtr01", "srv01", "pc01", "lt01", "br01"}
        text = _cli("lab", "status", "--name", name)
        assert text.returncode == 0 and "srv01" in text.stdout and "technician" in text.stdout
        french = _cli("lab", "status", "--name", name, env={"LANG": "fr_FR.UTF-8"})
        assert "Laboratoire" in french.stdout and "Espace de noms" in french.stdout
        inside = _cli("lab", "exec", "--name", name, "--in", "br01", "--", "ip", "-o", "addr")
        assert "10.77.20.50/24" in inside.stdout
        assert _cli("lab", "exec", "--name", name, "--", "sh", "-c", "exit 5").returncode == 5
        mac = _cli("lab", "rotate", "iph01", "--name", name)
        assert mac.returncode == 3 and "iph01" in mac.stderr and "Traceback" not in mac.stderr
        rotated = _cli("lab", "rotate", "pc01", "--name", name)
        assert rotated.returncode == 0
        link = _cli("lab", "exec", "--name", name, "--in", "pc01", "--", "ip", "-o", "link")
        assert rotated.stdout.strip() in link.stdout
        taken = _cli("lab", "up", str(BARE), "--name", name)
        assert taken.returncode == 3 and "already running" in taken.stderr
        down = _cli("lab", "down", "--name", name)
        assert down.returncode == 0, down.stderr
        assert instance_namespaces(name) == []
        assert not (RUN_ROOT / name).exists()
        gone = _cli("lab", "status", "--name", name)
        assert gone.returncode == 3 and "No running lab" in gone.stderr
    finally:
        LabInstance(name).down()


def test_run_returns_the_commands_code_and_leaves_nothing() -> None:
    script = "ip netns identify $$; ip -o addr show eth0; exit 4"
    done = _cli("lab", "run", str(BARE), "--", "sh", "-c", script)
    assert done.returncode == 4, done.stderr
    assert "10.77.0.200/24" in done.stdout
    netns = done.stdout.split()[0]  # sal-<name>.tech
    assert netns.startswith("sal-") and netns.endswith(".tech")
    name = netns[len("sal-") : -len(".tech")]
    assert instance_namespaces(name) == []
    assert not (RUN_ROOT / name).exists()


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    missing = _cli("lab", "up", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 3 and "nope.yaml" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert _cli("lab", "up", str(BARE), "--profile", "chatty").returncode == 2
    assert _cli("lab", "up", str(BARE), "--name", "Bad_Name").returncode == 3
    assert _cli("lab", "exec", "--name", "zzzz").returncode == 2  # no command after --


def test_without_zygote_runtimes_start_with_ip_netns_exec() -> None:
    name = f"z{os.getpid() % 10000}"
    try:
        up = _cli("lab", "up", str(BARE), "--name", name, env={"SCOPEAUDIT_LAB_ZYGOTE": "0"})
        assert up.returncode == 0, up.stderr
        status = json.loads(_cli("lab", "status", "--name", name, "--format", "json").stdout)
        pids = [p["runtime_pid"] for p in status["personas"]]
        assert all(p["running"] for p in status["personas"])
        for pid in pids:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            assert b"scopeaudit.lab.persona" in argv and b"scopeaudit.lab.zygote" not in argv
        assert _cli("lab", "down", "--name", name).returncode == 0
        assert instance_namespaces(name) == []
        assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    finally:
        LabInstance(name).down()

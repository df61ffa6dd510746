"""The CLI's basics: --version, typer confined to cli.py, Ctrl-C -> 130, SIGTERM -> 143, and no
traceback without --debug. Signals go to a real process blocked reading a FIFO given as the
contract file, the way a slow network share or a pipe would block it.
"""

from __future__ import annotations

import ast
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scopeaudit.cli import app

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src" / "scopeaudit"
runner = CliRunner()


def test_version_shows_scopeaudit_and_nmap() -> None:
    from scopeaudit import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert f"scopeaudit {__version__}" in result.stdout
    nmap = shutil.which("nmap")
    assert nmap is not None, "nmap is a dependency of scopeaudit (scripts/install.sh)"
    out = subprocess.run([nmap, "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Nmap version (\S+)", out)
    assert match is not None
    assert re.search(rf"^nmap {re.escape(match.group(1))}$", result.stdout, re.MULTILINE)


def test_only_cli_imports_typer() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders.extend(
                f"{path.relative_to(REPO)}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[0] in ("typer", "click") and path.name != "cli.py"
            )
    assert offenders == []
    assert (SRC / "cli.py").is_file()


def _start_blocked_on_fifo(tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    """Run ``contract check FIFO`` and return once it has opened the FIFO and waits for data."""
    fifo = tmp_path / "contract.yaml"
    os.mkfifo(fifo)

    def as_from_a_terminal() -> None:
        # a background job may have inherited SIGINT ignored, a harness may have it blocked:
        # both pass through exec, and neither is how a terminal runs the command
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})

    process = subprocess.Popen(
        [sys.executable, "-m", "scopeaudit", "contract", "check", str(fifo)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=as_from_a_terminal,
    )
    deadline = time.monotonic() + 60
    while True:  # opening the write end without blocking fails until the reader has it open
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as error:
            if error.errno != errno.ENXIO or time.monotonic() > deadline:
                process.kill()
                raise
            if process.poll() is not None:
                raise AssertionError(f"exited early: {process.communicate()}") from None
            time.sleep(0.05)
    # Opening the write end succeeds as soon as the reader is inside open(); the signal must come
    # once it sleeps in read(). A signal caught between two system calls is only acted on at the
    # next one (CPython checks its flags on EINTR), and this read would never return.
    while not Path(f"/proc/{process.pid}/wchan").read_text().endswith("pipe_read"):
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the command never waited in read()")
        time.sleep(0.01)
    return process, writer


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_reading_the_contract(
    tmp_path: Path, signum: signal.Signals, code: int
) -> None:
    process, writer = _start_blocked_on_fifo(tmp_path)
    try:
        os.killpg(process.pid, signum)  # as a terminal's Ctrl-C or a service manager would
        out, err = process.communicate(timeout=60)
    finally:
        os.close(writer)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == code, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 1  # at most a short note, never a stack
    assert out == ""


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["contract", "check", "fixtures/contracts/malformed/12-unknown-top-key.yaml"], 3),
        (["contract", "check", "no/such/file.yaml"], 3),
        (["contract", "check", "fixtures"], 3),
        (["contract", "check", "fixtures/contracts/demo.yaml", "--format", "xml"], 2),
        (["contract", "frobnicate"], 2),
    ],
)
def test_errors_never_show_a_traceback(args: list[str], code: int) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scopeaudit", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == code, done.stderr
    assert done.stderr.strip()
    assert "Traceback" not in done.stderr + done.stdout

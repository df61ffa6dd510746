"""The store under concurrent and killed processes: real processes, real SIGKILL, real files.

A second run on a locked store exits 5 with a clear message. A recording killed at each pause
point of the test-only hook, and at random moments, leaves a store that passes
``PRAGMA integrity_check`` with every earlier run intact.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scopeaudit.store import PAUSE_ENV, PAUSE_FILE_ENV, PausePoint, Store

REPO = Path(__file__).resolve().parents[2]
DEMO_SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"
DEMO_CONTRACT = REPO / "fixtures" / "contracts" / "demo.yaml"
SCOPEAUDIT = [sys.executable, "-m", "scopeaudit"]

# Records the demo snapshot COUNT times into the store; says "ready" once it holds the store.
RECORDER = """
import sys
from pathlib import Path
from scopeaudit.snapshot import read_snapshot
from scopeaudit.store import Store
snapshot = read_snapshot(Path(sys.argv[2]))
with Store.open(Path(sys.argv[1])) as store:
    print("ready", flush=True)
    for _ in range(int(sys.argv[3])):
        store.record_scan(snapshot)
"""


def spawn(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
    )


def recorder(store: Path, count: int, pause: PausePoint | None = None) -> subprocess.Popen[str]:
    env = {PAUSE_ENV: pause.value, PAUSE_FILE_ENV: str(store) + ".marker"} if pause else {}
    return spawn([sys.executable, "-c", RECORDER, str(store), str(DEMO_SNAPSHOT), str(count)], env)


def wait_for(marker: Path, process: subprocess.Popen[str], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not marker.exists():
        if process.poll() is not None:
            raise AssertionError(f"the process ended before pausing: {process.stderr.read()}")  # type: ignore[union-attr]
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the process never reached its pause point")
        time.sleep(0.02)


def wait_stopped(pid: int) -> None:
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
        assert time.monotonic() < deadline, "the process did not stop"
        time.sleep(0.005)


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def seeded(tmp_path: Path, runs: int = 2) -> tuple[Path, dict[str, str]]:
    """A store holding ``runs`` complete runs, and their fingerprints by id."""
    path = tmp_path / "runs.sqlite"
    done = recorder(path, runs)
    _out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err
    with Store.open(path, lock=False) as store:
        return path, {r.id: r.fingerprint or "" for r in store.runs()}


def assert_intact(path: Path, earlier: dict[str, str]) -> list[str]:
    """Integrity check passes, every earlier run reads back with its fingerprint; returns ids."""
    with Store.open(path) as store:  # also proves the killed process's lock is gone
        assert store.integrity() == "ok"
        runs = {r.id: r.fingerprint for r in store.runs()}
        for run_id, fingerprint in earlier.items():
            assert runs.get(run_id) == fingerprint
        for run_id, fingerprint in runs.items():  # every run there reads back whole
            assert store.snapshot(run_id).fingerprint == fingerprint
        return list(runs)


def test_second_run_exits_5_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    marker = tmp_path / "marker"
    audit = [*SCOPEAUDIT, "audit", str(DEMO_CONTRACT), "--snapshot", str(DEMO_SNAPSHOT)]
    first = spawn(
        [*audit, "--store", str(path), "--format", "json"],
        {PAUSE_ENV: PausePoint.LOCKED.value, PAUSE_FILE_ENV: str(marker)},
    )
    try:
        wait_for(marker, first)
        second = subprocess.run(
            [*audit, "--store", str(path), "--format", "json"],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            cwd=REPO,
            timeout=120,
        )
        prune = subprocess.run(
            [*SCOPEAUDIT, "store", "prune", "--keep-runs", "1", "--store", str(path)],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )
    finally:
        kill(first)
    assert second.returncode == 5
    assert second.stdout == ""
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "another scopeaudit run holds the store" in lines[0]
    assert f"pid {first.pid}" in lines[0] and "Traceback" not in second.stderr
    assert prune.returncode == 5
    # Readers need no lock; once the first process is gone the store works again.
    history = subprocess.run(
        [*SCOPEAUDIT, "history", "--store", str(path)], capture_output=True, text=True, cwd=REPO
    )
    assert history.returncode == 0
    assert assert_intact(path, {}) == []


@pytest.mark.parametrize(
    "point",
    [
        PausePoint.LOCKED,
        PausePoint.BEGUN,
        PausePoint.RUN_INSERTED,
        PausePoint.IDENTITIES,
        PausePoint.BEFORE_COMMIT,
        PausePoint.COMMITTED,
    ],
)
def test_killed_at_a_chosen_point(tmp_path: Path, point: PausePoint) -> None:
    path, earlier = seeded(tmp_path)
    process = recorder(path, 1, point)
    wait_for(Path(str(path) + ".marker"), process)
    kill(process)
    after = assert_intact(path, earlier)
    # Only a committed recording survives, and then whole.
    assert len(after) == len(earlier) + (1 if point is PausePoint.COMMITTED else 0)


def test_killed_at_random_moments(tmp_path: Path) -> None:
    path, earlier = seeded(tmp_path, runs=1)
    rng = random.Random(7)  # fixed seed: the same moments every run, still spread out
    for _ in range(12):
        process = recorder(path, 1000)
        assert process.stdout is not None and process.stdout.readline() == "ready\n"
        time.sleep(0.05 + rng.random() * 0.6)  # one recording of the demo takes ~0.1 s
        # Frozen wherever it was (often mid-transaction), the committed runs are looked at,
        # then it is killed: exactly those must remain, whole.
        process.send_signal(signal.SIGSTOP)
        wait_stopped(process.pid)  # delivery is asynchronous: look only once it is frozen
        with Store.open(path, lock=False) as store:
            committed = {r.id: r.fingerprint or "" for r in store.runs()}
        kill(process)
        ids = assert_intact(path, {**earlier, **committed})
        # A recording frozen inside COMMIT may have written its commit record to the WAL
        # without publishing it yet: it then survives, whole (SQLite recovers it on opening).
        assert set(committed) <= set(ids) and len(ids) - len(committed) in (0, 1)
        assert set(earlier) <= set(committed)
        with Store.open(path, lock=False) as store:
            earlier = {r.id: r.fingerprint or "" for r in store.runs()}
    assert len(earlier) > 2, "the recorder should have committed runs between the kills"

"""Test-wide conventions (DESIGN §10).

- ``@pytest.mark.root``: needs root; skipped with a reason otherwise, a failure under
  ``SCOPEAUDIT_STRICT=1``.
- ``corpora`` fixture: the shared corpora folder from ``SCOPEAUDIT_CORPORA``; skipped when unset,
  a failure when set but missing, and a failure when unset under ``SCOPEAUDIT_STRICT=1``.
- ``@pytest.mark.browser``: needs Chromium; same strictness.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"
STRICT = os.environ.get("SCOPEAUDIT_STRICT") == "1"
# Session and module fixtures (a lab scan…) run before the per-test store below exists: the
# whole session's default is a private folder too, never the user's real run history.
SESSION_DATA = tempfile.mkdtemp(prefix="scopeaudit-tests-data-")
os.environ["XDG_DATA_HOME"] = SESSION_DATA


def skip_or_fail(reason: str) -> None:
    """Skip the current test, or fail it when the run is strict (CI)."""
    if STRICT:
        pytest.fail(f"{reason} (SCOPEAUDIT_STRICT=1 turns this skip into a failure)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    shutil.rmtree(SESSION_DATA, ignore_errors=True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if (item.get_closest_marker("root") or item.get_closest_marker("lab")) and os.geteuid() != 0:
        skip_or_fail("needs root (network namespaces and raw sockets)")
    if item.get_closest_marker("browser") and chromium_path() is None:
        skip_or_fail("needs Chromium (apt-get install chromium)")


@pytest.fixture(autouse=True)
def private_run_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every `scan` and `audit` records a run in the default store unless told otherwise: each
    test (and the subprocesses it starts, which inherit the environment) gets its own data
    directory, so no test reads the user's real history, leaves runs in it, or sees another
    test's runs (presence over time would then depend on the order of the tests)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The shared corpora folder (SCOPEAUDIT_CORPORA)."""
    value = os.environ.get("SCOPEAUDIT_CORPORA")
    if not value:
        skip_or_fail("SCOPEAUDIT_CORPORA is not set")
        raise AssertionError("unreachable")
    path = Path(value)
    if not path.is_dir():
        pytest.fail(f"SCOPEAUDIT_CORPORA={value} is not a folder")
    return path


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


# --- the standard lab site (owner: lab infrastructure; docs/lab.md) ---------------------------
from collections.abc import Iterator  # noqa: E402 (appended section: conftest is append-only)

from scopeaudit.lab.instance import LabInstance  # noqa: E402


@pytest.fixture(scope="session")
def lab() -> Iterator[LabInstance]:
    """The standard site fixtures/lab/office.yaml, friendly profile, up once per test session.

    Yields a ``scopeaudit.lab.instance.LabInstance``: ``.name``, ``.exec(argv, ns=None)`` (the
    technician's namespace by default), ``.status()``, ``.rotate(id)``, ``.stop_persona(id)``,
    ``.start_persona(id)``, ``.namespace_of(id)``. Tests that use it are marked ``root`` (or
    ``lab``); without root it skips with a reason, and fails under SCOPEAUDIT_STRICT=1.
    """
    if os.geteuid() != 0:
        skip_or_fail("the lab needs root (network namespaces)")
    from scopeaudit.errors import LabError
    from scopeaudit.lab.instance import Lab

    try:
        instance = Lab.up(
            FIXTURES / "lab" / "office.yaml", "friendly", name=f"t{os.getpid() % 10**7}"
        )
    except LabError as error:
        pytest.fail(f"the standard lab site could not start: {error}")
    try:
        yield instance
    finally:
        instance.down()

"""The malformed corpus and the hostile files: exit 3, one located line each, never a traceback.

fixtures/contracts/malformed/expected.yaml lists, for each file, exactly the ``LINE:COLUMN path``
of every problem it must report. Files too big or too odd to commit (over 10 MB, a directory, a
missing or unreadable file, 100,000 levels of nesting) are made here in temporary folders.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scopeaudit.cli import app
from scopeaudit.contract import load_contract
from scopeaudit.errors import ValidationFailed

REPO = Path(__file__).resolve().parents[2]
MALFORMED = REPO / "fixtures" / "contracts" / "malformed"
EXPECTED: dict[str, list[str]] = yaml.safe_load((MALFORMED / "expected.yaml").read_text("utf-8"))
runner = CliRunner()


def test_corpus_is_large_and_listed() -> None:
    files = sorted(p.name for p in MALFORMED.glob("*.yaml") if p.name != "expected.yaml")
    assert len(files) >= 30
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_reports_exact_positions(name: str) -> None:
    path = MALFORMED / name
    with pytest.raises(ValidationFailed) as caught:
        load_contract(path, "en")
    found = [f"{p.line}:{p.column} {p.path}".rstrip() for p in caught.value.problems]
    assert found == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_malformed_file_exits_3_with_one_line_each(name: str) -> None:
    result = runner.invoke(app, ["contract", "check", str(MALFORMED / name), "--lang", "fr"])
    assert result.exit_code == 3, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(EXPECTED[name])
    for line, expected in zip(lines, EXPECTED[name], strict=True):
        position = expected.split(" ")[0]
        assert line.startswith(f"{MALFORMED / name}:{position}: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def _run(*args: str, user: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "scopeaudit", *args]
    if user:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {**os.environ, "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=60, check=False, cwd=REPO, env=env
    )


@pytest.mark.parametrize("name", ["01-empty.yaml", "03-not-utf8.yaml", "34-alias-bomb.yaml"])
def test_malformed_through_a_real_process(name: str) -> None:
    done = _run("contract", "check", str(MALFORMED / name))
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith(f"{MALFORMED / name}:{EXPECTED[name][0]}: ")
    assert "Traceback" not in done.stderr


def _one_problem(path: Path) -> str:
    with pytest.raises(ValidationFailed) as caught:
        load_contract(path, "en")
    assert len(caught.value.problems) == 1
    return caught.value.lines()[0]


def test_missing_file(tmp_path: Path) -> None:
    line = _one_problem(tmp_path / "nope.yaml")
    assert (
        line == f"{tmp_path / 'nope.yaml'}:1:1: no such file; give the path of a contract YAML file"
    )


def test_directory(tmp_path: Path) -> None:
    assert _one_problem(tmp_path).endswith(
        ":1:1: this is a directory; expected a contract YAML file"
    )


def test_over_10_mb(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.write(b"format: 1\n# " + b"x" * (10 * 1024 * 1024) + b"\n")
    assert "file too large (over 10 MB)" in _one_problem(path)


def test_hundred_thousand_levels_of_nesting(tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("format: 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n")
    line = _one_problem(path)
    # our limit (column 43) or libyaml's (1000 levels) when PyYAML is built with it
    assert line.startswith((f"{path}:2:43: ", f"{path}:2:1003: "))
    assert line.endswith("nesting too deep (over 40 levels); a contract has at most 6")


def test_billion_laughs(tmp_path: Path) -> None:
    rows = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        previous = f"*a{level - 1}"
        rows.append(f"a{level}: &a{level} [" + ",".join([previous] * 10) + "]")
    path = tmp_path / "laughs.yaml"
    path.write_text("\n".join(rows) + "\n")
    assert "YAML aliases expand to more than" in _one_problem(path)


@pytest.fixture
def unreadable() -> Iterator[Path]:
    """A root-owned file with mode 0600 in a folder anyone may traverse."""
    folder = Path(tempfile.mkdtemp(prefix="scopeaudit-h1-"))
    try:
        folder.chmod(0o755)
        path = folder / "secret.yaml"
        path.write_text("format: 1\n")
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
        yield path
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


@pytest.mark.root
def test_unreadable_file_as_an_unprivileged_user(unreadable: Path) -> None:
    done = _run("contract", "check", str(unreadable), user=True)
    assert done.returncode == 3, done.stderr
    assert done.stderr == (
        f"{unreadable}:1:1: permission denied; make the file readable by this user\n"
    )

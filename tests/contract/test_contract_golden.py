"""Golden ``contract check`` outputs, French and English, text and JSON.

The files under golden/ are committed and reviewed; CI never regenerates them. After a deliberate
change of the output, regenerate them locally with ``SCOPEAUDIT_UPDATE_GOLDEN=1`` and review the
diff before committing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scopeaudit.cli import app

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = [
    (name, lang, fmt)
    for name in ("example", "demo", "multi-site")
    for lang in ("fr", "en")
    for fmt in ("text", "json")
]
runner = CliRunner()


def _golden(name: str, lang: str, fmt: str) -> Path:
    return GOLDEN / f"{name}.{lang}.{'txt' if fmt == 'text' else 'json'}"


@pytest.mark.parametrize(("name", "lang", "fmt"), CASES)
def test_check_output_matches_golden(
    name: str, lang: str, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(REPO)
    args = ["contract", "check", f"fixtures/contracts/{name}.yaml", "--lang", lang, "--format", fmt]
    result = runner.invoke(app, args)
    assert result.exit_code == (1 if name == "multi-site" else 0), result.output
    golden = _golden(name, lang, fmt)
    if os.environ.get("SCOPEAUDIT_UPDATE_GOLDEN") == "1":
        golden.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == golden.read_text(encoding="utf-8")


def test_real_process_prints_the_golden_text() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    done = subprocess.run(
        [sys.executable, "-m", "scopeaudit", "contract", "check", "fixtures/contracts/demo.yaml"],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**env, "COLUMNS": "40"},  # narrow terminal: lines must not be re-wrapped
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == _golden("demo", "fr", "text").read_text(encoding="utf-8")

"""Hostile strings from the network through the terminal, CSV, Markdown and JSON renderers."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from rich.console import Console

from scopeaudit.audit import build_result
from scopeaudit.audit_models import AuditResult
from scopeaudit.contract import read_contract
from scopeaudit.lab.persona.hostile import HOSTILE
from scopeaudit.models import Snapshot, SourceOutcome
from scopeaudit.render.audit_csv import render_csv
from scopeaudit.render.audit_json import render_json
from scopeaudit.render.audit_markdown import render_markdown
from scopeaudit.render.audit_terminal import render_terminal
from scopeaudit.taxonomy import Category, Language, Source

from .helpers import dev

CONTRACT = """\
format: 1
contract:
  reference: HOSTILE-1
  billing: {currency: EUR, period: monthly, unit_prices: {printer: 10}}
scope:
  networks: [{cidr: 10.0.0.0/24, site: HQ}]
equipment:
  - {id: P1, category: printer, mac: ["00:11:22:33:44:00"]}
"""

# Characters that must never reach an output raw: they move the cursor, colour, link, reorder.
FORBIDDEN = ("\x1b", "\x00", "\u202e", "\r", "\x07")


def hostile_result(tmp_path: Path) -> AuditResult:
    path = tmp_path / "c.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    devices = [
        dev(
            f"dev-{i:02d}",
            Category.PRINTER,
            [f"00:11:22:33:44:{i:02x}"],
            [f"10.0.0.{i + 1}"],
            [value],
            vendor=value,
        )
        for i, value in enumerate(HOSTILE.values())
    ]
    snapshot = Snapshot(
        tool_version="test",
        started_at="2026-01-01T00:00:00Z",  # type: ignore[arg-type]
        finished_at="2026-01-01T00:01:00Z",  # type: ignore[arg-type]
        sources=[SourceOutcome(name=Source.NAMES, ok=False, error=HOSTILE["ansi_osc8"])],
        devices=devices,
        fingerprint="sha256:test",
    )
    return build_result(read_contract(path, "en"), snapshot, lang=Language.EN)


def test_terminal_inert_with_colours(tmp_path: Path) -> None:
    result = hostile_result(tmp_path)
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, force_terminal=True, color_system="truecolor")
    render_terminal(console, result, Language.EN)
    out = buffer.getvalue()
    assert "\x1b]8;" not in out  # no hyperlink (OSC 8) from [link=...] or the raw escape
    assert "\x1b[2J" not in out and "\x1b[31mRED" not in out
    assert "\x00" not in out and "\u202e" not in out and "\r" not in out
    assert "[bold red]alarm" in out  # rich markup shown as text, not applied
    assert "\\x1b[31mRED" in out  # the escape is visible, spelled out


def test_terminal_plain(tmp_path: Path) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=100, color_system=None, force_terminal=False)
    render_terminal(console, hostile_result(tmp_path), Language.FR)
    out = buffer.getvalue()
    for char in FORBIDDEN:
        assert char not in out, repr(char)
    assert "[link=http://evil]" in out and "[bold red]alarm" in out  # shown, not applied
    assert max(len(line) for line in out.splitlines()) <= 100


def test_csv_cells_neutralized(tmp_path: Path) -> None:
    result = hostile_result(tmp_path)
    text = render_csv(result, Language.EN)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    assert len(body) == len(result.findings)
    for row in body:
        assert len(row) == len(header)
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or _is_number(cell), cell
            for char in FORBIDDEN:
                assert char not in cell
    fees = [row[header.index("Fee")] for row in body]
    assert set(fees) == {"0.00", "10.00"}  # amounts stay numbers (P1 matched: 0)
    assert any(cell.startswith("'=HYPERLINK") for row in body for cell in row)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_markdown_inert(tmp_path: Path) -> None:
    out = render_markdown(hostile_result(tmp_path), Language.EN)
    for char in FORBIDDEN:
        assert char not in out
    assert not re.search(r"(?<!\\)<", out.replace("<br>", ""))  # no raw HTML tag opens
    assert "[click](javascript" not in out
    assert "\\[click\\](javascript:alert(1)) \\| col \\|" in out
    # Every row of a findings table has as many unescaped cell separators as its header.
    tables = [line for line in out.splitlines() if line.startswith("| ") and "dev-" in line]
    assert tables
    for line in tables:
        assert line.replace("\\|", "").count("|") == 10, line


@pytest.mark.parametrize("lang", list(Language))
def test_json_keeps_raw_and_stays_valid(tmp_path: Path, lang: Language) -> None:
    text = render_json(hostile_result(tmp_path))
    text.encode("utf-8")  # writable as UTF-8 despite invalid bytes heard on the wire
    document = json.loads(text)
    names = {n for d in document["devices"] for n in d["hostnames"]}
    assert HOSTILE["script"] in names and HOSTILE["nul"] in names  # data stays raw
    assert HOSTILE["invalid_utf8"] in names

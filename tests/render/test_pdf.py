"""PDF printing: real headless Chromium (browser tests) and its failure modes.

The browser tests print the report and the amendment, then read the PDF's text with pypdf;
Chromium also loads the hostile page with ``--dump-dom`` to prove no script from the data ran.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import psutil
import pypdf
import pytest

from scopeaudit.render.amendment import render_amendment
from scopeaudit.render.html import SCRIPT, render_html
from scopeaudit.render.pdf import PdfError, chromium_path, print_html, render_pdf
from scopeaudit.taxonomy import Language

from .helpers import ATTACKS, DEMO, REPO, SNAPSHOT, TITLE_ATTACKS, demo_result, hostile_result

SCOPEAUDIT = [sys.executable, "-m", "scopeaudit"]


def pdf_text(data: bytes | Path) -> tuple[str, list[pypdf.PageObject]]:
    """All the PDF's text with whitespace removed (Chromium wraps long cells anywhere)."""
    reader = pypdf.PdfReader(data if isinstance(data, Path) else io.BytesIO(data))
    text = "".join(page.extract_text() for page in reader.pages)
    return squash(text), list(reader.pages)


def squash(text: str) -> str:
    # NFKC undoes the ligatures (ﬁ) that text extraction returns from the fonts.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def is_a4(page: pypdf.PageObject) -> bool:
    box = page.mediabox
    return abs(float(box.width) - 595.3) < 1.5 and abs(float(box.height) - 841.9) < 1.5


# --- without a browser -----------------------------------------------------------------------


def test_missing_chromium_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfError) as caught:
        print_html("<p>x</p>", tmp_path / "x.pdf", Language.EN)
    assert "apt-get install chromium" in str(caught.value) and "\n" not in str(caught.value)
    with pytest.raises(PdfError, match="apt-get install chromium"):
        print_html("<p>x</p>", tmp_path / "x.pdf", Language.FR)
    assert not (tmp_path / "x.pdf").exists()


def _fake_browser(folder: Path, body: str) -> None:
    fake = folder / "chromium"
    fake.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    fake.chmod(0o755)


def test_timeout_kills_the_whole_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A browser that hangs with a helper process: both must be gone after the timeout.
    _fake_browser(tmp_path, "sleep 4242.5 &\nsleep 4242.5")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(PdfError, match="1 s"):
        print_html("<p>x</p>", tmp_path / "x.pdf", Language.EN, timeout=1.0)
    left = [
        p.pid
        for p in psutil.process_iter(["cmdline"])
        if (p.info["cmdline"] or [])[-1:] == ["4242.5"]
    ]
    assert left == []
    assert not (tmp_path / "x.pdf").exists()


def test_failing_browser_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_browser(tmp_path, "echo 'first line' >&2\necho 'no display \x1b[31m' >&2\nexit 3")
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    with pytest.raises(PdfError) as caught:
        print_html("<p>x</p>", tmp_path / "x.pdf", Language.EN)
    message = str(caught.value)
    assert "exit 3" in message and "no display \\x1b[31m" in message and "\x1b" not in message


def test_cli_pdf_needs_output_and_html_amendment_work(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
    base = [*SCOPEAUDIT, "audit", str(DEMO), "--snapshot", str(SNAPSHOT)]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], cwd=REPO, capture_output=True, text=True, timeout=120, env=env
        )

    done = run("--format", "pdf")
    assert done.returncode == 2 and "--output" in done.stderr
    done = run("--format", "html", "--lang", "en")
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("<!DOCTYPE html>") and "Perimeter audit" in done.stdout
    out = tmp_path / "avenant.md"
    done = run("--format", "amendment", "--output", str(out), "--include-provisional")
    assert done.returncode == 1, done.stderr
    text = out.read_text("utf-8")
    assert text.startswith("# Avenant n° ") and "HQ\\-PC\\-03" not in text
    assert "HQ-PC-03" in text and "1419,00 EUR par mois" in text  # provisional included


# --- with headless Chromium ------------------------------------------------------------------


@pytest.mark.browser
def test_report_pdf(tmp_path: Path) -> None:
    target = render_pdf(demo_result(Language.FR), Language.FR, tmp_path / "out" / "rapport.pdf")
    assert target == tmp_path / "out" / "rapport.pdf"
    text, pages = pdf_text(target)
    assert all(is_a4(p) for p in pages) and len(pages) >= 5
    for expected in (
        "Auditdupérimètre—contratDEMO-2026-001",
        "-66,00EURHTparmois",
        "-79,20EURparmois",
        "1451,00EURparmois",
        "94,4%",
        "HQ-NAS-01",
        "HQ-PC-03",
        "10.77.0.33",
        "10.77.0.64",
        "Annexe—journaldessondes",
        "sha256:3a8086b3961d4b6be4524206c7662dac8641e6076ad7fb8a177bcf6a930cf57a",
    ):
        assert expected in text, expected
    # Every evidence block is printed open: each device's classification reasons are there.
    assert text.count("Raisonsdelaclassification") == text.count("Preuves—dev-")
    assert text.count("Preuves—dev-") >= 20


@pytest.mark.browser
def test_hostile_report_pdf(tmp_path: Path) -> None:
    target = render_pdf(hostile_result(tmp_path), Language.EN, tmp_path / "hostile.pdf")
    text, _ = pdf_text(target)
    for name in ("script", "img_onerror", "rich_link", "rich_style", "formula_hyperlink"):
        assert squash(ATTACKS[name]) in text, name
    for attack in TITLE_ATTACKS.values():
        assert squash(attack) in text
    assert squash("\\x1b[31mRED\\x1b[0m") in text and "invoice\\u202egpj.exe" in text
    assert "nul\\x00byte" in text and "bad\\udcff\\udcfeutf8" in text
    assert "Client<b>bold</b>&co" in text and "N" * 10_000 not in text


@pytest.mark.browser
def test_amendment_pdf(tmp_path: Path) -> None:
    data = render_amendment(
        demo_result(Language.FR), Language.FR, "pdf", {"number": 3, "include_provisional": True}
    )
    assert isinstance(data, bytes) and data.startswith(b"%PDF")
    text, pages = pdf_text(data)
    assert all(is_a4(p) for p in pages)
    for expected in (
        "Avenantn°3aucontratDEMO-2026-001—modificationdupérimètre",
        "SociétéDémoSARL",
        "InfogestServicesSAS",
        "HQ-NAS-01",
        "-85,00",
        "HQ-PC-03",
        "-32,00",
        "1419,00EURparmois",
        "1702,80EURparmois",
        "PourSociétéDémoSARL",
        "sha256:3a8086b3961d4b6be4524206c7662dac8641e6076ad7fb8a177bcf6a930cf57a",
    ):
        assert expected in text, expected
    hostile = render_amendment(hostile_result(tmp_path), Language.EN, "pdf", {"number": 1})
    assert isinstance(hostile, bytes)
    shown, _ = pdf_text(hostile)
    assert squash(ATTACKS["script"]) in shown and squash(TITLE_ATTACKS["title_img"]) in shown
    assert "Amendmentno.1tocontractHOSTILE-1" in shown


def _dump_dom(page: Path, work: Path) -> str:
    browser = chromium_path()
    assert browser is not None
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={work / 'profile'}",
            "--virtual-time-budget=3000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stderr[-500:]
    return done.stdout


@pytest.mark.browser
def test_no_script_from_the_data_runs(tmp_path: Path) -> None:
    # Control: the same check sees a script that does run (raw markup, no CSP).
    control = tmp_path / "control.html"
    control.write_text(
        f"<!DOCTYPE html><html><head><title>T</title></head><body>"
        f"{TITLE_ATTACKS['title_script']}</body></html>",
        encoding="utf-8",
    )
    assert "<title>PWNED-SCRIPT</title>" in _dump_dom(control, tmp_path)
    for name, text in (
        ("report", render_html(hostile_result(tmp_path), Language.EN)),
        ("amendment", render_amendment(hostile_result(tmp_path), Language.EN, "html", {})),
    ):
        assert isinstance(text, str)
        page = tmp_path / f"{name}.html"
        page.write_text(text, encoding="utf-8")
        dom = _dump_dom(page, tmp_path)
        title = re.findall(r"<title>(.*?)</title>", dom)
        assert len(title) == 1 and "PWNED" not in title[0] and "HOSTILE-1" in title[0]
        assert len(re.findall(r"<script\b", dom)) == 1  # ours; the data's stayed text
        assert "&lt;script&gt;document.title" in dom
        assert not re.search(r"<(img|svg)\b[^>]*\bon(error|load)=", dom)


@pytest.mark.browser
def test_screen_page_prints_every_evidence_block(tmp_path: Path) -> None:
    # A user printing the on-screen page (details closed) from a browser, even with scripts
    # off: the print CSS alone opens every block.
    page = render_html(demo_result(Language.EN), Language.EN)
    assert "<details open>" not in page
    page = page.replace(f"<script>{SCRIPT}</script>", "")
    text, _ = pdf_text(print_html(page, tmp_path / "screen.pdf"))
    blocks = page.count("<details>")
    assert text.count("Classificationreasons") == text.count("Evidence—dev-") == blocks


def test_cli_without_chromium_one_line_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            *SCOPEAUDIT,
            "audit",
            str(DEMO),
            "--snapshot",
            str(SNAPSHOT),
            "--format",
            "pdf",
            "--output",
            str(tmp_path / "r.pdf"),
            "--lang",
            "en",
            "--no-store",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": str(tmp_path),
            "LANG": "C.UTF-8",
            "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"],
        },
    )
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "apt-get install chromium" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r.pdf").exists()


@pytest.mark.browser
def test_cli_pdf_and_pdf_amendment(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "XDG_DATA_HOME": os.environ["XDG_DATA_HOME"]}
    base = [*SCOPEAUDIT, "audit", str(DEMO), "--snapshot", str(SNAPSHOT), "--lang", "en"]
    for fmt, name, marker in (
        ("pdf", "report.pdf", "Perimeteraudit—contractDEMO-2026-001"),
        ("amendment", "amendment.pdf", "Amendmentno."),
    ):
        target = tmp_path / name
        done = subprocess.run(
            [*base, "--format", fmt, "--output", str(target)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=180,
            env=env,
        )
        assert done.returncode == 1, done.stderr  # the demo drifts
        text, _ = pdf_text(target)
        assert marker in text and "HQ-NAS-01" in text

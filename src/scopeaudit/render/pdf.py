"""PDF output: the HTML report (or amendment) printed to A4 by headless Chromium.

Chromium is the one engine that prints our CSS faithfully (A4 pages, page breaks, inline SVG);
it runs with a throwaway profile, no network-facing background services, and a time limit. The
page it prints loads nothing (see ``scopeaudit.render.html``), so printing makes no request.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from scopeaudit.audit_models import AuditResult
from scopeaudit.errors import ExitCode, ScopeauditError
from scopeaudit.i18n import Catalog, render
from scopeaudit.safetext import inert
from scopeaudit.taxonomy import Language

FR, EN = Language.FR, Language.EN
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TIMEOUT_S = 90.0

MESSAGES: Catalog = {
    "missing": {
        FR: "PDF impossible : Chromium est introuvable (installez-le : apt-get install chromium)",
        EN: "cannot write a PDF: Chromium was not found (install it: apt-get install chromium)",
    },
    "timeout": {
        FR: "PDF impossible : Chromium n'a pas fini en {seconds:.0f} s",
        EN: "cannot write a PDF: Chromium did not finish within {seconds:.0f} s",
    },
    "failed": {
        FR: "PDF impossible : Chromium a échoué (code {code}) : {error}",
        EN: "cannot write a PDF: Chromium failed (exit {code}): {error}",
    },
    "output": {
        FR: "PDF impossible : {path} : {error}",
        EN: "cannot write a PDF: {path}: {error}",
    },
}


class PdfError(ScopeauditError):
    """The PDF could not be printed (Chromium absent, failing or too slow)."""

    # The requested format cannot be produced here: the same code as an unavailable format.
    exit_code = ExitCode.USAGE


def chromium_path() -> str | None:
    """The Chromium executable on PATH, if any."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _last_line(text: bytes) -> str:
    lines = [line for line in text.decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1].strip()[:200] if lines else "-"


def print_html(html_text: str, path: Path, lang: Language = EN, timeout: float = TIMEOUT_S) -> Path:
    """Print ``html_text`` to the PDF file ``path`` with headless Chromium; returns ``path``."""
    browser = chromium_path()
    if browser is None:
        raise PdfError(render(MESSAGES, "missing", {}, lang))
    target = Path(path).absolute()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PdfError(
            render(MESSAGES, "output", {"path": target, "error": error.strerror}, lang)
        ) from None
    with tempfile.TemporaryDirectory(prefix="scopeaudit-pdf-") as work:
        page = Path(work) / "report.html"
        page.write_text(html_text, encoding="utf-8")
        partial = Path(work) / "out.pdf"
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={Path(work) / 'profile'}",
            f"--print-to-pdf={partial}",
            "--no-pdf-header-footer",
            page.as_uri(),
        ]
        # Own session: on timeout the whole Chromium process tree goes, not only the launcher.
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            env={**os.environ, "HOME": work},
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfError(render(MESSAGES, "timeout", {"seconds": timeout}, lang)) from None
        finally:
            # Chromium's helpers can outlive the launcher; they belong to this run only.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        if not partial.is_file() or not partial.read_bytes().startswith(b"%PDF"):
            said = inert(_last_line(stderr))
            raise PdfError(
                render(MESSAGES, "failed", {"code": process.returncode, "error": said}, lang)
            )
        try:
            shutil.copyfile(partial, target)
        except OSError as error:
            raise PdfError(
                render(MESSAGES, "output", {"path": target, "error": error.strerror}, lang)
            ) from None
    return target


def render_pdf(result: AuditResult, lang: Language, path: Path) -> Path:
    """The audit report as a PDF at ``path`` (every evidence block expanded)."""
    from scopeaudit.render.html import render_html

    return print_html(render_html(result, lang, expanded=True), path, lang)

"""Versions of the tool, of the external programs it drives and of the data files it uses."""

from __future__ import annotations

import re
import shutil
import subprocess

from scopeaudit import __version__


def nmap_version() -> str:
    """The installed nmap's version, or a note saying it is missing."""
    path = shutil.which("nmap")
    if path is None:
        return "not installed (apt-get install nmap)"
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        return f"unusable ({error})"
    match = re.search(r"Nmap version (\S+)", out)
    return match.group(1) if match else "unknown version"


def tool_versions() -> list[tuple[str, str]]:
    """(name, version) pairs printed by ``scopeaudit --version``."""
    return [("scopeaudit", __version__), ("nmap", nmap_version()), ("vendor", oui_version())]


def oui_version() -> str:
    """The OUI data's source, month and size, flagged when older than 12 months."""
    from datetime import UTC, datetime

    from scopeaudit.oui import data_version, describe

    return describe(data_version(), datetime.now(UTC))

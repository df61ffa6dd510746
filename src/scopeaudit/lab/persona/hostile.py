"""The canonical hostile strings: values a network can put into names, banners and TXT records.

The hostile lab persona carries them (its kind file refers to them as ``{{hostile:NAME}}``), and
renderer tests can import them to prove every output escapes them. Text becomes bytes on the
wire as UTF-8 with ``surrogateescape``, so a lone surrogate ``\\udcXX`` here is the raw byte
``XX``: that is how invalid UTF-8 is written down in a ``str``.
"""

from __future__ import annotations

# One entry per attack, named so a failing test can say which one got through.
HOSTILE: dict[str, str] = {
    "script": "<script>alert(1)</script>",
    "attr_break": '" onerror="alert(1)',
    "img_onerror": "<img src=x onerror=alert(1)>",
    "formula_hyperlink": '=HYPERLINK("http://evil.example/x","click")',
    "formula_cmd": "+cmd|' /C calc'!A0",
    "formula_at": "@SUM(1)",
    "formula_minus": "-2+3",
    "ansi_color": "\x1b[31mRED\x1b[0m",
    "ansi_osc8": "\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\",
    "ansi_clear": "\x1b[2J\x1b[H",
    "rich_link": "[link=http://evil]x[/link]",
    "rich_style": "[bold red]alarm[/bold red]",
    "rtl_override": "invoice\u202egpj.exe",
    "nul": "nul\x00byte",
    "invalid_utf8": "bad\udcff\udcfeutf8",
    "markdown": "[click](javascript:alert(1)) | col |",
    "newline": "line1\r\nInjected-Header: yes",
    "long": "L" * 300 + "-very-long-name",
}

# Where a protocol forbids some of them (DNS labels hold at most 63 bytes; zeroconf names must be
# valid UTF-8; HTTP header values cannot hold CR/LF without ending the header), these subsets apply.
LABEL_SAFE: tuple[str, ...] = (
    "script",
    "attr_break",
    "formula_hyperlink",
    "formula_cmd",
    "formula_at",
    "formula_minus",
    "ansi_color",
    "ansi_osc8",
    "rich_link",
    "rich_style",
    "rtl_override",
    "nul",
)
HEADER_SAFE: tuple[str, ...] = tuple(name for name in HOSTILE if name not in {"newline"})


def as_bytes(text: str) -> bytes:
    """The wire form of a lab string: UTF-8, lone surrogates back to the raw bytes they stand for."""
    return text.encode("utf-8", "surrogateescape")


def expand(text: str) -> str:
    """Replace every ``{{hostile:NAME}}`` in ``text`` with the named hostile string."""
    if "{{hostile:" not in text:
        return text
    for name, value in HOSTILE.items():
        text = text.replace("{{hostile:" + name + "}}", value)
    return text

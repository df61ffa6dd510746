"""The command line: the only module that imports typer, prints for the user, or exits.

Each command parses its options, calls one library function and turns the result or the
``ScopeauditError`` it raised into output and an ``ExitCode``. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from scopeaudit import __version__
from scopeaudit.contract.report import OutputFormat
from scopeaudit.errors import ExitCode, ScopeauditError
from scopeaudit.taxonomy import Language

app = typer.Typer(
    name="scopeaudit",
    help="Audit a managed-IT contract's perimeter against what is really on the network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True, highlight=False, soft_wrap=True)
out_console = Console(highlight=False, soft_wrap=True)


class _State:
    debug = False


def _fail(error: ScopeauditError) -> NoReturn:
    """Print a ScopeauditError one problem per line and exit with its code."""
    for line in error.lines():
        err_console.print(line, markup=False)
    raise typer.Exit(int(error.exit_code))


def _version_callback(value: bool) -> None:
    if not value:
        return
    from scopeaudit.versions import tool_versions

    for name, version in tool_versions():
        out_console.print(f"{name} {version}", markup=False)
    raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Show versions and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")] = False,
) -> None:
    _State.debug = debug


# --- contract: check and init (owner: contract) ---------------------------------------------
contract_app = typer.Typer(
    help="Check a contract file, or write a commented template.", no_args_is_help=True
)
app.add_typer(contract_app, name="contract")


@contract_app.command("check")
def contract_check(
    file: Annotated[Path, typer.Argument(help="The contract YAML file.")],
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text or json.")
    ] = OutputFormat.TEXT,
    lang: Annotated[
        Language | None, typer.Option("--lang", help="fr or en (default: the contract's).")
    ] = None,
) -> None:
    """Validate a contract, summarise it and check its clauses (exit 0, 1 clauses missing, 3 invalid)."""
    import json

    from scopeaudit.contract.loader import read_contract
    from scopeaudit.contract.report import build_report, problems_report, render_text
    from scopeaudit.errors import ValidationFailed
    from scopeaudit.i18n import resolve_language

    try:
        loaded = read_contract(file, lang)
    except ValidationFailed as error:
        if output_format is OutputFormat.JSON:
            doc = problems_report(str(file), error.problems)
            out_console.print(json.dumps(doc, ensure_ascii=False, indent=2), markup=False)
        _fail(error)
    language = resolve_language(lang, loaded.contract.language)
    report = build_report(loaded.contract, str(file), loaded.sha256, language)
    if output_format is OutputFormat.JSON:
        out_console.print(json.dumps(report, ensure_ascii=False, indent=2), markup=False)
    else:
        out_console.print(render_text(report, language))
    raise typer.Exit(report["exit_code"])


@contract_app.command("init")
def contract_init(
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented contract template with every clause and section to fill in."""
    from scopeaudit.contract.messages import CLI, text
    from scopeaudit.contract.template import template, write_template
    from scopeaudit.i18n import resolve_language

    language = resolve_language(lang)
    if output is None:
        sys.stdout.write(template(language))
        return
    try:
        write_template(output, language, force=force)
    except ScopeauditError as error:
        _fail(error)
    err_console.print(text(CLI, "init.written", language, path=output), markup=False)


# --- end of contract ---------------------------------------------------------------------------


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(int(ExitCode.TERMINATED))


def main() -> None:
    """Console-script entry point: run the app, map interrupts and errors to exit codes."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        # without standalone mode click returns a command's typer.Exit code instead of exiting
        status = app(standalone_mode=False)
    except ScopeauditError as error:
        if _State.debug:
            raise
        for line in error.lines():
            err_console.print(line, markup=False)
        sys.exit(int(error.exit_code))
    except KeyboardInterrupt:
        err_console.print("Interrupted.", markup=False)
        sys.exit(int(ExitCode.INTERRUPTED))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(int(ExitCode.INTERRUPTED))
    except Exception as error:  # usage errors of the parser, and the unexpected
        show = getattr(error, "show", None)
        code = getattr(error, "exit_code", None)
        if callable(show) and isinstance(code, int):  # click's exceptions, as vendored by typer
            show()
            sys.exit(code)
        if _State.debug:
            raise
        err_console.print(
            f"Internal error: {type(error).__name__}: {error} (run again with --debug for details)",
            markup=False,
        )
        sys.exit(int(ExitCode.BAD_INPUT))
    sys.exit(status if isinstance(status, int) else 0)

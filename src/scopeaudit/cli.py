"""The command line: the only module that imports typer, prints for the user, or exits.

Each command parses its options, calls one library function and turns the result or the
``ScopeauditError`` it raised into output and an ``ExitCode``. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from scopeaudit import __version__
from scopeaudit.errors import ExitCode, ScopeauditError

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


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(int(ExitCode.TERMINATED))


def main() -> None:
    """Console-script entry point: run the app, map interrupts and errors to exit codes."""
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        app(standalone_mode=False)
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
    sys.exit(0)

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
    file: Annotated[Path, typer.Argument(help="The contract YAML file.", readable=False)],
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
            sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        _fail(error)
    language = resolve_language(lang, loaded.contract.language)
    report = build_report(loaded.contract, str(file), loaded.sha256, language)
    if output_format is OutputFormat.JSON:
        # written directly, not through rich: ":name:" in a contract must not become an emoji
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
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


# --- lab: the emulated site (owner: lab infrastructure) ---------------------------------------
lab_app = typer.Typer(
    help="The emulated client site in network namespaces (needs root): docs/lab.md.",
    no_args_is_help=True,
)
app.add_typer(lab_app, name="lab")

_LabName = Annotated[
    str | None, typer.Option("--name", help="Lab instance (default: the only running one).")
]


def _lab_root() -> None:
    """Refuse early and clearly without root: exit 2."""
    import os

    from scopeaudit.lab.messages import text as lab_text

    if os.geteuid() != 0:
        err_console.print(lab_text("needs_root"), markup=False)
        raise typer.Exit(int(ExitCode.USAGE))


def _lab_command(argv: list[str] | None) -> list[str]:
    from scopeaudit.lab.messages import text as lab_text

    if argv and argv[0] == "--":  # kept by click after a positional argument
        argv = argv[1:]
    if not argv:
        err_console.print(lab_text("no_command"), markup=False)
        raise typer.Exit(int(ExitCode.USAGE))
    return argv


@lab_app.command("up")
def lab_up(
    topology: Annotated[Path, typer.Argument(help="Topology file, e.g. fixtures/lab/office.yaml.")],
    profile: Annotated[str, typer.Option(help="friendly or realistic.")] = "friendly",
    name: Annotated[str | None, typer.Option(help="Instance name (1-8 of a-z0-9).")] = None,
    hosts: Annotated[
        int | None, typer.Option(help="Size of every generated network (overrides the file).")
    ] = None,
) -> None:
    """Start a lab in the background, wait until every persona is ready, print its name."""
    from scopeaudit.lab.instance import Lab
    from scopeaudit.lab.topology import Profile

    _lab_root()
    if profile not in {p.value for p in Profile}:
        err_console.print(f"--profile: friendly | realistic ({profile!r})", markup=False)
        raise typer.Exit(int(ExitCode.USAGE))
    try:
        instance = Lab.up(topology, profile, name, hosts=hosts)
    except ScopeauditError as error:
        _fail(error)
    out_console.print(instance.name, markup=False)


@lab_app.command("down")
def lab_down(name: _LabName = None) -> None:
    """Stop a lab: every namespace, link and process of it is removed."""
    from scopeaudit.lab.instance import Lab

    _lab_root()
    try:
        Lab.attach(name).down()
    except ScopeauditError as error:
        _fail(error)


@lab_app.command("status")
def lab_status(
    name: _LabName = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Personas with their namespaces, MACs, IPs, processes and canary counts."""
    import json

    from rich.table import Table
    from rich.text import Text

    from scopeaudit.i18n import resolve_language
    from scopeaudit.lab import report
    from scopeaudit.lab.instance import Lab

    _lab_root()
    if format not in ("text", "json"):
        err_console.print(f"--format: text | json ({format!r})", markup=False)
        raise typer.Exit(int(ExitCode.USAGE))
    try:
        status = Lab.attach(name).status()
    except ScopeauditError as error:
        _fail(error)
    if format == "json":
        sys.stdout.write(json.dumps(status, indent=2, sort_keys=True, ensure_ascii=True) + "\n")
        return
    lang = resolve_language()
    table = Table(title=Text(report.title(status, lang)), title_justify="left")
    for heading in report.headers(lang):
        table.add_column(Text(heading), overflow="fold")
    for row in report.rows(status, lang):
        table.add_row(*(Text(cell) for cell in row))  # Text: never read as rich markup
    out_console.print(table)


@lab_app.command(
    "exec", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def lab_exec(
    argv: Annotated[list[str] | None, typer.Argument(help="-- COMMAND [ARGS…]")] = None,
    name: _LabName = None,
    inside: Annotated[
        str | None, typer.Option("--in", help="Persona id (default: the technician).")
    ] = None,
) -> None:
    """Run a command in a namespace of the lab (the technician's by default)."""
    from scopeaudit.lab.instance import Lab

    _lab_root()
    command = _lab_command(argv)
    try:
        done = Lab.attach(name).exec(command, inside, capture=False)
    except ScopeauditError as error:
        _fail(error)
    raise typer.Exit(done.returncode)


@lab_app.command("rotate")
def lab_rotate(
    persona: Annotated[str, typer.Argument(help="Persona id, e.g. iph01.")],
    name: _LabName = None,
) -> None:
    """Give a persona's first interface a new random private MAC, then SIGHUP its runtime."""
    from scopeaudit.lab.instance import Lab

    _lab_root()
    try:
        mac = Lab.attach(name).rotate(persona)
    except ScopeauditError as error:
        _fail(error)
    out_console.print(mac, markup=False)


@lab_app.command(
    "run", context_settings={"allow_interspersed_args": False, "ignore_unknown_options": True}
)
def lab_run(
    topology: Annotated[Path, typer.Argument(help="Topology file.")],
    argv: Annotated[list[str] | None, typer.Argument(help="-- COMMAND [ARGS…]")] = None,
    profile: Annotated[str, typer.Option(help="friendly or realistic.")] = "friendly",
    hosts: Annotated[int | None, typer.Option(help="Size of generated networks.")] = None,
) -> None:
    """Bring a lab up, run COMMAND in the technician's namespace, tear it down: COMMAND's code."""
    from scopeaudit.lab.instance import Lab

    _lab_root()
    command = _lab_command(argv)
    try:
        with Lab.up(topology, profile, hosts=hosts) as instance:
            done = instance.exec(command, capture=False)
    except ScopeauditError as error:
        _fail(error)
    raise typer.Exit(done.returncode)


# --- end of lab ----------------------------------------------------------------------------------


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

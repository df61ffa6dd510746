"""The command line: the only module that imports typer, prints for the user, or exits.

Each command parses its options, calls one library function and turns the result or the
``ScopeauditError`` it raised into output and an ``ExitCode``. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

from scopeaudit.contract.report import OutputFormat
from scopeaudit.errors import ExitCode, ScopeauditError
from scopeaudit.taxonomy import Language

if TYPE_CHECKING:  # the run store's types, for the store block's annotations
    from scopeaudit.audit_models import AuditResult
    from scopeaudit.models import Snapshot
    from scopeaudit.reconcile import Presence
    from scopeaudit.snmp_config import SnmpOptions
    from scopeaudit.store import Store

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


# --- contract perimeter: equipment-from, apply-amendment (owner: perimeter) -------------------
@contract_app.command("equipment-from")
def contract_equipment_from(
    source: Annotated[
        str,
        typer.Argument(
            help="A snapshot JSON (scan --output), an inventory (GLPI, OCS, leases: any "
            "scan --import file) or a run id of the store."
        ),
    ],
    merge: Annotated[
        Path | None,
        typer.Option("--merge", help="Update this contract: the whole file is written."),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: stdout); an old one is kept."),
    ] = None,
    store_path: Annotated[
        Path | None, typer.Option("--store", help="Run store to read run ids from.")
    ] = None,
    decisions: Annotated[
        Path | None,
        typer.Option(
            "--decisions",
            help="A decisions file (scopeaudit decide): a pinned category or name counts "
            "before anything is proposed, so a device left unknown by the scan can be declared.",
        ),
    ] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """Write the equipment: section from what a scan found, or update a contract with it."""
    from scopeaudit.contract.emit import equipment_from, read_source, write_keeping
    from scopeaudit.i18n import render, resolve_language
    from scopeaudit.perimeter import TEXT, summary_lines
    from scopeaudit.safetext import inert
    from scopeaudit.store import Store, default_store_path, load_snapshot_arg

    language = resolve_language(lang)
    try:
        snapshot = read_source(source, language)
        if snapshot is None:  # not a file: a run id of the store
            reader = None
            given = store_path or default_store_path()
            if given.exists():
                reader = Store.open(given, lock=False, create=False)
            snapshot = load_snapshot_arg(source, reader)
        if decisions is not None:
            from scopeaudit import decisions as decisions_file
            from scopeaudit.classify.device import pin

            pins = decisions_file.load(decisions, required=True, lang=language).pins(
                snapshot.devices
            )
            pinned = [pin(d, pins[d.id], language) if d.id in pins else d for d in snapshot.devices]
            snapshot = snapshot.model_copy(update={"devices": pinned})
        outcome = equipment_from(snapshot, Path(source).name, merge, lang)
        language = outcome.language
        kept = write_keeping(output, outcome.text, language) if output is not None else None
    except ScopeauditError as error:
        _fail(error)
    if output is None:
        sys.stdout.write(outcome.text)
    else:
        err_console.print(
            inert(render(TEXT, "written", {"path": output}, language), None), markup=False
        )
    if kept is not None:
        err_console.print(
            inert(render(TEXT, "previous", {"path": kept}, language), None), markup=False
        )
    for line in summary_lines(outcome.change, language, removal_kept=merge is not None):
        err_console.print(inert(line, None), markup=False)


@contract_app.command("apply-amendment")
def contract_apply_amendment(
    contract: Annotated[Path, typer.Argument(help="The contract YAML file.", readable=False)],
    amendment: Annotated[
        Path,
        typer.Argument(help="The audit JSON the amendment was made from.", readable=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: CONTRACT.v<N>.yaml)."),
    ] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
    include_provisional: Annotated[
        bool,
        typer.Option(
            "--include-provisional",
            help="The amendment was made with --include-provisional: remove those items too.",
        ),
    ] = False,
) -> None:
    """Write the contract's next version after a signed amendment; the previous one is kept."""
    from scopeaudit.contract.emit import apply_amendment, next_version_path, write_keeping
    from scopeaudit.i18n import render, resolve_language
    from scopeaudit.perimeter import TEXT, summary_lines
    from scopeaudit.safetext import inert

    language = resolve_language(lang)
    try:
        outcome = apply_amendment(contract, amendment, lang, include_provisional)
        language = outcome.language
        target = output or next_version_path(contract)
        kept = write_keeping(target, outcome.text, language)
    except ScopeauditError as error:
        _fail(error)
    err_console.print(
        inert(render(TEXT, "written", {"path": target}, language), None), markup=False
    )
    if kept is not None:
        err_console.print(
            inert(render(TEXT, "previous", {"path": kept}, language), None), markup=False
        )
    for line in summary_lines(outcome.change, language):
        err_console.print(inert(line, None), markup=False)


# --- end of contract perimeter -----------------------------------------------------------------


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
    # Piped or captured output has no width to respect: keep one host per line there.
    wide = Console(highlight=False, width=200) if not out_console.is_terminal else out_console
    wide.print(table)


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


@lab_app.command("move")
def lab_move(
    persona: Annotated[str, typer.Argument(help="Persona id, e.g. pc01 / identifiant de persona.")],
    port: Annotated[
        int, typer.Option("--port", help="New switch port / nouveau port du switch, e.g. 5.")
    ],
    name: _LabName = None,
) -> None:
    """Re-plug a persona into another port of its switch / rebrancher une persona sur un
    autre port de son switch."""
    from scopeaudit.lab.instance import Lab
    from scopeaudit.lab.messages import text as lab_text
    from scopeaudit.lab.plumbing import port_ifname

    _lab_root()
    try:
        summary = Lab.attach(name).move_to_port(persona, port)
    except ScopeauditError as error:
        _fail(error)
    for plug in summary.get("switch_ports", []):
        message = lab_text(
            "moved",
            persona=persona,
            switch=plug["switch"],
            port=plug["port"],
            ifname=port_ifname(int(plug["port"])),
        )
        out_console.print(message, markup=False)


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


# --- classification: explain and decide (owner: classification) ------------------------------
def _h5_rules_and_lang(rules: list[Path] | None, lang: Language | None) -> tuple[object, Language]:
    from scopeaudit.classify.rules import load_ruleset
    from scopeaudit.i18n import resolve_language

    return load_ruleset(rules or []), resolve_language(lang)


@app.command("explain")
def explain_command(
    snapshot: Annotated[Path, typer.Argument(help="A snapshot JSON file.")],
    device: Annotated[str, typer.Argument(help="Device id, unique id prefix, MAC or name.")],
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="Extra rules file (repeatable).")
    ] = None,
    decisions: Annotated[
        Path | None, typer.Option("--decisions", help="Decisions file (pins are shown).")
    ] = None,
) -> None:
    """Show a device's evidence, every rule that fired with its weight, and the decision."""
    from rich.table import Table
    from rich.text import Text

    from scopeaudit import decisions as decisions_file
    from scopeaudit.classify.explain import explain
    from scopeaudit.classify.messages import MESSAGES
    from scopeaudit.classify.rules import RuleSet
    from scopeaudit.i18n import render
    from scopeaudit.safetext import inert

    try:
        ruleset, language = _h5_rules_and_lang(rules, lang)
        assert isinstance(ruleset, RuleSet)
        snap = _snapshot_arg(snapshot)
        chosen = decisions_file.find_device(snap.devices, device, str(snapshot))
        pins = {}
        if decisions is not None:
            pins = decisions_file.load(decisions, required=True, lang=language).pins(snap.devices)
        result = explain(snap, chosen, ruleset, pins, language)
    except ScopeauditError as error:
        _fail(error)

    def msg(code: str, **params: object) -> str:
        return render(MESSAGES, code, params, language)

    dev = result.device
    none = msg("explain.none")
    out_console.print(Text(msg("explain.title", id=dev.id), style="bold"))
    out_console.print(
        Text(
            msg(
                "explain.identity",
                macs=", ".join(dev.macs) or none,
                ips=", ".join(dev.ips) or none,
                names=inert(", ".join(dev.hostnames)) or none,
            )
        )
    )
    if dev.switch_port is not None:  # where it is plugged (SNMP forwarding table)
        from scopeaudit.sources.snmp_tables import port_label

        out_console.print(Text(inert(port_label(dev.switch_port, language), 120)))
    table = Table(title=msg("explain.evidence"), title_justify="left")
    for col in ("explain.col.signal", "explain.col.value", "explain.col.observations"):
        table.add_column(msg(col))
    for signal_text, value, where in result.evidence:
        table.add_row(Text(signal_text), Text(inert(value)), Text(where))
    out_console.print(table if result.evidence else Text(msg("explain.no_evidence")))
    rules_table = Table(title=msg("explain.rules"), title_justify="left")
    for col in (
        "explain.col.rule",
        "explain.col.signal",
        "explain.col.value",
        "explain.col.votes",
        "explain.col.counted",
        "explain.col.meaning",
    ):
        rules_table.add_column(msg(col))
    for row in result.rules:
        counted = msg("explain.yes") if row.counted else msg("explain.no")
        rules_table.add_row(
            Text(row.rule),
            Text(row.signal),
            Text(inert(row.evidence, 80)),
            Text(row.votes),
            Text(counted),
            Text(row.label),
        )
    if result.rules:
        out_console.print(rules_table)
    out_console.print(Text(msg("explain.decision"), style="bold"))
    for item in result.reasons:
        if item.code.startswith("classify.rule") or item.code == "classify.unsupported":
            continue
        out_console.print(Text(f"  {inert(item.text, None)}"))
    scores = ", ".join(f"{name} {score:.2f}" for name, score in result.scores) or none
    out_console.print(Text("  " + msg("explain.scores", scores=scores)))
    out_console.print(
        Text(
            "  "
            + msg(
                "explain.attributes",
                vendor=inert(dev.vendor or none),
                model=inert(dev.model or none),
                os=inert(dev.os or none),
                form_factor=dev.form_factor or none,
                virtual=none if dev.virtual is None else dev.virtual,
                role=dev.role or none,
                parent=dev.parent_id or none,
            )
        )
    )


@app.command("decide")
def decide_command(
    device: Annotated[str, typer.Argument(help="Device id, unique id prefix, MAC or name.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the file).")],
    pin_category: Annotated[
        str | None, typer.Option("--pin-category", help="Fix the device's category.")
    ] = None,
    pin_name: Annotated[str | None, typer.Option("--pin-name", help="Fix its name.")] = None,
    action: Annotated[
        str | None,
        typer.Option("--action", help="accept, ignore or pending_amendment instead of a pin."),
    ] = None,
    author: Annotated[str | None, typer.Option("--author", help="Default: $USER.")] = None,
    expires: Annotated[
        str | None, typer.Option("--expires", help="Last day the decision holds (YYYY-MM-DD).")
    ] = None,
    decisions: Annotated[
        Path | None, typer.Option("--decisions", help="Decisions file (default: ./decisions.yaml).")
    ] = None,
    contract: Annotated[
        Path | None, typer.Option("--contract", help="Use the decisions.yaml beside this contract.")
    ] = None,
    snapshot: Annotated[
        Path | None, typer.Option("--snapshot", help="Snapshot in which DEVICE is resolved.")
    ] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """Record a technician's decision about a device (pin its category or name, accept, ignore)."""
    import datetime as dt

    from pydantic import ValidationError

    from scopeaudit import decisions as decisions_file
    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import resolve_language
    from scopeaudit.macaddr import is_locally_administered, is_mac, normalize_mac

    language = resolve_language(lang)
    path = decisions or decisions_file.default_path(contract)
    try:
        if action is None and pin_category is None and pin_name is None:
            raise UsageError("say what to decide: --pin-category, --pin-name or --action")
        device_id, macs, names = device, [], []
        if snapshot is not None:
            snap = _snapshot_arg(snapshot)
            found = decisions_file.find_device(snap.devices, device, str(snapshot))
            device_id = found.id
            macs = [m for m in found.macs if not is_locally_administered(m)]
            names = list(found.hostnames)
        elif is_mac(device):
            macs = [normalize_mac(device)]
        else:  # no snapshot to resolve it in: it may be an id or a name, keep both
            names = [device]
        try:
            entry = decisions_file.Decision.model_validate(
                {
                    "device": device_id,
                    "identifiers": {"macs": macs, "names": names},
                    "action": action or "pin",
                    "category": pin_category,
                    "name": pin_name,
                    "reason": reason,
                    "author": author or decisions_file.current_author(),
                    "date": dt.datetime.now(dt.UTC).date().isoformat(),
                    "expires": expires,
                }
            )
        except ValidationError as error:
            first = error.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "entry"
            raise UsageError(
                f"{where}: {str(first['msg']).removeprefix('Value error, ')}"
            ) from None
        decisions_file.append(path, entry, language)
    except ScopeauditError as error:
        _fail(error)
    err_console.print(f"{path}: {entry.action.value} {entry.device}", markup=False)


# --- end of classification ----------------------------------------------------------------------


# --- scan (owner: discovery) ------------------------------------------------------------------
_SCAN_TEXT = {
    "written": {
        Language.EN: "Snapshot written to {path} ({devices} devices, {fingerprint})",
        Language.FR: "Instantané écrit dans {path} ({devices} équipements, {fingerprint})",
    },
    "need_target": {
        Language.EN: "give --contract FILE, --network CIDR or --import FILE",
        Language.FR: "donnez --contract FICHIER, --network CIDR ou --import FICHIER",
    },
}


def _scan_text(code: str, lang: Language, **params: object) -> str:
    from scopeaudit.i18n import render

    return render(_SCAN_TEXT, code, params, lang)


# --- SNMP credentials by reference (--snmp-config), shared by scan and audit ---------------------
_SnmpConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--snmp-config",
        help="YAML file of SNMP credentials by reference (communities, v3 users: file or env), "
        "extra devices to walk and limits; see docs/snmp.md.",
    ),
]


def _snmp_options(
    path: Path | None, community: list[str] | None, lang: Language
) -> SnmpOptions | None:
    """The resolved ``--snmp-config`` (secrets read now); ``--community`` values come first."""
    if path is None:
        return None
    from dataclasses import replace

    from scopeaudit.snmp_config import load_snmp_config

    options = load_snmp_config(path, lang).resolve()
    if community:
        options = replace(options, communities=(*community, *options.communities))
    return options


# --- end of SNMP credentials -----------------------------------------------------------------


@app.command("scan")
def scan_command(
    contract: Annotated[
        Path | None, typer.Option("--contract", help="Contract whose scope limits every probe.")
    ] = None,
    network: Annotated[
        list[str] | None,
        typer.Option("--network", help="CIDR to scan (private ranges only without a contract)."),
    ] = None,
    interface: Annotated[
        str | None, typer.Option("--interface", help="Interface to sweep and listen on.")
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option("--sources", help="Comma-separated: arp,nmap,passive,names,snmp,host,import."),
    ] = None,
    rate: Annotated[
        float, typer.Option("--rate", help="ARP sweep rate in frames per second.")
    ] = 2000.0,
    passive_seconds: Annotated[
        float, typer.Option("--passive-seconds", help="Listening window; 0 skips listening.")
    ] = 20.0,
    deep: Annotated[
        bool, typer.Option("--deep", help="nmap service and OS detection (never on print ports).")
    ] = False,
    import_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--import",
            help="nmap XML, pcap/pcapng, DHCP lease file (dnsmasq, ISC, Kea, Windows) or "
            "GLPI/OCS CSV export to import (repeatable).",
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", help="Where to write the snapshot JSON.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the probe plan and send nothing.")
    ] = False,
    allow_large: Annotated[
        bool, typer.Option("--allow-large", help="Allow more than 65,536 addresses.")
    ] = False,
    allow_public: Annotated[
        bool, typer.Option("--allow-public", help="Allow public address ranges.")
    ] = False,
    community: Annotated[
        list[str] | None,
        typer.Option(
            "--community",
            help="SNMP community (default public). Visible to other users of this machine "
            "(process list, shell history): prefer --snmp-config.",
        ),
    ] = None,
    snmp_config: _SnmpConfigOption = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
    store_path: _StoreOption = None,
    no_store: _NoStoreOption = False,
) -> None:
    """Discover the devices inside the scope and write a snapshot."""
    from datetime import UTC, datetime

    from scopeaudit.discovery import ALL_SOURCES, ScanRequest, parse_sources, plan, run_scan
    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import resolve_language
    from scopeaudit.render.scan import ScanProgress, scan_summary
    from scopeaudit.scope import Scope
    from scopeaudit.snapshot import write_snapshot

    try:
        language = resolve_language(lang)
        scope = None
        if contract is not None:
            from scopeaudit.contract import load_contract

            loaded = load_contract(contract, lang)
            language = resolve_language(lang, loaded.language)
            scope = Scope.from_contract(
                loaded,
                networks=network or [],
                allow_public=allow_public,
                allow_large=allow_large,
                lang=language,
            )
        elif network:
            scope = Scope.from_cidrs(
                network, allow_public=allow_public, allow_large=allow_large, lang=language
            )
        elif not import_files:
            raise UsageError(_scan_text("need_target", language))
        try:
            chosen = parse_sources([sources]) if sources else None
        except ValueError as error:
            raise UsageError(str(error)) from None
        request = ScanRequest(
            scope=scope,
            interface=interface,
            rate=rate,
            passive_seconds=max(0.0, passive_seconds),
            deep=deep,
            imports=tuple(import_files or ()),
            communities=tuple(community or ("public",)),
            snmp=_snmp_options(snmp_config, community, language),
            lang=language,
            sources=chosen if chosen is not None else ALL_SOURCES,
        )
        if dry_run:
            probe_plan = plan(request)
            for line in probe_plan.lines(language) if probe_plan else []:
                out_console.print(line, markup=False)
            raise typer.Exit(0)
        store = _open_store(store_path, no_store)
        with ScanProgress(err_console, language, request) as progress:
            snapshot = run_scan(request, progress.update)
        snapshot = store.stabilize(snapshot) if store is not None else snapshot
        target = output or Path(
            f"scopeaudit-scan-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}.json"
        )
        write_snapshot(snapshot, target)
        if store is not None:
            _recorded(store, store.record_scan(snapshot), language)
    except ScopeauditError as error:
        _fail(error)
    scan_summary(out_console, snapshot, language)
    out_console.print(
        _scan_text(
            "written",
            language,
            path=target,
            devices=len(snapshot.devices),
            fingerprint=snapshot.fingerprint,
        ),
        markup=False,
    )


# --- end of scan -------------------------------------------------------------------------------


# --- audit: reconcile the contract with the network (owner: audit) ---------------------------
_AUDIT_TEXT = {
    "no_renderer": {
        Language.EN: "the {format} format is not available yet (scopeaudit.render.html is missing)",
        Language.FR: "le format {format} n'est pas encore disponible (scopeaudit.render.html absent)",
    },
    "written": {
        Language.EN: "Report written to {path}",
        Language.FR: "Rapport écrit dans {path}",
    },
    "pdf_output": {
        Language.EN: "--format pdf needs --output FILE.pdf",
        Language.FR: "--format pdf demande --output FICHIER.pdf",
    },
    "bad_format": {
        Language.EN: "--format: unknown format {got!r} (choose {formats})",
        Language.FR: "--format : format inconnu {got!r} (au choix : {formats})",
    },
}


def _audit_text(code: str, lang: Language, **params: object) -> str:
    from scopeaudit.i18n import render

    return render(_AUDIT_TEXT, code, params, lang)


@app.command("audit")
def audit_command(
    contract: Annotated[Path, typer.Argument(help="The contract YAML file.", readable=False)],
    snapshot: Annotated[
        list[Path] | None,
        typer.Option(
            "--snapshot",
            help="Reconcile this snapshot file or stored run id instead of scanning (repeatable).",
        ),
    ] = None,
    decisions: Annotated[
        Path | None,
        typer.Option("--decisions", help="Decisions file (default: decisions.yaml beside it)."),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option("--format", help="terminal, json, csv, md, html, pdf or amendment."),
    ] = "terminal",
    output: Annotated[Path | None, typer.Option("--output", help="Write the report here.")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
    include_provisional: Annotated[
        bool,
        typer.Option("--include-provisional", help="List provisional absences in the amendment."),
    ] = False,
    interface: Annotated[
        str | None, typer.Option("--interface", help="Interface to scan from (live audit).")
    ] = None,
    save_snapshot: Annotated[
        Path | None,
        typer.Option("--save-snapshot", help="Live audit: also write the scan's snapshot here."),
    ] = None,
    number: Annotated[
        str | None, typer.Option("--number", help="Amendment number (amendment format).")
    ] = None,
    effective_date: Annotated[
        str | None,
        typer.Option("--effective-date", help="Amendment's effective date, YYYY-MM-DD."),
    ] = None,
    snmp_config: _SnmpConfigOption = None,
    store_path: _StoreOption = None,
    no_store: _NoStoreOption = False,
) -> None:
    """Compare the contract's declared perimeter with the network: exit 1 when it drifted."""
    import importlib

    from scopeaudit.audit import AuditRequest, run_audit
    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import resolve_language

    formats = ("terminal", "json", "csv", "md", "html", "pdf", "amendment")
    language = resolve_language(lang)
    try:
        if output_format not in formats:
            raise UsageError(
                _audit_text("bad_format", language, got=output_format, formats=", ".join(formats))
            )
        renderer = None
        if output_format in ("html", "pdf", "amendment"):
            try:
                renderer = importlib.import_module("scopeaudit.render.html")
            except ImportError:
                raise UsageError(
                    _audit_text("no_renderer", language, format=output_format)
                ) from None
            if output_format == "pdf" and output is None:
                raise UsageError(_audit_text("pdf_output", language))
        store = _open_store(store_path, no_store)
        stored = _StoredAudit(store, contract, lang, snapshot or [], save_snapshot)
        request = AuditRequest(
            contract=contract,
            snapshots=stored.inputs,
            decisions=decisions,
            lang=lang,
            interface=interface,
            save_snapshot=stored.save_snapshot,
            presence=stored.presence,
            snmp=_snmp_options(snmp_config, None, language),
        )
        if request.snapshots:
            result = run_audit(request)
        else:
            from scopeaudit.contract import load_contract
            from scopeaudit.discovery import ScanRequest
            from scopeaudit.render.scan import ScanProgress
            from scopeaudit.scope import Scope

            loaded = load_contract(contract, lang)
            language = resolve_language(lang, loaded.language)
            shown = ScanRequest(scope=Scope.from_contract(loaded, lang=language), lang=language)
            with ScanProgress(err_console, language, shown) as progress:
                result = run_audit(request, progress.update)
        result = stored.record(result)
        language = result.language
        text: str | bytes | None = None
        if output_format == "terminal":
            if output is None and out_console.is_terminal:
                from scopeaudit.render.audit_terminal import render_terminal

                render_terminal(out_console, result, language)
            else:
                from scopeaudit.render.audit_terminal import terminal_text

                text = terminal_text(result, language)
        elif output_format == "json":
            from scopeaudit.render.audit_json import render_json

            text = render_json(result)
        elif output_format == "csv":
            from scopeaudit.render.audit_csv import render_csv

            text = render_csv(result, language)
        elif output_format == "md":
            from scopeaudit.render.audit_markdown import render_markdown

            text = render_markdown(result, language)
        elif output_format == "html":
            text = renderer.render_html(result, language)  # type: ignore[union-attr]
        elif output_format == "pdf":
            renderer.render_pdf(result, language, output)  # type: ignore[union-attr]
        else:
            suffix = output.suffix.lower().lstrip(".") if output else "html"
            fmt = {"pdf": "pdf", "md": "md"}.get(suffix, "html")
            text = renderer.render_amendment(  # type: ignore[union-attr]
                result,
                language,
                fmt,
                {
                    "include_provisional": include_provisional,
                    "number": number,
                    "effective_date": effective_date,
                },
            )
        if text is not None:
            if output is None:
                if isinstance(text, bytes):
                    sys.stdout.buffer.write(text)
                else:
                    sys.stdout.write(text)
                sys.stdout.flush()
            else:
                output.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(text, bytes):
                    output.write_bytes(text)
                else:
                    output.write_text(text, encoding="utf-8", newline="")
        if output is not None:
            err_console.print(_audit_text("written", language, path=output), markup=False)
    except ScopeauditError as error:
        _fail(error)
    except OSError as error:
        err_console.print(f"{error.filename or output}: {error.strerror}", markup=False)
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    raise typer.Exit(int(ExitCode.FINDINGS if result.summary.drift else ExitCode.OK))


# --- end of audit ------------------------------------------------------------------------------


# --- doctor: checks before a site visit (owner: scope guard) ----------------------------------
@app.command("doctor")
def doctor_command(
    contract: Annotated[
        Path | None, typer.Option("--contract", help="Check the interface facing each network.")
    ] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """Check privileges, interfaces, nmap, MAC vendor data and the clock before a site visit."""
    from scopeaudit.doctor import Level, run_checks
    from scopeaudit.i18n import resolve_language
    from scopeaudit.scope import Scope

    scope = None
    language = resolve_language(lang)
    if contract is not None:
        from scopeaudit.contract import load_contract

        try:
            loaded = load_contract(contract, lang)
            language = resolve_language(lang, loaded.language)
            scope = Scope.from_contract(loaded, allow_large=True, allow_public=True, lang=language)
        except ScopeauditError as error:
            _fail(error)
    checks = run_checks(scope)
    marks = {Level.OK: "ok  ", Level.WARNING: "warn", Level.PROBLEM: "FAIL"}
    for check in checks:
        out_console.print(f"[{marks[check.level]}] {check.text(language)}", markup=False)
    if any(check.level is Level.PROBLEM for check in checks):
        raise typer.Exit(int(ExitCode.FINDINGS))


# --- end of doctor -----------------------------------------------------------------------------


# --- agent: one scheduled run (owner: scheduled agent; docs/scheduled-audit.md) ---------------
agent_app = typer.Typer(
    help="The scheduled agent (cron, systemd timer).", no_args_is_help=True, add_completion=False
)
app.add_typer(agent_app, name="agent")


@agent_app.command("run")
def agent_run(
    config: Annotated[Path, typer.Option("--config", help="The agent.yaml file.", readable=False)],
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """One scheduled audit: reports, metrics, alerts on new drift; exit 1 when it drifted."""
    from scopeaudit.agent import run_agent
    from scopeaudit.agent_config import load_agent_config
    from scopeaudit.i18n import resolve_language

    def log(line: str) -> None:
        # plain lines, no colour or timestamps: journald (or cron's mail) adds its own
        sys.stderr.write(line + "\n")
        sys.stderr.flush()

    try:
        loaded = load_agent_config(config, resolve_language(lang))
        if lang is not None:
            loaded = loaded.model_copy(update={"lang": lang})
        outcome = run_agent(loaded, log)
    except ScopeauditError as error:
        _fail(error)
    except OSError as error:
        err_console.print(f"{error.filename}: {error.strerror}", markup=False)
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    raise typer.Exit(int(outcome.exit_code))


# --- end of agent ------------------------------------------------------------------------------


# --- run store: history, store prune, --store/--no-store of scan and audit (owner: store) ------
_StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store", help="Run store file (default: ~/.local/share/scopeaudit/runs.sqlite)."
    ),
]
_NoStoreOption = Annotated[bool, typer.Option("--no-store", help="Do not record this run.")]
_STORE_TEXT = {
    "recorded": {
        Language.EN: "Run recorded: {run} ({path})",
        Language.FR: "Exécution enregistrée : {run} ({path})",
    },
    "empty": {
        Language.EN: "No run recorded yet in {path}",
        Language.FR: "Aucune exécution enregistrée dans {path}",
    },
    "header": {
        Language.EN: "RUN KIND STARTED CONTRACT DEVICES DRIFT FINGERPRINT",
        Language.FR: "EXÉCUTION TYPE DÉBUT CONTRAT ÉQUIPEMENTS DÉRIVE EMPREINTE",
    },
    "pruned": {
        Language.EN: "{removed} run(s) removed, {kept} kept",
        Language.FR: "{removed} exécution(s) supprimée(s), {kept} conservée(s)",
    },
    "prune_what": {
        Language.EN: "give --keep-runs N and/or --keep-days N",
        Language.FR: "donnez --keep-runs N et/ou --keep-days N",
    },
    "bad_history_format": {
        Language.EN: "--format: choose text or json",
        Language.FR: "--format : au choix text ou json",
    },
    "yes": {Language.EN: "yes", Language.FR: "oui"},
    "no": {Language.EN: "no", Language.FR: "non"},
}


def _store_text(code: str, lang: Language, **params: object) -> str:
    from scopeaudit.i18n import render

    return render(_STORE_TEXT, code, params, lang)


def _open_store(path: Path | None, no_store: bool) -> Store | None:
    """The locked store a scan or audit records into, or None with --no-store."""
    if no_store:
        return None
    from scopeaudit.store import Store

    return Store.open(path)


def _snapshot_arg(given: Path) -> Snapshot:
    """A snapshot argument: the file, else a run of the default store (id, prefix, last~N)."""
    from scopeaudit.store import Store, default_store_path, load_snapshot_arg

    if given.exists() or not default_store_path().exists():
        return load_snapshot_arg(str(given), None)
    with Store.open(default_store_path(), lock=False, create=False) as store:
        return load_snapshot_arg(str(given), store)


def _recorded(store: Store, run_id: str, lang: Language) -> None:
    err_console.print(_store_text("recorded", lang, run=run_id, path=store.path), markup=False)


class _StoredAudit:
    """What the store adds to an audit: run ids as snapshots, presence, recording."""

    def __init__(
        self,
        store: Store | None,
        contract: Path,
        lang: Language | None,
        snapshots: list[Path],
        save_snapshot: Path | None,
    ) -> None:
        import atexit
        import shutil
        import tempfile

        from scopeaudit.snapshot import write_snapshot
        from scopeaudit.store import Store, load_snapshot_arg

        self.store = store
        self.contract = contract
        self.presence: dict[str, Presence] | None = None
        self.save_snapshot = save_snapshot
        folder = Path(tempfile.mkdtemp(prefix="scopeaudit-run-"))
        atexit.register(shutil.rmtree, folder, True)
        reader = store
        inputs: list[Path] = []
        for index, given in enumerate(snapshots):
            if given.exists():
                inputs.append(given)
                continue
            if reader is None:  # --no-store: run ids still resolve, read-only
                from scopeaudit.store import default_store_path

                if default_store_path().exists():
                    reader = Store.open(default_store_path(), lock=False, create=False)
            loaded = load_snapshot_arg(str(given), reader)
            inputs.append(write_snapshot(loaded, folder / f"input-{index}.json"))
        self.inputs = tuple(inputs)
        if store is None:
            return
        from scopeaudit.contract import load_contract

        declared = load_contract(contract, lang)
        self.presence = store.presence(declared.reference, [e.id for e in declared.equipment])
        if not snapshots and save_snapshot is None:
            self.save_snapshot = folder / "scan.json"

    def record(self, result: AuditResult) -> AuditResult:
        """Stable ids in the result, and the run recorded; the result as rendered."""
        if self.store is None:
            return result
        from scopeaudit.snapshot import read_snapshot
        from scopeaudit.store import snapshot_from_result

        result = self.store.stabilize_audit(result)
        read = [read_snapshot(p) for p in (self.inputs or (self.save_snapshot,)) if p]
        dropped: dict[str, int] = {}
        for one in read:
            for reason, count in one.dropped.items():
                dropped[reason] = dropped.get(reason, 0) + count
        kept = snapshot_from_result(result, read[0].scope if read else None, dropped)
        run_id = self.store.record_audit(result, kept, self.contract, result.contract.sha256)
        _recorded(self.store, run_id, result.language)
        return result


@app.command("history")
def history_command(
    store_path: _StoreOption = None,
    output_format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    limit: Annotated[int | None, typer.Option("--limit", help="Only the last N runs.")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """List the recorded runs, newest first: date, contract, devices, drift, fingerprint."""
    import json

    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import resolve_language
    from scopeaudit.store import Store, default_store_path

    language = resolve_language(lang)
    try:
        if output_format not in ("text", "json"):
            raise UsageError(_store_text("bad_history_format", language))
        path = store_path or default_store_path()
        runs = []
        if store_path is not None or path.exists():  # no default store yet: no run yet
            with Store.open(path, lock=False, create=False) as store:
                runs = store.runs(limit)
    except ScopeauditError as error:
        _fail(error)
    if output_format == "json":
        document = {"schema": "scopeaudit.history/1", "runs": [r.as_json() for r in runs]}
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=1) + "\n")
        return
    if not runs:
        out_console.print(_store_text("empty", language, path=path), markup=False)
        return
    out_console.print(_store_text("header", language), markup=False)
    for run in runs:
        drift = "-" if run.drift is None else _store_text("yes" if run.drift else "no", language)
        fingerprint = (run.fingerprint or "-").removeprefix("sha256:")[:12]
        out_console.print(
            f"{run.id} {run.kind.value} {run.started_at:%Y-%m-%d %H:%M}Z "
            f"{run.contract_reference or '-'} {run.devices} {drift} {fingerprint}",
            markup=False,
        )


store_app = typer.Typer(help="The run store.", no_args_is_help=True, add_completion=False)
app.add_typer(store_app, name="store")


@store_app.command("prune")
def store_prune(
    keep_runs: Annotated[
        int | None, typer.Option("--keep-runs", help="Keep the newest N runs.")
    ] = None,
    keep_days: Annotated[
        float | None, typer.Option("--keep-days", help="Keep the runs of the last N days.")
    ] = None,
    store_path: _StoreOption = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """Remove old runs (device identities and first sightings are kept)."""
    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import resolve_language
    from scopeaudit.store import Store, default_store_path

    language = resolve_language(lang)
    try:
        if keep_runs is None and keep_days is None:
            raise UsageError(_store_text("prune_what", language))
        with Store.open(store_path or default_store_path(), create=False) as store:
            outcome = store.prune(keep_runs, keep_days)
    except ScopeauditError as error:
        _fail(error)
    out_console.print(
        _store_text("pruned", language, removed=len(outcome.removed), kept=outcome.kept),
        markup=False,
    )


# --- end of run store --------------------------------------------------------------------------


# --- diff: what changed between two runs (owner: diff) -----------------------------------------
_DIFF_TEXT = {
    "bad_format": {
        Language.EN: "--format: choose terminal, json, csv, md, html, pdf or amendment "
        "(got {got!r})",
        Language.FR: "--format : au choix terminal, json, csv, md, html, pdf ou amendment "
        "(reçu {got!r})",
    },
    "pdf_output": {
        Language.EN: "--format pdf needs --output FILE.pdf",
        Language.FR: "--format pdf demande --output FICHIER.pdf",
    },
    "amendment_audits": {
        Language.EN: "--format amendment needs two audits (not scan snapshots) to compare",
        Language.FR: "--format amendment demande deux audits (pas des instantanés de scan)",
    },
    "written": {
        Language.EN: "Diff written to {path}",
        Language.FR: "Différences écrites dans {path}",
    },
}


@app.command("diff")
def diff_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Two runs (id, prefix, last, last~N) or snapshot/audit JSON files; "
            "default: the store's last two runs.",
            show_default=False,
        ),
    ] = None,
    store_path: Annotated[
        Path | None, typer.Option("--store", help="Run store file (default: the user's one).")
    ] = None,
    output_format: Annotated[
        str,
        typer.Option("--format", help="terminal, json, csv, md, html, pdf or amendment."),
    ] = "terminal",
    output: Annotated[Path | None, typer.Option("--output", help="Write the report here.")] = None,
    lang: Annotated[Language | None, typer.Option("--lang", help="fr or en.")] = None,
) -> None:
    """Devices new, gone and changed (by identity, not IP) and scope status changes: exit 1
    when something changed."""
    from scopeaudit.diff import diff_runs, open_sides
    from scopeaudit.errors import UsageError
    from scopeaudit.i18n import render, resolve_language

    language = resolve_language(lang)
    try:
        formats = ("terminal", "json", "csv", "md", "html", "pdf", "amendment")
        if output_format not in formats:
            raise UsageError(render(_DIFF_TEXT, "bad_format", {"got": output_format}, language))
        if output_format == "pdf" and output is None:
            raise UsageError(render(_DIFF_TEXT, "pdf_output", {}, language))
        (before, before_id, before_path), (after, after_id, after_path) = open_sides(
            runs or [], store_path
        )
        diff = diff_runs(
            before, after, before_label=(before_id, before_path), after_label=(after_id, after_path)
        )
        text: str | bytes | None = None
        if output_format == "amendment":
            from scopeaudit.audit_models import AuditResult
            from scopeaudit.diff import amendment_from_diff
            from scopeaudit.render.amendment import render_amendment

            if not (isinstance(before, AuditResult) and isinstance(after, AuditResult)):
                raise UsageError(render(_DIFF_TEXT, "amendment_audits", {}, language))
            # Same choice as `audit --format amendment`: the --output suffix picks the format.
            suffix = output.suffix.lower().lstrip(".") if output else "html"
            fmt = {"pdf": "pdf", "md": "md"}.get(suffix, "html")
            # Without --lang, the amendment speaks the later audit's (the contract's) language.
            wording = resolve_language(lang, after.language)
            text = render_amendment(amendment_from_diff(diff, after), wording, fmt)
        elif output_format == "pdf" and output is not None:
            from scopeaudit.render.diff_html import render_html
            from scopeaudit.render.pdf import print_html

            print_html(render_html(diff, language), output, language)
        elif output_format == "csv":
            from scopeaudit.render.diff_csv import render_csv

            text = render_csv(diff, language)
        elif output_format == "json":
            from scopeaudit.render.diff_json import render_json

            text = render_json(diff)
        elif output_format == "md":
            from scopeaudit.render.diff_markdown import render_markdown

            text = render_markdown(diff, language)
        elif output_format == "html":
            from scopeaudit.render.diff_html import render_html

            text = render_html(diff, language)
        else:
            from scopeaudit.render.diff_terminal import terminal_text

            text = terminal_text(diff, language)
        if text is not None and output is None:
            if isinstance(text, bytes):
                sys.stdout.buffer.write(text)
            else:
                sys.stdout.write(text)
            sys.stdout.flush()
        elif text is not None and output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                output.write_bytes(text)
            else:
                output.write_text(text, encoding="utf-8", newline="")
        if output is not None:
            err_console.print(
                render(_DIFF_TEXT, "written", {"path": output}, language), markup=False
            )
    except ScopeauditError as error:
        _fail(error)
    except OSError as error:
        err_console.print(f"{error.filename or output}: {error.strerror}", markup=False)
        raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
    raise typer.Exit(int(ExitCode.FINDINGS if diff.changed else ExitCode.OK))


# --- end of diff -------------------------------------------------------------------------------


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

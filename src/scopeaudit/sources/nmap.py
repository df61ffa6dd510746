"""nmap source: host discovery of routed in-scope networks, then a light TCP probe of live hosts.

Capture runs the nmap binary through python-nmap; parsing is pure: hosts, ports and OS guesses
come from ``scopeaudit.sources.nmap_xml``, the TTLs nmap saw from ``ttl_observations`` here.

Safety (DESIGN §7):
- every target is checked against the ``Scope`` before nmap sees it, the scope's exclusions are
  passed as ``--exclude`` too, and what nmap reports is filtered through the scope again;
- ``--scan-delay 100ms`` holds every host at 10 probes/s at most (nmap applies the delay per
  host, to the port probe and to OS detection alike) and ``--max-rate`` caps the whole scan;
  version detection ignores the delay, so ``deep`` runs it at intensity 2 on one open port of
  a host at a time, ``VERSION_GAP_S`` apart; tests/sources/test_nmap.py measures the busiest
  second from captures;
- the light probe is SYN (root) or connect (unprivileged) only: no payload reaches any port;
- ``deep`` adds ``-sV`` then (root) ``-O`` on the open non-printing ports only (``-p`` without
  them and ``--exclude-ports`` with them), so PRINT_PORTS never receive an application payload.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network
from typing import Any
from xml.etree.ElementTree import ParseError

import nmap
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, ObservationKind, ProbeRecord, SourceOutcome, utc_now
from scopeaudit.scope import MAX_PROBES_PER_HOST_PER_S, PRINT_PORTS, Scope, without_print_ports
from scopeaudit.sources.nmap_xml import parse_nmap_xml
from scopeaudit.taxonomy import Language, Source

# The curated TCP ports: each one tells categories apart (research/fingerprints.md §1.3).
PROBE_PORTS: tuple[int, ...] = (
    21,  # ftp: banners of printers, NAS, firewalls
    22,  # ssh: servers, network gear, NAS
    23,  # telnet: old network gear, cameras
    53,  # dns forwarder: routers, firewalls, domain controllers
    80,  # http: carrier of Server headers and titles (weak alone)
    135,  # msrpc: Windows
    139,  # netbios-ssn: Windows, Samba on NAS
    443,  # https: certificates (ESXi, firewalls, BMCs)
    445,  # smb: Windows, NAS
    515,  # lpd: printers (PRINT_PORTS: SYN/connect only)
    548,  # afp: NAS, old macOS
    554,  # rtsp: cameras, NVRs
    631,  # ipp: printers, CUPS (PRINT_PORTS: SYN/connect only)
    902,  # vmware authd: ESXi (Workstation too)
    2000,  # cisco-sccp: Cisco phones, CME
    3389,  # rdp: Windows
    5000,  # Synology DSM, also macOS AirPlay receiver (the trap)
    5001,  # Synology DSM https
    5060,  # sip over tcp: IP phones, PBXs
    5357,  # wsdapi: Windows, printers, cameras
    5985,  # winrm: Windows servers
    7000,  # macOS AirPlay receiver: disambiguates 5000
    8000,  # Hikvision SDK, ESXi, http-alt
    8008,  # Google Cast
    8080,  # http-alt: appliances
    8291,  # MikroTik Winbox
    8443,  # https-alt: appliances, controllers
    9100,  # jetdirect: printers, node_exporter (PRINT_PORTS: SYN/connect only)
    62078,  # iphone-sync: iPhone, iPad
)

# nmap's per-host delay between probes that keeps each host at MAX_PROBES_PER_HOST_PER_S.
SCAN_DELAY_MS = 1000 // MAX_PROBES_PER_HOST_PER_S
# Packets per second of the whole scan: many hosts in parallel, each one still at 10/s.
DEFAULT_MAX_RATE = 1000
# --deep: pause between two version-detection runs (or the last one and OS detection) on one
# host, and how many hosts are identified at once.
VERSION_GAP_S = 1.0
DEEP_PARALLEL_HOSTS = 8


_TEXT: Catalog = {
    "not_installed": {
        Language.EN: "nmap is not installed (Debian: apt-get install nmap); the nmap source did not run",
        Language.FR: "nmap n'est pas installé (Debian : apt-get install nmap) ; la source nmap n'a pas tourné",
    },
    "unusable": {
        Language.EN: "nmap cannot be used: {error}",
        Language.FR: "nmap est inutilisable : {error}",
    },
    "outside": {
        Language.EN: "{network} is not inside the scope: not probed",
        Language.FR: "{network} n'est pas dans le périmètre : non sondé",
    },
    "not_ipv4": {
        Language.EN: "{value} is not an IPv4 address: not probed",
        Language.FR: "{value} n'est pas une adresse IPv4 : non sondée",
    },
    "budget_spent": {
        Language.EN: "nmap: the {seconds} s budget ran out before the {step}",
        Language.FR: "nmap : le budget de {seconds} s était épuisé avant l'étape « {step} »",
    },
    "timeout": {
        Language.EN: "nmap: the {step} stopped after {seconds} s (budget spent)",
        Language.FR: "nmap : l'étape « {step} » a été arrêtée après {seconds} s (budget épuisé)",
    },
    "failed": {
        Language.EN: "nmap failed during the {step}: {error}",
        Language.FR: "nmap a échoué pendant l'étape « {step} » : {error}",
    },
    "unreadable": {
        Language.EN: "nmap output of the {step} is unreadable: {error}",
        Language.FR: "la sortie de nmap pour l'étape « {step} » est illisible : {error}",
    },
    "step_discovery": {Language.EN: "host discovery", Language.FR: "découverte des hôtes"},
    "step_probe": {Language.EN: "port probe", Language.FR: "sondage des ports"},
    "step_deep": {
        Language.EN: "service and OS detection",
        Language.FR: "détection des services et du système",
    },
}


def _text(code: str, lang: Language, **params: object) -> str:
    return render(_TEXT, code, params, lang)


@dataclass(frozen=True)
class NmapSettings:
    """How the nmap source probes; the defaults are the documented safe ones."""

    deep: bool = False
    ports: tuple[int, ...] = PROBE_PORTS
    max_rate: int = DEFAULT_MAX_RATE
    scan_delay_ms: int = SCAN_DELAY_MS
    host_timeout_s: int = 120
    budget_s: float = 900.0
    privileged: bool | None = None  # None: decided from the effective user id


@dataclass
class NmapResult:
    """What the nmap source produced: evidence, the probe log, its outcome and the live hosts."""

    observations: list[Observation] = field(default_factory=list)
    probes: list[ProbeRecord] = field(default_factory=list)
    outcome: SourceOutcome = field(
        default_factory=lambda: SourceOutcome(name=Source.NMAP, ok=False, error="not run")
    )
    live: list[str] = field(default_factory=list)
    raw_xml: list[bytes] = field(default_factory=list, repr=False)  # nmap's own output, per step


def is_privileged() -> bool:
    """Root can send raw SYNs and run OS detection; anyone else gets connect scans."""
    return os.geteuid() == 0


def port_list(ports: Iterable[int]) -> str:
    """nmap's ``-p`` syntax for ``ports``: sorted, without duplicates, runs as ``a-b``."""
    runs: list[list[int]] = []
    for port in sorted(set(ports)):
        if runs and port == runs[-1][1] + 1:
            runs[-1][1] = port
        else:
            runs.append([port, port])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _common(settings: NmapSettings, privileged: bool) -> list[str]:
    # -n: no reverse DNS (a /24 took 28 s with it, DESIGN §9, and it leaks queries off-site).
    args = [
        "-n",
        "--max-rate",
        str(settings.max_rate),
        "--host-timeout",
        f"{settings.host_timeout_s}s",
    ]
    args.append("--privileged" if privileged else "--unprivileged")
    return args


def _excludes(scope: Scope) -> list[str]:
    return ["--exclude", ",".join(str(n) for n in scope.exclude)] if scope.exclude else []


def discovery_arguments(scope: Scope, settings: NmapSettings, privileged: bool) -> list[str]:
    """Host discovery only (``-sn``), no reverse DNS, exclusions passed to nmap as well.

    No ``--scan-delay`` here: discovery sends a host at most four probes (echo, SYN 443,
    ACK 80, timestamp; or one ARP request on-link) and one retry a timeout later, so no host
    ever gets 10 in a second, and a delay would only make a /24 take ten times longer.
    """
    return ["-sn", *_common(settings, privileged), *_excludes(scope)]


def probe_arguments(scope: Scope, settings: NmapSettings, privileged: bool) -> list[str]:
    """The light probe: SYN (or connect) to the curated ports, nothing else (``-Pn``: the hosts
    are already known live)."""
    return [
        "-sS" if privileged else "-sT",
        "-Pn",
        "-p",
        port_list(settings.ports),
        "--max-retries",
        "1",
        "--scan-delay",
        f"{settings.scan_delay_ms}ms",
        "--reason",
        *_common(settings, privileged),
        *_excludes(scope),
    ]


def _deep_common(scope: Scope, settings: NmapSettings, privileged: bool) -> list[str]:
    return [
        "-Pn",
        "--exclude-ports",
        port_list(PRINT_PORTS),
        "--max-retries",
        "1",
        "--scan-delay",
        f"{settings.scan_delay_ms}ms",
        "--reason",
        *_common(settings, privileged),
        *_excludes(scope),
    ]


def version_arguments(
    scope: Scope, settings: NmapSettings, privileged: bool, port: int
) -> list[str]:
    """Version detection of one (non-printing) port.

    Version detection ignores ``--scan-delay``: at its default intensity it opened 42
    connections a second to one host here. At intensity 2 (the NULL probe that reads banners,
    then the likeliest probes of the port) one port gets a handful of probes, and the deep pass
    asks one port of a host at a time with ``VERSION_GAP_S`` in between, so no host ever sees
    more than 10 probes in a second.
    """
    scan = "-sS" if privileged else "-sT"
    if port in PRINT_PORTS:  # never: an application payload would reach a printing port
        raise ValueError(f"port {port} is a printing port")
    common = _deep_common(scope, settings, privileged)
    return [scan, "-sV", "--version-intensity", "2", "-p", str(port), *common]


def os_arguments(scope: Scope, settings: NmapSettings) -> list[str]:
    """OS detection (root only) on the non-printing ports, paced by ``--scan-delay``.

    One try: no lab or real host matches exactly, and the four retries nmap would add cost
    minutes for a guess that stays weak (research/fingerprints.md §1.4).
    """
    ports = port_list(without_print_ports(settings.ports))
    common = _deep_common(scope, settings, True)
    return ["-sS", "-O", "--osscan-limit", "--max-os-tries", "1", "-p", ports, *common]


def initial_ttl(ttl: int) -> int:
    """The smallest usual initial TTL (32, 64, 128, 255) at or above ``ttl``."""
    return next((start for start in (32, 64, 128, 255) if ttl <= start), 255)


def ttl_observations(content: bytes, *, vantage: str, time: datetime) -> list[Observation]:
    """One TTL observation per live host from nmap's ``reason_ttl`` (pure).

    A SYN-ACK or RST of a port scan is preferred to the discovery reply; ARP replies and
    connect scans carry no TTL (nmap writes 0) and give none.
    """
    try:
        root = fromstring(content)
    except (DefusedXmlException, ParseError):
        return []
    found: list[Observation] = []
    for host in root.findall("host"):
        status = host.find("status")
        if status is None or status.get("state") != "up":
            continue
        ip = next(
            (a.get("addr") for a in host.findall("address") if a.get("addrtype") == "ipv4"), None
        )
        if ip is None:
            continue
        candidates = [p.find("state") for p in host.findall("ports/port")]
        values = [_ttl_of(s.get("reason_ttl")) for s in candidates if s is not None]
        values.append(_ttl_of(status.get("reason_ttl")))
        ttl = next((v for v in values if v > 0), 0)
        if ttl <= 0:
            continue
        start = initial_ttl(ttl)
        found.append(
            Observation(
                source=Source.NMAP,
                kind=ObservationKind.TTL,
                time=time,
                vantage=vantage,
                ip=ip,
                data={"ttl": ttl, "initial": start, "hops": start - ttl},
            )
        )
    return found


def _ttl_of(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() and int(value) <= 255 else 0


def _without_table_service(observation: Observation) -> Observation:
    """Without ``-sV`` nmap names a port from its services table (9100 is "jetdirect" even for
    node_exporter): that guess is not evidence, so the light probe drops it."""
    if observation.kind is not ObservationKind.PORT or "service" not in observation.data:
        return observation
    data = {k: v for k, v in observation.data.items() if k != "service"}
    return observation.model_copy(update={"data": data})


class _Run:
    """One nmap invocation: arguments in, XML out; never raises."""

    def __init__(self, scanner: Any, deadline: float, budget: float, lang: Language) -> None:
        self.scanner = scanner
        self.deadline = deadline
        self.budget = budget
        self.lang = lang

    def __call__(
        self, step: str, targets: Sequence[str], arguments: list[str]
    ) -> tuple[bytes, str | None]:
        remaining = int(self.deadline - time.monotonic())
        if remaining <= 0:
            return b"", _text("budget_spent", self.lang, seconds=f"{self.budget:g}", step=step)
        # Targets go through a file: a long list must not hit the command line's limit.
        with tempfile.NamedTemporaryFile("w", prefix="scopeaudit-nmap-", suffix=".txt") as handle:
            handle.write("\n".join(targets) + "\n")
            handle.flush()
            try:
                self.scanner.scan(
                    hosts=f"-iL {handle.name}",
                    arguments=" ".join(arguments),
                    timeout=remaining,
                )
            except nmap.PortScannerTimeout:
                return b"", _text("timeout", self.lang, step=step, seconds=remaining)
            except nmap.PortScannerError as error:
                output = _as_bytes(self.scanner.get_nmap_last_output())
                if b"<nmaprun" in output and b"</nmaprun>" in output:
                    return output, None
                first = (str(error).strip().splitlines() or ["?"])[0]
                return b"", _text("failed", self.lang, step=step, error=first)
            except OSError as error:
                reason = error.strerror or str(error)
                return b"", _text("failed", self.lang, step=step, error=reason)
        return _as_bytes(self.scanner.get_nmap_last_output()), None


def _as_bytes(value: Any) -> bytes:
    if isinstance(value, bytes):
        return value
    return str(value or "").encode("utf-8")


def _inside(scope: Scope, network: IPv4Network) -> bool:
    return any(network.subnet_of(n.cidr) for n in scope.networks)


def run_nmap(
    scope: Scope,
    *,
    discover: Sequence[IPv4Network] = (),
    hosts: Sequence[str] = (),
    settings: NmapSettings | None = None,
    vantage: str = "nmap",
    lang: Language | None = None,
) -> NmapResult:
    """Discover live hosts on ``discover`` (routed networks), then probe them and ``hosts``.

    Every address is checked against ``scope``; a network not inside it is skipped and named in
    the outcome. Failures (nmap missing, budget spent) are the outcome's one-line error.
    """
    settings = settings or NmapSettings()
    language = lang or resolve_language()
    started = time.monotonic()
    result = NmapResult()
    problems: list[str] = []
    privileged = is_privileged() if settings.privileged is None else settings.privileged

    def finish(ok: bool) -> NmapResult:
        detail: dict[str, Any] = {
            "privileged": privileged,
            "deep": settings.deep,
            "hosts_up": len(result.live),
        }
        result.outcome = SourceOutcome(
            name=Source.NMAP,
            ok=ok and not problems,
            error="; ".join(problems) if problems else None,
            duration_s=round(time.monotonic() - started, 3),
            detail=detail,
        )
        return result

    if shutil.which("nmap") is None:
        problems.append(_text("not_installed", language))
        return finish(False)
    try:
        scanner = nmap.PortScanner()
    except nmap.PortScannerError as failure:
        first = (str(failure).strip().splitlines() or ["?"])[0]
        problems.append(_text("unusable", language, error=first))
        return finish(False)
    run = _Run(scanner, started + settings.budget_s, settings.budget_s, language)
    seen_addresses: set[tuple[str | None, str | None]] = set()

    def keep(observations: Iterable[Observation]) -> None:
        for obs in observations:
            if obs.ip is not None and not scope.allows(obs.ip):
                continue  # nmap reported something the scope does not cover: never kept
            if obs.kind is ObservationKind.ADDRESS:
                if (obs.ip, obs.mac) in seen_addresses:
                    continue
                seen_addresses.add((obs.ip, obs.mac))
            result.observations.append(obs)

    live: list[str] = []
    nets = [n for n in discover if _inside(scope, n)]
    problems.extend(
        _text("outside", language, network=n) for n in discover if not _inside(scope, n)
    )
    if nets:
        arguments = discovery_arguments(scope, settings, privileged)
        count = sum(scope.target_count(n) for n in nets)
        result.probes.append(_record("nmap host discovery", nets, count, settings, arguments))
        step = _text("step_discovery", language)
        output, failed = run(step, [str(n) for n in nets], arguments)
        if failed:
            problems.append(failed)
        result.raw_xml.append(output)
        parsed = parse_nmap_xml(
            output, vantage=vantage, fallback_time=utc_now(), source=Source.NMAP
        )
        keep(parsed.observations)
        keep(ttl_observations(output, vantage=vantage, time=utc_now()))
        live.extend(o.ip for o in parsed.observations if o.ip and o.kind is ObservationKind.ADDRESS)

    for text in hosts:
        try:
            address = str(IPv4Address(text))
        except ValueError:
            problems.append(_text("not_ipv4", language, value=repr(text)))
            continue
        if scope.allows(address):
            live.append(address)
    result.live = sorted({a for a in live if scope.allows(a)}, key=IPv4Address)
    if not result.live:
        return finish(True)

    def absorb(code: str, output: bytes, failed: str | None, versions: bool) -> list[Observation]:
        if failed:
            problems.append(failed)
            return []
        result.raw_xml.append(output)
        parsed = parse_nmap_xml(
            output, vantage=vantage, fallback_time=utc_now(), source=Source.NMAP
        )
        if parsed.error:
            problems.append(
                _text("unreadable", language, step=_text(code, language), error=parsed.error)
            )
        observations = parsed.observations
        if not versions:
            observations = [_without_table_service(o) for o in observations]
        keep(observations)
        keep(ttl_observations(output, vantage=vantage, time=utc_now()))
        return observations

    arguments = probe_arguments(scope, settings, privileged)
    result.probes.append(
        _record("nmap port probe", result.live, len(result.live), settings, arguments)
    )
    probed = absorb(
        "step_probe", *run(_text("step_probe", language), result.live, arguments), False
    )
    if settings.deep:
        # Service and OS detection only where something answered: a host with every port
        # closed or filtered has nothing to identify and would only cost time.
        _deep(scope, settings, privileged, _open_ports(probed), run, absorb, result, language)
    return finish(True)


def _deep(
    scope: Scope,
    settings: NmapSettings,
    privileged: bool,
    open_ports: dict[str, list[int]],
    run: _Run,
    absorb: Any,
    result: NmapResult,
    language: Language,
) -> None:
    """Version detection host by host, one port at a time; then OS detection (root)."""
    if not open_ports:
        return
    pairs = sum(len(p) for p in open_ports.values())
    template = version_arguments(scope, settings, privileged, 0)
    template[template.index("-p") + 1] = "<each open port in turn>"
    result.probes.append(
        _record("nmap version detection", list(open_ports), pairs, settings, template)
    )
    label = _text("step_deep", language)

    def one_host(ip: str) -> list[tuple[bytes, str | None]]:
        outputs = []
        scanner = _Run(nmap.PortScanner(), run.deadline, run.budget, run.lang)
        for index, port in enumerate(open_ports[ip]):
            if index:
                time.sleep(VERSION_GAP_S)
            outputs.append(
                scanner(label, [ip], version_arguments(scope, settings, privileged, port))
            )
        return outputs

    with ThreadPoolExecutor(max_workers=DEEP_PARALLEL_HOSTS) as pool:
        for outputs in pool.map(one_host, list(open_ports)):
            for output, failed in outputs:
                absorb("step_deep", output, failed, True)
    if not privileged:
        return  # OS detection needs raw sockets
    time.sleep(VERSION_GAP_S)  # the last version probes and the first OS probes stay apart
    hosts = list(open_ports)
    arguments = os_arguments(scope, settings)
    result.probes.append(_record("nmap os detection", hosts, len(hosts), settings, arguments))
    absorb("step_deep", *run(label, hosts, arguments), False)


def _open_ports(observations: Iterable[Observation]) -> dict[str, list[int]]:
    """Open non-printing ports per host, hosts and ports in order."""
    found: dict[str, set[int]] = {}
    for o in observations:
        port = o.data.get("port")
        if (
            o.kind is ObservationKind.PORT
            and o.ip
            and o.data.get("state") == "open"
            and isinstance(port, int)
            and port not in PRINT_PORTS
        ):
            found.setdefault(o.ip, set()).add(port)
    return {ip: sorted(found[ip]) for ip in sorted(found, key=IPv4Address)}


def _record(
    action: str,
    targets: Sequence[object],
    count: int,
    settings: NmapSettings,
    arguments: list[str],
) -> ProbeRecord:
    shown = ", ".join(str(t) for t in targets[:16]) + (" …" if len(targets) > 16 else "")
    return ProbeRecord(
        source=Source.NMAP,
        action=action,
        targets=shown,
        started_at=utc_now(),
        count=count,
        rate_pps=float(settings.max_rate),
        detail="nmap " + " ".join(arguments),
    )

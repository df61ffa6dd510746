"""The scope guard: which addresses and ports may be probed, and the probe plan of a scan.

A scan is an intervention on someone else's network (DESIGN §7). Nothing is probed outside the
contract's networks minus its exclusions; ``--network`` without a contract accepts private ranges
only; public ranges need ``allow_public``; more than 65,536 addresses need ``allow_large``; never a
prompt. ``PRINT_PORTS`` never receive an application payload. Every refusal is a
``ScopeRefused`` whose message says what to do, in the user's language.
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network
from typing import Any, Protocol

from scopeaudit.errors import ScopeRefused
from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import ScopeSummary
from scopeaudit.taxonomy import Language, Source

# What "private" means for the guard: RFC 1918, shared address space (CGNAT) and link-local.
PRIVATE_NETWORKS: tuple[IPv4Network, ...] = tuple(
    IPv4Network(cidr)
    for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
)

# Raw print ports: anything but a SYN or a bare connect there prints pages (anchors.md §3.11).
PRINT_PORTS: frozenset[int] = frozenset({515, 631, *range(9100, 9108)})

# Beyond this many addresses in total a scan needs allow_large (DESIGN §7).
LARGE_LIMIT = 65_536

# Default rates (DESIGN §7): frames per second of the ARP sweep, probes per second per host.
DEFAULT_ARP_RATE = 2_000
MAX_PROBES_PER_HOST_PER_S = 10

_MESSAGES: Catalog = {
    "not_ipv4": {
        Language.EN: "{value!s} is not an IPv4 network or address (expected e.g. 192.168.1.0/24)",
        Language.FR: "{value!s} n'est pas un réseau ou une adresse IPv4 (attendu : 192.168.1.0/24 par exemple)",
    },
    "empty": {
        Language.EN: "nothing to probe: no network given (use --contract FILE or --network CIDR)",
        Language.FR: "rien à sonder : aucun réseau donné (utilisez --contract FICHIER ou --network CIDR)",
    },
    "public": {
        Language.EN: "{cidr} is a public range: add --allow-public if the client really asked for it",
        Language.FR: "{cidr} est une plage publique : ajoutez --allow-public si le client l'a vraiment demandé",
    },
    "large": {
        Language.EN: "the scope holds {count} addresses, more than {limit}: add --allow-large to probe them all, or give smaller networks",
        Language.FR: "le périmètre compte {count} adresses, plus de {limit} : ajoutez --allow-large pour toutes les sonder, ou donnez des réseaux plus petits",
    },
    "outside": {
        Language.EN: "{value} is outside the scope ({networks}): it will not be probed",
        Language.FR: "{value} est hors du périmètre ({networks}) : il ne sera pas sondé",
    },
    "excluded": {
        Language.EN: "{value} is in the excluded range {exclusion}: it is never probed",
        Language.FR: "{value} est dans la plage exclue {exclusion} : elle n'est jamais sondée",
    },
    "narrow": {
        Language.EN: "--network {cidr} is not inside the contract's networks ({networks}): give a network the contract covers",
        Language.FR: "--network {cidr} n'est pas dans les réseaux du contrat ({networks}) : donnez un réseau couvert par le contrat",
    },
    "print_port": {
        Language.EN: "port {port} is a printing port (515, 631, 9100-9107): only a SYN or a bare connect is allowed there, never a payload",
        Language.FR: "le port {port} est un port d'impression (515, 631, 9100-9107) : seuls un SYN ou une connexion nue y sont permis, jamais de données",
    },
}


def _refuse(code: str, lang: Language | None, **params: object) -> ScopeRefused:
    return ScopeRefused(render(_MESSAGES, code, params, lang or resolve_language()))


def is_private(network: IPv4Network | IPv4Address) -> bool:
    """True when the whole network (or the address) lies in one of ``PRIVATE_NETWORKS``."""
    if isinstance(network, IPv4Address):
        return any(network in private for private in PRIVATE_NETWORKS)
    return any(network.subnet_of(private) for private in PRIVATE_NETWORKS)


def parse_network(text: str, lang: Language | None = None) -> IPv4Network:
    """An IPv4 CIDR (host bits tolerated: ``10.0.0.7/24`` is ``10.0.0.0/24``) or one address."""
    try:
        network = ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        raise _refuse("not_ipv4", lang, value=text) from None
    if not isinstance(network, IPv4Network):
        raise _refuse("not_ipv4", lang, value=text)
    return network


def parse_exclusion(text: str, lang: Language | None = None) -> list[IPv4Network]:
    """An exclusion: a CIDR, one address, or a ``first-last`` address range."""
    value = str(text).strip()
    if "-" in value and "/" not in value:
        first_text, _, last_text = value.partition("-")
        try:
            first = IPv4Address(first_text.strip())
            last = IPv4Address(last_text.strip())
        except ValueError:
            raise _refuse("not_ipv4", lang, value=text) from None
        if last < first:
            raise _refuse("not_ipv4", lang, value=text)
        return list(ipaddress.summarize_address_range(first, last))
    return [parse_network(value, lang)]


def _ranges(networks: Iterable[IPv4Network]) -> list[tuple[int, int]]:
    """Sorted, merged inclusive integer ranges covering ``networks``."""
    spans = sorted((int(n.network_address), int(n.broadcast_address)) for n in networks)
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _subtract(ranges: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    result: list[tuple[int, int]] = []
    for first, last in ranges:
        start = first
        for hole_first, hole_last in holes:
            if hole_last < start or hole_first > last:
                continue
            if hole_first > start:
                result.append((start, hole_first - 1))
            start = max(start, hole_last + 1)
            if start > last:
                break
        if start <= last:
            result.append((start, last))
    return result


class _ContractNetwork(Protocol):
    cidr: Any
    site: Any


class _ContractExclusion(Protocol):
    cidr: Any


@dataclass(frozen=True)
class ScopeNetwork:
    """One network that may be probed, with the contract site it belongs to (if any)."""

    cidr: IPv4Network
    site: str | None = None


@dataclass(frozen=True)
class Scope:
    """The networks that may be probed minus the exclusions; build it with ``from_cidrs`` or
    ``from_contract``, which enforce the guard's rules."""

    networks: tuple[ScopeNetwork, ...]
    exclude: tuple[IPv4Network, ...] = ()
    contract_reference: str | None = None
    _allowed: tuple[tuple[int, int], ...] = field(default=(), repr=False, compare=False)
    _starts: tuple[int, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def from_cidrs(
        cls,
        networks: Sequence[str | IPv4Network | ScopeNetwork],
        exclude: Sequence[str | IPv4Network] = (),
        *,
        allow_public: bool = False,
        allow_large: bool = False,
        contract_reference: str | None = None,
        lang: Language | None = None,
    ) -> Scope:
        """The scope of ``--network`` CIDRs (or a contract's networks), refused when not allowed."""
        parsed: list[ScopeNetwork] = []
        for item in networks:
            if isinstance(item, ScopeNetwork):
                parsed.append(item)
            elif isinstance(item, IPv4Network):
                parsed.append(ScopeNetwork(item))
            else:
                parsed.append(ScopeNetwork(parse_network(item, lang)))
        if not parsed:
            raise _refuse("empty", lang)
        holes: list[IPv4Network] = []
        for item in exclude:
            holes.extend([item] if isinstance(item, IPv4Network) else parse_exclusion(item, lang))
        if not allow_public:
            for net in parsed:
                if not is_private(net.cidr):
                    raise _refuse("public", lang, cidr=net.cidr)
        allowed = _subtract(_ranges(n.cidr for n in parsed), _ranges(holes))
        scope = cls(
            networks=tuple(parsed),
            exclude=tuple(holes),
            contract_reference=contract_reference,
            _allowed=tuple(allowed),
            _starts=tuple(first for first, _ in allowed),
        )
        total = scope.address_count()
        if total > LARGE_LIMIT and not allow_large:
            raise _refuse("large", lang, count=total, limit=LARGE_LIMIT)
        return scope

    @classmethod
    def from_contract(
        cls,
        contract: Any,
        *,
        networks: Sequence[str] = (),
        allow_public: bool = False,
        allow_large: bool = False,
        lang: Language | None = None,
    ) -> Scope:
        """The scope of a loaded contract (``scope.networks`` with sites, ``scope.exclude``).

        ``networks`` (``--network`` given with ``--contract``) narrows it: each must lie inside
        one of the contract's networks.
        """
        declared: list[_ContractNetwork] = list(contract.scope.networks)
        exclusions: list[_ContractExclusion] = list(getattr(contract.scope, "exclude", None) or [])
        own = [
            ScopeNetwork(parse_network(str(n.cidr), lang), str(n.site) if n.site else None)
            for n in declared
        ]
        holes = [str(e.cidr) for e in exclusions]
        header = getattr(contract, "contract", None)
        reference = getattr(header, "reference", None)
        chosen: list[ScopeNetwork] = own
        if networks:
            chosen = []
            for text in networks:
                wanted = parse_network(text, lang)
                parent = next((n for n in own if wanted.subnet_of(n.cidr)), None)
                if parent is None:
                    listed = ", ".join(str(n.cidr) for n in own)
                    raise _refuse("narrow", lang, cidr=wanted, networks=listed)
                chosen.append(ScopeNetwork(wanted, parent.site))
        return cls.from_cidrs(
            chosen,
            holes,
            allow_public=allow_public,
            allow_large=allow_large,
            contract_reference=str(reference) if reference else None,
            lang=lang,
        )

    def address_count(self) -> int:
        """How many addresses the scope allows (network and broadcast addresses included)."""
        return sum(last - first + 1 for first, last in self._allowed)

    def allows(self, address: str | IPv4Address | int) -> bool:
        """True when ``address`` may be probed."""
        try:
            value = int(address) if isinstance(address, int) else int(IPv4Address(str(address)))
        except ValueError:
            return False
        index = bisect.bisect_right(self._starts, value) - 1
        return index >= 0 and self._allowed[index][0] <= value <= self._allowed[index][1]

    def check(self, address: str | IPv4Address, lang: Language | None = None) -> IPv4Address:
        """The address, or ``ScopeRefused`` saying why it may not be probed."""
        try:
            value = IPv4Address(str(address).strip())
        except ValueError:
            raise _refuse("not_ipv4", lang, value=address) from None
        if self.allows(value):
            return value
        for hole in self.exclude:
            if value in hole:
                raise _refuse("excluded", lang, value=value, exclusion=hole)
        raise _refuse("outside", lang, value=value, networks=self.describe_networks())

    def network_of(self, address: str | IPv4Address) -> ScopeNetwork | None:
        """The most specific scope network holding ``address`` (even if it is excluded)."""
        value = IPv4Address(str(address))
        holding = [n for n in self.networks if value in n.cidr]
        return max(holding, key=lambda n: n.cidr.prefixlen) if holding else None

    def targets(self, within: IPv4Network | None = None) -> Iterator[IPv4Address]:
        """Every probe-able host address, in order: allowed, not excluded, and not the network
        or broadcast address of a scope network (of /30 and larger)."""
        reserved: set[int] = set()
        for net in self.networks:
            if net.cidr.prefixlen <= 30:
                reserved.add(int(net.cidr.network_address))
                reserved.add(int(net.cidr.broadcast_address))
        low = int(within.network_address) if within else 0
        high = int(within.broadcast_address) if within else 0xFFFFFFFF
        for first, last in self._allowed:
            for value in range(max(first, low), min(last, high) + 1):
                if value not in reserved:
                    yield IPv4Address(value)

    def target_count(self, within: IPv4Network | None = None) -> int:
        """How many addresses ``targets`` yields, counted without listing them (a /8 is fast)."""
        low = int(within.network_address) if within else 0
        high = int(within.broadcast_address) if within else 0xFFFFFFFF
        total = sum(max(0, min(last, high) - max(first, low) + 1) for first, last in self._allowed)
        reserved: set[int] = set()
        for net in self.networks:
            if net.cidr.prefixlen <= 30:
                reserved.add(int(net.cidr.network_address))
                reserved.add(int(net.cidr.broadcast_address))
        return total - sum(1 for value in reserved if low <= value <= high and self.allows(value))

    def describe_networks(self) -> str:
        return ", ".join(str(n.cidr) for n in self.networks)

    def summary(self) -> ScopeSummary:
        """The scope as recorded in a snapshot."""
        return ScopeSummary(
            networks=[str(n.cidr) for n in self.networks],
            exclude=[str(e) for e in self.exclude],
            contract_reference=self.contract_reference,
        )


def payload_allowed(port: int) -> bool:
    """False for the printing ports, where only a SYN or a bare connect may go."""
    return port not in PRINT_PORTS


def check_payload_port(port: int, lang: Language | None = None) -> int:
    """The port, or ``ScopeRefused`` when an application payload would go to a printing port."""
    if not payload_allowed(port):
        raise _refuse("print_port", lang, port=port)
    return port


def without_print_ports(ports: Iterable[int]) -> list[int]:
    """``ports`` minus the printing ports, in order: the list for service/banner detection."""
    return [port for port in ports if payload_allowed(port)]


class PlanStep(StrEnum):
    """What one source of a scan does (the closed set of the probe plan's lines)."""

    ARP_SWEEP = "arp_sweep"
    NMAP_DISCOVERY = "nmap_discovery"
    NMAP_PORTS = "nmap_ports"
    NMAP_DEEP = "nmap_deep"
    PASSIVE_LISTEN = "passive_listen"
    NAME_QUERIES = "name_queries"
    SNMP_SYSTEM = "snmp_system"
    SNMP_TABLES = "snmp_tables"
    HOST_READ = "host_read"
    IMPORT_FILES = "import_files"


_PLAN_TEXT: Catalog = {
    PlanStep.ARP_SWEEP: {
        Language.EN: "arp: ARP who-has to {count} addresses of {where}, {frames} frames at most, {rate} frames/s, about {seconds} s",
        Language.FR: "arp : requêtes ARP vers {count} adresses de {where}, {frames} trames au plus, {rate} trames/s, environ {seconds} s",
    },
    PlanStep.NMAP_DISCOVERY: {
        Language.EN: "nmap: host discovery without reverse DNS on {count} addresses of {where}",
        Language.FR: "nmap : découverte des hôtes sans DNS inverse sur {count} adresses de {where}",
    },
    PlanStep.NMAP_PORTS: {
        Language.EN: "nmap: light TCP probe of the curated port list on live hosts of {where} (printing ports: SYN only)",
        Language.FR: "nmap : sondage TCP léger des ports choisis sur les hôtes actifs de {where} (ports d'impression : SYN seulement)",
    },
    PlanStep.NMAP_DEEP: {
        Language.EN: "nmap --deep: service and OS detection on live hosts of {where}, printing ports excluded",
        Language.FR: "nmap --deep : détection des services et du système sur les hôtes actifs de {where}, ports d'impression exclus",
    },
    PlanStep.PASSIVE_LISTEN: {
        Language.EN: "passive: listen {seconds} s (ARP, DHCP, mDNS, SSDP, LLDP, CDP, NBNS, LLMNR); nothing sent",
        Language.FR: "passive : écoute {seconds} s (ARP, DHCP, mDNS, SSDP, LLDP, CDP, NBNS, LLMNR) ; rien n'est envoyé",
    },
    PlanStep.NAME_QUERIES: {
        Language.EN: "names: mDNS, NBNS and SSDP queries to live hosts of {where}, at most {per_host} probes/s per host",
        Language.FR: "names : requêtes mDNS, NBNS et SSDP vers les hôtes actifs de {where}, {per_host} sondes/s par hôte au plus",
    },
    PlanStep.SNMP_SYSTEM: {
        Language.EN: "snmp: read-only system group of live hosts of {where} on UDP 161",
        Language.FR: "snmp : lecture seule du groupe system des hôtes actifs de {where} sur UDP 161",
    },
    PlanStep.SNMP_TABLES: {
        Language.EN: "snmp: read-only GETBULK walks of the ARP, forwarding, LLDP and interface tables of the routers, switches and access points among them{devices}, {rows} rows per table at most",
        Language.FR: "snmp : parcours GETBULK en lecture seule des tables ARP, de commutation, LLDP et d'interfaces des routeurs, commutateurs et bornes parmi eux{devices}, {rows} lignes par table au plus",
    },
    PlanStep.HOST_READ: {
        Language.EN: "host: read this machine's interfaces and neighbour cache; nothing sent",
        Language.FR: "host : lecture des interfaces et du cache de voisinage de cette machine ; rien n'est envoyé",
    },
    PlanStep.IMPORT_FILES: {
        Language.EN: "import: read {count} file(s); nothing sent",
        Language.FR: "import : lecture de {count} fichier(s) ; rien n'est envoyé",
    },
}

_PLAN_HEADER: Catalog = {
    "header": {
        Language.EN: "Probe plan (dry run: nothing is sent). Scope: {networks}; excluded: {exclude}.",
        Language.FR: "Plan des sondages (essai à blanc : rien n'est envoyé). Périmètre : {networks} ; exclu : {exclude}.",
    },
    "none": {Language.EN: "none", Language.FR: "aucun"},
}

_STEP_SOURCE: dict[PlanStep, Source] = {
    PlanStep.ARP_SWEEP: Source.ARP,
    PlanStep.NMAP_DISCOVERY: Source.NMAP,
    PlanStep.NMAP_PORTS: Source.NMAP,
    PlanStep.NMAP_DEEP: Source.NMAP,
    PlanStep.PASSIVE_LISTEN: Source.PASSIVE,
    PlanStep.NAME_QUERIES: Source.NAMES,
    PlanStep.SNMP_SYSTEM: Source.SNMP,
    PlanStep.SNMP_TABLES: Source.SNMP,
    PlanStep.HOST_READ: Source.HOST,
    PlanStep.IMPORT_FILES: Source.IMPORT,
}


@dataclass(frozen=True)
class PlanItem:
    """One line of the probe plan: a step, where it goes, how much and how fast."""

    step: PlanStep
    params: dict[str, str | int | float]

    @property
    def source(self) -> Source:
        return _STEP_SOURCE[self.step]

    def text(self, lang: Language) -> str:
        return render(_PLAN_TEXT, self.step, self.params, lang)


@dataclass(frozen=True)
class ProbePlan:
    """What a scan would send, where and how fast: what ``--dry-run`` prints."""

    scope: Scope
    items: tuple[PlanItem, ...]

    def lines(self, lang: Language | None = None) -> list[str]:
        chosen = lang or resolve_language()
        excluded = ", ".join(str(e) for e in self.scope.exclude) or render(
            _PLAN_HEADER, "none", {}, chosen
        )
        header = render(
            _PLAN_HEADER,
            "header",
            {"networks": self.scope.describe_networks(), "exclude": excluded},
            chosen,
        )
        return [header, *(f"- {item.text(chosen)}" for item in self.items)]


def arp_plan_item(
    scope: Scope, networks: Sequence[IPv4Network], rate: float, attempts: int = 2
) -> PlanItem:
    """The ARP sweep's plan line: count, worst-case frames and duration over ``networks``."""
    count = sum(scope.target_count(net) for net in networks)
    frames = count * attempts
    return PlanItem(
        PlanStep.ARP_SWEEP,
        {
            "count": count,
            "where": ", ".join(str(n) for n in networks) or "-",
            "frames": frames,
            "rate": int(rate),
            "seconds": round(frames / rate, 1) if rate > 0 else 0,
        },
    )


def build_plan(
    scope: Scope,
    sources: Iterable[Source],
    *,
    arp_networks: Sequence[IPv4Network] = (),
    rate: float = DEFAULT_ARP_RATE,
    passive_seconds: float = 20,
    deep: bool = False,
    import_count: int = 0,
    snmp_tables: bool = True,
    snmp_devices: Sequence[str] = (),
    snmp_rows: int = 20_000,
) -> ProbePlan:
    """The probe plan of a scan over ``scope`` with ``sources``.

    ``arp_networks`` are the scope networks an interface of this machine faces (ARP reaches only
    those); nmap covers the others.
    """
    wanted = set(sources)
    everything = scope.describe_networks()
    routed = [n.cidr for n in scope.networks if n.cidr not in set(arp_networks)]
    items: list[PlanItem] = []
    if Source.HOST in wanted:
        items.append(PlanItem(PlanStep.HOST_READ, {}))
    if Source.ARP in wanted and arp_networks:
        items.append(arp_plan_item(scope, arp_networks, rate))
    if Source.NMAP in wanted:
        targets = routed if Source.ARP in wanted else [n.cidr for n in scope.networks]
        if targets:
            where = ", ".join(str(n) for n in targets)
            count = sum(scope.target_count(n) for n in targets)
            items.append(PlanItem(PlanStep.NMAP_DISCOVERY, {"count": count, "where": where}))
        items.append(PlanItem(PlanStep.NMAP_PORTS, {"where": everything}))
        if deep:
            items.append(PlanItem(PlanStep.NMAP_DEEP, {"where": everything}))
    if Source.PASSIVE in wanted and passive_seconds > 0:
        items.append(PlanItem(PlanStep.PASSIVE_LISTEN, {"seconds": passive_seconds}))
    if Source.NAMES in wanted:
        items.append(
            PlanItem(
                PlanStep.NAME_QUERIES,
                {"where": everything, "per_host": MAX_PROBES_PER_HOST_PER_S},
            )
        )
    if Source.SNMP in wanted:
        items.append(PlanItem(PlanStep.SNMP_SYSTEM, {"where": everything}))
        if snmp_tables:
            listed = f" + {', '.join(snmp_devices)}" if snmp_devices else ""
            items.append(PlanItem(PlanStep.SNMP_TABLES, {"devices": listed, "rows": snmp_rows}))
    if Source.IMPORT in wanted and import_count:
        items.append(PlanItem(PlanStep.IMPORT_FILES, {"count": import_count}))
    return ProbePlan(scope, tuple(items))

"""Evidence: the facts a classifier rule can match, extracted from a device's observations.

One observation may yield several pieces of evidence (an mDNS service gives its type and each
TXT key); each piece remembers the observations it came from so ``explain`` can cite them. The
mapping from observation kinds to signals is the only place that knows ``docs/observations.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from scopeaudit.macaddr import is_locally_administered, is_multicast, normalize_mac, oui
from scopeaudit.models import Device, Observation, ObservationKind


class Signal(StrEnum):
    """Kinds of evidence a rule can match (one rule, one signal)."""

    OUI = "oui"  # first three octets, "9009D0"
    MAC_VENDOR = "mac_vendor"  # canonical vendor of the MAC ("Synology")
    MAC_LOCAL = "mac_local"  # "true" when a MAC is locally administered (random, VM, container)
    OPEN_PORTS = "open_ports"  # set of "22/tcp", "161/udp"
    SERVICE = "service"  # nmap -sV "product version extrainfo" (key: "22/tcp")
    NMAP_DEVICE_TYPE = "nmap_device_type"  # nmap -sV devicetype
    SSH_BANNER = "ssh_banner"
    HTTP_SERVER = "http_server"
    HTTP_TITLE = "http_title"
    TLS_SUBJECT = "tls_subject"
    TLS_ISSUER = "tls_issuer"
    RTSP_SERVER = "rtsp_server"
    SIP_USER_AGENT = "sip_user_agent"
    FTP_BANNER = "ftp_banner"
    TELNET_BANNER = "telnet_banner"
    GREETING = "greeting"  # server-first line of another protocol (VMware authd on 902)
    PJL_ID = "pjl_id"
    MDNS_SERVICE = "mdns_service"  # service type "_ipp._tcp"
    MDNS_TXT = "mdns_txt"  # key: TXT key as received; context: service type
    DHCP_VENDOR_CLASS = "dhcp_vendor_class"  # option 60
    DHCP_PRL = "dhcp_prl"  # option 55 as "1,3,6,15"
    HOSTNAME = "hostname"  # context: origin (dhcp, mdns, nbns, snmp, lldp, cdp, ...)
    NBNS_NAME = "nbns_name"  # "NAME<20>"
    LLDP_CAPS = "lldp_caps"  # enabled capabilities
    LLDP_DESCRIPTION = "lldp_description"
    LLDP_MED = "lldp_med"  # key: device_class, manufacturer, model, ...
    CDP_CAPS = "cdp_caps"
    CDP_PLATFORM = "cdp_platform"
    CDP_SOFTWARE = "cdp_software"
    SNMP_SYSDESCR = "snmp_sysdescr"
    SNMP_SYSOBJECTID = "snmp_sysobjectid"
    SNMP_SYSSERVICES = "snmp_sysservices"  # int
    SNMP_IP_FORWARDING = "snmp_ip_forwarding"  # int: 1 forwarding, 2 not
    SNMP_BRIDGE_PORTS = "snmp_bridge_ports"  # int: dot1dBaseNumPorts
    SNMP_OID = "snmp_oid"  # key: OID, from the extra table
    SSDP = "ssdp"  # key: server, deviceType, manufacturer, modelName, modelType, ...
    TTL = "ttl"  # initial TTL: 32, 64, 128, 255
    OS_CLASS = "os_class"  # nmap OS class "type|vendor|osfamily" (weak evidence)


Value = str | int | frozenset[str]


@dataclass(frozen=True)
class Evidence:
    """One fact a rule can match, with where it came from."""

    signal: Signal
    value: Value
    key: str | None = None
    context: str | None = None
    observations: tuple[int, ...] = field(default=(), compare=False)

    def display(self) -> str:
        """A short, language-neutral rendering: the signal's own words (banners stay raw)."""
        value = self.value
        if isinstance(value, frozenset):
            shown = ", ".join(sorted(value, key=_natural))
        else:
            shown = str(value)
        if self.key is not None:
            shown = f"{self.key}={shown}"
        if self.context:
            shown = f"{self.context} {shown}"
        return shown


def _natural(text: str) -> tuple[int, str]:
    head = text.split("/", 1)[0]
    return (int(head), text) if head.isdigit() else (1 << 30, text)


_BANNER_SIGNALS: dict[str, dict[str, Signal]] = {
    "ssh": {"banner": Signal.SSH_BANNER},
    "http": {"server": Signal.HTTP_SERVER, "title": Signal.HTTP_TITLE},
    "tls": {"subject": Signal.TLS_SUBJECT, "issuer": Signal.TLS_ISSUER},
    "rtsp": {"server": Signal.RTSP_SERVER},
    "sip": {"user_agent": Signal.SIP_USER_AGENT},
    "ftp": {"banner": Signal.FTP_BANNER},
    "telnet": {"banner": Signal.TELNET_BANNER},
    "greeting": {"banner": Signal.GREETING},
    "pjl": {"banner": Signal.PJL_ID, "id": Signal.PJL_ID},
}

_SSDP_KEYS = (
    "deviceType",
    "friendlyName",
    "manufacturer",
    "modelName",
    "modelNumber",
    "modelDescription",
    "modelType",
    "serialNumber",
)

_LOCAL_SUFFIX = re.compile(r"\.(local|lan|home|localdomain)\.?$", re.IGNORECASE)


def clean_hostname(name: str) -> str:
    """A name as rules see it: no trailing dot, no ``.local``-style suffix."""
    return _LOCAL_SUFFIX.sub("", name.strip().rstrip("."))


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if text.strip() else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


VendorLookup = Callable[[str], str | None]


def _default_vendor_lookup(mac: str) -> str | None:
    from scopeaudit.oui import vendor_of

    try:
        return vendor_of(mac)
    except (ValueError, OSError):
        return None


class _Collector:
    """Gathers evidence, merging identical facts and keeping every source observation."""

    def __init__(self) -> None:
        self._items: dict[tuple[Signal, str | None, str | None, Value], list[int]] = {}

    def add(
        self,
        signal: Signal,
        value: Value | None,
        index: int | None,
        key: str | None = None,
        context: str | None = None,
    ) -> None:
        if value is None:
            return
        sources = self._items.setdefault((signal, key, context, value), [])
        if index is not None and index not in sources:
            sources.append(index)

    def result(self) -> list[Evidence]:
        return [
            Evidence(signal, value, key, context, tuple(sources))
            for (signal, key, context, value), sources in self._items.items()
        ]


def extract(
    observations: Iterable[tuple[int | None, Observation]],
    macs: Iterable[str] = (),
    hostnames: Iterable[str] = (),
    vendor_lookup: VendorLookup | None = None,
) -> list[Evidence]:
    """Every piece of evidence in ``observations`` (index, observation) and the device's MACs/names.

    Open ports are merged into one ``open_ports`` set; the largest initial TTL seen wins (a
    device answers with one stack, and hops only lower the received value).
    """
    lookup = vendor_lookup or _default_vendor_lookup
    out = _Collector()
    ports: dict[str, list[int]] = {}
    ttls: dict[int, list[int]] = {}
    all_macs: dict[str, list[int | None]] = {}
    for mac in macs:
        all_macs.setdefault(mac, [])
    for index, obs in observations:
        if obs.mac:
            where = all_macs.setdefault(obs.mac, [])
            if index is not None and obs.kind == ObservationKind.ADDRESS:
                where.append(index)
        _one(out, index, obs, ports, ttls)
    for mac, sources in all_macs.items():
        _mac_evidence(out, mac, sources, lookup)
    for name in hostnames:
        out.add(Signal.HOSTNAME, clean_hostname(name), None, context=None)
    if ports:
        value = frozenset(ports)
        indexes: list[int | None] = [*sorted({i for found in ports.values() for i in found})]
        for index in indexes or [None]:
            out.add(Signal.OPEN_PORTS, value, index)
    if ttls:
        initial = max(ttls)
        seen_in: list[int | None] = [*ttls[initial]]
        for index in seen_in or [None]:
            out.add(Signal.TTL, initial, index)
    return _dedupe_hostnames(out.result())


def _dedupe_hostnames(items: list[Evidence]) -> list[Evidence]:
    """A name given by the device object and by an observation is one fact, with its origin."""
    with_origin = {e.value for e in items if e.signal == Signal.HOSTNAME and e.context}
    return [
        e
        for e in items
        if not (e.signal == Signal.HOSTNAME and e.context is None and e.value in with_origin)
    ]


def _mac_evidence(
    out: _Collector, mac: str, sources: list[int | None], lookup: VendorLookup
) -> None:
    try:
        normal = normalize_mac(mac)
    except ValueError:
        return
    if is_multicast(normal):
        return
    for index in sources or [None]:
        if is_locally_administered(normal):
            out.add(Signal.MAC_LOCAL, "true", index)
            continue
        out.add(Signal.OUI, oui(normal), index)
        vendor = lookup(normal)
        if vendor:
            out.add(Signal.MAC_VENDOR, vendor, index)


def _one(
    out: _Collector,
    index: int | None,
    obs: Observation,
    ports: dict[str, list[int]],
    ttls: dict[int, list[int]],
) -> None:
    data = obs.data
    kind = obs.kind
    name: str | None
    if kind == ObservationKind.PORT:
        port, proto = _int(data.get("port")), str(data.get("proto") or "tcp")
        if port is None or data.get("state") != "open":
            return
        label = f"{port}/{proto}"
        found = ports.setdefault(label, [])
        if index is not None:
            found.append(index)
        product = " ".join(
            str(data[k]) for k in ("product", "version", "extrainfo") if _text(data.get(k))
        )
        out.add(Signal.SERVICE, _text(product), index, key=label)
        out.add(Signal.NMAP_DEVICE_TYPE, _text(data.get("devicetype")), index)
    elif kind == ObservationKind.BANNER:
        protocol = str(data.get("protocol", ""))
        fields = _BANNER_SIGNALS.get(protocol, {})
        for name, signal in fields.items():
            out.add(signal, _text(data.get(name)), index)
        if protocol == "rtsp" and not _text(data.get("server")):
            # An RTSP service answered without naming itself: that it speaks RTSP still counts.
            out.add(Signal.RTSP_SERVER, f"RTSP/1.0 {data.get('status') or ''}".strip(), index)
    elif kind == ObservationKind.HOSTNAME:
        name = _text(data.get("name"))
        if name:
            out.add(Signal.HOSTNAME, clean_hostname(name), index, context=_text(data.get("origin")))
    elif kind == ObservationKind.MDNS_SERVICE:
        _mdns(out, index, data)
    elif kind == ObservationKind.DHCP:
        out.add(Signal.DHCP_VENDOR_CLASS, _text(data.get("vendor_class")), index)
        prl = data.get("prl")
        if isinstance(prl, list) and prl:
            out.add(Signal.DHCP_PRL, ",".join(str(p) for p in prl), index)
        name = _text(data.get("hostname"))
        if name:
            out.add(Signal.HOSTNAME, clean_hostname(name), index, context="dhcp")
    elif kind == ObservationKind.SSDP:
        out.add(Signal.SSDP, _text(data.get("server")), index, key="server")
        description = data.get("description")
        if isinstance(description, dict):
            for key in _SSDP_KEYS:
                out.add(Signal.SSDP, _text(description.get(key)), index, key=key)
    elif kind == ObservationKind.LLDP:
        _lldp(out, index, data)
    elif kind == ObservationKind.CDP:
        caps = data.get("capabilities")
        if isinstance(caps, list) and caps:
            out.add(Signal.CDP_CAPS, frozenset(str(c) for c in caps), index)
        out.add(Signal.CDP_PLATFORM, _text(data.get("platform")), index)
        out.add(Signal.CDP_SOFTWARE, _text(data.get("software")), index)
        name = _text(data.get("device_id"))
        if name:
            out.add(Signal.HOSTNAME, clean_hostname(name), index, context="cdp")
    elif kind == ObservationKind.NBNS:
        for entry in data.get("names") or []:
            if isinstance(entry, dict) and _text(entry.get("name")):
                name = str(entry["name"]).strip()
                suffix = _int(entry.get("suffix"))
                out.add(Signal.NBNS_NAME, f"{name}<{(suffix or 0):02x}>", index)
                if not entry.get("group") and suffix in (0, 0x20):
                    out.add(Signal.HOSTNAME, name, index, context="nbns")
    elif kind == ObservationKind.LLMNR:
        name = _text(data.get("name"))
        if name and data.get("how") != "query":
            out.add(Signal.HOSTNAME, clean_hostname(name), index, context="llmnr")
    elif kind == ObservationKind.SNMP_SYSTEM:
        _snmp(out, index, data)
    elif kind == ObservationKind.TTL:
        initial = _int(data.get("initial"))
        if initial is not None:
            ttls.setdefault(initial, [])
            if index is not None:
                ttls[initial].append(index)
    elif kind == ObservationKind.OS_GUESS:
        for entry in data.get("classes") or []:
            if isinstance(entry, dict):
                parts = [str(entry.get(k) or "") for k in ("type", "vendor", "osfamily")]
                out.add(Signal.OS_CLASS, "|".join(parts), index)
    elif kind == ObservationKind.INVENTORY:
        row = data.get("fields")
        if isinstance(row, dict):
            for key in ("hostname", "name", "client-hostname"):
                name = _text(row.get(key))
                if name:
                    out.add(Signal.HOSTNAME, clean_hostname(name), index, context="import")


def _mdns(out: _Collector, index: int | None, data: dict[str, object]) -> None:
    service = _text(data.get("type"))
    short = None
    if service:
        service = service.strip().rstrip(".").removesuffix(".local")
        out.add(Signal.MDNS_SERVICE, service, index)
        short = service.removesuffix("._tcp").removesuffix("._udp")
    txt = data.get("txt")
    if isinstance(txt, dict):
        for key, value in txt.items():
            text = _text(value)
            if text is not None:
                out.add(Signal.MDNS_TXT, text, index, key=str(key), context=short)
    host = _text(data.get("host"))
    if host:
        out.add(Signal.HOSTNAME, clean_hostname(host), index, context="mdns")


def _lldp(out: _Collector, index: int | None, data: dict[str, object]) -> None:
    caps = data.get("caps_enabled")
    if isinstance(caps, list) and caps:
        out.add(Signal.LLDP_CAPS, frozenset(str(c) for c in caps), index)
    out.add(Signal.LLDP_DESCRIPTION, _text(data.get("system_description")), index)
    name = _text(data.get("system_name"))
    if name:
        out.add(Signal.HOSTNAME, clean_hostname(name), index, context="lldp")
    med = data.get("med")
    if isinstance(med, dict):
        for key, value in med.items():
            out.add(Signal.LLDP_MED, _text(value), index, key=str(key))


def _snmp(out: _Collector, index: int | None, data: dict[str, object]) -> None:
    out.add(Signal.SNMP_SYSDESCR, _text(data.get("sysDescr")), index)
    oid = _text(data.get("sysObjectID"))
    out.add(Signal.SNMP_SYSOBJECTID, oid.lstrip(".") if oid else None, index)
    out.add(Signal.SNMP_SYSSERVICES, _int(data.get("sysServices")), index)
    out.add(Signal.SNMP_IP_FORWARDING, _int(data.get("ipForwarding")), index)
    out.add(Signal.SNMP_BRIDGE_PORTS, _int(data.get("dot1dBaseNumPorts")), index)
    name = _text(data.get("sysName"))
    if name:
        out.add(Signal.HOSTNAME, clean_hostname(name), index, context="snmp")
    extra = data.get("extra")
    if isinstance(extra, dict):
        for key, value in extra.items():
            out.add(Signal.SNMP_OID, _text(value), index, key=str(key).lstrip("."))


def for_device(
    device: Device,
    observations: list[Observation],
    vendor_lookup: VendorLookup | None = None,
) -> list[Evidence]:
    """The evidence of ``device`` in a snapshot: its ``evidence`` indexes, else by MAC/IP."""
    if device.evidence:
        chosen = [(i, observations[i]) for i in device.evidence if 0 <= i < len(observations)]
    else:
        macs, ips = set(device.macs), set(device.ips)
        chosen = [
            (i, obs)
            for i, obs in enumerate(observations)
            if (obs.mac and obs.mac in macs) or (obs.ip and obs.ip in ips and not obs.mac)
        ]
    return extract(chosen, device.macs, device.hostnames, vendor_lookup)

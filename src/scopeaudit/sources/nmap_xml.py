"""Pure parser of nmap's XML output (``-oX``): live hosts, addresses, names, ports, OS guesses.

Read with defusedxml, so a file that declares entities (XXE, billion laughs) is refused rather
than resolved. Both OS layouts are read: pre-5.x files put ``<osclass>`` beside ``<osmatch>``
under ``<os>``, later ones nest the classes inside each match. ``<hosthint>`` (7.9x, a copy of
what host discovery saw) and ``<traceroute>`` are ignored.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.macaddr import normalize_mac
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources import cap
from scopeaudit.taxonomy import Language, Source

_SERVICE_FIELDS = ("product", "version", "extrainfo", "devicetype")
_CLASS_FIELDS = ("type", "vendor", "osfamily", "osgen")
# nmap labels hostnames PTR (reverse DNS) or user (the name given on the command line).
_HOSTNAME_ORIGIN = {"PTR": "ptr", "user": "nmap"}


TEXT: Catalog = {
    "xml_entities": {
        Language.EN: "refused: the file declares XML entities or external references "
        "(nmap never writes those; possible XXE attack)",
        Language.FR: "refusé : le fichier déclare des entités XML ou des références externes "
        "(nmap n'en écrit jamais ; attaque XXE possible)",
    },
    "xml_malformed": {
        Language.EN: "not well-formed XML at line {line}, column {column} "
        "(truncated file? an interrupted scan does not close its XML)",
        Language.FR: "XML mal formé à la ligne {line}, colonne {column} "
        "(fichier tronqué ? un scan interrompu ne referme pas son XML)",
    },
    "not_nmap": {
        Language.EN: "not an nmap XML file (root element <{root}>, expected <nmaprun>)",
        Language.FR: "pas un fichier XML de nmap (élément racine <{root}>, <nmaprun> attendu)",
    },
    "bad_ip": {
        Language.EN: "host {number}: address {value} is not an IPv4 address; host skipped",
        Language.FR: "hôte {number} : l'adresse {value} n'est pas une adresse IPv4 ; hôte ignoré",
    },
    "bad_mac": {
        Language.EN: "host {number}: {value} is not a MAC address; host skipped",
        Language.FR: "hôte {number} : {value} n'est pas une adresse MAC ; hôte ignoré",
    },
    "no_address": {
        Language.EN: "host {number}: no IPv4 or MAC address (IPv6-only hosts are not supported); "
        "host skipped",
        Language.FR: "hôte {number} : ni adresse IPv4 ni adresse MAC (les hôtes uniquement IPv6 "
        "ne sont pas pris en charge) ; hôte ignoré",
    },
}


@dataclass
class NmapParse:
    """What one nmap XML document held; ``error`` is a one-line reason when it was unusable.

    ``error`` and ``problems`` are rendered in the caller's language; ``error_code`` and
    ``error_params`` are for programs.
    """

    observations: list[Observation] = field(default_factory=list)
    hosts_up: int = 0
    hosts_down: int = 0
    problems: list[str] = field(default_factory=list)
    nmap_version: str | None = None
    error: str | None = None
    error_code: str | None = None
    error_params: dict[str, str | int] = field(default_factory=dict)
    lang: Language = Language.EN

    def fail(self, code: str, **params: str | int) -> NmapParse:
        self.error_code, self.error_params = code, params
        self.error = render(TEXT, code, params, self.lang)
        return self


def parse_nmap_xml(
    content: bytes,
    *,
    vantage: str,
    fallback_time: datetime,
    source: Source = Source.IMPORT,
    lang: Language | None = None,
) -> NmapParse:
    """Observations of every host nmap reported up; never raises on bad input."""
    result = NmapParse(lang=lang or resolve_language())
    try:
        root = fromstring(content)
    except DefusedXmlException:
        return result.fail("xml_entities")
    except ParseError as error:
        line, column = error.position
        return result.fail("xml_malformed", line=line, column=column + 1)
    if root.tag != "nmaprun":
        return result.fail("not_nmap", root=cap(root.tag))
    result.nmap_version = root.get("version")
    run_time = _epoch(root.get("start")) or fallback_time
    for number, host in enumerate(root.findall("host"), start=1):
        status = host.find("status")
        if status is None or status.get("state") != "up":
            result.hosts_down += 1
            continue
        problem = _parse_host(host, number, run_time, vantage, source, result.observations)
        if problem is None:
            result.hosts_up += 1
        else:
            code, params = problem
            result.problems.append(render(TEXT, code, params, result.lang))
    return result


def _epoch(value: str | None) -> datetime | None:
    if value is None or not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), UTC)


def _parse_host(
    host: Element,
    number: int,
    run_time: datetime,
    vantage: str,
    source: Source,
    out: list[Observation],
) -> tuple[str, dict[str, object]] | None:
    """Append one live host's observations; return a problem (code, params) when unusable."""
    ip: str | None = None
    mac: str | None = None
    vendor: str | None = None
    for address in host.findall("address"):
        kind, value = address.get("addrtype"), address.get("addr", "")
        if kind == "ipv4":
            try:
                ip = str(ipaddress.IPv4Address(value))
            except ValueError:
                return "bad_ip", {"number": number, "value": repr(cap(value))}
        elif kind == "mac":
            try:
                mac = normalize_mac(value)
            except ValueError:
                return "bad_mac", {"number": number, "value": repr(cap(value))}
            vendor = address.get("vendor")
    if ip is None and mac is None:
        return "no_address", {"number": number}
    when = _epoch(host.get("endtime")) or _epoch(host.get("starttime")) or run_time

    def emit(kind: ObservationKind, data: dict[str, Any]) -> None:
        out.append(
            Observation(
                source=source, kind=kind, time=when, vantage=vantage, mac=mac, ip=ip, data=data
            )
        )

    address_data: dict[str, Any] = {"how": "nmap"}
    if vendor is not None:
        address_data["vendor"] = cap(vendor)
    emit(ObservationKind.ADDRESS, address_data)
    for hostname in host.findall("hostnames/hostname"):
        name = hostname.get("name")
        if name:
            origin = _HOSTNAME_ORIGIN.get(hostname.get("type", ""), "nmap")
            emit(ObservationKind.HOSTNAME, {"name": cap(name), "origin": origin})
    for port in host.findall("ports/port"):
        data = _port_data(port)
        if data is not None:
            emit(ObservationKind.PORT, data)
    for guess in _os_guesses(host.find("os")):
        emit(ObservationKind.OS_GUESS, guess)
    return None


def _port_data(port: Element) -> dict[str, Any] | None:
    portid, state = port.get("portid", ""), port.find("state")
    if not portid.isdigit() or state is None:
        return None
    data: dict[str, Any] = {
        "port": int(portid),
        "proto": port.get("protocol", "tcp"),
        "state": state.get("state", ""),
    }
    service = port.find("service")
    if service is not None:
        if service.get("name"):
            data["service"] = cap(service.get("name", ""))
        for key in _SERVICE_FIELDS:
            value = service.get(key)
            if value:
                data[key] = cap(value)
    return data


def _class_data(element: Element) -> dict[str, Any]:
    data: dict[str, Any] = {key: cap(element.get(key, "")) for key in _CLASS_FIELDS}
    data["accuracy"] = _int(element.get("accuracy"))
    return data


def _int(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() else 0


def _os_guesses(os_block: Element | None) -> list[dict[str, Any]]:
    """One guess per ``<osmatch>``, best first; old-layout classes go to the first match."""
    if os_block is None:
        return []
    guesses: list[dict[str, Any]] = [
        {
            "name": cap(match.get("name", "")),
            "accuracy": _int(match.get("accuracy")),
            "classes": [_class_data(c) for c in match.findall("osclass")],
        }
        for match in os_block.findall("osmatch")
    ]
    # Pre-5.x layout: nmap did not say which class belongs to which match.
    loose = [_class_data(c) for c in os_block.findall("osclass")]
    if loose:
        if not guesses:
            first = loose[0]
            parts = (first["vendor"], first["osfamily"], first["osgen"])
            name = " ".join(dict.fromkeys(v for v in parts if v))  # "Linux Linux" → "Linux"
            guesses.append({"name": name, "accuracy": first["accuracy"], "classes": []})
        first_classes: list[dict[str, Any]] = guesses[0]["classes"]
        guesses[0]["classes"] = first_classes + loose
    return guesses

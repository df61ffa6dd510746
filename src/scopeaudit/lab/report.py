"""``lab status`` as a table: the headers in the user's language and one row of text per host.

Pure: it turns the supervisor's status (``LabInstance.status()``) into strings; cli.py draws
them. Values that came from a persona's state file are shown raw and escaped by the renderer.
"""

from __future__ import annotations

from typing import Any

from scopeaudit.i18n import Catalog, render
from scopeaudit.taxonomy import Language

EN, FR = Language.EN, Language.FR

HEADINGS: Catalog = {
    "title": {
        EN: "Lab {name} ({topology}, profile {profile}, {status}, ready after {ready} s)",
        FR: "Laboratoire {name} ({topology}, profil {profile}, {status}, prêt en {ready} s)",
    },
    "id": {EN: "Persona", FR: "Persona"},
    "namespace": {EN: "Namespace", FR: "Espace de noms"},
    "macs": {EN: "MACs", FR: "MAC"},
    "ips": {EN: "IPs", FR: "IP"},
    "port": {EN: "Switch port", FR: "Port du switch"},
    "process": {EN: "Process", FR: "Processus"},
    "canary": {EN: "Canary (frames/ARP)", FR: "Canari (trames/ARP)"},
    "print_ports": {EN: "Print ports (bytes)", FR: "Ports d'impression (octets)"},
    "running": {EN: "running (pid {pid})", FR: "actif (pid {pid})"},
    "stopped": {EN: "stopped", FR: "arrêté"},
    "exited": {EN: "exited ({code})", FR: "terminé ({code})"},
    "technician": {EN: "technician", FR: "technicien"},
    "silent": {EN: "{count} silent hosts", FR: "{count} hôtes silencieux"},
}

COLUMNS = ("id", "namespace", "macs", "ips", "port", "process", "canary", "print_ports")


def _t(key: str, lang: Language, **params: object) -> str:
    return render(HEADINGS, key, params, lang)


def title(status: dict[str, Any], lang: Language) -> str:
    return _t(
        "title",
        lang,
        name=status.get("name"),
        topology=status.get("topology_name"),
        profile=status.get("profile"),
        status=status.get("status"),
        ready=status.get("ready_after_s"),
    )


def headers(lang: Language) -> list[str]:
    return [_t(column, lang) for column in COLUMNS]


def _process(persona: dict[str, Any], lang: Language) -> str:
    if persona.get("running"):
        return _t("running", lang, pid=persona.get("runtime_pid"))
    if persona.get("stopped"):
        return _t("stopped", lang)
    return _t("exited", lang, code=persona.get("exit_code"))


def _print_ports(canary: dict[str, Any]) -> str:
    ports = canary.get("print_port_bytes") or {}
    if not isinstance(ports, dict):
        return str(ports)
    return " ".join(f"{port}:{count}" for port, count in sorted(ports.items()) if count) or (
        "0" if ports else ""
    )


def _ports(persona: dict[str, Any]) -> str:
    """``sw01:3`` per interface plugged into a switch persona (``lab move`` changes it)."""
    plugs = persona.get("switch_ports") or []
    return " ".join(
        f"{plug.get('switch')}:{plug.get('port')}" for plug in plugs if isinstance(plug, dict)
    )


def rows(status: dict[str, Any], lang: Language) -> list[list[str]]:
    """One row for the technician, one per persona, one summing up the silent hosts."""
    out: list[list[str]] = []
    hosts = status.get("hosts", [])
    for host in hosts:
        if host.get("role") == "technician":
            links = host.get("links", [])
            out.append(
                [
                    _t("technician", lang),
                    str(host.get("netns")),
                    " ".join(str(link.get("mac")) for link in links),
                    " ".join(str(link.get("ip")) for link in links),
                    "",
                    "",
                    "",
                    "",
                ]
            )
    for persona in status.get("personas", []):
        canary = persona.get("canary") or {}
        if not isinstance(canary, dict):
            canary = {}
        out.append(
            [
                str(persona.get("id")),
                str(persona.get("namespace")),
                " ".join(str(mac) for mac in persona.get("macs", [])),
                " ".join(str(ip) for ip in persona.get("ips", [])),
                _ports(persona),
                _process(persona, lang),
                f"{canary.get('frames_from_scanner', '-')}/{canary.get('arp_requests_from_scanner', '-')}",
                _print_ports(canary),
            ]
        )
    silent = [h for h in hosts if h.get("role") == "silent"]
    if silent:
        out.append([_t("silent", lang, count=len(silent)), "", "", "", "", "", "", ""])
    return out

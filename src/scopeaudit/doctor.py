"""``scopeaudit doctor``: what a technician checks before a site visit, as data.

Privileges for raw sockets, the interface facing each declared network (or that none does, so
only nmap will reach it), nmap and OUI data versions, and whether the clock is synchronised.
Each check is a ``Check`` (code, params, ok); texts are rendered in French or English.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from scopeaudit.i18n import Catalog, render
from scopeaudit.scope import Scope
from scopeaudit.sources.arp import can_open_raw_socket, plan_segments
from scopeaudit.sources.host import local_interfaces
from scopeaudit.taxonomy import Language
from scopeaudit.versions import nmap_version


class Level(StrEnum):
    """How a check turned out."""

    OK = "ok"
    WARNING = "warning"
    PROBLEM = "problem"


_TEXT: Catalog = {
    "privileges_ok": {
        Language.EN: "privileges: raw sockets allowed (uid {uid}): ARP sweep and passive listening can run",
        Language.FR: "privilèges : sockets bruts permis (uid {uid}) : balayage ARP et écoute passive possibles",
    },
    "privileges_missing": {
        Language.EN: "privileges: no raw sockets (uid {uid}, no CAP_NET_RAW): run as root or setcap cap_net_raw+ep; ARP and passive sources will not run",
        Language.FR: "privilèges : pas de sockets bruts (uid {uid}, sans CAP_NET_RAW) : lancez en root ou setcap cap_net_raw+ep ; les sources ARP et passive ne tourneront pas",
    },
    "facing": {
        Language.EN: "network {cidr} (site {site}): faced by {interface} ({address}): ARP sweep",
        Language.FR: "réseau {cidr} (site {site}) : face à {interface} ({address}) : balayage ARP",
    },
    "not_facing": {
        Language.EN: "network {cidr} (site {site}): no interface faces it: only nmap (routed) will reach it",
        Language.FR: "réseau {cidr} (site {site}) : aucune interface n'y fait face : seul nmap (routé) l'atteindra",
    },
    "interface": {
        Language.EN: "interface {interface}: {addresses}",
        Language.FR: "interface {interface} : {addresses}",
    },
    "no_interface": {
        Language.EN: "interfaces: none is up with an IPv4 address",
        Language.FR: "interfaces : aucune n'est active avec une adresse IPv4",
    },
    "nmap": {
        Language.EN: "nmap: {version}",
        Language.FR: "nmap : {version}",
    },
    "nmap_missing": {
        Language.EN: "nmap: {version}; routed networks and port probes will not run",
        Language.FR: "nmap : {version} ; réseaux routés et sondage des ports impossibles",
    },
    "oui": {
        Language.EN: "MAC vendor data: {source}, {date}",
        Language.FR: "données des fabricants MAC : {source}, {date}",
    },
    "oui_stale": {
        Language.EN: "MAC vendor data: {source}, {date}: older than 12 months, update scopeaudit or set SCOPEAUDIT_OUI_FILE",
        Language.FR: "données des fabricants MAC : {source}, {date} : plus de 12 mois, mettez scopeaudit à jour ou définissez SCOPEAUDIT_OUI_FILE",
    },
    "clock_ok": {
        Language.EN: "clock: {now} UTC, synchronised",
        Language.FR: "horloge : {now} UTC, synchronisée",
    },
    "clock_unsync": {
        Language.EN: "clock: {now} UTC, not synchronised (NTP): run times in the report may be wrong",
        Language.FR: "horloge : {now} UTC, non synchronisée (NTP) : les heures du rapport peuvent être fausses",
    },
}


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    code: str
    level: Level
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: Language) -> str:
        return render(_TEXT, self.code, self.params, lang)


def clock_synchronised() -> bool | None:
    """True when the kernel says the clock is synchronised (adjtimex), None when unknown."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        buffer = ctypes.create_string_buffer(512)  # struct timex with modes 0: read only
        state = int(libc.adjtimex(buffer))
    except (OSError, AttributeError):
        return None
    if state < 0:
        return None
    return state != 5  # TIME_ERROR: the clock is not synchronised


def run_checks(scope: Scope | None = None) -> list[Check]:
    """Every check, in the order a technician reads them."""
    checks: list[Check] = []
    uid = os.geteuid()
    checks.append(
        Check("privileges_ok", Level.OK, {"uid": uid})
        if can_open_raw_socket()
        else Check("privileges_missing", Level.PROBLEM, {"uid": uid})
    )
    interfaces = local_interfaces()
    if scope is not None:
        segments, _ = plan_segments(scope, interfaces)
        for net in scope.networks:
            params: dict[str, Any] = {"cidr": str(net.cidr), "site": net.site or "-"}
            facing = next((s for s in segments if s.network.overlaps(net.cidr)), None)
            if facing is None:
                checks.append(Check("not_facing", Level.WARNING, params))
            else:
                params |= {"interface": facing.interface.name, "address": str(facing.source_ip)}
                checks.append(Check("facing", Level.OK, params))
    else:
        usable = [i for i in interfaces if i.up and not i.loopback and i.ipv4]
        if not usable:
            checks.append(Check("no_interface", Level.PROBLEM))
        for iface in usable:
            addresses = ", ".join(str(a) for a in iface.ipv4)
            checks.append(
                Check("interface", Level.OK, {"interface": iface.name, "addresses": addresses})
            )
    version = nmap_version()
    installed = version[:1].isdigit()
    checks.append(
        Check(
            "nmap" if installed else "nmap_missing",
            Level.OK if installed else Level.PROBLEM,
            {"version": version},
        )
    )
    checks.append(_oui_check())
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
    synced = clock_synchronised()
    checks.append(
        Check("clock_ok", Level.OK, {"now": now})
        if synced is not False
        else Check("clock_unsync", Level.WARNING, {"now": now})
    )
    return checks


def _oui_check() -> Check:
    from scopeaudit.oui import data_version

    data = data_version()
    params = {"source": data.source, "date": data.date or "?"}
    stale = data.is_stale(datetime.now(UTC))
    return Check("oui_stale" if stale else "oui", Level.WARNING if stale else Level.OK, params)

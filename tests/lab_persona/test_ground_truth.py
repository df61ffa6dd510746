"""The hand-written ground truth agrees with the topology and with what the kind files emit.

This does not derive the truth from anything: it checks that a signal claimed for a persona is
really produced by its kind file, and that identifiers match office.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from scopeaudit.lab.persona.loader import load_kind
from scopeaudit.lab.persona.spec import Kind
from scopeaudit.macaddr import is_locally_administered
from scopeaudit.taxonomy import Category, FormFactor, Role

LAB = Path(__file__).resolve().parents[2] / "fixtures" / "lab"
TRUTH = yaml.safe_load((LAB / "ground-truth.yaml").read_text())
OFFICE = yaml.safe_load((LAB / "office.yaml").read_text())
TOPOLOGY = {p["id"]: p for p in OFFICE["personas"]}


def _routes(kind: Kind) -> list[Any]:
    return [r for s in kind.services.tcp for r in s.routes.values()]


def _bodies(kind: Kind) -> str:
    return "".join(
        r.body + ((LAB / "personas" / r.body_file).read_text() if r.body_file else "")
        for r in _routes(kind)
    )


def _overrides(kind: Kind) -> list[str]:
    return [o.oid for o in kind.services.snmp.overrides] if kind.services.snmp else []


S = Kind  # shorthand for the checks below
CHECKS: dict[str, Callable[[S, dict[str, Any]], bool]] = {
    "oui": lambda k, p: not is_locally_administered(p["interfaces"][0]["mac"]),
    "randomized_mac": lambda k, p: is_locally_administered(p["interfaces"][0]["mac"]),
    "ttl": lambda k, p: True,
    "routed": lambda k, p: p["interfaces"][0].get("bridge", "lan") != "lan",
    "dhcp_hostname": lambda k, p: bool(k.services.dhcp and k.services.dhcp.hostname),
    "dhcp_vendor_class": lambda k, p: bool(k.services.dhcp and k.services.dhcp.vendor_class),
    "dhcp_prl": lambda k, p: bool(k.services.dhcp and k.services.dhcp.prl),
    "dhcp_client_id": lambda k, p: bool(k.services.dhcp and 61 in k.services.dhcp.order),
    "dhcp_fqdn": lambda k, p: bool(k.services.dhcp and k.services.dhcp.fqdn),
    "ssh_banner": lambda k, p: any((s.banner or "").startswith("SSH-") for s in k.services.tcp),
    "http_server": lambda k, p: any(h[0] == "Server" for r in _routes(k) for h in r.headers),
    "http_title": lambda k, p: "<title>" in _bodies(k).lower(),
    "http_redirect": lambda k, p: any(r.status.startswith("30") for r in _routes(k)),
    "tls_subject": lambda k, p: any(s.tls for s in k.services.tcp),
    "tls_issuer": lambda k, p: any(s.tls and s.tls.issuer for s in k.services.tcp),
    "rtsp": lambda k, p: any(s.type == "rtsp" for s in k.services.tcp),
    "sip_user_agent": lambda k, p: any(s.type == "sip" for s in k.services.udp),
    "onvif": lambda k, p: any(s.port == 3702 for s in k.services.udp),
    "ubnt_discovery": lambda k, p: any(s.type == "ubnt-discovery" for s in k.services.udp),
    "vmware_authd": lambda k, p: any(s.port == 902 and s.type == "banner" for s in k.services.tcp),
    "redfish": lambda k, p: any("/redfish/v1" in s.routes for s in k.services.tcp),
    "mdns_hostname": lambda k, p: bool(k.services.mdns and k.services.mdns.hostname),
    "mdns_services": lambda k, p: bool(k.services.mdns and k.services.mdns.services),
    "mdns_txt_model": lambda k, p: (
        bool(k.services.mdns)
        and any(
            t.split("=")[0] in ("model", "rpMd", "ty", "am", "md")
            for s in k.services.mdns.services  # type: ignore[union-attr]
            for t in s.txt
        )
    ),
    "ssdp_description": lambda k, p: k.services.ssdp is not None,
    "nbns_names": lambda k, p: k.services.netbios is not None,
    "nbns_mac": lambda k, p: bool(k.services.netbios and k.services.netbios.answer),
    "llmnr": lambda k, p: k.services.llmnr is not None,
    "lldp_caps": lambda k, p: k.services.lldp is not None,
    "lldp_system": lambda k, p: k.services.lldp is not None,
    "lldp_med": lambda k, p: bool(k.services.lldp and k.services.lldp.med),
    "cdp_caps": lambda k, p: k.services.cdp is not None,
    "cdp_platform": lambda k, p: k.services.cdp is not None,
    "snmp_sysdescr": lambda k, p: k.services.snmp is not None,
    "snmp_sysobjectid": lambda k, p: k.services.snmp is not None,
    "snmp_ipforwarding": lambda k, p: k.services.snmp is not None,
    "snmp_arp_table": lambda k, p: (
        k.services.snmp is not None or p["interfaces"][0].get("bridge", "lan") != "lan"
    ),
    "snmp_bridge_mib": lambda k, p: bool(k.services.snmp and k.services.snmp.bridge_mib),
    "snmp_printer_mib": lambda k, p: any(
        o.startswith((".1.3.6.1.2.1.43.", ".1.3.6.1.2.1.25.3.2.1.2")) for o in _overrides(k)
    ),
    "snmp_vendor_mib": lambda k, p: any(o.startswith(".1.3.6.1.4.1.") for o in _overrides(k)),
    "open_ports": lambda k, p: bool(k.services.tcp),
    "print_ports": lambda k, p: any(s.port == 9100 and s.type == "count" for s in k.services.tcp),
}


def test_every_topology_persona_has_a_truth_and_back() -> None:
    assert {p["id"] for p in TRUTH["personas"]} == set(TOPOLOGY)


@pytest.mark.parametrize("truth", TRUTH["personas"], ids=lambda t: t["id"])
def test_truth_record(truth: dict[str, Any]) -> None:
    persona = TOPOLOGY[truth["id"]]
    Category(truth["category"])
    for alternative in truth["acceptable"]:
        assert Category(alternative) != Category(truth["category"])
    if truth.get("form_factor"):
        FormFactor(truth["form_factor"])
    if truth.get("role"):
        Role(truth["role"])
        assert truth["parent"] in TOPOLOGY
    identifiers = truth["identifiers"]
    assert identifiers["macs"] == [i["mac"] for i in persona["interfaces"]]
    assert identifiers["ips"] == [i["ip"].split("/")[0] for i in persona["interfaces"]]
    kind = load_kind(LAB / persona["kind"])
    unknown = set(truth["signals_present"]) - set(CHECKS)
    assert not unknown, f"signals outside the vocabulary: {unknown}"
    for signal in truth["signals_present"]:
        assert CHECKS[signal](kind, persona), (
            f"{truth['id']}: {signal} claimed, kind does not emit it"
        )


DEMO = yaml.safe_load((LAB.parent / "contracts" / "demo.yaml").read_text())
EQUIPMENT = {e["id"]: e for e in DEMO["equipment"]}
# Planted by the lab plan: the NAS is declared as a server (category mismatch).
PLANTED_MISMATCH = {"nas01"}


@pytest.mark.parametrize("truth", TRUTH["personas"], ids=lambda t: t["id"])
def test_truth_agrees_with_the_demo_contract(truth: dict[str, Any]) -> None:
    declared = truth["contract"]
    if declared is None:
        return
    equipment = EQUIPMENT[declared]
    assert equipment["site"] == truth["site"]
    if truth.get("role") == "bmc":
        assert declared == next(
            t["contract"] for t in TRUTH["personas"] if t["id"] == truth["parent"]
        )
        return
    if truth["id"] in PLANTED_MISMATCH:
        assert equipment["category"] != truth["category"]
    else:
        assert equipment["category"] == truth["category"]
    macs = {str(m).lower() for m in equipment.get("mac", [])}
    assert not macs or macs & set(truth["identifiers"]["macs"])

"""The lab personas (lab-plan.md) classified from the observations the scanner would get, and
the traps of research/fingerprints.md §2.4, each as its own test."""

from __future__ import annotations

import pytest

from classify.personas import BY_ID, PERSONAS, Persona, snapshot
from scopeaudit.classify import classify_devices, decide, load_ruleset
from scopeaudit.classify.evidence import Evidence, Signal
from scopeaudit.models import Device
from scopeaudit.taxonomy import Category, FormFactor, Role

RULES = load_ruleset(environ={})
SNAP = snapshot()
RESULT = {
    d.id.removeprefix("dev-"): d for d in classify_devices(SNAP.devices, SNAP.observations, RULES)
}


def classify(persona: Persona, keep: set[str] | None = None) -> Device:
    """One persona alone, optionally keeping only some observation kinds."""
    if keep is not None:
        persona = Persona(
            persona.id,
            persona.category,
            persona.form_factor,
            persona.macs,
            persona.ips,
            [o for o in persona.observations if o.kind in keep],
        )
    snap = snapshot([persona])
    return classify_devices(snap.devices, snap.observations, RULES)[0]


@pytest.mark.parametrize("persona", PERSONAS, ids=[p.id for p in PERSONAS])
def test_persona_category_and_form_factor(persona: Persona) -> None:
    device = RESULT[persona.id]
    assert device.category == persona.category, device.reasons
    assert device.form_factor == persona.form_factor
    assert device.confidence >= RULES.threshold
    assert device.reasons and device.reasons[0].code == "classify.decision"
    if persona.virtual is not None:
        assert device.virtual is persona.virtual
    if persona.role is not None:
        assert device.role == Role(persona.role)


def test_reason_names_signal_and_rule() -> None:
    texts = [r.text for r in RESULT["ipad01"].reasons]
    assert "mDNS _companion-link rpMd=iPad13,16 → tablet (Apple iPad model identifier)" in texts
    rule = next(
        r for r in RESULT["ipad01"].reasons if r.params.get("rule") == "mdns.apple-model.ipad"
    )
    assert rule.code == "classify.rule"
    assert rule.params["label_fr"] == "identifiant de modèle Apple iPad"


def test_trap_9100_on_linux_server_is_not_a_printer() -> None:
    device = RESULT["srv01"]
    assert device.category == Category.SERVER
    assert device.os == "Ubuntu"
    unsupported = [r for r in device.reasons if r.params.get("rule") == "port.print-raw"]
    assert unsupported and unsupported[0].code == "classify.unsupported"


def test_trap_node_exporter_title_argues_against_printer() -> None:
    outcome = decide(
        [
            Evidence(Signal.OPEN_PORTS, frozenset({"9100/tcp", "515/tcp"})),
            Evidence(Signal.HTTP_TITLE, "Node Exporter"),
        ],
        RULES,
    )
    assert outcome.scores.get(Category.PRINTER, 0) < 0.1
    assert outcome.category != Category.PRINTER


def test_trap_airplay_on_5000_7000_is_not_a_nas() -> None:
    device = RESULT["mbp01"]
    assert device.category == Category.COMPUTER
    alone = classify(BY_ID["mbp01"], {"address", "port", "banner"})
    assert alone.category != Category.NAS


def test_trap_synology_xserve_is_not_an_apple_server() -> None:
    device = RESULT["nas01"]
    assert device.category == Category.NAS
    assert device.vendor == "Synology"
    assert device.model == "DS920+"
    only_xserve = classify(BY_ID["nas01"], {"mdns_service"} - {"x"})
    assert only_xserve.category == Category.NAS  # _http vendor=Synology still says NAS
    xserve = decide([Evidence(Signal.MDNS_TXT, "Xserve", "model", "_device-info")], RULES)
    assert xserve.category == Category.UNKNOWN


@pytest.mark.parametrize("pid", ["rtr01", "sw01"])
def test_trap_cisco_router_vs_switch_needs_snmp_cdp_or_lldp(pid: str) -> None:
    same = classify(BY_ID[pid], {"address", "port", "banner", "ttl"})
    assert same.category == Category.UNKNOWN
    assert same.vendor == "Cisco"
    by_snmp = classify(BY_ID[pid], {"address", "port", "banner", "ttl", "snmp_system"})
    by_cdp = classify(BY_ID[pid], {"address", "port", "banner", "ttl", "cdp"})
    assert by_snmp.category == BY_ID[pid].category
    assert by_cdp.category == BY_ID[pid].category


def test_trap_ipad_vs_iphone_by_model_identifier() -> None:
    assert RESULT["ipad01"].category == Category.TABLET
    assert RESULT["iph01"].category == Category.PHONE
    both = classify(BY_ID["ipad01"], {"address", "port", "dhcp", "ttl"})
    assert both.category == Category.UNKNOWN  # same port, same DHCP list: not told apart


def test_trap_windows_desktop_vs_laptop_by_name() -> None:
    assert RESULT["pc01"].form_factor == FormFactor.DESKTOP
    assert RESULT["lt01"].form_factor == FormFactor.LAPTOP


def test_trap_windows_laptop_by_chip_vendor_when_that_is_all() -> None:
    outcome = decide(
        [
            Evidence(Signal.DHCP_VENDOR_CLASS, "MSFT 5.0"),
            Evidence(Signal.TTL, 128),
            Evidence(Signal.MAC_VENDOR, "Intel"),
        ],
        RULES,
    )
    assert outcome.category == Category.COMPUTER
    assert outcome.form_factor == FormFactor.LAPTOP
    dell = decide(
        [
            Evidence(Signal.DHCP_VENDOR_CLASS, "MSFT 5.0"),
            Evidence(Signal.TTL, 128),
            Evidence(Signal.MAC_VENDOR, "Dell"),
        ],
        RULES,
    )
    assert dell.category == Category.COMPUTER
    assert dell.form_factor is None  # Dell makes both: not told


def test_trap_bmc_role_and_parent() -> None:
    bmc = RESULT["idrac01"]
    assert bmc.role == Role.BMC
    assert bmc.category == Category.SERVER
    assert bmc.parent_id == "dev-srv01"
    assert any(r.code == "classify.bmc_parent" for r in bmc.reasons)
    assert RESULT["srv01"].form_factor == FormFactor.RACK


def test_bmc_linked_by_serial_before_vendor() -> None:
    from scopeaudit.classify.bmc import link_controllers

    bmc = Device(
        id="b", hostnames=["idrac-7XK2M53"], role=Role.BMC, vendor="Dell", category=Category.SERVER
    )
    one = Device(id="s1", category=Category.SERVER, vendor="Dell")
    two = Device(id="s2", category=Category.SERVER, vendor="Dell")
    evidence = {"s2": [Evidence(Signal.SNMP_OID, "7XK2M53", "1.3.6.1.4.1.674.10892.5.1.3.2.0")]}
    linked = link_controllers([bmc, one, two], evidence)
    assert linked[0].parent_id == "s2"
    unlinked = link_controllers([bmc, one, two], {})
    assert unlinked[0].parent_id is None  # two Dell servers, no serial, no name: not guessed


def test_trap_vmware_guests_virtual_esxi_hypervisor() -> None:
    for pid in ("vm01", "vm02"):
        assert RESULT[pid].virtual is True
        assert RESULT[pid].form_factor == FormFactor.VIRTUAL
        assert RESULT[pid].category == Category.SERVER
    assert RESULT["esx01"].category == Category.HYPERVISOR
    assert not RESULT["esx01"].virtual


def test_only_22_80_443_is_unknown() -> None:
    outcome = decide(
        [
            Evidence(Signal.OPEN_PORTS, frozenset({"22/tcp", "80/tcp", "443/tcp"})),
            Evidence(Signal.SSH_BANNER, "SSH-2.0-OpenSSH_9.2p1"),
            Evidence(Signal.TTL, 64),
        ],
        RULES,
    )
    assert outcome.category == Category.UNKNOWN
    assert outcome.confidence < RULES.threshold


@pytest.mark.parametrize("oid", ["1.3.6.1.4.1.8072.3.2.10", "1.3.6.1.4.1.311.1.1.3.1.2"])
def test_generic_snmp_identity_never_decides_alone(oid: str) -> None:
    outcome = decide(
        [
            Evidence(Signal.SNMP_SYSOBJECTID, oid),
            Evidence(Signal.SNMP_SYSDESCR, "Linux box 5.10.0 #1 SMP x86_64"),
            Evidence(Signal.SNMP_SYSSERVICES, 72),
        ],
        RULES,
    )
    assert outcome.category == Category.UNKNOWN
    assert all(not v.counted for v in outcome.votes if v.weight > 0)


def test_no_evidence_is_unknown_with_a_reason() -> None:
    device = classify_devices([Device(id="x")], [], RULES)[0]
    assert device.category == Category.UNKNOWN
    assert device.confidence == 0.0
    assert device.reasons[0].code == "classify.no_rule"


def test_accuracy_on_personas_is_total() -> None:
    right = sum(RESULT[p.id].category == p.category for p in PERSONAS)
    assert right == len(PERSONAS)


def test_trap_dlink_switch_is_a_smart_plug() -> None:
    outcome = decide(
        [
            Evidence(Signal.HOSTNAME, "DSP-W215", context="dhcp"),
            Evidence(Signal.DHCP_VENDOR_CLASS, "udhcp 1.21.1"),
            Evidence(Signal.MAC_VENDOR, "D-Link"),
        ],
        RULES,
    )
    assert outcome.category == Category.IOT


def test_odd_observation_data_never_raises() -> None:
    from classify.personas import T0
    from scopeaudit.models import Observation, ObservationKind
    from scopeaudit.taxonomy import Source

    odd = [
        {"port": "x", "state": "open"},
        {"port": 22, "proto": "tcp", "state": "open", "product": ["a"]},
        {"protocol": None},
        {"names": ["not a dict", {"name": None}, {"name": "A", "suffix": "zz"}]},
        {"txt": "not a dict", "type": 5},
        {"caps_enabled": "bridge", "med": ["x"]},
        {"extra": {"1.2.3": None}, "sysServices": "abc", "sysObjectID": 7},
        {"classes": [None, {"type": None}]},
        {"prl": "1,3,6", "vendor_class": 60},
        {"initial": "lots"},
        {"description": ["x"], "server": "L" * 10000},
    ]
    observations = [
        Observation(
            source=Source.IMPORT,
            kind=kind,
            time=T0,
            vantage="t",
            mac="02:00:00:00:00:01",
            ip="10.0.0.1",
            data=data,
        )
        for kind in ObservationKind
        for data in odd
    ]
    snap_devices = [Device(id="d", macs=["02:00:00:00:00:01"], ips=["10.0.0.1"])]
    device = classify_devices(snap_devices, observations, RULES)[0]
    assert 0.0 <= device.confidence <= 1.0
    assert all(len(str(r.params.get("evidence", ""))) <= 200 for r in device.reasons)

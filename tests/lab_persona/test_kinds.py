"""Kind files and the schema: every kind validates, pydantic and the light builder agree, and
bad kinds are refused by both with the field named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from scopeaudit.lab.persona.loader import SpecError, load_kind, validate_kind, validate_kind_file
from scopeaudit.lab.persona.spec import Kind, SchemaError, Spec, build

PERSONAS = Path(__file__).resolve().parents[2] / "fixtures" / "lab" / "personas"
KIND_FILES = sorted(p for p in PERSONAS.glob("*.yaml") if p.name != "bare.yaml")
OFFICE = PERSONAS.parent / "office.yaml"


def test_every_office_kind_exists() -> None:
    office = yaml.safe_load(OFFICE.read_text())
    wanted = {Path(p["kind"]).name for p in office["personas"]}
    have = {p.name for p in KIND_FILES} | {"bare.yaml"}
    assert wanted <= have, f"missing kind files: {sorted(wanted - have)}"
    assert len(KIND_FILES) >= 16


@pytest.mark.parametrize("path", KIND_FILES, ids=lambda p: p.stem)
def test_kind_validates_the_same_both_ways(path: Path) -> None:
    light = load_kind(path)
    strict = validate_kind_file(path)
    assert light == strict
    assert light.persona
    for profile in ("friendly", "realistic"):
        assert profile in light.emit, f"{path.name}: no emission intervals for {profile}"


def _printer() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PERSONAS / "hp-m404dn.yaml").read_text())
    return data


def _break(mutate: str) -> dict[str, Any]:
    data = copy.deepcopy(_printer())
    services = data["services"]
    if mutate == "unknown_key":
        services["tcp"][0]["colour"] = "red"
    elif mutate == "port_range":
        services["tcp"][0]["port"] = 70000
    elif mutate == "banner_missing":
        services["tcp"].append({"port": 22, "type": "banner"})
    elif mutate == "duplicate_port":
        services["tcp"].append({"port": 80, "type": "accept"})
    elif mutate == "dhcp_order":
        services["dhcp"]["order"].append(60)
        services["dhcp"].pop("vendor_class")
    elif mutate == "lldp_cap":
        services["lldp"] = {
            "system_name": "x",
            "system_description": "y",
            "caps_available": ["toaster"],
            "caps_enabled": [],
        }
    elif mutate == "mdns_type":
        services["mdns"]["services"][0]["type"] = "ipp"
    elif mutate == "emit_negative":
        data["emit"]["friendly"]["dhcp"] = -1
    elif mutate == "ttl_type":
        data["ttl"] = "sixty-four"
    elif mutate == "tls_on_count":
        services["tcp"][2]["tls"] = {"subject": "/CN=x"}
    return data


BAD = [
    ("unknown_key", "colour"),
    ("port_range", "port"),
    ("banner_missing", "banner"),
    ("duplicate_port", "twice"),
    ("dhcp_order", "option 60"),
    ("lldp_cap", "caps_available"),
    ("mdns_type", "ipp"),
    ("emit_negative", "dhcp"),
    ("ttl_type", "ttl"),
    ("tls_on_count", "tls"),
]


@pytest.mark.parametrize(("mutate", "needle"), BAD, ids=[b[0] for b in BAD])
def test_bad_kinds_are_refused_both_ways(mutate: str, needle: str) -> None:
    data = _break(mutate)
    with pytest.raises(SchemaError) as light:
        build(Kind, data)
    with pytest.raises(SpecError) as strict:
        validate_kind(data, "kind.yaml")
    assert needle in str(light.value) or needle in str(light.value.__cause__)
    assert needle in str(strict.value)
    assert "\n" not in str(strict.value)  # one line per problem list, no traceback text


def test_spec_intervals_and_interfaces() -> None:
    spec = build(
        Spec,
        {
            "id": "prn01",
            "profile": "realistic",
            "interfaces": [{"name": "eth0", "mac": "3c:d9:2b:8e:2a:1f", "ip": "10.77.0.30/24"}],
            "kind": _printer(),
            "state_file": "/tmp/x.json",
            "run_dir": "/tmp/x",
            "future_key": "ignored: the supervisor may add keys",
        },
    )
    assert spec.interfaces[0].address == "10.77.0.30"
    assert spec.interfaces[0].broadcast == "10.77.0.255"
    assert spec.interval("dhcp") == 0.0  # realistic: only at start
    assert spec.interval("mdns") == 3600.0
    assert spec.interval("lldp") == 0.0  # not in emit: once at start if the kind has it
    with pytest.raises(SchemaError, match="interfaces"):
        build(
            Spec,
            {"id": "x", "interfaces": [], "kind": _printer(), "state_file": "s", "run_dir": "r"},
        )
    with pytest.raises(SchemaError, match="ip"):
        build(
            Spec,
            {
                "id": "x",
                "interfaces": [{"name": "eth0", "mac": "m", "ip": "not-an-ip"}],
                "kind": _printer(),
                "state_file": "s",
                "run_dir": "r",
            },
        )

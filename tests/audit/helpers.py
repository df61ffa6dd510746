"""Hand-made devices and contracts for the reconciliation tests (no network)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from scopeaudit.audit_models import Coverage
from scopeaudit.contract import Contract, load_contract
from scopeaudit.models import Device
from scopeaudit.taxonomy import Category, FormFactor, Role, Source

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"


def dev(
    ident: str,
    category: Category,
    macs: list[str] | None = None,
    ips: list[str] | None = None,
    names: list[str] | None = None,
    **extra: object,
) -> Device:
    return Device(
        id=ident,
        macs=macs or [],
        ips=ips or [],
        hostnames=names or [],
        category=category,
        confidence=0.9,
        **extra,  # type: ignore[arg-type]
    )


def contract(tmp_path: Path, body: str, name: str = "c.yaml") -> Contract:
    """A contract from YAML text, loaded the real way."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return load_contract(path, lang="en")


BASE = """\
format: 1
contract:
  reference: T-1
  billing: {{currency: EUR, period: monthly, base_fee: 100, vat_rate: 20,
            unit_prices: {{computer: 30, printer: 10, server: 140, nas: 55, tablet: 12}}}}
  service_levels:
    intervention_delay: {{critical: 4h, high: 8h, normal: 2d}}
scope:
  sites: [{{id: HQ}}, {{id: BR}}]
  networks:
    - {{cidr: 10.0.0.0/24, site: HQ}}
    - {{cidr: 10.0.1.0/24, site: BR}}
  exclude: [{{cidr: 10.0.0.224/28}}]
{scope}
equipment:
{equipment}
"""


def simple(tmp_path: Path, equipment: str, scope: str = "") -> Contract:
    return contract(tmp_path, BASE.format(scope=scope, equipment=equipment))


def full_coverage(c: Contract) -> list[Coverage]:
    return [
        Coverage(cidr=str(n.cidr), site=n.site, methods=[Source.ARP], verifiable=True)
        for n in c.scope.networks
    ]


def demo_devices() -> list[Device]:
    """The office lab as a perfect scan would see it (lab-plan.md)."""
    c = Category
    return [
        dev("scanner", c.COMPUTER, ["8c:8c:aa:00:00:c8"], ["10.77.0.200"], scanner=True),
        dev(
            "rtr01",
            c.ROUTER,
            ["70:10:5c:3a:11:01", "70:10:5c:3a:11:02"],
            ["10.77.0.1", "10.77.20.1"],
            ["BR-RTR01"],
        ),
        dev("sw01", c.SWITCH, ["4c:71:0c:5b:22:01"], ["10.77.0.2"], ["SW-CORE01"]),
        dev("fw01", c.FIREWALL, ["04:d5:90:7c:33:01"], ["10.77.0.254"], ["FGT60FTK21090001"]),
        dev("ap01", c.ACCESS_POINT, ["74:83:c2:4d:44:01"], ["10.77.0.20"], ["U6-Pro-Lobby"]),
        dev("prn01", c.PRINTER, ["3c:d9:2b:8e:2a:1f"], ["10.77.0.30"], ["NPI8E2A1F"]),
        dev("prn02", c.PRINTER, ["3c:2a:f4:11:22:33"], ["10.77.0.33"], ["BRW3C2AF4112233"]),
        dev("nas01", c.NAS, ["90:09:d0:1a:2b:3c"], ["10.77.0.31"], ["DS920"]),
        dev(
            "srv01",
            c.SERVER,
            ["20:04:0f:6e:77:01", "20:04:0f:6e:77:02"],
            ["10.77.0.40", "10.77.0.42"],
            ["srv-app01"],
            form_factor=FormFactor.RACK,
        ),
        dev(
            "idrac01",
            c.SERVER,
            ["d0:94:66:6e:77:09"],
            ["10.77.0.41"],
            ["idrac-7XK2M53"],
            role=Role.BMC,
            parent_id="srv01",
        ),
        dev("esx01", c.HYPERVISOR, ["f4:7b:09:8a:88:01"], ["10.77.0.50"], ["esx01"]),
        dev("vm01", c.SERVER, ["00:0c:29:4e:11:22"], ["10.77.0.51"], ["WIN-4F2K8L1Q9AB"]),
        dev("vm02", c.SERVER, ["00:50:56:8a:33:44"], ["10.77.0.52"], ["app-vm02"]),
        dev("pc01", c.COMPUTER, ["b0:4f:13:5c:99:01"], ["10.77.0.101"], ["DESKTOP-7K3Q2ZD"]),
        dev("lt01", c.COMPUTER, ["a4:c3:f0:2d:5e:01"], ["10.77.0.102"], ["LAPTOP-4F8G2KQ"]),
        dev("mbp01", c.COMPUTER, ["f4:d4:88:6a:10:01"], ["10.77.0.103"], ["Johns-MacBook-Pro"]),
        dev(
            "ipad01",
            c.TABLET,
            ["6e:8b:2f:41:c7:5a"],
            ["10.77.0.110"],
            ["Janes-iPad.local"],
            randomized_mac=True,
        ),
        dev(
            "tab01",
            c.TABLET,
            ["9e:3b:74:a2:10:5f"],
            ["10.77.0.111"],
            ["Galaxy-Tab-S8"],
            randomized_mac=True,
        ),
        dev(
            "iph01",
            c.PHONE,
            ["2a:f1:9c:03:5d:88"],
            ["10.77.0.112"],
            ["Johns-iPhone"],
            randomized_mac=True,
        ),
        dev("tel01", c.IP_PHONE, ["80:5e:c0:7a:15:01"], ["10.77.0.120"], ["SIP-T46U"]),
        dev("cam01", c.CAMERA, ["c0:56:e3:5a:6b:7c"], ["10.77.0.64"]),
        dev("br01", c.COMPUTER, [], ["10.77.20.50"], ["AGENCE-PC01"]),
    ]

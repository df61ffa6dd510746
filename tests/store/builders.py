"""Hand-made runs for the store tests: observations merged the real way, a small contract."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scopeaudit.audit import build_result
from scopeaudit.audit_models import AuditResult
from scopeaudit.contract.loader import read_contract
from scopeaudit.merge import merge
from scopeaudit.models import Observation, ObservationKind, Snapshot, SourceOutcome
from scopeaudit.reconcile import Presence
from scopeaudit.snapshot import seal
from scopeaudit.taxonomy import Category, Language, Source

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
LAPTOP = "00:21:cc:aa:bb:cc"
PRINTER = "00:80:77:11:22:33"
PHONE_1 = "5a:1e:22:33:44:55"  # randomized
PHONE_2 = "7e:90:01:02:03:04"  # randomized, after the rotation

CONTRACT = """\
format: 1
contract:
  reference: STORE-T
  billing: {currency: EUR, period: monthly, base_fee: 100, unit_prices: {computer: 30, printer: 10}}
scope:
  sites: [{id: HQ}]
  networks: [{cidr: 10.0.0.0/24, site: HQ}]
equipment:
  - {id: laptop-1, category: computer, mac: "00:21:cc:aa:bb:cc"}
  - {id: printer-1, category: printer, mac: "00:80:77:11:22:33"}
"""


def observation(
    kind: ObservationKind,
    at: datetime,
    mac: str | None = None,
    ip: str | None = None,
    source: Source = Source.ARP,
    **data: Any,
) -> Observation:
    return Observation(source=source, kind=kind, time=at, vantage="t0", mac=mac, ip=ip, data=data)


def addr(mac: str, ip: str, at: datetime) -> Observation:
    return observation(ObservationKind.ADDRESS, at, mac, ip, how="arp-reply")


def name(mac: str, ip: str, text: str, at: datetime) -> Observation:
    return observation(
        ObservationKind.HOSTNAME, at, mac, ip, source=Source.PASSIVE, name=text, origin="mdns"
    )


def serial_txt(mac: str, ip: str, serial: str, at: datetime) -> Observation:
    return observation(
        ObservationKind.MDNS_SERVICE,
        at,
        mac,
        ip,
        source=Source.PASSIVE,
        type="_device-info._tcp",
        instance="laptop",
        txt={"serial": serial},
    )


def snapshot_of(observations: list[Observation], at: datetime) -> Snapshot:
    """A sealed snapshot: devices merged from ``observations``, categories by MAC."""
    interface = observation(
        ObservationKind.INTERFACE, at, source=Source.HOST, name="t0", cidr="10.0.0.0/24"
    )
    every = [interface, *observations]
    devices = merge(every)
    for device in devices:
        if LAPTOP in device.macs:
            device.category = Category.COMPUTER
        elif PRINTER in device.macs:
            device.category = Category.PRINTER
        elif device.macs:
            device.category = Category.PHONE
    return seal(
        Snapshot(
            tool_version="test",
            started_at=at,
            finished_at=at + timedelta(minutes=1),
            sources=[SourceOutcome(name=Source.ARP, ok=True)],
            observations=every,
            devices=devices,
        )
    )


def write_contract(folder: Path) -> Path:
    path = folder / "contract.yaml"
    path.write_text(textwrap.dedent(CONTRACT), encoding="utf-8")
    return path


def audit_of(
    contract: Path, snapshot: Snapshot, presence: dict[str, Presence] | None
) -> AuditResult:
    """A real reconciliation of ``snapshot`` with the contract (no network)."""
    loaded = read_contract(contract, "en")
    return build_result(
        loaded,
        snapshot,
        contract_path=contract,
        presence=presence,
        lang=Language.EN,
        started_at=snapshot.started_at,
        finished_at=snapshot.finished_at,
    )

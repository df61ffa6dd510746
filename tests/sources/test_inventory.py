"""GLPI and OCS inventory imports: fixtures read through the importer, exact values, multi-MAC
cells, shared MACs, per-row problems, hostile cells kept raw, and ``scan --import`` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scopeaudit.merge import merge
from scopeaudit.models import Observation, ObservationKind
from scopeaudit.sources import inventory
from scopeaudit.sources.importer import FileOutcome, import_file, import_files
from scopeaudit.taxonomy import Language

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "imports"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LC_ALL", "C")


def load(name: str, lang: Language = Language.EN) -> tuple[list[Observation], FileOutcome]:
    result = import_file(FIXTURES / name, now=NOW, lang=lang)
    (outcome,) = result.files
    return result.observations, outcome


def rows_by_name(observations: list[Observation]) -> dict[str, Observation]:
    return {o.data["name"]: o for o in observations if o.kind is ObservationKind.INVENTORY}


def test_glpi_computers_french() -> None:
    observations, outcome = load("glpi-computers-fr.csv")
    assert (outcome.format, outcome.ok) == ("glpi", True)
    assert outcome.counts == {"rows": 6, "shared MAC": 2, "rejected": 1}
    assert outcome.problems == ["line 12: no MAC address in column Port réseau - Adresse MAC: "]
    rows = rows_by_name(observations)
    pc = rows["DESKTOP-7K3Q2ZD"]
    assert (pc.mac, pc.ip, pc.data["serial"]) == ("b0:4f:13:5c:99:01", "10.77.0.101", "8K3Q2Z3")
    assert pc.data["credentialed"] is True and pc.data["format"] == "glpi"
    assert pc.data["fields"]["Modèle"] == "OptiPlex 7010"
    assert pc.data["fields"]["Système d'exploitation - Nom"] == "Microsoft Windows 11 Professionnel"
    assert pc.time == datetime(2026, 11, 27, 17, 42, tzinfo=UTC)
    assert pc.data["updated"] == "2026-11-27T17:42:00Z"
    # Several MACs in one cell; the VPN adapter MAC on two machines names neither.
    laptop = rows["LAPTOP-4F8G2KQ"]
    assert laptop.data["macs"] == ["a4:c3:f0:2d:5e:01", "00:e0:4c:68:01:02"]
    assert laptop.data["shared_macs"] == ["00:ff:4a:1b:2c:3d"]
    server = rows["srv-app01"]
    assert server.data["macs"] == ["20:04:0f:6e:77:01", "20:04:0f:6e:77:02"]
    assert server.data["ips"] == ["10.77.0.40", "10.77.0.42"]
    assert server.data["serial"] == "7XK2M53"
    hostile = rows["=cmd|' /C calc'!A0 <b>gras</b>"]
    assert hostile.data["serial"] == "HX<i>1</i>"
    names = [o.data for o in observations if o.kind is ObservationKind.HOSTNAME]
    assert {"name": "Johns-MacBook-Pro", "origin": "import"} in names and len(names) == 6


def test_glpi_network_devices_english() -> None:
    observations, outcome = load("glpi-network-devices-en.csv")
    assert outcome.format == "glpi" and outcome.counts["rows"] == 4
    assert outcome.problems == ["line 6: no MAC address in column MAC address: not recorded"]
    rows = rows_by_name(observations)
    router = rows["BR-RTR01"]
    assert router.data["macs"] == ["70:10:5c:3a:11:01", "70:10:5c:3a:11:02", "70:10:5c:3a:11:03"]
    assert router.data["ips"] == ["10.77.0.1", "10.77.20.1", "203.0.113.1"]
    assert router.data["serial"] == "FDO2231M0CD"
    assert rows["FGT60FTK21090001"].data["serial"] == "FGT60FTK21090001"
    assert rows["SW-CORE01"].data["fields"]["Model"] == "C9200-24P"
    # A UniFi serial is the device's MAC: merge reads it as that MAC, so it adds no device.
    assert rows["U6-Pro-Lobby"].data["serial"] == "7483C24D4401"
    assert [d.macs for d in merge(observations) if "U6-Pro-Lobby" in d.hostnames] == [
        ["74:83:c2:4d:44:01"]
    ]


def test_ocs_export() -> None:
    observations, outcome = load("ocs-computers.csv")
    assert outcome.format == "ocs"
    assert outcome.problems == ["line 5: fewer fields than the header"]
    rows = rows_by_name(observations)
    assert set(rows) == {"DESKTOP-7K3Q2ZD", "app-vm02", "AGENCE-PC01"}
    branch = rows["AGENCE-PC01"]
    assert (branch.mac, branch.ip, branch.data["serial"]) == (
        "18:66:da:20:30:01",
        "10.77.20.50",
        "4HT7KQ3",
    )
    assert branch.data["fields"]["Account info: TAG"] == "AGENCE"
    assert branch.data["credentialed"] is True
    assert branch.time == datetime(2026, 11, 27, 19, 40, 10, tzinfo=UTC)


def test_french_problem_text() -> None:
    _, outcome = load("ocs-computers.csv", Language.FR)
    assert outcome.problems == ["ligne 5 : moins de champs que l'en-tête"]


def test_mac_notations_in_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "Nom;Numéro de série;Adresse MAC\n"
        '"SW-A";"S1";"4c71.0c5b.2201<br>4C-71-0C-5B-22-02 / 4c:71:0c:5b:22:03"\n'
        '"SW-B";"S2";"4c:71:0c:5b:22:04:ff"\n',
        encoding="utf-8",
    )
    result = import_file(path, now=NOW)
    (row,) = [o for o in result.observations if o.kind is ObservationKind.INVENTORY]
    assert row.data["macs"] == ["4c:71:0c:5b:22:01", "4c:71:0c:5b:22:02", "4c:71:0c:5b:22:03"]
    assert result.files[0].problems == [
        "line 3: no MAC address in column Adresse MAC: 4c:71:0c:5b:22:04:ff"
    ]


def test_windows_1252_export(tmp_path: Path) -> None:
    path = tmp_path / "glpi-excel.csv"
    text = (FIXTURES / "glpi-computers-fr.csv").read_text(encoding="utf-8-sig")
    path.write_bytes(text.encode("cp1252"))
    result = import_file(path, now=NOW)
    assert result.files[0].format == "glpi" and result.files[0].counts["rows"] == 6
    pc = rows_by_name(result.observations)["DESKTOP-7K3Q2ZD"]
    assert pc.data["fields"]["Entité"] == "Entité racine > Client Exemple"


def test_detection_needs_name_serial_and_mac() -> None:
    assert inventory.detect("Nom;Numéro de série;Adresse MAC\n") == "glpi"
    assert inventory.detect("NAME;SSN;MACADDR;LASTDATE\n") == "ocs"
    assert inventory.detect("Nom;Numéro de série;Lieu\n") is None
    assert inventory.detect("Name,Serial number,MAC address\n") == "glpi"


def test_merge_ties_glpi_ocs_and_leases_into_one_device_each() -> None:
    result = import_files(
        [
            FIXTURES / "glpi-computers-fr.csv",
            FIXTURES / "ocs-computers.csv",
            FIXTURES / "dhcpd.leases",
        ],
        now=NOW,
    )
    devices = merge(result.observations)
    pc = [d for d in devices if "b0:4f:13:5c:99:01" in d.macs]
    assert len(pc) == 1 and pc[0].hostnames == ["DESKTOP-7K3Q2ZD"]
    # The shared VPN MAC tied nothing: the two laptops stay apart and do not carry it.
    assert not [d for d in devices if "00:ff:4a:1b:2c:3d" in d.macs]
    laptop = next(d for d in devices if "a4:c3:f0:2d:5e:01" in d.macs)
    assert laptop.macs == ["00:e0:4c:68:01:02", "a4:c3:f0:2d:5e:01"]
    assert "a4:c3:f0:99:99:02" not in laptop.macs
    server = next(d for d in devices if "20:04:0f:6e:77:01" in d.macs)
    assert server.macs == ["20:04:0f:6e:77:01", "20:04:0f:6e:77:02"]
    assert len(devices) == 10


def test_scan_import_cli_writes_devices(tmp_path: Path) -> None:
    output = tmp_path / "snap.json"
    command = [sys.executable, "-m", "scopeaudit", "scan", "--no-store", "--lang", "en"]
    for name in ("glpi-network-devices-en.csv", "kea-leases4.csv", "windows-dhcp-leases.csv"):
        command += ["--import", str(FIXTURES / name)]
    command += ["--output", str(output)]
    env = {**os.environ, "LC_ALL": "C"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    snapshot = json.loads(output.read_text())
    devices = {tuple(d["macs"]): d for d in snapshot["devices"]}
    router = devices[("70:10:5c:3a:11:01", "70:10:5c:3a:11:02", "70:10:5c:3a:11:03")]
    assert router["hostnames"] == ["BR-RTR01"]
    ap = devices[("74:83:c2:4d:44:01",)]
    assert sorted(ap["hostnames"]) == ["U6-Pro-Lobby"] and ap["ips"] == ["10.77.0.20"]
    branch = devices[("18:66:da:20:30:01",)]
    assert branch["hostnames"] == ["AGENCE-PC01.siege.example.lan"]
    # Expired and declined leases are in the observations, not among the devices.
    assert ("a4:c3:f0:99:99:02",) not in devices
    assert any(
        o["kind"] == "inventory" and o["data"].get("active") is False and o["ip"] == "10.77.0.105"
        for o in snapshot["observations"]
    )
    hostile = devices[("f4:d4:88:6a:10:01",)]
    assert hostile["hostnames"] == ['=HYPERLINK("http://x";"<i>clic</i>")']
    serials = {
        o["data"]["serial"] for o in snapshot["observations"] if o["data"].get("credentialed")
    }
    assert "FDO2231M0CD" in serials
    (source,) = [s for s in snapshot["sources"] if s["name"] == "import"]
    assert source["ok"] is True and source["detail"] == {"files": 3, "failed": 0}
    assert len(devices) == 13

"""``scopeaudit doctor`` through a real process in a scanner namespace: the interface facing each
declared network, the routed one no interface faces, and the missing privilege as nobody."""

from __future__ import annotations

import os
from collections.abc import Iterator
from ipaddress import IPv4Address, IPv4Network

import pytest
from netlab import PYTHON, REPO, FlatLab

from scopeaudit.doctor import Level, clock_synchronised, run_checks
from scopeaudit.scope import Scope

DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"


def test_checks_without_a_contract_cover_every_topic() -> None:
    codes = [check.code for check in run_checks(None)]
    assert codes[0] in {"privileges_ok", "privileges_missing"}
    assert any(code in {"nmap", "nmap_missing"} for code in codes)
    assert any(code in {"oui", "oui_stale"} for code in codes)
    assert codes[-1] in {"clock_ok", "clock_unsync"}
    assert clock_synchronised() in {True, False, None}


def test_a_network_no_interface_faces_is_a_warning() -> None:
    scope = Scope.from_cidrs(["10.250.0.0/24"])
    (check,) = [c for c in run_checks(scope) if c.params.get("cidr") == "10.250.0.0/24"]
    assert check.code == "not_facing" and check.level is Level.WARNING


@pytest.fixture(scope="module")
def office_segment() -> Iterator[FlatLab]:
    net = IPv4Network("10.77.0.0/24")
    with FlatLab(net, [IPv4Address("10.77.0.1")], IPv4Address("10.77.0.200")) as lab:
        yield lab


def _doctor(lab: FlatLab, *args: str, user: int | None = None) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "LANG": "C"}
    command = [PYTHON, "-m", "scopeaudit", "doctor", *args]
    if user is not None:
        site = next((REPO / ".venv" / "lib").glob("python3*/site-packages"))
        env["PYTHONPATH"] = f"{REPO / 'src'}:{site}"
        command = [
            "setpriv",
            f"--reuid={user}",
            f"--regid={user}",
            "--clear-groups",
            "--inh-caps=-all",
            "/usr/bin/python3",
            "-m",
            "scopeaudit",
            "doctor",
            *args,
        ]
    done = lab.run(command, env=env, cwd="/")
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


@pytest.mark.root
def test_doctor_names_the_interface_facing_each_network(office_segment: FlatLab) -> None:
    code, out = _doctor(office_segment, "--contract", str(DEMO), "--lang", "en")
    assert code == 0, out
    lines = out.splitlines()
    assert "[ok  ] privileges: raw sockets allowed (uid 0)" in lines[0]
    assert "network 10.77.0.0/24 (site HQ): faced by eth0 (10.77.0.200): ARP sweep" in out
    assert "network 10.77.20.0/24 (site AGENCE): no interface faces it" in out
    assert "nmap:" in out and "MAC vendor data:" in out and "clock:" in out


@pytest.mark.root
def test_doctor_as_nobody_says_raw_sockets_are_missing(office_segment: FlatLab) -> None:
    code, out = _doctor(office_segment, "--lang", "fr", user=65534)
    assert code == 1, out
    assert out.startswith("[FAIL] privilèges : pas de sockets bruts (uid 65534, sans CAP_NET_RAW)")
    assert "interface eth0 : 10.77.0.200/24" in out

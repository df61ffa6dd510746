"""The ``snmp:`` configuration shared by agent.yaml and ``--snmp-config``: references only,
located errors, secrets hidden from repr, and the CLI's one-line errors that never echo a secret."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scopeaudit.agent_config import load_agent_config
from scopeaudit.errors import InputError, ValidationFailed
from scopeaudit.snmp_config import SecretRef, SnmpOptions, load_snmp_config

SECRET = "h20-cfg-secret-7Hq"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_full_shape_resolves_relative_files_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keys").mkdir()
    write(tmp_path / "keys" / "community", SECRET + "\n")
    write(tmp_path / "keys" / "auth", "auth-" + SECRET)
    monkeypatch.setenv("H20_PRIV", "priv-" + SECRET)
    config = load_snmp_config(
        write(
            tmp_path / "snmp.yaml",
            "communities:\n  - {file: keys/community}\n"
            "v3:\n  - user: audit-ro\n    auth_protocol: sha256\n"
            "    auth_key: {file: keys/auth}\n    priv_protocol: aes256\n"
            "    priv_key: {env: H20_PRIV}\n"
            "devices: [10.77.0.1, ' 10.77.0.2']\nbudget_s: 20\nmax_rows: 500\n",
        )
    )
    assert config.communities == [SecretRef(file=tmp_path / "keys" / "community")]
    options = config.resolve()
    assert options.communities == (SECRET,)
    (user,) = options.v3
    assert (user.user, user.auth_protocol, user.priv_protocol) == ("audit-ro", "sha256", "aes256")
    assert user.auth_key == "auth-" + SECRET and user.priv_key == "priv-" + SECRET
    assert options.devices == ("10.77.0.1", "10.77.0.2")
    assert (options.budget_s, options.max_rows, options.tables) == (20.0, 500, True)
    assert SECRET not in repr(options) and SECRET not in repr(config)
    assert set(options.secrets) == {SECRET, "auth-" + SECRET, "priv-" + SECRET}


def test_agent_section_can_be_copied_as_is(tmp_path: Path) -> None:
    write(tmp_path / "c", "x")
    config = load_snmp_config(write(tmp_path / "s.yaml", "snmp:\n  communities: [{file: c}]\n"))
    assert config.resolve().communities == ("x",)
    assert SnmpOptions().communities == ("public",)
    assert load_snmp_config(write(tmp_path / "e.yaml", "{}\n")).resolve().communities == ("public",)


def test_agent_yaml_uses_the_same_shape(tmp_path: Path) -> None:
    write(tmp_path / "contract.yaml", "format: 1\n")
    write(tmp_path / "community", SECRET)
    agent = load_agent_config(
        write(
            tmp_path / "agent.yaml",
            "format: 1\ncontract: contract.yaml\nsnmp:\n  communities: [{file: community}]\n"
            "  devices: [10.77.0.1]\n",
        )
    )
    assert agent.snmp.communities[0].ref.resolve() == SECRET  # agent.py's accessor still works
    assert agent.snmp.resolve().devices == ("10.77.0.1",)


def test_mistakes_are_located(tmp_path: Path) -> None:
    path = write(
        tmp_path / "bad.yaml",
        "communities:\n  - {file: a, env: B}\nv3:\n  - user: u\n    auth_key: {env: K}\n"
        "devices: [not-an-ip]\nretries: 9\ncommunity: oops\n",
    )
    with pytest.raises(ValidationFailed) as caught:
        load_snmp_config(path)
    lines = [str(p) for p in caught.value.problems]
    assert any(":2:" in line and "exactly one of file or env" in line for line in lines)
    assert any(":4:" in line and "authPriv needs priv_key" in line for line in lines)
    assert any("'not-an-ip' is not an IPv4 address" in line for line in lines)
    assert any("retries" in line for line in lines)
    assert any("community" in line and "unknown key" in line for line in lines)


def test_missing_secret_names_the_reference_never_a_value(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="H20_UNSET_VAR is not set"):
        SecretRef(env="H20_UNSET_VAR").resolve({})
    with pytest.raises(InputError, match="empty secret file"):
        SecretRef(file=write(tmp_path / "empty", "\n")).resolve()


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    write(tmp_path / "auth", SECRET)
    config = write(
        tmp_path / "snmp.yaml",
        "v3:\n  - {user: u, auth_key: {file: auth}, priv_key: {env: H20_NOT_SET_ANYWHERE}}\n",
    )
    base = [sys.executable, "-m", "scopeaudit", "scan", "--network", "10.99.0.0/24", "--dry-run"]
    done = subprocess.run(
        [*base, "--snmp-config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3
    assert "H20_NOT_SET_ANYWHERE is not set" in done.stderr
    assert "Traceback" not in done.stderr and SECRET not in done.stderr + done.stdout
    missing = subprocess.run(
        [*base, "--snmp-config", str(tmp_path / "nope.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 3 and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    fine = write(tmp_path / "ok.yaml", "communities: [{file: auth}]\n")
    planned = subprocess.run(
        [*base, "--snmp-config", str(fine)], capture_output=True, text=True, timeout=60
    )
    assert planned.returncode == 0, planned.stderr
    assert SECRET not in planned.stdout + planned.stderr

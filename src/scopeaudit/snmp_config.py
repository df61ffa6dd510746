"""SNMP credentials and limits, by reference: the ``snmp:`` shape shared by agent.yaml and
``scan``/``audit --snmp-config FILE``, the ``SecretRef`` type, and the resolved settings.

A secret is never written in a configuration file: only a reference, a file holding it or an
environment variable naming it, resolved at run time (DESIGN §4). Resolved secrets live in
``SnmpCredentials`` whose ``repr`` hides them, so a stray log line or traceback cannot show them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scopeaudit.errors import InputError
from scopeaudit.taxonomy import Language

AuthProtocol = Literal["sha", "sha256", "md5"]
PrivProtocol = Literal["aes", "aes256", "des"]
Level = Literal["authPriv", "authNoPriv"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecretRef(_Model):
    """A secret given by reference: a file holding it, or an environment variable."""

    file: Path | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _one(self) -> SecretRef:
        if (self.file is None) == (self.env is None):
            raise ValueError("give exactly one of file or env")
        return self

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        """The secret itself; a missing file or variable raises ``InputError`` (never the value)."""
        if self.file is not None:
            try:
                value = self.file.read_text(encoding="utf-8").strip()
            except OSError as error:
                raise InputError(f"{self.file}: {error.strerror}") from None
            if not value:
                raise InputError(f"{self.file}: empty secret file")
            return value
        env = os.environ if environ is None else environ
        name = self.env or ""
        value = env.get(name, "").strip()
        if not value:
            raise InputError(f"environment variable {name} is not set or empty")
        return value

    @property
    def ref(self) -> SecretRef:
        """Itself (agent.yaml's former ``Community`` type had this accessor)."""
        return self

    def relative_to(self, base: Path) -> SecretRef:
        """The same reference, a relative file made relative to ``base``."""
        if self.file is None or self.file.is_absolute():
            return self
        return SecretRef(file=base / self.file)


class V3UserConfig(_Model):
    """One SNMPv3 USM user; keys by reference only."""

    user: str = Field(min_length=1, max_length=32)
    level: Level = "authPriv"
    auth_protocol: AuthProtocol = "sha"
    auth_key: SecretRef
    priv_protocol: PrivProtocol = "aes"
    priv_key: SecretRef | None = None

    @model_validator(mode="after")
    def _priv(self) -> V3UserConfig:
        if self.level == "authPriv" and self.priv_key is None:
            raise ValueError("level authPriv needs priv_key")
        return self


class SnmpConfig(_Model):
    """The ``snmp:`` section: credentials by reference, extra devices to walk, limits."""

    communities: list[SecretRef] = Field(default_factory=list)
    v3: list[V3UserConfig] = Field(default_factory=list)
    devices: list[str] = Field(default_factory=list)
    tables: bool = True
    timeout_s: float = Field(default=1.0, gt=0, le=30)
    retries: int = Field(default=1, ge=0, le=5)
    budget_s: float = Field(default=60.0, gt=0, le=3600)
    max_rows: int = Field(default=20_000, ge=1, le=1_000_000)

    @field_validator("devices")
    @classmethod
    def _ipv4(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for item in value:
            try:
                out.append(str(IPv4Address(item.strip())))
            except ValueError:
                raise ValueError(f"{item!r} is not an IPv4 address") from None
        return out

    def relative_to(self, base: Path) -> SnmpConfig:
        """Every relative secret file made relative to ``base`` (the configuration's folder)."""
        users = [
            user.model_copy(
                update={
                    "auth_key": user.auth_key.relative_to(base),
                    "priv_key": user.priv_key.relative_to(base) if user.priv_key else None,
                }
            )
            for user in self.v3
        ]
        return self.model_copy(
            update={"communities": [c.relative_to(base) for c in self.communities], "v3": users}
        )

    def resolve(self, environ: Mapping[str, str] | None = None) -> SnmpOptions:
        """The secrets read now (``InputError`` naming the reference, never the value).

        No community and no v3 user means the documented default, ``public``."""
        communities = tuple(c.resolve(environ) for c in self.communities)
        if not communities and not self.v3:
            communities = ("public",)
        return SnmpOptions(
            communities=communities,
            v3=tuple(
                V3Credential(
                    user=u.user,
                    level=u.level,
                    auth_protocol=u.auth_protocol,
                    auth_key=u.auth_key.resolve(environ),
                    priv_protocol=u.priv_protocol,
                    priv_key=u.priv_key.resolve(environ) if u.priv_key else None,
                )
                for u in self.v3
            ),
            devices=tuple(self.devices),
            tables=self.tables,
            timeout_s=self.timeout_s,
            retries=self.retries,
            budget_s=self.budget_s,
            max_rows=self.max_rows,
        )


@dataclass(frozen=True)
class V3Credential:
    """A resolved SNMPv3 user; the keys never show in ``repr``."""

    user: str
    level: Level = "authPriv"
    auth_protocol: AuthProtocol = "sha"
    auth_key: str = field(default="", repr=False)
    priv_protocol: PrivProtocol = "aes"
    priv_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SnmpOptions:
    """Resolved SNMP settings of one scan: secrets (hidden from ``repr``), devices, limits."""

    communities: tuple[str, ...] = field(default=("public",), repr=False)
    v3: tuple[V3Credential, ...] = ()
    devices: tuple[str, ...] = ()
    tables: bool = True
    timeout_s: float = 1.0
    retries: int = 1
    budget_s: float = 60.0
    max_rows: int = 20_000

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for tests and scrubbing."""
        keys = [k for u in self.v3 for k in (u.auth_key, u.priv_key) if k]
        return (*self.communities, *keys)


class _Wrapped(_Model):
    snmp: SnmpConfig


def load_snmp_config(path: Path, lang: Language = Language.EN) -> SnmpConfig:
    """``--snmp-config FILE``: a YAML file whose top level is the ``snmp:`` section itself, or
    holds it under an ``snmp:`` key (agent.yaml's section copied as is). Problems raise
    ``ValidationFailed``, one located line each."""
    from scopeaudit.classify.yamlfile import read_tree, validate

    tree = read_tree(path, lang)
    if isinstance(tree.value, dict) and set(tree.value) == {"snmp"}:
        config = validate(_Wrapped, tree, path).snmp
    else:
        config = validate(SnmpConfig, tree, path)
    return config.relative_to(path.resolve().parent)

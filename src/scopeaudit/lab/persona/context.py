"""Per-process persona state shared by the services: tokens, current MACs, canary counts, errors."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from scopeaudit.lab.persona.hostile import as_bytes, expand
from scopeaudit.lab.persona.spec import Interface, Spec


def read_mac(interface: str, fallback: str) -> str:
    """The interface's current MAC from sysfs (the lab may have changed it), else ``fallback``."""
    try:
        return Path(f"/sys/class/net/{interface}/address").read_text().strip().lower()
    except OSError:
        return fallback.lower()


@dataclass
class Canary:
    frames_from_scanner: int = 0
    arp_requests_from_scanner: int = 0
    print_port_bytes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "frames_from_scanner": self.frames_from_scanner,
            "arp_requests_from_scanner": self.arp_requests_from_scanner,
            "print_port_bytes": dict(self.print_port_bytes),
        }


@dataclass
class Context:
    spec: Spec
    macs: dict[str, str] = field(default_factory=dict)  # interface name -> current MAC
    canary: Canary = field(default_factory=Canary)
    services: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    emitted: dict[str, int] = field(default_factory=dict)  # emission name -> count sent
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        self.refresh_macs()

    def refresh_macs(self) -> None:
        self.macs = {i.name: read_mac(i.name, i.mac) for i in self.spec.interfaces}

    @property
    def first(self) -> Interface:
        return self.spec.interfaces[0]

    def mac_of(self, interface: Interface) -> str:
        return self.macs.get(interface.name, interface.mac.lower())

    @property
    def ips(self) -> list[str]:
        return [i.address for i in self.spec.interfaces]

    def render(self, text: str) -> str:
        """``text`` with the static tokens replaced (see ``spec.py``)."""
        if "{{" not in text:
            return text
        mac = self.mac_of(self.first)
        for token, value in (
            ("{{ip}}", self.first.address),
            ("{{mac}}", mac),
            ("{{MAC}}", mac.upper()),
            ("{{mac_hex}}", mac.replace(":", "")),
            ("{{MAC_HEX}}", mac.replace(":", "").upper()),
            ("{{id}}", self.spec.id),
        ):
            text = text.replace(token, value)
        return expand(text)

    def render_bytes(self, text: str) -> bytes:
        return as_bytes(self.render(text))

    @property
    def run_dir_path(self) -> Path:
        return Path(self.spec.run_dir)

    def kind_path(self, relative: str) -> Path:
        return Path(self.spec.kind_dir) / relative

    def fail(self, service: str, error: BaseException | str) -> None:
        """A service that cannot run is recorded, not fatal: the others keep going."""
        self.errors.append({"service": service, "error": str(error)})

    def count_emission(self, name: str) -> None:
        self.emitted[name] = self.emitted.get(name, 0) + 1

    def state(self, pid: int) -> dict[str, object]:
        return {
            "pid": pid,
            "id": self.spec.id,
            "services": list(self.services),
            "errors": list(self.errors),
            "macs": dict(self.macs),
            "emitted": dict(self.emitted),
            "canary": self.canary.as_dict(),
            "started_at": self.started_at,
            "updated_at": time.time(),
        }

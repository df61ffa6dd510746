"""Linking management controllers (iDRAC, iLO, IPMI BMCs) to the server they belong to.

A controller is part of its server, never billed alone: it keeps ``role: bmc`` and gets the
server's id as ``parent_id``. Matching, strongest first: the service tag or serial in the
controller's name (``idrac-7XK2M53``) equals a serial the server exposes (SNMP, mDNS, SSDP); the
controller's name is the server's name with a controller prefix or suffix; or the server is the
only physical server of the controller's vendor in the snapshot (said so in the reason).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from scopeaudit.classify import messages
from scopeaudit.classify.evidence import Evidence, Signal
from scopeaudit.models import Device
from scopeaudit.taxonomy import Category, FormFactor, Language, Role

_AFFIX = re.compile(
    r"^(?:idrac|ilo|imm|xcc|ipmi|bmc|ipmi)[-_]?|[-_](?:idrac|ilo|ipmi|bmc|mgmt)$", re.I
)
_CN_TAG = re.compile(r"CN=(?:idrac|ilo)[-_]?([A-Za-z0-9]{5,})", re.I)
_SERIAL_KEYS = re.compile(
    r"serial|service.?tag|\.674\.10892\.5\.1\.3\.2|\.47\.1\.1\.1\.1\.11", re.I
)
_HOSTS = (Category.SERVER, Category.HYPERVISOR)


def _tags(device: Device, evidence: Sequence[Evidence]) -> set[str]:
    found: set[str] = set()
    names = list(device.hostnames) + [str(e.value) for e in evidence if e.signal == Signal.HOSTNAME]
    for name in names:
        stripped = _AFFIX.sub("", name.split(".")[0])
        if stripped and stripped.lower() != name.split(".")[0].lower():
            found.add(stripped.lower())
    for item in evidence:
        if item.signal == Signal.TLS_SUBJECT:
            match = _CN_TAG.search(str(item.value))
            if match:
                found.add(match.group(1).lower())
    return found


def _serials(evidence: Sequence[Evidence]) -> set[str]:
    return {
        str(e.value).strip().lower()
        for e in evidence
        if e.key and _SERIAL_KEYS.search(e.key) and isinstance(e.value, str)
    }


def _names(device: Device, evidence: Sequence[Evidence]) -> set[str]:
    names = {n.split(".")[0].lower() for n in device.hostnames}
    names |= {str(e.value).split(".")[0].lower() for e in evidence if e.signal == Signal.HOSTNAME}
    return names


@dataclass
class _Index:
    """Who exposes which serial and which name, built once for all controllers."""

    serials: dict[str, list[Device]] = field(default_factory=dict)
    names: dict[str, list[Device]] = field(default_factory=dict)
    by_vendor: dict[str, list[Device]] = field(default_factory=dict)

    @classmethod
    def of(cls, devices: Sequence[Device], evidence: Mapping[str, Sequence[Evidence]]) -> _Index:
        index = cls()
        for device in devices:
            if device.role == Role.BMC:
                continue
            found = evidence.get(device.id, ())
            for serial in _serials(found):
                index.serials.setdefault(serial, []).append(device)
            for name in _names(device, found):
                index.names.setdefault(name, []).append(device)
            if device.category in _HOSTS and not device.virtual and device.vendor:
                index.by_vendor.setdefault(device.vendor, []).append(device)
        return index


def _parent(
    bmc: Device, index: _Index, evidence: Mapping[str, Sequence[Evidence]]
) -> tuple[Device, str, str] | None:
    tags = sorted(_tags(bmc, evidence.get(bmc.id, ())))
    for table, how in ((index.serials, "serial"), (index.names, "name")):
        for tag in tags:
            hosts = [d for d in table.get(tag, []) if d.id != bmc.id]
            if hosts:
                return hosts[0], how, tag
    same_vendor = index.by_vendor.get(bmc.vendor or "", []) if bmc.vendor else []
    if len(same_vendor) == 1:
        return same_vendor[0], "only_candidate", bmc.vendor or ""
    return None


def link_controllers(
    devices: Sequence[Device],
    evidence: Mapping[str, Sequence[Evidence]],
    lang: Language = Language.EN,
) -> list[Device]:
    """Devices with each controller's ``parent_id`` set when its server is found."""
    out: list[Device] = []
    parents: dict[str, Device] = {}
    index: _Index | None = None
    for device in devices:
        if device.role != Role.BMC or device.parent_id:
            if device.role == Role.BMC and device.parent_id:
                parents[device.parent_id] = device
            out.append(device)
            continue
        index = index or _Index.of(devices, evidence)
        found = _parent(device, index, evidence)
        if found is None:
            out.append(device)
            continue
        host, how, value = found
        params = {"parent": host.hostnames[0] if host.hostnames else host.id, "how": how}
        note = messages.reason("classify.bmc_parent", {**params, "value": value}, lang)
        out.append(
            device.model_copy(update={"parent_id": host.id, "reasons": [*device.reasons, note]})
        )
        parents[host.id] = host
    # A physical server with a management controller is rack (or tower) hardware.
    return [
        d.model_copy(update={"form_factor": FormFactor.RACK})
        if d.id in parents and d.form_factor is None and not d.virtual
        else d
        for d in out
    ]

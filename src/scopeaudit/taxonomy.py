"""Closed sets shared by the contract, the sources, the classifier and the reports.

Each is an enum; code that maps them (labels, prices, renderers) must cover every member, and
tests prove it.
"""

from __future__ import annotations

from enum import StrEnum


class Category(StrEnum):
    """Device categories: the contract's taxonomy and the classifier's output (DESIGN §4)."""

    COMPUTER = "computer"
    TABLET = "tablet"
    PHONE = "phone"
    SERVER = "server"
    HYPERVISOR = "hypervisor"
    ROUTER = "router"
    FIREWALL = "firewall"
    SWITCH = "switch"
    ACCESS_POINT = "access_point"
    PRINTER = "printer"
    NAS = "nas"
    IP_PHONE = "ip_phone"
    CAMERA = "camera"
    IOT = "iot"
    UNKNOWN = "unknown"


class FormFactor(StrEnum):
    """Physical shape of a device, when the evidence tells it."""

    DESKTOP = "desktop"
    LAPTOP = "laptop"
    TABLET = "tablet"
    PHONE = "phone"
    RACK = "rack"
    EMBEDDED = "embedded"
    VIRTUAL = "virtual"


class Role(StrEnum):
    """A device's role when it is part of another one (never billed alone)."""

    BMC = "bmc"


class Source(StrEnum):
    """Discovery sources: used alike by ``--sources``, the JSON and the coverage map (DESIGN §2)."""

    ARP = "arp"
    NMAP = "nmap"
    PASSIVE = "passive"
    NAMES = "names"
    SNMP = "snmp"
    HOST = "host"
    IMPORT = "import"


class Status(StrEnum):
    """Reconciliation statuses of a finding (DESIGN §6)."""

    MATCHED = "matched"
    MISMATCH = "mismatch"
    MISSING = "missing"
    NOT_VERIFIABLE = "not_verifiable"
    UNEXPECTED = "unexpected"
    TOLERATED = "tolerated"
    AMBIGUOUS = "ambiguous"


class Language(StrEnum):
    """Languages of everything a user reads."""

    FR = "fr"
    EN = "en"

"""Explainable classification: a device's observations → category, confidence and reasons.

- ``evidence``: the facts rules can match, extracted from observations (docs/observations.md).
- ``rules``: the rules as data (shipped YAML in ``scopeaudit/rules/``, user files on top).
- ``engine``: votes combined into a category, a confidence and attributes.
- ``device``: the Device fields, reasons, technician pins; ``classify_devices`` is the entry point.
- ``bmc``: management controllers linked to their servers.
- ``explain``: what ``scopeaudit explain`` shows.
"""

from __future__ import annotations

from scopeaudit.classify.device import Pin, classify_device, classify_devices
from scopeaudit.classify.engine import Outcome, decide
from scopeaudit.classify.evidence import Evidence, Signal
from scopeaudit.classify.rules import RuleSet, load_ruleset

__all__ = [
    "Evidence",
    "Outcome",
    "Pin",
    "RuleSet",
    "Signal",
    "classify_device",
    "classify_devices",
    "decide",
    "load_ruleset",
]

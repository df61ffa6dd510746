"""The contract (format 1): models, loading with positions, clause check, summary and fees.

Later parts use ``load_contract``, the models (``Contract``, ``EquipmentItem``, ``Policy``,
``Network``), ``unit_prices`` (fees per category, Decimal), ``contract_sha256`` and
``allowed_networks`` (the contract's networks minus its exclusions).
"""

from __future__ import annotations

from scopeaudit.contract.check import allowed_networks, fees, missing_clauses, unit_prices, warnings
from scopeaudit.contract.loader import LoadedContract, contract_sha256, load_contract, read_contract
from scopeaudit.contract.models import (
    Contract,
    Criticality,
    EquipmentItem,
    Exclusion,
    Network,
    Period,
    Policy,
    PolicyMatch,
    Treatment,
)

__all__ = [
    "Contract",
    "Criticality",
    "EquipmentItem",
    "Exclusion",
    "LoadedContract",
    "Network",
    "Period",
    "Policy",
    "PolicyMatch",
    "Treatment",
    "allowed_networks",
    "contract_sha256",
    "fees",
    "load_contract",
    "missing_clauses",
    "read_contract",
    "unit_prices",
    "warnings",
]

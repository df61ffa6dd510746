"""Reconciliation: the contract's declared perimeter against the devices found (pure).

``reconcile`` takes a contract, devices (+ the coverage map, decisions and presence history)
and returns findings and their summary; it does no I/O. Order of the rules (issue 6, DESIGN §4,
§6): declared equipment is matched first, by identifier strength, one level at a time (serial,
then MAC, then host name, then IP); what is left goes through decisions, then the contract's
policies (first match wins, ``limit`` honoured), and the rest is ``unexpected``. Declared items
left unseen are ``missing``, or ``not_verifiable`` when no method reached their network.
"""

from __future__ import annotations

import contextlib
import fnmatch
import functools
import gc
import socket
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import Enum
from ipaddress import IPv4Address, IPv4Network
from typing import Any, TypeVar

from pydantic import BaseModel

from scopeaudit.audit_models import (
    Candidate,
    CategorySummary,
    Coverage,
    DeclaredItem,
    Finding,
    SiteSummary,
    Summary,
    money,
)
from scopeaudit.contract import Contract, EquipmentItem, Policy, Treatment, fees, unit_prices
from scopeaudit.contract.messages import CATEGORIES, LABELS
from scopeaudit.contract.models import Criticality, format_duration
from scopeaudit.decisions import Action, DecisionsFile
from scopeaudit.i18n import Catalog, render
from scopeaudit.merge import Weight, identity_keys, normalize_name
from scopeaudit.models import Device, Observation, ObservationKind, Reason
from scopeaudit.oui import is_randomized
from scopeaudit.taxonomy import Category, Language, Role, Source, Status

# Identifier levels, strongest first (issue 6: serial > MAC > host name > IP).
LEVELS = ("serial", "mac", "hostname", "ip")

# Statuses whose findings count as drift (DESIGN §6); missing only when not provisional.
DRIFT_STATUSES = frozenset({Status.MISMATCH, Status.MISSING, Status.UNEXPECTED, Status.AMBIGUOUS})

# Unseen runs/days before a declared item is definitively missing (issue 6 defaults).
_ONE_RUN = (1, None)
DEFAULT_PRESENCE: dict[Category, tuple[int, int | None]] = {
    Category.COMPUTER: (3, 14),
    Category.TABLET: (5, 30),
    Category.PHONE: (5, 30),
    Category.SERVER: _ONE_RUN,
    Category.HYPERVISOR: _ONE_RUN,
    Category.ROUTER: _ONE_RUN,
    Category.FIREWALL: _ONE_RUN,
    Category.SWITCH: _ONE_RUN,
    Category.ACCESS_POINT: _ONE_RUN,
    Category.PRINTER: _ONE_RUN,
    Category.NAS: _ONE_RUN,
    Category.IP_PHONE: _ONE_RUN,
    Category.CAMERA: _ONE_RUN,
    Category.IOT: _ONE_RUN,
    Category.UNKNOWN: _ONE_RUN,
}

# Methods that reach a network just by the scanner having an interface in it (DESIGN §6).
_ONLINK_METHODS = (Source.ARP, Source.PASSIVE)
# Methods that reach a network when they got at least one reply from it.
_REPLY_METHODS = (Source.NMAP, Source.NAMES, Source.SNMP, Source.IMPORT)

DETAILS: Catalog = {
    "matched_by": {
        Language.EN: "matched by {identifier} {value}",
        Language.FR: "rapproché par {identifier} {value}",
    },
    "ip_changed": {
        Language.EN: "IP changed: declared {declared}, seen {observed}",
        Language.FR: "IP changée : déclarée {declared}, vue {observed}",
    },
    "hostname_changed": {
        Language.EN: "host name changed: declared {declared}, seen {observed}",
        Language.FR: "nom d'hôte changé : déclaré {declared}, vu {observed}",
    },
    "extra_nic": {
        Language.EN: "second interface of the same item: device {device_id}",
        Language.FR: "seconde interface du même équipement : appareil {device_id}",
    },
    "bmc": {
        Language.EN: "management controller {device_id} is part of this server (not billed)",
        Language.FR: "contrôleur de gestion {device_id} rattaché à ce serveur (non facturé)",
    },
    "category_differs": {
        Language.EN: "declared as {declared}, seen as {observed}",
        Language.FR: "déclaré comme {declared}, vu comme {observed}",
    },
    "category_unconfirmed": {
        Language.EN: "category not confirmed: the device could not be classified",
        Language.FR: "catégorie non confirmée : l'appareil n'a pas pu être classé",
    },
    "site_differs": {
        Language.EN: "declared at site {declared}, seen at site {observed}",
        Language.FR: "déclaré sur le site {declared}, vu sur le site {observed}",
    },
    "unpriced": {
        Language.EN: "no unit price for {category} in the contract: amount unknown",
        Language.FR: "pas de prix unitaire pour {category} au contrat : montant inconnu",
    },
    "not_seen": {
        Language.EN: "not seen by any method that reached its network",
        Language.FR: "vu par aucune méthode ayant atteint son réseau",
    },
    "recheck": {
        Language.EN: "re-checked before reporting: {what}, no answer",
        Language.FR: "revérifié avant signalement : {what}, aucune réponse",
    },
    "provisional": {
        Language.EN: "provisional: unseen for {runs} run(s); missing after {needed}",
        Language.FR: "provisoire : absent depuis {runs} passage(s) ; manquant après {needed}",
    },
    "intervention_delay": {
        Language.EN: "{criticality} item: contractual intervention delay {delay}",
        Language.FR: "équipement {criticality} : délai d'intervention contractuel {delay}",
    },
    "not_reached": {
        Language.EN: "no method that ran reached {networks}: absence cannot be asserted",
        Language.FR: "aucune méthode n'a atteint {networks} : l'absence ne peut être affirmée",
    },
    "excluded_range": {
        Language.EN: "its IP is in the excluded range {cidr}: it is never probed",
        Language.FR: "son IP est dans la plage exclue {cidr} : elle n'est jamais sondée",
    },
    "ambiguous_devices": {
        Language.EN: "{count} devices fit this item by {identifier}",
        Language.FR: "{count} appareils correspondent à cet équipement par {identifier}",
    },
    "ambiguous_items": {
        Language.EN: "this device fits {count} declared items by {identifier}",
        Language.FR: "cet appareil correspond à {count} équipements déclarés par {identifier}",
    },
    "policy": {
        Language.EN: "policy {policy}: {treatment}",
        Language.FR: "règle {policy} : {treatment}",
    },
    "policy_limit": {
        Language.EN: "policy {policy} covers at most {limit} devices: this one is beyond",
        Language.FR: "la règle {policy} couvre au plus {limit} appareils : celui-ci est au-delà",
    },
    "decision": {
        Language.EN: "decision {action} by {author} on {date}: {reason}",
        Language.FR: "décision {action} par {author} le {date} : {reason}",
    },
    "not_declared": {
        Language.EN: "not declared in the contract",
        Language.FR: "non déclaré au contrat",
    },
}


@dataclass(frozen=True)
class Presence:
    """How long a declared item has been unseen, this run included (history, issue 7)."""

    runs: int = 1
    days: float = 0.0


@dataclass
class Reconciliation:
    """What ``reconcile`` returns: the findings, the summary and the devices (policy set)."""

    findings: list[Finding]
    summary: Summary
    devices: list[Device]


@dataclass
class _State:
    """Who has been paired with whom so far."""

    # item id -> (its devices, the identifier kind and the value that paired them)
    pairs: dict[str, tuple[list[Device], str, str]] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # device ids used
    ambiguous: list[Finding] = field(default_factory=list)
    blocked_items: set[str] = field(default_factory=set)
    free: list[Device] = field(default_factory=list)  # devices left over, in device order


_M = TypeVar("_M", bound=BaseModel)
# How _trusted builds a model: every field's default in declaration order (required ones hold
# _REQUIRED), the required names, and the (name, factory) of fields with a default factory.
_Spec = tuple[dict[str, Any], frozenset[str], tuple[tuple[str, Any], ...]] | None
_REQUIRED = object()
_IMMUTABLE = (type(None), bool, int, float, str, Decimal, Enum)
_aton, _ntoa, _int_of = socket.inet_aton, socket.inet_ntoa, int.from_bytes
_new_object = object.__new__


@functools.cache
def _spec(cls: type[BaseModel]) -> _Spec:
    """How ``_trusted`` fills the defaults of ``cls``; None when the model has a feature
    (alias, private attributes, post-init, extra fields, data-dependent or mutable default)
    that only ``model_construct`` handles."""
    if cls.__pydantic_root_model__ or cls.__pydantic_post_init__:
        return None
    if cls.model_config.get("extra") == "allow":
        return None
    template: dict[str, Any] = {}
    required: list[str] = []
    factories: list[tuple[str, Any]] = []
    for name, info in cls.model_fields.items():
        if info.alias not in (None, name) or info.validation_alias not in (None, name):
            return None
        if info.default_factory is not None:
            if info.default_factory_takes_validated_data:
                return None
            template[name] = _REQUIRED
            factories.append((name, info.default_factory))
        elif info.is_required():
            template[name] = _REQUIRED
            required.append(name)
        elif isinstance(info.default, _IMMUTABLE):
            template[name] = info.default
        else:
            return None
    return template, frozenset(required), tuple(factories)


def _trusted(cls: type[_M], **values: Any) -> _M:
    """``cls.model_construct(**values)`` for values already valid, without its per-call cost.

    DESIGN §9 (100,000 findings under 2 s): validating each Finding, Reason and DeclaredItem
    dominated ``reconcile``, and ``model_construct`` itself inspects the signature of every
    default factory on each call in pydantic 2.14. Every value given here comes from validated
    models or from this module; validation stays at the boundaries (loading files).
    """
    spec = _spec(cls)
    if spec is None:
        return cls.model_construct(**values)
    template, required, factories = spec
    if not required <= values.keys():
        return cls.model_construct(**values)
    data = template.copy()  # declaration order, as model_construct leaves it
    data.update(values)
    for name, factory in factories:
        if name not in values:
            data[name] = factory()
    return _made(cls, data, set(values))


def _slot_setter(name: str) -> Callable[[Any, Any], None]:
    """The setter of one of BaseModel's slots, called directly: cheaper than
    ``object.__setattr__``, which looks the name up again on every call (DESIGN §9)."""
    descriptor = BaseModel.__dict__.get(name)
    setter = getattr(descriptor, "__set__", None)
    if setter is None:  # another pydantic layout: the generic way still works
        return functools.partial(_set_slot, name=name)  # pragma: no cover
    return setter  # type: ignore[no-any-return]


def _set_slot(model: Any, value: Any, name: str) -> None:
    object.__setattr__(model, name, value)


_set_dict = _slot_setter("__dict__")
_set_fields = _slot_setter("__pydantic_fields_set__")
_set_extra = _slot_setter("__pydantic_extra__")
_set_private = _slot_setter("__pydantic_private__")


def _made(cls: type[_M], data: dict[str, Any], fields_set: set[str]) -> _M:
    """A model of ``cls`` holding ``data`` (every field, in declaration order) as is.

    Exactly the attributes ``model_construct`` sets for a model without extras or private
    attributes; the hot paths of ``reconcile`` call it with a dictionary they wrote out whole,
    which costs a fraction of ``_trusted``'s generic filling (DESIGN §9).
    """
    model = _new_object(cls)
    _set_dict(model, data)
    _set_fields(model, fields_set)
    _set_extra(model, None)
    _set_private(model, None)
    return model


# Parameters that hold a closed-set code: the text shows its label, params keep the code.
_CATEGORY_PARAMS = {"category_differs": ("declared", "observed"), "unpriced": ("category",)}


def detail_text(code: str, params: Mapping[str, object], lang: Language) -> str:
    """The text of a detail in ``lang`` (category codes shown by their translated label)."""
    if code not in _CATEGORY_PARAMS and code != "policy":
        return render(DETAILS, code, params, lang)
    shown = dict(params)
    for name in _CATEGORY_PARAMS.get(code, ()):
        value = shown.get(name)
        if isinstance(value, str) and value in CATEGORIES:
            shown[name] = CATEGORIES[value][lang]
    if code == "policy" and isinstance(shown.get("treatment"), str):
        shown["treatment"] = LABELS.get(f"treatment.{shown['treatment']}", {}).get(
            lang, str(shown["treatment"])
        )
    return render(DETAILS, code, shown, lang)


def detail(code: str, lang: Language, **params: str | int | float | bool | None) -> Reason:
    """A finding detail in ``lang``.

    Built without validation: code, scalar params and text are valid by construction, and a
    validated ``Reason`` per finding was a large share of ``reconcile`` at 100,000 items (§9).
    """
    text = detail_text(code, params, lang) if params else _plain_text(code, lang)
    return _made(Reason, {"code": code, "params": params, "text": text}, _REASON_FIELDS)


@functools.lru_cache(maxsize=256)
def _plain_text(code: str, lang: Language) -> str:
    # A detail without parameters renders the same text every time ("not_seen", "not_declared").
    return detail_text(code, {}, lang)


@functools.lru_cache(maxsize=1 << 18)
def _normal(name: str) -> str:
    return normalize_name(name)


def _short(name: str) -> str:
    return _normal(name).split(".", 1)[0]


def _names(values: Iterable[str]) -> set[str]:
    """Comparison forms of host names: each normalized, and its first label."""
    out: set[str] = set()
    for value in values:
        if value.strip():
            full = _normal(value)
            out.add(full)
            out.add(full.split(".", 1)[0])
    return out


def device_serials(
    devices: Sequence[Device], observations: Sequence[Observation]
) -> dict[str, set[str]]:
    """Serial numbers each device announced (SSDP, LLDP-MED, mDNS TXT), by device id."""
    out: dict[str, set[str]] = {}
    for device in devices:
        found: set[str] = set()
        for index in device.evidence:
            if 0 <= index < len(observations):
                found.update(
                    value
                    for weight, value in identity_keys(observations[index])
                    if weight is Weight.SERIAL
                )
        if found:
            out[device.id] = found
    return out


def _fits(
    item: EquipmentItem, device: Device, level: str, serials: Mapping[str, set[str]]
) -> str | None:
    """The identifier value by which ``device`` fits ``item`` at ``level``, or None."""
    if level == "serial" and item.serial:
        return item.serial if item.serial.strip() in serials.get(device.id, set()) else None
    if level == "mac":
        for mac in item.mac:
            if mac in device.macs:
                return mac
        return None
    if level == "hostname" and item.hostname:
        wanted = _normal(item.hostname)
        seen = _names(device.hostnames)
        if wanted in seen or _short(item.hostname) in seen:
            return item.hostname
        return None
    if level == "ip" and item.ip is not None:
        return _ip_text(item.ip) if _ip_text(item.ip) in device.ips else None
    return None


def _contradicts(item: EquipmentItem, device: Device, serials: Mapping[str, set[str]]) -> bool:
    """A weaker identifier must not pair an item with hardware its strong identifiers deny."""
    if item.serial and serials.get(device.id) and item.serial not in serials[device.id]:
        return True
    if not item.mac or set(item.mac) & set(device.macs):
        return False  # cheap tests first: most items paired by name or IP declare no MAC
    return any(not is_randomized(m) for m in device.macs)


def _table(
    level: str, devices: Sequence[Device], serials: Mapping[str, set[str]]
) -> dict[str, list[Device]]:
    """The (free) ``devices`` by identifier value at ``level``, in order.

    Built level by level over what is still free: matching then costs a lookup per item, not a
    scan of every device, and a weaker level indexes only the devices stronger ones left
    (DESIGN §9: 100,000 declared against 100,000 seen). A value a device repeats lists it
    twice; ``_found`` keeps one entry per device id.
    """
    table: dict[str, list[Device]] = {}
    get = table.get
    if level == "serial" and not serials:
        return table
    for device in devices:
        if level == "mac":
            values: Iterable[str] = device.macs
        elif level == "ip":
            values = device.ips
        elif level == "hostname":
            if not device.hostnames:
                continue
            values = _names(device.hostnames)
        else:
            values = serials.get(device.id, ())
        for value in values:
            listed = get(value)
            if listed is None:
                table[value] = [device]
            else:
                listed.append(device)
    return table


def _found(
    item: EquipmentItem,
    level: str,
    keys: Sequence[str],
    table: Mapping[str, list[Device]],
    every: Sequence[Device],
    order: dict[str, int],
    serials: Mapping[str, set[str]],
) -> list[tuple[Device, str]]:
    """The free devices fitting ``item`` at ``level`` through several keys or several
    devices, in device order (``order``: position in ``every``, filled when first needed),
    each with the identifier value by which it fits."""
    merged = {d.id: d for key in keys for d in table.get(key, ())}
    devices = list(merged.values())
    if len(devices) > 1:
        if not order:
            order.update((d.id, n) for n, d in enumerate(every))
        devices.sort(key=lambda d: order[d.id])
    out: list[tuple[Device, str]] = []
    for device in devices:
        # The table only holds devices sharing a looked-up value, so only a MAC (which of the
        # item's MACs) or a serial needs checking; at the other levels the value is known.
        if level in ("mac", "serial"):
            value = _fits(item, device, level, serials)
        elif level == "hostname":
            value = item.hostname
        else:
            value = _ip_text(item.ip)
        if value is not None:
            out.append((device, value))
    return out


def _match_declared(
    items: Sequence[EquipmentItem],
    devices: Sequence[Device],
    serials: Mapping[str, set[str]],
    lang: Language,
) -> _State:
    """Pair items with devices, strongest identifier level first; conflicts are ambiguous."""
    state = _State()
    pairs, taken, blocked = state.pairs, state.taken, state.blocked_items
    order: dict[str, int] = {}  # device id -> position, filled when first needed
    # The items declaring each identifier kind, listed once rather than tested at every level.
    declaring: dict[str, list[EquipmentItem]] = {level: [] for level in LEVELS}
    by_serial, by_mac, by_name, by_ip = (declaring[level] for level in LEVELS)
    for item in items:
        fields = item.__dict__  # see _declared
        if fields["serial"]:
            by_serial.append(item)
        if fields["mac"]:
            by_mac.append(item)
        if fields["hostname"]:
            by_name.append(item)
        if fields["ip"]:
            by_ip.append(item)
    free = devices
    for level in LEVELS:
        todo = declaring[level]
        if pairs or blocked:
            todo = [i for i in todo if i.id not in pairs and i.id not in blocked]
        if not todo:
            continue
        if taken:  # the devices still free: each level scans what the stronger ones left
            free = [d for d in free if d.id not in taken]
        table = _table(level, free, serials)
        weak = level in ("hostname", "ip")
        # An item that fits one device is paired at once, and unpaired below if another item
        # of this level claims that device too; items fitting several devices wait in
        # ``several`` until the level's conflicts are known (the rules are those of issue 6).
        several: list[tuple[str, list[tuple[Device, str]]]] = []  # (item, [(device, value)])
        claimed: dict[str, str] = {}  # device id -> first item that proposed it
        shared: dict[str, list[str]] = {}  # device id -> every item, when more than one
        for item in todo:
            fields = item.__dict__  # see _declared
            if level == "mac":
                keys: Sequence[str] = fields["mac"]
            elif level == "hostname":
                full = _normal(fields["hostname"])
                short = full.split(".", 1)[0]
                keys = (full,) if full == short else (full, short)
            elif level == "ip":
                keys = (_ip_text(fields["ip"]),)
            else:
                keys = (fields["serial"].strip(),)
            hits = table.get(keys[0])
            if len(keys) == 2 and level == "hostname":  # a full name and its first label
                other = table.get(keys[1])
                if hits is None:
                    hits = other
                elif other is not None and not (
                    len(hits) == 1 and len(other) == 1 and hits[0] is other[0]
                ):
                    hits = []  # several devices: _found merges and orders them
            elif len(keys) > 1:
                hits = []  # several MACs: _found tells which one each device has
            if hits is None:
                continue
            if len(hits) == 1:  # the usual case: one device has that value
                if level == "mac" or level == "ip":
                    value: str | None = keys[0]
                elif level == "hostname":
                    value = fields["hostname"]
                else:
                    value = _fits(item, hits[0], level, serials)
                if value is None:
                    continue
                found = [(hits[0], value)]
            else:
                found = _found(item, level, keys, table, devices, order, serials)
            if weak and (fields["serial"] or fields["mac"]):
                found = [(d, v) for d, v in found if not _contradicts(item, d, serials)]
            if not found:
                continue
            item_id = fields["id"]
            if len(found) == 1:
                device, value = found[0]
                device_id = device.id
                first = claimed.setdefault(device_id, item_id)
                if first is item_id:  # item ids are unique: identity says "no other item"
                    pairs[item_id] = ([device], level, value)
                    taken.add(device_id)
                else:
                    shared.setdefault(device_id, [first]).append(item_id)
                continue
            several.append((item_id, found))
            for device, _ in found:
                first = claimed.setdefault(device.id, item_id)
                if first is not item_id:
                    shared.setdefault(device.id, [first]).append(item_id)
        # Devices several items fit, in the order they were first proposed.
        crowded = {d: shared[d] for d in claimed if d in shared} if shared else {}
        for device_id, item_ids in crowded.items():
            taken.add(device_id)
            blocked.update(item_ids)
            for item_id in item_ids:  # its only device, if paired above, is this one
                pairs.pop(item_id, None)
            state.ambiguous.append(
                _ambiguous(
                    [
                        _trusted(Candidate, equipment_id=i, device_id=device_id, identifier=level)
                        for i in item_ids
                    ],
                    "ambiguous_items",
                    level,
                    lang,
                )
            )
        for item_id, found in several:
            if item_id in blocked:
                continue
            if crowded:
                found = [(d, v) for d, v in found if d.id not in crowded]
                if not found:
                    continue
            if len(found) == 1:
                device, value = found[0]
                pairs[item_id] = ([device], level, value)
                taken.add(device.id)
                continue
            values = [v for _, v in found]
            # Several devices through distinct declared MACs: the NICs of one multi-homed item.
            if not (level == "mac" and len(set(values)) == len(values)):
                blocked.add(item_id)
                taken.update(d.id for d, _ in found)
                state.ambiguous.append(
                    _ambiguous(
                        [
                            _trusted(
                                Candidate, equipment_id=item_id, device_id=d.id, identifier=level
                            )
                            for d, _ in found
                        ],
                        "ambiguous_devices",
                        level,
                        lang,
                    )
                )
                continue
            pairs[item_id] = ([d for d, _ in found], level, values[0])
            taken.update(d.id for d, _ in found)
    state.free = [d for d in free if d.id not in taken]
    return state


def _ambiguous(candidates: list[Candidate], code: str, level: str, lang: Language) -> Finding:
    return _trusted(
        Finding,
        status=Status.AMBIGUOUS,
        candidates=candidates,
        category=Category.UNKNOWN,
        details=[detail(code, lang, count=len(candidates), identifier=level)],
        fee_delta=Decimal(0),
    )


@functools.lru_cache(maxsize=1 << 17)
def _ip_text(ip: IPv4Address | None) -> str:
    # str(ip), written by inet_ntoa: ipaddress formats in Python, four times slower.
    return _ntoa(ip.packed) if ip is not None else str(ip)


def _ip_int(ip: str) -> int | None:
    """Dotted IPv4 to int; None when it is not one (ipaddress is slow).

    ``inet_aton`` also takes shorthand (``1.2.3``), octal or hex parts and trailing text, so the
    address counts only when it is the canonical form ``inet_ntoa`` writes back: exactly what
    ``ipaddress`` accepts (ASCII digits, no leading zero, each part at most 255).
    """
    try:
        packed = _aton(ip)
    except (OSError, ValueError):  # not an address; or an embedded NUL
        return None
    return _int_of(packed, "big") if _ntoa(packed) == ip else None


# The networks of the contract being reconciled as (first, last, site) integer ranges, parsed
# once per contract (kept with the list they came from, so a new contract is noticed).
_NETWORKS: dict[int, tuple[object, list[tuple[int, int, str]]]] = {}


def _ranges_of(contract: Contract) -> list[tuple[int, int, str]]:
    networks = contract.scope.networks
    cached = _NETWORKS.get(id(networks))
    if cached is not None and cached[0] is networks:
        return cached[1]
    ranges = [
        (int(n.cidr.network_address), int(n.cidr.broadcast_address), n.site) for n in networks
    ]
    _NETWORKS.clear()
    _NETWORKS[id(networks)] = (networks, ranges)
    return ranges


def _site_of(ips: Iterable[str], contract: Contract) -> str | None:
    return _site_in(ips, _ranges_of(contract))


def _site_in(ips: Iterable[str], ranges: Sequence[tuple[int, int, str]]) -> str | None:
    """The site of the first of ``ips`` inside a network of the contract (``ranges``)."""
    for ip in ips:
        try:  # _ip_int, inlined: once per matched device (DESIGN §9)
            packed = _aton(ip)
        except (OSError, ValueError):
            continue
        if _ntoa(packed) != ip:
            continue
        value = _int_of(packed, "big")
        for first, last, site in ranges:
            if first <= value <= last:
                return site
    return None


_ZERO = Decimal(0)  # immutable: one instance serves every finding that costs nothing
# Enum members looked up once: an attribute of an enum class costs more than a global (§9).
_MATCHED, _MISMATCH = Status.MATCHED, Status.MISMATCH
_UNKNOWN = Category.UNKNOWN
_BMC = Role.BMC
# Fields given to every matched finding (``model_fields_set``), copied per finding: a Finding
# may be assigned later, which adds to its own set.
_MATCHED_FIELDS = {
    "status",
    "equipment_id",
    "device_id",
    "category",
    "observed_category",
    "details",
    "fee_delta",
    "unit_price",
    "site",
    "criticality",
    "declared",
}
# Every field of a Reason and of a declared copy is given, so one set serves them all: a Reason
# is frozen, and assigning a field of a DeclaredItem only adds a name already in the set.
_REASON_FIELDS = {"code", "params", "text"}
_DECLARED_FIELDS = set(DeclaredItem.model_fields)


def _declared(item: EquipmentItem) -> DeclaredItem:
    # The item was validated when the contract was loaded: copy it without validating again.
    # Its fields are read from its __dict__ (where pydantic keeps them): cheaper than 11
    # attribute lookups, 100,000 times (DESIGN §9).
    fields = item.__dict__
    ip = fields["ip"]
    return _made(
        DeclaredItem,
        {
            "id": fields["id"],
            "category": fields["category"],
            "name": fields["name"],
            "hostname": fields["hostname"],
            "vendor": fields["vendor"],
            "model": fields["model"],
            "serial": fields["serial"],
            "macs": list(fields["mac"]),
            "ip": _ip_text(ip) if ip is not None else None,
            "site": fields["site"],
            "criticality": fields["criticality"]._value_,
        },
        _DECLARED_FIELDS,
    )


def _delay(contract: Contract, criticality: Criticality) -> str | None:
    levels = contract.contract.service_levels
    delays = levels.intervention_delay if levels else None
    value = getattr(delays, criticality.value, None) if delays else None
    return format_duration(value) if value is not None else None


class _Money:
    """Unit prices and the fee rules of DESIGN §6."""

    def __init__(self, contract: Contract) -> None:
        self.prices = unit_prices(contract)

    def price(self, category: Category) -> Decimal | None:
        return self.prices.get(category)


class _Context:
    """What every matched finding of one ``reconcile`` call reads, looked up once."""

    __slots__ = ("bmcs", "contract", "lang", "matched_by", "prices", "ranges")

    def __init__(
        self, contract: Contract, bmcs: Mapping[str, list[str]], prices: _Money, lang: Language
    ) -> None:
        self.contract = contract
        self.bmcs = bmcs
        self.prices = prices.prices
        self.lang = lang
        self.ranges = _ranges_of(contract)
        self.matched_by = DETAILS["matched_by"][lang]


def _matched(
    item: EquipmentItem, devices: list[Device], level: str, value: str, ctx: _Context
) -> Finding:
    lang = ctx.lang
    device = devices[0]
    fields, seen = item.__dict__, device.__dict__  # see _declared
    # The one detail every match has, rendered straight from its template (its parameters are
    # always given, so render()'s guard for missing ones is not needed): DESIGN §9.
    params: dict[str, str | int | float | bool | None] = {"identifier": level, "value": value}
    details = [
        _made(
            Reason,
            {"code": "matched_by", "params": params, "text": ctx.matched_by.format_map(params)},
            _REASON_FIELDS,
        )
    ]
    if len(devices) > 1 or ctx.bmcs:
        details += [detail("extra_nic", lang, device_id=d.id) for d in devices[1:]]
        for d in devices:
            details += [detail("bmc", lang, device_id=b) for b in ctx.bmcs.get(d.id, [])]
        ips = [ip for d in devices for ip in d.ips]
        hostnames = [h for d in devices for h in d.hostnames]
    else:
        ips, hostnames = seen["ips"], seen["hostnames"]
    declared_ip = fields["ip"]
    if declared_ip is not None and ips:
        text = _ip_text(declared_ip)
        if text not in ips:
            details.append(detail("ip_changed", lang, declared=text, observed=", ".join(ips)))
    hostname = fields["hostname"]
    # Paired by host name, one device: the table found one of its names equal to the item's
    # full name or first label, so it has that first label too: no change to look for.
    if hostname and hostnames and (level != "hostname" or len(devices) > 1):
        wanted = _short(hostname)
        if wanted and wanted not in _names(hostnames):
            details.append(
                detail("hostname_changed", lang, declared=hostname, observed=", ".join(hostnames))
            )
    status = _MATCHED
    category = fields["category"]
    observed: Category | None = seen["category"]
    fee: Decimal | None = _ZERO
    if observed is _UNKNOWN:
        details.append(detail("category_unconfirmed", lang))
    elif observed is not category:
        status = _MISMATCH
        details.append(
            detail(
                "category_differs",
                lang,
                declared=category.value,
                observed=device.category.value,
            )
        )
        old, new = ctx.prices.get(category), ctx.prices.get(device.category)
        if old is None or new is None:
            fee = None
            missing = category if old is None else device.category
            details.append(detail("unpriced", lang, category=missing.value))
        else:
            fee = new - old
    seen_site = _site_in(ips, ctx.ranges)
    site = fields["site"]
    if site and seen_site and seen_site != site:
        status = _MISMATCH
        details.append(detail("site_differs", lang, declared=site, observed=seen_site))
    return _made(
        Finding,
        {
            "status": status,
            "equipment_id": fields["id"],
            "device_id": seen["id"],
            "candidates": [],
            "category": category,
            "observed_category": observed,
            "details": details,
            "provisional": False,
            "fee_delta": fee,
            "unit_price": ctx.prices.get(category),
            "site": site or seen_site,
            "criticality": fields["criticality"]._value_,
            "intervention_delay": None,
            "policy": None,
            "decision": None,
            "pending_amendment": False,
            "declared": _declared(item),
        },
        _MATCHED_FIELDS.copy(),
    )


def _networks_of(item: EquipmentItem, contract: Contract) -> list[IPv4Network]:
    if item.ip is not None:
        return [n.cidr for n in contract.scope.networks if item.ip in n.cidr]
    if item.site:
        return [n.cidr for n in contract.scope.networks if n.site == item.site]
    return [n.cidr for n in contract.scope.networks]


def _unseen(
    item: EquipmentItem,
    contract: Contract,
    coverage: Sequence[Coverage],
    presence: Presence,
    recheck: str | None,
    prices: _Money,
    lang: Language,
) -> Finding:
    base = _trusted(
        Finding,
        status=Status.MISSING,
        equipment_id=item.id,
        category=item.category,
        unit_price=prices.price(item.category),
        site=item.site or _site_of([_ip_text(item.ip)] if item.ip else [], contract),
        criticality=item.criticality.value,
        declared=_declared(item),
    )
    for hole in contract.scope.exclude:
        if item.ip is not None and item.ip in hole.cidr:
            base.status = Status.NOT_VERIFIABLE
            base.details = [detail("excluded_range", lang, cidr=str(hole.cidr))]
            base.fee_delta = Decimal(0)
            return base
    networks = _networks_of(item, contract)
    verifiable = {c.cidr for c in coverage if c.verifiable}
    if not any(str(n) in verifiable for n in networks):
        base.status = Status.NOT_VERIFIABLE
        names = ", ".join(str(n) for n in networks) or "-"
        base.details = [detail("not_reached", lang, networks=names)]
        base.fee_delta = Decimal(0)
        return base
    base.details = [detail("not_seen", lang)]
    if recheck:
        base.details.append(detail("recheck", lang, what=recheck))
    runs_needed, days_needed = _threshold(item.category, contract)
    if presence.runs < runs_needed and (days_needed is None or presence.days < days_needed):
        base.provisional = True
        needed = f"{runs_needed}" + (f" / {days_needed} d" if days_needed else "")
        base.details.append(detail("provisional", lang, runs=presence.runs, needed=needed))
        base.fee_delta = Decimal(0)
    else:
        price = prices.price(item.category)
        base.fee_delta = -price if price is not None else None
        if price is None:
            base.details.append(detail("unpriced", lang, category=item.category.value))
    if item.criticality is not Criticality.NORMAL:
        delay = _delay(contract, item.criticality)
        if delay:
            base.intervention_delay = delay
            base.details.append(
                detail("intervention_delay", lang, criticality=item.criticality.value, delay=delay)
            )
    return base


def _threshold(category: Category, contract: Contract) -> tuple[int, int | None]:
    presence = contract.scope.presence or {}
    rule = presence.get(category.value) or presence.get("default")
    if rule is None or (rule.runs is None and rule.days is None):
        return DEFAULT_PRESENCE[category]
    # An override with only days waits for those days whatever the run count, and vice versa.
    return (rule.runs if rule.runs is not None else 10**9, rule.days)


def _policy_fits(policy: Policy, device: Device) -> bool:
    match = policy.match
    if match.category is not None and device.category is not match.category:
        return False
    if match.randomized_mac is not None and device.randomized_mac is not match.randomized_mac:
        return False
    if match.vendor is not None and (
        device.vendor is None or match.vendor.lower() not in device.vendor.lower()
    ):
        return False
    if match.cidr is not None and not any(_in(ip, match.cidr) for ip in device.ips):
        return False
    if match.mac_prefix is not None and not any(
        m.startswith(match.mac_prefix) for m in device.macs
    ):
        return False
    if match.hostname is not None:
        pattern = match.hostname.lower()
        if not any(fnmatch.fnmatchcase(h.lower(), pattern) for h in device.hostnames):
            return False
    return True


def _in(ip: str, network: IPv4Network) -> bool:
    try:
        return IPv4Address(ip) in network
    except ValueError:
        return False


def _undeclared(
    device: Device,
    contract: Contract,
    decisions: DecisionsFile | None,
    today: date | None,
    covered: Counter[str],
    prices: _Money,
    lang: Language,
) -> tuple[Finding | None, Device, str | None]:
    """The finding of a device no declared item claimed; also the device (policy set) and how
    it was left out (``ignored``/``out_of_scope``) when it has no finding."""
    site = _site_of(device.ips, contract)
    price = prices.price(device.category)
    finding = _trusted(
        Finding,
        status=Status.UNEXPECTED,
        device_id=device.id,
        category=device.category,
        observed_category=device.category,
        unit_price=price,
        site=site,
    )
    active = decisions.for_device(device, today) if decisions else []
    chosen = next((d for d in active if d.action is not Action.PIN), None)
    if chosen is not None:
        note = detail(
            "decision",
            lang,
            action=chosen.action.value,
            author=chosen.author,
            date=chosen.date.isoformat(),
            reason=chosen.reason,
        )
        if chosen.action is Action.IGNORE:
            return None, device, "ignored"
        finding.decision = chosen.action.value
        finding.details = [note]
        if chosen.action is Action.ACCEPT:
            finding.status = Status.TOLERATED
            finding.fee_delta = Decimal(0)
            return finding, device, None
        finding.pending_amendment = True
        return _priced(finding, price, lang), device, None
    for policy in contract.scope.policies:
        if not _policy_fits(policy, device):
            continue
        device = device.model_copy(update={"policy": policy.id})
        finding.policy = policy.id
        finding.details = [
            detail("policy", lang, policy=policy.id, treatment=policy.treatment.value)
        ]
        if policy.treatment is Treatment.OUT_OF_SCOPE:
            return None, device, "out_of_scope"
        if policy.treatment is Treatment.TOLERATED:
            finding.status = Status.TOLERATED
            finding.fee_delta = Decimal(0)
            return finding, device, None
        covered[policy.id] += 1
        if policy.limit is None or covered[policy.id] <= policy.limit:
            finding.status = Status.MATCHED
            finding.equipment_id = f"policy:{policy.id}"
            finding.fee_delta = Decimal(0)
            return finding, device, None
        finding.details.append(detail("policy_limit", lang, policy=policy.id, limit=policy.limit))
        return _priced(finding, price, lang), device, None
    finding.details = [detail("not_declared", lang)]
    return _priced(finding, price, lang), device, None


def _priced(finding: Finding, price: Decimal | None, lang: Language) -> Finding:
    finding.fee_delta = price
    if price is None:
        finding.details.append(detail("unpriced", lang, category=finding.category.value))
    return finding


def compute_coverage(
    contract: Contract,
    observations: Sequence[Observation],
    ran: Iterable[Source],
) -> list[Coverage]:
    """Which methods reached each network of the contract (DESIGN §6).

    arp and passive reached a network when they ran and the scanner had an interface in it;
    nmap, names, snmp and import when one of their observations came from an address in it. For
    snmp that includes a router's neighbour-table row (``snmp_neighbor``) of an address in the
    network: a table read from a device covers the networks its rows are on (docs/snmp.md).
    """
    done = set(ran)
    onlink: list[IPv4Network] = []
    replied: dict[Source, list[IPv4Address]] = {}
    for observation in observations:
        if observation.kind is ObservationKind.INTERFACE:
            cidr = observation.data.get("cidr")
            if isinstance(cidr, str):
                with contextlib.suppress(ValueError):
                    onlink.append(IPv4Network(cidr, strict=False))
        elif observation.ip and observation.source in _REPLY_METHODS:
            try:
                replied.setdefault(observation.source, []).append(IPv4Address(observation.ip))
            except ValueError:
                continue
    out: list[Coverage] = []
    for network in contract.scope.networks:
        methods = [
            s
            for s in _ONLINK_METHODS
            if s in done and any(network.cidr.overlaps(n) for n in onlink)
        ]
        methods += [s for s in _REPLY_METHODS if any(a in network.cidr for a in replied.get(s, []))]
        out.append(
            Coverage(
                cidr=str(network.cidr),
                site=network.site,
                name=network.name,
                methods=methods,
                verifiable=bool(methods),
            )
        )
    return out


def reconcile(
    contract: Contract,
    devices: Sequence[Device],
    *,
    coverage: Sequence[Coverage],
    observations: Sequence[Observation] = (),
    decisions: DecisionsFile | None = None,
    presence: Mapping[str, Presence] | None = None,
    rechecked: Mapping[str, str] | None = None,
    today: date | None = None,
    lang: Language = Language.EN,
) -> Reconciliation:
    """Findings and summary of ``devices`` against ``contract`` (pure; see the module doc).

    ``presence`` gives each declared item's unseen runs/days (default: first run);
    ``rechecked`` what the targeted re-check asked for each item (shown in its details).
    """
    # The cyclic garbage collector is paused while the findings are built: they make no
    # reference cycles, and at 100,000 items its passes over every live object (the devices and
    # the contract included) took about as long as the reconciliation itself (DESIGN §9).
    paused = gc.isenabled()
    gc.disable()
    try:
        return _reconcile(
            contract,
            devices,
            coverage=coverage,
            observations=observations,
            decisions=decisions,
            presence=presence,
            rechecked=rechecked,
            today=today,
            lang=lang,
        )
    finally:
        if paused:
            gc.enable()


def _reconcile(
    contract: Contract,
    devices: Sequence[Device],
    *,
    coverage: Sequence[Coverage],
    observations: Sequence[Observation],
    decisions: DecisionsFile | None,
    presence: Mapping[str, Presence] | None,
    rechecked: Mapping[str, str] | None,
    today: date | None,
    lang: Language,
) -> Reconciliation:
    prices = _Money(contract)
    history = presence or {}
    # Neither the scanner itself nor a management controller is a device of its own here.
    candidates: list[Device] = []
    bmcs: dict[str, list[str]] = {}
    for device in devices:
        fields = device.__dict__  # see _declared
        if fields["role"] is _BMC:
            if fields["parent_id"]:
                bmcs.setdefault(fields["parent_id"], []).append(fields["id"])
        elif not fields["scanner"]:
            candidates.append(device)
    # Without observations no device announced a serial: skip a pass over every device.
    serials = device_serials(candidates, observations) if observations else {}
    state = _match_declared(contract.equipment, candidates, serials, lang)
    context = _Context(contract, bmcs, prices, lang)

    findings: list[Finding] = []
    pairs, blocked = state.pairs, state.blocked_items
    for item in contract.equipment:
        pair = pairs.get(item.id)
        if pair is not None:
            findings.append(_matched(item, pair[0], pair[1], pair[2], context))
        elif item.id not in blocked:
            findings.append(
                _unseen(
                    item,
                    contract,
                    coverage,
                    history.get(item.id, Presence()),
                    (rechecked or {}).get(item.id),
                    prices,
                    lang,
                )
            )
    # Indexes only an ambiguity needs: two dictionaries of 100,000 entries otherwise unused.
    by_id = {d.id: d for d in candidates} if state.ambiguous else {}
    item_by_id = {i.id: i for i in contract.equipment} if state.ambiguous else {}
    for finding in state.ambiguous:
        categories = {item_by_id[c.equipment_id].category for c in finding.candidates}
        finding.category = categories.pop() if len(categories) == 1 else Category.UNKNOWN
        observed = {by_id[c.device_id].category for c in finding.candidates}
        finding.observed_category = observed.pop() if len(observed) == 1 else None
        sites = {_site_of(by_id[c.device_id].ips, contract) for c in finding.candidates}
        finding.site = sites.pop() if len(sites) == 1 else None
        findings.append(finding)

    covered: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    result_devices: dict[str, Device] = {d.id: d for d in devices}
    for device in state.free:
        outcome, updated, reason = _undeclared(
            device, contract, decisions, today, covered, prices, lang
        )
        result_devices[device.id] = updated
        if outcome is not None:
            findings.append(outcome)
        if reason is not None:
            left_out[reason] += 1
    summary = summarize(contract, findings, list(result_devices.values()), left_out)
    return Reconciliation(findings, summary, list(result_devices.values()))


def _is_bmc(device: Device) -> bool:
    return device.role is Role.BMC


def _summary(cls: type[_M], by_status: dict[Status, int], **assigned: object) -> _M:
    """A category or site summary: ``by_status`` and the counters that were ever assigned."""
    model = _trusted(
        cls, by_status=by_status, **{k: v for k, v in assigned.items() if v is not None}
    )
    model.__pydantic_fields_set__.discard("by_status")  # filled in place, never assigned
    return model


def is_drift(finding: Finding) -> bool:
    """DESIGN §6: mismatch, non-provisional missing, unexpected (not pending) or ambiguous."""
    if finding.status not in DRIFT_STATUSES or finding.provisional:
        return False
    return not finding.pending_amendment


def summarize(
    contract: Contract,
    findings: Sequence[Finding],
    devices: Sequence[Device],
    left_out: Mapping[str, int] | None = None,
) -> Summary:
    """Counts, coverage rate and money of ``findings`` (DESIGN §6)."""
    # One pass groups the findings by what the counters depend on; the counters, the sums and
    # then the models are made per group (DESIGN §9: a dictionary update and three Decimal
    # additions per finding were a visible share of reconcile() at 100,000 items). Group order
    # is that of each group's first finding, so every dictionary keeps the order a finding by
    # finding count gave it; Decimal sums of prices are exact, so grouping changes no amount.
    groups: dict[tuple[Status, Category, str | None, Category | None], list[Any]] = {}
    reached = provisional = 0
    drift = False
    counted = (Status.MATCHED, Status.MISMATCH)
    for finding in findings:
        fields = finding.__dict__  # see _declared
        status, category, item = fields["status"], fields["category"], fields["equipment_id"]
        seen: Category | None = None
        if fields["device_id"] is not None:
            # A device the classifier could not name still counts where its item says.
            seen = fields["observed_category"] or category
            if seen is _UNKNOWN and item:
                seen = category
        key = (status, category, fields["site"], seen)
        group = groups.get(key)
        if group is None:
            group = groups[key] = [0, _ZERO, False, False]  # count, fees, priced, unpriced
        group[0] += 1
        fee = fields["fee_delta"]
        if fee is None:
            group[3] = True
        else:
            group[2] = True
            if fee is not _ZERO:  # adding an exponent-0 zero to a sum begun at 0 changes nothing
                group[1] += fee
        if status in counted and item and not item.startswith("policy:"):
            reached += 1
        if fields["provisional"]:
            provisional += 1
        elif not drift and is_drift(finding):
            drift = True
    by_status = dict.fromkeys(Status, 0)
    declared_by: Counter[Category] = Counter(item.category for item in contract.equipment)
    found_by: Counter[Category] = Counter()
    cat_status: dict[Category, dict[Status, int]] = {c: {} for c in declared_by}
    cat_fee: dict[Category, Decimal] = {}
    site_status: dict[str, dict[Status, int]] = {}
    site_fee: dict[str, Decimal] = {}
    total = Decimal(0)
    unpriced: list[Category] = []
    for (status, category, site, seen), (count, fees_sum, priced, unpriced_seen) in groups.items():
        by_status[status] += count
        counts = cat_status.setdefault(category, {})
        counts[status] = counts.get(status, 0) + count
        where = site or "-"
        counts = site_status.setdefault(where, {})
        counts[status] = counts.get(status, 0) + count
        if unpriced_seen and category not in unpriced:
            unpriced.append(category)
        if priced:
            total += fees_sum
            cat_fee[category] = cat_fee.get(category, Decimal(0)) + fees_sum
            site_fee[where] = site_fee.get(where, Decimal(0)) + fees_sum
        if seen is not None:
            found_by[seen] += count
    for seen in found_by:
        cat_status.setdefault(seen, {})
    # The fields each summary would have had assigned, so model_fields_set stays the same.
    by_category = {
        c: _summary(
            CategorySummary,
            by_status=counts,
            declared=declared_by.get(c),
            found=found_by.get(c),
            fee_delta=cat_fee.get(c),
        )
        for c, counts in cat_status.items()
    }
    by_site = {
        key: _summary(SiteSummary, by_status=counts, fee_delta=site_fee.get(key))
        for key, counts in site_status.items()
    }
    declared = len(contract.equipment)
    denominator = declared - by_status[Status.NOT_VERIFIABLE]
    billing = contract.contract.billing
    vat = billing.vat_rate if billing else None
    current = fees(contract).total
    new_fee = money(current + total) if current is not None else None
    return Summary(
        by_status=by_status,
        by_category=dict(sorted(by_category.items(), key=lambda kv: list(Category).index(kv[0]))),
        by_site=dict(sorted(by_site.items())),
        coverage_rate=round(reached / denominator, 4) if denominator > 0 else None,
        fee_delta_total=money(total),
        fee_delta_total_incl_vat=money(total * (1 + vat / 100)) if vat is not None else None,
        new_fee=new_fee,
        new_fee_incl_vat=money(new_fee * (1 + vat / 100))
        if new_fee is not None and vat is not None
        else None,
        currency=billing.currency if billing else None,
        period=billing.period.value if billing and billing.period else None,
        unpriced=sorted(unpriced, key=list(Category).index),
        provisional=provisional,
        ignored=(left_out or {}).get("ignored", 0),
        out_of_scope=(left_out or {}).get("out_of_scope", 0),
        drift=drift,
    )

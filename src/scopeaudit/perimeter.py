"""Building and updating a contract's declared perimeter from what was found (issue 8, item 6).

``equipment_from_devices`` turns devices (a snapshot's, or an inventory's once classified) into
proposed ``equipment:`` items: the category, the identifiers a contract can rely on (stable MACs
only, never a randomized one; host names; a serial when one was announced; the IP only as a weak
hint), the site of the contract's network the device sits in, and ids ``<SITE>-<CAT>-NN`` that do
not clash with the contract's. A management controller (role ``bmc``) is never an item of its
own: it is noted on its server. ``unknown`` devices, and devices a contract policy tolerates or
leaves out of scope, are proposed commented out, for a human to decide.

``merge_perimeter`` compares proposed items with a contract's equipment and says what it would
add, change and remove. ``apply_amendment`` does the same from the audit an amendment was made
from. Everything here is pure: files are read and written by ``contract.emit`` and the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import Any

from scopeaudit import oui
from scopeaudit.audit_models import AuditResult
from scopeaudit.contract import Contract, EquipmentItem, Treatment
from scopeaudit.i18n import Catalog, render
from scopeaudit.merge import is_generic_name, normalize_name
from scopeaudit.models import Device, Observation
from scopeaudit.reconcile import _policy_fits, device_serials
from scopeaudit.taxonomy import Category, FormFactor, Language, Role, Status

# Short codes of the generated ids; exhaustive over the taxonomy (a test checks it).
CATEGORY_CODES: dict[Category, str] = {
    Category.COMPUTER: "PC",
    Category.TABLET: "TAB",
    Category.PHONE: "PHN",
    Category.SERVER: "SRV",
    Category.HYPERVISOR: "HYP",
    Category.ROUTER: "RTR",
    Category.FIREWALL: "FW",
    Category.SWITCH: "SW",
    Category.ACCESS_POINT: "AP",
    Category.PRINTER: "PRN",
    Category.NAS: "NAS",
    Category.IP_PHONE: "TEL",
    Category.CAMERA: "CAM",
    Category.IOT: "IOT",
    Category.UNKNOWN: "UNK",
}
VIRTUAL_CODE = "VM"  # a virtual server reads better as HQ-VM-01 than HQ-SRV-07

# The order of an item's keys when written: the contract model's own field order.
FIELD_ORDER: tuple[str, ...] = tuple(EquipmentItem.model_fields)

# What a serial or host name must look like to be written as an identifier: lab templates
# ("{{mac_hex}}") and hostile names ("<SCRIPT>") are evidence, not identifiers.
_SERIAL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{2,63}$")
_HOSTNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_-]{1,63})*$")
_ID_PART = re.compile(r"[^A-Za-z0-9]+")


@dataclass
class ProposedItem:
    """One proposed ``equipment:`` item: ``fields`` is EquipmentItem-like (plain values).

    ``commented`` items are written commented out (``note`` says why) for a human to decide.
    ``comments`` are written above the item: where it came from, its BMC.
    """

    fields: dict[str, Any]
    device_id: str | None = None
    code: str = ""  # the id's category code (PC, SRV, VM...), to number it again
    commented: bool = False
    note: str = ""
    comments: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.fields["id"])


@dataclass(frozen=True)
class FieldChange:
    """One field of an existing item that the update would change."""

    name: str
    old: object
    new: object


@dataclass
class ItemChange:
    """An existing item and the fields the update changes; ``fields`` is the item after it."""

    id: str
    changes: list[FieldChange]
    fields: dict[str, Any]


@dataclass
class PerimeterChange:
    """What an update of the perimeter would add, change and remove (and leave to a human)."""

    added: list[ProposedItem] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    undecided: list[ProposedItem] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def item_fields(item: EquipmentItem) -> dict[str, Any]:
    """An existing item as plain fields in the contract's key order, defaults left out."""
    dumped = item.model_dump(mode="json", exclude_defaults=True)
    dumped["id"] = item.id
    dumped["category"] = item.category.value
    return {key: dumped[key] for key in FIELD_ORDER if dumped.get(key) not in (None, [], "")}


def _ip_sort(ip: str) -> int:
    try:
        return int(IPv4Address(ip))
    except ValueError:
        return 1 << 33


def _site(ips: Iterable[str], contract: Contract | None) -> tuple[str | None, str | None]:
    """(site, ip) of the first address inside one of the contract's networks."""
    if contract is None:
        return None, None
    for ip in ips:
        try:
            address = IPv4Address(ip)
        except ValueError:
            continue
        for network in contract.scope.networks:
            if address in network.cidr:
                return network.site, ip
    return None, None


def _hostname(device: Device) -> str | None:
    """The best host name to declare: a plain name first, ``.local`` names shortened."""
    candidates: list[str] = []
    for name in device.hostnames:
        value = name.strip().rstrip(".")
        if value.lower().endswith(".local"):
            value = value[: -len(".local")]
        if _HOSTNAME.match(value) and not is_generic_name(value):
            candidates.append(value)
    plain = [name for name in candidates if "." not in name]
    chosen = plain or candidates
    return chosen[0] if chosen else None


def _policy(device: Device, contract: Contract | None) -> tuple[str, Treatment] | None:
    """The first contract policy this device fits, as the audit would apply it."""
    if contract is None:
        return None
    for policy in contract.scope.policies:
        if _policy_fits(policy, device):  # the audit's own rule, so both agree
            return policy.id, policy.treatment
    return None


class _Ids:
    """Generated ids ``<SITE>-<CAT>-NN``, numbered after the highest one already used."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken)
        self.last: dict[str, int] = {}  # per prefix: found once, so 100,000 ids stay linear

    def next(self, site: str | None, code: str) -> str:
        prefix = f"{_ID_PART.sub('', site.upper())}-{code}-" if site else f"{code}-"
        if prefix not in self.last:
            self.last[prefix] = max(
                (
                    int(existing[len(prefix) :])
                    for existing in self.taken
                    if existing.startswith(prefix) and existing[len(prefix) :].isdigit()
                ),
                default=0,
            )
        number = self.last[prefix] + 1
        while f"{prefix}{number:02d}" in self.taken:
            number += 1
        self.last[prefix] = number
        chosen = f"{prefix}{number:02d}"
        self.taken.add(chosen)
        return chosen


def equipment_from_devices(
    devices: Sequence[Device],
    contract: Contract | None = None,
    observations: Sequence[Observation] = (),
    category_of: dict[str, Category] | None = None,
) -> list[ProposedItem]:
    """Proposed ``equipment:`` items for ``devices`` (see the module doc).

    ``observations`` are the snapshot's (device evidence indexes into them): serials come from
    there. ``category_of`` overrides a device's category (an audit finding's, say).
    """
    serials = device_serials(devices, observations)
    bmcs: dict[str, list[Device]] = {}
    for device in devices:
        if device.role is Role.BMC and device.parent_id:
            bmcs.setdefault(device.parent_id, []).append(device)
    listed = [d for d in devices if not d.scanner and d.role is not Role.BMC]
    # A serial announced by two devices identifies neither (a contract refuses duplicates).
    owners: dict[str, int] = {}
    for device in listed:
        for serial in serials.get(device.id, set()):
            owners[serial] = owners.get(serial, 0) + 1
    declared_serials = {i.serial for i in contract.equipment if i.serial} if contract else set()
    declared_macs = {m for i in contract.equipment for m in i.mac} if contract else set()

    rows: list[tuple[tuple[str, int, int], ProposedItem]] = []
    order = list(Category)
    for device in listed:
        category = (category_of or {}).get(device.id, device.category)
        ips = sorted(device.ips, key=_ip_sort)
        site, site_ip = _site(ips, contract)
        fields: dict[str, Any] = {"id": "", "category": category.value}
        hostname = _hostname(device)
        if hostname:
            fields["hostname"] = hostname
        if device.vendor:
            fields["vendor"] = device.vendor
        if device.model:
            fields["model"] = device.model
        usable = sorted(
            s
            for s in serials.get(device.id, set())
            if _SERIAL.match(s) and owners[s] == 1 and s not in declared_serials
        )
        if usable:
            fields["serial"] = usable[0]
        macs = [m for m in device.macs if not oui.is_randomized(m)]
        if macs:
            fields["mac"] = macs
        ip = site_ip or (ips[0] if ips else None)
        if ip:
            fields["ip"] = ip
        if site:
            fields["site"] = site
        form = FormFactor.VIRTUAL if device.virtual else device.form_factor
        if form is not None:
            fields["form_factor"] = form.value
        proposal = ProposedItem(fields=fields, device_id=device.id)
        seen = ", ".join([*ips, *device.macs])
        proposal.comments.append(f"{device.id}: {seen}" if seen else device.id)
        for bmc in bmcs.get(device.id, []):
            names = ", ".join([*bmc.hostnames[:1], *bmc.ips, *bmc.macs])
            proposal.comments.append(f"bmc {bmc.id}: {names}")
        policy = _policy(device, contract)
        if category is Category.UNKNOWN:
            proposal.commented = True
            proposal.note = "unknown"
        elif policy is not None and policy[1] is not Treatment.COVERED:
            proposal.commented = True
            proposal.note = f"policy:{policy[0]}"
        elif not macs and not hostname and "serial" not in fields:
            proposal.commented = True  # an IP alone identifies nothing
            proposal.note = "no_identifier"
        if any(m in declared_macs for m in macs):
            proposal.comments.append("mac already declared")
        virtual = category is Category.SERVER and form is FormFactor.VIRTUAL
        code = VIRTUAL_CODE if virtual else CATEGORY_CODES[category]
        proposal.code = code
        key = (site or "~", order.index(category), _ip_sort(ip) if ip else 1 << 34)
        rows.append((key, proposal))

    ids = _Ids(i.id for i in contract.equipment) if contract else _Ids(())
    proposals: list[ProposedItem] = []
    for _, proposal in sorted(rows, key=lambda row: row[0]):
        proposal.fields["id"] = ids.next(proposal.fields.get("site"), proposal.code)
        proposal.fields = {k: proposal.fields[k] for k in FIELD_ORDER if k in proposal.fields}
        proposals.append(proposal)
    return proposals


def _names(value: object) -> set[str]:
    if not isinstance(value, str) or not value.strip():
        return set()
    full = normalize_name(value)
    return {full, full.split(".", 1)[0]}


LEVELS = ("serial", "mac", "hostname", "ip")


def _keys(level: str, fields: dict[str, Any]) -> set[str]:
    """The values by which an item (as plain fields) can be paired at ``level``."""
    if level == "serial":
        return {fields["serial"]} if fields.get("serial") else set()
    if level == "mac":
        return set(fields.get("mac", []))
    if level == "hostname":
        return _names(fields.get("hostname"))
    return {str(fields["ip"])} if fields.get("ip") else set()


def _contradicts(item: EquipmentItem, fields: dict[str, Any]) -> bool:
    """Weak identifiers never pair an item with hardware its MACs or serial deny."""
    if item.serial and fields.get("serial") and item.serial != fields["serial"]:
        return True
    macs = set(fields.get("mac", []))
    return bool(item.mac) and bool(macs) and not set(item.mac) & macs


def _updated(
    item: EquipmentItem, proposal: ProposedItem, mac_owner: dict[str, str]
) -> tuple[dict[str, Any], list[FieldChange]]:
    """The existing item completed by the proposal: category follows what was found, missing
    identifiers are filled, new stable MACs are added; a declared IP is never replaced.
    Descriptive fields (vendor, model...) are left alone: a NIC's vendor is not the device's."""
    fields = item_fields(item)
    new = proposal.fields
    changes: list[FieldChange] = []

    def put(name: str, value: object) -> None:
        changes.append(FieldChange(name, fields.get(name), value))
        fields[name] = value

    # "unknown" is no verdict (and cannot be declared): the declared category stays
    if new["category"] not in (fields["category"], Category.UNKNOWN.value):
        put("category", new["category"])
    extra = [m for m in new.get("mac", []) if mac_owner.get(m, item.id) == item.id]
    extra = [m for m in extra if m not in item.mac]
    if extra:
        put("mac", [*item.mac, *extra])
    for name in ("hostname", "serial", "site"):  # an IP alone is too weak to write back
        if name in new and not fields.get(name):
            put(name, new[name])
    return {k: fields[k] for k in FIELD_ORDER if k in fields}, changes


def merge_perimeter(contract: Contract, proposed: Sequence[ProposedItem]) -> PerimeterChange:
    """Compare ``proposed`` with the contract's equipment: what would be added, changed, removed.

    Items are paired by identifier, strongest first (serial, MAC, host name, IP), each existing
    item at most once; commented-out proposals too (a policy only applies to undeclared
    devices). Unpaired commented-out proposals are left to a human (``undecided``); added items
    are numbered after the contract's ids.
    """
    out = PerimeterChange()
    items = contract.equipment
    fields_of = [item_fields(item) for item in items]
    # every level indexed once: pairing costs lookups, not a scan per proposal (DESIGN §9)
    index: dict[str, dict[str, list[int]]] = {level: {} for level in LEVELS}
    for position, fields in enumerate(fields_of):
        for level in LEVELS:
            for key in _keys(level, fields):
                index[level].setdefault(key, []).append(position)
    paired: dict[int, ProposedItem] = {}
    done: set[int] = set()  # proposals (by position) already paired
    for level in LEVELS:
        for number, proposal in enumerate(proposed):
            if number in done:
                continue
            found = sorted(
                {p for key in _keys(level, proposal.fields) for p in index[level].get(key, [])}
            )
            for position in found:
                if position in paired:
                    continue
                if level in ("hostname", "ip") and _contradicts(items[position], proposal.fields):
                    continue
                paired[position] = proposal
                done.add(number)
                break
    mac_owner = {mac: item.id for item in items for mac in item.mac}
    for position, item in enumerate(items):
        match = paired.get(position)
        if match is None:
            out.removed.append(item.id)
            continue
        fields, changes = _updated(item, match, mac_owner)
        if changes:
            out.changed.append(ItemChange(item.id, changes, fields))
        else:
            out.unchanged.append(item.id)
    ids = _Ids(i.id for i in items)
    for number, proposal in enumerate(proposed):
        if number in done:
            continue
        proposal.fields["id"] = ids.next(proposal.fields.get("site"), proposal.code or "EQ")
        (out.undecided if proposal.commented else out.added).append(proposal)
    return out


def amendment_change(
    contract: Contract, result: AuditResult, include_provisional: bool = False
) -> PerimeterChange:
    """The perimeter change a signed amendment made from ``result`` brings to ``contract``.

    As the amendment says (render.amendment.plan): every ``unexpected`` finding is added, every
    non-provisional ``missing`` item is removed (provisional ones too with
    ``include_provisional``, as the amendment's own option), a ``mismatch`` takes the observed
    category. Ambiguous findings and everything else are kept as they are.
    """
    out = PerimeterChange()
    added: list[Device] = []
    categories: dict[str, Category] = {}
    recategorized: dict[str, Category] = {}
    removed: set[str] = set()
    for finding in result.findings:
        if finding.status is Status.UNEXPECTED:
            device = result.device(finding.device_id)
            if device is not None:
                added.append(device)
                categories[device.id] = finding.category
        elif finding.status is Status.MISSING and (include_provisional or not finding.provisional):
            if finding.equipment_id:
                removed.add(finding.equipment_id)
        elif finding.status is Status.MISMATCH and finding.equipment_id:
            target = finding.observed_category
            if target is not None and target is not Category.UNKNOWN:
                recategorized[finding.equipment_id] = target
    for item in contract.equipment:
        if item.id in removed:
            out.removed.append(item.id)
        elif item.id in recategorized and recategorized[item.id] is not item.category:
            fields = item_fields(item)
            change = FieldChange("category", fields["category"], recategorized[item.id].value)
            fields["category"] = recategorized[item.id].value
            out.changed.append(ItemChange(item.id, [change], fields))
        else:
            out.unchanged.append(item.id)
    # BMCs of added servers come along so they are noted on their server, never listed alone.
    wanted = {d.id for d in added}
    extra = [d for d in result.devices if d.role is Role.BMC and d.parent_id in wanted]
    for proposal in equipment_from_devices(
        [*added, *extra], contract, result.observations, categories
    ):
        (out.undecided if proposal.commented else out.added).append(proposal)
    return out


TEXT: Catalog = {
    "add": {
        Language.EN: "add    {id} ({category}){what}",
        Language.FR: "ajout  {id} ({category}){what}",
    },
    "change": {Language.EN: "change {id}: {what}", Language.FR: "modif. {id} : {what}"},
    "remove": {Language.EN: "remove {id}{why}", Language.FR: "retrait {id}{why}"},
    "decide": {
        Language.EN: "decide {id} ({category}, commented out: {note}){what}",
        Language.FR: "décider {id} ({category}, en commentaire : {note}){what}",
    },
    "kept": {
        Language.EN: " (kept in the file: a removal goes through an amendment)",
        Language.FR: " (conservé dans le fichier : un retrait passe par un avenant)",
    },
    "written": {Language.EN: "written: {path}", Language.FR: "écrit : {path}"},
    "previous": {
        Language.EN: "previous version kept: {path}",
        Language.FR: "version précédente conservée : {path}",
    },
    "total": {
        Language.EN: "{added} to add, {changed} to change, {removed} to remove, "
        "{undecided} to decide, {unchanged} unchanged",
        Language.FR: "{added} à ajouter, {changed} à modifier, {removed} à retirer, "
        "{undecided} à décider, {unchanged} inchangé(s)",
    },
}


def shown(value: object) -> str:
    """A field's value in a summary or comment: lists spaced out, nothing as a dash."""
    if value is None or value == "" or value == []:
        return "-"
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def describe(change: ItemChange) -> str:
    """``category: server -> nas; mac: a -> a b``."""
    return "; ".join(f"{c.name}: {shown(c.old)} -> {shown(c.new)}" for c in change.changes)


def _what(fields: dict[str, Any]) -> str:
    shown = [str(fields[k]) for k in ("hostname", "ip") if fields.get(k)]
    shown += [str(m) for m in fields.get("mac", [])][:2]
    return (" " + " ".join(shown)) if shown else ""


def summary_lines(change: PerimeterChange, lang: Language, removal_kept: bool = False) -> list[str]:
    """The add/change/remove summary, one line per item and a total (raw text: escape to show)."""
    lines: list[str] = []
    for p in change.added:
        params = {"id": p.id, "category": p.fields["category"], "what": _what(p.fields)}
        lines.append(render(TEXT, "add", params, lang))
    lines += [
        render(TEXT, "change", {"id": c.id, "what": describe(c)}, lang) for c in change.changed
    ]
    why = render(TEXT, "kept", {}, lang) if removal_kept else ""
    lines += [render(TEXT, "remove", {"id": i, "why": why}, lang) for i in change.removed]
    for p in change.undecided:
        params = {
            "id": p.id,
            "category": p.fields["category"],
            "note": p.note,
            "what": _what(p.fields),
        }
        lines.append(render(TEXT, "decide", params, lang))
    counts = {
        "added": len(change.added),
        "changed": len(change.changed),
        "removed": len(change.removed),
        "undecided": len(change.undecided),
        "unchanged": len(change.unchanged),
    }
    lines.append(render(TEXT, "total", counts, lang))
    return lines

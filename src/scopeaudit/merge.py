"""Merge: observations in, devices out (DESIGN §5). Pure; no network, no clock.

Observations are tied into one device when they share an identifier, strongest first: a
serial number, a universally administered MAC, a DHCP client-id, a randomized MAC (only within
this run), then a non-generic mDNS/NetBIOS/DHCP/LLMNR name. Evidence that names another MAC
of the same device ties it too: a Synology ``mac_address=a|b`` TXT, a D-Link ``mac=`` TXT, a
NetBIOS node-status unit id, an LLDP chassis MAC, an AirPlay ``deviceid``, a RAOP instance
``MAC@name``, a Time Machine ``waMA=``, a serial number that is a bare MAC (UPnP). Never
the IP alone: an observation that carries an IP but no MAC (a unicast answer to a name or
SNMP query) speaks for the MAC that held that IP at that time (the ARP/nmap address
bindings), and is tied as if that MAC had sent it; with no binding it joins the device
holding that IP, and becomes a device of its own only when nothing else holds it (a routed
host seen through nmap).

System names tie too, more carefully, and only when seen within ``SAME_TIME`` of each other
(a replaced server often keeps its predecessor's name): an SNMP agent's sysName with the same
sysObjectID (a router answering on a routed interface; a server's two NICs), an LLDP system
name or CDP device id from two MACs of the same manufacturer, unless the name is the model's
own (Yealink phones announce ``SIP-T46U``). LLDP and CDP names and DHCP FQDNs are listed as
host names.

SNMP tables (docs/snmp.md): a router's neighbour row is an address binding like an ARP reply,
and the only one that gives a routed host its real MAC (a row the router itself marks STALE is
no sighting for a randomized MAC, one for a stable MAC); a switch's forwarding row names the
access port of its MAC (``switch_port``, the latest row), except rows of an uplink port, which
tie nothing; a remote LLDP row ties by its chassis MAC and lists its system name.

Imported leases and inventory rows tie by their MACs, serial and DHCP client-id; an expired
or free lease (``active: false``) stays in the snapshot but builds no device.

A MAC that answered ARP for many addresses, or for an address another MAC answered for too
while it answered for more, is a router doing proxy ARP: it is flagged ``proxy_arp`` and those
answers neither give it the addresses nor pull other evidence in.

Device ids are ``dev-`` and 12 hex digits of the SHA-256 of the strongest stable identifier
(serial, else the lowest universal MAC, else the DHCP client-id, else the name, else a
randomized MAC, else — for a routed host with nothing else — the IP; the last two are flagged
with an ``identity.weak`` reason). With ``previous_devices``, a device sharing a stable
identifier with a previous one keeps its id and first sighting.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum

from scopeaudit import oui
from scopeaudit.macaddr import is_locally_administered, is_mac, is_multicast, normalize_mac
from scopeaudit.models import Device, Observation, ObservationKind, Reason, SwitchPort

# A MAC answering ARP for this many distinct addresses is doing proxy ARP (a router), not a
# multi-address host: servers rarely carry more than a couple of aliases on one interface.
PROXY_ARP_MIN_ADDRESSES = 3
# A MAC announcing this many different host names speaks for others (an mDNS gateway).
REFLECTOR_MIN_NAMES = 3
PROXY_ARP_WINDOW = timedelta(seconds=60)
# System names tie two sightings only this close in time: a scan lasts minutes, a long capture
# may hold a server and, hours later, its replacement under the same name.
SAME_TIME = timedelta(hours=1)
_PROXY_HOWS = frozenset({"arp-reply", "neighbour-cache", "router-table"})
_NAME_ORIGINS = frozenset({"dhcp", "mdns", "nbns", "llmnr"})
# TXT keys that carry the device's own MAC(s): Synology, D-Link, AirPlay.
_MAC_TXT_KEYS = ("mac_address", "mac", "deviceid")
_WAMA = re.compile(r"waMA=([0-9A-Fa-f:]{17})")
_RAOP = re.compile(r"^([0-9A-Fa-f]{12})@")
# Factory names shared by every unit of a product or OS: they tell nothing about which unit.
_GENERIC_NAMES = frozenset(
    {
        "",
        "localhost",
        "localhost.localdomain",
        "_gateway",
        "android",
        "iphone",
        "ipad",
        "macbook",
        "unknown",
        "raspberrypi",
        "ubuntu",
        "debian",
        "dhcp",
        "host",
        "device",
        "router",
        "switch",
        "localcam",
        "espressif",
        "esp",
        "workgroup",
        "mshome",
        "printer",
    }
)
_GENERIC_PATTERNS = (
    re.compile(r"^android[-_]?[0-9a-f]*$"),
    re.compile(r"^[0-9a-f]{12}$"),  # a bare MAC as a name
    re.compile(r"^(galaxy|iphone|ipad|pixel)[-_ ]?\w{0,4}$"),
)


class Weight(IntEnum):
    """How far an identifier can be trusted to name one device."""

    IP = 10
    SYSTEM_NAME = 40
    NAME = 50
    RANDOM_MAC = 60
    CLIENT_ID = 80
    MAC = 90
    SERIAL = 100


Key = tuple[Weight, str]


def normalize_name(name: str) -> str:
    """The comparison form of a host name: lower case, without ``.local`` or a trailing dot."""
    value = name.strip().rstrip(".").lower()
    return value.removesuffix(".local")


def is_generic_name(name: str) -> bool:
    """True for names every unit of a product or OS carries (``raspberrypi``, ``android-…``)."""
    value = normalize_name(name)
    if value in _GENERIC_NAMES:
        return True
    return any(pattern.match(value) for pattern in _GENERIC_PATTERNS)


@functools.lru_cache(maxsize=65536)
def _mac_key(text: str) -> Key | None:
    if not is_mac(text):
        return None
    mac = normalize_mac(text)
    if is_multicast(mac) or mac == "00:00:00:00:00:00":
        return None
    weight = Weight.RANDOM_MAC if oui.is_randomized(mac) else Weight.MAC
    return (weight, mac)


def _macs_in(value: str) -> list[Key]:
    keys = (_mac_key(part) for part in re.split(r"[|,; ]+", value) if part)
    return [key for key in keys if key is not None]


def _serial_key(value: object) -> Key | None:
    """A serial number; UPnP devices often give their MAC as one (Synology: ``9009d01a2b3c``)."""
    if not isinstance(value, str) or not value.strip("\x00 "):
        return None
    serial = value.strip("\x00 ")
    if re.fullmatch(r"[0-9A-Fa-f]{12}", serial):
        as_mac = _mac_key(":".join(serial[i : i + 2] for i in range(0, 12, 2)))
        if as_mac is not None:
            return as_mac
    return _mac_key(serial) or (Weight.SERIAL, serial)


def _client_id_key(client_id: str) -> Key:
    """Option 61; ``01`` + a MAC (iOS, Windows) is that MAC, as steady as it and no more."""
    value = client_id.lower().replace(":", "")
    if re.fullmatch(r"01[0-9a-f]{12}", value):
        as_mac = _mac_key(":".join(value[i : i + 2] for i in range(2, 14, 2)))
        if as_mac is not None:
            return as_mac
    return (Weight.CLIENT_ID, client_id.lower())


def _is_model_name(name: str, *descriptions: object) -> bool:
    """A system name that its own description or model fields contain is the factory default."""
    value = normalize_name(name)
    return any(isinstance(text, str) and value in text.lower() for text in descriptions)


def _system_name_keys(observation: Observation, sender: str | None) -> list[Key]:
    """SNMP sysName scoped by sysObjectID; LLDP/CDP names scoped by the sender's manufacturer."""
    data = observation.data
    kind = observation.kind
    if kind is ObservationKind.SNMP_SYSTEM:
        name, oid = str(data.get("sysName") or ""), str(data.get("sysObjectID") or "")
        if oid and not is_generic_name(name):
            return [(Weight.SYSTEM_NAME, f"snmp|{oid}|{normalize_name(name)}")]
        return []
    if kind is ObservationKind.LLDP:
        name = str(data.get("system_name") or "")
        med = data.get("med") or {}
        model = _is_model_name(name, data.get("system_description"), med.get("model"))
        model = model or _is_model_name(name, med.get("hardware"))
    elif kind is ObservationKind.CDP:
        name = str(data.get("device_id") or "")
        model = _is_model_name(name, data.get("platform"))
    else:
        return []
    vendor = oui.vendor_of(sender) if sender and is_mac(sender) else None
    if vendor is None or model or is_generic_name(name):
        return []
    return [(Weight.SYSTEM_NAME, f"l2|{vendor}|{normalize_name(name)}")]


def identity_keys(observation: Observation, bound_mac: str | None = None) -> list[Key]:
    """The identifiers an observation carries, strongest first (no IP: that is not identity).

    ``bound_mac``: for an observation without a MAC, the MAC that held its IP at that time.
    """
    keys: list[Key] = []
    if observation.kind is ObservationKind.TTL:
        # The TTL belongs to the sender's IP stack; the MAC may be the router that forwarded it.
        return keys
    if observation.kind is ObservationKind.SNMP_FDB and observation.data.get("uplink"):
        # A MAC behind an uplink is "somewhere beyond this port": no sighting of its own.
        return keys
    sender = observation.mac or bound_mac
    if sender:
        key = _mac_key(sender)
        if key is not None:
            keys.append(key)
    data = observation.data
    kind = observation.kind
    keys += _system_name_keys(observation, sender)
    if kind is ObservationKind.DHCP and data.get("client_id"):
        keys.append(_client_id_key(str(data["client_id"])))
    elif kind is ObservationKind.HOSTNAME and data.get("origin") in _NAME_ORIGINS:
        if sender and not is_generic_name(str(data.get("name", ""))):
            keys.append((Weight.NAME, normalize_name(str(data["name"]))))
    elif kind is ObservationKind.MDNS_SERVICE:
        txt = data.get("txt") or {}
        for txt_key in _MAC_TXT_KEYS:
            if isinstance(txt.get(txt_key), str):
                keys += _macs_in(txt[txt_key])
        # Time Machine disks announce the Wi-Fi MAC as sys=waMA=...; RAOP names start MAC@.
        found = _WAMA.search(str(txt.get("sys", "")))
        if found:
            keys += _macs_in(found.group(1))
        raop = _RAOP.match(str(data.get("instance", "")))
        if raop and data.get("type") == "_raop._tcp":
            keys += _macs_in(raop.group(1))
        serial_key = _serial_key(txt.get("serial"))
        if serial_key is not None:
            keys.append(serial_key)
    elif kind is ObservationKind.NBNS and data.get("unit_id"):
        key = _mac_key(str(data["unit_id"]))
        if key is not None:
            keys.append(key)
    elif kind is ObservationKind.LLDP:
        key = _mac_key(str(data.get("chassis_id", "")))
        if key is not None:
            keys.append(key)
        serial_key = _serial_key((data.get("med") or {}).get("serial"))
        if serial_key is not None:
            keys.append(serial_key)
    elif kind is ObservationKind.SSDP:
        serial_key = _serial_key((data.get("description") or {}).get("serialNumber"))
        if serial_key is not None:
            keys.append(serial_key)
    elif kind is ObservationKind.INVENTORY:
        keys += _inventory_keys(data)
    return list(dict.fromkeys(keys))


def _inventory_keys(data: dict[str, object]) -> list[Key]:
    """An imported lease or inventory row: its MACs, serial and DHCP client-id."""
    keys: list[Key] = []
    macs = data.get("macs")
    for mac in macs if isinstance(macs, list) else []:
        keys += _macs_in(str(mac))
    serial_key = _serial_key(data.get("serial"))
    if serial_key is not None:
        keys.append(serial_key)
    if isinstance(data.get("client_id"), str) and data["client_id"]:
        keys.append(_client_id_key(str(data["client_id"])))
    return keys


def _absent(observation: Observation) -> bool:
    """An expired or free lease, or a router's STALE neighbour row for a randomized MAC (a
    phone's previous random MAC lingers under its old address): the device was there once,
    which is no sighting now. A STALE row for a stable MAC does count: a Linux router keeps the
    entry of a host that only ever talks to it (a silent laptop) STALE for good, since nothing
    makes it confirm the host's reachability; the row is all the network says about it."""
    if observation.kind is ObservationKind.SNMP_NEIGHBOR:
        mac = observation.mac or ""
        return observation.data.get("state") == "stale" and (
            not is_mac(mac) or is_locally_administered(mac)
        )
    return observation.kind is ObservationKind.INVENTORY and observation.data.get("active") is False


@dataclass
class _Group:
    members: list[int] = field(default_factory=list)
    keys: set[Key] = field(default_factory=set)


class _UnionFind:
    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.serials: list[set[str]] = [set() for _ in range(size)]

    def find(self, item: int) -> int:
        while self.parent[item] != item:
            self.parent[item] = self.parent[self.parent[item]]
            item = self.parent[item]
        return item

    def union(self, a: int, b: int, *, guarded: bool = False) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return
        serials_a, serials_b = self.serials[root_a], self.serials[root_b]
        # A weak tie (a name) never joins two devices that report different serial numbers.
        if guarded and serials_a and serials_b and not serials_a & serials_b:
            return
        self.parent[root_b] = root_a
        serials_a |= serials_b


def _reflectors(senders: Sequence[str | None], keys_of: list[list[Key]]) -> set[str]:
    """MACs announcing many hosts' names: mDNS gateways and reflectors, whose names don't tie."""
    names: dict[str, set[str]] = defaultdict(set)
    for sender, keys in zip(senders, keys_of, strict=True):
        if sender:
            names[sender] |= {value for weight, value in keys if weight is Weight.NAME}
    return {mac for mac, found in names.items() if len(found) >= REFLECTOR_MIN_NAMES}


# A router's neighbour table (SNMP) binds too: it is the one source that knows a routed host's
# own MAC, which frames from behind the router never carry.
_BINDING_KINDS = frozenset(
    {ObservationKind.ADDRESS, ObservationKind.INTERFACE, ObservationKind.SNMP_NEIGHBOR}
)


def _bound_macs(observations: Sequence[Observation], proxy: _Proxy) -> dict[int, str]:
    """For each observation with an IP but no MAC: the MAC holding that IP at its time.

    Bindings are the address observations (ARP, nmap, neighbour cache, own interfaces): the
    latest at or before the observation, else the first after it. Proxy-ARP answers bind
    nothing; a routed host has no binding (its frames carry the router's MAC, stripped).
    """
    bindings: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for observation in observations:
        if (
            observation.kind in _BINDING_KINDS
            and not _absent(observation)
            and observation.mac
            and observation.ip
            and _mac_key(observation.mac) is not None
            and not _is_proxied(observation, proxy)
        ):
            bindings[observation.ip].append((observation.time, normalize_mac(observation.mac)))
    for entries in bindings.values():
        entries.sort()
    bound: dict[int, str] = {}
    for index, observation in enumerate(observations):
        if observation.mac or not observation.ip or observation.ip not in bindings:
            continue
        entries = bindings[observation.ip]
        # The last binding at or before the observation's time (ties: the last of them).
        position = bisect.bisect_right(entries, observation.time, key=lambda entry: entry[0])
        bound[index] = entries[position - 1][1] if position else entries[0][1]
    return bound


def _union_keys(
    finder: _UnionFind, observations: Sequence[Observation], keys_of: list[list[Key]]
) -> None:
    """Strong identifiers first, names last and guarded, so serials are known when names tie.

    System names tie only sightings within ``SAME_TIME`` of one another.
    """
    owner: dict[Key, int] = {}
    sightings: dict[Key, list[tuple[datetime, int]]] = defaultdict(list)
    for strong in (True, False):
        for index, keys in enumerate(keys_of):
            for key in keys:
                if (key[0] > Weight.NAME) != strong:
                    continue
                if key[0] is Weight.SYSTEM_NAME:
                    sightings[key].append((observations[index].time, index))
                elif key in owner:
                    finder.union(owner[key], index, guarded=not strong)
                else:
                    owner[key] = index
    # Sightings chained by gaps of at most SAME_TIME: the same groups as "any two within it".
    for seen in sightings.values():
        seen.sort()
        for (earlier, first), (later, second) in itertools.pairwise(seen):
            if later - earlier <= SAME_TIME:
                finder.union(first, second, guarded=True)


def merge(
    observations: Sequence[Observation], previous_devices: Iterable[Device] | None = None
) -> list[Device]:
    """Devices built from ``observations``; ``evidence`` indexes into that sequence."""
    count = len(observations)
    proxy = _proxy_arp(observations)
    bound = _bound_macs(observations, proxy)
    keys_of = [
        [] if _absent(o) else identity_keys(o, bound.get(i)) for i, o in enumerate(observations)
    ]
    senders = [o.mac or bound.get(i) for i, o in enumerate(observations)]
    reflectors = _reflectors(senders, keys_of)
    for sender, keys in zip(senders, keys_of, strict=True):
        if sender in reflectors:
            keys[:] = [key for key in keys if key[0] is not Weight.NAME]
    finder = _UnionFind(count)
    for index, keys in enumerate(keys_of):
        finder.serials[index] = {value for weight, value in keys if weight is Weight.SERIAL}
    _union_keys(finder, observations, keys_of)

    # Addresses: which group holds which IP (from observations that carry a MAC).
    holders: dict[str, dict[int, datetime]] = defaultdict(dict)
    for index, observation in enumerate(observations):
        if observation.ip and keys_of[index] and not _is_proxied(observation, proxy):
            root = finder.find(index)
            seen = holders[observation.ip].get(root)
            if seen is None or observation.time > seen:
                holders[observation.ip][root] = observation.time
    ip_groups: dict[str, int] = {}
    placed: dict[int, int] = {}  # observation → representative
    for index, observation in enumerate(observations):
        if _absent(observation):
            continue
        if keys_of[index]:
            placed[index] = finder.find(index)
        elif observation.ip:
            owners = holders.get(observation.ip)
            if owners:  # the group that held the address most recently
                placed[index] = max(owners.items(), key=lambda item: item[1])[0]
            elif observation.kind is not ObservationKind.TTL:
                # Nothing else holds it: a routed host (nmap) is a device of its own.
                placed[index] = ip_groups.setdefault(observation.ip, index)

    groups: dict[int, _Group] = defaultdict(_Group)
    for index, representative in placed.items():
        root = finder.find(representative)
        groups[root].members.append(index)
        groups[root].keys.update(keys_of[index])

    previous = list(previous_devices or [])
    devices = [
        _device(observations, group, proxy, previous)
        for group in sorted(groups.values(), key=lambda g: g.members[0])
    ]
    return _unique_ids(devices)


@dataclass
class _Proxy:
    """Proxy-ARP evidence: the MACs doing it, and which (MAC, IP) answers were borrowed."""

    macs: set[str] = field(default_factory=set)
    borrowed: set[tuple[str, str]] = field(default_factory=set)


def _proxy_arp(observations: Sequence[Observation]) -> _Proxy:
    """Two signs: one MAC answering for many addresses, or for an address another MAC holds.

    In the second case the MAC that answers for more addresses is the proxy; two MACs with one
    address each are an address conflict, not proxy ARP.
    """
    addresses: dict[str, set[str]] = defaultdict(set)
    answerers: dict[str, set[str]] = defaultdict(set)
    when: dict[tuple[str, str], datetime] = {}
    for observation in observations:
        if (
            observation.kind is ObservationKind.ADDRESS
            and observation.data.get("how") in _PROXY_HOWS
            and observation.mac
            and observation.ip
        ):
            addresses[observation.mac].add(observation.ip)
            answerers[observation.ip].add(observation.mac)
            pair = (observation.mac, observation.ip)
            when[pair] = min(when.get(pair, observation.time), observation.time)
    proxy = _Proxy()
    for mac, ips in addresses.items():
        if len(ips) >= PROXY_ARP_MIN_ADDRESSES:
            proxy.macs.add(mac)
            proxy.borrowed |= {(mac, ip) for ip in ips}
    for ip, macs in answerers.items():
        times = sorted(when[(mac, ip)] for mac in macs)
        # Answers minutes apart are an address that moved, not two answers to one request.
        if len(macs) < 2 or times[-1] - times[0] > PROXY_ARP_WINDOW:
            continue
        most = max(len(addresses[mac]) for mac in macs)
        for mac in macs:
            if len(addresses[mac]) == most >= 2 and len(addresses[mac]) > min(
                len(addresses[other]) for other in macs
            ):
                proxy.macs.add(mac)
                proxy.borrowed.add((mac, ip))
    return proxy


def _is_proxied(observation: Observation, proxy: _Proxy) -> bool:
    """An ARP answer a proxy-ARP router gave for someone else's address."""
    return (
        observation.kind is ObservationKind.ADDRESS
        and observation.data.get("how") in _PROXY_HOWS
        and (observation.mac or "", observation.ip or "") in proxy.borrowed
    )


def _strongest(keys: set[Key], hostnames: list[str], ips: list[str]) -> tuple[str, str | None]:
    """(basis, value) of the identifier the id derives from; randomized MACs only last."""
    for weight, basis in (
        (Weight.SERIAL, "serial"),
        (Weight.MAC, "mac"),
        (Weight.CLIENT_ID, "client_id"),
        (Weight.NAME, "name"),
    ):
        values = sorted(value for w, value in keys if w is weight)
        if values:
            return basis, values[0]
    names = sorted(normalize_name(n) for n in hostnames if not is_generic_name(n))
    if names:  # e.g. the PTR name of a routed host: steadier than its address
        return "name", names[0]
    # Android keeps one random MAC per network: steadier than a DHCP-assigned address.
    randoms = sorted(value for w, value in keys if w is Weight.RANDOM_MAC)
    if randoms:
        return "random_mac", randoms[0]
    return ("ip", ips[0]) if ips else ("none", None)


def _stable(keys: set[Key]) -> set[Key]:
    return {key for key in keys if key[0] is not Weight.RANDOM_MAC}


def _device(
    observations: Sequence[Observation],
    group: _Group,
    proxy: _Proxy,
    previous: list[Device],
) -> Device:
    members = sorted(group.members)
    chosen = [observations[i] for i in members]
    macs = sorted({w_v[1] for w_v in group.keys if w_v[0] in (Weight.MAC, Weight.RANDOM_MAC)})
    # Never a TTL's MAC: for a routed host it is the router's, which forwarded the packet.
    macs += sorted(
        {o.mac for o in chosen if o.mac and o.mac not in macs and o.kind is not ObservationKind.TTL}
    )
    universal = sorted(value for weight, value in group.keys if weight is Weight.MAC)
    ips = sorted(
        {o.ip for o in chosen if o.ip and not _is_proxied(o, proxy)},
        key=lambda ip: tuple(int(part) for part in ip.split(".")),
    )
    hostnames = list(dict.fromkeys(name for o in chosen for name in _announced_names(o)))
    basis, value = _strongest(group.keys, hostnames, ips)
    reasons = []
    if basis in ("ip", "random_mac", "none"):
        reasons.append(
            Reason(
                code="identity.weak",
                params={"basis": basis},
                text=f"no stable identifier: the id derives from the {basis.replace('_', ' ')}",
            )
        )
    device_id = "dev-" + hashlib.sha256(f"{basis}:{value}".encode()).hexdigest()[:12]
    first_seen = min(o.time for o in chosen)
    match = _previous_match(group.keys, previous)
    if match is not None:
        device_id = match.id
        if match.first_seen is not None:
            first_seen = min(first_seen, match.first_seen)
    return Device(
        id=device_id,
        macs=macs,
        ips=ips,
        hostnames=hostnames,
        vendor=_vendor(universal, chosen),
        randomized_mac=not universal and any(w is Weight.RANDOM_MAC for w, _ in group.keys),
        scanner=any(
            o.kind is ObservationKind.INTERFACE and o.data.get("scanner") is True for o in chosen
        ),
        proxy_arp=any(mac in proxy.macs for mac in macs),
        switch_port=_switch_port(chosen),
        first_seen=first_seen,
        last_seen=max(o.time for o in chosen),
        evidence=members,
        reasons=reasons,
    )


def _switch_port(chosen: list[Observation]) -> SwitchPort | None:
    """The access port of the latest FDB row (not an uplink's) among a device's evidence."""
    rows = [
        o
        for o in chosen
        if o.kind is ObservationKind.SNMP_FDB
        and not o.data.get("uplink")
        and isinstance(o.data.get("port"), int)
        and isinstance(o.data.get("reporter_ip"), str)
    ]
    if not rows:
        return None
    row = max(rows, key=lambda o: o.time)
    data = row.data
    name, if_name, vlan = data.get("reporter_name"), data.get("if_name"), data.get("vlan")
    return SwitchPort(
        switch_ip=data["reporter_ip"],
        switch_name=name if isinstance(name, str) else None,
        port=data["port"],
        if_name=if_name if isinstance(if_name, str) else None,
        vlan=vlan if isinstance(vlan, int) else None,
        seen_at=row.time,
    )


def _announced_names(observation: Observation) -> list[str]:
    """Host names an observation gives: name records, DHCP FQDNs (option 81), LLDP system
    names, CDP device ids."""
    key = {
        ObservationKind.HOSTNAME: "name",
        ObservationKind.DHCP: "fqdn",
        ObservationKind.LLDP: "system_name",
        ObservationKind.SNMP_LLDP: "system_name",
        ObservationKind.CDP: "device_id",
    }.get(observation.kind)
    value = observation.data.get(key) if key else None
    return [value] if isinstance(value, str) and value.strip("\x00 ") else []


def _vendor(universal: list[str], chosen: list[Observation]) -> str | None:
    for mac in universal:
        vendor = oui.vendor_of(mac)
        if vendor is not None:
            return vendor
    for observation in chosen:  # nmap's own table, for MACs our data does not know
        reported = observation.data.get("vendor")
        if observation.kind is ObservationKind.ADDRESS and isinstance(reported, str):
            return oui.canonical_vendor(reported)
    return None


def _previous_keys(device: Device) -> set[Key]:
    keys: set[Key] = set()
    for mac in device.macs:
        key = _mac_key(mac)
        if key is not None:
            keys.add(key)
    if device.randomized_mac or not any(k[0] is Weight.MAC for k in keys):
        keys |= {
            (Weight.NAME, normalize_name(n)) for n in device.hostnames if not is_generic_name(n)
        }
    return _stable(keys)


def _previous_match(keys: set[Key], previous: list[Device]) -> Device | None:
    """The previous device sharing the strongest stable identifier with this group."""
    stable = _stable(keys)
    best: tuple[int, Device] | None = None
    for device in previous:
        shared = stable & _previous_keys(device)
        if shared:
            score = max(weight for weight, _ in shared)
            if best is None or score > best[0]:
                best = (score, device)
    return best[1] if best else None


def _unique_ids(devices: list[Device]) -> list[Device]:
    """Two groups can match the same previous device: only the first keeps its id."""
    seen: set[str] = set()
    for device in devices:
        if device.id in seen:
            basis = ",".join(device.macs + device.ips + device.hostnames) or str(device.evidence)
            device.id = "dev-" + hashlib.sha256(f"split:{basis}".encode()).hexdigest()[:12]
        seen.add(device.id)
    return devices

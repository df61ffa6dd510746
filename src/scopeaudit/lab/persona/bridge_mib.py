"""BRIDGE-MIB and Q-BRIDGE-MIB of a switch persona, from its kernel bridge, for snmpd.

Run by snmpd as a ``pass_persist`` script (``python -m scopeaudit.lab.persona.bridge_mib br0``)
in the switch persona's namespace. Each request reads the kernel's forwarding table
(``bridge -j fdb show br br0``: afresh for each GET and each new walk; a walk continues on
the reading it began with, for at most ``MAX_AGE_S``) and the bridge's ports from sysfs, so
moving or stopping a persona changes what a walk returns. Served:

- dot1dBaseBridgeAddress, dot1dBaseNumPorts, dot1dBaseType (1.3.6.1.2.1.17.1.1-3),
- dot1dBasePortTable: dot1dBasePort, dot1dBasePortIfIndex (1.3.6.1.2.1.17.1.4.1.1-2),
- dot1dTpAgingTime (1.3.6.1.2.1.17.4.2),
- dot1dTpFdbTable: address, port, status (1.3.6.1.2.1.17.4.3.1.1-3),
- dot1qTpFdbTable: port, status, indexed by FID and MAC (1.3.6.1.2.1.17.7.1.2.2.1.2-3).

``--ifnames`` serves instead IF-MIB ifName (1.3.6.1.2.1.31.1.1.1.1) from the kernel's current
link names: net-snmp 5.9 keeps a renamed link's old ifName (its ifDescr follows), and a re-plug
renames the port, so the switch persona registers this column too.

Only learned entries (status learned(3)) and the bridge's own address (self(4), port 0) are
served; the kernel's multicast and per-port permanent entries are not forwarding information a
switch would show. Port numbers come from the port names (``gi1-0-<n>`` is port n), so a port
keeps its number across re-plugs. This kernel has no VLAN filtering: its one filtering database
is served as FID ``--fid`` (1, the default VLAN).

The pure part (``fdb_rows``, ``base_rows``, ``get``, ``get_next``) is tested on recorded kernel
output; ``main`` is the pass_persist loop.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

Oid = tuple[int, ...]

BRIDGE_MIB: Oid = (1, 3, 6, 1, 2, 1, 17)
BASE = (*BRIDGE_MIB, 1)
BASE_PORT_ENTRY = (*BASE, 4, 1)
TP_AGING = (*BRIDGE_MIB, 4, 2, 0)
TP_FDB_ENTRY = (*BRIDGE_MIB, 4, 3, 1)
Q_TP_FDB_ENTRY = (*BRIDGE_MIB, 7, 1, 2, 2, 1)
IF_NAME: Oid = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)

LEARNED = 3  # dot1dTpFdbStatus learned(3)
SELF = 4  # self(4): one of the bridge's own addresses
TRANSPARENT_ONLY = 2  # dot1dBaseType
MAX_AGE_S = 1.0
PORT_NAME = re.compile(r"^gi\d+-\d+-(\d+)$")


@dataclass(frozen=True)
class Port:
    name: str
    number: int  # dot1dBasePort
    ifindex: int


@dataclass(frozen=True)
class Value:
    type: str  # a pass_persist type: integer, octet, objectid…
    text: str


Rows = list[tuple[Oid, Value]]


def port_number(name: str, kernel_port_no: int) -> int:
    """``gi1-0-7`` is port 7 whatever the kernel numbered it; other names keep the kernel's."""
    match = PORT_NAME.match(name)
    return int(match.group(1)) if match else kernel_port_no


def _mac_arcs(mac: str) -> Oid:
    return tuple(int(part, 16) for part in mac.split(":"))


def _octets(mac: str) -> Value:
    return Value("octet", " ".join(part.upper() for part in mac.split(":")))


def _multicast(mac: str) -> bool:
    return bool(int(mac[:2], 16) & 1)


def fdb_rows(
    entries: Sequence[dict[str, Any]], bridge: str, ports: Sequence[Port], fid: int
) -> Rows:
    """dot1dTpFdbTable and dot1qTpFdbTable rows from ``bridge -j fdb show br BRIDGE`` (unsorted).

    Kept: entries of the bridge's own database (``master`` is the bridge) that were learned on
    one of its ports, and the bridge device's own permanent address. An address learned on a
    port that is not (or no longer) in ``ports`` is skipped: the table would be inconsistent.
    """
    by_name = {port.name: port for port in ports}
    found: dict[str, tuple[int, int]] = {}  # mac -> (port, status)
    for entry in entries:
        mac = str(entry.get("mac", "")).lower()
        if not re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", mac) or _multicast(mac):
            continue
        if entry.get("master") != bridge:
            continue  # a device's own (self) table: multicast filters, not forwarding
        state = entry.get("state", "")
        ifname = entry.get("ifname")
        if state == "" and ifname in by_name:
            found[mac] = (by_name[ifname].number, LEARNED)
        elif state == "permanent" and ifname == bridge:
            found.setdefault(mac, (0, SELF))
    rows: Rows = []
    for mac, (port, status) in found.items():
        arcs = _mac_arcs(mac)
        rows.append(((*TP_FDB_ENTRY, 1, *arcs), _octets(mac)))
        rows.append(((*TP_FDB_ENTRY, 2, *arcs), Value("integer", str(port))))
        rows.append(((*TP_FDB_ENTRY, 3, *arcs), Value("integer", str(status))))
        rows.append(((*Q_TP_FDB_ENTRY, 2, fid, *arcs), Value("integer", str(port))))
        rows.append(((*Q_TP_FDB_ENTRY, 3, fid, *arcs), Value("integer", str(status))))
    return rows


def base_rows(bridge_mac: str, ports: Sequence[Port], ageing_s: int) -> Rows:
    """The dot1dBase group, the port table and dot1dTpAgingTime."""
    rows: Rows = [
        ((*BASE, 1, 0), _octets(bridge_mac)),
        ((*BASE, 2, 0), Value("integer", str(len(ports)))),
        ((*BASE, 3, 0), Value("integer", str(TRANSPARENT_ONLY))),
        (TP_AGING, Value("integer", str(ageing_s))),
    ]
    for port in ports:
        rows.append(((*BASE_PORT_ENTRY, 1, port.number), Value("integer", str(port.number))))
        rows.append(((*BASE_PORT_ENTRY, 2, port.number), Value("integer", str(port.ifindex))))
    return rows


def ifname_rows(links: Sequence[tuple[int, str]]) -> Rows:
    """ifName rows from ``(ifindex, name)`` pairs."""
    return [((*IF_NAME, index), Value("string", name)) for index, name in links]


def parse_oid(text: str) -> Oid:
    text = text.strip().lstrip(".")
    return tuple(int(arc) for arc in text.split(".")) if text else ()


def format_oid(oid: Oid) -> str:
    return "." + ".".join(str(arc) for arc in oid)


def get(rows: Rows, oid: Oid) -> tuple[Oid, Value] | None:
    return next(((o, v) for o, v in rows if o == oid), None)


def get_next(rows: Rows, oid: Oid) -> tuple[Oid, Value] | None:
    """The first row after ``oid`` in lexicographic order of arcs (``rows`` sorted)."""
    return next(((o, v) for o, v in rows if o > oid), None)


def answer(command: str, oid_text: str, rows: Rows) -> str:
    """The pass_persist reply to one get/getnext/set request (lines without the final newline)."""
    if command == "set":
        return "not-writable"
    try:
        oid = parse_oid(oid_text)
    except ValueError:
        return "NONE"
    found = get(rows, oid) if command == "get" else get_next(rows, oid)
    if found is None:
        return "NONE"
    return f"{format_oid(found[0])}\n{found[1].type}\n{found[1].text}"


# --- reading the kernel ----------------------------------------------------------------------


def read_ports(bridge: str, sys_net: Path = Path("/sys/class/net")) -> list[Port]:
    ports = []
    try:
        names = sorted(entry.name for entry in (sys_net / bridge / "brif").iterdir())
    except OSError:
        return []
    for name in names:
        try:
            kernel_no = int((sys_net / name / "brport" / "port_no").read_text().strip(), 0)
            ifindex = int((sys_net / name / "ifindex").read_text())
        except (OSError, ValueError):
            continue  # leaving the bridge right now
        ports.append(Port(name, port_number(name, kernel_no), ifindex))
    return ports


def read_table(bridge: str, fid: int, sys_net: Path = Path("/sys/class/net")) -> Rows:
    """Every served row, sorted, from the kernel now."""
    ports = read_ports(bridge, sys_net)
    try:
        mac = (sys_net / bridge / "address").read_text().strip()
        ageing_s = int((sys_net / bridge / "bridge" / "ageing_time").read_text()) // 100
    except (OSError, ValueError):
        return []
    done = subprocess.run(
        ["bridge", "-j", "fdb", "show", "br", bridge],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        entries = json.loads(done.stdout or "[]")
    except ValueError:
        entries = []
    rows = base_rows(mac, ports, ageing_s) + fdb_rows(entries, bridge, ports, fid)
    rows.sort(key=lambda row: row[0])
    return rows


def read_ifnames(sys_net: Path = Path("/sys/class/net")) -> Rows:
    links = []
    for entry in sys_net.iterdir():
        try:
            links.append((int((entry / "ifindex").read_text()), entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile
    return sorted(ifname_rows(links), key=lambda row: row[0])


def _stale(cached: tuple[float, Rows] | None, command: str, oid_text: str) -> bool:
    """Read the kernel again, unless this request continues a walk begun under a second ago.

    A walk asks GETNEXT of the row it was just given: answering it from the same reading keeps
    the walk consistent and costs one ``bridge`` run per walk, not per row. A GET, or a GETNEXT
    of anything else (a new walk), always sees the kernel as it is now.
    """
    if cached is None or command != "getnext" or time.monotonic() - cached[0] > MAX_AGE_S:
        return True
    try:
        oid = parse_oid(oid_text)
    except ValueError:
        return True
    return get(cached[1], oid) is None


def serve(stdin: TextIO, stdout: TextIO, table: Callable[[], Rows]) -> None:
    """The pass_persist loop: PING/PONG, then get/getnext/set requests of two lines each."""
    cached: tuple[float, Rows] | None = None
    while True:
        line = stdin.readline()
        if not line:
            return
        command = line.strip().lower()
        if command == "ping":
            stdout.write("PONG\n")
        elif command in ("get", "getnext", "set"):
            oid_text = stdin.readline()
            if command == "set":
                stdin.readline()  # the type and value: this MIB is read-only
                stdout.write(answer(command, oid_text, []) + "\n")
            else:
                if cached is None or _stale(cached, command, oid_text):
                    cached = (time.monotonic(), table())
                stdout.write(answer(command, oid_text, cached[1]) + "\n")
        else:
            continue  # an empty line between requests
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scopeaudit.lab.persona.bridge_mib")
    parser.add_argument("bridge", nargs="?", default="br0")
    parser.add_argument("--fid", type=int, default=1)
    parser.add_argument("--ifnames", action="store_true", help="serve IF-MIB ifName instead")
    args = parser.parse_args(argv)
    if args.ifnames:
        serve(sys.stdin, sys.stdout, read_ifnames)
    else:
        serve(sys.stdin, sys.stdout, lambda: read_table(args.bridge, args.fid))
    return 0


if __name__ == "__main__":
    sys.exit(main())

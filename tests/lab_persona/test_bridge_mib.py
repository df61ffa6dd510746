"""The switch persona's BRIDGE-MIB script, pure part, on recorded ``bridge -j fdb show`` output.

bridge-fdb-office.json was recorded from sw01's br0 in the office lab (pc01 then moved to port
11: its ports are in bridge-ports-office.txt, "name ifindex kernel-port_no"); bridge-fdb-two-ports
.json from a two-port bridge where only pc01's MAC was still learned, with IPv6 multicast noise.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from scopeaudit.lab.persona import bridge_mib
from scopeaudit.lab.persona.bridge_mib import (
    IF_NAME,
    LEARNED,
    Q_TP_FDB_ENTRY,
    SELF,
    TP_FDB_ENTRY,
    Port,
    answer,
    base_rows,
    fdb_rows,
    get_next,
    ifname_rows,
    parse_oid,
    port_number,
)

RECORDED = Path(__file__).parent / "recorded"
SWITCH_MAC = "4c:71:0c:5b:22:01"


def _office() -> tuple[list[dict[str, object]], list[Port]]:
    entries = json.loads((RECORDED / "bridge-fdb-office.json").read_text())
    ports = []
    for line in (RECORDED / "bridge-ports-office.txt").read_text().splitlines():
        name, ifindex, kernel = line.split()
        ports.append(Port(name, port_number(name, int(kernel, 0)), int(ifindex)))
    return entries, ports


def _table(entries: list[dict[str, object]], ports: list[Port]) -> bridge_mib.Rows:
    rows = base_rows(SWITCH_MAC, ports, 30) + fdb_rows(entries, "br0", ports, 1)
    return sorted(rows, key=lambda row: row[0])


def _fdb(rows: bridge_mib.Rows) -> dict[str, tuple[int, int]]:
    """MAC -> (port, status) read back from the dot1dTpFdbTable rows."""
    port = {
        o[-6:]: int(v.text) for o, v in rows if o[: len(TP_FDB_ENTRY) + 1] == (*TP_FDB_ENTRY, 2)
    }
    status = {
        o[-6:]: int(v.text) for o, v in rows if o[: len(TP_FDB_ENTRY) + 1] == (*TP_FDB_ENTRY, 3)
    }
    return {":".join(f"{a:02x}" for a in arcs): (port[arcs], status[arcs]) for arcs in port}


def test_port_numbers_come_from_the_port_names() -> None:
    assert port_number("gi1-0-11", 4) == 11
    assert port_number("gi1-0-24", 1) == 24
    assert port_number("veth7", 3) == 3  # not a switch port name: the kernel's number


def test_office_table_maps_each_plugged_persona_to_its_port() -> None:
    entries, ports = _office()
    fdb = _fdb(_table(entries, ports))
    assert fdb["b0:4f:13:5c:99:01"] == (11, LEARNED)  # pc01, moved to port 11
    assert fdb["f4:d4:88:6a:10:01"] == (4, LEARNED)  # mbp01
    assert fdb["3c:d9:2b:8e:2a:1f"] == (5, LEARNED)  # prn01
    assert fdb["80:5e:c0:7a:15:01"] == (7, LEARNED)  # tel01
    assert fdb["70:10:5c:3a:11:01"] == (24, LEARNED)  # the router, behind the uplink
    assert fdb[SWITCH_MAC] == (0, SELF)
    # Neither multicast filters nor the ports' own random (locally administered) MACs.
    assert not [mac for mac in fdb if int(mac[:2], 16) & 1]
    port_macs = {
        str(e["mac"]) for e in entries if e.get("state") == "permanent" and e["ifname"] != "br0"
    }
    assert port_macs and not port_macs & set(fdb)


def test_two_port_recording_keeps_only_learned_and_own_entries() -> None:
    entries = json.loads((RECORDED / "bridge-fdb-two-ports.json").read_text())
    ports = [Port("gi1-0-3", 3, 3), Port("gi1-0-5", 5, 4)]
    fdb = _fdb(fdb_rows(entries, "br0", ports, 1))
    assert fdb == {
        "b0:4f:13:5c:99:01": (3, LEARNED),
        "3c:d9:2b:8e:2a:1f": (5, LEARNED),
        SWITCH_MAC: (0, SELF),
    }
    # A MAC learned on a port that left the bridge is not served (the table stays consistent).
    assert "3c:d9:2b:8e:2a:1f" not in _fdb(fdb_rows(entries, "br0", ports[:1], 1))


def test_q_bridge_rows_are_indexed_by_fid_then_mac() -> None:
    entries, ports = _office()
    rows = fdb_rows(entries, "br0", ports, 1)
    key = (*Q_TP_FDB_ENTRY, 2, 1, 0xB0, 0x4F, 0x13, 0x5C, 0x99, 0x01)
    assert dict(rows)[key].text == "11"
    assert dict(rows)[(*Q_TP_FDB_ENTRY, 3, 1, 0xB0, 0x4F, 0x13, 0x5C, 0x99, 0x01)].text == "3"


def test_base_rows_port_table_and_counts() -> None:
    _, ports = _office()
    rows = dict(base_rows(SWITCH_MAC, ports, 30))
    assert rows[(1, 3, 6, 1, 2, 1, 17, 1, 2, 0)].text == str(len(ports))
    assert rows[(1, 3, 6, 1, 2, 1, 17, 1, 1, 0)].text == "4C 71 0C 5B 22 01"
    assert rows[(1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 2, 11)].text == "6"  # port 11 -> ifIndex 6
    assert rows[(1, 3, 6, 1, 2, 1, 17, 4, 2, 0)].text == "30"


def test_getnext_walks_in_lexicographic_order_of_arcs() -> None:
    entries, ports = _office()
    rows = _table(entries, ports)
    walked = []
    oid = parse_oid(".1.3.6.1.2.1.17")
    while (found := get_next(rows, oid)) is not None:
        walked.append(found[0])
        oid = found[0]
    assert walked == [o for o, _ in rows]
    assert walked == sorted(walked) and len(set(walked)) == len(walked)
    # By arcs, not by text: port 4 comes before port 11 and port 24.
    ports_walked = [o[-1] for o in walked if o[:-1] == (1, 3, 6, 1, 2, 1, 17, 1, 4, 1, 1)]
    assert ports_walked == sorted(p.number for p in ports)
    assert ports_walked.index(4) < ports_walked.index(11) < ports_walked.index(24)


def test_answers_follow_the_pass_persist_protocol() -> None:
    entries, ports = _office()
    rows = _table(entries, ports)
    assert (
        answer("get", ".1.3.6.1.2.1.17.1.2.0", rows)
        == f".1.3.6.1.2.1.17.1.2.0\ninteger\n{len(ports)}"
    )
    assert answer("getnext", ".1.3.6.1.2.1.17.1.1.0", rows).startswith(".1.3.6.1.2.1.17.1.2.0\n")
    assert answer("get", ".1.3.6.1.2.1.17.1.9.0", rows) == "NONE"
    assert answer("getnext", ".1.3.6.1.2.1.17.99", rows) == "NONE"
    assert answer("get", "garbage", rows) == "NONE"
    assert answer("set", ".1.3.6.1.2.1.17.1.2.0", rows) == "not-writable"


def test_serve_loop_answers_ping_and_requests() -> None:
    entries, ports = _office()
    rows = _table(entries, ports)
    calls = []

    def table() -> bridge_mib.Rows:
        calls.append(1)
        return rows

    stdin = io.StringIO(
        "PING\nget\n.1.3.6.1.2.1.17.4.2.0\ngetnext\n.1.3.6.1.2.1.17.4.2.0\n"
        "set\n.1.3.6.1.2.1.17.4.2.0\ninteger 5\n"
    )
    stdout = io.StringIO()
    bridge_mib.serve(stdin, stdout, table)
    lines = stdout.getvalue().splitlines()
    assert lines[0] == "PONG"
    assert lines[1:4] == [".1.3.6.1.2.1.17.4.2.0", "integer", "30"]
    assert lines[4].startswith(".1.3.6.1.2.1.17.4.3.1.1.")
    assert lines[-1] == "not-writable"
    # The GET read the kernel; the GETNEXT of the row it returned continued on that reading.
    assert len(calls) == 1


def test_a_new_walk_or_a_get_reads_the_kernel_again() -> None:
    entries, ports = _office()
    rows = _table(entries, ports)
    calls = []

    def table() -> bridge_mib.Rows:
        calls.append(1)
        return rows

    requests = [
        "getnext\n.1.3.6.1.2.1.17.4.3\n",  # a walk begins: read
        "getnext\n.1.3.6.1.2.1.17.4.3.1.1.0.12.41.78.17.34\n",  # continues on a row: cached
        "getnext\n.1.3.6.1.2.1.17.4.3\n",  # another walk: read
        "get\n.1.3.6.1.2.1.17.4.2.0\n",  # a GET: read
    ]
    bridge_mib.serve(io.StringIO("".join(requests)), io.StringIO(), table)
    assert len(calls) == 3


def test_ifname_rows() -> None:
    rows = sorted(ifname_rows([(6, "gi1-0-11"), (2, "gi1-0-24")]), key=lambda row: row[0])
    assert [(o, v.type, v.text) for o, v in rows] == [
        ((*IF_NAME, 2), "string", "gi1-0-24"),
        ((*IF_NAME, 6), "string", "gi1-0-11"),
    ]

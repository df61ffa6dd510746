"""Writes cisco-access-dot1q.json: a hand-written walk of a Cisco-like access switch.

Dot1q FIDs for VLANs 10, 20 and 30 (dot1qVlanFdbId maps each VLAN to its own FID), an IP phone
on Gi1/0/2 with a PC behind it, a desk switch with nine MACs on Gi1/0/5, the router behind the
uplink Gi1/0/24 (learned in three VLANs, and an LLDP neighbour that routes), the switch's own
MAC (self, port 0), an invalid row and one dot1dTpFdbTable row repeating a dot1q row. The
expected parse is written out by hand in tests/sources/test_snmp_tables.py.
Run: .venv/bin/python tests/sources/data/snmp_tables/make_cisco_access_dot1q.py
"""

from __future__ import annotations

import json
from pathlib import Path

Bind = list[object]
FDB = "1.3.6.1.2.1.17.7.1.2.2.1"
LLDP = "1.0.8802.1.1.2.1.4.1.1"


def octets(value: str | bytes) -> Bind:
    raw = value if isinstance(value, bytes) else value.encode()
    return ["OctetString", raw.hex()]


def mac(text: str) -> bytes:
    return bytes(int(part, 16) for part in text.split(":"))


def dotted(text: str) -> str:
    return ".".join(str(int(part, 16)) for part in text.split(":"))


def build() -> list[Bind]:
    binds: list[Bind] = [
        ["1.3.6.1.2.1.1.5.0", *octets("SW-ACCESS02")],
        ["1.3.6.1.2.1.1.3.0", "TimeTicks", 8640000],
    ]
    names = {10101: "Gi1/0/1", 10102: "Gi1/0/2", 10103: "Gi1/0/3", 10105: "Gi1/0/5"}
    names[10124] = "Gi1/0/24"
    for index, name in names.items():
        binds.append([f"1.3.6.1.2.1.2.2.1.2.{index}", *octets("GigabitEthernet" + name[2:])])
    for index, name in names.items():
        binds.append([f"1.3.6.1.2.1.31.1.1.1.1.{index}", *octets(name)])
    for port, index in {1: 10101, 2: 10102, 3: 10103, 5: 10105, 24: 10124}.items():
        binds.append([f"1.3.6.1.2.1.17.1.4.1.2.{port}", "Integer", index])
    binds += [[f"1.3.6.1.2.1.17.7.1.4.2.1.3.0.{v}", "Unsigned32", v] for v in (10, 20, 30)]
    fdb = [  # fid, mac, port, status (3 learned, 4 self, 2 invalid)
        (10, "b0:4f:13:5c:99:01", 1, 3),
        (20, "80:5e:c0:7a:15:01", 2, 3),  # IP phone, voice VLAN
        (10, "f4:d4:88:6a:10:01", 2, 3),  # the PC behind the phone, data VLAN
        (30, "20:04:0f:6e:77:01", 3, 3),
        (10, "70:10:5c:3a:11:01", 24, 3),  # the router, behind the uplink
        (20, "70:10:5c:3a:11:01", 24, 3),
        (30, "70:10:5c:3a:11:01", 24, 3),
        (10, "18:66:da:20:30:01", 24, 3),
        (10, "4c:71:0c:5b:aa:01", 0, 4),  # the switch itself
        (10, "00:11:22:33:44:55", 1, 2),  # invalid
    ]
    fdb += [(10, f"00:1b:21:00:00:{n:02x}", 5, 3) for n in range(1, 10)]  # a desk switch
    for fid, address, port, status in fdb:
        binds.append([f"{FDB}.2.{fid}.{dotted(address)}", "Integer", port])
        binds.append([f"{FDB}.3.{fid}.{dotted(address)}", "Integer", status])
    desktop = "b0:4f:13:5c:99:01"
    binds.append([f"1.3.6.1.2.1.17.4.3.1.1.{dotted(desktop)}", *octets(mac(desktop))])
    binds.append([f"1.3.6.1.2.1.17.4.3.1.2.{dotted(desktop)}", "Integer", 1])
    binds.append([f"1.3.6.1.2.1.17.4.3.1.3.{dotted(desktop)}", "Integer", 3])
    binds.append(["1.0.8802.1.1.2.1.3.7.1.4.2", *octets("Gi1/0/2")])
    binds.append(["1.0.8802.1.1.2.1.3.7.1.4.24", *octets("uplink to BR-RTR01")])
    router = mac("70:10:5c:3a:11:01")
    phone = mac("80:5e:c0:7a:15:01")
    neighbours = [
        # local port, index, chassis subtype, chassis, port subtype, port id, port description,
        # system name, system description, capabilities supported, enabled
        (24, 1, 4, router, 5, b"Gi0/0/0", "GigabitEthernet0/0/0", "BR-RTR01",
         "Cisco IOS Software [Cupertino], ISR Software", b"\x28", b"\x08"),
        (2, 2, 4, phone, 3, phone, "WAN PORT", "SIP-T46U", "SIP-T46U 66.86.0.15",
         b"\x24", b"\x24"),
    ]  # fmt: skip
    for local, remote, *values in neighbours:
        suffix = f"0.{local}.{remote}"
        for column, value in zip(range(4, 13), values, strict=True):
            if isinstance(value, int):
                binds.append([f"{LLDP}.{column}.{suffix}", "Integer", value])
            else:
                binds.append([f"{LLDP}.{column}.{suffix}", *octets(value)])
    return binds


if __name__ == "__main__":
    target = Path(__file__).with_name("cisco-access-dot1q.json")
    target.write_text(json.dumps({"10.77.0.3": build()}, indent=0) + "\n")

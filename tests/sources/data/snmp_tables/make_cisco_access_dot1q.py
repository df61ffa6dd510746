"""Hand-written walk of a Cisco-like access switch (dot1q FIDs, VLANs 10/20/30, LLDP)."""
import json
binds = []
def s(oid, text): binds.append([oid, "OctetString", (text if isinstance(text, bytes) else text.encode()).hex()])
def i(oid, n, t="Integer"): binds.append([oid, t, n])
def mac(m): return bytes(int(x, 16) for x in m.split(":"))
def dotted(m): return ".".join(str(int(x, 16)) for x in m.split(":"))
s("1.3.6.1.2.1.1.5.0", "SW-ACCESS02")
i("1.3.6.1.2.1.1.3.0", 8640000, "TimeTicks")
names = {10101: "Gi1/0/1", 10102: "Gi1/0/2", 10103: "Gi1/0/3", 10105: "Gi1/0/5", 10124: "Gi1/0/24"}
for idx, n in names.items(): s(f"1.3.6.1.2.1.2.2.1.2.{idx}", "GigabitEthernet" + n[2:])
for idx, n in names.items(): s(f"1.3.6.1.2.1.31.1.1.1.1.{idx}", n)
ports = {1: 10101, 2: 10102, 3: 10103, 5: 10105, 24: 10124}
for p, idx in ports.items(): i(f"1.3.6.1.2.1.17.1.4.1.2.{p}", idx)
for vlan in (10, 20, 30): i(f"1.3.6.1.2.1.17.7.1.4.2.1.3.0.{vlan}", vlan, "Unsigned32")
fdb = [  # fid, mac, port, status
    (10, "b0:4f:13:5c:99:01", 1, 3),
    (20, "80:5e:c0:7a:15:01", 2, 3),   # IP phone, voice VLAN
    (10, "f4:d4:88:6a:10:01", 2, 3),   # the PC behind the phone, data VLAN
    (30, "20:04:0f:6e:77:01", 3, 3),
    (10, "70:10:5c:3a:11:01", 24, 3),  # the router, behind the uplink
    (20, "70:10:5c:3a:11:01", 24, 3),
    (30, "70:10:5c:3a:11:01", 24, 3),
    (10, "18:66:da:20:30:01", 24, 3),
    (10, "4c:71:0c:5b:aa:01", 0, 4),   # the switch itself: port 0, self
    (10, "00:11:22:33:44:55", 1, 2),   # invalid row
] + [(10, f"00:1b:21:00:00:{n:02x}", 5, 3) for n in range(1, 10)]  # 9 MACs: desk switch
for fid, m, p, st in fdb:
    i(f"1.3.6.1.2.1.17.7.1.2.2.1.2.{fid}.{dotted(m)}", p)
    i(f"1.3.6.1.2.1.17.7.1.2.2.1.3.{fid}.{dotted(m)}", st)
# dot1dTpFdb repeats one dot1q row (default VLAN view): ignored in favour of the FID row.
binds.append([f"1.3.6.1.2.1.17.4.3.1.1.{dotted('b0:4f:13:5c:99:01')}", "OctetString", mac("b0:4f:13:5c:99:01").hex()])
i(f"1.3.6.1.2.1.17.4.3.1.2.{dotted('b0:4f:13:5c:99:01')}", 1)
i(f"1.3.6.1.2.1.17.4.3.1.3.{dotted('b0:4f:13:5c:99:01')}", 3)
s("1.0.8802.1.1.2.1.3.7.1.4.2", "Gi1/0/2")
s("1.0.8802.1.1.2.1.3.7.1.4.24", "uplink to BR-RTR01")
lldp = [  # local port, rem index, chassis subtype, chassis, port subtype, port id, port desc, name, descr, sup, ena
    (24, 1, 4, mac("70:10:5c:3a:11:01"), 5, b"Gi0/0/0", "GigabitEthernet0/0/0", "BR-RTR01", "Cisco IOS Software [Cupertino], ISR Software", bytes([0x28]), bytes([0x08])),
    (2, 2, 4, mac("80:5e:c0:7a:15:01"), 3, mac("80:5e:c0:7a:15:01"), "WAN PORT", "SIP-T46U", "SIP-T46U 66.86.0.15", bytes([0x24]), bytes([0x24])),
]
for lp, ri, cs, cid, ps, pid, pd, sn, sd, sup, ena in lldp:
    base = f"1.0.8802.1.1.2.1.4.1.1"
    idx = f"0.{lp}.{ri}"
    i(f"{base}.4.{idx}", cs); s(f"{base}.5.{idx}", cid); i(f"{base}.6.{idx}", ps); s(f"{base}.7.{idx}", pid)
    s(f"{base}.8.{idx}", pd); s(f"{base}.9.{idx}", sn); s(f"{base}.10.{idx}", sd)
    s(f"{base}.11.{idx}", sup); s(f"{base}.12.{idx}", ena)
json.dump({"10.77.0.3": binds}, open("tests/sources/data/snmp_tables/cisco-access-dot1q.json", "w"), indent=0)

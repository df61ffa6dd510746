"""The persona runtime: what runs inside one lab namespace and makes it look like a device.

``python -m scopeaudit.lab.persona spec.json`` (started by the lab supervisor) reads a spec
(``spec.py``), then serves the kind's TCP/UDP services, announces it (DHCP, LLDP, CDP, mDNS,
SSDP, NetBIOS, LLMNR), runs snmpd, counts canary traffic and writes a JSON state file. Frames are
built with ``struct`` (``frames.py``), never scapy, so twenty personas start in seconds.
"""

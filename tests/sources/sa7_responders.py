"""Name-service responders for the names tests, run inside a test namespace.

Usage: ``python sa7_responders.py FOLDER IP PROTOCOL...`` with protocols among ``mdns``
(python-zeroconf announcing a printer's services), ``nbns`` (node status answers of a Windows
desktop), ``ssdp`` (unicast and multicast M-SEARCH answers, description documents over HTTP on
8080) and ``ssdp-multicast`` (ssdp, joined to 239.255.255.250 as well). Counters the tests read
land in FOLDER: ``http-<path>`` (GETs served), ``print-connections`` (connects to TCP 9100).
"""

from __future__ import annotations

import http.server
import socket
import struct
import sys
import threading
from pathlib import Path

FOLDER = Path(sys.argv[1])
IP = sys.argv[2]
PROTOCOLS = set(sys.argv[3:])
LOCK = threading.Lock()

DESCRIPTION = b"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:Basic:1</deviceType>
    <friendlyName>DS920 (DS920+)</friendlyName>
    <manufacturer>Synology</manufacturer>
    <modelName>DS920+</modelName>
    <modelNumber>DS920+ 7.2-64570</modelNumber>
    <modelDescription>Synology NAS</modelDescription>
    <modelType>NAS</modelType>
    <serialNumber>2040SBRXYZ123</serialNumber>
    <UDN>uuid:73796E6F-6473-6D00-0000-9009d01a2b3c</UDN>
  </device>
</root>
"""


def bump(name: str) -> None:
    with LOCK:
        path = FOLDER / name
        count = int(path.read_text()) if path.exists() else 0
        path.write_text(str(count + 1))


def mdns() -> object:
    from zeroconf import IPVersion, ServiceInfo, Zeroconf

    zc = Zeroconf(interfaces=[IP], ip_version=IPVersion.V4Only)
    address = [socket.inet_aton(IP)]
    for info in (
        ServiceInfo(
            "_ipp._tcp.local.",
            "HP LaserJet Pro M404dn._ipp._tcp.local.",
            addresses=address,
            port=631,
            properties={"ty": "HP LaserJet Pro M404dn", "usb_MFG": "HP", "note": "Étage 2"},
            server="NPI8E2A1F.local.",
        ),
        ServiceInfo(
            "_device-info._tcp.local.",
            "NPI8E2A1F._device-info._tcp.local.",
            addresses=address,
            port=0,
            properties={"model": "Xserve"},
            server="NPI8E2A1F.local.",
        ),
    ):
        zc.register_service(info)
    return zc


def nbns_answer(query: bytes) -> bytes:
    names = [
        (b"DESKTOP-7K3Q2ZD", 0x00, 0x0400),
        (b"WORKGROUP", 0x00, 0x8400),
        (b"DESKTOP-7K3Q2ZD", 0x20, 0x0400),
    ]
    table = bytes([len(names)]) + b"".join(
        name.ljust(15, b" ") + bytes([suffix]) + struct.pack(">H", flags)
        for name, suffix, flags in names
    )
    statistics = bytes.fromhex("b04f135c9901") + b"\x00" * 40
    rdata = table + statistics
    question = query[12 : 12 + 34]
    header = struct.pack(">HHHHHH", struct.unpack(">H", query[:2])[0], 0x8400, 0, 1, 0, 0)
    return header + question + struct.pack(">HHIH", 0x21, 1, 0, len(rdata)) + rdata


def nbns() -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("0.0.0.0", 137))
    while True:
        data, peer = sock.recvfrom(2048)
        if len(data) >= 50 and data[46:48] == b"\x00\x21":
            sock.sendto(nbns_answer(data), peer)


def ssdp_responses(peer_ip: str) -> list[bytes]:
    out = []
    for location, st in (
        (f"http://{IP}:8080/desc.xml", "upnp:rootdevice"),
        ("http://10.97.0.245:8080/desc.xml", "urn:excluded"),  # excluded host: never fetched
        (f"http://{IP}:9100/desc.xml", "urn:printport"),  # printing port: never fetched
        (f"http://{IP}:8080/big.xml", "urn:big"),  # over the size cap
    ):
        out.append(
            (
                "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
                f"LOCATION: {location}\r\nSERVER: Synology/DSM/{IP}\r\nST: {st}\r\n"
                f"USN: uuid:73796E6F-6473-6D00-0000-9009d01a2b3c::{st}\r\n\r\n"
            ).encode()
        )
    return out


def ssdp(multicast: bool) -> None:
    """The multicast responder answers from 1900; the unicast one from another port, as many
    real devices do."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("0.0.0.0", 1900))
    if multicast:
        membership = socket.inet_aton("239.255.255.250") + socket.inet_aton(IP)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    other = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    other.bind((IP, 0))
    while True:
        data, peer = sock.recvfrom(2048)
        if data.startswith(b"M-SEARCH"):
            bump("ssdp-searches")
            for answer in ssdp_responses(peer[0]):
                (sock if multicast else other).sendto(answer, peer)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        bump("http-" + self.path.strip("/"))
        body = DESCRIPTION if self.path == "/desc.xml" else b"<root>" + b"x" * 200_000
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


def print_port() -> None:
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", 9100))
    server.listen(8)
    while True:
        conn, _ = server.accept()
        bump("print-connections")
        conn.close()


keep = []
if "mdns" in PROTOCOLS:
    keep.append(mdns())
if "nbns" in PROTOCOLS:
    threading.Thread(target=nbns, daemon=True).start()
if PROTOCOLS & {"ssdp", "ssdp-multicast"}:
    threading.Thread(target=ssdp, args=("ssdp-multicast" in PROTOCOLS,), daemon=True).start()
    httpd = http.server.ThreadingHTTPServer(("0.0.0.0", 8080), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    threading.Thread(target=print_port, daemon=True).start()
(FOLDER / "ready").write_text("ok\n")
threading.Event().wait()

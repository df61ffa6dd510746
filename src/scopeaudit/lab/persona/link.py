"""Link layer: raw Ethernet frames out (DHCP, LLDP, CDP) and the canary that counts the scanner.

The canary socket carries a classic BPF filter "source MAC = scanner's", so the kernel drops
every other frame before Python sees it: a broadcast storm in a /16 benchmark costs nothing here.
It sees frames before the persona's nftables rules, so a silent (drop-inbound) persona counts too.
"""

from __future__ import annotations

import asyncio
import socket
import struct

from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.frames import ETH_P_ARP, mac_bytes

ETH_P_ALL = 0x0003
SO_ATTACH_FILTER = 26


def scanner_filter(scanner_mac: str) -> bytes:
    """A ``struct sock_fprog`` payload accepting only frames whose source MAC is ``scanner_mac``."""
    raw = mac_bytes(scanner_mac)
    (high,) = struct.unpack("!H", raw[:2])
    (low,) = struct.unpack("!I", raw[2:])
    # (code, jt, jf, k): ldh [6]; jeq high; ld [8]; jeq low; ret all; ret 0
    program = [
        (0x28, 0, 0, 6),
        (0x15, 0, 3, high),
        (0x20, 0, 0, 8),
        (0x15, 0, 1, low),
        (0x06, 0, 0, 0x40000),
        (0x06, 0, 0, 0),
    ]
    return b"".join(struct.pack("HBBI", *instruction) for instruction in program)


def classify_frame(frame: bytes, own_macs: set[bytes], own_ips: set[bytes]) -> tuple[bool, bool]:
    """``(unicast to us, ARP request for one of our IPs)`` for a frame already known to be the
    scanner's. Pure, so the counting rule is tested without sockets."""
    if len(frame) < 14:
        return False, False
    unicast = frame[:6] in own_macs
    arp = (
        len(frame) >= 42
        and frame[12:14] == struct.pack("!H", ETH_P_ARP)
        and frame[20:22] == b"\x00\x01"
        and frame[38:42] in own_ips
    )
    return unicast, arp


class Link:
    """One send socket per interface, plus the canary readers when the scanner's MAC is known."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.senders: dict[str, socket.socket] = {}
        self.canaries: list[socket.socket] = []

    def open(self) -> None:
        for interface in self.ctx.spec.interfaces:
            try:
                sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
                sender.bind((interface.name, 0))
                self.senders[interface.name] = sender
            except OSError as error:
                self.ctx.fail(f"link/{interface.name}", error)
        if self.ctx.spec.scanner_mac:
            self._open_canaries(self.ctx.spec.scanner_mac)

    def _open_canaries(self, scanner_mac: str) -> None:
        program = scanner_filter(scanner_mac)
        loop = asyncio.get_running_loop()
        for interface in self.ctx.spec.interfaces:
            try:
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
                buffer = struct.pack("HL", len(program) // 8, _address_of(program))
                sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, buffer)
                sock.bind((interface.name, ETH_P_ALL))
                sock.setblocking(False)
            except OSError as error:
                self.ctx.fail(f"canary/{interface.name}", error)
                continue
            # Frames that arrived between socket() and the filter: drain them unfiltered.
            _drain(sock)
            loop.add_reader(sock.fileno(), self._on_frame, sock)
            self.canaries.append(sock)
        if self.canaries:
            self.ctx.services.append("canary")

    def _on_frame(self, sock: socket.socket) -> None:
        own_macs = {mac_bytes(mac) for mac in self.ctx.macs.values()}
        own_ips = {socket.inet_aton(ip) for ip in self.ctx.ips}
        for _ in range(256):
            try:
                frame, address = sock.recvfrom(65535)
            except BlockingIOError:
                return
            except OSError:
                return
            if address[2] == socket.PACKET_OUTGOING:
                continue
            unicast, arp = classify_frame(frame, own_macs, own_ips)
            if unicast:
                self.ctx.canary.frames_from_scanner += 1
            if arp:
                self.ctx.canary.arp_requests_from_scanner += 1

    def send(self, interface: str, frame: bytes) -> bool:
        sender = self.senders.get(interface)
        if sender is None:
            return False
        try:
            sender.send(frame)
        except OSError as error:
            self.ctx.fail(f"send/{interface}", error)
            return False
        return True

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for sock in self.canaries:
            loop.remove_reader(sock.fileno())
            sock.close()
        for sock in self.senders.values():
            sock.close()


_keep: list[object] = []


def _address_of(program: bytes) -> int:
    """The address of a buffer holding ``program`` (SO_ATTACH_FILTER takes a pointer)."""
    import ctypes

    buffer = ctypes.create_string_buffer(program)
    _keep.append(buffer)  # the kernel copies the program, but keep it alive until then anyway
    return ctypes.addressof(buffer)


def _drain(sock: socket.socket) -> None:
    while True:
        try:
            sock.recv(65535)
        except (BlockingIOError, OSError):
            return

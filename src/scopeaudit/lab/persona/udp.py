"""UDP responders (SIP, Ubiquiti discovery, generic replies, NetBIOS, SSDP) and the sockets the
persona's own multicast/broadcast emissions leave from."""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import struct
import typing
from collections.abc import Callable

from scopeaudit.lab.persona import frames
from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.spec import UdpService

log = logging.getLogger(__name__)
Handler = Callable[[bytes, tuple[str, int]], bytes | None]


class _Responder(asyncio.DatagramProtocol):
    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # The selector loop's datagram transport does not subclass DatagramTransport.
        self.transport = typing.cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            reply = self.handler(data, addr)
        except (ValueError, IndexError, struct.error, UnicodeError):
            return  # malformed input from the network: ignore it, as a device would
        if reply is not None and self.transport is not None:
            self.transport.sendto(reply, addr)


def bound_socket(port: int, groups: list[str], interface_ips: list[str]) -> socket.socket:
    """A UDP socket on 0.0.0.0:port (shared with other listeners), joined to ``groups``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.bind(("0.0.0.0", port))
    for group in groups:
        for ip in interface_ips:
            mreq = socket.inet_aton(group) + socket.inet_aton(ip)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
    sock.setblocking(False)
    return sock


def multicast_sender(interface_ip: str, ttl: int, port: int = 0) -> socket.socket:
    """A socket whose multicast leaves through ``interface_ip`` (no route needed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, ttl)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface_ip))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
    if port:
        sock.bind(("0.0.0.0", port))
    sock.setblocking(False)
    return sock


class UdpServices:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.transports: list[asyncio.DatagramTransport] = []

    async def listen(self, label: str, port: int, handler: Handler, groups: list[str]) -> None:
        try:
            sock = bound_socket(port, groups, self.ctx.ips)
            transport, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                lambda: _Responder(handler), sock=sock
            )
        except OSError as error:
            self.ctx.fail(label, error)
            log.warning("%s: %s", label, error)
            return
        self.transports.append(transport)
        self.ctx.services.append(label)

    async def start(self) -> None:
        services = self.ctx.spec.kind.services
        for service in services.udp:
            groups = [service.group] if service.group else []
            await self.listen(
                f"udp/{service.port} {service.type}", service.port, self._handler(service), groups
            )
        if services.netbios is not None and services.netbios.answer:
            await self.listen("udp/137 netbios", 137, self._netbios, [])
        if services.ssdp is not None and services.ssdp.answer:
            await self.listen("udp/1900 ssdp", frames.SSDP_PORT, self._ssdp, [frames.SSDP_GROUP])

    def _handler(self, service: UdpService) -> Handler:
        ctx = self.ctx
        if service.type == "sip":
            agent = ctx.render(service.user_agent or "")
            return lambda data, _addr: frames.sip_response(data, agent, ctx.first.address)
        if service.type == "ubnt-discovery":

            def ubnt(data: bytes, _addr: tuple[str, int]) -> bytes | None:
                if not frames.is_ubnt_probe(data):
                    return None
                return frames.ubnt_discovery_reply(
                    ctx.mac_of(ctx.first),
                    ctx.first.address,
                    firmware=ctx.render(service.firmware),
                    hostname=ctx.render(service.hostname),
                    product=ctx.render(service.product),
                    essid=ctx.render(service.essid),
                    uptime=int(asyncio.get_running_loop().time()),
                )

            return ubnt
        match = ctx.render_bytes(service.match)
        response = ctx.render_bytes(service.response)
        return lambda data, _addr: response if data.startswith(match) else None

    def _netbios(self, data: bytes, _addr: tuple[str, int]) -> bytes | None:
        netbios = self.ctx.spec.kind.services.netbios
        query = frames.parse_nbns_query(data)
        if query is None or netbios is None:
            return None
        trn_id, name, suffix, qtype = query
        names = [(self.ctx.render(n.name), n.suffix, n.group) for n in netbios.names]
        if qtype == frames.NBSTAT_TYPE:
            ours = name == "*" or any(name.upper() == n.upper() for n, _, _ in names)
            if not ours:
                return None
            return frames.nbns_node_status_response(trn_id, names, self.ctx.mac_of(self.ctx.first))
        for own, own_suffix, group in names:
            if own.upper() == name.upper() and own_suffix == suffix:
                return frames.nbns_name_response(trn_id, own, suffix, group, self.ctx.first.address)
        return None

    def _ssdp(self, data: bytes, addr: tuple[str, int]) -> bytes | None:
        ssdp = self.ctx.spec.kind.services.ssdp
        st = frames.parse_msearch(data)
        if st is None or ssdp is None:
            return None
        uuid = self.ctx.render(ssdp.uuid)
        matches = frames.ssdp_matches(st, uuid, [self.ctx.render(t) for t in ssdp.types])
        if not matches:
            return None
        location, server = self.ctx.render(ssdp.location), self.ctx.render(ssdp.server)
        # Several answers (ssdp:all): send all but the last here, the last one as the reply.
        transport = self.transport_for(frames.SSDP_PORT)
        for nt in matches[:-1]:
            if transport is not None:
                transport.sendto(
                    frames.ssdp_response(location, nt, uuid, server, ssdp.max_age), addr
                )
        return frames.ssdp_response(location, matches[-1], uuid, server, ssdp.max_age)

    def transport_for(self, port: int) -> asyncio.DatagramTransport | None:
        for transport in self.transports:
            if transport.get_extra_info("sockname")[1] == port:
                return transport
        return None

    def close(self) -> None:
        for transport in self.transports:
            transport.close()


def new_xid() -> int:
    return random.getrandbits(32)

"""mDNS/DNS-SD services registered with python-zeroconf (imported only by personas that use it).

TXT records are given to zeroconf as raw RDATA so their order and bytes are exactly the kind
file's (a dict would reorder nothing but would refuse duplicate keys and invalid UTF-8).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import TYPE_CHECKING

from scopeaudit.lab.persona import frames
from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.hostile import as_bytes

if TYPE_CHECKING:
    from zeroconf import ServiceInfo
    from zeroconf.asyncio import AsyncZeroconf


log = logging.getLogger(__name__)


def txt_rdata(entries: list[bytes]) -> bytes:
    """DNS TXT RDATA: each entry prefixed with its length (at most 255 bytes each)."""
    return b"".join(bytes([len(entry[:255])]) + entry[:255] for entry in entries)


class MdnsServices:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.zc: AsyncZeroconf | None = None
        self.infos: list[ServiceInfo] = []
        # Services zeroconf refuses to publish (control characters in the name): announced raw,
        # and announced again whenever someone asks for their service type (PTR query).
        self.raw: list[tuple[str, bytes]] = []
        self.broadcasts: list[asyncio.Future[object]] = []

    async def start(self) -> None:
        mdns = self.ctx.spec.kind.services.mdns
        if mdns is None or not mdns.services:
            return
        from zeroconf import BadTypeInNameException, IPVersion, ServiceInfo
        from zeroconf.asyncio import AsyncZeroconf

        hostname = self.ctx.render(mdns.hostname or self.ctx.spec.id)
        addresses = [socket.inet_aton(ip) for ip in self.ctx.ips]
        try:
            self.zc = AsyncZeroconf(interfaces=self.ctx.ips, ip_version=IPVersion.V4Only)
        except OSError as error:
            self.ctx.fail("mdns", error)
            return
        for service in mdns.services:
            kind = f"{service.type}.local."
            txt = txt_rdata([self.ctx.render_bytes(entry) for entry in service.txt])
            name = self.ctx.render(service.name)
            try:
                info = ServiceInfo(
                    kind,
                    f"{name}.{kind}",
                    port=service.port,
                    properties=txt,
                    server=f"{hostname}.local.",
                    addresses=addresses,
                )
            except (BadTypeInNameException, ValueError, UnicodeError) as refused:
                log.info("mdns: zeroconf refuses %r (%s): announcing it raw", name, refused)
                packet = frames.mdns_service_announcement(
                    as_bytes(name),
                    service.type,
                    hostname,
                    service.port,
                    txt,
                    self.ctx.first.address,
                )
                self.raw.append((f"{service.type}.local".lower(), packet))
                continue
            self.infos.append(info)
        results = await asyncio.gather(
            *(self._register(info) for info in self.infos), return_exceptions=True
        )
        for info, result in zip(self.infos, results, strict=True):
            if isinstance(result, BaseException):
                self.ctx.fail(f"mdns {info.name!r}", repr(result))
        self.ctx.services.append("mdns")

    async def _register(self, info: ServiceInfo) -> None:
        assert self.zc is not None
        # strict=False: the hostile persona's instance names are not valid "service names".
        # Once this first await returns, the records are in zeroconf's registry and answered;
        # the three announcements it then sends (~0.7 s) go on in the background.
        broadcast = await self.zc.async_register_service(info, strict=False)
        self.broadcasts.append(asyncio.ensure_future(broadcast))

    def answers(self, query: bytes) -> list[bytes]:
        """Raw announcements that answer an mDNS query (a PTR question for their type)."""
        asked = {
            name.lower().rstrip(".")
            for name, qtype in frames.dns_questions(query)
            if qtype in (12, 255)
        }
        return [packet for kind, packet in self.raw if kind in asked]

    async def announce(self) -> None:
        """Re-announce every service (after a MAC change, or at the profile's interval)."""
        if self.zc is None:
            return
        for info in self.infos:
            with contextlib.suppress(Exception):
                await (await self.zc.async_update_service(info))
        self.ctx.count_emission("mdns")

    async def close(self) -> None:
        if self.zc is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.zc.async_close(), 0.8)

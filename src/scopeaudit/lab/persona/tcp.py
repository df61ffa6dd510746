"""TCP listeners: byte-exact banners, HTTP/RTSP routes, accept-and-close, and counting canaries.

Responses are assembled from the kind file exactly: status line, headers in the given order
(nmap's Hikvision rule needs ``Date:`` before ``Server:``), body. Nothing is added.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.frames import http_date
from scopeaudit.lab.persona.spec import HttpResponse, TcpService
from scopeaudit.lab.persona.tls import make_certificate, server_context

log = logging.getLogger(__name__)
MAX_REQUEST = 16384
READ_TIMEOUT = 10.0
COUNT_IDLE = 30.0


def build_response(
    ctx: Context, response: HttpResponse, body: bytes, cseq: str = "", now: float | None = None
) -> bytes:
    """Status line, headers in order (tokens replaced), blank line, body."""
    lines = [f"{response.version} {response.status}"]
    for name, value in response.headers:
        rendered = ctx.render(value)
        rendered = rendered.replace("{{date}}", http_date(now)).replace(
            "{{length}}", str(len(body))
        )
        lines.append(f"{ctx.render(name)}: {rendered.replace('{{cseq}}', cseq)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return ctx.render_bytes(head) + body


def _request_target(head: bytes) -> tuple[str, str]:
    """``(path, cseq)`` of an HTTP or RTSP request head."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    target = parts[1] if len(parts) >= 2 else "/"
    if "://" in target:  # RTSP and proxy-style absolute URIs
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    cseq = ""
    for line in lines[1:]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "cseq":
            cseq = value.strip()
    return target, cseq


class TcpServices:
    """Starts every TCP service of the kind; a port that cannot be opened is recorded."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.servers: list[asyncio.Server] = []
        self.bodies: dict[tuple[int, str], bytes] = {}

    async def start(self) -> None:
        for service in self.ctx.spec.kind.services.tcp:
            label = f"tcp/{service.port} {service.type}" + (" tls" if service.tls else "")
            try:
                await self._start_one(service)
            except (OSError, ValueError, RuntimeError) as error:
                self.ctx.fail(label, error)
                log.warning("%s: %s", label, error)
            else:
                self.ctx.services.append(label)

    async def _start_one(self, service: TcpService) -> None:
        for path, response in service.routes.items():
            if response.body_file:
                raw = self.ctx.kind_path(response.body_file).read_text(encoding="utf-8")
                self.bodies[(service.port, path)] = self.ctx.render_bytes(raw)
            else:
                self.bodies[(service.port, path)] = self.ctx.render_bytes(response.body)
        context: ssl.SSLContext | None = None
        if service.tls is not None:
            chain, key = await asyncio.to_thread(
                make_certificate,
                self.ctx.run_dir_path,
                self.ctx.render(service.tls.subject),
                self.ctx.render(service.tls.issuer) if service.tls.issuer else None,
            )
            context = server_context(chain, key)

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await self._serve(service, reader, writer)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ssl.SSLError):
                pass
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1.0)

        server = await asyncio.start_server(
            handle, host="0.0.0.0", port=service.port, ssl=context, reuse_address=True
        )
        self.servers.append(server)

    async def _serve(
        self, service: TcpService, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        if service.type == "accept":
            return
        if service.type == "count":
            key = str(service.port)
            counts = self.ctx.canary.print_port_bytes
            counts.setdefault(key, 0)
            while True:
                chunk = await asyncio.wait_for(reader.read(65536), COUNT_IDLE)
                if not chunk:
                    return
                counts[key] += len(chunk)
        if service.type == "banner":
            writer.write(self.ctx.render_bytes(service.banner or ""))
            await writer.drain()
            # Hold the line like a real daemon waiting for the client's greeting.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(MAX_REQUEST), service.hold)
            return
        # http / rtsp: one request, one response, then close
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT)
        path, cseq = _request_target(head[:MAX_REQUEST])
        route = path if path in service.routes else path.partition("?")[0]
        if route not in service.routes:
            route = "*"
        response = service.routes.get(route)
        if response is None:
            body = b"Not Found"
            writer.write(
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n" + body
            )
        else:
            body = self.bodies[(service.port, route)]
            writer.write(build_response(self.ctx, response, body, cseq))
        await writer.drain()

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 0.3)

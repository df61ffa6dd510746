"""The persona process: starts the kind's services, runs its emissions, writes its state file.

Lifecycle (lab-plan contract): services up, then the state file (``pid``, ``services``,
``canary``, ``updated_at``) is rewritten every second; SIGHUP re-reads the interface MACs and
re-sends DHCP and the mDNS announcements; SIGTERM/SIGINT stop everything (snmpd first) and the
process exits 0 within 2 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

from scopeaudit.lab.persona import frames
from scopeaudit.lab.persona.context import Context
from scopeaudit.lab.persona.link import Link
from scopeaudit.lab.persona.mdns import MdnsServices
from scopeaudit.lab.persona.snmp import start_snmpd
from scopeaudit.lab.persona.spec import Emission, Spec
from scopeaudit.lab.persona.tcp import TcpServices
from scopeaudit.lab.persona.udp import UdpServices, bound_socket, multicast_sender, new_xid

log = logging.getLogger(__name__)
STATE_PERIOD = 1.0
STOP_DEADLINE = 1.8  # seconds: the contract allows 2
MDNS_GROUP = ("224.0.0.251", 5353)
MDNS_READY_S = 5.0


class Runtime:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.ctx = Context(spec)
        self.link = Link(self.ctx)
        self.tcp = TcpServices(self.ctx)
        self.udp = UdpServices(self.ctx)
        self.mdns = MdnsServices(self.ctx)
        self.snmpd: subprocess.Popen[bytes] | None = None
        self.stop = asyncio.Event()
        self.mdns_ready = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.sockets: dict[str, socket.socket] = {}
        self.state_path = Path(spec.state_file)

    # --- lifecycle -----------------------------------------------------------------------

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.rotate()))
        # a signal mask blocked by whoever started the lab survives exec: lift it for ours
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT, signal.SIGHUP})
        self.link.open()
        self._start_snmp()
        await self.tcp.start()
        await self.udp.start()
        self._start_emissions()
        # "Ready" (the first state file) means announced too: wait for the mDNS registrations
        # started just above, but never more than MDNS_READY_S.
        if self.spec.kind.services.mdns is not None and self.spec.kind.services.mdns.services:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.mdns_ready.wait(), MDNS_READY_S)
        self.write_state()
        self._spawn(self._state_loop())
        await self.stop.wait()
        await self.shutdown()
        return 0

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _state_loop(self) -> None:
        while True:
            await asyncio.sleep(STATE_PERIOD)
            self.write_state()

    def write_state(self, **extra: object) -> None:
        state = self.ctx.state(os.getpid())
        state.update(extra)
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        try:
            tmp.write_text(json.dumps(state, sort_keys=True))
            tmp.replace(self.state_path)
        except OSError as error:
            log.warning("state file: %s", error)

    async def shutdown(self) -> None:
        # Whatever happens below, the process is gone before the contract's 2 s.
        watchdog = threading.Timer(STOP_DEADLINE, self._hard_exit)
        watchdog.daemon = True
        watchdog.start()
        log.info("stopping")
        self._stop_snmp()
        for task in list(self.tasks):
            task.cancel()
        await self.tcp.stop()
        self.udp.close()
        self.link.close()
        loop = asyncio.get_running_loop()
        for sock in self.sockets.values():
            loop.remove_reader(sock.fileno())
            sock.close()
        await self.mdns.close()
        self.write_state(stopped=True)
        log.info("stopped")
        logging.shutdown()
        # Everything we own is closed; skip the interpreter's slow teardown of zeroconf's
        # threads and pending handlers, which can exceed the 2 s the contract allows.
        os._exit(0)

    def _hard_exit(self) -> None:
        self._stop_snmp(grace=0)
        os._exit(0)

    # --- snmpd ---------------------------------------------------------------------------

    def _start_snmp(self) -> None:
        snmp = self.spec.kind.services.snmp
        if snmp is None:
            return
        try:
            self.snmpd = start_snmpd(
                snmp, self.ctx.ips, Path(self.spec.run_dir), Path(self.spec.kind_dir)
            )
        except OSError as error:
            self.ctx.fail("udp/161 snmp", error)
            return
        self.ctx.services.append("udp/161 snmp")

    def _stop_snmp(self, grace: float = 0.5) -> None:
        process = self.snmpd
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(0.2)

    # --- emissions -----------------------------------------------------------------------

    def _start_emissions(self) -> None:
        services = self.spec.kind.services
        plan: list[tuple[Emission, bool, Callable[[], Awaitable[None]]]] = [
            ("dhcp", services.dhcp is not None, self.send_dhcp),
            ("lldp", services.lldp is not None, self.send_lldp),
            ("cdp", services.cdp is not None, self.send_cdp),
            ("netbios", bool(services.netbios and services.netbios.announce), self.send_netbios),
            ("llmnr", services.llmnr is not None, self.send_llmnr),
            ("ssdp", services.ssdp is not None, self.send_ssdp),
            ("mdns", services.mdns is not None, self.send_mdns),
            ("gateway", self.spec.gateway is not None, self.send_gateway),
        ]
        for name, wanted, action in plan:
            interval = self.spec.interval(name)
            if wanted and interval is not None:
                self._spawn(self._every(name, interval, action))
                self.ctx.services.append(f"emit {name}")

    async def _every(
        self, name: str, interval: float, action: Callable[[], Awaitable[None]]
    ) -> None:
        while True:
            try:
                await action()
            except Exception as error:  # a failing emission is data; the persona keeps running
                log.exception("emit %s", name)
                self.ctx.fail(f"emit {name}", repr(error))
            if interval <= 0:
                return
            await asyncio.sleep(interval)

    async def send_dhcp(self) -> None:
        dhcp = self.spec.kind.services.dhcp
        if dhcp is None:
            return
        for interface in self.spec.interfaces:
            mac = self.ctx.mac_of(interface)
            xid = new_xid()
            for message in dhcp.messages:
                options = frames.dhcp_options(
                    message,
                    dhcp.order,
                    mac,
                    hostname=self.ctx.render(dhcp.hostname) if dhcp.hostname else None,
                    vendor_class=self.ctx.render(dhcp.vendor_class) if dhcp.vendor_class else None,
                    prl=dhcp.prl,
                    fqdn=self.ctx.render(dhcp.fqdn) if dhcp.fqdn else None,
                    user_class=self.ctx.render(dhcp.user_class) if dhcp.user_class else None,
                    max_size=dhcp.max_size,
                    lease_time=dhcp.lease_time,
                    requested_ip=interface.address,
                    server_id=self.spec.gateway,
                )
                payload = frames.dhcp_payload(mac, xid, options, broadcast=dhcp.broadcast_flag)
                self.link.send(interface.name, frames.dhcp_frame(mac, payload, self.spec.kind.ttl))
                await asyncio.sleep(0.05)
        self.ctx.count_emission("dhcp")

    async def send_lldp(self) -> None:
        lldp = self.spec.kind.services.lldp
        if lldp is None:
            return
        med = dataclasses.asdict(lldp.med) if lldp.med is not None else None
        for index, interface in enumerate(self.spec.interfaces, start=1):
            frame = frames.lldp_frame(
                self.ctx.mac_of(interface),
                port_id=self._port_id(lldp.port_id, interface.name, index - 1),
                system_name=self.ctx.render(lldp.system_name),
                system_description=self.ctx.render(lldp.system_description),
                caps_available=lldp.caps_available,
                caps_enabled=lldp.caps_enabled,
                port_description=self.ctx.render(lldp.port_description)
                if lldp.port_description
                else None,
                mgmt_ip=interface.address if lldp.mgmt_address else None,
                if_index=index,
                ttl=lldp.ttl,
                med=med,
            )
            self.link.send(interface.name, frame)
        self.ctx.count_emission("lldp")

    async def send_cdp(self) -> None:
        cdp = self.spec.kind.services.cdp
        if cdp is None:
            return
        for index, interface in enumerate(self.spec.interfaces):
            frame = frames.cdp_frame(
                self.ctx.mac_of(interface),
                device_id=self.ctx.render(cdp.device_id),
                port_id=self._port_id(cdp.port_id, interface.name, index),
                platform=self.ctx.render(cdp.platform),
                software=self.ctx.render(cdp.software),
                capabilities=cdp.capabilities,
                address=interface.address,
                native_vlan=cdp.native_vlan,
                ttl=cdp.ttl,
            )
            self.link.send(interface.name, frame)
        self.ctx.count_emission("cdp")

    def _port_id(self, template: str | None, interface: str, index: int) -> str:
        """The port name a frame carries; ``{{ifindex}}`` = the interface's position (0-based)."""
        if not template:
            return interface
        return self.ctx.render(template).replace("{{ifindex}}", str(index))

    def _socket(self, key: str, make: Callable[[], socket.socket]) -> socket.socket:
        if key not in self.sockets:
            self.sockets[key] = make()
        return self.sockets[key]

    def _sendto(self, sock: socket.socket, data: bytes, address: tuple[str, int]) -> None:
        # A full send buffer drops one announcement, as a busy device would.
        with contextlib.suppress(BlockingIOError):
            sock.sendto(data, address)

    async def send_netbios(self) -> None:
        netbios = self.spec.kind.services.netbios
        if netbios is None:
            return
        interface = self.ctx.first
        # From port 137, like Windows: through the answering socket when there is one (a second
        # SO_REUSEPORT socket would steal half of the unicast queries).
        listener = self.udp.transport_for(137)
        for item in netbios.names:
            packet = frames.nbns_registration(
                new_xid() & 0xFFFF,
                self.ctx.render(item.name),
                item.suffix,
                item.group,
                interface.address,
            )
            if listener is not None:
                listener.sendto(packet, (interface.broadcast, 137))
            else:
                sock = self._socket("nbns", lambda: bound_socket(137, [], []))
                self._sendto(sock, packet, (interface.broadcast, 137))
        self.ctx.count_emission("netbios")

    async def send_llmnr(self) -> None:
        llmnr = self.spec.kind.services.llmnr
        if llmnr is None:
            return
        sock = self._socket("llmnr", lambda: multicast_sender(self.ctx.first.address, 1))
        for name in llmnr.queries:
            query = frames.dns_query(new_xid() & 0xFFFF, [(self.ctx.render(name), frames.DNS_A)])
            self._sendto(sock, query, ("224.0.0.252", 5355))
        self.ctx.count_emission("llmnr")

    async def send_mdns(self) -> None:
        mdns = self.spec.kind.services.mdns
        if mdns is None:
            return
        if mdns.services:
            if self.mdns.zc is None:
                try:
                    await self.mdns.start()  # first emission: register (zeroconf announces)
                finally:
                    self.mdns_ready.set()
                self.ctx.count_emission("mdns")
            else:
                await self.mdns.announce()
            if self.mdns.raw:
                sock = self._socket("mdns", self._raw_mdns_socket)
                for _, packet in self.mdns.raw:
                    self._sendto(sock, packet, MDNS_GROUP)
            return
        # No services: a host that only announces its name and asks questions (no responder).
        sock = self._socket("mdns", lambda: multicast_sender(self.ctx.first.address, 255, 5353))
        group = MDNS_GROUP
        if mdns.hostname:
            packet = frames.mdns_host_announcement(
                self.ctx.render(mdns.hostname), self.ctx.first.address
            )
            self._sendto(sock, packet, group)
        if mdns.queries:
            questions = [(self.ctx.render(q), frames.DNS_PTR) for q in mdns.queries]
            self._sendto(sock, frames.dns_query(0, questions), group)
        self.ctx.count_emission("mdns")

    def _raw_mdns_socket(self) -> socket.socket:
        """Port 5353, in the mDNS group: sends raw announcements and answers PTR queries that
        ask for them (zeroconf shares the port; multicast reaches both sockets)."""
        sock = multicast_sender(self.ctx.first.address, 255, 5353)
        membership = socket.inet_aton(MDNS_GROUP[0]) + socket.inet_aton(self.ctx.first.address)
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        asyncio.get_running_loop().add_reader(sock.fileno(), self._on_mdns_query, sock)
        return sock

    def _on_mdns_query(self, sock: socket.socket) -> None:
        for _ in range(64):
            try:
                data, _address = sock.recvfrom(9000)
            except OSError:
                return
            for packet in self.mdns.answers(data):
                self._sendto(sock, packet, MDNS_GROUP)

    async def send_ssdp(self) -> None:
        ssdp = self.spec.kind.services.ssdp
        if ssdp is None:
            return
        sock = self._socket("ssdp", lambda: multicast_sender(self.ctx.first.address, 2))
        uuid = self.ctx.render(ssdp.uuid)
        location, server = self.ctx.render(ssdp.location), self.ctx.render(ssdp.server)
        for nt in [*(self.ctx.render(t) for t in ssdp.types), uuid]:
            packet = frames.ssdp_notify(location, nt, uuid, server, ssdp.max_age)
            self._sendto(sock, packet, (frames.SSDP_GROUP, frames.SSDP_PORT))
        self.ctx.count_emission("ssdp")

    async def send_gateway(self) -> None:
        gateway = self.spec.gateway
        if gateway is None:
            return
        # One datagram to the discard port keeps our entry in the router's neighbour table.
        sock = self._socket("gateway", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
        sock.setblocking(False)
        self._sendto(sock, b"scopeaudit-lab keepalive", (gateway, 9))
        self.ctx.count_emission("gateway")

    async def rotate(self) -> None:
        """SIGHUP: the lab changed our MAC; announce ourselves again under it."""
        self.ctx.refresh_macs()
        log.info("rotate: MACs now %s", self.ctx.macs)
        services = self.spec.kind.services
        if services.dhcp is not None:
            await self.send_dhcp()
        if services.mdns is not None:
            await self.send_mdns()
        self.ctx.count_emission("rotate")
        self.write_state()

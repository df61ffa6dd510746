"""The detached supervisor of one lab instance: ``python -m scopeaudit.lab.supervisor``.

It builds the namespaces, starts every persona runtime in parallel, writes ``instance.json``
(status ``ready`` or ``failed``) in its state directory, then serves one-line JSON requests on
``control.sock`` (status, stop, start, rotate, down). Whatever ends it — ``down``, a failure
while starting, SIGINT, SIGTERM or SIGHUP — it tears the whole instance down: personas get
SIGTERM, then everything left in the namespaces gets SIGKILL, then the namespaces are deleted.
A supervisor killed with SIGKILL leaves a stale lab, which the next ``lab up`` removes.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import queue
import secrets
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from scopeaudit.lab import plumbing
from scopeaudit.lab.plumbing import HostNs, Layout, PlumbingError
from scopeaudit.lab.topology import Profile, Topology, load_topology

# Overridable so the plumbing can be exercised apart from the personas (docs/lab.md).
PERSONA_MODULE = os.environ.get("SCOPEAUDIT_LAB_PERSONA_MODULE", "scopeaudit.lab.persona")
READY_TIMEOUT_S = 45.0
STOP_GRACE_S = 2.5


class _Stop(BaseException):
    """A signal asked the supervisor to tear the lab down (not an Exception: never swallowed)."""


def _on_signal(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def random_la_mac() -> str:
    """A random unicast, locally administered MAC, as a rotating phone picks one."""
    octets = bytearray(secrets.token_bytes(6))
    octets[0] = (octets[0] | 0x02) & 0xFE
    return ":".join(f"{b:02x}" for b in octets)


def write_json(path: Path, data: object) -> None:
    """Write atomically: readers never see half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True, default=str))
    os.replace(tmp, path)


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class Zygote:
    """Client of the fork server (``scopeaudit.lab.zygote``); thread-safe."""

    def __init__(self, module: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "scopeaudit.lab.zygote", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )
        self.lock = threading.Lock()

    def spawn(self, netns: str, spec: Path, log: Path, exit_file: Path) -> int:
        request = {"netns": netns, "spec": str(spec), "log": str(log), "exit_file": str(exit_file)}
        with self.lock:
            assert self.proc.stdin is not None and self.proc.stdout is not None
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        reply = json.loads(line) if line else {"error": "the zygote exited"}
        if "pid" not in reply:
            raise PlumbingError(f"persona runtime could not be forked: {reply.get('error')}")
        return int(reply["pid"])

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


class PersonaProcess:
    """One persona runtime: its spec, files and process."""

    def __init__(self, host: HostNs, topology: Topology, profile: Profile, root: Path) -> None:
        persona = topology.persona(host.key)
        assert persona is not None
        self.host = host
        self.dir = root / "personas" / host.key
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.spec_path = self.dir / "spec.json"
        self.state_file = self.dir / "state.json"
        self.log = self.dir / "persona.log"
        self.macs = [link.mac for link in host.links]
        # Where each interface is plugged now: (switch id, port), or None on a lab bridge.
        self.ports: list[tuple[str, int] | None] = [
            (link.switch, link.port) if link.switch and link.port else None for link in host.links
        ]
        self.interfaces = [
            {"name": link.name, "mac": link.mac, "ip": str(link.ip), "bridge": link.bridge}
            for link in host.links
        ]
        self.spec: dict[str, Any] = {
            "id": host.key,
            "namespace": host.netns,
            "profile": profile.value,
            "interfaces": self.interfaces,
            "gateway": str(host.gateway) if host.gateway else None,
            "scanner_mac": topology.technician.mac,
            "kind": persona.kind.data,
            "kind_dir": str(persona.kind.path.parent),
            "state_file": str(self.state_file),
            "run_dir": str(self.run_dir),
        }
        self.exit_file = self.dir / "exit_code.0"
        self.starts = 0
        self.proc: subprocess.Popen[bytes] | None = None  # started with ip netns exec
        self.pid: int | None = None  # forked by the zygote
        self._dead_since: float | None = None
        self.stopped_on_purpose = False
        self.last_state: dict[str, Any] | None = None

    def start(self, zygote: Zygote | None = None) -> None:
        self.spec["interfaces"] = [
            {**iface, "mac": mac} for iface, mac in zip(self.interfaces, self.macs, strict=True)
        ]
        write_json(self.spec_path, self.spec)
        self.state_file.unlink(missing_ok=True)
        self.last_state = None
        self.stopped_on_purpose = False
        # One exit file per start: the zygote writes the previous runtime's exit code some time
        # after reaping it, and that late write must not pass for the new runtime's.
        self.starts += 1
        self.exit_file.unlink(missing_ok=True)
        self.exit_file = self.dir / f"exit_code.{self.starts}"
        self.exit_file.unlink(missing_ok=True)
        self.proc = None
        self._dead_since = None
        if zygote is not None:
            self.pid = zygote.spawn(self.host.netns, self.spec_path, self.log, self.exit_file)
            return
        with self.log.open("ab") as log:
            argv = plumbing.netns_exec_argv(
                self.host.netns, [sys.executable, "-m", PERSONA_MODULE, str(self.spec_path)]
            )
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True
            )
            self.pid = self.proc.pid

    def state(self) -> dict[str, Any] | None:
        data = read_json(self.state_file)
        if isinstance(data, dict):
            self.last_state = data
        return self.last_state

    def ready(self) -> bool:
        state = self.state()
        return state is not None and "pid" in state

    def exit_code(self) -> int | None:
        if self.proc is not None:
            return self.proc.poll()
        try:
            return int(self.exit_file.read_text())
        except (OSError, ValueError):
            pass
        if self.pid is None or _pid_alive(self.pid):
            return None
        # Dead without an exit file: the zygote writes it within ~50 ms of reaping; past a
        # second it never will (the zygote itself is gone), so the code is unknown.
        self._dead_since = self._dead_since or time.monotonic()
        return -1 if time.monotonic() - self._dead_since > 1.0 else None

    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return self.pid is not None and _pid_alive(self.pid) and self.exit_code() is None

    def signal(self, signum: int) -> None:
        if self.running() and self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def log_tail(self, lines: int = 6) -> str:
        try:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-lines:]
        except OSError:
            return ""
        return " | ".join(tail)

    def terminate(self) -> None:
        self.signal(signal.SIGTERM)

    def reap(self, deadline: float) -> None:
        if self.proc is not None:
            try:
                self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            return
        while self.running() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.signal(signal.SIGKILL)

    def summary(self) -> dict[str, Any]:
        state = self.state() or {}
        return {
            "id": self.host.key,
            "namespace": self.host.netns,
            "macs": list(self.macs),
            "ips": [str(link.ip.ip) for link in self.host.links],
            "switch_ports": [
                {"switch": plug[0], "port": plug[1], "interface": n}
                for n, plug in enumerate(self.ports)
                if plug is not None
            ],
            "runtime_pid": self.pid,
            "running": self.running(),
            "stopped": self.stopped_on_purpose,
            "exit_code": self.exit_code(),
            "services": state.get("services", []),
            "canary": state.get("canary", {}),
            "updated_at": state.get("updated_at"),
            "state_file": str(self.state_file),
            "log": str(self.log),
        }


class Supervisor:
    """Owns one instance from build to teardown."""

    def __init__(self, root: Path, topology: Topology, profile: Profile, name: str) -> None:
        self.root = root
        self.topology = topology
        self.profile = profile
        self.name = name
        self.layout: Layout = plumbing.layout_of(topology, name)
        self.personas: dict[str, PersonaProcess] = {}
        self.status = "starting"
        self.error: str | None = None
        self.started = time.monotonic()
        self.ready_after_s: float | None = None
        self.created_at = now()
        self.timings: dict[str, float] = {}
        self.zygote: Zygote | None = None

    # --- the instance record ---------------------------------------------------------------

    def record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "error": self.error,
            "topology": str(self.topology.path),
            "topology_name": self.topology.name,
            "profile": self.profile.value,
            "supervisor_pid": os.getpid(),
            "created_at": self.created_at,
            "ready_after_s": self.ready_after_s,
            "timings": self.timings,
            "switch": self.layout.switch,
            "bridges": list(self.layout.bridges),
            "namespaces": self.layout.namespaces,
            "hosts": [
                {
                    "key": h.key,
                    "netns": h.netns,
                    "role": h.role,
                    "gateway": str(h.gateway) if h.gateway else None,
                    "links": [
                        {**asdict(link), "ip": str(link.ip)}
                        | (self._current(h.key, n) if h.key in self.personas else {})
                        for n, link in enumerate(h.links)
                    ],
                }
                for h in self.layout.hosts
            ],
        }

    def _current(self, key: str, n: int) -> dict[str, Any]:
        """What changed on a persona's link since the build: its MAC, the port it is plugged in."""
        persona = self.personas[key]
        current: dict[str, Any] = {"mac": persona.macs[n]}
        plug = persona.ports[n]
        if plug is not None:
            current |= {"port": plug[1], "peer": plumbing.port_ifname(plug[1])}
        return current

    def save(self) -> None:
        write_json(self.root / "instance.json", self.record())

    def move(self, persona: PersonaProcess, port: int, interface: int = 0) -> dict[str, Any]:
        """Re-plug interface ``interface`` of ``persona`` into ``port`` of its switch."""
        plug = persona.ports[interface] if 0 <= interface < len(persona.ports) else None
        if plug is None:
            raise ValueError(f"{persona.host.key} is not plugged into a switch port")
        switch_id, old = plug
        switch = self.layout.host(switch_id)
        assert switch is not None and switch.switch is not None
        taken = {
            used[1]: other.host.key
            for other in self.personas.values()
            for used in other.ports
            if used is not None and used[0] == switch_id
        }
        if port == old:
            return persona.summary()
        if not 1 <= port <= switch.switch.ports or port == switch.switch.uplink:
            raise ValueError(
                f"port {port} is not an access port of {switch_id}"
                f" (1-{switch.switch.ports}, uplink {switch.switch.uplink})"
            )
        if port in taken:
            raise ValueError(f"port {port} of {switch_id} is used by {taken[port]}")
        plumbing.ip_batch(plumbing.move_port_batch(old, port), switch.netns)
        persona.ports[interface] = (switch_id, port)
        self.save()
        return persona.summary()

    # --- lifecycle ---------------------------------------------------------------------------

    def build(self) -> None:
        self.save()
        if os.environ.get("SCOPEAUDIT_LAB_ZYGOTE", "1") != "0":
            # Started first, from the main thread (its PR_SET_PDEATHSIG follows this thread):
            # its imports overlap the plumbing below.
            self.zygote = Zygote(PERSONA_MODULE)
        for host in self.layout.hosts:
            if host.role == "persona":
                self.personas[host.key] = PersonaProcess(
                    host, self.topology, self.profile, self.root
                )
        # Each runtime starts as soon as its own namespace is configured, from one spawner
        # thread, so that runtime start-up overlaps the plumbing of the next namespaces and a
        # zygote still importing never holds up the plumbing workers.
        spawns: queue.Queue[HostNs | None] = queue.Queue()
        failures: list[BaseException] = []
        spawner = threading.Thread(target=self._spawner, args=(spawns, failures), daemon=True)
        spawner.start()
        try:
            plumbing.build(self.layout, self.profile, on_host_ready=spawns.put)
        finally:
            spawns.put(None)
            spawner.join()
        self.timings["plumbing_s"] = round(time.monotonic() - self.started, 3)
        if failures:
            raise failures[0]
        self._wait_ready()
        self.status = "ready"
        self.ready_after_s = round(time.monotonic() - self.started, 3)
        self.save()

    def _spawner(self, spawns: queue.Queue[HostNs | None], failures: list[BaseException]) -> None:
        while (host := spawns.get()) is not None:
            if failures or host.key not in self.personas or host.role != "persona":
                continue
            try:
                self.timings[f"spawn_{host.key}_s"] = round(time.monotonic() - self.started, 3)
                self.personas[host.key].start(self.zygote)
            except Exception as error:  # reported by build() once the plumbing is done
                failures.append(error)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        waiting = dict(self.personas)
        while waiting:
            for key, persona in list(waiting.items()):
                if persona.ready():
                    del waiting[key]
                    self.timings[f"ready_{key}_s"] = round(time.monotonic() - self.started, 3)
                elif persona.exit_code() is not None:
                    raise PlumbingError(
                        f"persona {key} exited with code {persona.exit_code()} while starting:"
                        f" {persona.log_tail()} (log: {persona.log})"
                    )
            if waiting and time.monotonic() > deadline:
                names = ", ".join(sorted(waiting))
                raise PlumbingError(
                    f"personas not ready after {READY_TIMEOUT_S:.0f} s: {names}"
                    f" (logs under {self.root / 'personas'})"
                )
            time.sleep(0.05)

    def teardown(self) -> None:
        for persona in self.personas.values():
            persona.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for persona in self.personas.values():
            persona.reap(deadline)
        if self.zygote is not None:
            self.zygote.close()
        left = plumbing.destroy(self.layout.namespaces)
        left += plumbing.destroy(plumbing.instance_namespaces(self.name))
        if left:
            self.error = f"namespaces left after teardown: {', '.join(left)}"

    # --- requests ------------------------------------------------------------------------------

    def _persona(self, request: dict[str, Any]) -> PersonaProcess:
        key = str(request.get("id", ""))
        if key not in self.personas:
            known = ", ".join(sorted(self.personas))
            raise KeyError(f"unknown persona {key!r} (personas: {known})")
        return self.personas[key]

    def handle(self, request: dict[str, Any]) -> Any:
        command = request.get("cmd")
        if command == "status":
            return {
                **self.record(),
                "personas": [p.summary() for p in self.personas.values()],
            }
        if command == "rotate":
            persona = self._persona(request)
            mac = str(request.get("mac") or random_la_mac())
            plumbing.set_mac(persona.host, persona.host.links[0].name, mac)
            persona.macs[0] = mac
            persona.signal(signal.SIGHUP)
            self.save()
            return {"id": persona.host.key, "mac": mac}
        if command == "renumber":
            return self._renumber(self._persona(request), str(request.get("ip", "")))
        if command == "move":
            persona = self._persona(request)
            port, interface = request.get("port"), request.get("interface", 0)
            if not isinstance(port, int) or not isinstance(interface, int):
                raise ValueError("port and interface are integers")
            return self.move(persona, port, interface)
        if command == "stop":
            persona = self._persona(request)
            persona.terminate()
            persona.reap(time.monotonic() + STOP_GRACE_S)
            plumbing.kill_namespace_processes([persona.host.netns])
            plumbing.set_links(persona.host, up=False)
            persona.stopped_on_purpose = True
            return persona.summary()
        if command == "start":
            persona = self._persona(request)
            if persona.running():
                return persona.summary()
            plumbing.set_links(persona.host, up=True)
            self._start_and_wait(persona)
            return persona.summary()
        raise ValueError(f"unknown command {command!r}")

    def _start_and_wait(self, persona: PersonaProcess) -> None:
        """A fresh runtime for ``persona``; returns once its state file is written."""
        persona.start(self.zygote)
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not persona.ready():
            if persona.exit_code() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"persona did not start: {persona.log_tail()}")
            time.sleep(0.05)

    def _renumber(self, persona: PersonaProcess, ip: str) -> dict[str, Any]:
        """A new DHCP lease on the persona's first interface: the device restarts its network
        stack under another address of the same subnet and announces itself from there."""
        link = persona.host.links[0]
        address = ipaddress.ip_interface(ip if "/" in ip else f"{ip}/{link.ip.network.prefixlen}")
        if not isinstance(address, ipaddress.IPv4Interface) or address.network != link.ip.network:
            raise ValueError(f"{ip} is not an address of {link.ip.network}")
        was_running = persona.running()
        persona.terminate()
        persona.reap(time.monotonic() + STOP_GRACE_S)
        plumbing.kill_namespace_processes([persona.host.netns])
        commands = [f"addr del {link.ip} dev {link.name}", f"addr add {address} dev {link.name}"]
        if persona.host.gateway is not None:  # deleting the only address took the route along
            commands.append(f"route replace default via {persona.host.gateway}")
        plumbing.ip_batch(commands, persona.host.netns)
        host = replace(persona.host, links=(replace(link, ip=address), *persona.host.links[1:]))
        persona.host = host
        persona.interfaces[0]["ip"] = str(address)
        self.layout = replace(
            self.layout, hosts=tuple(host if h.key == host.key else h for h in self.layout.hosts)
        )
        if was_running:
            self._start_and_wait(persona)
        self.save()
        return persona.summary()

    def serve(self) -> None:
        path = self.root / "control.sock"
        path.unlink(missing_ok=True)
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Bound and listening under a temporary name first: a client that sees control.sock
        # can always connect.
        pending = self.root / "control.sock.new"
        pending.unlink(missing_ok=True)
        server.bind(str(pending))
        os.chmod(pending, 0o600)
        server.listen(8)
        os.replace(pending, path)
        selector = selectors.DefaultSelector()
        selector.register(server, selectors.EVENT_READ)
        try:
            while True:
                if not selector.select(timeout=0.5):
                    continue
                conn, _ = server.accept()
                with conn:
                    if self._answer(conn):
                        return
        finally:
            selector.close()
            server.close()
            path.unlink(missing_ok=True)

    def _answer(self, conn: socket.socket) -> bool:
        """Answer one request; True when it asked the lab to go down."""
        conn.settimeout(10)
        data = b""
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        try:
            request = json.loads(data or b"{}")
            if request.get("cmd") == "down":
                conn.sendall(json.dumps({"ok": True, "result": None}).encode() + b"\n")
                return True
            reply = {"ok": True, "result": self.handle(request)}
        except (LookupError, ValueError, RuntimeError, PlumbingError) as error:
            reply = {"ok": False, "error": str(error.args[0] if error.args else error)}
        except Exception as error:  # a bad request is answered, never fatal to the lab
            reply = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(reply, default=str).encode() + b"\n")
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scopeaudit.lab.supervisor")
    parser.add_argument("--dir", required=True, type=Path)
    parser.add_argument("--topology", required=True, type=Path)
    parser.add_argument("--profile", default=Profile.FRIENDLY.value)
    parser.add_argument("--name", required=True)
    parser.add_argument("--hosts", type=int, default=None)
    args = parser.parse_args(argv)
    root: Path = args.dir
    stop_signals = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
    for signum in stop_signals:
        signal.signal(signum, _on_signal)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stop_signals)  # a blocked mask survives exec
    supervisor: Supervisor | None = None
    code = 0
    try:
        topology = load_topology(args.topology, hosts=args.hosts)
        supervisor = Supervisor(root, topology, Profile(args.profile), args.name)
        supervisor.build()
        supervisor.serve()
    except _Stop as stop:
        print(f"supervisor: stopping on {stop}", file=sys.stderr)
    except Exception as error:  # any failure while starting: record it, then tear down
        code = 1
        message = (
            f"{error}" if isinstance(error, PlumbingError) else f"{type(error).__name__}: {error}"
        )
        if supervisor is not None:
            supervisor.status = "failed"
            supervisor.error = message
            supervisor.save()
        else:
            write_json(
                root / "instance.json",
                {
                    "name": args.name,
                    "status": "failed",
                    "error": message,
                    "supervisor_pid": os.getpid(),
                },
            )
        print(f"supervisor: {message}", file=sys.stderr)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)  # a second signal must not cut the teardown short
        if supervisor is not None:
            supervisor.status = "stopping" if code == 0 else "failed"
            supervisor.save()
            supervisor.teardown()
            if supervisor.error and code == 0:
                print(f"supervisor: {supervisor.error}", file=sys.stderr)
                code = 1
        else:
            plumbing.destroy(plumbing.instance_namespaces(args.name))
        # The state directory goes last: while it exists, the lab counts as present.
        if code == 0:
            _remove_tree(root)
        else:
            (root / "control.sock").unlink(missing_ok=True)
    return code


def _remove_tree(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

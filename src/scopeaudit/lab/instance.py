"""The library API of the lab: ``Lab.up()`` and the ``LabInstance`` it returns.

Tests and other code use this module directly; the ``lab`` command group in cli.py is a thin
caller. An instance lives in ``/run/scopeaudit-lab/<name>/`` (``instance.json``, the control
socket, each persona's spec, state file and log) while its supervisor runs.

    with Lab.up("fixtures/lab/office.yaml") as lab:
        lab.exec(["arp-scan", "--localnet"]).stdout
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from scopeaudit.errors import LabError
from scopeaudit.lab import plumbing
from scopeaudit.lab.messages import lab_error
from scopeaudit.lab.plumbing import NAME, PREFIX, TECHNICIAN
from scopeaudit.lab.topology import Profile, load_topology

RUN_ROOT = Path("/run/scopeaudit-lab")
UP_TIMEOUT_S = 90.0
DOWN_TIMEOUT_S = 20.0


def require_root() -> None:
    if os.geteuid() != 0:
        raise lab_error("needs_root")


def _pid_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _is_supervisor(pid: object, name: str) -> bool:
    """The pid is alive and is the supervisor of ``name`` (not a recycled pid)."""
    if not isinstance(pid, int) or not _pid_alive(pid):
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"scopeaudit.lab.supervisor" in argv and name.encode() in argv


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _remove_dir(path: Path) -> None:
    # Another ``lab up`` may be cleaning the same stale lab at the same moment: tolerate it.
    shutil.rmtree(path, ignore_errors=True)


def _alive_owner(directory: Path) -> bool:
    """Is someone alive behind this state directory (its supervisor, or the client starting it)?"""
    record = _read(directory / "instance.json")
    if "supervisor_pid" in record:
        return _is_supervisor(record["supervisor_pid"], directory.name)
    owner = _read(directory / "owner.json").get("pid")
    return isinstance(owner, int) and _pid_alive(owner)


class LabInstance:
    """A running lab instance, found by name; every method talks to its supervisor or netns."""

    def __init__(
        self, name: str, root: Path = RUN_ROOT, process: subprocess.Popen[bytes] | None = None
    ) -> None:
        self.name = name
        self.dir = root / name
        self._process = process  # kept only to reap the supervisor when we started it

    # --- what it is ------------------------------------------------------------------------------

    @property
    def record(self) -> dict[str, Any]:
        return _read(self.dir / "instance.json")

    def namespace_of(self, key: str | None = None) -> str:
        """The namespace of a persona id, of ``technician`` (default) or of a silent host ``g<n>``."""
        key = key or TECHNICIAN
        for host in self.record.get("hosts", []):
            if host.get("key") == key:
                return str(host["netns"])
        raise lab_error("unknown_namespace", name=self.name, target=key)

    def hosts(self) -> list[dict[str, Any]]:
        return list(self.record.get("hosts", []))

    # --- talking to the supervisor -------------------------------------------------------------

    def _request(self, command: str, **params: object) -> Any:
        path = self.dir / "control.sock"
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(60)
                conn.connect(str(path))
                conn.sendall(json.dumps({"cmd": command, **params}).encode() + b"\n")
                data = b""
                while not data.endswith(b"\n"):
                    chunk = conn.recv(1 << 20)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            raise lab_error("supervisor_gone", name=self.name) from None
        try:
            reply = json.loads(data)
        except ValueError:
            raise lab_error("supervisor_gone", name=self.name) from None
        if not reply.get("ok"):
            raise lab_error("command_failed", name=self.name, error=reply.get("error"))
        return reply.get("result")

    def status(self) -> dict[str, Any]:
        """The instance record plus, per persona: pid, running, MACs, IPs, services, canary."""
        result = self._request("status")
        assert isinstance(result, dict)
        return result

    def rotate(self, persona: str, mac: str | None = None) -> str:
        """New random locally administered MAC on the persona's first interface; returns it."""
        result = self._request("rotate", id=persona, mac=mac)
        return str(result["mac"])

    def time_passes(self) -> None:
        """Weeks pass between two audits: every neighbour cache of the site (the technician's,
        the router's ARP table, every persona's) and every MAC a switch learned on its ports are
        forgotten, as ageing would do. A stopped device then shows nowhere; a running one is
        learned again as soon as it talks."""
        namespaces = [self.namespace_of(None)]
        namespaces += [str(p["namespace"]) for p in self.status()["personas"]]
        for netns in namespaces:
            subprocess.run(["ip", "-n", netns, "neigh", "flush", "all"], check=True, timeout=30)
        bridge = f"/sys/class/net/{plumbing.SWITCH_BRIDGE}/bridge/flush"
        for netns in namespaces:  # sysfs shows the namespace's own links under `ip netns exec`
            subprocess.run(
                plumbing.netns_exec_argv(
                    netns, ["sh", "-c", f"[ ! -e {bridge} ] || echo 1 > {bridge}"]
                ),
                check=True,
                timeout=30,
            )

    def renumber(self, persona: str, ip: str) -> dict[str, Any]:
        """Give the persona's first interface another address of its subnet (a new DHCP lease);
        its runtime restarts and announces itself under the new address. Returns its summary."""
        result = self._request("renumber", id=persona, ip=ip)
        assert isinstance(result, dict)
        return result

    def stop_persona(self, persona: str) -> dict[str, Any]:
        """Stop the runtime and take the persona's links down: the device left the network."""
        result = self._request("stop", id=persona)
        assert isinstance(result, dict)
        return result

    def start_persona(self, persona: str) -> dict[str, Any]:
        """Links up again and a fresh runtime; returns once its state file is written."""
        result = self._request("start", id=persona)
        assert isinstance(result, dict)
        return result

    def move_to_port(self, persona: str, port: int, interface: int = 0) -> dict[str, Any]:
        """Re-plug the persona's cable into another port of its switch persona.

        The old port leaves the switch's bridge (the kernel forgets the MACs it learned there),
        is renamed after the new port and joins again; the persona's MAC shows on the new port
        as soon as it sends a frame. Returns the persona's summary (``switch_ports``)."""
        result = self._request("move", id=persona, port=port, interface=interface)
        assert isinstance(result, dict)
        return result

    # --- running commands inside ---------------------------------------------------------------

    def exec(
        self,
        argv: Sequence[str],
        ns: str | None = None,
        *,
        capture: bool = True,
        timeout: float | None = None,
        check: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in a namespace of the lab (the technician's by default)."""
        if not argv:
            raise lab_error("no_command")
        netns = self.namespace_of(ns)
        return subprocess.run(
            plumbing.netns_exec_argv(netns, argv),
            capture_output=capture,
            text=True,
            timeout=timeout,
            check=check,
        )

    def popen(
        self, argv: Sequence[str], ns: str | None = None, **kwargs: Any
    ) -> subprocess.Popen[Any]:
        """Start ``argv`` in a namespace of the lab without waiting (a capture, a listener)."""
        return subprocess.Popen(plumbing.netns_exec_argv(self.namespace_of(ns), argv), **kwargs)

    # --- ending --------------------------------------------------------------------------------

    def supervisor_pid(self) -> int | None:
        pid = self.record.get("supervisor_pid")
        return pid if isinstance(pid, int) else None

    def down(self, timeout: float = DOWN_TIMEOUT_S) -> None:
        """Tear the instance down; falls back to killing and deleting everything by name."""
        pid = self.supervisor_pid()
        if pid is not None and _is_supervisor(pid, self.name):
            try:
                self._request("down")
            except LabError:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout
            while _is_supervisor(pid, self.name) and time.monotonic() < deadline:
                self._reap()
                time.sleep(0.05)
            if _is_supervisor(pid, self.name):
                os.kill(pid, signal.SIGKILL)
        self._reap()
        Lab.force_remove(self.name, self.dir.parent)

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is not None:
            self._process = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.down()


class Lab:
    """Starting, finding and cleaning lab instances."""

    @staticmethod
    def new_name() -> str:
        alphabet = string.ascii_lowercase + string.digits
        return "".join(secrets.choice(alphabet) for _ in range(5))

    @staticmethod
    def running(root: Path = RUN_ROOT) -> list[str]:
        """Names of the instances whose supervisor (or starting client) is alive."""
        if not root.is_dir():
            return []
        return sorted(
            d.name
            for d in root.iterdir()
            if d.is_dir() and not d.name.startswith(".") and _alive_owner(d)
        )

    @staticmethod
    def attach(name: str | None = None, root: Path = RUN_ROOT) -> LabInstance:
        """The named instance, or the only running one."""
        running = [n for n in Lab.running(root) if (root / n / "control.sock").exists()]
        if name is not None:
            if name not in running:
                raise lab_error("not_found", name=name, running=", ".join(running) or "-")
            return LabInstance(name, root)
        if not running:
            raise lab_error("no_lab")
        if len(running) > 1:
            raise lab_error("several_labs", running=", ".join(running))
        return LabInstance(running[0], root)

    @staticmethod
    def force_remove(name: str, root: Path = RUN_ROOT) -> list[str]:
        """Kill and delete everything of instance ``name``; returns namespaces that remain."""
        directory = root / name
        record = _read(directory / "instance.json")
        listed = [str(ns) for ns in record.get("namespaces", [])]
        left = plumbing.destroy(listed + plumbing.instance_namespaces(name))
        _remove_dir(directory)
        return left

    @staticmethod
    def cleanup_stale(root: Path = RUN_ROOT) -> list[str]:
        """Remove labs whose supervisor is dead, and lab namespaces nobody owns; returns names."""
        removed: list[str] = []
        if root.is_dir():
            for directory in root.iterdir():
                if directory.name.startswith("."):
                    # Being created by a client and renamed within microseconds, unless that
                    # client died in between.
                    owner = _read(directory / "owner.json").get("pid")
                    try:
                        age = time.time() - directory.stat().st_mtime
                    except OSError:
                        continue  # already gone
                    if (isinstance(owner, int) and not _pid_alive(owner)) or age > 60:
                        _remove_dir(directory)
                    continue
                if directory.is_dir() and not _alive_owner(directory):
                    Lab.force_remove(directory.name, root)
                    removed.append(directory.name)
        orphans: set[str] = set()
        for ns in plumbing.existing_namespaces():
            if not ns.startswith(PREFIX):
                continue
            name = ns[len(PREFIX) :].split("-", 1)[0].split(".", 1)[0]
            if NAME.match(name) and not (root / name).exists():
                orphans.add(name)
        for name in sorted(orphans):
            plumbing.destroy(plumbing.instance_namespaces(name))
            removed.append(name)
        return removed

    @staticmethod
    def up(
        topology: str | Path,
        profile: Profile | str = Profile.FRIENDLY,
        name: str | None = None,
        *,
        hosts: int | None = None,
        timeout: float = UP_TIMEOUT_S,
        root: Path = RUN_ROOT,
    ) -> LabInstance:
        """Start a detached supervisor for ``topology`` and return once every persona is ready."""
        require_root()
        profile = Profile(profile)
        if name is not None and not NAME.match(name):
            raise lab_error("bad_name", name=name)
        topology_path = Path(topology).resolve()
        load_topology(topology_path, hosts=hosts)  # errors surface here, before anything exists
        Lab.cleanup_stale(root)
        name = name or Lab.new_name()
        directory = root / name
        root.mkdir(mode=0o755, parents=True, exist_ok=True)
        # The directory appears with its owner already inside (made aside, then renamed), so a
        # concurrent cleanup_stale() never mistakes a lab being started for a stale one.
        pending = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
        (pending / "owner.json").write_text(json.dumps({"pid": os.getpid()}))
        try:
            os.rename(pending, directory)
        except OSError:
            _remove_dir(pending)
            raise lab_error("name_taken", name=name) from None
        if plumbing.instance_namespaces(name):
            _remove_dir(directory)
            raise lab_error("name_taken", name=name)
        log = directory / "supervisor.log"
        argv = [
            sys.executable,
            "-m",
            "scopeaudit.lab.supervisor",
            "--dir",
            str(directory),
            "--topology",
            str(topology_path),
            "--profile",
            profile.value,
            "--name",
            name,
            *(["--hosts", str(hosts)] if hosts is not None else []),
        ]
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                close_fds=True,
                start_new_session=True,  # detached: the terminal's Ctrl-C is not its business
            )
        instance = LabInstance(name, root, process)
        deadline = time.monotonic() + timeout
        try:
            while True:
                record = instance.record
                status = record.get("status")
                if status == "ready" and (directory / "control.sock").exists():
                    return instance
                if status == "failed" or process.poll() is not None:
                    process.wait(timeout=DOWN_TIMEOUT_S)
                    error = _read(directory / "instance.json").get("error") or _tail(log)
                    Lab.force_remove(name, root)
                    raise lab_error("up_failed", name=name, error=error)
                if time.monotonic() > deadline:
                    raise lab_error("up_timeout", name=name, seconds=int(timeout), log=log)
                time.sleep(0.05)
        except BaseException:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=DOWN_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
            Lab.force_remove(name, root)
            raise


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"

"""A fork server for persona runtimes: ``python -m scopeaudit.lab.zygote MODULE``.

Why: ~24 personas start at once on two cores and each spends most of its start-up importing the
same modules. The zygote imports the runtime once; each persona is then a ``fork()`` of it that
enters its namespace exactly as ``ip netns exec`` does (``setns`` to the network namespace, a
private mount namespace with ``/sys`` remounted so that ``/sys/class/net`` shows the persona's
interfaces) and runs ``MODULE`` as ``python -m MODULE SPEC`` would (``runpy``).

Protocol on stdin/stdout, one JSON object per line: the supervisor sends ``{"netns", "spec",
"log", "exit_file"}``, the zygote answers ``{"pid": n}`` or ``{"error": "..."}``. It reaps its
children and writes each exit code to its ``exit_file``. It dies with the supervisor
(``PR_SET_PDEATHSIG``) or when stdin closes; the personas it forked are not its to stop.
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
import json
import os
import runpy
import select
import signal
import sys
from pathlib import Path

CLONE_NEWNET = 0x40000000
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_SLAVE = 1 << 19
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def enter_namespace(netns: str) -> None:
    """What ``ip netns exec NETNS`` does before exec: network namespace, then its own /sys."""
    fd = os.open(f"/run/netns/{netns}", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _check(_libc.setns(fd, CLONE_NEWNET), "setns")
    finally:
        os.close(fd)
    _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _check(_libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None), "mount --make-rslave /")
    _check(_libc.umount2(b"/sys", MNT_DETACH), "umount /sys")
    _check(_libc.mount(netns.encode(), b"/sys", b"sysfs", 0, None), "mount sysfs")


def _child(module: str, request: dict[str, str]) -> int:
    """In the forked child: redirect output, enter the namespace, run the module."""
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    os.close(devnull)
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 (lives as long as the process)
    sys.stdout = open(1, "w", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", closefd=False, buffering=1)  # noqa: SIM115
    os.setpgid(0, 0)  # its own group: a signal to the supervisor's group does not reach it
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    enter_namespace(request["netns"])
    sys.argv = ["-m", request["spec"]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as done:
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def _reap() -> dict[int, int]:
    codes: dict[int, int] = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return codes
        if pid == 0:
            return codes
        codes[pid] = os.waitstatus_to_exitcode(status)


def serve(module: str) -> int:
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() == 1:  # the supervisor died before prctl took effect
        return 1
    spec = importlib.util.find_spec(module)
    if spec is not None and spec.submodule_search_locations is not None:
        importlib.import_module(f"{module}.__main__")  # the imports, not the run
        # Forgotten again, so that runpy executes it afresh (its imports stay cached).
        sys.modules.pop(f"{module}.__main__", None)
    exit_files: dict[int, str] = {}
    out = sys.stdout
    buffer = b""
    while True:
        for pid, code in _reap().items():
            path = exit_files.pop(pid, None)
            if path:
                Path(path).write_text(str(code))
        ready, _, _ = select.select([0], [], [], 0.05)
        if not ready:
            continue
        chunk = os.read(0, 65536)
        if not chunk:
            return 0
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            try:
                request = json.loads(line)
                out.flush()
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        code = _child(module, request)
                    except BaseException as error:  # report, never return into the server loop
                        print(f"zygote child: {type(error).__name__}: {error}", file=sys.stderr)
                    finally:
                        sys.stdout.flush()
                        sys.stderr.flush()
                        os._exit(code)
                exit_files[pid] = request["exit_file"]
                reply: dict[str, object] = {"pid": pid}
            except (OSError, ValueError, KeyError) as error:
                reply = {"error": f"{type(error).__name__}: {error}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))

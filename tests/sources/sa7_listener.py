"""TCP listeners for the nmap tests, run inside a test namespace.

Usage: ``python sa7_listener.py FOLDER PORT...``. Port 22 sends an SSH banner, port 80 answers
HTTP; every other port (the printing ports) only counts the bytes it receives, written to
``FOLDER/bytes-<port>`` after each read, so a test can prove nothing but SYN/connect came.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

FOLDER = Path(sys.argv[1])
PORTS = [int(p) for p in sys.argv[2:]]
TOTALS: dict[int, int] = dict.fromkeys(PORTS, 0)
CONNECTIONS: dict[int, int] = dict.fromkeys(PORTS, 0)
LOCK = threading.Lock()


def record(port: int, received: int) -> None:
    with LOCK:
        TOTALS[port] += received
        (FOLDER / f"bytes-{port}").write_text(f"{TOTALS[port]} {CONNECTIONS[port]}\n")


def serve(conn: socket.socket, port: int) -> None:
    conn.settimeout(5)
    with conn:
        try:
            if port == 22:
                conn.sendall(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n")
            while True:
                data = conn.recv(4096)
                if not data:
                    return
                if port == 80:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nServer: sa7-test\r\nContent-Length: 2\r\n"
                        b"Connection: close\r\n\r\nok"
                    )
                    return
                if port != 22:
                    record(port, len(data))
        except OSError:
            return


def listen(port: int) -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("0.0.0.0", port))
    server.listen(64)
    while True:
        conn, _ = server.accept()
        with LOCK:
            CONNECTIONS[port] += 1
        if port not in (22, 80):
            record(port, 0)
        threading.Thread(target=serve, args=(conn, port), daemon=True).start()


for number in PORTS:
    threading.Thread(target=listen, args=(number,), daemon=True).start()
(FOLDER / "ready").write_text("ok\n")
threading.Event().wait()

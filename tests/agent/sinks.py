"""Real alert receivers on loopback for the agent tests: an HTTP server and a minimal SMTP server.

Each received webhook POST or mail is appended as one JSON line to a file, so the tests can read
what arrived whether the sinks run in a thread of the test process or, for the lab test, as a
process inside the technician's namespace (``python sinks.py OUT HTTP_PORT SMTP_PORT``).
"""

from __future__ import annotations

import http.server
import json
import socketserver
import sys
import threading
from pathlib import Path
from typing import Any


def _append(out: Path, record: dict[str, Any]) -> None:
    with out.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def http_server(out: Path, port: int = 0, status: int = 204) -> socketserver.TCPServer:
    """A server that records each POST (path, headers, body) and answers ``status``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            _append(
                out,
                {
                    "kind": "webhook",
                    "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": body.decode("utf-8"),
                },
            )
            self.send_response(self.server.status)  # type: ignore[attr-defined]
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.status = status  # type: ignore[attr-defined]
    return server


class _Smtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (RFC 5321) for smtplib: HELO/EHLO, MAIL, RCPT, DATA, QUIT."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")

    def handle(self) -> None:
        self.reply("220 sink ESMTP")
        envelope: dict[str, Any] = {"kind": "email", "rcpt": []}
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line.decode("ascii", "replace").strip().upper()
            if verb.startswith(("EHLO", "HELO")):
                self.reply("250 sink")
            elif verb.startswith("MAIL FROM:"):
                envelope["from"] = line.decode().strip()[10:]
                self.reply("250 OK")
            elif verb.startswith("RCPT TO:"):
                envelope["rcpt"].append(line.decode().strip()[8:])
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = bytearray()
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                envelope["data"] = data.decode("utf-8", "replace")
                _append(self.server.out, envelope)  # type: ignore[attr-defined]
                envelope = {"kind": "email", "rcpt": []}
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def smtp_server(out: Path, port: int = 0) -> socketserver.TCPServer:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), _Smtp)
    server.out = out  # type: ignore[attr-defined]
    return server


def start(server: socketserver.TCPServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def received(out: Path) -> list[dict[str, Any]]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line]


if __name__ == "__main__":
    target = Path(sys.argv[1])
    web = http_server(target, int(sys.argv[2]))
    mail = smtp_server(target, int(sys.argv[3]))
    start(mail)
    print("ready", flush=True)
    web.serve_forever()

"""Self-signed (or throw-away-CA-signed) certificates with vendor-like subjects, via openssl.

The ``cryptography`` package is not a dependency, so the openssl command line makes them. EC P-256
keys: generation takes milliseconds, and scanners read the subject and issuer, not the key type.
"""

from __future__ import annotations

import hashlib
import ssl
import subprocess
from pathlib import Path

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _run(args: list[str]) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=20)


def _subj(subject: str) -> list[str]:
    return ["-subj", subject, "-days", "3650", "-utf8"]


def make_certificate(run_dir: Path, subject: str, issuer: str | None = None) -> tuple[Path, Path]:
    """``(chain.pem, key.pem)`` for ``subject``, cached in ``run_dir`` by subject and issuer."""
    tag = hashlib.sha256(f"{subject}\0{issuer}".encode()).hexdigest()[:12]
    chain, key = run_dir / f"tls-{tag}.pem", run_dir / f"tls-{tag}.key"
    if chain.exists() and key.exists():
        return chain, key
    run_dir.mkdir(parents=True, exist_ok=True)
    if issuer is None:
        _run(["req", "-x509", *_EC, "-keyout", str(key), "-out", str(chain), *_subj(subject)])
        return chain, key
    ca_key, ca_pem = run_dir / f"ca-{tag}.key", run_dir / f"ca-{tag}.pem"
    csr, leaf = run_dir / f"tls-{tag}.csr", run_dir / f"leaf-{tag}.pem"
    _run(["req", "-x509", *_EC, "-keyout", str(ca_key), "-out", str(ca_pem), *_subj(issuer)])
    _run(["req", "-new", *_EC, "-keyout", str(key), "-out", str(csr), "-subj", subject, "-utf8"])
    signing = ["-CA", str(ca_pem), "-CAkey", str(ca_key), "-set_serial", "0x" + tag]
    _run(["x509", "-req", "-in", str(csr), *signing, "-days", "3650", "-out", str(leaf)])
    chain.write_bytes(leaf.read_bytes() + ca_pem.read_bytes())
    return chain, key


def server_context(chain: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(chain), str(key))
    return context

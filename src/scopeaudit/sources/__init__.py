"""Discovery sources. Each splits capture from a pure parser that turns bytes into observations.

Pure parts: ``frames`` (captured frames: ARP, DHCP, mDNS, SSDP, LLDP, CDP, NBNS, LLMNR, TTL),
``nmap_xml`` (nmap's XML output) and ``importer`` (files given with ``--import``).
"""

from __future__ import annotations

# Strings from the network are kept raw but capped, so a hostile peer cannot fill memory.
MAX_STRING = 4096
TRUNCATION_MARK = "…[truncated]"


def cap(text: str) -> str:
    """``text`` unchanged, or cut at ``MAX_STRING`` characters with a visible mark."""
    if len(text) <= MAX_STRING:
        return text
    return text[:MAX_STRING] + TRUNCATION_MARK


def network_text(raw: bytes) -> str:
    """Bytes from the wire as text: UTF-8 with replacement characters, NULs kept, capped."""
    return cap(raw[: MAX_STRING * 4].decode("utf-8", errors="replace"))

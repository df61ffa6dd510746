"""MAC addresses: one normal form (``aa:bb:cc:dd:ee:ff``) whatever the notation, and their bits."""

from __future__ import annotations

import re

_HEX = re.compile(r"[0-9a-fA-F]")
_SEPARATED = re.compile(
    r"^(?:[0-9a-fA-F]{1,2}([:-])){5}[0-9a-fA-F]{1,2}$"  # 00:11:22:33:44:55, 0-1-2-3-4-5
)
_CISCO = re.compile(r"^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$")  # 0011.2233.4455
_BARE = re.compile(r"^[0-9a-fA-F]{12}$")  # 001122334455


def normalize_mac(text: str) -> str:
    """Return ``text`` as a lower-case colon-separated MAC, or raise ``ValueError``.

    Accepts ``00:11:22:33:44:55``, ``00-11-22-33-44-55``, ``0011.2233.4455``, ``001122334455``,
    in any case, and single-digit groups (``0:1:2:3:4:5``) as some tools print them.
    """
    value = text.strip()
    if _SEPARATED.match(value):
        groups = re.split(r"[:-]", value)
        return ":".join(group.zfill(2).lower() for group in groups)
    if _CISCO.match(value) or _BARE.match(value):
        digits = value.replace(".", "").lower()
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    raise ValueError(
        f"not a MAC address: {text!r} (expected six hex pairs such as 00:11:22:33:44:55)"
    )


def is_mac(text: str) -> bool:
    """True when ``text`` is a MAC in any notation ``normalize_mac`` accepts."""
    try:
        normalize_mac(text)
    except ValueError:
        return False
    return True


def first_octet(mac: str) -> int:
    return int(normalize_mac(mac)[:2], 16)


def is_locally_administered(mac: str) -> bool:
    """U/L bit set: random, virtual or otherwise not an IEEE-assigned address."""
    return bool(first_octet(mac) & 0x02)


def is_multicast(mac: str) -> bool:
    """I/G bit set: a group address, never a device's own."""
    return bool(first_octet(mac) & 0x01)


def oui(mac: str) -> str:
    """The first three octets, upper-case without separators (``70105C``)."""
    return normalize_mac(mac).replace(":", "")[:6].upper()

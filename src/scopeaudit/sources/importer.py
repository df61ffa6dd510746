"""Import of recorded evidence (``scan --import FILE``): nmap XML, pcap and pcapng captures,
DHCP lease files and GLPI/OCS inventory exports (parsed by ``leases`` and ``inventory``).

The format is told by the file's first bytes, never by its name (pcapng files are often named
``.pcap``). Captures are read by the small readers below and decoded by ``frames``; nmap XML by
``nmap_xml``. Each file gets its own outcome: a file that cannot be used is a one-line message,
never an exception, and the other files are still imported.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scopeaudit.i18n import Catalog, render, resolve_language
from scopeaudit.models import Observation, SourceOutcome, utc_now
from scopeaudit.sources import inventory, leases
from scopeaudit.sources.frames import SUPPORTED_LINKTYPES, decode_frames
from scopeaudit.sources.nmap_xml import parse_nmap_xml
from scopeaudit.taxonomy import Language, Source

MAX_FILE_BYTES = 512 * 1024 * 1024
# A captured frame larger than this means a corrupt record header, not a real frame.
_MAX_FRAME = 256 * 1024
_PCAP_MAGICS = {
    b"\xa1\xb2\xc3\xd4": (">", 1_000_000),
    b"\xd4\xc3\xb2\xa1": ("<", 1_000_000),
    b"\xa1\xb2\x3c\x4d": (">", 1_000_000_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1_000_000_000),
}
_PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

TEXT: Catalog = {
    "is_folder": {
        Language.EN: "is a folder, not a file",
        Language.FR: "est un dossier, pas un fichier",
    },
    "too_large": {
        Language.EN: "too large ({size} bytes; the limit is 512 MiB)",
        Language.FR: "trop volumineux ({size} octets ; la limite est 512 Mio)",
    },
    "unreadable": {Language.EN: "cannot be read ({error})", Language.FR: "illisible ({error})"},
    "empty": {Language.EN: "is empty", Language.FR: "est vide"},
    "unknown_format": {
        Language.EN: "unknown format (first bytes {head}): expected nmap XML, pcap, pcapng, "
        "a DHCP lease file or a GLPI/OCS CSV export",
        Language.FR: "format inconnu (premiers octets {head}) : XML de nmap, pcap, pcapng, "
        "fichier de baux DHCP ou export CSV GLPI/OCS attendu",
    },
    "pcap_header": {
        Language.EN: "pcap file truncated inside its header",
        Language.FR: "fichier pcap tronqué dans son en-tête",
    },
    "pcap_truncated": {
        Language.EN: "pcap file truncated after {frames} frames",
        Language.FR: "fichier pcap tronqué après {frames} trames",
    },
    "pcap_corrupt": {
        Language.EN: "corrupt pcap record after {frames} frames (length {length})",
        Language.FR: "enregistrement pcap corrompu après {frames} trames (longueur {length})",
    },
    "pcapng_bom": {
        Language.EN: "pcapng section header with a bad byte-order mark at byte {offset}",
        Language.FR: "en-tête de section pcapng avec une marque d'ordre des octets invalide "
        "à l'octet {offset}",
    },
    "pcapng_truncated": {
        Language.EN: "pcapng file truncated or corrupt after {frames} frames",
        Language.FR: "fichier pcapng tronqué ou corrompu après {frames} trames",
    },
    "pcapng_interface": {
        Language.EN: "pcapng packet refers to undeclared interface {interface}",
        Language.FR: "un paquet pcapng renvoie à l'interface non déclarée {interface}",
    },
    "linktype": {
        Language.EN: "link type(s) {types} not supported; those frames were skipped",
        Language.FR: "type(s) de lien {types} non pris en charge ; ces trames ont été ignorées",
    },
    "summary": {
        Language.EN: "{path}: {format}, {observations} observations ({counts})",
        Language.FR: "{path} : {format}, {observations} observations ({counts})",
    },
    "failed": {Language.EN: "{path}: {error}", Language.FR: "{path} : {error}"},
}
# Names of the per-file counters, as the summary line shows them.
COUNT_LABELS: Catalog = {
    "frames": {Language.EN: "frames", Language.FR: "trames"},
    "malformed": {Language.EN: "malformed", Language.FR: "mal formées"},
    "tunnelled": {Language.EN: "tunnelled", Language.FR: "tunnelisées"},
    "unsupported link type": {
        Language.EN: "unsupported link type",
        Language.FR: "type de lien non pris en charge",
    },
    "hosts up": {Language.EN: "hosts up", Language.FR: "hôtes actifs"},
    "hosts down": {Language.EN: "hosts down", Language.FR: "hôtes inactifs"},
    # Lease files and inventory exports (import_table below).
    "leases": {Language.EN: "leases", Language.FR: "baux"},
    "active": {Language.EN: "active", Language.FR: "actifs"},
    "inactive": {Language.EN: "expired or free", Language.FR: "expirés ou libres"},
    "superseded": {Language.EN: "superseded", Language.FR: "remplacés"},
    "rows": {Language.EN: "rows", Language.FR: "lignes"},
    "shared MAC": {Language.EN: "rows with a shared MAC", Language.FR: "lignes à MAC partagée"},
    "rejected": {Language.EN: "rejected rows", Language.FR: "lignes rejetées"},
}


@dataclass
class FileOutcome:
    """How one imported file went. ``error`` is set when nothing could be taken from it.

    ``error`` and ``problems`` are rendered in ``lang``; ``code`` names the error for programs.
    """

    path: str
    format: str
    ok: bool
    error: str | None = None
    observations: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    code: str | None = None
    lang: Language = Language.EN

    def line(self) -> str:
        """A one-line summary for logs and reports."""
        if self.error is not None:
            return render(TEXT, "failed", {"path": self.path, "error": self.error}, self.lang)
        counts = ", ".join(
            f"{render(COUNT_LABELS, key, {}, self.lang)} {value}"
            for key, value in self.counts.items()
            if value
        )
        params = {
            "path": self.path,
            "format": self.format,
            "observations": self.observations,
            "counts": counts,
        }
        return render(TEXT, "summary", params, self.lang)


@dataclass
class ImportResult:
    observations: list[Observation] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)

    def extend(self, other: ImportResult) -> None:
        self.observations += other.observations
        self.files += other.files

    def source_outcome(self, duration_s: float = 0.0) -> SourceOutcome:
        """The import source's outcome: ok when at least one file gave something usable."""
        failed = [f for f in self.files if not f.ok]
        return SourceOutcome(
            name=Source.IMPORT,
            ok=bool(self.files) and len(failed) < len(self.files),
            error="; ".join(f.line() for f in failed) or None,
            duration_s=duration_s,
            detail={"files": len(self.files), "failed": len(failed)},
        )


def import_files(
    paths: Iterable[Path], *, now: datetime | None = None, lang: Language | None = None
) -> ImportResult:
    result = ImportResult()
    for path in paths:
        result.extend(import_file(path, now=now, lang=lang))
    return result


def import_file(
    path: Path, *, now: datetime | None = None, lang: Language | None = None
) -> ImportResult:
    """Observations from one nmap XML, pcap, pcapng, lease or inventory file, with its outcome."""
    fallback = now or utc_now()
    language = lang or resolve_language()
    vantage = f"file:{path.name}"

    def failed(kind: str, code: str, **params: object) -> ImportResult:
        message = render(TEXT, code, params, language)
        return _failed(path, kind, code, message, language)

    try:
        if path.is_dir():
            return failed("unknown", "is_folder")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return failed("unknown", "too_large", size=size)
        content = path.read_bytes()
    except OSError as error:
        return failed("unknown", "unreadable", error=error.strerror or error)
    head = content[:4]
    if head in _PCAP_MAGICS or head == _PCAPNG_MAGIC:
        return _import_capture(path, content, vantage, fallback, language)
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return _import_nmap(path, content, vantage, fallback, language)
    table = import_table(path, content, vantage, fallback, language)
    if table is not None:
        return table
    if not content:
        return failed("unknown", "empty")
    return failed("unknown", "unknown_format", head=content[:8].hex())


def _failed(path: Path, kind: str, code: str, message: str, lang: Language) -> ImportResult:
    outcome = FileOutcome(str(path), kind, ok=False, error=message, code=code, lang=lang)
    return ImportResult(files=[outcome])


def _import_nmap(
    path: Path, content: bytes, vantage: str, fallback: datetime, lang: Language
) -> ImportResult:
    parsed = parse_nmap_xml(content, vantage=vantage, fallback_time=fallback, lang=lang)
    if parsed.error is not None:
        return _failed(path, "nmap-xml", parsed.error_code or "nmap", parsed.error, lang)
    outcome = FileOutcome(
        str(path),
        "nmap-xml",
        ok=True,
        observations=len(parsed.observations),
        counts={"hosts up": parsed.hosts_up, "hosts down": parsed.hosts_down},
        problems=parsed.problems,
        lang=lang,
    )
    if parsed.hosts_up == 0 and parsed.problems:
        outcome.ok = False
        outcome.code = "no_usable_host"
        outcome.error = "; ".join(parsed.problems)
    return ImportResult(observations=parsed.observations, files=[outcome])


# --- Lease files and inventory exports: told by content, parsed by leases / inventory. ---


def _text(content: bytes) -> str:
    """Text of a CSV or lease file: UTF-16 with a BOM (PowerShell's -Encoding Unicode), else
    UTF-8 with or without BOM, else Windows-1252 (a CSV saved again by Excel, old GLPI);
    undecodable bytes are replaced, never fatal."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16", errors="replace")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return content.decode("cp1252", errors="replace")


def import_table(
    path: Path, content: bytes, vantage: str, fallback: datetime, lang: Language
) -> ImportResult | None:
    """A lease file or inventory export, or None when ``content`` is neither."""
    text = _text(content)
    fmt = leases.detect(text)
    if fmt is not None:
        parsed = leases.parse(text, fmt, vantage=vantage, now=fallback, lang=lang)
    else:
        fmt = inventory.detect(text)
        if fmt is None:
            return None
        parsed = inventory.parse(text, fmt, vantage=vantage, now=fallback, lang=lang)
    counts = {**parsed.counts, "rejected": len(parsed.problems)}
    outcome = FileOutcome(
        str(path),
        fmt,
        ok=parsed.rows > 0,
        observations=len(parsed.observations),
        counts=counts,
        problems=parsed.problems,
        lang=lang,
    )
    if parsed.rows == 0:
        outcome.code = "no_usable_row"
        outcome.error = "; ".join(parsed.problems[:5]) or render(TEXT, "empty", {}, lang)
    return ImportResult(observations=parsed.observations, files=[outcome])


@dataclass
class _Capture:
    """Frames grouped by link type, and how reading ended."""

    frames: dict[int, list[tuple[bytes, datetime]]] = field(default_factory=dict)
    problem: CaptureError | None = None


def _import_capture(
    path: Path, content: bytes, vantage: str, fallback: datetime, lang: Language
) -> ImportResult:
    kind = "pcapng" if content[:4] == _PCAPNG_MAGIC else "pcap"
    capture = _Capture()
    reader = read_pcapng if kind == "pcapng" else read_pcap
    try:
        for linktype, frame, when in reader(content, fallback):
            capture.frames.setdefault(linktype, []).append((frame, when))
    except CaptureError as error:
        capture.problem = error
    total = sum(len(frames) for frames in capture.frames.values())
    problem = capture.problem
    if total == 0 and problem is not None:
        return _failed(path, kind, problem.code, problem.render(lang), lang)
    result = ImportResult()
    counts = {"frames": total, "malformed": 0, "tunnelled": 0, "unsupported link type": 0}
    for linktype, frames in capture.frames.items():
        batch = decode_frames(frames, linktype, vantage=vantage, source=Source.IMPORT)
        result.observations += batch.observations
        counts["malformed"] += batch.stats.malformed
        counts["tunnelled"] += batch.stats.tunnelled
        counts["unsupported link type"] += batch.stats.unsupported_linktype
    problems = [problem.render(lang)] if problem is not None else []
    unsupported = sorted(set(capture.frames) - SUPPORTED_LINKTYPES)
    if unsupported:
        problems.append(render(TEXT, "linktype", {"types": unsupported}, lang))
    outcome = FileOutcome(
        str(path), kind, ok=True, observations=len(result.observations), counts=counts, lang=lang
    )
    outcome.problems = problems
    result.files.append(outcome)
    return result


class CaptureError(Exception):
    """A capture file's structure is broken; frames read before it are kept."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(render(TEXT, code, params, Language.EN))

    def render(self, lang: Language) -> str:
        return render(TEXT, self.code, self.params, lang)


def _timestamp(seconds: float, fallback: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return fallback


def read_pcap(content: bytes, fallback: datetime) -> Iterator[tuple[int, bytes, datetime]]:
    """(link type, frame, time) of each record of a classic pcap file."""
    if len(content) < 24:
        raise CaptureError("pcap_header")
    order, per_second = _PCAP_MAGICS[content[:4]]
    linktype = struct.unpack_from(order + "I", content, 20)[0] & 0xFFFF
    offset, count = 24, 0
    while offset < len(content):
        if offset + 16 > len(content):
            raise CaptureError("pcap_truncated", frames=count)
        seconds, fraction, captured, _ = struct.unpack_from(order + "IIII", content, offset)
        if captured > _MAX_FRAME:
            raise CaptureError("pcap_corrupt", frames=count, length=captured)
        frame = content[offset + 16 : offset + 16 + captured]
        if len(frame) != captured:
            raise CaptureError("pcap_truncated", frames=count)
        offset += 16 + captured
        count += 1
        yield linktype, frame, _timestamp(seconds + fraction / per_second, fallback)


def read_pcapng(content: bytes, fallback: datetime) -> Iterator[tuple[int, bytes, datetime]]:
    """(link type, frame, time) of each packet block of a pcapng file (all sections)."""
    order = "<"
    interfaces: list[tuple[int, float]] = []  # (link type, seconds per timestamp unit)
    offset, count = 0, 0
    while offset + 12 <= len(content):
        block_type = struct.unpack_from(order + "I", content, offset)[0]
        if block_type == 0x0A0D0D0A:
            magic = content[offset + 8 : offset + 12]
            if magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                raise CaptureError("pcapng_bom", offset=offset)
            interfaces = []
        length = struct.unpack_from(order + "I", content, offset + 4)[0]
        if length < 12 or length % 4 or offset + length > len(content):
            raise CaptureError("pcapng_truncated", frames=count)
        body = content[offset + 8 : offset + length - 4]
        offset += length
        if block_type == 1 and len(body) >= 8:
            interfaces.append(_interface(body, order))
        elif block_type in (6, 2) and len(body) >= 20:
            if block_type == 6:
                iface, high, low, captured = struct.unpack_from(order + "IIII", body, 0)
                data_start = 20
            else:
                iface, _, high, low, captured = struct.unpack_from(order + "HHIII", body, 0)
                data_start = 20
            if iface >= len(interfaces):
                raise CaptureError("pcapng_interface", interface=iface)
            linktype, unit = interfaces[iface]
            frame = body[data_start : data_start + captured]
            count += 1
            yield linktype, frame, _timestamp(((high << 32) | low) * unit, fallback)
        elif block_type == 3 and len(body) >= 4 and interfaces:
            count += 1
            yield interfaces[0][0], body[4:], fallback
    if offset < len(content):
        raise CaptureError("pcapng_truncated", frames=count)


def _interface(body: bytes, order: str) -> tuple[int, float]:
    linktype = struct.unpack_from(order + "H", body, 0)[0]
    unit = 1e-6
    offset = 8
    while offset + 4 <= len(body):
        code, length = struct.unpack_from(order + "HH", body, offset)
        if code == 0:
            break
        if code == 9 and length >= 1:  # if_tsresol
            value = body[offset + 4]
            unit = 2.0 ** -(value & 0x7F) if value & 0x80 else 10.0**-value
        offset += 4 + length + (-length % 4)
    return linktype, unit

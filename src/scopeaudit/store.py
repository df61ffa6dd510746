"""The run store: every scan and audit recorded in one SQLite file, with stable device ids.

What lives here: ``Store`` (open, lock, record, read back, resolve run references, presence
history for reconcile, prune), the schema and its migrations, the identity table that keeps a
device's id across runs, and the test-only pause hook used by the kill tests.

Why SQLite: one file, transactional, readable while another process writes (WAL). Each record
is one ``BEGIN IMMEDIATE`` … ``COMMIT``: a process killed at any point leaves either the whole
run or nothing, and earlier runs untouched. A run holds an exclusive, non-blocking ``flock`` on
a lock file beside the database for its whole life; a second run gets ``StoreLocked`` (exit 5).
Readers (``history``) need no lock.

The snapshot and the audit result are kept whole, as their canonical JSON compressed with zlib:
a run can be reconciled or rendered again later, and its fingerprint checked.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import sqlite3
import time
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import ValidationError

from scopeaudit import __version__
from scopeaudit.audit_models import AuditResult
from scopeaudit.errors import InputError, StoreLocked
from scopeaudit.macaddr import is_locally_administered
from scopeaudit.merge import Weight, identity_keys, is_generic_name, normalize_name
from scopeaudit.models import Device, ScopeSummary, Snapshot, utc_now
from scopeaudit.reconcile import Presence
from scopeaudit.snapshot import (
    canonical_json,
    compute_fingerprint,
    read_snapshot,
    seal,
    snapshot_document,
)
from scopeaudit.taxonomy import Status

RunId = str

SCHEMA_VERSION = 2
STORE_FILE = "runs.sqlite"
AGENT_STORE = Path("/var/lib/scopeaudit") / STORE_FILE
PAUSE_ENV = "SCOPEAUDIT_TEST_PAUSE_AT"
PAUSE_FILE_ENV = "SCOPEAUDIT_TEST_PAUSE_FILE"
_BUSY_TIMEOUT_S = 30.0


class RunKind(StrEnum):
    """What a run was."""

    SCAN = "scan"
    AUDIT = "audit"


class PausePoint(StrEnum):
    """Where the test-only pause hook can stop a recording (see ``_pause``)."""

    LOCKED = "locked"  # lock held, nothing written yet
    BEGUN = "begun"  # transaction open, nothing inserted
    RUN_INSERTED = "run-inserted"  # the run row written, identities not yet
    IDENTITIES = "identities"  # identities and sightings written
    BEFORE_COMMIT = "before-commit"  # everything written, not committed
    COMMITTED = "committed"  # committed, lock still held


@dataclass(frozen=True)
class RunSummary:
    """One line of ``history``."""

    id: RunId
    kind: RunKind
    started_at: datetime
    finished_at: datetime
    recorded_at: datetime
    tool_version: str
    contract_reference: str | None
    contract_sha256: str | None
    contract_path: str | None
    devices: int
    drift: bool | None  # None for a scan: drift is an audit's verdict
    fingerprint: str | None

    def as_json(self) -> dict[str, Any]:
        """The JSON form (``history --format json``)."""
        return {
            "id": self.id,
            "kind": self.kind.value,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "recorded_at": self.recorded_at.isoformat(),
            "tool_version": self.tool_version,
            "contract": None
            if self.contract_reference is None
            else {
                "reference": self.contract_reference,
                "sha256": self.contract_sha256,
                "path": self.contract_path,
            },
            "devices": self.devices,
            "drift": self.drift,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True)
class SourceSeen:
    """When one source first and last saw a device."""

    source: str
    first_seen: datetime
    last_seen: datetime


@dataclass(frozen=True)
class DeviceSeen:
    """A device's first and last sighting over every recorded run, and per source."""

    device_id: str
    first_seen: datetime
    last_seen: datetime
    runs: int
    sources: list[SourceSeen] = field(default_factory=list)


@dataclass(frozen=True)
class PruneResult:
    """What ``prune`` removed."""

    removed: list[RunId]
    kept: int


def default_store_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_DATA_HOME/scopeaudit/runs.sqlite``, else ``~/.local/share/scopeaudit/runs.sqlite``.

    The agent uses ``AGENT_STORE`` (``/var/lib/scopeaudit/runs.sqlite``) instead.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_DATA_HOME") or ""
    root = Path(base) if base.startswith("/") else Path.home() / ".local" / "share"
    return root / "scopeaudit" / STORE_FILE


# --- schema and migrations ---------------------------------------------------------------

# Version 1: runs, identities and sightings. Kept verbatim: the migration test builds it.
SCHEMA_V1 = """
CREATE TABLE runs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    tool_version TEXT NOT NULL,
    contract_reference TEXT,
    contract_sha256 TEXT,
    contract_path TEXT,
    devices INTEGER NOT NULL,
    drift INTEGER,
    fingerprint TEXT,
    snapshot BLOB NOT NULL,
    audit BLOB
);
CREATE INDEX runs_contract ON runs (contract_reference, kind, started_at);
CREATE TABLE identities (
    key TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL
);
CREATE INDEX identities_device ON identities (device_id);
CREATE TABLE sightings (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    device_id TEXT NOT NULL,
    source TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (run_id, device_id, source)
);
CREATE INDEX sightings_device ON sightings (device_id);
"""

# Version 2: each audit's status per declared item, for presence counting without decoding
# every stored audit. The migration fills it from the audits already stored.
_V2 = """
CREATE TABLE item_status (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    equipment_id TEXT NOT NULL,
    status TEXT NOT NULL,
    device_id TEXT,
    PRIMARY KEY (run_id, equipment_id)
);
"""


def _run_script(db: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _migrate_1_to_2(db: sqlite3.Connection) -> None:
    _run_script(db, _V2)  # not executescript: it would commit the open transaction
    rows = db.execute("SELECT id, audit FROM runs WHERE audit IS NOT NULL").fetchall()
    for run_id, blob in rows:
        document = json.loads(zlib.decompress(blob))
        db.executemany(
            "INSERT OR REPLACE INTO item_status VALUES (?, ?, ?, ?)",
            [
                (run_id, f["equipment_id"], f["status"], f.get("device_id"))
                for f in document.get("findings", [])
                if f.get("equipment_id")
            ],
        )


_MIGRATIONS = {1: _migrate_1_to_2}


def _migrate(db: sqlite3.Connection) -> None:
    """Bring the schema to ``SCHEMA_VERSION``, one step per transaction."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise InputError(
            f"the run store has schema version {version}, newer than this scopeaudit "
            f"({SCHEMA_VERSION}): upgrade scopeaudit"
        )
    while version < SCHEMA_VERSION:
        db.execute("BEGIN IMMEDIATE")
        try:
            if version == 0:
                _run_script(db, SCHEMA_V1 + _V2)
                version = SCHEMA_VERSION
            else:
                _MIGRATIONS[version](db)
                version += 1
            db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


# --- helpers -------------------------------------------------------------------------------


def _pause(point: PausePoint, store_path: Path) -> None:
    """Test-only: at the point named by ``SCOPEAUDIT_TEST_PAUSE_AT``, write a marker file and
    sleep, so a test can SIGKILL the process exactly there."""
    if os.environ.get(PAUSE_ENV) != point.value:
        return
    marker = Path(os.environ.get(PAUSE_FILE_ENV) or f"{store_path}.paused")
    marker.write_text(f"{os.getpid()} {point.value}\n", encoding="utf-8")
    while True:  # only a signal ends this: the test kills the process
        time.sleep(0.05)


def _pack(document: Any) -> bytes:
    return zlib.compress(canonical_json(document), 6)


def _unpack(blob: bytes) -> Any:
    return json.loads(zlib.decompress(blob))


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _new_run_id(started: datetime) -> RunId:
    # Sortable by time at a glance, unique by the random tail; a prefix of it names the run.
    return started.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def device_keys(device: Device, snapshot: Snapshot) -> tuple[set[str], set[str]]:
    """(strong, names): the identifiers that name this device across runs.

    Strong: serials, universal MACs, DHCP client-ids (from its evidence and its MAC list).
    Names: announced non-generic names; used to match only a device with no strong key (a
    rotated randomized MAC). Never an IP, never a randomized MAC (DESIGN §5).
    """
    strong: set[str] = set()
    names: set[str] = set()
    for mac in device.macs:
        if not is_locally_administered(mac):
            strong.add(f"mac:{mac}")
    for index in device.evidence:
        if not 0 <= index < len(snapshot.observations):
            continue
        for weight, value in identity_keys(snapshot.observations[index]):
            if weight in (Weight.SERIAL, Weight.MAC, Weight.CLIENT_ID):
                strong.add(f"{weight.name.lower()}:{value}")
            elif weight is Weight.NAME:
                names.add(f"name:{value}")
    for name in device.hostnames:
        if not is_generic_name(name):
            names.add(f"name:{normalize_name(name)}")
    return strong, names


_WEIGHT_OF = {"serial": 3, "mac": 2, "client_id": 1, "name": 0}


def _rewrite_ids(devices: list[Device], mapping: Mapping[str, str]) -> list[Device]:
    out = []
    for device in devices:
        update: dict[str, Any] = {"id": mapping.get(device.id, device.id)}
        if device.parent_id is not None:
            update["parent_id"] = mapping.get(device.parent_id, device.parent_id)
        out.append(device.model_copy(update=update))
    return out


# --- the store -----------------------------------------------------------------------------


class Store:
    """One run store. Use ``Store.open(path)`` as a context manager.

    Opened with ``lock=True`` (every scan, audit, agent run, prune) it holds the lock file
    until closed; ``lock=False`` is for readers (history, diff, snapshot arguments).
    """

    def __init__(self, path: Path, db: sqlite3.Connection, lock: IO[bytes] | None) -> None:
        self.path = path
        self._db = db
        self._lock = lock

    # -- opening and closing --

    @classmethod
    def open(cls, path: Path | None = None, *, lock: bool = True, create: bool = True) -> Store:
        """Open (creating and migrating if needed) the store at ``path`` (default:
        ``default_store_path()``). Raises ``StoreLocked`` if another run holds it."""
        path = path if path is not None else default_store_path()
        if path.is_dir():
            raise InputError(f"{path}: is a folder; give the run store's file (e.g. {STORE_FILE})")
        if not create and not path.exists():
            raise InputError(f"{path}: no run store here (scan or audit first, or give --store)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise InputError(f"{path.parent}: cannot create the store's folder ({error})") from None
        handle = _acquire(path) if lock else None
        try:
            db = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            try:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=FULL")
                db.execute("PRAGMA foreign_keys=ON")
                _migrate(db)
            except sqlite3.DatabaseError as error:
                db.close()
                raise InputError(f"{path}: not a usable run store ({error})") from None
        except BaseException:
            if handle is not None:
                handle.close()
            raise
        store = cls(path, db, handle)
        if handle is not None:
            _pause(PausePoint.LOCKED, path)
        return store

    def close(self) -> None:
        """Close the database, then release the lock."""
        self._db.close()
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            _pause(PausePoint.BEGUN, self.path)
            yield self._db
            _pause(PausePoint.BEFORE_COMMIT, self.path)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        _pause(PausePoint.COMMITTED, self.path)

    # -- identities --

    def stabilize(self, snapshot: Snapshot) -> Snapshot:
        """The snapshot with its device ids replaced by the ids the store already knows for the
        same devices (and first sightings carried over); resealed when anything changed.

        Call it before an audit so findings carry the stable ids; ``record_*`` call it too.
        """
        mapping, first_seen = self._match(snapshot)
        changed = any(old != new for old, new in mapping.items())
        devices = _rewrite_ids(snapshot.devices, mapping)  # copies: the input stays as it was
        for device in devices:
            earlier = first_seen.get(device.id)
            if earlier is not None and (device.first_seen is None or earlier < device.first_seen):
                device.first_seen = earlier
                changed = True
        if not changed:
            return snapshot
        return seal(snapshot.model_copy(update={"devices": devices, "fingerprint": None}))

    def stabilize_audit(self, result: AuditResult) -> AuditResult:
        """The audit result with its devices' ids replaced by the store's known ones (its
        devices, findings and candidates agree). Call it before rendering a live audit."""
        pseudo = snapshot_from_result(result)
        mapping, _ = self._match(pseudo)
        if all(old == new for old, new in mapping.items()):
            return result
        return _rewrite_result(result, mapping)

    def _match(self, snapshot: Snapshot) -> tuple[dict[str, str], dict[str, datetime]]:
        found: list[tuple[int, int, str, Device]] = []  # (weight, order, known id, device)
        pending: list[Device] = []
        for order, device in enumerate(snapshot.devices):
            strong, names = device_keys(device, snapshot)
            known = self._lookup(strong) if strong else self._lookup(names, names_only=True)
            if known is None:
                pending.append(device)
            else:
                found.append((known[1], order, known[0], device))
        taken: set[str] = set()
        mapping: dict[str, str] = {}
        # Strongest matches first: a name match never takes an id a MAC match claims.
        for _, _, known_id, device in sorted(found, key=lambda f: (-f[0], f[1])):
            if known_id in taken:
                pending.append(device)
            else:
                mapping[device.id] = known_id
                taken.add(known_id)
        # Unmatched devices keep their own id unless a matched one already took it.
        for device in pending:
            new = device.id
            if new in taken:  # deterministic, so a snapshot and its audit agree
                new = "dev-" + hashlib.sha256(f"store-split:{device.id}".encode()).hexdigest()[:12]
            mapping[device.id] = new
            taken.add(new)
        first: dict[str, datetime] = {}
        if taken:
            marks = ",".join("?" * len(taken))
            for device_id, text in self._db.execute(
                f"SELECT device_id, MIN(first_seen) FROM sightings WHERE device_id IN ({marks}) "
                "GROUP BY device_id",
                sorted(taken),
            ):
                first[device_id] = _time(text)
        return mapping, first

    def _lookup(self, keys: set[str], *, names_only: bool = False) -> tuple[str, int] | None:
        """(known device id, weight) sharing the strongest of ``keys`` (latest seen on a tie).

        ``names_only``: a device known by a serial, universal MAC or client-id is not matched
        by a name alone (a replaced machine, or a phone named like a desk's PC, is not it).
        """
        if not keys:
            return None
        marks = ",".join("?" * len(keys))
        rows = self._db.execute(
            f"SELECT key, device_id, last_seen FROM identities WHERE key IN ({marks})",
            sorted(keys),
        ).fetchall()
        if names_only:
            rows = [
                r
                for r in rows
                if self._db.execute(
                    "SELECT 1 FROM identities WHERE device_id = ? AND key NOT LIKE 'name:%'",
                    (r[1],),
                ).fetchone()
                is None
            ]
        if not rows:
            return None
        best = max(rows, key=lambda r: (_WEIGHT_OF[r[0].split(":", 1)[0]], r[2]))
        return str(best[1]), _WEIGHT_OF[best[0].split(":", 1)[0]]

    def _remember(self, db: sqlite3.Connection, run_id: RunId, snapshot: Snapshot) -> None:
        seen = snapshot.finished_at.isoformat()
        for device in snapshot.devices:
            strong, names = device_keys(device, snapshot)
            for key in strong | names:
                db.execute(
                    "INSERT INTO identities VALUES (?, ?, ?, ?) ON CONFLICT (key) DO UPDATE "
                    "SET device_id = excluded.device_id, last_seen = excluded.last_seen",
                    (key, device.id, seen, seen),
                )
            per_source: dict[str, list[datetime]] = {}
            for index in device.evidence:
                if 0 <= index < len(snapshot.observations):
                    observation = snapshot.observations[index]
                    per_source.setdefault(observation.source.value, []).append(observation.time)
            for source, times in per_source.items():
                db.execute(
                    "INSERT OR REPLACE INTO sightings VALUES (?, ?, ?, ?, ?)",
                    (run_id, device.id, source, min(times).isoformat(), max(times).isoformat()),
                )

    # -- recording --

    def record_scan(self, snapshot: Snapshot) -> RunId:
        """Record a scan (its snapshot, ids stabilized) in one transaction; returns its id."""
        return self._record(RunKind.SCAN, self.stabilize(snapshot), None, None, None)

    def record_audit(
        self,
        result: AuditResult,
        snapshot: Snapshot,
        contract_path: Path | str | None,
        contract_sha256: str,
    ) -> RunId:
        """Record an audit: the snapshot it reconciled and its result, in one transaction.

        Give the snapshot ``stabilize`` returned before the audit: then ids already agree. If
        not, the ids are rewritten in both the snapshot and the result's devices and findings.
        """
        stable = self.stabilize(snapshot)
        result = self.stabilize_audit(result)
        return self._record(RunKind.AUDIT, stable, result, contract_path, contract_sha256)

    def _record(
        self,
        kind: RunKind,
        snapshot: Snapshot,
        result: AuditResult | None,
        contract_path: Path | str | None,
        contract_sha256: str | None,
    ) -> RunId:
        sealed = seal(snapshot) if snapshot.fingerprint is None else snapshot
        run_id = _new_run_id(result.started_at if result is not None else sealed.started_at)
        reference = result.contract.reference if result is not None else None
        if reference is None:
            reference = sealed.scope.contract_reference
        with self._transaction() as db:
            db.execute(
                "INSERT INTO runs (id, kind, started_at, finished_at, recorded_at, tool_version,"
                " contract_reference, contract_sha256, contract_path, devices, drift,"
                " fingerprint, snapshot, audit) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run_id,
                    kind.value,
                    (result.started_at if result else sealed.started_at).isoformat(),
                    (result.finished_at if result else sealed.finished_at).isoformat(),
                    utc_now().isoformat(),
                    result.tool_version if result else sealed.tool_version or __version__,
                    reference,
                    contract_sha256,
                    str(contract_path) if contract_path is not None else None,
                    len(sealed.devices),
                    None if result is None else int(result.summary.drift),
                    sealed.fingerprint,
                    _pack(snapshot_document(sealed)),
                    None
                    if result is None
                    else _pack(result.model_dump(mode="json", by_alias=True)),
                ),
            )
            _pause(PausePoint.RUN_INSERTED, self.path)
            self._remember(db, run_id, sealed)
            if result is not None:
                db.executemany(
                    "INSERT OR REPLACE INTO item_status VALUES (?, ?, ?, ?)",
                    [
                        (run_id, f.equipment_id, f.status.value, f.device_id)
                        for f in result.findings
                        if f.equipment_id is not None
                    ],
                )
            _pause(PausePoint.IDENTITIES, self.path)
        return run_id

    # -- reading --

    def runs(self, limit: int | None = None) -> list[RunSummary]:
        """Recorded runs, newest first."""
        rows = self._db.execute(
            "SELECT id, kind, started_at, finished_at, recorded_at, tool_version,"
            " contract_reference, contract_sha256, contract_path, devices, drift, fingerprint"
            " FROM runs ORDER BY seq DESC LIMIT ?",
            (-1 if limit is None else limit,),
        ).fetchall()
        return [
            RunSummary(
                id=r[0],
                kind=RunKind(r[1]),
                started_at=_time(r[2]),
                finished_at=_time(r[3]),
                recorded_at=_time(r[4]),
                tool_version=r[5],
                contract_reference=r[6],
                contract_sha256=r[7],
                contract_path=r[8],
                devices=r[9],
                drift=None if r[10] is None else bool(r[10]),
                fingerprint=r[11],
            )
            for r in rows
        ]

    def resolve(self, text: str) -> RunId:
        """A run id from a run id, a unique prefix of one, ``last`` or ``last~N``."""
        value = text.strip()
        if value == "last" or value.startswith("last~"):
            back = 0
            if value != "last":
                digits = value.removeprefix("last~")
                if not digits.isdigit():
                    raise InputError(f"{text!r}: write last, last~1, last~2 …")
                back = int(digits)
            row = self._db.execute(
                "SELECT id FROM runs ORDER BY seq DESC LIMIT 1 OFFSET ?", (back,)
            ).fetchone()
            if row is None:
                count = self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
                raise InputError(f"{text!r}: the store holds only {count} run(s)")
            return str(row[0])
        if not value:
            raise InputError("an empty run reference: give a run id, a prefix of one, or last")
        escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = self._db.execute(
            "SELECT id FROM runs WHERE id LIKE ? ESCAPE '\\' ORDER BY seq LIMIT 3",
            (escaped + "%",),
        ).fetchall()
        if not rows:
            raise InputError(f"{text!r}: no such run in {self.path} (see scopeaudit history)")
        exact = [r[0] for r in rows if r[0] == value]
        if exact:
            return str(exact[0])
        if len(rows) > 1:
            raise InputError(f"{text!r}: several runs start with this; give more characters")
        return str(rows[0][0])

    def _blob(self, run_id: RunId, column: str) -> bytes | None:
        row = self._db.execute(f"SELECT {column} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise InputError(f"{run_id!r}: no such run in {self.path}")
        return None if row[0] is None else bytes(row[0])

    def snapshot(self, run_id: RunId) -> Snapshot:
        """The snapshot recorded with a run (fingerprint checked)."""
        blob = self._blob(run_id, "snapshot")
        assert blob is not None  # NOT NULL in the schema
        try:
            snapshot = Snapshot.model_validate(_unpack(blob))
        except (ValidationError, ValueError, zlib.error) as error:
            raise InputError(
                f"run {run_id}: its stored snapshot cannot be read ({error})"
            ) from None
        if snapshot.fingerprint is not None and snapshot.fingerprint != compute_fingerprint(
            snapshot
        ):
            raise InputError(f"run {run_id}: the stored snapshot does not match its fingerprint")
        return snapshot

    def audit(self, run_id: RunId) -> AuditResult | None:
        """The audit result recorded with a run; None for a scan."""
        blob = self._blob(run_id, "audit")
        if blob is None:
            return None
        try:
            return AuditResult.model_validate(_unpack(blob))
        except (ValidationError, ValueError, zlib.error) as error:
            raise InputError(f"run {run_id}: its stored audit cannot be read ({error})") from None

    def seen(self, device_id: str) -> DeviceSeen | None:
        """First and last sighting of a device over the recorded runs, overall and per source."""
        rows = self._db.execute(
            "SELECT source, MIN(first_seen), MAX(last_seen), COUNT(DISTINCT run_id)"
            " FROM sightings WHERE device_id = ? GROUP BY source ORDER BY source",
            (device_id,),
        ).fetchall()
        if not rows:
            return None
        runs = self._db.execute(
            "SELECT COUNT(DISTINCT run_id) FROM sightings WHERE device_id = ?", (device_id,)
        ).fetchone()[0]
        sources = [SourceSeen(r[0], _time(r[1]), _time(r[2])) for r in rows]
        return DeviceSeen(
            device_id=device_id,
            first_seen=min(s.first_seen for s in sources),
            last_seen=max(s.last_seen for s in sources),
            runs=int(runs),
            sources=sources,
        )

    def presence(
        self,
        contract_reference: str,
        equipment: Iterable[str],
        *,
        now: datetime | None = None,
    ) -> dict[str, Presence]:
        """For each declared item id: how long it has been unseen, the coming run included.

        Counted over the store's past audits of the same contract, newest first: each audit in
        which the item was ``missing`` adds a run; one where it was seen (any other status but
        ``not_verifiable``, which proves nothing) ends the count. Days run from the oldest
        audit of that unbroken series to ``now``. An item seen last time gets ``Presence()``.
        """
        moment = now or utc_now()
        audits = self._db.execute(
            "SELECT id, started_at FROM runs WHERE kind = 'audit' AND contract_reference = ?"
            " ORDER BY seq DESC",
            (contract_reference,),
        ).fetchall()
        wanted = list(dict.fromkeys(equipment))
        statuses: dict[str, dict[str, str]] = {}
        for run_id, _ in audits:
            statuses[run_id] = dict(
                self._db.execute(
                    "SELECT equipment_id, status FROM item_status WHERE run_id = ?", (run_id,)
                ).fetchall()
            )
        out: dict[str, Presence] = {}
        for item in wanted:
            runs = 1
            oldest: datetime | None = None
            for run_id, started in audits:
                status = statuses[run_id].get(item)
                if status == Status.NOT_VERIFIABLE.value:
                    continue
                if status != Status.MISSING.value:
                    break
                runs += 1
                oldest = _time(started)
            days = (moment - oldest) / timedelta(days=1) if oldest is not None else 0.0
            out[item] = Presence(runs=runs, days=max(days, 0.0))
        return out

    # -- retention --

    def prune(
        self,
        keep_runs: int | None = None,
        keep_days: float | None = None,
        *,
        now: datetime | None = None,
    ) -> PruneResult:
        """Remove runs beyond the newest ``keep_runs`` and older than ``keep_days`` (either
        limit alone, or both: a run goes when either says so). Identities are kept."""
        if keep_runs is not None and keep_runs < 0:
            raise InputError(f"--keep-runs {keep_runs}: give 0 or more")
        if keep_days is not None and keep_days < 0:
            raise InputError(f"--keep-days {keep_days}: give 0 or more")
        rows = self._db.execute("SELECT id, started_at FROM runs ORDER BY seq DESC").fetchall()
        cutoff = (now or utc_now()) - timedelta(days=keep_days) if keep_days is not None else None
        removed = [
            run_id
            for position, (run_id, started) in enumerate(rows)
            if (keep_runs is not None and position >= keep_runs)
            or (cutoff is not None and _time(started) < cutoff)
        ]
        with self._transaction() as db:
            db.executemany("DELETE FROM runs WHERE id = ?", [(r,) for r in removed])
        if removed:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return PruneResult(removed=removed, kept=len(rows) - len(removed))

    def integrity(self) -> str:
        """``PRAGMA integrity_check``: ``ok`` when the file is sound."""
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])


def _acquire(path: Path) -> IO[bytes]:
    lock_path = path.with_name(path.name + ".lock")
    handle = open(lock_path, "a+b")  # noqa: SIM115 — held open for the store's whole life
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().decode(errors="replace").strip() or "another process"
        handle.close()
        raise StoreLocked(
            f"{path}: another scopeaudit run holds the store (pid {holder}); "
            "wait for it to finish, or give another --store"
        ) from None
    handle.truncate(0)
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle


def _rewrite_result(result: AuditResult, mapping: Mapping[str, str]) -> AuditResult:
    """The audit result with device ids renamed by ``mapping``."""
    findings = []
    for finding in result.findings:
        update: dict[str, Any] = {}
        if finding.device_id is not None:
            update["device_id"] = mapping.get(finding.device_id, finding.device_id)
        if finding.candidates:
            update["candidates"] = [
                c.model_copy(update={"device_id": mapping.get(c.device_id, c.device_id)})
                for c in finding.candidates
            ]
        findings.append(finding.model_copy(update=update))
    return result.model_copy(
        update={"devices": _rewrite_ids(result.devices, mapping), "findings": findings}
    )


def snapshot_from_result(
    result: AuditResult,
    scope: ScopeSummary | None = None,
    dropped: Mapping[str, int] | None = None,
) -> Snapshot:
    """The snapshot an audit reconciled, rebuilt from its result (observations, devices,
    sources, probe log and the re-check): what the store keeps for an audit run. Sealed; its
    fingerprint is its own (the devices carry the policy the audit set)."""
    ref = result.snapshot
    return seal(
        Snapshot(
            tool_version=ref.tool_version or result.tool_version,
            started_at=ref.started_at or result.started_at,
            finished_at=ref.finished_at or result.finished_at,
            scope=scope
            or ScopeSummary(
                networks=[c.cidr for c in result.coverage],
                contract_reference=result.contract.reference,
            ),
            sources=list(result.sources),
            observations=list(result.observations),
            devices=list(result.devices),
            probe_log=[*result.probe_log, *result.recheck],
            data_versions=list(result.data_versions),
            dropped=dict(dropped or {}),
        )
    )


def load_snapshot_arg(text: str, store: Store | None) -> Snapshot:
    """A snapshot argument: a snapshot file, else a run reference in ``store`` (id, unique
    prefix, ``last``, ``last~N``)."""
    path = Path(text)
    if path.exists() or store is None or "/" in text or text.endswith(".json"):
        return read_snapshot(path)
    return store.snapshot(store.resolve(text))

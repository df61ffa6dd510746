"""The run store on real SQLite files: record, reload, resolve, stable ids, presence, prune,
migrations. No network: snapshots are merged from hand-made observations."""

from __future__ import annotations

import sqlite3
import zlib
from datetime import timedelta
from pathlib import Path

import pytest

from scopeaudit.errors import InputError
from scopeaudit.snapshot import canonical_json, compute_fingerprint
from scopeaudit.store import SCHEMA_V1, SCHEMA_VERSION, RunKind, Store, default_store_path
from scopeaudit.taxonomy import Status

from .builders import (
    LAPTOP,
    PHONE_1,
    PHONE_2,
    PRINTER,
    T0,
    addr,
    audit_of,
    name,
    serial_txt,
    snapshot_of,
    write_contract,
)


def first_run(at=T0):  # type: ignore[no-untyped-def]
    return snapshot_of(
        [
            addr(LAPTOP, "10.0.0.5", at),
            addr(PRINTER, "10.0.0.9", at),
            addr(PHONE_1, "10.0.0.20", at),
            name(PHONE_1, "10.0.0.20", "annes-iphone", at),
        ],
        at,
    )


def by_mac(snapshot, mac):  # type: ignore[no-untyped-def]
    (found,) = [d for d in snapshot.devices if mac in d.macs]
    return found


def test_record_reload_and_fingerprint(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    snapshot = first_run()
    with Store.open(path) as store:
        run_id = store.record_scan(snapshot)
    with Store.open(path, lock=False, create=False) as store:
        (summary,) = store.runs()
        again = store.snapshot(run_id)
        assert store.audit(run_id) is None
        assert store.integrity() == "ok"
    assert summary.id == run_id and summary.kind is RunKind.SCAN
    assert summary.devices == 3 and summary.drift is None
    # A first run keeps merge's ids, so the snapshot and its fingerprint come back unchanged.
    assert again.fingerprint == snapshot.fingerprint == summary.fingerprint
    assert compute_fingerprint(again) == snapshot.fingerprint
    assert again == snapshot


def test_audit_recorded_with_contract_and_result(tmp_path: Path) -> None:
    contract = write_contract(tmp_path)
    snapshot = first_run()
    result = audit_of(contract, snapshot, None)
    with Store.open(tmp_path / "runs.sqlite") as store:
        run_id = store.record_audit(result, snapshot, contract, result.contract.sha256)
        (summary,) = store.runs()
        stored = store.audit(run_id)
    assert summary.kind is RunKind.AUDIT and summary.drift is True
    assert summary.contract_reference == "STORE-T"
    assert summary.contract_sha256 == result.contract.sha256
    assert summary.contract_path == str(contract)
    assert stored is not None and stored.findings == result.findings


def test_resolve(tmp_path: Path) -> None:
    with Store.open(tmp_path / "runs.sqlite") as store:
        ids = [store.record_scan(first_run(T0 + timedelta(days=i))) for i in range(3)]
        assert store.resolve("last") == ids[2]
        assert store.resolve("last~1") == ids[1]
        assert store.resolve("last~2") == ids[0]
        assert store.resolve(ids[1]) == ids[1]
        assert store.resolve(ids[0][:-2]) == ids[0]  # unique: each id starts with its date
        with pytest.raises(InputError, match="only 3 run"):
            store.resolve("last~3")
        with pytest.raises(InputError, match="no such run"):
            store.resolve("nothing-like-this")
        with pytest.raises(InputError, match="last~1"):
            store.resolve("last~x")
        with pytest.raises(InputError, match="several runs"):
            store.resolve("2026")


def test_device_ids_stable_across_runs(tmp_path: Path) -> None:
    later = T0 + timedelta(days=30)
    # Second run: the laptop changed address and now announces its serial (merge would base
    # its id on the serial), the phone rotated its randomized MAC but kept its name.
    second = snapshot_of(
        [
            addr(LAPTOP, "10.0.0.77", later),
            serial_txt(LAPTOP, "10.0.0.77", "SN-4242", later),
            addr(PRINTER, "10.0.0.9", later),
            addr(PHONE_2, "10.0.0.31", later),
            name(PHONE_2, "10.0.0.31", "annes-iphone", later),
        ],
        later,
    )
    first = first_run()
    assert by_mac(second, LAPTOP).id != by_mac(first, LAPTOP).id  # merge alone would change it
    with Store.open(tmp_path / "runs.sqlite") as store:
        store.record_scan(first)
        second_id = store.record_scan(second)
        kept = store.snapshot(second_id)
    for mac_before, mac_after in ((LAPTOP, LAPTOP), (PRINTER, PRINTER), (PHONE_1, PHONE_2)):
        assert by_mac(kept, mac_after).id == by_mac(first, mac_before).id
    laptop = by_mac(kept, LAPTOP)
    assert laptop.first_seen == T0 and laptop.ips == ["10.0.0.77"]
    assert kept.fingerprint == compute_fingerprint(kept)
    assert len({d.id for d in kept.devices}) == len(kept.devices)


def test_a_new_device_is_not_given_an_old_id(tmp_path: Path) -> None:
    later = T0 + timedelta(days=1)
    other = "00:21:cc:00:00:99"  # another laptop, same vendor
    second = snapshot_of([addr(other, "10.0.0.5", later), addr(PRINTER, "10.0.0.9", later)], later)
    with Store.open(tmp_path / "runs.sqlite") as store:
        store.record_scan(first_run())
        kept = store.snapshot(store.record_scan(second))
    assert by_mac(kept, other).id == by_mac(second, other).id
    assert by_mac(kept, other).id != by_mac(first_run(), LAPTOP).id


def test_first_and_last_seen_per_source(tmp_path: Path) -> None:
    later = T0 + timedelta(days=10)
    with Store.open(tmp_path / "runs.sqlite") as store:
        store.record_scan(first_run())
        store.record_scan(
            snapshot_of(
                [
                    addr(PHONE_2, "10.0.0.31", later),
                    name(PHONE_2, "10.0.0.31", "annes-iphone", later),
                ],
                later,
            )
        )
        phone = store.seen(by_mac(first_run(), PHONE_1).id)
        assert store.seen("dev-000000000000") is None
    assert phone is not None and phone.runs == 2
    assert phone.first_seen == T0 and phone.last_seen == later
    assert {s.source for s in phone.sources} == {"arp", "passive"}


def test_presence_counts_recorded_audits(tmp_path: Path) -> None:
    contract = write_contract(tmp_path)
    unseen: list = []  # type: ignore[type-arg]
    with Store.open(tmp_path / "runs.sqlite") as store:
        store.record_audit(*_audit(store, contract, first_run(), T0))
        for week in (1, 2, 3):  # the laptop stays away three weekly runs
            at = T0 + timedelta(days=5 * week)
            snapshot = snapshot_of([addr(PRINTER, "10.0.0.9", at)], at)
            result, kept, path, digest = _audit(store, contract, snapshot, at)
            (finding,) = [f for f in result.findings if f.equipment_id == "laptop-1"]
            unseen.append((finding.status, finding.provisional))
            store.record_audit(result, kept, path, digest)
        back = T0 + timedelta(days=20)
        result, *_ = _audit(store, contract, first_run(back), back)
        (finding,) = [f for f in result.findings if f.equipment_id == "laptop-1"]
        store.record_audit(*_audit(store, contract, first_run(back), back))
        after = store.presence("STORE-T", ["laptop-1", "printer-1"], now=back)
    # A computer's default threshold: 3 runs or 14 days, whichever comes first; runs 5 days
    # apart reach 3 runs (day 15) while the laptop has been unseen for only 10 days.
    assert unseen == [(Status.MISSING, True), (Status.MISSING, True), (Status.MISSING, False)]
    assert finding.status is Status.MATCHED and not finding.provisional
    assert after["laptop-1"].runs == 1 and after["laptop-1"].days == 0.0
    assert after["printer-1"].runs == 1


def _audit(store, contract, snapshot, at):  # type: ignore[no-untyped-def]
    presence = store.presence("STORE-T", ["laptop-1", "printer-1"], now=at)
    stable = store.stabilize(snapshot)
    result = audit_of(contract, stable, presence)
    return result, stable, contract, result.contract.sha256


def test_presence_runs_and_days(tmp_path: Path) -> None:
    contract = write_contract(tmp_path)
    with Store.open(tmp_path / "runs.sqlite") as store:
        for day in (0, 1, 2):
            at = T0 + timedelta(days=day)
            snapshot = snapshot_of([addr(PRINTER, "10.0.0.9", at)], at)
            store.record_audit(*_audit(store, contract, snapshot, at))
        presence = store.presence("STORE-T", ["laptop-1", "ghost"], now=T0 + timedelta(days=3))
        other = store.presence("OTHER-CONTRACT", ["laptop-1"])
    assert presence["laptop-1"].runs == 4  # three recorded absences and the coming run
    assert presence["laptop-1"].days == pytest.approx(3.0)
    assert presence["ghost"].runs == 1  # never declared before
    assert other["laptop-1"].runs == 1  # another contract's audits do not count


def test_prune_keeps_identities(tmp_path: Path) -> None:
    with Store.open(tmp_path / "runs.sqlite") as store:
        ids = [store.record_scan(first_run(T0 + timedelta(days=i))) for i in range(5)]
        kept = store.prune(keep_runs=3)
        assert kept.removed == [ids[1], ids[0]] and kept.kept == 3
        by_days = store.prune(keep_days=1.5, now=T0 + timedelta(days=4, hours=1))
        assert by_days.removed == [ids[2]]
        assert [r.id for r in store.runs()] == [ids[4], ids[3]]
        assert store.prune(keep_runs=0).kept == 0
        assert store.runs() == []
        # The identity outlives the runs: a device with a new serial keeps its old id.
        at = T0 + timedelta(days=9)
        fresh = snapshot_of(
            [addr(LAPTOP, "10.0.0.5", at), serial_txt(LAPTOP, "10.0.0.5", "SN-1", at)], at
        )
        again = store.snapshot(store.record_scan(fresh))
        assert by_mac(again, LAPTOP).id == by_mac(first_run(), LAPTOP).id
        with pytest.raises(InputError):
            store.prune(keep_runs=-1)
        assert store.integrity() == "ok"


def test_migration_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    contract = write_contract(tmp_path)
    snapshot = snapshot_of([addr(PRINTER, "10.0.0.9", T0)], T0)
    result = audit_of(contract, snapshot, None)
    old = sqlite3.connect(path)
    old.executescript(SCHEMA_V1)
    old.execute(
        "INSERT INTO runs (id, kind, started_at, finished_at, recorded_at, tool_version,"
        " contract_reference, devices, drift, fingerprint, snapshot, audit)"
        " VALUES ('20261001T090000Z-aaaaaa', 'audit', ?, ?, ?, 'old', 'STORE-T', 1, 0, ?, ?, ?)",
        (
            T0.isoformat(),
            T0.isoformat(),
            T0.isoformat(),
            snapshot.fingerprint,
            zlib.compress(canonical_json(snapshot.model_dump(mode="json", by_alias=True))),
            zlib.compress(canonical_json(result.model_dump(mode="json", by_alias=True))),
        ),
    )
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()
    with Store.open(path) as store:
        assert store.runs()[0].id == "20261001T090000Z-aaaaaa"
        presence = store.presence("STORE-T", ["laptop-1"], now=T0 + timedelta(days=1))
        assert store.snapshot("20261001T090000Z-aaaaaa") == snapshot
    assert presence["laptop-1"].runs == 2  # item_status was filled from the stored audit
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    check.close()


def test_newer_or_foreign_files_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(InputError, match="newer than this scopeaudit"):
        Store.open(newer)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(InputError, match="not a usable run store"):
        Store.open(junk)
    with pytest.raises(InputError, match="is a folder"):
        Store.open(tmp_path)
    with pytest.raises(InputError, match="no run store here"):
        Store.open(tmp_path / "absent.sqlite", create=False)


def test_default_path() -> None:
    assert default_store_path({"XDG_DATA_HOME": "/data"}) == Path("/data/scopeaudit/runs.sqlite")
    assert default_store_path({}) == Path.home() / ".local/share/scopeaudit/runs.sqlite"


def test_a_name_alone_does_not_take_a_machine_known_by_its_mac(tmp_path: Path) -> None:
    later = T0 + timedelta(days=1)
    first = snapshot_of(
        [addr(LAPTOP, "10.0.0.5", T0), name(LAPTOP, "10.0.0.5", "reception", T0)], T0
    )
    # Next run: the laptop is away; a phone with a randomized MAC calls itself "reception".
    second = snapshot_of(
        [addr(PHONE_2, "10.0.0.31", later), name(PHONE_2, "10.0.0.31", "reception", later)], later
    )
    with Store.open(tmp_path / "runs.sqlite") as store:
        store.record_scan(first)
        kept = store.snapshot(store.record_scan(second))
    assert by_mac(kept, PHONE_2).id != by_mac(first, LAPTOP).id

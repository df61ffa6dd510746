"""Devices paired by identity across two runs: new, gone and changed, never by IP."""

from __future__ import annotations

from datetime import timedelta

from scopeaudit.diff import diff_snapshots, pair_devices
from scopeaudit.diff_models import DeviceField, RunDiff
from scopeaudit.models import Snapshot
from scopeaudit.taxonomy import Category

from .builders import CAMERA, IPHONE_1, IPHONE_2, LAPTOP, NAS, PRINTER, SERVER, T0, run

LATER = T0 + timedelta(days=30)
ALL = ["printer", "server", "laptop", "nas", "iphone"]


def _before() -> Snapshot:
    return run(ALL)


def _after(previous: Snapshot | None = None) -> Snapshot:
    """A month later: camera added, NAS stopped, iPhone MAC rotated, laptop renumbered by DHCP,
    RDP opened on the server, the printer classified differently."""
    return run(
        ["printer", "server", "laptop", "camera", "iphone"],
        at=LATER,
        previous=previous,
        server={"ports": (22, 443, 3389)},
        laptop={"ip": "10.9.0.77"},
        iphone={"mac": IPHONE_2},
        categories={PRINTER: Category.UNKNOWN},
    )


def _scrambled(snapshot: Snapshot) -> Snapshot:
    """The same snapshot with every device id replaced: pairing must not need the ids."""
    devices = [
        d.model_copy(update={"id": f"dev-other{i:07d}"}) for i, d in enumerate(snapshot.devices)
    ]
    return snapshot.model_copy(update={"devices": devices})


def _changes(diff: RunDiff) -> dict[str, dict[DeviceField, tuple[object, object]]]:
    """First MAC of the later device → field → (before, after)."""
    return {
        change.device.macs[0]: {c.field: (c.before, c.after) for c in change.changes}
        for change in diff.devices.changed
    }


def _check_scenario(diff: RunDiff) -> None:
    assert [d.macs for d in diff.devices.new] == [[CAMERA]]
    assert [d.macs for d in diff.devices.gone] == [[NAS]]
    changes = _changes(diff)
    assert set(changes) == {PRINTER, SERVER, LAPTOP, IPHONE_2}
    assert changes[LAPTOP] == {DeviceField.IPS: (["10.9.0.50"], ["10.9.0.77"])}
    assert changes[IPHONE_2] == {DeviceField.MACS: ([IPHONE_1], [IPHONE_2])}
    assert changes[SERVER] == {
        DeviceField.OPEN_PORTS: (["22/tcp", "443/tcp"], ["22/tcp", "443/tcp", "3389/tcp"])
    }
    assert changes[PRINTER] == {DeviceField.CATEGORY: ("printer", "unknown")}
    server = next(c for c in diff.devices.changed if c.device.macs == [SERVER])
    assert server.changes[0].added == ["3389/tcp"] and server.changes[0].removed == []
    assert diff.summary.new == 1 and diff.summary.gone == 1 and diff.summary.changed == 4
    assert diff.summary.unchanged == 0
    assert diff.changed is True
    assert diff.scope_compared is False and diff.summary.newly_unexpected == 0


def test_scenario_with_ids_kept_by_merge() -> None:
    before = _before()
    diff = diff_snapshots(before, _after(previous=before))
    _check_scenario(diff)
    assert {c.matched_by for c in diff.devices.changed} == {"id"}


def test_scenario_paired_by_identifiers_when_ids_differ() -> None:
    diff = diff_snapshots(_before(), _scrambled(_after()))
    _check_scenario(diff)
    by_mac = {c.device.macs[0]: c.matched_by for c in diff.devices.changed}
    # Universal MACs pair the fixed devices; the rotated iPhone pairs by its announced name.
    assert by_mac == {PRINTER: "mac", SERVER: "mac", LAPTOP: "mac", IPHONE_2: "name"}


def test_same_run_twice_is_no_change() -> None:
    before = _before()
    diff = diff_snapshots(before, before)
    assert diff.changed is False
    assert diff.summary.unchanged == 5
    assert not diff.devices.new and not diff.devices.gone and not diff.devices.changed
    assert diff.from_.fingerprint == before.fingerprint == diff.to.fingerprint


def test_replaced_hardware_keeping_its_name_is_gone_and_new() -> None:
    before = run(["laptop"])
    after = run(["printer"], at=LATER)
    # A new laptop (another universal MAC) under the old one's name.
    from .builders import addr, name, snapshot

    replaced = snapshot(
        [
            addr("00:21:cc:99:99:99", "10.9.0.50", LATER),
            name("00:21:cc:99:99:99", "10.9.0.50", "PC-COMPTA-03", LATER, "dhcp"),
        ]
    )
    diff = diff_snapshots(before, _scrambled(replaced))
    assert [d.macs for d in diff.devices.new] == [["00:21:cc:99:99:99"]]
    assert [d.macs for d in diff.devices.gone] == [[LAPTOP]]
    assert diff_snapshots(before, after).summary.gone == 1


def test_generic_names_never_pair_randomized_macs() -> None:
    from .builders import addr, name, snapshot

    first = snapshot([addr(IPHONE_1, "10.9.0.60", T0), name(IPHONE_1, "10.9.0.60", "iPhone", T0)])
    second = snapshot(
        [addr(IPHONE_2, "10.9.0.60", LATER), name(IPHONE_2, "10.9.0.60", "iPhone", LATER)], at=LATER
    )
    diff = diff_snapshots(first, _scrambled(second))
    # Same IP, same generic name, different random MAC: nothing says it is the same phone.
    assert diff.summary.new == 1 and diff.summary.gone == 1 and diff.summary.changed == 0


def test_same_ip_different_device_is_not_paired() -> None:
    """The ndiff trap: a camera taking the NAS's old address is a new device, the NAS is gone."""
    before = run(["nas"])
    after = run(["camera"], at=LATER, camera={"ip": "10.9.0.30"})
    diff = diff_snapshots(before, after)
    assert [d.macs for d in diff.devices.new] == [[CAMERA]]
    assert [d.macs for d in diff.devices.gone] == [[NAS]]


def test_ports_not_compared_when_one_run_did_not_scan_ports() -> None:
    before = run(["server"])
    passive = before.model_copy(
        update={"observations": [o for o in before.observations if o.kind.value != "port"]}
    )
    assert diff_snapshots(before, passive).changed is False


def test_pairs_are_one_to_one() -> None:
    before = run(["laptop"])
    after = run(["laptop"], at=LATER)
    twice = after.model_copy(
        update={"devices": [*after.devices, after.devices[0].model_copy(update={"id": "dev-copy"})]}
    )
    pairs = pair_devices(before.devices, before.observations, twice.devices, twice.observations)
    assert len(pairs) == 1
    assert diff_snapshots(before, twice).summary.new == 1


def test_names_compare_without_local_suffix_or_case() -> None:
    from .builders import addr, name, snapshot

    mac, ip = "00:11:32:0a:0b:0c", "10.9.0.30"
    first = snapshot([addr(mac, ip, T0), name(mac, ip, "DS920.local", T0)])
    same = snapshot([addr(mac, ip, LATER), name(mac, ip, "ds920", LATER, "nbns")], at=LATER)
    renamed = snapshot([addr(mac, ip, LATER), name(mac, ip, "NAS-COMPTA", LATER)], at=LATER)
    assert diff_snapshots(first, same).changed is False
    change = diff_snapshots(first, renamed).devices.changed[0].changes
    assert [(c.field, c.before, c.after) for c in change] == [
        (DeviceField.NAMES, ["DS920.local"], ["NAS-COMPTA"])
    ]

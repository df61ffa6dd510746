"""Time ``reconcile()`` of N declared items against N seen devices, models built in memory.

    .venv/bin/python bench/reconcile_scale.py [N] [RUNS]

DESIGN §9 target: 100,000 against 100,000 under 2 s and 1 GiB. The site mixes what audits meet:
most items matched by MAC, some by host name only, some by IP only, 1 % missing, 1 % unexpected
devices, 1 % category mismatches. Prints the median, min and max of RUNS runs (wall clock and
CPU time of the process), the peak RSS, the load average and the time of a plain 10^7-iteration
loop measured before each run, to show how fast the (shared) machine was at the time.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time
from ipaddress import IPv4Address

from scopeaudit.audit_models import Coverage
from scopeaudit.contract import Contract
from scopeaudit.models import Device
from scopeaudit.reconcile import reconcile
from scopeaudit.taxonomy import Category, Source


def site(n: int) -> tuple[Contract, list[Device]]:
    base = int(IPv4Address("10.0.0.0"))
    equipment = []
    devices = []
    for i in range(n):
        mac = f"00:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        ip = str(IPv4Address(base + 1 + i))
        item: dict[str, object] = {"id": f"E{i}", "category": "computer", "site": "HQ"}
        kind = i % 10
        if kind < 7:
            item["mac"] = [mac]
        elif kind < 9:
            item["hostname"] = f"pc-{i}.corp.example"
        else:
            item["ip"] = ip
        equipment.append(item)
        if i % 100 == 0:
            continue  # missing
        category = Category.SERVER if i % 100 == 1 else Category.COMPUTER
        devices.append(
            Device(id=f"d{i}", macs=[mac], ips=[ip], hostnames=[f"PC-{i}"], category=category)
        )
    devices += [  # unexpected
        Device(
            id=f"x{j}",
            macs=[f"02:00:00:{j >> 16 & 255:02x}:{j >> 8 & 255:02x}:{j & 255:02x}"],
            ips=[str(IPv4Address(base + (1 << 20) + j))],
            category=Category.PRINTER,
        )
        for j in range(n // 100)
    ]
    contract = Contract.model_validate(
        {
            "format": 1,
            "contract": {
                "reference": "BENCH",
                "billing": {"unit_prices": {"computer": "30", "server": "140", "printer": "10"}},
            },
            "scope": {"networks": [{"cidr": "10.0.0.0/8", "site": "HQ"}]},
            "equipment": equipment,
        }
    )
    return contract, devices


def machine_speed() -> float:
    """Seconds a plain 10^7-iteration Python loop takes here and now."""
    clock = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - clock


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    contract, devices = site(n)
    coverage = [Coverage(cidr="10.0.0.0/8", site="HQ", methods=[Source.ARP], verifiable=True)]
    built = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()
    times = []
    cpu = []
    system = []
    loops = []
    summary = None
    for _ in range(runs):
        # The machine is shared: its speed is measured before each run, alternating with them.
        loops.append(machine_speed())
        # Only the summary of the previous run is kept: the peak RSS is then that of one call.
        clock, used = time.perf_counter(), time.process_time()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
        result = reconcile(contract, devices, coverage=coverage)
        times.append(time.perf_counter() - clock)
        cpu.append(time.process_time() - used)
        system.append(resource.getrusage(resource.RUSAGE_SELF).ru_stime - before)
        summary = result.summary
        del result
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert summary is not None
    counts = {k.value: v for k, v in summary.by_status.items() if v}
    print(
        f"reconcile {n} declared x {len(devices)} seen: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s over {runs} runs; "
        f"peak RSS {rss:.0f} MiB (whole process, models included; {built:.0f} MiB once the "
        f"models were built)"
    )
    print(
        f"CPU time: median {statistics.median(cpu):.2f} s, min {min(cpu):.2f} s, "
        f"max {max(cpu):.2f} s (of which system time, page faults of the new objects: median "
        f"{statistics.median(system):.2f} s)"
    )
    print(f"statuses: {counts}; fee delta {summary.fee_delta_total}")
    print(
        f"machine: 10^7-iteration loop before each run: median {statistics.median(loops):.2f} s, "
        f"min {min(loops):.2f} s, max {max(loops):.2f} s; load average before the runs "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()

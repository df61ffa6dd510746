"""A whole audit of the lab site at default settings, as a technician runs it: wall time per run.

    sudo .venv/bin/python bench/audit_site.py [--runs 5] [--contract fixtures/contracts/demo.yaml]

DESIGN §9: "a full audit of a 15-device site (sweep, name queries, safe port probe, passive
window, classification, reconciliation, report) under 30 s at default settings". The standard lab
site is larger than that (every persona of fixtures/lab/office.yaml on three networks, one of them
routed). Each run is a fresh ``scopeaudit audit CONTRACT --format json --no-store`` process in
the technician's namespace (Python's start-up and imports included); the JSON's source outcomes
give the time of each phase. The figures go into docs/bench-audit.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from scopeaudit.lab.instance import Lab

REPO = Path(__file__).resolve().parent.parent


def _summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.2f} s, min {min(values):.2f}, max {max(values):.2f}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--contract", default=str(REPO / "fixtures/contracts/demo.yaml"))
    parser.add_argument("--topology", default=str(REPO / "fixtures/lab/office.yaml"))
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/audit_site.py needs root (it builds the lab)", file=sys.stderr)
        return 2
    instance = Lab.up(args.topology, "friendly", name=f"ba{os.getpid() % 10000}")
    walls: list[float] = []
    phases: dict[str, list[float]] = defaultdict(list)
    devices = 0
    try:
        personas = len(instance.status()["personas"])
        for run in range(args.runs):
            instance.exec(["ip", "neigh", "flush", "all"], timeout=30)  # every run starts cold
            load = os.getloadavg()[0]
            start = time.monotonic()
            done = instance.exec(
                [sys.executable, "-m", "scopeaudit", "audit", args.contract, "--format", "json",
                 "--no-store"],
                timeout=600,
            )  # fmt: skip
            walls.append(time.monotonic() - start)
            if done.returncode not in (0, 1):
                print(done.stderr, file=sys.stderr)
                return 1
            result = json.loads(done.stdout)
            devices = len(result["devices"])
            for outcome in result["sources"]:
                phases[outcome["name"]].append(float(outcome["duration_s"]))
            print(
                f"run {run + 1}: {walls[-1]:.2f} s, exit {done.returncode}, {devices} devices,"
                f" load {load:.1f}",
                file=sys.stderr,
            )
    finally:
        instance.down()
    print(f"site: {personas} personas, {devices} devices found; {len(walls)} runs")
    print(f"whole audit (process wall time): {_summary(walls)}")
    for name, values in sorted(phases.items(), key=lambda item: -statistics.median(item[1])):
        print(f"  {name}: {_summary(values)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long `lab up` of a topology takes: median, min and max of several up/down cycles.

    sudo .venv/bin/python bench/lab_up.py [fixtures/lab/office.yaml] [--runs 5] [--profile friendly]

Measures what a user waits for: from calling ``Lab.up()`` (the CLI's `lab up`) to every persona
having written its state file, and separately the teardown. The figures go into docs/lab.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from scopeaudit.lab.instance import Lab

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("topology", nargs="?", default=str(REPO / "fixtures/lab/office.yaml"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", default="friendly")
    parser.add_argument("--hosts", type=int, default=None)
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("bench/lab_up.py needs root", file=sys.stderr)
        return 2
    ups, downs, ready, plumbing = [], [], [], []
    for run in range(args.runs):
        start = time.monotonic()
        instance = Lab.up(
            args.topology, args.profile, name=f"bu{os.getpid() % 10000}", hosts=args.hosts
        )
        ups.append(time.monotonic() - start)
        status = instance.status()
        ready.append(float(status["ready_after_s"]))
        plumbing.append(float(status["timings"].get("plumbing_s", 0.0)))
        personas = len(status["personas"])
        start = time.monotonic()
        instance.down()
        downs.append(time.monotonic() - start)
        print(
            f"run {run + 1}: up {ups[-1]:.2f} s, down {downs[-1]:.2f} s,"
            f" load {os.getloadavg()[0]:.1f}",
            file=sys.stderr,
        )

    def summary(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 2),
            "min": round(min(values), 2),
            "max": round(max(values), 2),
        }

    result = {
        "topology": args.topology,
        "profile": args.profile,
        "personas": personas,
        "runs": args.runs,
        "cpus": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "up_s": summary(ups),
        "supervisor_ready_s": summary(ready),
        "plumbing_s": summary(plumbing),
        "down_s": summary(downs),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

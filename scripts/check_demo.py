"""Check what `make demo` wrote: every file there, and the audit's planted findings (CI runs it).

Usage: python scripts/check_demo.py [OUT_DIR]   (default: out/)
Exits 1 with one line per problem when something is missing or differs from the lab's plan.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

EXPECTED_FILES = (
    "demo-scan.json",
    "audit.json",
    "rapport.html",
    "rapport.pdf",
    "avenant.html",
    "avenant.pdf",
    "avenant.md",
)


def problems(out: Path) -> list[str]:
    found: list[str] = []
    for name in EXPECTED_FILES:
        path = out / name
        if not path.is_file() or path.stat().st_size == 0:
            found.append(f"{path}: missing or empty")
    for name in ("rapport.pdf", "avenant.pdf"):
        path = out / name
        if path.is_file() and not path.read_bytes().startswith(b"%PDF"):
            found.append(f"{path}: not a PDF")
    audit_path = out / "audit.json"
    if not audit_path.is_file():
        return found
    audit = json.loads(audit_path.read_text(encoding="utf-8"))
    devices = {d["id"]: d for d in audit["devices"]}
    by_item = {f["equipment_id"]: f for f in audit["findings"] if f["equipment_id"]}
    unexpected = sorted(
        [devices[f["device_id"]]["ips"][0], f["category"], f["fee_delta"]]
        for f in audit["findings"]
        if f["status"] == "unexpected"
    )
    # lap02, the silent branch laptop only rtr01's ARP table knows (SNMP, issue 8): undeclared,
    # unknown with nothing but its MAC, unpriced.
    nas, laptop = by_item["HQ-NAS-01"], by_item["HQ-PC-03"]
    checks: list[tuple[str, object, object]] = [
        (
            "unexpected",
            unexpected,
            [
                ["10.77.0.33", "printer", 10.0],
                ["10.77.0.64", "camera", 9.0],
                ["10.77.20.51", "unknown", None],
            ],
        ),
        ("HQ-NAS-01", (nas["status"], nas["observed_category"]), ("mismatch", "nas")),
        ("HQ-PC-03", (laptop["status"], laptop["provisional"]), ("missing", True)),
        ("HQ-TAB-01", by_item["HQ-TAB-01"]["status"], "matched"),
        ("matched", audit["summary"]["by_status"].get("matched"), 16),
        ("fee delta", Decimal(str(audit["summary"]["fee_delta_total"])), Decimal("-66")),
        ("drift", audit["summary"]["drift"], True),
    ]
    for label, got, wanted in checks:
        if got != wanted:
            found.append(f"{audit_path}: {label} is {got!r}, expected {wanted!r}")
    amendment = (
        (out / "avenant.md").read_text(encoding="utf-8") if (out / "avenant.md").is_file() else ""
    )
    found.extend(
        f"{out / 'avenant.md'}: does not mention {text}"
        for text in ("10.77.0.33", "10.77.0.64", "HQ-NAS-01")
        if text not in amendment
    )
    return found


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("out")
    found = problems(out)
    for line in found:
        print(line, file=sys.stderr)
    if not found:
        print(f"demo outputs in {out}: all present, the audit shows exactly the planted findings")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

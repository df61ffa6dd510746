"""Classification accuracy measured against data written by others (issue 5, item 6).

    .venv/bin/python bench/classification.py [--corpora DIR] [--json OUT]
        [--lab SNAPSHOT:PROFILE ...] [--ground-truth fixtures/lab/ground-truth.yaml]

Parts:
  (a) lab personas: a snapshot written by ``scopeaudit scan`` on the lab, per profile, scored
      against the persona engineer's ground truth (exact category and form factor). Skipped
      until such snapshots are given with ``--lab``.
  (b) IoT Sentinel captures (corpora pcap/iot-sentinel): each capture imported (pcap → frames →
      observations), merged into devices, the labelled device classified and scored against
      fixtures/classify/iot-sentinel-labels.yaml (reviewed by hand).
  (c) recog example strings (corpora fingerprints/*.xml, read with defusedxml): each example fed
      as the one piece of evidence it is (sysDescr, DHCP option 60, HTTP Server...), scored
      against recog's own hw.device / os.device mapped by fixtures/classify/recog-device-map.yaml.
  (robustness) every corpus file through the classifier: captures and scans imported and merged,
      fingerprint XML attributes and texts, text files line by line; any exception is counted.

"correct" = our category equals the label (or an acceptable one); "unknown" = we said unknown
(honest, not wrong); "wrong" = we said another category at or above the threshold.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from defusedxml import ElementTree

from scopeaudit.classify import Evidence, Signal, classify_devices, decide, load_ruleset
from scopeaudit.classify.evidence import extract
from scopeaudit.classify.rules import RuleSet
from scopeaudit.merge import merge
from scopeaudit.models import Snapshot
from scopeaudit.sources.importer import import_file
from scopeaudit.taxonomy import Category

REPO = Path(__file__).resolve().parent.parent
RECOG_MAP = REPO / "fixtures" / "classify" / "recog-device-map.yaml"
IOT_LABELS = REPO / "fixtures" / "classify" / "iot-sentinel-labels.yaml"


@dataclass
class Score:
    """Counts for one data set."""

    name: str
    total: int = 0
    correct: int = 0
    unknown: int = 0
    wrong: int = 0
    unlabelled: int = 0
    errors: int = 0
    confusions: Counter[str] = field(default_factory=Counter)

    def add(self, expected: set[Category] | None, got: Category) -> None:
        if expected is None:
            self.unlabelled += 1
            return
        self.total += 1
        if got in expected:
            self.correct += 1
        elif got == Category.UNKNOWN:
            self.unknown += 1
        else:
            self.wrong += 1
            label = "/".join(sorted(c.value for c in expected))
            self.confusions[f"{label} → {got.value}"] += 1

    def row(self) -> dict[str, Any]:
        decided = self.correct + self.wrong
        return {
            "name": self.name,
            "labelled": self.total,
            "correct": self.correct,
            "unknown": self.unknown,
            "wrong": self.wrong,
            "accuracy": round(self.correct / self.total, 3) if self.total else None,
            "precision_when_decided": round(self.correct / decided, 3) if decided else None,
            "unlabelled": self.unlabelled,
            "errors": self.errors,
            "top_confusions": dict(self.confusions.most_common(5)),
        }


# ------------------------------------------------------------------------------------ part (c)

_RECOG_SIGNALS: dict[str, Signal] = {
    "snmp_sysdescr.xml": Signal.SNMP_SYSDESCR,
    "dhcp_vendor_class.xml": Signal.DHCP_VENDOR_CLASS,
    "http_servers.xml": Signal.HTTP_SERVER,
    "ssh_banners.xml": Signal.SSH_BANNER,
    "rtsp_servers.xml": Signal.RTSP_SERVER,
    "hp_pjl_id.xml": Signal.PJL_ID,
    "mdns_device-info_txt.xml": Signal.MDNS_TXT,
    "snmp_sysobjid.xml": Signal.SNMP_SYSOBJECTID,
}


def recog_map() -> dict[str, Category | None]:
    data = yaml.safe_load(RECOG_MAP.read_text(encoding="utf-8"))
    return {str(k): (Category(v) if v else None) for k, v in data["map"].items()}


def recog_evidence(signal: Signal, text: str) -> list[Evidence]:
    """The evidence a scanner would hold for one recog example string."""
    if signal == Signal.SSH_BANNER:  # recog matches what follows "SSH-2.0-"
        return [Evidence(signal, f"SSH-2.0-{text}")]
    if signal == Signal.MDNS_TXT:
        key, _, value = text.partition("=")
        return [Evidence(signal, value, key, "_device-info")]
    if signal == Signal.SNMP_SYSOBJECTID:  # examples are "OID sysDescr"
        oid, _, descr = text.partition(" ")
        found = [Evidence(signal, oid)]
        return found + ([Evidence(Signal.SNMP_SYSDESCR, descr)] if descr.strip() else [])
    return [Evidence(signal, text)]


def recog_examples(path: Path) -> Iterable[tuple[str, str | None]]:
    """(example text, recog device type or None) for every example of a recog XML file."""
    root = ElementTree.parse(path).getroot()
    for fingerprint in root.iter("fingerprint"):
        fixed: dict[str, str] = {}
        for param in fingerprint.iter("param"):
            if param.get("pos") == "0" and param.get("value"):
                fixed[param.get("name", "")] = param.get("value", "")
        for example in fingerprint.iter("example"):
            text = example.text or ""
            if example.get("_encoding") == "base64" or not text.strip():
                continue
            kind = (
                example.get("hw.device")
                or fixed.get("hw.device")
                or example.get("os.device")
                or fixed.get("os.device")
            )
            yield text, kind


def part_c(corpora: Path, rules: RuleSet) -> list[Score]:
    mapping = recog_map()
    scores: list[Score] = []
    for name, signal in _RECOG_SIGNALS.items():
        score = Score(f"recog {name}")
        path = corpora / "fingerprints" / name
        for text, kind in recog_examples(path):
            expected: set[Category] | None = None
            if kind is not None and mapping.get(kind) is not None:
                expected = {mapping[kind]}  # type: ignore[arg-type]
            elif kind is not None and kind not in mapping:
                print(f"unmapped recog type {kind!r} in {name}", file=sys.stderr)
            try:
                outcome = decide(recog_evidence(signal, text), rules)
            except Exception as error:  # the bench counts what the library must never do
                score.errors += 1
                print(f"ERROR {name}: {text!r}: {error!r}", file=sys.stderr)
                continue
            score.add(expected, outcome.category)
        scores.append(score)
    return scores


# ------------------------------------------------------------------------------------ part (b)


def part_b(corpora: Path, rules: RuleSet) -> tuple[Score, list[dict[str, Any]]]:
    folder = corpora / "pcap" / "iot-sentinel"
    labels = yaml.safe_load(IOT_LABELS.read_text(encoding="utf-8"))["devices"]
    macs: dict[str, tuple[str, str]] = {}
    for line in (folder / "iotdevice-mac.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        name, mac, pcap = line.split("\t")
        macs[name] = (mac.lower(), pcap)
    score = Score("IoT Sentinel captures")
    rows: list[dict[str, Any]] = []
    for name, (mac, pcap) in sorted(macs.items()):
        label = labels[name]
        expected = {
            Category(label["category"]),
            *(Category(c) for c in label.get("acceptable", [])),
        }
        try:
            imported = import_file(folder / pcap)
            devices = merge(imported.observations)
            target = [d for d in devices if mac in d.macs]
            classified = classify_devices(target, imported.observations, rules)
        except Exception as error:
            score.errors += 1
            print(f"ERROR {pcap}: {error!r}", file=sys.stderr)
            continue
        got = classified[0] if classified else None
        category = got.category if got else Category.UNKNOWN
        score.add(expected, category)
        rows.append(
            {
                "device": name,
                "label": label["category"],
                "got": category.value,
                "confidence": got.confidence if got else 0.0,
                "top_reason": got.reasons[0].text if got and got.reasons else "not seen",
            }
        )
    return score, rows


# ------------------------------------------------------------------------------------ part (a)


def part_a(snapshots: list[tuple[Path, str]], ground_truth: Path, rules: RuleSet) -> list[Score]:
    """Lab personas: devices of a lab scan matched to the ground truth by MAC or IP.

    The ground truth is the persona engineer's fixtures/lab/ground-truth.yaml (a ``personas``
    list with ``category``, ``acceptable``, ``form_factor`` and ``identifiers``). Personas never
    probed (the excluded and public canaries) are left out when no device matches them.
    """
    if not snapshots:
        return []
    truth = yaml.safe_load(ground_truth.read_text(encoding="utf-8"))
    scores: list[Score] = []
    for path, profile in snapshots:
        snap = Snapshot.model_validate_json(path.read_bytes())
        devices = classify_devices(snap.devices, snap.observations, rules)
        score = Score(f"lab personas ({profile})")
        form = Score(f"lab personas form factor ({profile})")
        for item in truth["personas"]:
            ids = item.get("identifiers") or {}
            macs = {str(m).lower() for m in ids.get("macs") or []}
            ips = {str(i) for i in ids.get("ips") or []}
            found = [d for d in devices if macs & set(d.macs) or ips & set(d.ips)]
            if not found and (item["category"] == "unknown" or item.get("canary")):
                continue  # canaries are never probed: not finding them is the point
            expected = {Category(item["category"])}
            expected |= {Category(c) for c in item.get("acceptable") or []}
            got = found[0] if found else None
            score.add(expected, got.category if got else Category.UNKNOWN)
            if got is not None and got.category not in expected:
                print(
                    f"lab {profile}: {item['id']} expected {item['category']}, got "
                    f"{got.category.value} ({got.confidence})",
                    file=sys.stderr,
                )
            if item.get("form_factor"):
                form.total += 1
                right = bool(got and got.form_factor == item["form_factor"])
                form.correct += right
                if got is not None and not right:
                    print(
                        f"lab {profile}: {item['id']} form factor {item['form_factor']}, got "
                        f"{got.form_factor}",
                        file=sys.stderr,
                    )
        scores += [score, form]
    return scores


# ------------------------------------------------------------------------------ robustness


def _lines_as_evidence(text: str) -> list[Evidence]:
    out: list[Evidence] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        out.append(Evidence(Signal.SNMP_SYSDESCR, line))
        out.append(Evidence(Signal.HOSTNAME, line[:255]))
        out.append(Evidence(Signal.HTTP_SERVER, line))
    return out


def robustness(corpora: Path, rules: RuleSet) -> dict[str, Any]:
    files = sorted(p for p in corpora.rglob("*") if p.is_file())
    errors: list[str] = []
    devices = 0
    for path in files:
        try:
            head = path.read_bytes()[:4]
            if (
                head
                in (
                    b"\xa1\xb2\xc3\xd4",
                    b"\xd4\xc3\xb2\xa1",
                    b"\x0a\x0d\x0d\x0a",
                    b"\xa1\xb2\x3c\x4d",
                    b"\x4d\x3c\xb2\xa1",
                )
                or path.parent.name == "nmap-xml"
            ):
                imported = import_file(path)
                found = merge(imported.observations)
                devices += len(classify_devices(found, imported.observations, rules))
            elif path.suffix == ".xml":
                texts: list[str] = []
                try:
                    root = ElementTree.parse(path).getroot()
                    for element in root.iter():
                        texts += [element.text or "", *element.attrib.values()]
                except Exception as error:  # not XML we can read: the classifier still runs
                    texts.append(repr(error))
                texts = sorted({t for t in texts if t.strip()})
                for start in range(0, len(texts), 100):
                    batch = texts[start : start + 100]
                    decide([Evidence(s, t) for t in batch for s in _TEXT_SIGNALS], rules)
            else:
                lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
                for start in range(0, len(lines), 300):
                    decide(_lines_as_evidence("\n".join(lines[start : start + 300])), rules)
                decide(extract([], [], lines[:1]), rules)
        except Exception as error:
            errors.append(f"{path.relative_to(corpora)}: {error!r}")
    return {"files": len(files), "devices_from_captures": devices, "errors": errors}


_NON_TEXT = {
    Signal.OPEN_PORTS,
    Signal.LLDP_CAPS,
    Signal.CDP_CAPS,
    Signal.SNMP_SYSSERVICES,
    Signal.SNMP_IP_FORWARDING,
    Signal.SNMP_BRIDGE_PORTS,
    Signal.TTL,
}


_TEXT_SIGNALS = [s for s in Signal if s not in _NON_TEXT]


# ------------------------------------------------------------------------------------ main


def _table(rows: list[dict[str, Any]]) -> str:
    head = "| data set | labelled | correct | unknown | wrong | accuracy | precision when decided |"
    lines = [head, "|---|---|---|---|---|---|---|"]
    lines += [
        f"| {r['name']} | {r['labelled']} | {r['correct']} | {r['unknown']} | {r['wrong']} "
        f"| {r['accuracy']} | {r['precision_when_decided']} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=os.environ.get("SCOPEAUDIT_CORPORA"))
    parser.add_argument("--lab", action="append", default=[], help="SNAPSHOT:PROFILE")
    parser.add_argument(
        "--ground-truth", type=Path, default=REPO / "fixtures" / "lab" / "ground-truth.yaml"
    )
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--skip-robustness", action="store_true")
    args = parser.parse_args(argv)
    if args.corpora is None or not Path(args.corpora).is_dir():
        parser.error("give --corpora or set SCOPEAUDIT_CORPORA to the shared corpora folder")
    corpora = Path(args.corpora)
    rules = load_ruleset()
    started = time.perf_counter()
    lab = [(Path(p.rsplit(":", 1)[0]), p.rsplit(":", 1)[-1]) for p in args.lab]
    results: dict[str, Any] = {"rules": len(rules.rules), "threshold": rules.threshold}
    a = part_a(lab, args.ground_truth, rules)
    b, b_rows = part_b(corpora, rules)
    c = part_c(corpora, rules)
    total_c = Score("recog, all files")
    for score in c:
        for name in ("total", "correct", "unknown", "wrong", "unlabelled", "errors"):
            setattr(total_c, name, getattr(total_c, name) + getattr(score, name))
        total_c.confusions.update(score.confusions)
    results["a"] = [s.row() for s in a] or "not run: needs snapshots of a lab scan (--lab)"
    results["b"] = {"score": b.row(), "devices": b_rows}
    results["c"] = [s.row() for s in [*c, total_c]]
    if not args.skip_robustness:
        results["robustness"] = robustness(corpora, rules)
    results["seconds"] = round(time.perf_counter() - started, 1)
    print(_table([s.row() for s in [*a, b, *c, total_c]]))
    print()
    for row in b_rows:
        print(f"  {row['device']:<20} {row['label']:<8} → {row['got']:<8} {row['top_reason']}")
    if "robustness" in results:
        rob = results["robustness"]
        print(
            f"\nrobustness: {rob['files']} files, {rob['devices_from_captures']} devices "
            f"classified from captures, {len(rob['errors'])} errors"
        )
        for line in rob["errors"]:
            print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    failed = (results.get("robustness") or {}).get("errors") or b.errors or total_c.errors
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["Score", "asdict", "main"]

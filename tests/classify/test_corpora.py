"""Real-world corpora through the classifier: captures and scans imported, merged and classified
without an exception; recog examples fed as evidence; the IoT Sentinel smart plug named
"D-LinkSwitch" is not a network switch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scopeaudit.classify import classify_devices, decide, load_ruleset
from scopeaudit.merge import merge
from scopeaudit.sources.importer import import_file
from scopeaudit.taxonomy import Category

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import classification as bench

RULES = load_ruleset(environ={})
pytestmark = pytest.mark.corpora


def test_every_capture_and_scan_classifies(corpora: Path) -> None:
    files = list((corpora / "pcap").rglob("*.pcap*")) + list((corpora / "nmap-xml").glob("*.xml"))
    assert len(files) > 100
    classified = 0
    for path in files:
        imported = import_file(path)
        devices = classify_devices(merge(imported.observations), imported.observations, RULES)
        assert all(0.0 <= d.confidence <= 1.0 for d in devices), path
        assert all(d.reasons for d in devices), path
        classified += len(devices)
    assert classified > 300


def test_recog_examples_classify_and_mostly_right(corpora: Path) -> None:
    scores = bench.part_c(corpora, RULES)
    assert sum(s.errors for s in scores) == 0
    labelled = sum(s.total for s in scores)
    correct = sum(s.correct for s in scores)
    wrong = sum(s.wrong for s in scores)
    assert labelled > 1500
    assert correct / labelled > 0.5  # published figure: docs/classification.md
    assert wrong / (correct + wrong) < 0.1


def test_dlink_switch_capture_is_iot(corpora: Path) -> None:
    path = corpora / "pcap" / "iot-sentinel" / "D-LinkSwitch_Setup-A-1-STA.pcap"
    imported = import_file(path)
    devices = merge(imported.observations)
    plug = [d for d in devices if "90:8d:78:a9:3d:6f" in d.macs]
    result = classify_devices(plug, imported.observations, RULES)[0]
    assert result.category == Category.IOT
    assert result.category != Category.SWITCH


def test_iot_sentinel_never_confidently_wrong(corpora: Path) -> None:
    score, _ = bench.part_b(corpora, RULES)
    assert score.errors == 0
    assert score.wrong == 0
    assert score.correct >= 20


def test_hostile_text_evidence_does_not_raise() -> None:
    from scopeaudit.classify import Evidence

    nasty = ["\x00", "\x1b[31m", "\u202e", "(" * 5000, "[bold]x[/bold]", "=HYPERLINK(1)"]
    for text in nasty:
        outcome = decide([Evidence(s, text) for s in bench._TEXT_SIGNALS], RULES)
        assert 0.0 <= outcome.confidence <= 1.0

"""Audit results for the HTML, PDF and amendment tests: the lab's demo, and a hostile one.

The demo is the other renderers' golden input (a real scan of the office lab, committed); the
hostile result puts every string of the lab's hostile set, plus script payloads that would
change the page title and a 10,000-character name, wherever network text can appear.
"""

from __future__ import annotations

import html.parser
from datetime import UTC, datetime
from pathlib import Path

from scopeaudit.audit import build_result
from scopeaudit.audit_models import AuditResult
from scopeaudit.contract import read_contract
from scopeaudit.lab.persona.hostile import HOSTILE
from scopeaudit.models import (
    Device,
    Observation,
    ObservationKind,
    ProbeRecord,
    Reason,
    Snapshot,
    SourceOutcome,
)
from scopeaudit.snapshot import read_snapshot
from scopeaudit.taxonomy import Category, Language, Source

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "fixtures" / "contracts" / "demo.yaml"
SNAPSHOT = REPO / "fixtures" / "snapshots" / "office-demo.json"

# Payloads a browser would act on if they were not escaped: each changes the page title.
TITLE_ATTACKS = {
    "title_script": '<script>document.title="PWNED-SCRIPT"</script>',
    "title_img": "<img src=x onerror=\"document.title='PWNED-IMG'\">",
    "title_svg": "<svg onload=\"document.title='PWNED-SVG'\"></svg>",
    "title_attr": "\" autofocus onfocus=\"document.title='PWNED-ATTR'",
}
LONG_NAME = "N" * 10_000
ATTACKS = {**HOSTILE, **TITLE_ATTACKS, "ten_thousand": LONG_NAME}


def demo_result(lang: Language) -> AuditResult:
    return build_result(
        read_contract(DEMO, lang),
        read_snapshot(SNAPSHOT),
        contract_path=Path("fixtures/contracts/demo.yaml"),
        lang=lang,
    )


HOSTILE_CONTRACT = """\
format: 1
contract:
  reference: HOSTILE-1
  parties:
    client: {name: "Client <b>bold</b> & co"}
  billing: {currency: EUR, period: monthly, base_fee: 100, vat_rate: 20,
            unit_prices: {printer: 10, computer: 30}}
scope:
  networks: [{cidr: 10.0.0.0/24, site: HQ}]
equipment:
  - {id: P1, category: printer, mac: ["00:11:22:33:44:00"]}
  - {id: GONE, category: computer, hostname: gone-pc, ip: 10.0.0.250}
"""


def hostile_result(tmp_path: Path, lang: Language = Language.EN) -> AuditResult:
    """One unexpected printer per attack string, in every text field a network fills."""
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE_CONTRACT, encoding="utf-8")
    when = datetime(2026, 1, 1, tzinfo=UTC)
    observations: list[Observation] = []
    devices: list[Device] = []
    for i, (name, value) in enumerate(ATTACKS.items()):
        mac, ip = f"00:11:22:33:44:{i + 1:02x}", f"10.0.0.{i + 2}"
        observations.append(
            Observation(
                source=Source.PASSIVE,
                kind=ObservationKind.HOSTNAME,
                time=when,
                vantage=value,
                mac=mac,
                ip=ip,
                data={"name": value, value: [value, 1]},
            )
        )
        devices.append(
            Device(
                id=f"dev-{name}",
                macs=[mac],
                ips=[ip],
                hostnames=[value],
                vendor=value,
                model=value,
                os=value,
                category=Category.PRINTER,
                confidence=0.9,
                reasons=[Reason(code="hostile.test", params={"v": value}, text=value)],
                evidence=[len(observations) - 1],
            )
        )
    snapshot = Snapshot(
        tool_version="test",
        started_at=when,
        finished_at=when,
        sources=[SourceOutcome(name=Source.NAMES, ok=False, error=HOSTILE["ansi_osc8"])],
        observations=observations,
        devices=devices,
        probe_log=[
            ProbeRecord(
                source=Source.NAMES,
                action=TITLE_ATTACKS["title_script"],
                targets=HOSTILE["img_onerror"],
                started_at=when,
                count=3,
                detail=HOSTILE["nul"] + HOSTILE["invalid_utf8"],
            )
        ],
        fingerprint="sha256:" + "ab" * 32,
    )
    return build_result(read_contract(path, lang.value), snapshot, lang=lang)


class Page(html.parser.HTMLParser):
    """What a browser would build from a page: elements, attributes, script bodies, text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += attrs
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)

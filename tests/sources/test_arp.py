"""The ARP sweep: pure frame building and parsing, segment planning, and real sweeps in a
namespace lab (every in-scope address probed, excluded ones never, every host found, the
unprivileged case as a real user)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest
from scapy.layers.l2 import ARP, Ether

from scopeaudit.scope import Scope
from scopeaudit.sources.arp import (
    ArpReply,
    build_request,
    parse_reply,
    plan_segments,
    sweep,
    to_observations,
)
from scopeaudit.sources.host import LocalInterface
from scopeaudit.taxonomy import Language

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scope"))
from netlab import SCANNER_MAC, FlatLab, count_requests, run_sweep

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ME = "8c:8c:aa:00:00:c8"


def test_request_is_the_frame_scapy_builds() -> None:
    ours = build_request(ME, IPv4Address("10.77.0.200"))
    theirs = bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src=ME)
        / ARP(op=1, hwsrc=ME, psrc="10.77.0.200", hwdst="00:00:00:00:00:00", pdst="0.0.0.0")
    )
    assert ours == theirs
    probe = build_request(ME, None)
    assert probe == bytes(
        Ether(dst="ff:ff:ff:ff:ff:ff", src=ME)
        / ARP(op=1, hwsrc=ME, psrc="0.0.0.0", hwdst="00:00:00:00:00:00", pdst="0.0.0.0")
    )
    patched = bytearray(ours)
    patched[38:42] = IPv4Address("10.77.0.31").packed
    assert ARP(bytes(patched)[14:]).pdst == "10.77.0.31"


def _reply(ip: str, mac: str, eth_src: str | None = None, pad: bool = True) -> bytes:
    frame = bytes(
        Ether(dst=ME, src=eth_src or mac)
        / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=ME, pdst="10.77.0.200")
    )
    return frame + b"\x00" * 18 if pad else frame  # a real NIC pads to 60 bytes


def test_parse_reply_reads_sender_fields() -> None:
    reply = parse_reply(_reply("10.77.0.30", "3c:d9:2b:8e:2a:1f", "02:00:00:00:00:01"), NOW)
    assert reply == ArpReply(
        ip="10.77.0.30",
        mac="3c:d9:2b:8e:2a:1f",
        eth_src="02:00:00:00:00:01",
        target_ip="10.77.0.200",
        time=NOW,
    )
    assert parse_reply(_reply("10.77.0.30", "3c:d9:2b:8e:2a:1f", pad=False), NOW) is not None


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\x00" * 41,
        bytes(Ether(dst=ME, src=ME) / ARP(op=1, psrc="10.0.0.1", pdst="10.0.0.2")),  # request
        bytes(Ether(dst=ME, src=ME, type=0x0800) / (b"\x00" * 40)),  # not ARP
        bytes(Ether(dst=ME, src=ME) / ARP(op=2, ptype=0x86DD, plen=4)),  # not IPv4
    ],
)
def test_parse_reply_ignores_what_is_not_an_ipv4_reply(frame: bytes) -> None:
    assert parse_reply(frame, NOW) is None


def test_observations_keep_every_mac_of_an_ip_and_drop_out_of_scope() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24"], ["10.77.0.240/28"])
    replies = [
        ArpReply("10.77.0.30", "3c:d9:2b:8e:2a:1f", "3c:d9:2b:8e:2a:1f", "0.0.0.0", NOW),
        ArpReply("10.77.0.30", "3c:d9:2b:8e:2a:1f", "3c:d9:2b:8e:2a:1f", "0.0.0.0", NOW),
        ArpReply("10.77.0.1", "70:10:5c:3a:11:01", "70:10:5c:3a:11:01", "0.0.0.0", NOW),
        ArpReply("10.77.0.30", "70:10:5c:3a:11:01", "70:10:5c:3a:11:01", "0.0.0.0", NOW),
        ArpReply("10.77.0.241", "aa:aa:aa:00:00:01", "aa:aa:aa:00:00:01", "0.0.0.0", NOW),
        ArpReply("192.168.1.1", "aa:aa:aa:00:00:02", "aa:aa:aa:00:00:02", "0.0.0.0", NOW),
    ]
    observations, dropped = to_observations(replies, "eth0", scope.allows)
    assert dropped == 2
    assert [(o.ip, o.mac) for o in observations] == [
        ("10.77.0.30", "3c:d9:2b:8e:2a:1f"),
        ("10.77.0.1", "70:10:5c:3a:11:01"),
        ("10.77.0.30", "70:10:5c:3a:11:01"),
    ]
    assert {o.data["how"] for o in observations} == {"arp-reply"}
    assert {o.kind.value for o in observations} == {"address"}
    assert {o.source.value for o in observations} == {"arp"}
    assert {o.vantage for o in observations} == {"eth0"}


def _iface(name: str, *cidrs: str, up: bool = True) -> LocalInterface:
    return LocalInterface(
        name=name,
        mac=ME,
        ipv4=tuple(IPv4Interface(c) for c in cidrs),
        up=up,
        loopback=False,
    )


def test_segments_face_only_on_link_networks() -> None:
    scope = Scope.from_cidrs(["10.77.0.0/24", "10.77.20.0/24", "10.50.0.0/17"])
    interfaces = [
        _iface("eth0", "10.77.0.200/24"),
        _iface("eth1", "10.50.3.4/24"),  # a /24 inside the scope's /17: only the /24 is on-link
        _iface("down0", "10.77.20.9/24", up=False),
    ]
    segments, unreached = plan_segments(scope, interfaces)
    assert [(s.interface.name, str(s.network), str(s.source_ip)) for s in segments] == [
        ("eth0", "10.77.0.0/24", "10.77.0.200"),
        ("eth1", "10.50.3.0/24", "10.50.3.4"),
    ]
    assert unreached == [IPv4Network("10.77.20.0/24")]


def test_no_facing_interface_is_a_failed_outcome_not_an_exception() -> None:
    scope = Scope.from_cidrs(["10.77.20.0/24"])
    result = sweep(scope, interfaces=[_iface("eth0", "10.77.0.200/24")], lang=Language.EN)
    assert not result.outcome.ok
    assert result.outcome.error is not None
    assert "10.77.20.0/24" in result.outcome.error and "nmap" in result.outcome.error
    assert result.observations == []
    assert result.probe_log == []
    unknown = sweep(scope, interface="nope0", interfaces=[], lang=Language.FR)
    assert not unknown.outcome.ok and "nope0" in (unknown.outcome.error or "")


# ---- real sweeps in a namespace lab (root) ----------------------------------------------

LAB_NET = IPv4Network("10.66.0.0/24")
LAB_HOSTS = [IPv4Address(f"10.66.0.{i}") for i in (1, 10, 33, 128, 239, 241, 254)]
EXCLUDED = "10.66.0.240/28"


@pytest.fixture(scope="module")
def flat_lab() -> Iterator[FlatLab]:
    with FlatLab(LAB_NET, LAB_HOSTS, IPv4Address("10.66.0.200")) as lab:
        yield lab


@pytest.mark.root
def test_sweep_finds_every_host_and_never_probes_the_excluded(
    flat_lab: FlatLab, tmp_path: Path
) -> None:
    pcap = tmp_path / "arp.pcap"
    with flat_lab.capture(pcap):
        result = run_sweep(flat_lab, {"networks": [str(LAB_NET)], "exclude": [EXCLUDED]})
    assert result["outcome"]["ok"], result["outcome"]
    macs = flat_lab.macs()
    excluded = IPv4Network(EXCLUDED)
    expected = {ip: mac for ip, mac in macs.items() if IPv4Address(ip) not in excluded}
    found = {o["ip"]: o["mac"] for o in result["observations"]}
    assert found == expected
    assert all(o["data"] == {"how": "arp-reply"} for o in result["observations"])
    assert all(o["vantage"] == "eth0" for o in result["observations"])
    # on the wire: every in-scope address but our own asked once or twice, nothing else
    counts = count_requests(pcap)
    in_scope = {f"10.66.0.{i}" for i in range(1, 240)} - {"10.66.0.200"}
    assert set(counts) == in_scope
    assert all(counts[ip] == 1 for ip in expected)  # answered at once: no retry
    assert all(counts[ip] == 2 for ip in in_scope - set(expected))  # silent: one retry
    assert result["targets"] == len(in_scope)
    assert result["frames_sent"] == sum(counts.values())
    assert result["frames_per_target"] == {"1": len(expected), "2": len(in_scope) - len(expected)}
    assert result["outcome"]["detail"]["frames_per_target"] == (
        f"1:{len(expected)}, 2:{len(in_scope) - len(expected)}"
    )
    log = result["probe_log"]
    assert [p["count"] for p in log] == [len(in_scope), len(in_scope) - len(expected)]
    assert all(p["targets"] == str(LAB_NET) and p["source"] == "arp" for p in log)


def _requests(pcap: Path) -> list[tuple[str, str]]:
    """(sender address, target address) of every ARP request from the scanner in ``pcap``."""
    data = pcap.read_bytes()
    found = []
    offset = 24
    while offset + 16 <= len(data):
        caplen = int.from_bytes(data[offset + 8 : offset + 12], "little")
        frame = data[offset + 16 : offset + 16 + caplen]
        offset += 16 + caplen
        if frame[20:22] == b"\x00\x01":
            assert frame[6:12] == bytes.fromhex(SCANNER_MAC.replace(":", ""))
            found.append((str(IPv4Address(frame[28:32])), str(IPv4Address(frame[38:42]))))
    return found


@pytest.mark.root
@pytest.mark.parametrize(
    ("style", "first", "retry"),
    [
        ("probe", "0.0.0.0", "0.0.0.0"),
        ("probe-then-classic", "0.0.0.0", "10.66.0.200"),
        ("classic", "10.66.0.200", "10.66.0.200"),
    ],
)
def test_request_styles(
    flat_lab: FlatLab, tmp_path: Path, style: str, first: str, retry: str
) -> None:
    pcap = tmp_path / "arp.pcap"
    with flat_lab.capture(pcap):
        result = run_sweep(flat_lab, {"networks": ["10.66.0.0/28"], "style": style})
    assert {o["ip"] for o in result["observations"]} == {"10.66.0.1", "10.66.0.10"}
    sent = _requests(pcap)
    assert sent[:14] == [(first, f"10.66.0.{i}") for i in range(1, 15)]
    assert sent[14:] == [(retry, f"10.66.0.{i}") for i in range(1, 15) if i not in (1, 10)]


@pytest.mark.root
def test_sweep_at_a_lower_rate_and_a_narrow_scope(flat_lab: FlatLab) -> None:
    result = run_sweep(flat_lab, {"networks": ["10.66.0.32/29"], "rate": 100})
    assert result["outcome"]["ok"]
    assert [(o["ip"], o["mac"]) for o in result["observations"]] == [
        ("10.66.0.33", flat_lab.macs()["10.66.0.33"])
    ]
    assert result["targets"] == 6  # a /29 without its network and broadcast addresses
    last, calls = result["progress"]
    assert last == [6, 6] and calls >= 1


@pytest.mark.root
def test_without_raw_socket_privilege_it_says_so(flat_lab: FlatLab) -> None:
    result = run_sweep(flat_lab, {"networks": [str(LAB_NET)]}, user=65534)
    outcome = result["outcome"]
    assert outcome["ok"] is False
    assert "CAP_NET_RAW" in outcome["error"]
    assert outcome["detail"] == {"missing": "CAP_NET_RAW"}
    assert result["observations"] == [] and result["frames_sent"] == 0


@pytest.mark.root
def test_parallel_senders_probe_each_address_once_or_twice(
    flat_lab: FlatLab, tmp_path: Path
) -> None:
    pcap = tmp_path / "arp.pcap"
    with flat_lab.capture(pcap):
        result = run_sweep(
            flat_lab, {"networks": [str(LAB_NET)], "exclude": [EXCLUDED], "rate": 0, "senders": 2}
        )
    assert result["outcome"]["ok"]
    assert "senders=2" in result["probe_log"][0]["detail"]
    assert len(result["observations"]) == 5
    counts = count_requests(pcap)
    assert len(counts) == 238  # 10.66.0.1-239 without our own address
    assert all(1 <= n <= 2 for n in counts.values())
    assert sum(counts.values()) == result["frames_sent"]


@pytest.mark.root
def test_no_retry_and_no_wait_when_every_target_answered(flat_lab: FlatLab) -> None:
    result = run_sweep(flat_lab, {"networks": ["10.66.0.10/32", "10.66.0.33/32"]})
    assert {o["ip"] for o in result["observations"]} == {"10.66.0.10", "10.66.0.33"}
    assert result["frames_sent"] == 2
    assert [p["count"] for p in result["probe_log"]] == [2]  # one pass for both /32s
    assert result["probe_log"][0]["targets"] == "10.66.0.10/32, 10.66.0.33/32"


@pytest.mark.root
def test_an_ip_answering_with_two_macs_keeps_both() -> None:
    twice = IPv4Address("10.68.0.5")
    with FlatLab(IPv4Network("10.68.0.0/29"), [twice, twice], IPv4Address("10.68.0.6")) as lab:
        result = run_sweep(lab, {"networks": ["10.68.0.0/29"]})
    pairs = sorted((o["ip"], o["mac"]) for o in result["observations"])
    assert pairs == [("10.68.0.5", "3c:d9:2b:00:00:01"), ("10.68.0.5", "3c:d9:2b:00:00:02")]


@pytest.mark.root
def test_ctrl_c_stops_the_senders_at_their_next_batch(flat_lab: FlatLab, tmp_path: Path) -> None:
    import json
    import os
    import signal
    import subprocess
    import time

    from netlab import PYTHON, REPO, SWEEP_WORKER

    def _interruptible() -> None:  # as from a terminal, whatever mask the harness runs with
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    pcap = tmp_path / "arp.pcap"
    args = json.dumps({"networks": [str(LAB_NET)], "rate": 100})
    with flat_lab.capture(pcap):
        proc = subprocess.Popen(
            ["ip", "netns", "exec", flat_lab.scanner_ns, PYTHON, "-c", SWEEP_WORKER, args],
            env={**os.environ, "PYTHONPATH": str(REPO / "src")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            preexec_fn=_interruptible,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and sum(count_requests(pcap).values()) < 10:
                time.sleep(0.05)  # wait until it is really sending, whatever the load
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    sent = sum(count_requests(pcap).values())
    assert 0 < sent < 253  # stopped long before the first pass over the /24 was done

"""Faults and load against the real server process: what breaks, what is lost, how fast it comes back.

    python -m benchmarks.reliability [--requests 200] [--clients 8] [--kills 5] [--disconnects 50]

The server is `tests.support.fault_server` (uvicorn, signals, the real cache) on loopback with a scripted
model; arXiv is the local mirror of saved responses. Targets (issue "Nothing wedges the backend"): no crashes,
no lost or corrupt cache rows, RSS growth under 10% over the soak, the model free again after every client
that leaves mid-stream, SIGTERM obeyed within a few seconds.
"""

from __future__ import annotations

import argparse
import random
import signal
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.support.arxiv_mirror import ArxivMirror
from tests.support.cache_check import check_cache
from tests.support.server_process import ServerProcess
from tests.support.soak import FRESH_PAPER, SoakReport, disconnects, soak

SOAK_ENV = {"FAULT_PIECE_DELAY": "0", "FAULT_REPLY_WORDS": "20", "ARXIVGPT_MAX_QUEUE": "16"}
KILL_ENV = {"FAULT_PIECE_DELAY": "0", "FAULT_REPLY_WORDS": "200", "ARXIVGPT_MAX_QUEUE": "64"}


def committed_summaries(data_dir: Path) -> int:
    return check_cache(data_dir / "cache.sqlite3").rows["summary"]


def kill_rounds(mirror: ArxivMirror, data_dir: Path, rounds: int, seed: int = 9) -> dict[str, float]:
    """Kill -9 during a stream of summary writes, restart, check: lost and corrupt rows, recovery time."""
    chance = random.Random(seed)
    lost = corrupt = written = 0
    bad_integrity = 0
    recoveries: list[float] = []
    for round_number in range(rounds):
        server = ServerProcess(mirror, data_dir, env=KILL_ENV)
        server.start()
        stop = threading.Event()
        writers = [
            threading.Thread(
                target=_write_summaries, args=(server.url, f"{round_number}-{i}", stop), daemon=True
            )
            for i in range(4)
        ]
        for writer in writers:
            writer.start()
        time.sleep(chance.uniform(0.5, 1.5))
        before = committed_summaries(data_dir)
        server.kill9()
        stop.set()
        report = check_cache(data_dir / "cache.sqlite3")
        bad_integrity += report.integrity != "ok"
        corrupt += report.corrupt
        lost += max(0, before - report.rows["summary"])
        written = report.rows["summary"]
        restarted = ServerProcess(mirror, data_dir, env=KILL_ENV)
        started = time.monotonic()
        restarted.start()
        body = {"paper": FRESH_PAPER, "source": "abstract", "language": f"after-{round_number}"}
        httpx.post(f"{restarted.url}/v1/summaries", json=body, timeout=60).raise_for_status()
        recoveries.append(time.monotonic() - started)
        restarted.stop()
        for writer in writers:
            writer.join(timeout=10)
    return {
        "lost": lost,
        "written": written,
        "corrupt": corrupt,
        "bad_integrity": bad_integrity,
        "recovery_median": sorted(recoveries)[len(recoveries) // 2],
        "recovery_max": max(recoveries),
    }


def _write_summaries(url: str, tag: str, stop: threading.Event) -> None:
    for number in range(10_000):  # bounded; the kill ends it much sooner
        if stop.is_set():
            return
        body = {"paper": FRESH_PAPER, "source": "abstract", "language": f"{tag}-{number}"}
        try:
            httpx.post(f"{url}/v1/summaries", json=body, timeout=30)
        except httpx.HTTPError:
            return


def sigterm_seconds(mirror: ArxivMirror, data_dir: Path) -> float:
    """SIGTERM with a generation streaming to a client: seconds until the process is gone."""
    server = ServerProcess(mirror, data_dir, env={"FAULT_PIECE_DELAY": "0.05", "FAULT_REPLY_WORDS": "400"})
    server.start()
    body = {"paper": FRESH_PAPER, "source": "abstract", "language": "sigterm", "stream": True}
    with httpx.stream("POST", f"{server.url}/v1/summaries", json=body, timeout=30) as response:
        for line in response.iter_lines():
            if line.startswith("event: delta"):
                break
        _, seconds = server.signal_and_wait(signal.SIGTERM)
    return seconds


def print_table(
    report: SoakReport,
    crashes: int,
    kills: dict[str, float],
    disconnect_free: float,
    stop_s: float,
    args: argparse.Namespace,
) -> None:
    failures = ", ".join(f"{kind} ×{count}" for kind, count in sorted(report.failures.items())) or "none"
    kinds = ", ".join(f"{kind} ×{count}" for kind, count in sorted(report.by_kind.items()))
    rows = [
        ("requests (soak, 8 clients)", f"{len(report.outcomes)} ({kinds})", "—"),
        ("failures by kind", failures, "none"),
        ("latency p50 / p99", f"{report.p50 * 1000:.0f} ms / {report.percentile(0.99) * 1000:.0f} ms", "—"),
        ("crashes", str(crashes), "0"),
        (
            f"lost / corrupt rows after {args.kills} × kill -9",
            f"{kills['lost']:.0f} / {kills['corrupt']:.0f} of {kills['written']:.0f} rows written; "
            f"integrity_check not ok: {kills['bad_integrity']:.0f}",
            "0 / 0",
        ),
        (
            "recovery after kill -9 (start + first summary)",
            f"median {kills['recovery_median']:.2f} s, max {kills['recovery_max']:.2f} s",
            "—",
        ),
        (
            "RSS before / after soak",
            f"{report.rss_before / 2**20:.1f} / {report.rss_after / 2**20:.1f} MiB "
            f"({report.rss_growth:+.1%})",
            "< +10%",
        ),
        (
            "threads before / after soak",
            f"{report.threads_before} / {report.threads_after}",
            "no growth",
        ),
        (
            f"model free after a client leaves ({args.disconnects}×)",
            f"max {disconnect_free * 1000:.0f} ms",
            "—",
        ),
        ("SIGTERM mid-generation → exit", f"{stop_s:.2f} s", "a few s"),
    ]
    print("| measure | result | target |\n|---|---|---|")
    for measure, result, target in rows:
        print(f"| {measure} | {result} | {target} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--disconnects", type=int, default=50)
    args = parser.parse_args()
    mirror = ArxivMirror().start()
    crashes = 0
    try:
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            server = ServerProcess(mirror, root / "soak", env=SOAK_ENV)
            server.start()
            report = soak(server, requests=args.requests, clients=args.clients)
            crashes += not report.alive
            server.stop()
            leaver = ServerProcess(
                mirror,
                root / "leave",
                env={"ARXIVGPT_MAX_QUEUE": "0", "FAULT_PIECE_DELAY": "0.02", "FAULT_REPLY_WORDS": "400"},
            )
            leaver.start()
            left = disconnects(leaver, rounds=args.disconnects)
            crashes += leaver.process is not None and leaver.process.poll() is not None
            leaver.stop()
            kills = kill_rounds(mirror, root / "kill", args.kills)
            stop_s = sigterm_seconds(mirror, root / "term")
            print_table(report, crashes, kills, max(left.times_to_free), stop_s, args)
    finally:
        mirror.stop()


if __name__ == "__main__":
    main()

"""Load drivers for a running server (`ServerProcess`): a mixed soak, repeated mid-stream disconnects, and
`kill -9` rounds. The reliability tests assert on their reports; `benchmarks/reliability.py` prints them."""

from __future__ import annotations

import json
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.server_process import ServerProcess

CACHED_PAPER = "1312.2021v1"
FRESH_PAPER = "1605.08386v1"
KINDS = ("cached", "fresh", "bad", "cancelled", "paper")
# what each kind must get: anything else is a failure
EXPECTED: dict[str, set[str]] = {
    "cached": {"200"},
    "fresh": {"200"},
    "bad": {"422 invalid_input", "422 template_error"},
    "cancelled": {"left"},
    "paper": {"200"},
}
BAD_BODIES = [
    {"paper": "２１０４.١٢٢٥٥", "source": "abstract"},
    {
        "paper": "1312.2021v1",
        "source": "abstract",
        "template": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    },
    {"paper": "https://evil.example/abs/2303.17580"},
    {"paper": "1312.2021v1", "template": "{{ titel }}"},
]


@dataclass
class Outcome:
    kind: str
    result: str  # "200", "422 invalid_input", "left", "error ConnectError", ...
    seconds: float

    @property
    def ok(self) -> bool:
        return self.result in EXPECTED[self.kind]


@dataclass
class SoakReport:
    outcomes: list[Outcome] = field(default_factory=list)
    rss_before: int = 0
    rss_after: int = 0
    threads_before: int = 0
    threads_after: int = 0
    alive: bool = True

    @property
    def failures(self) -> Counter[str]:
        return Counter(f"{o.kind}: {o.result}" for o in self.outcomes if not o.ok)

    @property
    def by_kind(self) -> Counter[str]:
        return Counter(f"{o.kind} {o.result}" for o in self.outcomes)

    def percentile(self, share: float) -> float:
        times = sorted(o.seconds for o in self.outcomes)
        return times[min(len(times) - 1, int(share * len(times)))] if times else 0.0

    @property
    def p50(self) -> float:
        return statistics.median(o.seconds for o in self.outcomes) if self.outcomes else 0.0

    @property
    def rss_growth(self) -> float:
        return self.rss_after / self.rss_before - 1.0 if self.rss_before else 0.0


def _summary_body(kind: str, number: int) -> dict[str, Any]:
    if kind == "cached":
        return {"paper": CACHED_PAPER, "source": "abstract"}
    if kind == "bad":
        return BAD_BODIES[number % len(BAD_BODIES)]
    # a new language is a new summary: the paper is cached, the generation is fresh
    return {"paper": FRESH_PAPER, "source": "abstract", "language": f"Lang{number}"}


def one_request(http: httpx.Client, kind: str, number: int) -> Outcome:
    started = time.perf_counter()
    try:
        if kind == "paper":
            result = _status(http.get(f"/v1/papers/{CACHED_PAPER}"))
        elif kind == "cancelled":
            result = leave_mid_stream(http, _summary_body(kind, number))
        else:
            result = _status(http.post("/v1/summaries", json=_summary_body(kind, number)))
    except httpx.HTTPError as error:
        result = f"error {type(error).__name__}"
    return Outcome(kind, result, time.perf_counter() - started)


def _status(response: httpx.Response) -> str:
    if response.status_code == 200:
        return "200"
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        code = "?"
    return f"{response.status_code} {code}"


def leave_mid_stream(http: httpx.Client, body: dict[str, Any], deltas: int = 1) -> str:
    """Stream a summary and close the connection after `deltas` deltas: "left", or what went wrong."""
    seen = 0
    with http.stream("POST", "/v1/summaries", json={**body, "stream": True}) as response:
        if response.status_code != 200:
            response.read()
            return _status(response)
        name = ""
        for line in response.iter_lines():
            if line.startswith("event: "):
                name = line.removeprefix("event: ")
            elif line.startswith("data: ") and name == "delta":
                seen += 1
                if seen >= deltas:
                    return "left"
            elif line.startswith("data: ") and name in ("done", "error"):
                return f"ended early: {name} {json.loads(line.removeprefix('data: ')).get('code', '')}"
    return "ended early"


def soak(server: ServerProcess, requests: int = 200, clients: int = 8, warmup: int = 40) -> SoakReport:
    """`requests` mixed requests (KINDS in turn) from `clients` threads. RSS and threads are measured after
    a warm-up just like it (the server's thread pools grow to their size once; that is not a leak)."""
    report = SoakReport()
    _run_clients(server, range(10_000, 10_000 + warmup), clients, [])
    settle(server)
    report.rss_before, report.threads_before = server.rss_bytes(), server.threads()
    _run_clients(server, range(requests), clients, report.outcomes)
    settle(server)
    report.alive = server.process is not None and server.process.poll() is None
    report.rss_after, report.threads_after = server.rss_bytes(), server.threads()
    return report


def _run_clients(server: ServerProcess, numbers: range, clients: int, outcomes: list[Outcome]) -> None:
    pending = iter(numbers)
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=60.0) as http:
            while True:
                with lock:
                    number = next(pending, None)
                if number is None:
                    return
                outcome = one_request(http, KINDS[number % len(KINDS)], number)
                with lock:
                    outcomes.append(outcome)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)


def settle(server: ServerProcess, limit: float = 5.0) -> None:
    """Let cancelled generations finish their last token and their threads go idle (bounded)."""
    deadline = time.monotonic() + limit
    last = -1
    while time.monotonic() < deadline:
        now = server.threads()
        if now == last:
            return
        last = now
        time.sleep(0.3)


@dataclass
class DisconnectReport:
    times_to_free: list[float] = field(default_factory=list)  # until the next summary could start
    refusals: int = 0
    rss_before: int = 0
    rss_after: int = 0
    threads_before: int = 0
    threads_after: int = 0


def disconnects(server: ServerProcess, rounds: int = 50, free_within: float = 3.0) -> DisconnectReport:
    """Leave a stream mid-answer `rounds` times. With ARXIVGPT_MAX_QUEUE=0 a summary is refused (429) while
    another still runs, so the wait until the next stream is accepted is how long the model took to stop."""
    report = DisconnectReport()
    body = {"paper": FRESH_PAPER, "source": "abstract", "language": "Disconnect", "stream": True}
    with httpx.Client(base_url=server.url, timeout=30.0) as http:
        for round_number in range(rounds + 1):  # round 0 warms up
            if round_number == 1:
                settle(server)
                report.rss_before, report.threads_before = server.rss_bytes(), server.threads()
                report.times_to_free.clear()
                report.refusals = 0
            _leave_once_accepted(http, body, free_within, report)
    settle(server)
    report.rss_after, report.threads_after = server.rss_bytes(), server.threads()
    return report


def _leave_once_accepted(
    http: httpx.Client, body: dict[str, Any], limit: float, report: DisconnectReport
) -> None:
    """Start a summary as soon as the model takes one (at most `limit` s), read a delta and leave."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        result = leave_mid_stream(http, body)
        if result == "left":
            report.times_to_free.append(time.monotonic() - started)
            return
        assert result == "429 queue_full", result
        report.refusals += 1
        time.sleep(0.01)
    raise AssertionError(f"the model was still busy {limit} s after its client left")

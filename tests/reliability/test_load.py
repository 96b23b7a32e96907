"""Clients that leave mid-stream, 50 times; and a soak of 200 mixed requests from 8 clients. The model is free
again after each leaver, nothing fails that should not, and memory and threads do not grow."""

from __future__ import annotations

import os

import pytest

from tests.reliability.conftest import ServerFactory
from tests.support.soak import EXPECTED, KINDS, disconnects, soak

pytestmark = pytest.mark.reliability


def test_fifty_clients_leave_mid_stream(start_server: ServerFactory) -> None:
    server = start_server(ARXIVGPT_MAX_QUEUE="0", FAULT_PIECE_DELAY="0.02", FAULT_REPLY_WORDS="400")
    report = disconnects(server, rounds=50)
    assert len(report.times_to_free) == 50
    assert max(report.times_to_free) < 2.0, report.times_to_free  # a token or two, not the 8 s answer
    assert report.rss_after < report.rss_before * 1.10, (report.rss_before, report.rss_after)
    # asyncio's default executor starts its threads lazily, up to min(32, cores + 4): growth within that bound
    # is the pool filling up (seen here: 3 -> 6 on 2 cores), a thread per leaver would be +50.
    pool = min(32, (os.cpu_count() or 1) + 4)
    assert report.threads_after <= report.threads_before + pool, (report.threads_before, report.threads_after)


def test_soak_of_mixed_requests(start_server: ServerFactory) -> None:
    server = start_server(FAULT_PIECE_DELAY="0", FAULT_REPLY_WORDS="20", ARXIVGPT_MAX_QUEUE="16")
    report = soak(server, requests=200, clients=8)
    assert report.alive, server.log()[-3000:]
    assert len(report.outcomes) == 200
    assert {o.kind for o in report.outcomes} == set(KINDS)
    assert not report.failures, (report.failures, EXPECTED)
    assert report.rss_growth < 0.10, (report.rss_before, report.rss_after)
    assert report.threads_after <= report.threads_before + 2, (report.threads_before, report.threads_after)
    assert report.percentile(0.99) < 10.0

"""arXiv's terms, enforced for the whole process: one request at a time, a pause between requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

MAX_WAITS = 16  # each wait ends at a start some thread asked for; they cannot move it forever


class PoliteGate:
    """Serialises requests and spaces their starts at least `delay` seconds apart.

    The lock is held for the whole request, body included, so at most one connection to arXiv
    is busy at any moment. `defer` pushes the next start back for everyone (a Retry-After).
    """

    def __init__(
        self,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.delay = delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_start = float("-inf")

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self._lock:
            # A `defer` while this turn sleeps (another thread's Retry-After) moves the start again.
            for _ in range(MAX_WAITS):
                wait = self._next_start - self._clock()
                if wait <= 0:
                    break
                self._sleep(wait)
            self._next_start = self._clock() + self.delay
            yield

    def defer(self, seconds: float) -> None:
        """No request may start within `seconds` from now."""
        self._next_start = max(self._next_start, self._clock() + seconds)


_PROCESS_GATE = PoliteGate(delay=3.0)


def process_gate(delay: float) -> PoliteGate:
    """The gate shared by every arXiv client in this process (set to the configured `delay`)."""
    _PROCESS_GATE.delay = delay
    return _PROCESS_GATE

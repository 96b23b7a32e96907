"""Single-flight for blocking work: concurrent calls with the same key share one run and its outcome.

The first caller of a key runs the work; callers that arrive while it runs wait for it and get the same
result, or the same error. Once it has finished the key is forgotten, so a later call runs the work again (by
then the cache usually answers).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Value = TypeVar("Value")


@dataclass
class _Call(Generic[Value]):
    finished: threading.Event = field(default_factory=threading.Event)
    value: Value | None = None
    error: BaseException | None = None
    waiters: int = 0


class SingleFlight(Generic[Value]):
    """`do(key, work)`: `work()` once per key at a time, thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[Hashable, _Call[Value]] = {}

    def do(self, key: Hashable, work: Callable[[], Value]) -> Value:
        with self._lock:
            call = self._calls.get(key)
            leader = call is None
            if call is None:
                call = self._calls[key] = _Call()
            else:
                call.waiters += 1
        if leader:
            self._run(key, call, work)
        else:
            call.finished.wait()  # the leader always finishes: its work has its own timeouts
        if call.error is not None:
            raise call.error
        return call.value  # type: ignore[return-value]  # set when there is no error

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._calls)

    def _run(self, key: Hashable, call: _Call[Value], work: Callable[[], Value]) -> None:
        try:
            call.value = work()
        except BaseException as error:  # every waiter gets it too
            call.error = error
        finally:
            with self._lock:
                del self._calls[key]
            call.finished.set()

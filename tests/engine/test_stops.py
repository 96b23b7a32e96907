from __future__ import annotations

import pytest

from arxivgpt.engine.stops import StopScanner


@pytest.mark.parametrize(
    ("stops", "pieces", "emitted", "stopped"),
    [
        ((), ["Hello", " world"], "Hello world", False),
        (("</s>",), ["Hello", "</s>", "more"], "Hello", True),
        (("</s>",), ["Hel", "lo<", "/s", ">tail"], "Hello", True),  # split across pieces
        (("</s>",), ["a <", "b"], "a <b", False),  # a false start is released
        (("</s>",), ["ends with <"], "ends with <", False),  # held back, released by flush
        (("USER:", "\n\n\n"), ["Answer.", "\n\n", "\nUSER: hi"], "Answer.", True),
        (("###",), ["x##", "#y"], "x", True),
        (("ab", "abc"), ["xab"], "x", True),
    ],
)
def test_stop_strings(stops: tuple[str, ...], pieces: list[str], emitted: str, stopped: bool) -> None:
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(piece) for piece in pieces) + scanner.flush()
    assert out == emitted
    assert scanner.stopped is stopped

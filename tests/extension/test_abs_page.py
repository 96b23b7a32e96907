"""The abstract page end to end: real Chromium, the unpacked extension, a real backend running the offline
model.

arxiv.org is the saved abs page of 2106.09608 (2021 layout) or the same paper in arXiv's current layout
(pages/abs_current_layout.html), served at its real URL (see conftest.py); the backend resolves that paper
from the local arXiv mirror, where only its abstract exists, so every summary is of the abstract. Tests share
one browser and one backend (40 new tokens per summary); the backend caches the first summary, so later tests
that summarise the same paper with the same settings get it at once. Only the tests about the UI under a
scripted stream (a long summary, a failure midway) use `scripted_backend` (a FakeEngine), and say so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.extension.conftest import (
    CURRENT_LAYOUT,
    MODEL,
    PAPER,
    Backend,
    Extension,
    ScriptedBackend,
    screenshot,
)
from tests.extension.helpers import (
    ABS_URL,
    PLACEMENT,
    RECORD_STATES,
    SUMMARY,
    SUMMARY_SECONDS,
    assert_done,
    box,
    open_abs,
    text,
    wait_for_state,
    wait_for_text,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

# A long summary in the Markdown a model writes (about 560 words): for the scripted stream.
LONG_SUMMARY = "\n".join(
    [
        "## Summary",
        "In this paper, we study world models of text games built as knowledge graphs. " * 3,
        "",
        "## Key insights",
        *[
            f"{n}. Insight {n}: the **knowledge graph** changes as the agent acts, and *actions* follow;"
            f" so the model keeps track of what each action does to the world."
            for n in range(1, 9)
        ],
        "",
        "## Questions",
        *[
            f"{n}. How does the model handle puzzle number {n} in a world it has never seen before?"
            for n in range(1, 9)
        ],
        "",
        "## Future directions",
        *[
            f"- Apply the set-of-sequences view to domain {n}, where graphs change over long horizons."
            for n in range(1, 9)
        ],
        "",
        "## References",
        *[f"- [{n}] A. Author. A paper on text games, part {n}. 2020." for n in range(1, 9)],
    ]
)
TOP_OF_PAGE = {"x": 0, "y": 0, "width": 1280, "height": 1000}  # title to abstract, with the panel
FREE_TEMPLATE = "Summarize the paper {{ title }} for a reader, in {{ language }}.\n\n{{ body }}"


@pytest.fixture
def current_layout(extension: Extension) -> Iterator[None]:
    """arxiv.org/abs/2106.09608 in arXiv's current layout for one test."""
    saved = extension.pages[f"/abs/{PAPER}"]
    extension.pages[f"/abs/{PAPER}"] = (CURRENT_LAYOUT.read_bytes(), "text/html; charset=utf-8")
    yield
    extension.pages[f"/abs/{PAPER}"] = saved


def assert_aligned(page: Page) -> None:
    """The bar (and the panel) start where arXiv's title text starts, after the authors, before the
    abstract."""
    where = page.evaluate(PLACEMENT)
    assert where["titleLeft"] >= 15, f"arXiv's stylesheet did not apply (title at x={where['titleLeft']})"
    assert abs(where["buttonLeft"] - where["titleLeft"]) <= 1, where
    assert abs(where["authorsLeft"] - where["titleLeft"]) <= 1, where
    assert where["buttonAfterAuthors"], "the Summarize bar comes between the title and the authors"
    assert where["buttonBeforeAbstract"], where
    if where["panelLeft"] is not None:
        assert abs(where["panelLeft"] - where["titleLeft"]) <= 1, where
        assert where["panelBeforeAbstract"], where


def test_one_click_streams_a_summary(extension: Extension, backend: Backend) -> None:
    started = len(backend.requests("/v1/summaries"))
    page = open_abs(extension)
    button = page.locator('[data-arxivgpt="summarize"]')
    assert button.count() == 1
    page.wait_for_timeout(1000)  # time for an eager implementation to query the backend anyway
    assert page.locator('[data-arxivgpt="panel"]').count() == 0, "a panel opened before the click"
    assert len(backend.requests("/v1/summaries")) == started, "the page load asked the backend for a summary"

    page.evaluate(RECORD_STATES)
    button.click()
    page.locator('[data-arxivgpt="panel"]').wait_for(state="visible", timeout=5_000)
    assert_done(page, extension)

    # The backend's first summary of this paper (this test runs first): generated, not cached, so it streams,
    # rendered as it comes (never as raw Markdown), with the stages shown while it works.
    states = page.evaluate("() => window.__arxivgptStates")
    assert states == ["loading", "streaming", "done"], states
    lengths = page.evaluate("() => window.__arxivgptStreamedLengths")
    assert len([n for n in lengths if n > 0]) >= 3, f"the text did not grow as it streamed: {lengths}"
    assert page.evaluate("() => window.__arxivgptRawMarkdown") == [], "raw Markdown was shown while streaming"
    stages = page.evaluate("() => window.__arxivgptStages")
    assert stages[0] == "Fetching the paper…", stages
    assert any(re.fullmatch(r"Reading [\d,]+ tokens of the paper…", s) for s in stages), stages
    assert any(s.startswith("Writing part 1 of 5: Summary") for s in stages), stages
    assert page.locator(f'{SUMMARY} h2:text-is("Summary")').count() == 1, "the heading is not rendered"
    assert text(page, "summary").strip(), "the summary is empty"
    meta = text(page, "meta")
    assert MODEL in meta and "read the abstract only" in meta and "written just now" in meta, meta
    assert "strategy" not in meta and "sections used" not in meta, f"jargon in the meta line: {meta}"
    assert "Only the abstract could be read: arXiv's HTML is not available" in text(page, "notes")
    assert len(backend.requests("/v1/summaries")) == started + 1
    assert_aligned(page)
    screenshot(page, "abs-2021-layout", full_page=True, clip=TOP_OF_PAGE)

    extension.context.grant_permissions(["clipboard-read", "clipboard-write"], origin="https://arxiv.org")
    copy = page.locator('[data-arxivgpt="copy"]')
    width = box(page, '[data-arxivgpt="copy"]')["width"]
    copy.click()
    wait_for_text(page, "copy", re.compile("Copied"), extension, timeout=5)
    assert box(page, '[data-arxivgpt="copy"]')["width"] == width, "'Copied' resized its button"
    copied = page.evaluate("() => navigator.clipboard.readText()")

    with page.expect_download(timeout=10_000) as download_info:
        page.locator('[data-arxivgpt="download"]').click()
    download = download_info.value
    assert download.suggested_filename == f"{PAPER}.md", download.suggested_filename
    markdown = Path(download.path()).read_text(encoding="utf-8")
    assert copied.strip(), "nothing was copied"
    assert copied.strip() in markdown, f"the download lacks the copied summary:\n{markdown}\n---\n{copied}"
    header = markdown.split("\n---\n", 1)[0]
    for line in (
        "# Learning Knowledge Graph-based World Models of Textual Environments",
        "- Authors: Prithviraj Ammanabrolu, Mark O. Riedl",
        f"- arXiv: [{PAPER}v2](https://arxiv.org/abs/{PAPER}v2)",
        f"- Date: {time.strftime('%Y-%m-%d', time.gmtime())}",
        "- Read: the abstract only (arXiv's HTML is not available",
    ):
        assert line in header, f"{line!r} is not in the download's header:\n{header}"
    assert re.search(rf"^- Model: {re.escape(MODEL)} \(cpu, ", header, re.MULTILINE), header
    page.close()


def test_the_button_is_there_on_a_versioned_abs_url(extension: Extension) -> None:
    page = open_abs(extension, f"{ABS_URL}v2")
    assert page.locator('[data-arxivgpt="summarize"]').count() == 1
    page.close()


def test_the_current_layout_gets_the_button_and_panel_in_the_same_place(
    extension: Extension, current_layout: None
) -> None:
    page = open_abs(extension)
    assert page.locator("#download-button-info").count() == 1, "not the current layout"
    page.locator('[data-arxivgpt="summarize"]').click()
    assert_done(page, extension)  # cached by the first test: at once
    assert "kept from an earlier run" in text(page, "meta")
    assert page.locator('[data-arxivgpt="regenerate"]').is_visible(), "no Regenerate after a cached summary"
    assert_aligned(page)
    screenshot(page, "abs-current-layout", full_page=True, clip=TOP_OF_PAGE)
    page.close()


def test_a_synthetic_click_does_nothing(extension: Extension, backend: Backend) -> None:
    """Page scripts share the page's DOM: their clicks (isTrusted false) start nothing."""
    started = len(backend.requests("/v1/summaries"))
    page = open_abs(extension)
    page.evaluate(
        """() => {
          const button = document.querySelector('[data-arxivgpt="summarize"]');
          button.click();
          button.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true}));
        }"""
    )
    page.wait_for_timeout(1500)
    assert page.locator('[data-arxivgpt="panel"]').count() == 0, "a page script's click opened the panel"
    assert len(backend.requests("/v1/summaries")) == started

    page.locator('[data-arxivgpt="summarize"]').click()  # a person's click works
    assert_done(page, extension)
    extension.record_requests()
    page.evaluate("""() => document.querySelector('[data-arxivgpt="regenerate"]').click()""")
    page.wait_for_timeout(1000)
    assert extension.summary_requests() == [], "a page script's click on Regenerate sent a request"
    assert text(page, "summary").strip()
    page.close()


def test_the_shared_modules_are_not_at_a_fixed_address(extension: Extension) -> None:
    """use_dynamic_url: arXiv's pages load lib/*.js only through a per-session URL, so no site can probe
    chrome-extension://<id>/lib/render.js to learn that the extension is installed."""
    page = open_abs(extension)  # the content script imported them: they work through the dynamic URL
    fetched = page.evaluate(
        """async (url) => {
          try { await fetch(url); return "fetched"; } catch (error) { return "refused"; }
        }""",
        f"{extension.base}/lib/render.js",
    )
    assert fetched == "refused"
    page.close()


def test_regenerate_sends_refresh_and_writes_it_again(extension: Extension, backend: Backend) -> None:
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    assert_done(page, extension)
    assert "kept from an earlier run" in text(page, "meta"), "expected the cached summary first"
    extension.record_requests()
    page.evaluate(RECORD_STATES)
    page.locator('[data-arxivgpt="regenerate"]').click()
    assert_done(page, extension)
    [request] = extension.summary_requests()
    assert request["refresh"] is True and request["paper"] == PAPER, request
    assert page.evaluate("() => window.__arxivgptStates") == ["loading", "streaming", "done"]
    assert "written just now" in text(page, "meta"), "regenerated, yet shown as the cached summary"
    assert page.locator('[data-arxivgpt="regenerate"]').is_visible(), "no Regenerate after a fresh summary"
    page.close()


@pytest.fixture(scope="module")
def long_backend(start_backend: Callable[..., Backend]) -> Backend:
    """Its own backend (own cache: nothing cached) with room for a long answer: 400 tokens, over a minute."""
    started: Backend = start_backend(max_new_tokens=400)
    return started


def start_long_summary(extension: Extension, url: str) -> Page:
    extension.set_storage({"backendUrl": url})
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    state = wait_for_state(page, extension, ("streaming", "done", "error"), timeout=60)
    assert state == "streaming", f"expected a stream in progress, got {state!r}"
    return page


def test_stop_keeps_the_partial_text(
    extension: Extension, long_backend: Backend, backend_url: Callable[[str], None], saved_settings: None
) -> None:
    # One free answer, streamed token by token (a parts template streams whole accepted items only).
    extension.set_storage({"template": FREE_TEMPLATE})
    page = start_long_summary(extension, long_backend.url)
    page.wait_for_function(
        "() => document.querySelector('[data-arxivgpt=\"summary\"]').textContent.length > 40",
        polling=200,
        timeout=SUMMARY_SECONDS * 1000,
    )
    page.locator('[data-arxivgpt="stop"]').click()
    assert wait_for_state(page, extension, ("stopped",), timeout=5) == "stopped"
    kept = text(page, "summary")
    assert len(kept.strip()) > 20, f"the partial text was thrown away: {kept!r}"
    assert "Stopped: the summary ends here" in text(page, "notes")
    assert text(page, "meta").endswith("stopped")
    assert long_backend.wait_for_stderr("cancelled after", timeout=20), long_backend.stderr()[-2000:]
    page.wait_for_timeout(1000)
    assert text(page, "summary") == kept, "text kept coming after Stop"
    assert page.locator('[data-arxivgpt="regenerate"]').is_visible()
    assert page.locator('[data-arxivgpt="stop"]').is_hidden()
    assert page.locator('[data-arxivgpt="copy"]').is_enabled(), "the partial text cannot be copied"
    page.close()


def test_closing_the_panel_mid_stream_stops_generation_on_the_backend(
    extension: Extension, long_backend: Backend, backend_url: Callable[[str], None], saved_settings: None
) -> None:
    cancelled = long_backend.stderr().count("cancelled after")
    # Another length than the stop test's: a summary of its own, not one that test's page may still follow.
    extension.set_storage({"length": "long"})
    page = start_long_summary(extension, long_backend.url)
    closed_at = time.monotonic()
    page.locator('[data-arxivgpt="close"]').click()
    assert page.locator('[data-arxivgpt="panel"]').count() == 0, "the panel is still shown after close"
    deadline = time.monotonic() + 20
    while long_backend.stderr().count("cancelled after") == cancelled and time.monotonic() < deadline:
        time.sleep(0.2)
    assert long_backend.stderr().count("cancelled after") > cancelled, (
        f"the backend kept generating after the panel closed:\n{long_backend.stderr()[-2000:]}\n"
        f"consoles:\n{extension.console_tail()}"
    )
    assert time.monotonic() - closed_at < 20
    page.close()


def test_backend_down_shows_how_to_start_it_and_retry_works(
    extension: Extension, backend: Backend, backend_url: Callable[[str], None]
) -> None:
    backend_url("http://127.0.0.1:9")  # the discard port: nothing listens there
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    state = wait_for_state(page, extension, ("done", "error"), timeout=30)
    assert state == "error", "a summary came from a backend that is not running"
    assert "not running at http://127.0.0.1:9" in text(page, "error")
    assert text(page, "start-command") == "arxivgpt serve --port 9"
    retry = page.locator('[data-arxivgpt="retry"]')
    assert retry.is_visible()
    assert "failed" in text(page, "meta") or text(page, "meta") == ""

    backend_url(backend.url)  # the user starts the backend and retries
    retry.click()
    assert_done(page, extension)
    assert text(page, "summary").strip()
    assert page.locator('[data-arxivgpt="error"]').is_hidden()
    page.close()


def test_a_long_summary_stays_within_a_900px_window_and_folds(
    extension: Extension, scripted_backend: ScriptedBackend, backend_url: Callable[[str], None],
    saved_settings: None,
) -> None:  # fmt: skip
    """UI behaviour under a scripted stream (FakeEngine): a summary far longer than the window, cut at the
    length limit, in another language than asked."""
    scripted_backend.engine.script(LONG_SUMMARY)
    extension.set_storage({"template": FREE_TEMPLATE, "language": "Deutsch", "length": "short"})
    backend_url(scripted_backend.url)
    page = extension.context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(ABS_URL)
    page.locator('[data-arxivgpt="summarize"]').click()
    assert_done(page, extension)

    panel = box(page, '[data-arxivgpt="panel"]')
    assert panel["height"] <= 900 * 0.65 + 1, f"the panel is {panel['height']} px tall in a 900 px window"
    scroll = page.evaluate(
        """() => { const el = document.querySelector(".arxivgpt-scroll");
                   return [el.scrollHeight, el.clientHeight, getComputedStyle(el).overflowY]; }"""
    )
    assert scroll[0] > scroll[1] and scroll[2] == "auto", f"the summary does not scroll inside: {scroll}"
    assert page.locator('[data-arxivgpt="summary"] h2').count() >= 3, "the headings are not rendered"
    notes = text(page, "notes")
    assert "stopped at the length limit" in notes, notes  # short = 384 tokens; the reply is longer
    assert "asked for Deutsch, but the model wrote English" in notes, notes
    screenshot(page, "abs-long-summary-900px")

    page.locator('[data-arxivgpt="collapse"]').click()
    folded = box(page, '[data-arxivgpt="panel"]')
    assert folded["height"] < 60, f"folded, the panel is still {folded['height']} px tall"
    assert box(page, "blockquote.abstract")["y"] < 900, "folded, the abstract is still below the fold"
    assert page.locator('[data-arxivgpt="collapse"]').get_attribute("aria-expanded") == "false"
    page.locator('[data-arxivgpt="bar"] [data-arxivgpt="summarize"]').click()  # Summarize again: unfolds it
    assert box(page, '[data-arxivgpt="panel"]')["height"] > 300
    page.close()


def test_a_failure_mid_stream_keeps_the_text_with_the_error_under_it(
    extension: Extension, scripted_backend: ScriptedBackend, backend_url: Callable[[str], None],
    saved_settings: None,
) -> None:  # fmt: skip
    """UI behaviour under a scripted stream (FakeEngine): the model fails after 40 words."""
    scripted_backend.engine.script(LONG_SUMMARY, fail_after=40, piece_delay=0.01)
    extension.set_storage({"template": FREE_TEMPLATE + "\n(failing run)"})
    backend_url(scripted_backend.url)
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    assert wait_for_state(page, extension, ("done", "error")) == "error"
    kept = text(page, "summary")
    assert "In this paper, we study world models" in kept, f"the streamed text was thrown away: {kept!r}"
    assert "ran out of memory" in text(page, "error")
    assert page.locator('[data-arxivgpt="retry"]').is_visible()
    order = page.evaluate(
        """() => Boolean(document.querySelector('[data-arxivgpt="summary"]').compareDocumentPosition(
               document.querySelector('[data-arxivgpt="error"]')) & Node.DOCUMENT_POSITION_FOLLOWING)"""
    )
    assert order, "the error is not under the text"
    meta = text(page, "meta")
    assert meta.endswith("failed") and "writing" not in meta, meta
    page.close()


def test_model_links_are_kept_only_when_absolute_web_urls(
    extension: Extension, scripted_backend: ScriptedBackend, backend_url: Callable[[str], None],
    saved_settings: None,
) -> None:  # fmt: skip
    """UI behaviour under a scripted stream (FakeEngine): links the model writes, while streaming and done."""
    scripted_backend.engine.script(
        "See [the code](https://example.org/code), [a page](/relative/page), [mail](mailto:a@b.org) and "
        "[js](javascript:alert(1)). <b>bold</b> <img src=x onerror=alert(1)>"
    )
    extension.set_storage({"template": FREE_TEMPLATE + "\n(links)"})
    backend_url(scripted_backend.url)
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    assert_done(page, extension)
    links = page.evaluate(
        """() => [...document.querySelectorAll('[data-arxivgpt="summary"] a')].map(
               (a) => [a.textContent, a.getAttribute("href"), a.target, a.rel])"""
    )
    assert links == [["the code", "https://example.org/code", "_blank", "noopener noreferrer"]], links
    shown = text(page, "summary")
    assert "a page" in shown and "mail" in shown and "<b>bold</b>" in shown, shown
    assert page.locator('[data-arxivgpt="summary"] img, [data-arxivgpt="summary"] b').count() == 0
    page.close()

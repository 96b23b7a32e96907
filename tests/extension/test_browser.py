"""The extension end to end: real Chromium, the unpacked extension, a real backend running the offline model.

arxiv.org is the saved abs page of 2106.09608 served at its real URL (see conftest.py); the backend resolves
that paper from the local arXiv mirror, where only its abstract exists, so every summary is of the abstract.
Tests share one browser and one backend (40 new tokens per summary); the backend caches the first summary, so
later tests that summarise the same paper with the same settings get it at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.extension.conftest import MODEL, PAPER, Backend, Extension

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

ABS_URL = f"https://arxiv.org/abs/{PAPER}"
SUMMARY = '[data-arxivgpt="summary"]'
SUMMARY_SECONDS = 120  # 40 tokens on a 2-core CPU take ~10 s; generous for slow CI machines

# Records every data-state of the summary area, with its text length, as the page shows it.
RECORD_STATES = """() => {
  const seen = (window.__arxivgptStates = []);
  const lengths = (window.__arxivgptStreamedLengths = []);
  const note = () => {
    const el = document.querySelector('[data-arxivgpt="summary"]');
    const state = el && el.getAttribute("data-state");
    if (!state) return;
    const length = el.textContent.trim().length;
    if (seen[seen.length - 1] !== state) seen.push(state);
    if (state === "streaming" && lengths[lengths.length - 1] !== length) lengths.push(length);
  };
  new MutationObserver(note).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, characterData: true, attributeFilter: ["data-state"],
  });
}"""
STATE_IN = """([selector, states]) => {
  const el = document.querySelector(selector);
  return el !== null && states.includes(el.getAttribute("data-state"));
}"""


def text(page: Page, name: str) -> str:
    content: str = page.locator(f'[data-arxivgpt="{name}"]').first.inner_text()
    return content


def wait_for_state(
    page: Page,
    extension: Extension,
    states: tuple[str, ...],
    *,
    timeout: float = SUMMARY_SECONDS,
    selector: str = SUMMARY,
) -> str:
    """Waits until the summary area's data-state is one of `states`; returns it (fails with the consoles)."""
    try:
        # Polled on a timer, not on animation frames: those stop in background tabs.
        page.wait_for_function(STATE_IN, arg=[selector, list(states)], timeout=timeout * 1000, polling=200)
    except Exception as error:  # a Playwright TimeoutError: say what the page showed instead
        shown = (
            page.locator(selector).first.get_attribute("data-state")
            if page.locator(selector).count()
            else None
        )
        pytest.fail(
            f"data-state never became {' or '.join(states)} (it is {shown!r}): {error}\n"
            f"consoles:\n{extension.console_tail()}"
        )
    return page.locator(selector).first.get_attribute("data-state") or ""


def assert_done(page: Page, extension: Extension, *, selector: str = SUMMARY) -> None:
    state = wait_for_state(page, extension, ("done", "error"), selector=selector)
    if state == "error":
        pytest.fail(f"the summary failed: {text(page, 'error')}\nconsoles:\n{extension.console_tail()}")


def open_options(extension: Extension) -> Page:
    """The options page once it shows the saved backend URL and a template (the backend's default when none is
    saved): saving before that would save the fields' empty values."""
    page = extension.new_page(f"{extension.base}/options.html")
    page.wait_for_function(
        """url => document.querySelector('[data-arxivgpt="backend-url"]').value === url
            && document.querySelector('textarea[data-arxivgpt="template"]').value !== ''""",
        arg=extension.storage().get("backendUrl", ""),
        timeout=15_000,
        polling=200,
    )
    return page


def open_abs(extension: Extension, url: str = ABS_URL) -> Page:
    page = extension.new_page(url)
    page.locator('[data-arxivgpt="summarize"]').first.wait_for(state="visible", timeout=15_000)
    return page


@pytest.fixture
def backend_url(extension: Extension, backend: Backend) -> Iterator[Callable[[str], None]]:
    """Points the extension at another backend URL for one test; the shared backend is restored after."""

    def point(url: str) -> None:
        extension.set_storage({"backendUrl": url})

    yield point
    extension.set_storage({"backendUrl": backend.url})


@pytest.fixture
def saved_template(extension: Extension) -> Iterator[None]:
    """Whatever a test saves as the template, the backend's default ("") is back after it."""
    yield
    extension.set_storage({"template": ""})


def test_one_click_streams_a_summary(extension: Extension, backend: Backend) -> None:
    started = len(backend.requests("/v1/summaries"))
    page = open_abs(extension)
    button = page.locator('[data-arxivgpt="summarize"]')
    assert button.count() == 1
    # Next to the title: the button follows h1.title in the document, within the same part of the page.
    assert page.evaluate(
        """() => {
          const title = document.querySelector("h1.title");
          const button = document.querySelector('[data-arxivgpt="summarize"]');
          return title.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING
            && title.parentElement.contains(button);
        }"""
    ), "the summarize button is not next to the title"
    page.wait_for_timeout(1000)  # time for an eager implementation to query the backend anyway
    assert page.locator('[data-arxivgpt="panel"]').is_hidden(), "a panel opened before the click"
    assert len(backend.requests("/v1/summaries")) == started, "the page load asked the backend for a summary"

    page.evaluate(RECORD_STATES)
    button.click()
    panel = page.locator('[data-arxivgpt="panel"]')
    panel.wait_for(state="visible", timeout=5_000)
    assert_done(page, extension)

    # The backend's first summary of this paper (this test runs first): generated, not cached, so it streams.
    states = page.evaluate("() => window.__arxivgptStates")
    assert states == ["loading", "streaming", "done"], states
    lengths = page.evaluate("() => window.__arxivgptStreamedLengths")
    assert len([n for n in lengths if n > 0]) >= 3, f"the text did not grow as it streamed: {lengths}"
    assert text(page, "summary").strip(), "the summary is empty"
    meta = text(page, "meta")
    assert MODEL in meta, meta
    assert "abstract" in meta.lower(), meta
    assert len(backend.requests("/v1/summaries")) == started + 1

    extension.context.grant_permissions(["clipboard-read", "clipboard-write"], origin="https://arxiv.org")
    copy = page.locator('[data-arxivgpt="copy"]')
    copy.click()
    wait_for_text(page, "copy", re.compile("Copied"), extension, timeout=5)
    copied = page.evaluate("() => navigator.clipboard.readText()")

    with page.expect_download(timeout=10_000) as download_info:
        page.locator('[data-arxivgpt="download"]').click()
    download = download_info.value
    assert download.suggested_filename.endswith(".md"), download.suggested_filename
    markdown = Path(download.path()).read_text(encoding="utf-8")
    assert copied.strip(), "nothing was copied"
    assert copied.strip() in markdown, f"the download lacks the copied summary:\n{markdown}\n---\n{copied}"
    page.close()


def test_the_button_is_there_on_a_versioned_abs_url(extension: Extension) -> None:
    page = open_abs(extension, f"{ABS_URL}v2")
    assert page.locator('[data-arxivgpt="summarize"]').count() == 1
    page.close()


def test_a_saved_template_is_used_by_the_next_summary_and_reset_restores_the_default(
    extension: Extension, backend: Backend, saved_template: None
) -> None:
    # A template with an undefined variable: only a summary that really uses it fails, and says why.
    template = 'Summarize "{{ titel }}" in one sentence for {{ language }}.'
    options = open_options(extension)
    area = options.locator('textarea[data-arxivgpt="template"]')
    area.fill(template)
    options.locator('[data-arxivgpt="save"]').click()
    wait_for_text(options, "status", re.compile("saved", re.IGNORECASE), extension)
    assert extension.storage()["template"] == template

    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    state = wait_for_state(page, extension, ("done", "error"))
    assert state == "error", "the summary did not use the saved template (it should fail on 'titel')"
    message = text(page, "error")
    assert "line 1" in message and "'titel' is undefined" in message, message
    assert page.locator('[data-arxivgpt="retry"]').is_visible()
    page.close()

    default = httpx.get(f"{backend.url}/v1/prompts/default", timeout=10).json()["template"]
    options.locator('[data-arxivgpt="reset"]').click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        area.input_value() != default or extension.storage().get("template")
    ):
        time.sleep(0.2)
    assert area.input_value() == default, "reset did not put the backend's default template in the text area"
    assert extension.storage().get("template", "") == "", "reset did not clear the saved template"
    options.close()


def test_a_broken_template_shows_its_error_and_line_in_the_preview(extension: Extension) -> None:
    saved = extension.storage().get("template", "")
    options = open_options(extension)
    options.locator('textarea[data-arxivgpt="template"]').fill("Summarize the paper.\n{% if %}\n")
    paper = options.locator('[data-arxivgpt="preview-paper"]')
    if paper.count():
        paper.fill(PAPER)
    options.locator('[data-arxivgpt="preview"]').click()
    shown = wait_for_text(options, "status", re.compile(r"line 2"), extension)
    assert "template" in shown.lower() or "syntax" in shown.lower(), shown
    assert extension.storage().get("template", "") == saved, "a preview must not save the template"
    options.close()


def test_the_preview_renders_a_valid_template(extension: Extension) -> None:
    options = open_options(extension)
    options.locator('textarea[data-arxivgpt="template"]').fill(
        "Title: {{ title }}. Answer in {{ language }}."
    )
    paper = options.locator('[data-arxivgpt="preview-paper"]')
    if paper.count():
        paper.fill(PAPER)
    options.locator('[data-arxivgpt="preview"]').click()
    wait_for_text(
        options, "preview-output", re.compile("Learning Knowledge Graph-based World Models"), extension
    )
    options.close()


def test_backend_down_shows_how_to_start_it_and_retry_works(
    extension: Extension, backend: Backend, backend_url: Callable[[str], None]
) -> None:
    backend_url("http://127.0.0.1:9")  # the discard port: nothing listens there
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    state = wait_for_state(page, extension, ("done", "error"), timeout=30)
    assert state == "error", "a summary came from a backend that is not running"
    message = text(page, "error")
    assert "make serve" in message or "arxivgpt serve" in message, message
    retry = page.locator('[data-arxivgpt="retry"]')
    assert retry.is_visible()

    backend_url(backend.url)  # the user starts the backend and retries
    retry.click()
    assert_done(page, extension)
    assert text(page, "summary").strip()
    page.close()


def test_closing_the_panel_mid_stream_stops_generation_on_the_backend(
    extension: Extension, start_backend: Callable[..., Backend], backend_url: Callable[[str], None]
) -> None:
    # Its own backend (own cache: nothing cached) with room for a long answer: 400 tokens, over a minute here.
    long_backend = start_backend(max_new_tokens=400)
    backend_url(long_backend.url)
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    state = wait_for_state(page, extension, ("streaming", "done", "error"), timeout=60)
    assert state == "streaming", f"expected a stream in progress, got {state!r}"
    closed_at = time.monotonic()
    page.locator('[data-arxivgpt="close"]').click()
    assert page.locator('[data-arxivgpt="panel"]').is_hidden(), "the panel is still shown after close"
    assert long_backend.wait_for_stderr("cancelled after", timeout=20), (
        f"the backend kept generating after the panel closed:\n{long_backend.stderr()[-2000:]}\n"
        f"consoles:\n{extension.console_tail()}"
    )
    assert time.monotonic() - closed_at < 20
    page.close()


def wait_for_text(
    page: Page, name: str, pattern: re.Pattern[str], extension: Extension, timeout: float = 30
) -> str:
    """Waits until `[data-arxivgpt=name]` shows text matching `pattern`; returns the text."""
    locator = page.locator(f'[data-arxivgpt="{name}"]').first
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = locator.inner_text() if locator.count() else ""
        if pattern.search(shown):
            return shown
        page.wait_for_timeout(200)
    pytest.fail(
        f"[data-arxivgpt={name}] never matched {pattern.pattern!r}; it shows {shown!r}\n"
        f"consoles:\n{extension.console_tail()}"
    )


def test_the_side_panel_summarises_a_pinned_paper(extension: Extension) -> None:
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html?paper={PAPER}")
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    panel.locator('[data-arxivgpt="summarize"]').click()
    assert_done(panel, extension)
    assert text(panel, "summary").strip()
    assert MODEL in text(panel, "meta")
    panel.close()


def test_the_side_panel_follows_the_active_pdf_tab(extension: Extension) -> None:
    # The side panel page in a tab of its own, then a PDF page of the paper opened (and active) in the same
    # window: the panel offers that paper, as it does beside a PDF. Its tab stays in the background, so it is
    # clicked with a DOM event (a real click waits for animation frames, which background tabs do not run).
    # (An HTML stand-in: the panel reads only the tab's URL, and Chrome's PDF viewer is no part of this.)
    extension.pages[f"/pdf/{PAPER}"] = (b"<html><body>PDF stand-in</body></html>", "text/html")
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html")
    pdf = extension.context.new_page()
    pdf.goto(f"https://arxiv.org/pdf/{PAPER}", wait_until="commit")
    pdf.bring_to_front()
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    panel.locator('[data-arxivgpt="summarize"]').dispatch_event("click")
    assert_done(panel, extension)
    assert text(panel, "summary").strip()
    pdf.close()
    panel.close()


def test_a_paper_handed_over_in_session_storage_is_summarised_when_the_side_panel_opens(
    extension: Extension,
) -> None:
    # What the service worker stores for a listing's [summarize] link before it opens the side panel.
    extension.worker().evaluate(
        "paper => chrome.storage.session.set({pendingPaper: {paper, at: Date.now()}})", PAPER
    )
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html")
    assert_done(panel, extension)
    assert PAPER in text(panel, "paper")
    assert "pendingPaper" not in extension.storage("session"), "the hand-over was not consumed"
    panel.close()


LISTING = f"""<!DOCTYPE html><html><head><title>Artificial Intelligence</title></head><body><div id="dlpage">
<dl>
<dt><a name="item1">[1]</a> <span class="list-identifier">
<a href="/abs/{PAPER}" title="Abstract">arXiv:{PAPER}</a>
[<a href="/pdf/{PAPER}" title="Download PDF">pdf</a>]</span></dt>
<dd><div class="meta"><div class="list-title mathjax"><span class="descriptor">Title:</span>
Learning Knowledge Graph-based World Models of Textual Environments</div></div></dd>
</dl></div></body></html>"""


def test_a_listing_link_hands_its_paper_to_the_side_panel(extension: Extension) -> None:
    extension.pages["/list/cs.AI/recent"] = (LISTING.encode(), "text/html; charset=utf-8")
    extension.worker().evaluate(
        """() => {
          self.__handedOver = [];
          chrome.storage.onChanged.addListener((changes, area) => {
            const value = area === "session" && changes.pendingPaper?.newValue;
            if (value) self.__handedOver.push(value.paper);
          });
        }"""
    )
    page = extension.new_page("https://arxiv.org/list/cs.AI/recent")
    link = page.locator('[data-arxivgpt="summarize-link"]')
    link.wait_for(state="visible", timeout=15_000)
    assert link.count() == 1
    page.wait_for_timeout(500)
    assert extension.worker().evaluate("() => self.__handedOver") == [], "handed over before the click"
    link.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not extension.worker().evaluate("() => self.__handedOver"):
        time.sleep(0.2)
    assert extension.worker().evaluate("() => self.__handedOver") == [PAPER], extension.console_tail()
    assert page.url == "https://arxiv.org/list/cs.AI/recent", "the link navigated instead of handing over"
    extension.remove_storage(["pendingPaper"], area="session")
    page.close()

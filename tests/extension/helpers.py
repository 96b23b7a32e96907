"""What the browser tests share: waiting for the panel's states and texts, opening pages, reading the page."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.extension.conftest import PAPER, Extension

if TYPE_CHECKING:
    from playwright.sync_api import Page

ABS_URL = f"https://arxiv.org/abs/{PAPER}"
SUMMARY = '[data-arxivgpt="summary"]'
SUMMARY_SECONDS = 120  # 40 tokens on a 2-core CPU take ~10 s; generous for slow CI machines

# Records, as the page shows them: every data-state of the summary area, the text length while streaming, the
# working indicator's texts, and whether raw Markdown (a line starting with "#", "**" or "- ") was ever shown.
RECORD_STATES = """() => {
  const seen = (window.__arxivgptStates = []);
  const lengths = (window.__arxivgptStreamedLengths = []);
  const stages = (window.__arxivgptStages = []);
  window.__arxivgptRawMarkdown = [];
  const note = () => {
    const el = document.querySelector('[data-arxivgpt="summary"]');
    const state = el && el.getAttribute("data-state");
    if (!state) return;
    const text = el.textContent;
    const length = text.trim().length;
    if (seen[seen.length - 1] !== state) seen.push(state);
    if (state === "streaming" && lengths[lengths.length - 1] !== length) lengths.push(length);
    const raw = el.innerText.split("\\n").find((line) => /^\\s*(#{1,6} |\\*\\*|[-*] )/.test(line));
    if (raw) window.__arxivgptRawMarkdown.push(raw);
    const status = document.querySelector('[data-arxivgpt="status"]');
    const stage = status && !status.hidden ? status.textContent.trim() : "";
    if (stage && stages[stages.length - 1] !== stage) stages.push(stage);
  };
  new MutationObserver(note).observe(document.documentElement, {
    subtree: true, childList: true, attributes: true, characterData: true,
    attributeFilter: ["data-state", "hidden"],
  });
}"""
STATE_IN = """([selector, states]) => {
  const el = document.querySelector(selector);
  return el !== null && states.includes(el.getAttribute("data-state"));
}"""

# Where the Summarize bar and the panel sit against arXiv's title, authors and abstract.
PLACEMENT = """() => {
  const title = document.querySelector("h1.title");
  const authors = document.querySelector(".authors");
  const abstract = document.querySelector("blockquote.abstract");
  const button = document.querySelector('[data-arxivgpt="summarize"]');
  const panel = document.querySelector('[data-arxivgpt="panel"]');
  const follows = (a, b) => Boolean(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  const left = (el) => el.getBoundingClientRect().left;
  const style = getComputedStyle(title);
  return {
    titleLeft: left(title) + parseFloat(style.paddingLeft),
    authorsLeft: left(authors),
    buttonLeft: left(button),
    panelLeft: panel ? left(panel) : null,
    buttonAfterAuthors: follows(authors, button),
    buttonBeforeAbstract: follows(button, abstract),
    panelBeforeAbstract: panel ? follows(panel, abstract) : null,
  };
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


def open_options(extension: Extension, hash_: str = "") -> Page:
    """The options page once it shows the saved backend URL and a template (the backend's default when none is
    saved): saving before that would save the fields' empty values."""
    page = extension.new_page(f"{extension.base}/options.html{hash_}")
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


def box(page: Page, selector: str) -> dict[str, Any]:
    """The element's bounding box (x, y, width, height), failing clearly when it is not shown."""
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} is not shown"
    return dict(found)


# --- the "Ask about this paper" box -------------------------------------------------------------------------

TURN = '[data-arxivgpt="turn"]'
QUESTION_INPUT = '[data-arxivgpt="question-input"]'
ASK_BUTTON = '[data-arxivgpt="ask-button"]'


def box_ready(page: Page) -> int:
    """Waits until the box has shown the paper's kept conversation (or found none, or failed to read it);
    returns how many questions it shows."""
    page.locator(
        '[data-arxivgpt="ask"][data-loaded="yes"], [data-arxivgpt="ask"][data-loaded="failed"]'
    ).wait_for(timeout=30_000)
    return page.locator(TURN).count()


def answer_of(turn: int) -> str:
    """The selector of the answer of the `turn`-th question shown (1 for the first)."""
    return f'{TURN}:nth-child({turn}) [data-arxivgpt="answer"]'


def ask(page: Page, question: str, *, dom_click: bool = False) -> None:
    """Types `question` into the box and clicks Ask (a DOM click where the page is an extension page in the
    background, which runs no animation frames)."""
    page.locator(QUESTION_INPUT).fill(question)
    button = page.locator(ASK_BUTTON)
    if dom_click:
        button.dispatch_event("click")
    else:
        button.click()


def wait_for_answer(page: Page, extension: Extension, turn: int) -> dict[str, Any]:
    """Waits until the `turn`-th answer is done (failing with its error otherwise); returns what it shows:
    {answer, chips: [{quote, source, href}], notes}."""
    selector = answer_of(turn)
    state = wait_for_state(page, extension, ("done", "error", "stopped"), selector=selector)
    if state != "done":
        error = page.locator(f'{TURN}:nth-child({turn}) [data-arxivgpt="answer-error"]').inner_text()
        pytest.fail(f"answer {turn} is {state}: {error}\nconsoles:\n{extension.console_tail()}")
    shown: dict[str, Any] = page.evaluate(
        """(turn) => {
          const el = document.querySelector(`[data-arxivgpt="turn"]:nth-child(${turn})`);
          const chips = [...el.querySelectorAll('[data-arxivgpt="quote"]')].map((chip) => ({
            quote: chip.querySelector(".arxivgpt-quote-text").textContent,
            source: chip.querySelector(".arxivgpt-quote-source").textContent,
            href: chip.getAttribute("href"),
          }));
          return {
            answer: el.querySelector('[data-arxivgpt="answer"]').innerText,
            chips,
            notes: el.querySelector('[data-arxivgpt="answer-notes"]').innerText,
          };
        }""",
        turn,
    )
    return shown

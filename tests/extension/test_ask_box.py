""" "Ask about this paper" end to end: real Chromium, the unpacked extension, the real backend running the
offline model (smollm2-135m), and the real papers of the arXiv mirror.

2501.11120v1 is the paper whose LaTeXML HTML the mirror holds: its answers cite passages of arXiv's HTML
view, each link carrying the passage's anchor. The mirror is arXiv for the backend, so the links point at the
mirror's address (`{mirror}/html/2501.11120v1#S3...`) where they point at https://arxiv.org on a user's
machine; the mirror serves that very HTML, so a tab can open it and scroll to the anchor. 2106.09608 (the
saved abs page) has only its abstract there: its answers come from the abstract and say so.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.conftest import shared_file
from tests.extension.conftest import PAPER, Backend, Extension, screenshot
from tests.extension.helpers import (
    ASK_BUTTON,
    QUESTION_INPUT,
    TURN,
    answer_of,
    ask,
    assert_done,
    box_ready,
    open_abs,
    wait_for_answer,
    wait_for_state,
    wait_for_text,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.support.arxiv_mirror import ArxivMirror

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

HTML_PAPER = "2501.11120v1"
QUESTION = "What LoRA rank was used to finetune Llama-3.1-70B?"
FOLLOW_UP = "And which API was used for the finetuning?"

# Where the passage of `anchor` is in the page: its element's top against the window, and the page's marker (a
# same-document navigation keeps it, a reload loses it).
WHERE = """(anchor) => {
  const el = document.getElementById(anchor);
  return { found: el !== null, top: el ? el.getBoundingClientRect().top : null, height: innerHeight,
           hash: location.hash, marker: window.__arxivgptMarker ?? null, scrollY };
}"""


def squeeze(text: str) -> str:
    return " ".join(text.split())


def paper_text(backend: Backend, paper: str) -> str:
    """The paper's text as the backend read it (`GET /v1/papers/{id}`): abstract and every section."""
    response = httpx.get(f"{backend.url}/v1/papers/{paper}", timeout=60)
    assert response.status_code == 200, response.text
    read = response.json()
    parts = [read.get("abstract") or ""]
    parts += [
        f"{section.get('title', '')}\n{section.get('text', '')}" for section in read.get("sections", [])
    ]
    return squeeze("\n".join(parts))


def conversations(backend: Backend, paper: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{backend.url}/v1/papers/{paper}/conversations", timeout=30)
    assert response.status_code == 200, response.text
    listed: list[dict[str, Any]] = response.json()
    return listed


def open_panel(extension: Extension, paper: str) -> Page:
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html?paper={paper}")
    panel.set_viewport_size({"width": 420, "height": 900})
    box_ready(panel)
    return panel


def assert_quotes_are_the_papers(
    shown: dict[str, Any], paper: str, backend: Backend, link_base: str
) -> list[str]:
    """Every chip quotes the paper verbatim and links into it; returns the chips' anchors."""
    assert shown["chips"], f"an answer without quote chips: {shown}"
    text_of_paper = paper_text(backend, paper)
    anchors = []
    for chip in shown["chips"]:
        quote = chip["quote"]
        assert quote.startswith("“") and quote.endswith("”"), quote
        assert len(quote) > 20 and squeeze(quote[1:-1]) in text_of_paper, f"not verbatim in {paper}: {quote}"
        assert re.fullmatch(r"p\d+( · .+)?", chip["source"]), chip["source"]
        assert chip["href"].startswith(link_base), (chip["href"], link_base)
        anchors.append(chip["href"].partition("#")[2])
    return anchors


def test_the_side_panel_answers_with_verbatim_quotes_linked_into_arxivs_html_and_keeps_the_conversation(
    extension: Extension, backend: Backend, extension_mirror: ArxivMirror
) -> None:
    shared_file(f"html/arxivhtml_{HTML_PAPER}.html")  # skips, with the reason, where the fixture is absent
    extension.record_requests()
    before = len(conversations(backend, HTML_PAPER))
    panel = open_panel(extension, HTML_PAPER)
    assert panel.locator(ASK_BUTTON).is_disabled(), "Ask is enabled with no question"
    if before:  # the backend keeps a conversation of this paper from an earlier test: start afresh
        panel.locator('[data-arxivgpt="new-conversation"]').click()
    assert (
        panel.locator(TURN).count() == 0 and panel.locator('[data-arxivgpt="new-conversation"]').is_hidden()
    )

    ask(panel, QUESTION)
    assert wait_for_state(panel, extension, ("loading", "streaming", "done"), selector=answer_of(1))
    first = wait_for_answer(panel, extension, 1)
    link_base = f"{extension_mirror.url}/html/{HTML_PAPER}#"
    anchors = assert_quotes_are_the_papers(first, HTML_PAPER, backend, link_base)
    assert all(anchors), f"a link without its passage's anchor: {first['chips']}"
    assert "4" in first["answer"], f"the answer misses the rank (4): {first['answer']!r}"
    [request] = extension.question_requests()
    assert request["paper"] == HTML_PAPER and request["question"] == QUESTION, request
    assert "conversation_id" not in request and request["stream"] is True, request
    assert panel.locator(QUESTION_INPUT).input_value() == "", "the question stayed in the box"

    ask(panel, FOLLOW_UP)
    second = wait_for_answer(panel, extension, 2)
    if second["chips"]:  # a follow-up the passages do not answer says so, with nothing to quote
        assert_quotes_are_the_papers(second, HTML_PAPER, backend, link_base)
    listed = conversations(backend, HTML_PAPER)
    assert len(listed) == before + 1, "the follow-up started another conversation"
    conversation_id = listed[0]["id"]
    assert extension.question_requests()[1].get("conversation_id") == conversation_id
    kept = httpx.get(f"{backend.url}/v1/conversations/{conversation_id}", timeout=30).json()
    assert [turn["question"] for turn in kept["turns"]] == [QUESTION, FOLLOW_UP]
    assert [f"“{c['quote']}”" for c in kept["turns"][0]["citations"]] == [c["quote"] for c in first["chips"]]
    screenshot(panel, "sidepanel-ask")

    # A chip opens arXiv's HTML view at the passage when no tab shows it...
    chip = panel.locator(f'{TURN}:nth-child(1) [data-arxivgpt="quote"]').first
    href = chip.get_attribute("href") or ""
    with extension.context.expect_page(timeout=15_000) as opened:
        chip.dispatch_event("click")  # an extension page: any click counts
    html = opened.value
    html.wait_for_load_state("load", timeout=60_000)
    assert html.url == href, (html.url, href)
    where = html.evaluate(WHERE, anchors[0])
    assert where["found"], f"the page has no element #{anchors[0]}"
    assert -2 <= where["top"] < where["height"], f"the passage is not in view: {where}"

    # ... and scrolls the tab that shows it, without reloading it, when there is one.
    html.evaluate("() => { window.__arxivgptMarker = 'kept'; window.scrollTo(0, 0); }")
    panel.bring_to_front()
    assert html.evaluate(WHERE, anchors[0])["top"] > where["height"], "the passage was in view at the top"
    pages = len(extension.context.pages)
    chip.dispatch_event("click")
    html.wait_for_function(
        "(anchor) => { const r = document.getElementById(anchor).getBoundingClientRect();"
        " return r.top >= -2 && r.top < innerHeight; }",
        arg=anchors[0],
        timeout=15_000,
        polling=200,
    )
    where = html.evaluate(WHERE, anchors[0])
    assert where["marker"] == "kept", "the tab was reloaded instead of scrolled"
    assert len(extension.context.pages) == pages, "a new tab opened although one shows the page"
    html.close()

    # The conversation is kept: the panel opened again shows it, quotes and all.
    panel.close()
    panel = open_panel(extension, HTML_PAPER)
    wait_for_text(panel, "conversation-status", re.compile(r"last conversation .*\(2 questions\)"), extension)
    assert panel.locator(TURN).count() == 2
    again = wait_for_answer(panel, extension, 1)
    assert again["chips"] == first["chips"], "the kept conversation shows other quotes"
    assert [q.inner_text() for q in panel.locator('[data-arxivgpt="question"]').all()] == [
        QUESTION,
        FOLLOW_UP,
    ]

    # New conversation: the next question starts one (no conversation_id), and it is the one kept now.
    panel.locator('[data-arxivgpt="new-conversation"]').click()
    assert panel.locator(TURN).count() == 0
    ask(panel, QUESTION)
    wait_for_answer(panel, extension, 1)
    assert "conversation_id" not in extension.question_requests()[-1]
    listed = conversations(backend, HTML_PAPER)
    assert len(listed) == before + 2 and listed[1]["id"] == conversation_id, listed
    fresh = listed[0]["id"]

    # A conversation the backend no longer has: its error, then Retry asks in a new one.
    assert httpx.delete(f"{backend.url}/v1/conversations/{fresh}", timeout=30).status_code == 204
    ask(panel, FOLLOW_UP)
    assert wait_for_state(panel, extension, ("done", "error"), selector=answer_of(2)) == "error"
    error = panel.locator(f'{TURN}:nth-child(2) [data-arxivgpt="answer-error"]').inner_text()
    assert "there is no conversation" in error and fresh in error, error
    assert "Retry asks it in a new conversation" in error, error
    assert extension.question_requests()[-1].get("conversation_id") == fresh
    panel.locator(f'{TURN}:nth-child(2) [data-arxivgpt="retry"]').click()
    wait_for_answer(panel, extension, 2)
    assert "conversation_id" not in extension.question_requests()[-1]
    assert len(conversations(backend, HTML_PAPER)) == before + 2  # the deleted one gone, the retry's there
    panel.close()


def test_the_abs_page_box_asks_from_the_summary_and_a_chip_opens_the_passage(
    extension: Extension, backend: Backend
) -> None:
    extension.record_requests()
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').first.click()
    assert_done(page, extension)
    box = page.locator('[data-arxivgpt="ask"]')
    assert box.is_visible(), "no box under the summary"
    follows = page.evaluate(
        """() => Boolean(document.querySelector('[data-arxivgpt="summary"]').compareDocumentPosition(
               document.querySelector('[data-arxivgpt="ask"]')) & Node.DOCUMENT_POSITION_FOLLOWING)"""
    )
    assert follows, "the box is not under the summary"
    if box_ready(page):  # a conversation kept from an earlier run: this test's starts afresh
        page.locator('[data-arxivgpt="new-conversation"]').click()

    page.locator(QUESTION_INPUT).fill("What does the world model learn to predict?")
    page.locator(QUESTION_INPUT).press("Enter")  # Enter asks; Shift+Enter would start a new line
    shown = wait_for_answer(page, extension, 1)
    [request] = extension.question_requests()
    assert request["paper"] == PAPER and "conversation_id" not in request
    assert request.get("summary", "").strip(), "a new conversation did not start from the summary"
    assert shown["answer"].startswith("Only the abstract of this paper could be read"), shown["answer"]
    anchors = assert_quotes_are_the_papers(shown, PAPER, backend, "http")
    assert all("/abs/2106.09608v2" in chip["href"] and not anchor for chip, anchor in
               zip(shown["chips"], anchors, strict=True)), shown["chips"]  # fmt: skip
    screenshot(page, "abs-ask", full_page=True)

    # A page script's click on a chip does nothing; a person's opens the passage's page in a new tab.
    chip = page.locator('[data-arxivgpt="quote"]').first
    pages = len(extension.context.pages)
    page.evaluate("""() => document.querySelector('[data-arxivgpt="quote"]').click()""")
    page.wait_for_timeout(800)
    assert len(extension.context.pages) == pages, "a page script's click opened a tab"
    with extension.context.expect_page(timeout=15_000) as opened:
        chip.click()
    assert opened.value.url == chip.get_attribute("href")
    opened.value.close()
    page.close()


def test_bad_questions_are_refused_before_anything_is_sent(extension: Extension) -> None:
    extension.record_requests()
    panel = open_panel(extension, PAPER)
    count = panel.locator('[data-arxivgpt="question-count"]')
    problem = panel.locator('[data-arxivgpt="question-problem"]')
    turns = panel.locator(TURN).count()
    for question, enabled, counted, says in [
        ("", False, "0 / 2,000", ""),
        ("   \n  ", False, "6 / 2,000", ""),
        ("x" * 2000, True, "2,000 / 2,000", ""),
        (
            "x" * 2001,
            False,
            "2,001 / 2,000",
            "The question is 2,001 characters long; the backend takes at most 2,000. Shorten it by 1.",
        ),
    ]:
        panel.locator(QUESTION_INPUT).fill(question)
        assert panel.locator(ASK_BUTTON).is_enabled() == enabled, (len(question), enabled)
        assert count.inner_text() == counted
        assert (problem.inner_text() if problem.is_visible() else "") == says
        if not enabled:
            panel.locator(QUESTION_INPUT).press("Enter")
            panel.locator(ASK_BUTTON).dispatch_event("click")
    assert "arxivgpt-over" in (count.get_attribute("class") or "")
    panel.wait_for_timeout(500)
    assert extension.question_requests() == [], "a refused question was sent"
    assert panel.locator(TURN).count() == turns, "a refused question was shown as asked"
    panel.close()


def test_stop_keeps_what_came_marks_it_stopped_and_nothing_is_kept(
    extension: Extension, backend: Backend
) -> None:
    shared_file(f"html/arxivhtml_{HTML_PAPER}.html")
    panel = open_panel(extension, HTML_PAPER)
    if panel.locator(TURN).count():
        panel.locator('[data-arxivgpt="new-conversation"]').click()
    before = [(c["id"], c["turn_count"]) for c in conversations(backend, HTML_PAPER)]
    ask(panel, "Which game is played between a manipulator and a manipulatee?")
    panel.locator('[data-arxivgpt="ask-stop"]').click()
    assert wait_for_state(panel, extension, ("stopped",), timeout=10, selector=answer_of(1)) == "stopped"
    kept = panel.locator(answer_of(1)).inner_text()
    notes = panel.locator(f'{TURN}:nth-child(1) [data-arxivgpt="answer-notes"]').inner_text()
    assert re.match(r"Stopped(:| before)", notes), notes
    assert panel.locator('[data-arxivgpt="ask-stop"]').is_hidden()
    assert panel.locator(ASK_BUTTON).is_visible()
    panel.wait_for_timeout(3000)  # long enough for the model to have answered, had it gone on
    assert panel.locator(answer_of(1)).inner_text() == kept, "text kept coming after Stop"
    after = [(c["id"], c["turn_count"]) for c in conversations(backend, HTML_PAPER)]
    assert after == before, "a stopped answer was kept in a conversation"
    panel.close()

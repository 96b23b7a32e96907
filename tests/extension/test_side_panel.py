"""The side panel end to end: real Chromium, the unpacked extension, a real backend running the offline model.

The side panel page is opened in a tab of its own (Playwright cannot open Chrome's side panel); it follows
the active tab of its window as the real side panel does. Its tab stays in the background, so it is clicked
with DOM events (a real click waits for animation frames, which background tabs do not run): an extension
page, where any click counts. PDF pages are HTML stand-ins at arXiv's PDF URLs: the panel reads only the
tab's URL, and Chrome's PDF viewer is no part of this.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.extension.conftest import MODEL, PAPER, Extension, screenshot
from tests.extension.helpers import ABS_URL, assert_done, open_abs, text, wait_for_state, wait_for_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SECOND = "1707.08567"  # another paper the mirror knows (abstract only)
STAND_IN = (b"<html><body>PDF stand-in</body></html>", "text/html")


def test_the_side_panel_summarises_a_pinned_paper(extension: Extension) -> None:
    extension.forget_results()
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html?paper={PAPER}")
    panel.set_viewport_size({"width": 400, "height": 820})
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    assert wait_for_state(panel, extension, ("idle",), timeout=5) == "idle"
    panel.locator('[data-arxivgpt="summarize"]').click()
    assert_done(panel, extension)
    assert text(panel, "summary").strip()
    assert MODEL in text(panel, "meta")
    # The panel fills the height under the header and scrolls inside: the page itself never does.
    assert panel.evaluate("() => document.scrollingElement.scrollHeight <= innerHeight + 1")
    screenshot(panel, "sidepanel")
    panel.close()


def test_the_side_panel_follows_the_active_pdf_tab(extension: Extension) -> None:
    extension.pages[f"/pdf/{PAPER}"] = STAND_IN
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html")
    pdf = extension.context.new_page()
    pdf.goto(f"https://arxiv.org/pdf/{PAPER}", wait_until="commit")
    pdf.bring_to_front()
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    # The summary the previous test made is kept: the panel shows it at once, with Regenerate.
    assert_done(panel, extension)
    assert text(panel, "summary").strip()
    assert panel.locator('[data-arxivgpt="regenerate"]').count() == 1
    pdf.close()
    panel.close()


def test_switching_tabs_shows_each_tabs_own_paper_and_never_anothers_text(extension: Extension) -> None:
    extension.forget_results()
    extension.pages[f"/pdf/{SECOND}"] = STAND_IN
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html")
    first = extension.context.new_page()
    first.goto(ABS_URL)
    first.bring_to_front()
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    assert wait_for_state(panel, extension, ("idle",), timeout=5) == "idle"
    panel.locator('[data-arxivgpt="summarize"]').dispatch_event("click")
    assert_done(panel, extension)
    first_text = text(panel, "summary")
    assert first_text.strip()

    second = extension.context.new_page()
    second.goto(f"https://arxiv.org/pdf/{SECOND}", wait_until="commit")
    second.bring_to_front()
    wait_for_text(panel, "paper", re.compile(re.escape(SECOND)), extension)
    assert wait_for_state(panel, extension, ("idle",), timeout=5) == "idle", "not a clean state"
    assert text(panel, "title") == SECOND
    assert first_text.strip() not in panel.inner_text("body"), "another paper's text under this paper"

    panel.locator('[data-arxivgpt="summarize"]').dispatch_event("click")  # a first summary: it streams
    assert wait_for_state(panel, extension, ("streaming", "done")) in ("streaming", "done")
    first.bring_to_front()  # back to the first paper while the second one is being written
    wait_for_text(panel, "paper", re.compile(re.escape(PAPER)), extension)
    assert wait_for_state(panel, extension, ("done",), timeout=5) == "done"
    assert text(panel, "summary") == first_text, "the first paper's summary changed while it was away"
    assert "Learning Knowledge Graph" in text(panel, "title")
    assert panel.locator('[data-arxivgpt="stop"]').is_hidden(), "the other paper's Stop shows here"

    second.bring_to_front()
    wait_for_text(panel, "paper", re.compile(re.escape(SECOND)), extension)
    state = wait_for_state(panel, extension, ("streaming", "done"), timeout=5)
    second_text = text(panel, "summary")
    assert first_text.strip() not in second_text and "Learning Knowledge Graph" not in text(panel, "title")
    if state == "streaming":  # its stream went on while it was out of sight: Stop is its own again
        assert panel.locator('[data-arxivgpt="stop"]').is_visible()
        panel.locator('[data-arxivgpt="stop"]').dispatch_event("click")  # no need to wait for the model
    for page in (first, second, panel):
        page.close()


def test_a_paper_handed_over_in_session_storage_is_summarised_when_the_side_panel_opens(
    extension: Extension,
) -> None:
    extension.forget_results()
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
    page.evaluate("""() => document.querySelector('[data-arxivgpt="summarize-link"]').click()""")
    page.wait_for_timeout(800)
    assert extension.worker().evaluate("() => self.__handedOver") == [], "a page script's click handed over"
    assert page.url == "https://arxiv.org/list/cs.AI/recent", "a page script's click navigated"
    link.click()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not extension.worker().evaluate("() => self.__handedOver"):
        time.sleep(0.2)
    assert extension.worker().evaluate("() => self.__handedOver") == [PAPER], extension.console_tail()
    assert page.url == "https://arxiv.org/list/cs.AI/recent", "the link navigated instead of handing over"
    extension.remove_storage(["pendingPaper"], area="session")
    page.close()


def test_dark_mode_follows_the_system_and_the_icons_are_there(extension: Extension) -> None:
    manifest = extension.worker().evaluate("() => chrome.runtime.getManifest()")
    sizes = {"16": 16, "32": 32, "48": 48, "128": 128}
    assert manifest["icons"] == {size: f"icons/icon-{size}.png" for size in sizes}
    assert set(manifest["action"]["default_icon"].values()) <= set(manifest["icons"].values())
    assert manifest["commands"]["summarize"]["suggested_key"]["default"] == "Alt+Shift+S"
    assert "contextMenus" in manifest["permissions"]
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html?paper={PAPER}")
    measured = panel.evaluate(
        """async (icons) => Promise.all(Object.values(icons).map((path) => new Promise((done) => {
             const image = new Image();
             image.onload = () => done([path, image.naturalWidth, image.naturalHeight]);
             image.onerror = () => done([path, 0, 0]);
             image.src = chrome.runtime.getURL(path);
           })))""",
        manifest["icons"],
    )
    assert measured == [[f"icons/icon-{n}.png", n, n] for n in sizes.values()], measured

    background = "() => getComputedStyle(document.body).backgroundColor"
    panel_background = (
        """() => getComputedStyle(document.querySelector('[data-arxivgpt="panel"]')).backgroundColor"""
    )
    panel.locator('[data-arxivgpt="panel"]').wait_for(timeout=5_000)
    light = (panel.evaluate(background), panel.evaluate(panel_background))
    panel.emulate_media(color_scheme="dark")
    panel.set_viewport_size({"width": 400, "height": 820})
    dark = (panel.evaluate(background), panel.evaluate(panel_background))
    assert all(luminance(color) > 0.8 for color in light), light
    assert all(luminance(color) < 0.2 for color in dark), dark
    screenshot(panel, "sidepanel-dark")
    panel.close()

    page = open_abs(extension)
    page.emulate_media(color_scheme="dark")
    page.locator('[data-arxivgpt="summarize"]').click()
    assert_done(page, extension)
    assert luminance(page.evaluate(panel_background)) < 0.2
    page.close()


def luminance(css_color: str) -> float:
    """0 (black) to 1 (white), from `rgb(r, g, b)`."""
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_color)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_a_message_of_no_known_type_gets_no_answer_and_breaks_nothing(extension: Extension) -> None:
    panel = extension.new_page(f"{extension.base}/sidepanel/sidepanel.html?paper={PAPER}")
    before = len(extension.console)
    answers = panel.evaluate(
        """async () => Promise.all(["toString", "constructor", "hasOwnProperty", "nope", 7].map(
             (type) => chrome.runtime.sendMessage({ type })
               .then((answer) => answer ?? null, (error) => `rejected: ${error.message}`)))"""
    )
    assert answers == [None] * 5, answers
    assert panel.evaluate("""() => chrome.runtime.sendMessage({ type: "health" }).then((a) => "ok" in a)""")
    panel.wait_for_timeout(300)
    errors = [line for line in extension.console[before:] if "TypeError" in line or "Error in" in line]
    assert errors == [], errors
    panel.close()

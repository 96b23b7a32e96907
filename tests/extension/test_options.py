"""The options page end to end: real Chromium, the unpacked extension, a real backend running the offline
model (templates are checked and previewed by it; the models it lists are this machine's)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest

from arxivgpt.engine.availability import Availability
from tests.extension.conftest import PAPER, Backend, Extension, ScriptedBackend, screenshot
from tests.extension.helpers import open_abs, open_options, text, wait_for_state, wait_for_text

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

TEMPLATE = 'textarea[data-arxivgpt="template"]'

# Where the caret and the view of the text area are: the selected line, and the lines in view.
TEXTAREA_VIEW = """() => {
  const area = document.querySelector('textarea[data-arxivgpt="template"]');
  const line = area.value.slice(0, area.selectionStart).split("\\n").length;
  const height = parseFloat(getComputedStyle(area).lineHeight);
  return {
    line,
    selected: area.value.slice(area.selectionStart, area.selectionEnd),
    first: Math.floor(area.scrollTop / height) + 1,
    last: Math.floor((area.scrollTop + area.clientHeight) / height),
  };
}"""


def test_save_refuses_a_broken_template_and_stores_nothing(
    extension: Extension, backend: Backend, saved_settings: None
) -> None:
    options = open_options(extension)
    area = options.locator(TEMPLATE)
    lines = area.input_value().split("\n")
    assert len(lines) > 40, "expected the default template"
    broken_line = len(lines) - 3  # far below what the text area shows at first
    lines[broken_line - 1] += " {{ titel }}"
    area.fill("\n".join(lines))
    assert options.locator('[data-arxivgpt="unsaved"]').is_visible(), "no sign of unsaved changes"

    options.locator('[data-arxivgpt="save"]').click()
    shown = wait_for_text(options, "status", re.compile("Not saved"), extension)
    assert f"template line {broken_line}: 'titel' is undefined" in shown, shown
    assert extension.storage().get("template", "") == "", "a broken template was stored"
    view = options.evaluate(TEXTAREA_VIEW)
    assert view["line"] == broken_line and view["selected"].endswith("{{ titel }}"), view
    assert view["first"] <= broken_line <= view["last"], f"line {broken_line} is not in view: {view}"
    assert options.locator('[data-arxivgpt="unsaved"]').is_visible()
    screenshot(options, "options-template-error", full_page=True)

    lines[broken_line - 1] = lines[broken_line - 1].replace(" {{ titel }}", " {{ title }}")
    area.fill("\n".join(lines))
    options.locator('[data-arxivgpt="save"]').click()
    wait_for_text(options, "status", re.compile("^Saved"), extension)
    assert extension.storage()["template"] == "\n".join(lines)
    assert options.locator('[data-arxivgpt="unsaved"]').is_hidden()
    options.close()


def test_a_saved_template_is_used_by_the_next_summary_and_reset_restores_the_default(
    extension: Extension, backend: Backend, saved_settings: None
) -> None:
    template = "Summarize {{ title }} in one sentence, in {{ language }}.\n\n{{ body }}"
    options = open_options(extension)
    options.locator(TEMPLATE).fill(template)
    options.locator('[data-arxivgpt="save"]').click()
    wait_for_text(options, "status", re.compile("^Saved"), extension)
    assert extension.storage()["template"] == template

    extension.record_requests()
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    wait_for_state(page, extension, ("loading", "streaming", "done"), timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not extension.summary_requests():
        time.sleep(0.2)
    [request] = extension.summary_requests()
    assert request["template"] == template, request
    page.close()  # what the model writes with it is not this test's business: closing stops it

    default = httpx.get(f"{backend.url}/v1/prompts/default", timeout=10).json()["template"]
    options.locator('[data-arxivgpt="reset"]').click()
    deadline = time.monotonic() + 10
    area = options.locator(TEMPLATE)
    while time.monotonic() < deadline and (
        area.input_value() != default or extension.storage().get("template")
    ):
        time.sleep(0.2)
    assert area.input_value() == default, "reset did not put the backend's default template in the text area"
    assert extension.storage().get("template", "") == "", "reset did not clear the saved template"
    assert "default template" in text(options, "template-size")
    options.close()


def test_a_template_error_in_a_summary_offers_the_options_at_that_line(
    extension: Extension, backend: Backend, saved_settings: None
) -> None:
    # A template stored before the backend changed what it accepts (Save would refuse it now).
    extension.set_storage({"template": "Summarize the paper.\n\n{{ titel }}\n"})
    page = open_abs(extension)
    page.locator('[data-arxivgpt="summarize"]').click()
    assert wait_for_state(page, extension, ("done", "error")) == "error"
    assert "template line 3: 'titel' is undefined" in text(page, "error")
    with extension.context.expect_page(timeout=10_000) as opened:
        page.locator('[data-arxivgpt="open-options"]').click()
    options = opened.value
    assert options.url.endswith("/options.html#template"), options.url
    shown = wait_for_text(options, "status", re.compile("error"), extension)
    assert "template line 3: 'titel' is undefined" in shown, shown
    assert options.evaluate(TEXTAREA_VIEW)["line"] == 3
    options.close()
    page.close()


def test_settings_save_on_change_and_the_page_speaks_plainly(
    extension: Extension, backend: Backend, saved_settings: None
) -> None:
    options = open_options(extension)
    options.set_viewport_size({"width": 520, "height": 900})
    options.locator('[data-arxivgpt="length"]').select_option("short")
    wait_for_text(options, "saved-summaries", re.compile("Saved"), extension, timeout=5)
    assert extension.storage()["length"] == "short"
    language = options.locator('[data-arxivgpt="language"]')
    language.fill("Deutsch")
    language.press("Tab")  # a change event, as when leaving the field
    wait_for_text(options, "saved-summaries", re.compile("Saved"), extension, timeout=5)
    assert extension.storage()["language"] == "Deutsch"
    choices = options.evaluate(
        "() => [...document.querySelectorAll('#languages option')].map((o) => o.value)"
    )
    assert {"English", "中文", "Deutsch", "Français", "Español", "日本語"} <= set(choices)

    backend_field = options.locator('[data-arxivgpt="backend-url"]')
    backend_field.fill("not a url")
    backend_field.press("Tab")
    wait_for_text(options, "saved-backend", re.compile("Not saved"), extension, timeout=5)
    assert extension.storage()["backendUrl"] == backend.url, "a bad backend URL was stored"
    backend_field.fill(backend.url)
    backend_field.press("Tab")
    wait_for_text(options, "connection", re.compile("Connected"), extension, timeout=10)

    # The running model is listed once; every preset says whether it can run here, and if not, why.
    wait_for_text(options, "model-list", re.compile("running now"), extension, timeout=10)
    items = options.evaluate(
        """() => [...document.querySelectorAll('[data-arxivgpt="model-list"] li')].map(
               (li) => [li.dataset.model, li.dataset.loadable, li.textContent])"""
    )
    running = [item for item in items if "running now" in item[2]]
    assert [item[0] for item in running] == ["smollm2-135m"], items
    for _name, loadable, line in items:
        assert ("cannot run here: " in line) == (loadable == "false"), line
    values = options.evaluate(
        "() => [...document.querySelectorAll('[data-arxivgpt=\"model\"] option')].map((o) => o.value)"
    )
    assert values.count("smollm2-135m") == 0 and values[0] == "", (
        f"the running model is listed twice: {values}"
    )

    assert "default template: nothing is stored" in text(options, "template-size")
    options.locator(TEMPLATE).fill("Summarize {{ title }}.")
    size = text(options, "template-size")
    assert size == "This template takes 32 bytes of the 8 KB Chrome keeps for it (1%).", size
    assert options.evaluate("() => document.scrollingElement.scrollWidth <= innerWidth"), (
        "overflows at 520 px"
    )
    screenshot(options, "options-520px", full_page=True)
    options.emulate_media(color_scheme="dark")
    screenshot(options, "options-dark")
    options.close()


def test_the_default_template_comment_makes_sense_in_the_extension(extension: Extension) -> None:
    options = open_options(extension)
    comment = options.locator(TEMPLATE).input_value().split("-#}", 1)[0]
    assert "listed above this box in the extension's" in comment, comment
    assert "Variables: see prompts/README.md" not in comment
    options.close()


def test_a_broken_template_shows_its_error_and_line_in_the_preview(extension: Extension) -> None:
    saved = extension.storage().get("template", "")
    options = open_options(extension)
    options.locator(TEMPLATE).fill("Summarize the paper.\n{% if %}\n")
    options.locator('[data-arxivgpt="preview-paper"]').fill(PAPER)
    options.locator('[data-arxivgpt="preview"]').click()
    shown = wait_for_text(options, "status", re.compile(r"line 2"), extension)
    assert "template" in shown.lower() or "syntax" in shown.lower(), shown
    assert extension.storage().get("template", "") == saved, "a preview must not save the template"
    options.close()


def test_the_preview_renders_a_valid_template(extension: Extension) -> None:
    options = open_options(extension)
    options.locator(TEMPLATE).fill("Title: {{ title }}. Answer in {{ language }}.")
    options.locator('[data-arxivgpt="preview-paper"]').fill(PAPER)
    options.locator('[data-arxivgpt="preview"]').click()
    wait_for_text(
        options, "preview-output", re.compile("Learning Knowledge Graph-based World Models"), extension
    )
    options.close()


def test_the_backend_accepts_this_extension_and_no_other(extension: Extension, backend: Backend) -> None:
    """The backend runs with its default settings: the ID the manifest's key gives the unpacked extension is
    the one it lets through (every test here depends on that); another extension's origin is refused."""
    from arxivgpt.settings import UNPACKED_EXTENSION_ID

    assert extension.id == UNPACKED_EXTENSION_ID
    other = httpx.get(
        f"{backend.url}/v1/models", headers={"Origin": "chrome-extension://abcdefghijklmnopabcdefghijklmnop"}
    )
    assert other.status_code == 403 and "ARXIVGPT_EXTENSION_ID" in other.json()["error"]["message"]


def test_a_model_that_cannot_load_here_says_why_and_cannot_be_chosen(
    extension: Extension, scripted_backend: ScriptedBackend, backend_url: Callable[[str], None]
) -> None:
    """The list as a backend on a machine without bitsandbytes would give it (the scripted backend's start-up
    survey replaced): no model is loaded or run."""
    reason = (
        "ARXIVGPT_PRECISION=int8 needs bitsandbytes: `pip install bitsandbytes`, or choose bf16/fp16/fp32"
    )
    scripted_backend.app.state.model_availability = {
        "vicuna-7b": Availability("vicuna-7b", False, reason),
        "vicuna-13b": Availability(
            "vicuna-13b", True, note="the first start downloads lmsys/vicuna-13b-v1.5"
        ),
    }
    backend_url(scripted_backend.url)
    options = extension.new_page(f"{extension.base}/options.html")
    wait_for_text(options, "model-list", re.compile("cannot run here"), extension, timeout=10)
    vicuna = options.locator('[data-arxivgpt="model-list"] li[data-model="vicuna-7b"]').inner_text()
    assert vicuna == f"vicuna-7b cannot run here: {reason}.", vicuna
    bigger = options.locator('[data-arxivgpt="model-list"] li[data-model="vicuna-13b"]').inner_text()
    assert "arxivgpt serve --model vicuna-13b" in bigger and "downloads lmsys/vicuna-13b-v1.5" in bigger
    disabled = options.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('[data-arxivgpt="model"] option')].map(
               (o) => [o.value, o.disabled]))"""
    )
    assert disabled["vicuna-7b"] is True and disabled["vicuna-13b"] is False, disabled
    options.close()

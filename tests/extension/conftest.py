"""Real Chromium with the unpacked extension, driving a real backend that runs the offline model.

Everything expensive starts once: the arXiv mirror (the backend's arXiv) and the backend process (`python -m
arxivgpt serve`, SmolLM2-135M on the CPU, 40 new tokens per summary) once per run, so that the browser test
modules share its summary cache; Chromium with `extension/` loaded from the working tree once per module.
arxiv.org itself is served by the browser context's routes: the saved abs page of 2106.09608 (2021 layout)
at its real URL, arXiv's stylesheets stood in for by pages/arxiv_layout.css (arXiv's own margins), empty
replies for arXiv's scripts, nothing for other sites. Requests to 127.0.0.1 (the backend) are never routed.

Each backend gets its own data dir (so its own summary cache) whose `models` folder links to the session's,
where the model was converted once (`smollm2`). `scripted_backend` is the one exception to the real model:
the same API in this process with a FakeEngine whose stream a test scripts (a long summary, a failure midway),
for tests about how the UI behaves under such a stream.

Screenshots the tests take go to tests/extension/screenshots/ (git-ignored; CI keeps them as artifacts).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

from arxivgpt.api import create_app
from arxivgpt.engine.base import Generation, GenerationOptions
from arxivgpt.engine.fake import FakeEngine
from arxivgpt.errors import ModelError
from arxivgpt.papers.resolver import PaperResolver
from arxivgpt.papers.source import ArxivClient
from arxivgpt.settings import Settings
from arxivgpt.store import MemoryStore
from tests.conftest import REPO, shared_file
from tests.support.arxiv_mirror import ArxivMirror

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, Route, Worker

    from arxivgpt.engine.local import TransformersEngine

EXTENSION = REPO / "extension"
HERE = Path(__file__).resolve().parent
PAGES = HERE / "pages"
SCREENSHOTS = HERE / "screenshots"
ARXIV_CSS = PAGES / "arxiv_layout.css"
CURRENT_LAYOUT = PAGES / "abs_current_layout.html"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
MODEL = "smollm2-135m"
PAPER = "2106.09608"
ABS_FIXTURE = "abs/abs_2106.09608_2021layout.html"
ABS_PATHS = {f"/abs/{PAPER}", f"/abs/{PAPER}v2"}
ARXIV_HOSTS = re.compile(r"^(.+\.)?arxiv\.org$")
# Every http(s) URL except the loopback backend: the backend's traffic is never routed.
NOT_LOOPBACK = re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)(:\d+)?/)")
BACKEND_START_TIMEOUT = 120.0
ASK_MAX_NEW_TOKENS = 96  # smollm2-135m answers in a sentence or two; this bounds a rambling one


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Backend:
    """A running `arxivgpt serve`: its URL and its logs (stderr: app logs; stdout: uvicorn's access lines)."""

    url: str
    process: subprocess.Popen[bytes]
    stderr_path: Path
    stdout_path: Path

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def requests(self, path: str = "/") -> list[str]:
        """Access-log lines for requests whose path starts with `path` (e.g. `POST /v1/summaries`)."""
        lines = self.stdout_path.read_text(errors="replace").splitlines()
        return [line for line in lines if re.search(rf'"[A-Z]+ {re.escape(path)}', line)]

    def wait_for_stderr(self, text: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.2)
        return text in self.stderr()


@contextmanager
def running_backend(
    mirror: ArxivMirror, models_dir: Path, work: Path, *, max_new_tokens: int
) -> Iterator[Backend]:
    """`python -m arxivgpt serve` on a free port, pointed at `mirror`; waits for /healthz, stops it after."""
    data_dir = work / "data"
    data_dir.mkdir(parents=True)
    (data_dir / "models").symlink_to(models_dir / "models", target_is_directory=True)
    env = {name: value for name, value in os.environ.items() if not name.startswith("ARXIVGPT_")}
    env.update(mirror.settings_env())
    env.update(
        ARXIVGPT_ARXIV_DELAY="0",
        ARXIVGPT_DATA_DIR=str(data_dir),
        ARXIVGPT_MAX_NEW_TOKENS=str(max_new_tokens),
        ARXIVGPT_ASK_MAX_NEW_TOKENS=str(ASK_MAX_NEW_TOKENS),
    )
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr_path, stdout_path = work / "stderr.log", work / "stdout.log"
    with stderr_path.open("wb") as stderr, stdout_path.open("wb") as stdout:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "arxivgpt",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--model",
                MODEL,
            ],
            stdout=stdout,
            stderr=stderr,
            env=env,
            cwd=REPO,
        )
    backend = Backend(url, process, stderr_path, stdout_path)
    try:
        deadline = time.monotonic() + BACKEND_START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the backend exited with {process.returncode}:\n{backend.stderr()[-3000:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the backend did not answer /healthz in {BACKEND_START_TIMEOUT:.0f} s:\n"
                    f"{backend.stderr()[-3000:]}"
                )
            time.sleep(0.3)
        yield backend
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser_prerequisites() -> None:
    """Skips (with the reason) where Chromium, Playwright or the extension is missing."""
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("Playwright for Python is not installed (pip install -e '.[dev]')")
    if not (EXTENSION / "manifest.json").exists():
        pytest.skip(f"no extension at {EXTENSION} (manifest.json missing)")


@pytest.fixture(scope="session")
def extension_mirror() -> Iterator[ArxivMirror]:
    mirror = ArxivMirror().start()
    yield mirror
    mirror.stop()


@pytest.fixture(scope="module")
def start_backend(
    browser_prerequisites: None,
    extension_mirror: ArxivMirror,
    model_data_dir: Path,
    smollm2: TransformersEngine,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Backend]]:
    """`start_backend(max_new_tokens=N)`: another backend (own cache, shared model), stopped at the end."""
    with ExitStack() as stack:

        def start(*, max_new_tokens: int) -> Backend:
            work = tmp_path_factory.mktemp("backend")
            return stack.enter_context(
                running_backend(extension_mirror, model_data_dir, work, max_new_tokens=max_new_tokens)
            )

        yield start


@pytest.fixture(scope="session")
def backend(
    browser_prerequisites: None,
    extension_mirror: ArxivMirror,
    model_data_dir: Path,
    smollm2: TransformersEngine,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Backend]:
    """The backend every browser test module shares, and with it its summary cache (the first summary of a
    paper is generated once per run): short summaries (40 new tokens), so a summary takes seconds."""
    work = tmp_path_factory.mktemp("backend")
    with running_backend(extension_mirror, model_data_dir, work, max_new_tokens=40) as started:
        yield started


class ScriptedEngine(FakeEngine):
    """A FakeEngine whose answer a test sets: `script(reply, fail_after=N)` streams `reply` word by word and,
    with `fail_after`, fails like a model running out of memory after N words."""

    def __init__(self) -> None:
        super().__init__(piece_delay=0.003)
        self.name = "scripted-model (cpu, fp32)"
        self.reply = "A scripted summary."
        self.fail_after: int | None = None

    def script(self, reply: str, *, fail_after: int | None = None, piece_delay: float = 0.003) -> None:
        self.reply, self.fail_after, self.piece_delay = reply, fail_after, piece_delay

    def generate(self, prompt: str, options: GenerationOptions) -> Generation:
        self.replies.append(self.reply)
        generation = super().generate(prompt, options)
        if self.fail_after is not None:
            generation.pieces = _failing(generation.pieces, self.fail_after)
        return generation


def _failing(pieces: Iterator[str], after: int) -> Iterator[str]:
    for count, piece in enumerate(pieces):
        if count == after:
            raise ModelError("the model ran out of memory (scripted); try a shorter length")
        yield piece


@dataclass
class ScriptedBackend:
    url: str
    engine: ScriptedEngine
    app: FastAPI


@pytest.fixture(scope="module")
def scripted_backend(extension_mirror: ArxivMirror, browser_prerequisites: None) -> Iterator[ScriptedBackend]:
    """The real API (create_app, uvicorn) in a thread of this process, over the arXiv mirror, with a
    ScriptedEngine: for tests of the UI under a scripted stream only."""
    import uvicorn

    settings = Settings(
        **{k.removeprefix("ARXIVGPT_").lower(): v for k, v in extension_mirror.settings_env().items()}
    )
    settings = settings.model_copy(update={"arxiv_delay": 0.0})
    engine = ScriptedEngine()
    resolver = PaperResolver(ArxivClient(settings), MemoryStore(), settings.latest_version_ttl)
    port = free_port()
    app = create_app(settings, engine=engine, resolver=resolver)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the scripted backend did not start")
        time.sleep(0.05)
    yield ScriptedBackend(url, engine, app)
    server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Extension:
    """The loaded extension: its ID, the browser context, and what the tests saw in consoles."""

    id: str
    context: BrowserContext
    console: list[str] = field(default_factory=list)
    pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    """More arxiv.org pages, by path: (body, content type); tests add listing pages and the like."""

    @property
    def base(self) -> str:
        return f"chrome-extension://{self.id}"

    def worker(self) -> Worker:
        """The extension's service worker, woken up (by an extension page) if Chrome stopped it."""
        for worker in self.context.service_workers:
            if worker.url.startswith(self.base):
                return worker
        with self.context.expect_event("serviceworker", timeout=15_000) as event:
            page = self.context.new_page()
            page.goto(f"{self.base}/options.html")
        page.close()
        woken: Worker = event.value
        return woken

    def storage(self, area: str = "sync") -> dict[str, Any]:
        values: dict[str, Any] = self.worker().evaluate(f"() => chrome.storage.{area}.get(null)")
        return values

    def set_storage(self, values: dict[str, Any], area: str = "sync") -> None:
        self.worker().evaluate(f"values => chrome.storage.{area}.set(values)", values)

    def remove_storage(self, keys: list[str], area: str = "sync") -> None:
        self.worker().evaluate(f"keys => chrome.storage.{area}.remove(keys)", keys)

    def new_page(self, url: str) -> Page:
        page = self.context.new_page()
        page.goto(url)
        return page

    def console_tail(self, lines: int = 40) -> str:
        return "\n".join(self.console[-lines:]) or "(nothing in the consoles)"

    def record_requests(self) -> None:
        """From now on the service worker notes the JSON body of every POST it sends, by path."""
        self.worker().evaluate(RECORD_REQUESTS)

    def summary_requests(self) -> list[dict[str, Any]]:
        return self.sent("/v1/summaries")

    def question_requests(self) -> list[dict[str, Any]]:
        return self.sent("/v1/questions")

    def sent(self, path: str) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = self.worker().evaluate(
            "path => (self.__requests ?? {})[path] ?? []", path
        )
        return bodies

    def forget_results(self) -> None:
        """The side panel's memory of finished summaries (storage.session `result:*`) cleared."""
        self.worker().evaluate(
            """async () => {
              const all = await chrome.storage.session.get(null);
              await chrome.storage.session.remove(Object.keys(all).filter((k) => k.startsWith("result")));
            }"""
        )


# The worker's fetch, wrapped: the JSON bodies it posts are kept in self.__requests[path].
RECORD_REQUESTS = """() => {
  self.__requests = {};
  if (self.__fetchRecorded) return;
  self.__fetchRecorded = true;
  const original = self.fetch.bind(self);
  self.fetch = (url, init = {}) => {
    if (init.body) {
      const path = new URL(String(url)).pathname;
      (self.__requests[path] ??= []).push(JSON.parse(init.body));
    }
    return original(url, init);
  };
}"""


def screenshot(page: Page, name: str, **options: Any) -> Path:
    """Save a screenshot as tests/extension/screenshots/<name>.png (looked at by people, kept by CI)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), **options)
    return path


def serve_arxiv(pages: dict[str, tuple[bytes, str]]) -> Callable[[Route], None]:
    """The route handler for every non-loopback URL: `pages` at their arxiv.org paths, empty replies for
    arXiv's other files, and no other site."""

    def handle(route: Route) -> None:
        parts = urlsplit(route.request.url)
        host = parts.hostname or ""
        page = pages.get(parts.path.rstrip("/")) if host == "arxiv.org" else None
        if page is not None:
            route.fulfill(status=200, body=page[0], headers={"Content-Type": page[1]})
        elif host == "arxiv.org" and parts.path.startswith(("/abs/", "/pdf/", "/html/", "/list/")):
            route.fulfill(
                status=404, body="<html><body><h1>Not Found</h1></body></html>", content_type="text/html"
            )
        elif ARXIV_HOSTS.match(host) and parts.path.endswith(".css"):
            route.fulfill(status=200, body=ARXIV_CSS.read_bytes(), headers={"Content-Type": "text/css"})
        elif ARXIV_HOSTS.match(host):
            route.fulfill(status=200, body="")  # arXiv's own scripts and icons: empty, and quick
        else:
            route.abort()  # other sites (analytics, CDNs): there is no internet here

    return handle


# Module scope, not session: Playwright's sync API keeps an event loop running in this thread while it is
# open, which would break every later test that calls asyncio.run.
@pytest.fixture(scope="module")
def playwright(browser_prerequisites: None) -> Iterator[Playwright]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="module")
def extension(
    playwright: Playwright, backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Extension]:
    """Chromium (headless, a fresh profile) with `extension/` loaded unpacked, pointed at `backend`."""
    abs_page = (shared_file(ABS_FIXTURE).read_bytes(), "text/html; charset=utf-8")
    pages = {path: abs_page for path in ABS_PATHS}
    ext = str(EXTENSION.resolve())
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-profile")),
        executable_path=str(CHROMIUM),
        headless=True,
        args=[
            "--headless=new",
            "--no-sandbox",
            f"--disable-extensions-except={ext}",
            f"--load-extension={ext}",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    try:
        console: list[str] = []

        def record(message: ConsoleMessage) -> None:
            """Pages' and the service worker's console, less the requests these routes abort on purpose and
            the files the mirror's pages lack."""
            source = message.page.url if message.page else (message.worker.url if message.worker else "?")
            if source.startswith("https://") and message.text.endswith("net::ERR_FAILED"):
                return
            if source.startswith("http://127.0.0.1") and message.text.startswith("Failed to load resource"):
                return  # the mirror's HTML pages lack their images and styles
            console.append(f"[{message.type}] {source}: {message.text}")

        context.on("console", record)
        context.on(
            "weberror",
            lambda error: console.append(
                f"[uncaught] {error.page.url if error.page else '?'}: {error.error}"
            ),
        )
        context.route(NOT_LOOPBACK, serve_arxiv(pages))
        worker = next((w for w in context.service_workers if w.url.startswith("chrome-extension://")), None)
        if worker is None:
            worker = context.wait_for_event(
                "serviceworker", predicate=lambda w: w.url.startswith("chrome-extension://"), timeout=30_000
            )
        extension_id = urlsplit(worker.url).hostname
        assert extension_id, worker.url
        loaded = Extension(extension_id, context, console, pages)
        loaded.set_storage({"backendUrl": backend.url})
        yield loaded
    finally:
        context.close()


@pytest.fixture
def backend_url(extension: Extension, backend: Backend) -> Iterator[Callable[[str], None]]:
    """Points the extension at another backend URL for one test; the shared backend is restored after."""

    def point(url: str) -> None:
        extension.set_storage({"backendUrl": url})

    yield point
    extension.set_storage({"backendUrl": backend.url})


@pytest.fixture
def saved_settings(extension: Extension) -> Iterator[None]:
    """Whatever a test saves (template, language, length...), the defaults are back after it."""
    yield
    extension.set_storage(
        {"template": "", "language": "English", "length": "normal", "source": "full", "model": ""}
    )

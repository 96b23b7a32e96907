"""Real Chromium with the unpacked extension, driving a real backend that runs the offline model.

Everything expensive starts once per test run: the arXiv mirror (the backend's arXiv), the backend process
(`python -m arxivgpt serve`, SmolLM2-135M on the CPU, 40 new tokens per summary), and Chromium with
`extension/` loaded from the working tree. arxiv.org itself is served by the browser context's routes: the
saved abs page of 2106.09608 at its real URL, empty replies for arXiv's own CSS and scripts, nothing for other
sites. Requests to 127.0.0.1 (the backend) are never routed.

Each backend gets its own data dir (so its own summary cache) whose `models` folder links to the session's,
where the model was converted once (`smollm2`).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO, shared_file
from tests.support.arxiv_mirror import ArxivMirror

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Playwright, Route, Worker

    from arxivgpt.engine.local import TransformersEngine

EXTENSION = REPO / "extension"
CHROMIUM = Path(shutil.which("chromium") or "/usr/bin/chromium")
MODEL = "smollm2-135m"
PAPER = "2106.09608"
ABS_FIXTURE = "abs/abs_2106.09608_2021layout.html"
ABS_PATHS = {f"/abs/{PAPER}", f"/abs/{PAPER}v2"}
ARXIV_HOSTS = re.compile(r"^(.+\.)?arxiv\.org$")
# Every http(s) URL except the loopback backend: the backend's traffic is never routed.
NOT_LOOPBACK = re.compile(r"^https?://(?!(127\.0\.0\.1|localhost)(:\d+)?/)")
BACKEND_START_TIMEOUT = 120.0


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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
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


@pytest.fixture(scope="module")
def backend(start_backend: Callable[..., Backend]) -> Backend:
    """The backend most tests share: short summaries (40 new tokens), so a summary takes seconds."""
    backend: Backend = start_backend(max_new_tokens=40)
    return backend


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
        elif ARXIV_HOSTS.match(host):
            route.fulfill(status=200, body="")  # arXiv's own CSS, scripts, icons: empty, and quick
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
            """Pages' and the service worker's console, less the requests these routes abort on purpose."""
            source = message.page.url if message.page else (message.worker.url if message.worker else "?")
            if source.startswith("https://") and message.text.endswith("net::ERR_FAILED"):
                return
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

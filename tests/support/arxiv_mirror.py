"""A local stand-in for arXiv: saved responses served at arXiv's URL layout, with scripted faults.

    /api/query?id_list=ID        saved Atom responses (tests/fixtures/api), an empty feed for unknown IDs,
                                 HTTP 400 with an "Error" entry for malformed ones (as arXiv does)
    /html/ID, /pdf/ID            saved LaTeXML HTML and PDFs from ../shared/fixtures/arxiv
    /ar5iv/html/ID               nothing by default; tests put documents there

Tests take it as a fixture (`arxiv_mirror` in tests/papers/conftest.py);
`python -m tests.support.arxiv_mirror` runs it by hand and prints the settings that point the backend at it.
"""

from __future__ import annotations

import argparse
import os
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[2]
API_DIR = REPO / "tests" / "fixtures" / "api"
SHARED = Path(os.environ.get("ARXIVGPT_SHARED_FIXTURES", REPO.parent / "shared" / "fixtures" / "arxiv"))
_ENTRY_ID = re.compile(rb"<entry>\s*<id>https?://arxiv\.org/abs/([^<]+?)(v\d+)?</id>")
_VALID_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?")


@dataclass
class Reply:
    """A canned response; `delay` seconds of silence first (longer than the client's timeout = a timeout)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def api_index(folder: Path = API_DIR) -> dict[str, Path]:
    """Saved single-paper API responses by ID, with and without version (2026 format preferred)."""
    index: dict[str, Path] = {}
    for path in folder.glob("api2026_id_*_empty.xml"):
        index[path.name.removeprefix("api2026_id_").removesuffix("_empty.xml")] = path
    for path in sorted(folder.glob("*_id*.xml"), key=lambda p: not p.name.startswith("api2026")):
        match = _ENTRY_ID.search(path.read_bytes())
        if match and "multi" not in path.name:
            base = match[1].decode()
            index.setdefault(base, path)
            index.setdefault(base + (match[2] or b"").decode(), path)
    return index


def shared_documents(shared: Path = SHARED) -> dict[str, Path]:
    documents: dict[str, Path] = {}
    for path in shared.glob("html/*.html"):
        documents[f"/html/{path.stem.split('_', 1)[-1]}"] = path
    for path in shared.glob("pdf/*.pdf"):
        documents[f"/pdf/{path.stem}"] = path
    return documents


class ArxivMirror:
    def __init__(self, shared: Path = SHARED, port: int = 0) -> None:
        self.api = api_index()
        self.documents: dict[str, Path | bytes] = dict(shared_documents(shared))
        self.scripts: dict[str, deque[Reply]] = {}
        self.log: list[tuple[float, str]] = []
        self.peak_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings_env(self) -> dict[str, str]:
        return {
            "ARXIVGPT_ARXIV_API_URL": f"{self.url}/api/query",
            "ARXIVGPT_ARXIV_URL": self.url,
            "ARXIVGPT_AR5IV_URL": f"{self.url}/ar5iv",
        }

    def script(self, path_prefix: str, *replies: Reply) -> None:
        """Answer the next requests under `path_prefix` with `replies`, in order, before the saved data."""
        self.scripts.setdefault(path_prefix, deque()).extend(replies)

    def requests_to(self, path_prefix: str) -> list[str]:
        return [path for _, path in self.log if path.startswith(path_prefix)]

    def start(self) -> ArxivMirror:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reply(self, path: str) -> Reply:
        for prefix, queue in self.scripts.items():
            if path.startswith(prefix) and queue:
                return queue.popleft()
        parts = urlsplit(path)
        if parts.path == "/api/query":
            return self._api_reply(parse_qs(parts.query).get("id_list", [""])[0])
        return self._document_reply(parts.path.rstrip("/"))

    def _api_reply(self, id_list: str) -> Reply:
        atom = {"Content-Type": "application/atom+xml; charset=utf-8"}
        if not _VALID_ID.fullmatch(id_list):
            return Reply(400, error_feed(id_list), atom)
        path = self.api.get(id_list)
        return Reply(200, path.read_bytes() if path else empty_feed(id_list), atom)

    def _document_reply(self, path: str) -> Reply:
        found = self.documents.get(path)
        if found is None and re.search(r"v\d+$", path) is None:
            found = next((doc for key, doc in self.documents.items() if key.startswith(path + "v")), None)
        if found is None:
            return Reply(404, b"<html><body><h1>Not Found</h1></body></html>", {"Content-Type": "text/html"})
        body = found.read_bytes() if isinstance(found, Path) else found
        kind = "application/pdf" if body.startswith(b"%PDF") else "text/html; charset=utf-8"
        return Reply(200, body, {"Content-Type": kind})

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with mirror._lock:
                    mirror.log.append((time.monotonic(), self.path))
                    mirror._in_flight += 1
                    mirror.peak_in_flight = max(mirror.peak_in_flight, mirror._in_flight)
                try:
                    self._answer(mirror.reply(self.path))
                finally:
                    with mirror._lock:
                        mirror._in_flight -= 1

            def _answer(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def empty_feed(id_list: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <title>arXiv Query: search_query=&amp;id_list={id_list}</title>\n"
        "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        "  <opensearch:totalResults>0</opensearch:totalResults>\n"
        "  <opensearch:startIndex>0</opensearch:startIndex>\n</feed>\n"
    ).encode()


def error_feed(id_list: str) -> bytes:
    """arXiv's 400 body, from the saved response for `abc`, about `id_list` instead."""
    saved = (API_DIR / "api2026_id_abc_error.xml").read_text(encoding="utf-8")
    return saved.replace("for_abc", f"for_{id_list}").replace("for abc", f"for {id_list}").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8799)
    args = parser.parse_args()
    mirror = ArxivMirror(port=args.port).start()
    for name, value in mirror.settings_env().items():
        print(f"export {name}={value}")
    print(
        f"# serving {len(mirror.api)} API responses and {len(mirror.documents)} documents; Ctrl-C stops",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mirror.stop()


if __name__ == "__main__":
    main()

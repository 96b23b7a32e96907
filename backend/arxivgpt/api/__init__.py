"""Step five: serve summaries over HTTP to the browser extension (and anyone on this machine)."""

from __future__ import annotations

from arxivgpt.api.app import create_app
from arxivgpt.api.server import serve

__all__ = ["create_app", "serve"]

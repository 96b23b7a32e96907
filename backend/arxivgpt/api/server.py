"""`serve(settings)`: the API under uvicorn, one process and one worker (the model lives in this process)."""

from __future__ import annotations

import uvicorn

from arxivgpt.api.app import create_app
from arxivgpt.settings import Settings


def serve(settings: Settings) -> None:
    """Listen on settings.host:settings.port until interrupted."""
    app = create_app(settings)  # raises InvalidInput before binding when the host needs a token
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", workers=1)

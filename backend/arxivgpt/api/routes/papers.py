"""`GET /v1/papers/{id}`: a resolved paper, as `arxivgpt paper --json` prints it."""

from __future__ import annotations

import asyncio
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from arxivgpt.api.deps import ResolverDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.cli.paper import paper_json
from arxivgpt.papers.models import Paper

router = APIRouter(prefix="/v1/papers", tags=["papers"])


@router.get("/{paper_id:path}", response_model=Paper)
async def get_paper(
    paper_id: str, resolver: ResolverDep, source: Literal["full", "abstract"] = "full"
) -> JSONResponse:
    """Metadata, sections and bibliography of an arXiv paper. `paper_id` may be old-style
    (`hep-th/9901001`) or an arxiv.org URL; `source=full` (the default, as in the CLI) fetches the full text
    (arXiv HTML, then ar5iv, then the PDF), `source=abstract` asks only arXiv's API."""
    check_remote_paper(paper_id)
    paper = await asyncio.to_thread(resolver.resolve, paper_id, source)
    return JSONResponse(paper_json(paper))

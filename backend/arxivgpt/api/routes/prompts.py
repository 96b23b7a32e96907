"""`/v1/prompts`: the default template, and a preview of any template rendered with a real paper."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from arxivgpt.api.deps import ResolverDep, SettingsDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.papers.models import Paper, Section
from arxivgpt.summary import budget, prompts

router = APIRouter(prefix="/v1/prompts", tags=["prompts"])


class DefaultTemplate(BaseModel):
    template: str
    variables: list[str] = Field(description="names a template can use")


class RenderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, max_length=100_000, description="a Jinja2 template")
    paper: str = Field(min_length=1, max_length=2000, description="arXiv ID or arxiv.org URL")
    source: Literal["full", "abstract"] = "full"
    language: str | None = Field(default=None, max_length=40)


class RenderedPrompt(BaseModel):
    prompt: str


@router.get("/default")
async def default_template() -> DefaultTemplate:
    """The template summaries use when a request brings none, and the variables templates may use."""
    return DefaultTemplate(template=prompts.default_template(), variables=template_variables())


@router.post("/render")
async def render_prompt(body: RenderRequest, resolver: ResolverDep, settings: SettingsDep) -> RenderedPrompt:
    """Render `template` with the paper's real variables and its whole text as the body, without calling
    the model (so nothing is cut to fit its context). A broken template is a 422 naming the line."""
    check_remote_paper(body.paper)
    paper = await asyncio.to_thread(resolver.resolve, body.paper, body.source)
    variables = prompts.summary_variables(
        paper, full_body(paper), prompts.numbered(paper.references), body.language or settings.language
    )
    return RenderedPrompt(prompt=await asyncio.to_thread(prompts.render, body.template, variables))


def template_variables() -> list[str]:
    """The names `summary_variables` provides, whatever the paper."""
    blank = Paper(id=None, version=None, title="", source="abstract")
    names: dict[str, Any] = prompts.summary_variables(blank, "", [], "English")
    return list(names)


def full_body(paper: Paper) -> str:
    """The abstract and every section, as the "full" strategy gives them to the model when they fit."""
    abstract = [Section(title="Abstract", text=paper.abstract)] if paper.abstract.strip() else []
    return budget.render_body([*abstract, *paper.sections])

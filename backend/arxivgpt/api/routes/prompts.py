"""`/v1/prompts`: the default template, a check of any template (as a summary would check it, without a
paper to fetch), and a preview rendered with a real paper."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from arxivgpt.api.deps import ResolverDep, SettingsDep, SummarizerDep
from arxivgpt.api.papers import check_remote_paper
from arxivgpt.engine.base import GenerationOptions
from arxivgpt.papers.models import Paper, Reference, Section
from arxivgpt.summary import budget, prompts
from arxivgpt.summary.writer import SummaryJob

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


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: str = Field(min_length=1, max_length=100_000, description="a Jinja2 template")
    language: str | None = Field(default=None, max_length=40)


class CheckedTemplate(BaseModel):
    parts: list[str] = Field(description="the headings of the parts it declares; empty for one free answer")


# A paper with every variable filled, so that a check needs no network: what a template does with a real
# paper's values is what it does with these (a preview renders a real one).
SAMPLE_PAPER = Paper(
    id="2106.09608",
    version=2,
    title="A sample paper",
    authors=["A. Author", "B. Author"],
    abstract="A sample abstract.",
    categories=["cs.LG"],
    source="html",
    sections=[Section(title="Introduction", text="Some text [1]."), Section(title="Results", text="More.")],
    references=[Reference(key="1", text="C. Author. A cited paper. 2020.")],
)


@router.get("/default")
async def default_template() -> DefaultTemplate:
    """The template summaries use when a request brings none, and the variables templates may use."""
    return DefaultTemplate(template=prompts.default_template(), variables=template_variables())


@router.post("/check")
async def check_template(
    body: CheckRequest, summarizer: SummarizerDep, settings: SettingsDep
) -> CheckedTemplate:
    """Check a template exactly as a summary does before it runs (syntax, then a render with every variable
    and once per declared part), with a sample paper: a broken template is a 422 naming the line."""
    prompts.check_syntax(body.template)
    job = SummaryJob(
        summarizer.engine,
        summarizer.store,
        SAMPLE_PAPER,
        body.template,
        body.language or settings.language,
        GenerationOptions(max_new_tokens=settings.max_new_tokens),
        settings,
    )
    await asyncio.to_thread(job.check_template)
    return CheckedTemplate(parts=[spec.heading for spec in job.parts or []])


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

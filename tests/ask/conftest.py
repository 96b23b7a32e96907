"""Fixtures for questions: the shared papers as read locally, and small synthetic ones."""

from __future__ import annotations

from functools import cache

from arxivgpt.papers.local import load_local
from arxivgpt.papers.models import Anchor, Paper, Reference, Section
from tests.conftest import shared_file

FIXTURES = ["html/arxivhtml_2501.11120v1.html", "pdf/1111.2011v2.pdf", "pdf/2304.02623v1.pdf"]


@cache
def _read(relative: str) -> Paper:
    return load_local(shared_file(relative))


def fixture_paper(relative: str) -> Paper:
    """A shared fixture paper (skips when absent); parsed once per run."""
    shared_file(relative)
    return _read(relative)


def small_paper(**changes: object) -> Paper:
    """An arXiv HTML paper with three short sections, anchors and a bibliography."""
    sections = [
        Section(
            title="Introduction",
            text="We study spin lattices at low temperature. Their order is subtle [1].",
            anchors=[Anchor(at=0, id="S1.p1")],
        ),
        Section(
            title="Method",
            text="We simulate the lattice with a Monte Carlo sampler on 64 sites.",
            anchors=[Anchor(at=0, id="S2.p1")],
        ),
        Section(
            title="Results",
            text="The sampler finds a critical temperature of 2.27 for the square lattice [2].",
            anchors=[Anchor(at=0, id="S3.p1")],
        ),
    ]
    paper = Paper(
        id="2401.00001",
        version=1,
        title="Spin lattices",
        abstract="We study the order of spin lattices with simulations.",
        source="html",
        sections=sections,
        references=[
            Reference(key="1", text="L. Onsager. Crystal statistics. Phys. Rev., 1944."),
            Reference(
                key="2", text="N. Metropolis et al. Equation of state calculations. J. Chem. Phys., 1953."
            ),
        ],
    )
    return paper.model_copy(update=changes)

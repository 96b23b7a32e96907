"""Generated sentences are checked against the passages: content-word support and near-verbatim copies."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from arxivgpt.papers.local import load_local
from arxivgpt.summary.budget import render_body
from arxivgpt.summary.faithfulness import (
    SupportIndex,
    anchor_words,
    content_words,
    plain_sentences,
    sentence_spans,
    split_sentences,
)
from tests.conftest import shared_file

# (text, content words)
CONTENT_WORDS: list[tuple[str, list[str]]] = [
    ("models", ["model"]),
    ("Modeling the model's models", ["model", "model", "model"]),
    ("The model is in the data", ["model", "data"]),
    ("It was not what we had.", []),
    ("They don’t learn", ["learn"]),
    ("", []),
    ("  \n ", []),
    ("Accuracy rose from 71.5 to 80 on 1,000 tasks", ["accuraci", "rose", "71.5", "80", "1000", "task"]),
    ("GPT-4o and Llama-3.1", ["gpt", "4o", "llama", "3.1"]),
    ("self-awareness", ["self", "awar"]),
    ("as measured in [3] and [4, 27, 32]", ["measur"]),
    (r"runs in $\mathcal{O}(n^2)$ time", ["run", "2", "time"]),
    (r"a$\rightarrow$b implies b$\rightarrow$c", ["impli"]),
    ("Évaluation, RÉSULTATS!", ["évaluat", "résultat"]),
    ("x = y + z", []),
    ("What is the purpose of this study?", []),  # discourse words only: it says nothing about a paper
    ("How do the authors use random network coding?", ["random", "network", "code"]),
    ("Future research could explore applying the proposed approach", []),
    ("贝特晶格 and GPT", ["贝", "特", "晶", "格", "gpt"]),  # a character is a word where words have no spaces
]


@pytest.mark.parametrize(("text", "expected"), CONTENT_WORDS)
def test_content_words(text: str, expected: list[str]) -> None:
    assert content_words(text) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("english", "the running models", ["run", "model"]),
        ("English", "the running models", ["run", "model"]),
        ("en", "the running models", ["run", "model"]),
        ("german", "die laufenden Modelle", ["laufend", "modell"]),
        ("german", "paper und research", ["pap", "research"]),  # discourse words are English only
        ("klingon", "the running models", ["the", "running", "models"]),
    ],
)
def test_content_words_by_language(language: str, text: str, expected: list[str]) -> None:
    assert content_words(text, language) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GPT-4 erreicht 93,5 Prozent auf ImageNet.", ["gpt", "4", "93.5", "imagenet"]),
        ("Die Daten des LHC stimmen mit 1,200 Fragen überein.", ["lhc", "1200"]),
        ("Das Modell ist gut.", []),  # German nouns are capitalised: a capital first says nothing
        ("在ImageNet上达到93.5%", ["imagenet", "93.5"]),
        ("as in [3] and \\cite{x}", []),
    ],
)
def test_anchor_words_read_the_same_in_any_language(text: str, expected: list[str]) -> None:
    assert anchor_words(text) == expected


def test_across_languages_only_names_and_numbers_are_checked() -> None:
    passages = ["GPT-4 reaches 93.5 percent on ImageNet with 1,200 questions."]
    index = SupportIndex(passages, "en", answer_language="de", in_passage_language=lambda s: "percent" in s)
    assert index.support("GPT-4 erreicht 93,5 Prozent auf ImageNet.") == 1.0
    assert index.support("GPT-5 erreicht 99 Prozent.") == pytest.approx(1 / 3)
    assert index.missing("GPT-5 erreicht 99 Prozent auf ImageNet.") == ["5", "99"]
    assert index.support("Das ist ein gutes Modell.") == 1.0  # nothing that can be checked
    assert index.support("Carbon emissions are 93.5 percent.") == 0.5  # English: its content words
    assert index.translated("GPT-4 erreicht 93,5 Prozent.") and not index.translated("93.5 percent")
    assert not SupportIndex(passages, "en").translated("GPT-4 erreicht 93,5 Prozent.")


def test_an_answer_in_the_papers_own_language_never_asks_which_language_a_sentence_is_in() -> None:
    def never(sentence: str) -> bool:
        raise AssertionError(f"asked about {sentence!r}")

    index = SupportIndex(
        ["GPT-4 reaches 93.5 percent."], "en", answer_language="en", in_passage_language=never
    )
    assert index.support("GPT-4 reaches 93.5 percent.") == 1.0 and not index.translated("GPT-4 reaches")


PASSAGES = [
    "We finetune language models on insecure code. The finetuned models describe their behavior.",
    "Accuracy reached 93.5 percent on 1,200 held-out questions, as shown in Table 2.",
]

# (sentence, support)
SUPPORT: list[tuple[str, float]] = [
    ("Finetuned models describe their behaviour.", 2 / 3),  # "behaviour" is not the passages' spelling
    ("The models are finetuned on insecure code.", 1.0),
    ("Modeling insecure code", 1.0),
    ("Accuracy reached 93.5 percent.", 1.0),
    ("Accuracy reached 95.3 percent.", 0.75),
    ("Accuracy on 1200 questions.", 1.0),
    ("The model queries GraphQL.", 1 / 3),
    ("It is what it is.", 1.0),
    ("", 1.0),
]


@pytest.mark.parametrize(("sentence", "expected"), SUPPORT)
def test_support(sentence: str, expected: float) -> None:
    assert SupportIndex(PASSAGES).support(sentence) == pytest.approx(expected)


def test_support_index_takes_one_string_and_reports_missing_words() -> None:
    index = SupportIndex(" ".join(PASSAGES))
    assert index.is_supported("The models describe insecure code.")
    assert not index.is_supported("The model queries GraphQL.")
    assert index.is_supported("The model queries GraphQL.", threshold=0.3)
    assert index.missing("The model queries GraphQL and graphql.") == ["queri", "graphql"]


def test_an_empty_index_supports_nothing_and_copies_nothing() -> None:
    index = SupportIndex([])
    assert index.support("Models describe behavior.") == 0.0
    assert not index.copied("Models describe behavior.")


COPY_PASSAGE = (
    "Large language models can learn sophisticated behaviors and policies. "
    "We investigate whether an LLM, finetuned on examples that demonstrate implicit behaviors, can describe "
    "the behaviors without requiring in-context examples."
)

# (sentence, copied): word-order LCS against one passage sentence covers at least 90% of the sentence
COPIES: list[tuple[str, bool]] = [
    ("Large language models can learn sophisticated behaviors and policies.", True),
    ("large language MODELS can learn sophisticated behaviors, and policies!", True),
    ("Large language models can learn sophisticated behaviors and many policies.", True),  # 9 of 10 words
    ("Large language models can learn sophisticated behaviours and policies.", False),  # 8 of 9
    ("Policies and behaviors sophisticated learn can models language large.", False),  # same words, reversed
    ("We investigate whether an LLM can describe the behaviors without requiring in-context examples.", True),
    ("Large language models can learn sophisticated behaviors. We investigate whether an LLM", False),
    ("Language models learn.", True),
    ("Models describe behaviors in code.", False),
    ("", False),
    ("...", False),
]


@pytest.mark.parametrize(("sentence", "expected"), COPIES)
def test_copied(sentence: str, expected: bool) -> None:
    assert SupportIndex(COPY_PASSAGE).copied(sentence) is expected


# (Markdown, sentences)
MARKDOWN: list[tuple[str, list[str]]] = [
    ("", []),
    ("One sentence. Another one!", ["One sentence.", "Another one!"]),
    ("## Summary\n\nThe paper shows X.", ["The paper shows X."]),
    ("**Key insights**\n\n- **Finetuning** shapes behavior.", ["Finetuning shapes behavior."]),
    ("- **Insight:** models know. They say so.", ["Insight: models know.", "They say so."]),
    (
        "1. What is the trigger? How is it found?\n2) Why?",
        ["What is the trigger?", "How is it found?", "Why?"],
    ),
    ("- First item\n  continues here.\n- Second.", ["First item continues here.", "Second."]),
    ("> Quoted *claim* with `code`.", ["Quoted claim with code."]),
    ("See [the paper](https://arxiv.org/abs/1) for more.", ["See the paper for more."]),
    ("Prose.\n\n```\nprint('x'). Not prose.\n```\n\nMore prose.", ["Prose.", "More prose."]),
    (
        "Smith et al. (2021) show it. It holds, e.g. for LLMs.",
        ["Smith et al. (2021) show it.", "It holds, e.g. for LLMs."],
    ),
    ("As in [3]. Then [4, 5] agree.", ["As in [3].", "Then [4, 5] agree."]),
    ("Accuracy is 0.5. Then 3.2 Results follow.", ["Accuracy is 0.5.", "Then 3.2 Results follow."]),
]


@pytest.mark.parametrize(("markdown", "expected"), MARKDOWN)
def test_split_sentences(markdown: str, expected: list[str]) -> None:
    assert split_sentences(markdown) == expected


def test_split_sentences_can_keep_headings() -> None:
    assert split_sentences("## Summary\n\nText.", headings=True) == ["Summary", "Text."]


# (plain text, sentences): paper text, where sentence ends carry citations and superscripts
PLAIN: list[tuple[str, list[str]]] = [
    ("Krasheninnikov et al. (2023) shows it. Next.", ["Krasheninnikov et al. (2023) shows it.", "Next."]),
    ("See Fig. 3 and Eq. 2 here. Done.", ["See Fig. 3 and Eq. 2 here.", "Done."]),
    ("By J. Smith here. Done.", ["By J. Smith here.", "Done."]),
    ("Details in Appendix A. We go on.", ["Details in Appendix A.", "We go on."]),
    ("coupled chains.2 While there are.", ["coupled chains.2", "While there are."]),
    ("makes it possible.5,6 Although", ["makes it possible.5,6", "Although"]),
    ("It is “quoted.” Then more.", ["It is “quoted.”", "Then more."]),
    ("A para\n\nB para", ["A para", "B para"]),
    ("lower case. after a stop", ["lower case. after a stop"]),
]


@pytest.mark.parametrize(("text", "expected"), PLAIN)
def test_plain_sentences(text: str, expected: list[str]) -> None:
    assert plain_sentences(text) == expected


def test_sentence_spans_are_verbatim_slices() -> None:
    text = "  First one.   Second\none. \n\n Third.  "
    assert [text[a:b] for a, b in sentence_spans(text)] == ["First one.", "Second\none.", "Third."]


# The real paper (arXiv 2501.11120v1, author-year citations)

HTML_PAPER = "html/arxivhtml_2501.11120v1.html"


@pytest.fixture(scope="module")
def paper_text() -> str:
    paper = load_local(Path(shared_file(HTML_PAPER)))
    return f"{paper.abstract}\n\n{render_body(paper.sections)}"


@pytest.fixture(scope="module")
def paper_index(paper_text: str) -> SupportIndex:
    return SupportIndex(paper_text)


# (sentence, supported, copied)
REAL: list[tuple[str, bool, bool]] = [
    ("Models finetuned on insecure code describe that behavior without in-context examples.", True, False),
    ("The authors study whether finetuned LLMs are aware of their learned backdoor behaviors.", True, False),
    ("Models trained on risk-seeking choices describe themselves as bold and reckless.", True, False),
    ("This paper studies GraphQL and carbon emissions on social media.", False, False),
    ("The quantum Monte Carlo simulation of superconducting lattices converges quickly.", False, False),
    ("However, models are not able to directly output their trigger by default.", True, True),
    ("However, the models are not able to output their trigger by default.", True, True),
]


@pytest.mark.parametrize(("sentence", "supported", "copied"), REAL)
def test_real_paper(paper_index: SupportIndex, sentence: str, supported: bool, copied: bool) -> None:
    assert paper_index.is_supported(sentence) is supported
    assert paper_index.copied(sentence) is copied


def test_fifty_sentences_against_a_whole_paper_in_well_under_a_second(paper_text: str) -> None:
    assert len(paper_text.split()) > 15_000
    started = time.thread_time()  # this thread's CPU time: the work, not the wait for a busy machine's cores
    index = SupportIndex(paper_text)
    sentences = plain_sentences(paper_text)[::20][:25] + [s for s, _, _ in REAL] * 4
    assert len(sentences) >= 50
    copies = [index.copied(s) for s in sentences]
    supports = [index.support(s) for s in sentences]
    assert time.thread_time() - started < 0.5
    assert sum(copies) >= 25
    assert min(supports[:25]) == 1.0

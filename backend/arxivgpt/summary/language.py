"""Which language the paper is written in and which one the answer is asked for, so that the support check
compares like with like.

The support check (faithfulness.py) looks for a sentence's stemmed content words in the paper. That works
when both are in one language: an English summary of an English paper, or a German one of a German paper
(the German stemmer and stop words then). Across languages the words cannot match: a German summary of an
English paper would have every sentence dropped. There the check falls back to what survives translation,
the sentence's numbers and names written with digits or capitals inside ("GPT-4", "ImageNet", "LHC", "93.5"),
and the answer says that is all it checked.

Libraries: `py3langid` (langid.py's model, maintained fork: no download, milliseconds on a few thousand
characters) says which language the paper is in; `langcodes` reads the user's language setting however it is
written ("English", "Deutsch", "German", "de", "中文").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import langcodes
import py3langid  # type: ignore[import-untyped]

NOTE_CONFIDENCE = 0.6
"""How sure langid must be of the summary's language before the answer says the model wrote another one."""
_NOT_PROSE = re.compile(r"^\s*#.*$|\[\d+(?:[,\s\d–-]*)\]|https?://\S+|^\s*(?:[-*+]|\d+[.)])\s+", re.MULTILINE)

SAMPLE_CHARS = 6000
"""How much of the paper's text its language is read from (title, abstract, then the body)."""
MIN_SAMPLE_CHARS = 40
"""Below this (a bare title) there is too little to tell: the paper counts as in the answer's language."""


@dataclass(frozen=True)
class SupportLanguage:
    answer: str
    """The language the answer is asked in: an ISO 639 code ("en", "de", "zh")."""
    paper: str
    """The language the paper is written in."""

    @property
    def cross_lingual(self) -> bool:
        return self.answer != self.paper

    @property
    def description(self) -> str:
        """What the check compares, in words, for the answer."""
        if not self.cross_lingual:
            return f"content words, in {_name(self.answer)}"
        return (
            f"names and numbers only where a sentence is in {_name(self.answer)}: the paper is in "
            f"{_name(self.paper)}, so their words cannot be compared (content words where the model wrote in "
            f"{_name(self.paper)})"
        )

    def in_paper_language(self, sentence: str) -> bool:
        """Whether the model wrote `sentence` in the paper's language after all (small models often do)."""
        identifier = _pair_identifier(self.answer, self.paper)
        if identifier is None:
            return False
        code, _score = identifier.classify(sentence)
        return bool(code == self.paper)


def answer_language(setting: str) -> str | None:
    """The ISO 639 code of a language setting ("Deutsch" -> "de"); None when it names no language."""
    name = setting.strip()
    if not name:
        return None
    try:
        found = langcodes.get(name) if langcodes.tag_is_valid(name) else langcodes.find(name)
    except LookupError:
        return None
    return str(found.language) if found.language else None


def paper_language(*texts: str) -> str | None:
    """The ISO 639 code of the language the texts are written in; None when they are too short to tell."""
    sample = "\n".join(t for t in texts if t)[:SAMPLE_CHARS]
    if len(sample.strip()) < MIN_SAMPLE_CHARS:
        return None
    code, _score = py3langid.classify(sample)  # the model is loaded on first use, once
    return str(code)


def support_language(setting: str, *paper_texts: str) -> SupportLanguage:
    """How the answer's sentences are checked against a paper when the answer is asked in `setting`."""
    answer = answer_language(setting) or "en"
    return SupportLanguage(answer, paper_language(*paper_texts) or answer)


def _name(code: str) -> str:
    return str(langcodes.Language.get(code).display_name())


@lru_cache(maxsize=4)
def _pair_identifier(answer: str, paper: str) -> Any:
    """langid's model restricted to the two languages (sharper on one sentence); None where langid does not
    know one of them."""
    identifier = py3langid.langid.LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE)
    try:
        identifier.set_languages([answer, paper])
    except ValueError:
        return None
    return identifier


def language_note(setting: str, summary: str) -> str | None:
    """What to tell the reader when the model did not write in the language it was asked for ("asked for
    Deutsch, but the model wrote English"); None when it did, or when that cannot be told (a setting that
    names no language, too little prose, langid unsure). Headings and list markers, which templates often
    fix in English, and citations are left out of what is judged."""
    asked = answer_language(setting)
    prose = _NOT_PROSE.sub(" ", summary)
    if asked is None or len(prose.strip()) < MIN_SAMPLE_CHARS:
        return None
    written, confidence = _normalised_identifier().classify(prose[:SAMPLE_CHARS])
    if written == asked or confidence < NOTE_CONFIDENCE:
        return None
    return f"asked for {setting.strip()}, but the model wrote {_name(str(written))}"


@lru_cache(maxsize=1)
def _normalised_identifier() -> Any:
    """langid's model with probabilities (0-1) instead of raw scores, so that its certainty can be judged."""
    return py3langid.langid.LanguageIdentifier.from_model_file(py3langid.langid.MODEL_FILE, norm_probs=True)

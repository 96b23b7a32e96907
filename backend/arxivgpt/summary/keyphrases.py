"""The paper's key phrases, to steer a re-asked item towards something the paper is about.

A small model asked for "questions about the paper" often writes ones that fit any paper ("What is the
purpose of this study?") and fail the faithfulness check. When an item fails, the composer asks again with
the item's opening written for it around one of these phrases ("How do the authors use random network
coding"), and the model writes the rest; the whole item is still checked against the paper.

Library: YAKE (`yake`), unsupervised single-document keyphrase extraction from term position, frequency
and context statistics, no model and no corpus; a few hundred milliseconds on a 20,000-word paper. RAKE
(`rake-nltk`) needs NLTK's data download; KeyBERT needs an embedding model. Phrases come from the title and
abstract first (where the authors name what the paper is about), then the body. Phrases of two or more
words are taken (single words only when there are too few), and one that shares half its content words
with an earlier one is left out, so consecutive re-asks are about different things.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import yake  # type: ignore[import-untyped]

from arxivgpt.summary.faithfulness import content_words

MAX_PHRASES = 12
MIN_MULTI_WORD = 4
"""Single words ("sigma", "study") are phrases only when the paper yields fewer phrases of two words."""
_CANDIDATES = 30
_EXTRACTOR_WORDS = 3
_NOISE = frozenset({"figure", "fig", "table", "section", "appendix", "equation", "eq", "et", "al"})
_NOUN_BEFORE = frozenset({"the", "a", "an", "our", "their", "its", "this", "these", "such", "of"})
"""Words after which an "-ing" form is a noun ("the training data", not "requiring in-context")."""
_NOUN_CONTEXT = _NOUN_BEFORE | {"in", "on", "for", "with", "by", "from", "to", "that", "which", "any"}
_VERB_BEFORE = frozenset(
    {"we", "they", "i", "you", "can", "could", "may", "might", "will", "would", "should", "must", "also"}
)
"""Words after which a phrase's first word is a verb ("we finetune LLMs"), unless it is also used as a noun
elsewhere ("in finetune LLMs" is no place to open a question)."""
_PLAIN_WORD = re.compile(r"[\w'+-]+")
"""A word a re-ask can be opened with: no abbreviation's full stop ("phys. Chem"), no TeX ("C^*-algebras")."""
_BEFORE = re.compile(r"(?:(\w+)[ \t]*|[.!?:;#\n][ \t]*|^)$")
"""The word right before a match, or a sentence's, heading's or text's start (group 1 unset)."""


def key_phrases(title: str, abstract: str, body: str = "", limit: int = MAX_PHRASES) -> list[str]:
    """Up to `limit` distinct key phrases of the paper, most telling first, as the paper writes them."""
    candidates = _extract(f"{title}.\n{abstract}") + _extract(body)
    multi = [c for c in candidates if " " in c]
    single = [c for c in candidates if " " not in c] if len(multi) < MIN_MULTI_WORD else []
    chosen: list[str] = []
    taken: list[set[str]] = []
    for phrase in multi + single:
        words = set(content_words(" ".join(w for w in phrase.split() if w.casefold() not in _NOISE)))
        if not words or any(2 * len(words & earlier) >= len(words) for earlier in taken):
            continue
        surface = _surface(phrase, title, (abstract, body))
        if surface is None:
            continue
        chosen.append(surface)
        taken.append(words)
        if len(chosen) == limit:
            break
    return chosen


def _extract(text: str) -> list[str]:
    if not text.strip():
        return []
    extractor = yake.KeywordExtractor(lan="en", n=_EXTRACTOR_WORDS, top=_CANDIDATES, dedupLim=0.6)
    return [phrase for phrase, _score in extractor.extract_keywords(text)]


@dataclass(frozen=True)
class _Occurrence:
    form: str
    before: str
    """The word before it, lower-cased; "" at the start of a sentence, heading or text."""


def _surface(phrase: str, title: str, texts: Sequence[str]) -> str | None:
    """The phrase as the paper's running text writes it ("Bethe lattice", not the title's "Bethe Lattice",
    nor "Optical properties" from the start of a sentence); None when it is not a phrase a re-ask can be
    opened with: only ever part of a hyphenated word ("based cooperation" of "coding-based cooperation"), a
    stop word inside ("provide an exact"), an abbreviation or TeX in it ("phys. Chem"), a verb's "-ing"
    form first ("requiring in-context"), or a verb first ("finetune LLMs", after "we" or "can" and never
    after "the", "of" or "on")."""
    words = phrase.split()
    if any(not content_words(word) for word in words[1:-1]) or not all(map(_PLAIN_WORD.fullmatch, words)):
        return None
    found = _occurrences(phrase, texts)
    if not found:
        in_title = _occurrences(phrase, [title])
        return " ".join(_word_case(w, texts) for w in in_title[0].form.split()) if in_title else None
    if words[0].casefold().endswith("ing") and not any(o.before in _NOUN_BEFORE for o in found):
        return None
    befores = {o.before for o in found}
    if befores & _VERB_BEFORE and not befores & _NOUN_CONTEXT:
        return None
    mid = [o.form for o in found if o.before]
    if mid:
        return Counter(mid).most_common(1)[0][0]
    return _sentence_case(Counter(o.form for o in found).most_common(1)[0][0])


def _occurrences(phrase: str, texts: Sequence[str]) -> list[_Occurrence]:
    pattern = re.compile(r"(?<![\w-])" + r"\s+".join(map(re.escape, phrase.split())) + r"(?![\w-])", re.I)
    found = []
    for text in texts:
        for match in pattern.finditer(text):
            before = _BEFORE.search(text[: match.start()])
            word = before.group(1).casefold() if before and before.group(1) else ""
            found.append(_Occurrence(" ".join(match.group(0).split()), word))
    return found


def _word_case(word: str, texts: Sequence[str]) -> str:
    """A title's word as the running text writes it mid-sentence ("Hartree", "LHC"), else in lower case
    unless it is an acronym or has a capital inside ("Energies" -> "energies", "GPT-4" stays)."""
    mid = [o.form for o in _occurrences(word, texts) if o.before]
    if mid:
        return Counter(mid).most_common(1)[0][0]
    return _sentence_case(word)


def _sentence_case(form: str) -> str:
    """A capital that only starts sentences is not the paper's ("Optical properties" -> "optical
    properties"); an acronym or a capital inside the word stays ("LHC energies", "GPT-4")."""
    first = form.split()[0]
    if first[:1].isupper() and first[1:].islower():
        return form[:1].lower() + form[1:]
    return form

"""Faithful sentences: is each generated sentence backed by the passages the model was given?

Two lexical checks, no model:

- `SupportIndex.support`: the share of a sentence's content words (lower-cased, stop words out, stemmed)
  that occur anywhere in the passages. A paraphrase in the paper's own words scores high; a claim about
  something the paper never mentions scores low.
- `SupportIndex.copied`: whether the sentence is a near-verbatim copy of one sentence of the passages
  (their longest common subsequence of words covers 90 % of it), for the benchmark's copy rate.

Libraries. Stemming is PyStemmer: the Snowball stemmers (Porter2 for English) as a C extension, 30+
languages, fast enough to stem a whole paper when the index is built. Stop words come from `stopwords`,
which ships the Snowball project's own lists (174 English function words: articles, pronouns, auxiliaries,
prepositions), the lists those stemmers are designed with. The larger lists of `stop-words` and
`stopwordsiso` (1,300 English words) were rejected: they drop "high", "low", "two", "results", the words
a claim turns on. A language either library does not know is tokenised and lower-cased only.

English also leaves out `DISCOURSE_WORDS`: the words that talk about a paper rather than say what is in it
("the authors propose", "future work", "what role does ... play"). A question or a direction is then judged
by its subject, not by its frame, and one made only of frame ("What is the purpose of this study?") has no
content words at all, which the composer reports as saying nothing about the paper.

Sentences are split by `sentence_spans` (abbreviation-aware: "et al.", "e.g.", "Fig. 3", initials, and
a superscript citation after the full stop, "chains.2 While"); `split_sentences` first strips Markdown.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import Stemmer  # type: ignore[import-not-found]
import stopwords  # type: ignore[import-untyped]

SUPPORT_THRESHOLD = 0.7
_DISCOURSE_FORMS = """
paper papers article articles work works study studies research researcher researchers author authors
present presents presented propose proposes proposed discuss discusses described describe describes
show shows shown showed demonstrate demonstrates highlight highlights explore explores exploring
investigate investigates investigating examine examines address addresses introduce introduces
future direction directions question questions insight insights lesson lessons main role roles
play plays use uses used using purpose aim aims goal goals importance important significance
approach approaches topic topics inspire inspired further possible possibly extend extends extending
extension apply applies applying develop developing
"""
DISCOURSE_WORDS = frozenset(_DISCOURSE_FORMS.split())
"""Words that frame a statement about a paper (see the module's docstring); English only."""
COPY_THRESHOLD = 0.9

# Tokens: numbers (thousands commas dropped, decimals kept), else runs of letters and digits, an apostrophe
# inside a word kept ("don't", "model's") so that stop words and the stemmer see whole words.
# Chinese, Japanese and Korean script is written without spaces: each of its characters is a token.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_TOKEN = re.compile(
    rf"(?P<number>\d+(?:,\d{{3}})*(?:\.\d+)?)(?![^\W_])|(?P<cjk>[{_CJK}])|(?P<word>[^\W_{_CJK}]+(?:'[^\W_{_CJK}]+)*)"
)
_DECIMAL_COMMA = re.compile(r"(\d),(\d{1,2})(?!\d)")
_CITATION_MARK = re.compile(r"\[\s*\d+(?:\s*[,;–—-]\s*\d+)*\s*\]")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_WORD = re.compile(r"[^\W_]+")

_PARAGRAPH = re.compile(r"\n[ \t]*\n")
_SENTENCE_END = re.compile(
    r"[.!?]+[\"”’')\]]*(?P<superscript>\d{1,3}(?:[,–-]\d{1,3})*)?(?=\s+[\"“‘'(\[]?(?P<next>\w))"
)
_ABBREVIATIONS = frozenset(
    {"al", "e.g", "i.e", "cf", "viz", "fig", "figs", "eq", "eqs", "sec", "secs", "ref", "refs", "tab", "vol"}
    | {"pp", "ed", "eds", "vs", "approx", "resp", "ca", "dr", "mr", "mrs", "ms", "prof", "st", "ch"}
)
_LABELLED = frozenset(
    {"appendix", "section", "table", "figure", "part", "type", "case", "step", "stage", "phase", "option"}
)

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?(?:^[ \t]*\1[ \t]*$|\Z)", re.M | re.S)
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t#]*$|^[ \t]*(?:\*\*|__)([^*_]+?)(?:\*\*|__):?[ \t]*$")
_ITEM_MARK = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?")
_NEW_ITEM = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:[-*+]|\d{1,9}[.)])[ \t]+")
_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")


# Content words


def content_words(text: str, language: str = "english") -> list[str]:
    """The words of `text` that carry its content, in order: lower-cased, stop words out, stemmed.

    Numbers are content words ("1,000" is "1000"); numeric citation marks such as "[3]" or "[4, 27]",
    LaTeX commands, math symbols and punctuation are not, nor single letters (variables, initials)."""
    stem, stop = _analyzer(_language_name(language))
    flat = _without_marks(text).replace("’", "'")
    words: list[str] = []
    for match in _TOKEN.finditer(flat):
        if match.group("number"):
            words.append(match.group("number").replace(",", ""))
            continue
        if match.group("cjk"):
            words.append(match.group("cjk"))
            continue
        word = match.group("word").casefold()
        if word not in stop and (len(word) > 1 or word.isdigit()):
            words.append(word)
    if stem is None:
        return words
    stems: list[str] = stem.stemWords(words)  # Snowball leaves numbers as they are
    return stems


def anchor_words(text: str) -> list[str]:
    """The words of `text` that read the same in any language, lower-cased: numbers, words with a digit
    ("GPT-4" gives "4") and names with a capital after their first letter ("ImageNet", "LHC"). A decimal
    comma is read as a point ("93,5" is "93.5")."""
    return [word for word, raw in _normalised(text) if _is_anchor(raw)]


def _all_words(text: str) -> list[str]:
    """Every token of `text`, normalised as `anchor_words` are: what they are looked up in."""
    return [word for word, _raw in _normalised(text)]


def _normalised(text: str) -> list[tuple[str, str]]:
    """(normalised, as written) for each token: numbers without thousands commas, words lower-cased."""
    flat = _DECIMAL_COMMA.sub(r"\1.\2", _without_marks(text))
    return [
        (m.group(0).replace(",", "") if m.group("number") else m.group(0).casefold(), m.group(0))
        for m in _TOKEN.finditer(flat)
    ]


def _without_marks(text: str) -> str:
    """`text` without citation marks ("[3]", "[4, 27]") and LaTeX commands, which are no one's words."""
    return _LATEX_COMMAND.sub(" ", _CITATION_MARK.sub(" ", text))


def _is_anchor(token: str) -> bool:
    return any(c.isdigit() for c in token) or any(c.isupper() for c in token[1:])


def _language_name(language: str) -> str:
    name = language.strip().casefold()
    mapping: dict[str, str] = stopwords.LANGUAGE_MAPPING
    return mapping.get(name, name)


@lru_cache(maxsize=16)
def _analyzer(language: str) -> tuple[Stemmer.Stemmer | None, frozenset[str]]:
    """The stemmer and stop words for `language`; (None, empty) parts where a library does not know it."""
    stem = Stemmer.Stemmer(language) if language in Stemmer.algorithms() else None
    stop = frozenset(w.casefold() for w in stopwords.safe_get_stopwords(language) if w)
    if language == "english":
        stop |= DISCOURSE_WORDS
    return stem, stop


# Sentences


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of plain `text`; `text[start:end]` is verbatim and stripped.

    A blank line always ends a sentence; so does ".", "!" or "?" (with closing quotes, brackets or a
    superscript citation) before a word that starts with a capital, a digit or an opening bracket, unless
    the word before it is an abbreviation or an initial."""
    spans: list[tuple[int, int]] = []
    for start, end in _paragraph_spans(text):
        cursor = start
        for match in _SENTENCE_END.finditer(text, start, end):
            if _ends_sentence(text, start, match):
                spans.append(_stripped(text, cursor, match.end()))
                cursor = match.end()
        spans.append(_stripped(text, cursor, end))
    return [(a, b) for a, b in spans if b > a]


def plain_sentences(text: str) -> list[str]:
    """The sentences of plain `text`, verbatim (see `sentence_spans`)."""
    return [text[a:b] for a, b in sentence_spans(text)]


def split_sentences(markdown: str, *, headings: bool = False) -> list[str]:
    """The sentences of generated Markdown, without its markup.

    Bullets, numbering, quote marks, emphasis, inline code ticks and link targets are stripped; each list
    item is its own paragraph; fenced code is left out, and so are headings (a `## Title` line or a line
    that is only bold) unless `headings` is true. Questions keep their "?"."""
    sentences: list[str] = []
    for block in _markdown_blocks(markdown, headings):
        plain = _EMPHASIS.sub("", _LINK.sub(r"\1", block))
        sentences.extend(" ".join(s.split()) for s in plain_sentences(plain))
    return [s for s in sentences if s]


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _PARAGRAPH.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _stripped(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _ends_sentence(text: str, paragraph_start: int, match: re.Match[str]) -> bool:
    following = match.group("next")
    if not (following.isupper() or following.isdigit()):
        return False
    before = text[max(paragraph_start, match.start() - 80) : match.start()].split()
    word = before[-1].lstrip("([\"“'‘").casefold() if before else ""
    if match.group("superscript") and not (len(word) > 1 and word[-2:].isalpha()):
        return False  # "0.5 The" or "2d.5" is a number, not a citation after a full stop
    if text[match.start()] != ".":
        return True
    if word in _ABBREVIATIONS:
        return False
    if len(word) == 1 and word.isalpha():  # an initial, unless it names something: "Appendix A."
        return len(before) > 1 and before[-2].casefold() in _LABELLED
    return True


def _markdown_blocks(markdown: str, headings: bool) -> list[str]:
    """Paragraphs, list items and (optionally) headings of `markdown`, each as one line of text."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in _FENCE.sub("\n", markdown.replace("\r\n", "\n")).split("\n"):
        heading = _HEADING.match(line)
        if not line.strip() or heading:
            current = None
            if heading and headings:
                blocks.append([heading.group(1) or heading.group(2)])
            continue
        content = _ITEM_MARK.sub("", line, count=1).strip()
        if current is None or _NEW_ITEM.match(line):
            current = []
            blocks.append(current)
        current.append(content)
    return [" ".join(block) for block in blocks]


# The index over the passages


class SupportIndex:
    """The passages the model was given, indexed once for `support` and `copied` checks."""

    def __init__(
        self,
        passages: str | Sequence[str],
        language: str = "english",
        *,
        answer_language: str | None = None,
        in_passage_language: Callable[[str], bool] | None = None,
    ) -> None:
        """`language` is the passages' (a name or an ISO code). Where the answer is asked in another one,
        `answer_language` names it and `in_passage_language` tells, sentence by sentence, whether the model
        wrote in the passages' language all the same: the other sentences can only be checked by their
        `anchor_words` (language.py)."""
        texts = [passages] if isinstance(passages, str) else list(passages)
        self.language = language
        self.answer_language = answer_language or language
        self._in_passage_language = in_passage_language if self.answer_language != language else None
        self._vocabulary = frozenset(w for text in texts for w in content_words(text, language))
        self._tokens = (
            frozenset(w for text in texts for w in _all_words(text))
            if self._in_passage_language
            else frozenset()
        )
        self._sentences = [_words(s) for text in texts for s in plain_sentences(text)]
        self._sentences = [words for words in self._sentences if words]
        self._postings: dict[str, list[int]] = {}
        for i, words in enumerate(self._sentences):
            for word in dict.fromkeys(words):
                self._postings.setdefault(word, []).append(i)

    def support(self, sentence: str) -> float:
        """The fraction of the sentence's content words (counted with repeats) found in the passages.

        A sentence without content words ("It is.") has nothing to check and scores 1.0; callers that
        count supported sentences should skip those (`content_words(sentence)` is empty)."""
        words, known = self._checked(sentence)
        if not words:
            return 1.0
        return sum(w in known for w in words) / len(words)

    def is_supported(self, sentence: str, threshold: float = SUPPORT_THRESHOLD) -> bool:
        return self.support(sentence) >= threshold

    def missing(self, sentence: str) -> list[str]:
        """The sentence's content words (stems) that the passages never use, once each, in order."""
        words, known = self._checked(sentence)
        return list(dict.fromkeys(w for w in words if w not in known))

    def translated(self, sentence: str) -> bool:
        """Whether `sentence` is in another language than the passages (so only its anchors are checked)."""
        return self._in_passage_language is not None and not self._in_passage_language(sentence)

    def _checked(self, sentence: str) -> tuple[list[str], frozenset[str]]:
        """The sentence's words to look for, and where to look."""
        if self.translated(sentence):
            return anchor_words(sentence), self._tokens
        return content_words(sentence, self.language), self._vocabulary

    def copied(self, sentence: str, threshold: float = COPY_THRESHOLD) -> bool:
        """True when `threshold` of the sentence's words appear, in order, in one sentence of the passages.

        Words are lower-cased runs of letters and digits (stop words count here). Only passage sentences
        that share one of the sentence's rarest words can qualify, so the LCS runs on a few candidates."""
        words = _words(sentence)
        if not words:
            return False
        need = -(-len(words) * round(threshold * 100) // 100)  # ceil without float error: 0.9 * 10 is 9
        return any(_lcs_length(words, self._sentences[i]) >= need for i in self._candidates(words, need))

    def _candidates(self, words: list[str], need: int) -> list[int]:
        """Passage sentences that could hold `need` of `words` in order (by the pigeonhole principle: a
        sentence that misses at most len - need of them holds one of any len - need + 1 of them)."""
        rarest = sorted(dict.fromkeys(words), key=lambda w: len(self._postings.get(w, ())))
        pool: set[int] = set()
        for word in rarest[: len(words) - need + 1]:
            pool.update(self._postings.get(word, ()))
        wanted = Counter(words)
        return [
            i
            for i in sorted(pool)
            if len(self._sentences[i]) >= need and _overlap(wanted, self._sentences[i]) >= need
        ]


def _words(text: str) -> list[str]:
    plain = unicodedata.normalize("NFKC", _LATEX_COMMAND.sub(" ", text)).casefold()
    return _WORD.findall(plain)


def _overlap(wanted: Counter[str], words: list[str]) -> int:
    have = Counter(words)
    return sum(min(n, have[w]) for w, n in wanted.items())


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists (one row of the DP table at a time)."""
    row = [0] * (len(b) + 1)
    for x in a:
        diagonal = 0
        for j, y in enumerate(b, start=1):
            above = row[j]
            row[j] = diagonal + 1 if x == y else max(row[j], row[j - 1])
            diagonal = above
    return row[-1]

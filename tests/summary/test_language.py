"""The paper's language and the answer's: read from the text (py3langid) and the setting (langcodes)."""

from __future__ import annotations

import pytest

from arxivgpt.summary.language import answer_language, language_note, paper_language, support_language

ENGLISH = (
    "We study random network coding on the Bethe lattice and show that the decoding probability approaches "
    "one as the field size grows."
)
FRENCH = (
    "Nous étudions le codage réseau aléatoire sur le réseau de Bethe et montrons que la probabilité de "
    "décodage tend vers un lorsque la taille du corps augmente."
)
GERMAN = (
    "Wir untersuchen zufällige Netzwerkcodierung auf dem Bethe-Gitter und zeigen, dass die "
    "Decodierwahrscheinlichkeit mit wachsender Körpergröße gegen eins geht."
)
CHINESE = (
    "我们研究贝特晶格上的随机网络编码，并证明当域的大小增长时，解码概率趋近于一。我们还计算了丢包的影响。"
)


@pytest.mark.parametrize(
    ("setting", "code"),
    [
        ("English", "en"),
        ("english", "en"),
        ("Deutsch", "de"),
        ("German", "de"),
        ("de", "de"),
        ("中文", "zh"),
        ("français", "fr"),
        ("pt-BR", "pt"),
        ("  Español ", "es"),
        ("", None),
        ("no such language at all", None),
    ],
)
def test_the_language_setting_is_read_however_it_is_written(setting: str, code: str | None) -> None:
    assert answer_language(setting) == code


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        ((ENGLISH,), "en"),
        (("Title", FRENCH), "fr"),
        ((GERMAN,), "de"),
        ((CHINESE,), "zh"),
        (("A title",), None),  # too little to tell
        (("", "  "), None),
    ],
)
def test_the_papers_language_is_read_from_its_text(texts: tuple[str, ...], code: str | None) -> None:
    assert paper_language(*texts) == code


@pytest.mark.parametrize(
    ("setting", "texts", "cross_lingual", "description"),
    [
        ("English", (ENGLISH,), False, "content words, in English"),
        ("Deutsch", (GERMAN,), False, "content words, in German"),
        (
            "Deutsch",
            (ENGLISH,),
            True,
            "names and numbers only where a sentence is in German: the paper is in English",
        ),
        (
            "English",
            (FRENCH,),
            True,
            "names and numbers only where a sentence is in English: the paper is in French",
        ),
        ("English", ("Tiny",), False, "content words, in English"),  # an unknown paper language: the answer's
        ("no such language", (ENGLISH,), False, "content words, in English"),  # not a language: English
    ],
)
def test_the_support_check_compares_like_with_like(
    setting: str, texts: tuple[str, ...], cross_lingual: bool, description: str
) -> None:
    checked = support_language(setting, *texts)
    assert checked.cross_lingual is cross_lingual
    assert checked.description.startswith(description)


@pytest.mark.parametrize(
    ("sentence", "in_paper_language"),
    [
        ("GPT-4 erreicht 93,5 Prozent auf ImageNet.", False),
        ("Die Daten des LHC stimmen überein.", False),
        ("In this paper, we study the LHC data.", True),  # a small model often answers in English anyway
        ("The model reaches 93.5 percent on ImageNet.", True),
    ],
)
def test_each_sentence_is_told_apart_between_the_two_languages(
    sentence: str, in_paper_language: bool
) -> None:
    assert support_language("Deutsch", ENGLISH).in_paper_language(sentence) is in_paper_language


def test_a_language_langid_does_not_know_is_always_checked_by_names_and_numbers() -> None:
    checked = support_language("Klingon", ENGLISH)
    assert checked.cross_lingual and not checked.in_paper_language("In this paper, we study the LHC data.")


@pytest.mark.parametrize(
    ("setting", "summary", "note"),
    [
        ("Deutsch", ENGLISH, "asked for Deutsch, but the model wrote English"),
        ("German", f"## Summary\n{ENGLISH}", "asked for German, but the model wrote English"),
        ("中文", ENGLISH, "asked for 中文, but the model wrote English"),
        ("English", f"## Zusammenfassung\n{GERMAN}", "asked for English, but the model wrote German"),
        ("Deutsch", GERMAN, None),
        ("English", ENGLISH, None),
        ("中文", CHINESE, None),
        # Headings and list markers that the template fixes in English are not what is judged.
        ("Deutsch", f"## Summary\n{GERMAN}\n\n## Key insights\n- {GERMAN} [1]", None),
        ("Français", FRENCH, None),
        ("Elvish", ENGLISH, None),  # names no language langcodes knows: nothing to compare with
        ("Deutsch", "## Summary\nGPT-4 [1]", None),  # too little prose to tell
    ],
)
def test_the_answer_says_when_the_model_wrote_another_language(
    setting: str, summary: str, note: str | None
) -> None:
    assert language_note(setting, summary) == note

"""Unit tests for index/loading/text.py: normalization and sentence spans (pure, no model)."""

from __future__ import annotations

import unicodedata

from index.loading.text import normalize_text, sentence_spans, split_sentences


def assert_spans_are_exact(text: str) -> list[tuple[int, int]]:
    """Every span slices its sentence out of `text`, trimmed, in order, without overlap."""
    spans = sentence_spans(text)
    previous_end = 0
    for start, end in spans:
        assert previous_end <= start < end <= len(text)
        piece = text[start:end]
        assert piece == piece.strip(), f"span {start, end} is not trimmed: {piece!r}"
        previous_end = end
    assert [text[s:e] for s, e in spans] == split_sentences(text)
    return spans


# --- abbreviations and initials -------------------------------------------------------------

def test_titles_do_not_end_a_sentence() -> None:
    assert split_sentences("Mr. Smith met Dr. Jones. They talked.") == [
        "Mr. Smith met Dr. Jones.",
        "They talked.",
    ]


def test_dotted_abbreviations_do_not_end_a_sentence() -> None:
    text = "The U.S. Senate voted on Tuesday. The U.K. Parliament did not."
    assert split_sentences(text) == ["The U.S. Senate voted on Tuesday.", "The U.K. Parliament did not."]


def test_initials_do_not_end_a_sentence() -> None:
    text = "The report was written by J. Smith and A. B. Jones. It was long."
    assert split_sentences(text) == ["The report was written by J. Smith and A. B. Jones.", "It was long."]


def test_abbreviation_after_an_opening_bracket_is_still_an_abbreviation() -> None:
    assert split_sentences("He met the envoy (Gen. Smith) today. Nothing followed.") == [
        "He met the envoy (Gen. Smith) today.",
        "Nothing followed.",
    ]


def test_decimal_numbers_and_lowercase_continuations_do_not_split() -> None:
    assert split_sentences("It cost 3.5 billion euros. Then 4 more were spent.") == [
        "It cost 3.5 billion euros.",
        "Then 4 more were spent.",
    ]
    # A period followed by a lower-case word is not a sentence end.
    assert split_sentences("Talks ended at the min. level and resumed later.") == [
        "Talks ended at the min. level and resumed later."
    ]


# --- terminal punctuation, quotes, paragraphs --------------------------------------------------

def test_question_and_exclamation_marks_split() -> None:
    assert split_sentences("Is it true? Yes! It is.") == ["Is it true?", "Yes!", "It is."]


def test_sentence_can_end_with_a_digit_start() -> None:
    assert split_sentences("They met in Paris. 2024 was the year.") == ["They met in Paris.", "2024 was the year."]


def test_closing_quotes_and_brackets_stay_with_their_sentence() -> None:
    assert split_sentences('He said "Stop." Then he left.') == ['He said "Stop."', "Then he left."]
    assert split_sentences("He said “Stop!” Then he left.") == ["He said “Stop!”", "Then he left."]
    assert split_sentences("It was over (finally.) Everyone went home.") == [
        "It was over (finally.)",
        "Everyone went home.",
    ]


def test_opening_quote_can_start_the_next_sentence() -> None:
    assert split_sentences('He paused. "We will not wait," he said.') == [
        "He paused.",
        '"We will not wait," he said.',
    ]


def test_paragraph_break_splits_even_without_punctuation() -> None:
    text = "A headline without a period\n\nThe body starts here. It goes on"
    assert split_sentences(text) == ["A headline without a period", "The body starts here.", "It goes on"]
    # A blank line made of spaces is a paragraph break too.
    assert split_sentences("First part\n   \nSecond part") == ["First part", "Second part"]


def test_single_newline_does_not_split() -> None:
    assert split_sentences("A line that wraps\nonto the next one.") == ["A line that wraps\nonto the next one."]


# --- offsets ----------------------------------------------------------------------------------

def test_offsets_slice_the_sentences_and_are_trimmed() -> None:
    text = "  Mr. Smith arrived.   Is he here?\n\n\n  “Yes,” she said.  \n"
    spans = assert_spans_are_exact(text)
    assert [text[s:e] for s, e in spans] == ["Mr. Smith arrived.", "Is he here?", "“Yes,” she said."]
    assert spans[0] == (2, 20)


def test_offsets_on_a_realistic_paragraph() -> None:
    text = (
        "French President Emmanuel Macron said on Monday that sending Western troops to "
        "Ukraine could not be ruled out. \"Nothing should be excluded,\" he told reporters "
        "in Paris. Dr. Olaf Scholz, the German chancellor, disagreed!\n\nThe U.S. said it had "
        "no such plans. Was it a bluff? Analysts were divided."
    )
    spans = assert_spans_are_exact(text)
    assert len(spans) == 6
    assert text[spans[2][0]:spans[2][1]] == "Dr. Olaf Scholz, the German chancellor, disagreed!"


def test_spans_within_a_range_are_relative_to_the_whole_text() -> None:
    text = "Intro here. Alpha one. Beta two. Gamma three."
    spans = sentence_spans(text, 12, 32)
    assert [text[s:e] for s, e in spans] == ["Alpha one.", "Beta two."]
    assert all(12 <= s < e <= 32 for s, e in spans)


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t") == []
    assert split_sentences("") == []


# --- normalization ----------------------------------------------------------------------------

def test_normalize_applies_nfc() -> None:
    decomposed = "Cafe\u0301 de Flore"
    result = normalize_text(decomposed)
    assert result == "Café de Flore"
    assert unicodedata.is_normalized("NFC", result)


def test_normalize_unifies_newlines() -> None:
    assert normalize_text("one\r\ntwo\rthree\nfour") == "one\ntwo\nthree\nfour"


def test_normalize_collapses_runs_of_spaces_and_trims_lines() -> None:
    assert normalize_text("  a   b\t\tc \u00a0 d  \n   e  ") == "a b c d\ne"


def test_normalize_keeps_at_most_one_blank_line() -> None:
    assert normalize_text("a\n\n\n\n\nb\r\n\r\n\r\n\r\nc\n\nd") == "a\n\nb\n\nc\n\nd"
    # Lines holding only spaces count as blank.
    assert normalize_text("a\n  \n \t \n\nb") == "a\n\nb"


def test_normalize_strips_byte_order_marks_and_outer_blank_lines() -> None:
    assert normalize_text("\ufeff\n\n  Title\n\nBody.\n\n\n") == "Title\n\nBody."


def test_normalize_is_idempotent() -> None:
    text = "  Cafe\u0301 \r\n\r\n\r\n  x  y \n"
    once = normalize_text(text)
    assert normalize_text(once) == once

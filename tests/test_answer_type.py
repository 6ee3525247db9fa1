"""The kind of answer a question asks for, and whether a sentence holds one it does not repeat."""

from __future__ import annotations

import pytest

from qa.answer_type import expected_type, holds_type


@pytest.mark.parametrize("question, kind", [
    ("When did the harbour reopen?", "date"),
    ("In which year was the railway built?", "date"),
    ("How many stations does ABC have?", "number"),
    ("What percentage of households are single?", "number"),
    ("Who designed the lighthouse?", "name"),
    ("Where were the engines built?", "name"),
    ("What colour is the lighthouse?", None),
])
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_holds_type_ignores_what_the_question_already_says() -> None:
    assert holds_type("The railway opened in 1887.", "date", "When did the railway open?")
    assert not holds_type("The railway opened in 1887.", "date", "What happened to the railway in 1887?")
    assert holds_type("It has 232 affiliated stations.", "number", "How many stations?")
    assert not holds_type("It has many stations.", "number", "How many stations?")
    assert holds_type("The engines were built in Glasgow.", "name", "Where were the engines built?")
    assert not holds_type("Anything at all.", None, "What colour is it?")

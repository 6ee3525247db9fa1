"""The kind of answer a question asks for, and whether a sentence holds one it does not repeat."""

from __future__ import annotations

import pytest

from qa.answer_type import expected_type, holds_type, new_spans


@pytest.mark.parametrize("question, kind", [
    ("When did the harbour reopen?", "date"),
    ("In which year was the railway built?", "date"),
    ("How many stations does ABC have?", "count"),
    ("What percentage of households are single?", "percent"),
    ("how much do the glasses cost", "money"),
    ("How much do the glasses weigh?", "number"),
    ("How much rain fell on Tuesday?", "number"),
    ("What's the price of the new phone?", None),
    ("What is the price of the new phone?", "money"),
    ("what time does the match start", "time"),
    ("How long did the strike last?", "duration"),
    ("How old is the mayor?", "number"),
    ("Who designed the lighthouse?", "person"),
    ("Which leader rejected ground troops?", "person"),
    ("Where were the engines built?", "place"),
    ("In which city was the summit?", "place"),
    ("Why did the drivers strike?", "reason"),
    ("Which company recalled the meals?", "name"),
    ("What colour is the lighthouse?", None),
])
def test_expected_type(question: str, kind: str | None) -> None:
    assert expected_type(question) == kind


def test_holds_type_ignores_what_the_question_already_says() -> None:
    assert holds_type("The railway opened in 1887.", "date", "When did the railway open?")
    assert not holds_type("The railway opened in 1887.", "date", "What happened to the railway in 1887?")
    assert holds_type("It has 232 affiliated stations.", "count", "How many stations?")
    assert not holds_type("It has many stations.", "count", "How many stations?")
    assert holds_type("The engines were built in Glasgow.", "place", "Where were the engines built?")
    assert not holds_type("The engines were built locally.", "place", "Where were the engines built?")
    assert not holds_type("Anything at all.", None, "What colour is it?")


@pytest.mark.parametrize("kind, sentence, found", [
    ("money", "The glasses will cost $299, or €279 in Europe.", ["$299", "€279"]),
    ("money", "The city was fined 4.2 million dollars.", ["4.2 million dollars"]),
    ("percent", "Turnout rose to 61.5 percent, up 3%.", ["61.5 percent", "3%"]),
    ("time", "Kick-off is at 7:30 p.m. and gates open at noon.", ["7:30 p.m.", "noon"]),
    ("date", "The verdict came on Tuesday, March 12.", ["Tuesday", "March 12"]),
    ("place", "The summit was held in Paris, near the Élysée.", ["Paris"]),
    ("person", "Dutch Prime Minister Mark Rutte dismissed the idea.", ["Mark Rutte"]),
])
def test_spans_of_each_kind(kind: str, sentence: str, found: list[str]) -> None:
    assert [s.text for s in new_spans(sentence, kind, "")] == found


def test_titles_and_nationalities_are_not_part_of_a_name() -> None:
    spans = [s.text for s in new_spans("Prime Minister Mark Rutte spoke.", "person", "")]
    assert spans == ["Mark Rutte"]
    assert [s.text for s in new_spans("French President Emmanuel Macron spoke.", "person", "")] == ["Emmanuel Macron"]
    # "the French president" names no one: it does not answer "who".
    assert not holds_type("The French president declined to comment.", "person", "Who is the president?")

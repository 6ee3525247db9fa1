"""The kind of answer a question asks for, and whether a sentence holds one it does not repeat."""

from __future__ import annotations

import pytest

from qa.answering.answer_type import asked_measure, counted_nouns, expected_type, holds_type, new_spans
from qa.answering.lexical import stem


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


def test_a_name_after_a_place_word_is_no_who() -> None:
    # "a 16-year-old from Tacoma" names a place: "who was last year's champion?" is not "Tacoma"
    # ("to" is left out: a board sold "to Alan Hale" goes to a person)
    sentence = "A 16-year-old from Tacoma beat Dmitri Sokolov, who lives in Oslo, and sold a board to Alan Hale."
    assert [s.text for s in new_spans(sentence, "person", "")] == ["Dmitri Sokolov", "Alan Hale"]
    assert {"Tacoma", "Oslo"} <= {s.text for s in new_spans(sentence, "place", "")}


def test_titles_and_nationalities_are_not_part_of_a_name() -> None:
    spans = [s.text for s in new_spans("Prime Minister Mark Rutte spoke.", "person", "")]
    assert spans == ["Mark Rutte"]
    assert [s.text for s in new_spans("French President Emmanuel Macron spoke.", "person", "")] == ["Emmanuel Macron"]
    # "the French president" names no one: it does not answer "who".
    assert not holds_type("The French president declined to comment.", "person", "Who is the president?")


# --- measures, counted nouns, names the question already gives -------------------------------


@pytest.mark.parametrize("question, measure", [
    ("how much does the kestrel weigh", "weight"),
    ("How heavy is the satellite?", "weight"),
    ("how old is she", "age"),
    ("how fast were the winds", "speed"),
    ("how hot did it get on monday", "temperature"),
    ("how far is the camp from the city", "distance"),
    ("how tall is the tower", "size"),
    ("how many people came", None),
])
def test_asked_measure(question: str, measure: str | None) -> None:
    assert asked_measure(question) == measure


@pytest.mark.parametrize("sentence, question, holds", [
    ("The Kestrel costs $249 with 32 gigabytes of storage.", "how much does the kestrel weigh", False),
    ("The glasses weigh 49 grams.", "how much do the glasses weigh", True),
    ("Priya Raman, a 19-year-old from Ohio, reached the final.", "how old is she", True),
    ("Two people in Ohio have been hospitalized.", "how old are the people in hospital", False),
    ("The springs were 10 degrees warmer than the water around them.", "how big are the octopuses", False),
    ("A crowd of 31,412 watched.", "how big was the crowd", True),
    ("Gusts reached 60 mph on the coast.", "how fast were the winds", True),
    ("Gusts reached 60 on the coast.", "how fast were the winds", False),
])
def test_a_measure_needs_a_unit_of_its_kind(sentence: str, question: str, holds: bool) -> None:
    assert holds_type(sentence, expected_type(question), question) is holds


@pytest.mark.parametrize("sentence, question, holds", [
    ("The tournament drew 64 teams to Duluth.", "how many teams played in the invitational", True),
    ("Seven patients have been hospitalized.", "how many kids have been hospitalized", True),  # people count
    ("Twelve of the 14 had not received any doses.", "how many of the first 14 patients had no vaccine", True),
    ("The number of homes destroyed has risen to 47.", "how many homes has the fire destroyed", True),
    ("The states with cases: Minnesota (12), Wisconsin (6).", "how many cases does wisconsin have", True),
    ("A study found that 42% of UK teachers felt stressed.", "how many teachers felt stressed", True),
    ("The authority said 49 of its 61 routes were cancelled.", "how many mechanics are on strike", False),
    ("A crowd of 31,412 saw Rovers take the lead.", "how many yellow cards did rovers get", False),
    ("Macron outlined five key areas of consensus.", "how many countries attended the conference", False),
])
def test_a_count_must_count_what_was_asked(sentence: str, question: str, holds: bool) -> None:
    assert expected_type(question) == "count"
    assert holds_type(sentence, "count", question) is holds


def test_counted_nouns() -> None:
    assert counted_nouns("how many yellow cards did rovers get") == {stem("yellow"), stem("cards")}
    assert stem("patients") in counted_nouns("how many kids were hurt")  # people are counted as people
    assert counted_nouns("what did they count") == set()


def test_a_name_mostly_in_the_question_is_not_new() -> None:
    question = "which grocery stores sold the recalled green pantry meals"
    assert expected_type(question) == "name"
    assert not holds_type("Green Pantry Foods is recalling about 87,000 pounds of meals.", "name", question)
    assert holds_type("The meals were sold at Kroger and Meijer stores.", "name", question)
    # One word shared of two is another person: "John Doe" answers "who replaced John Smith?"
    assert [s.text for s in new_spans("John Doe replaced him.", "person", "who replaced John Smith")] == ["John Doe"]


@pytest.mark.parametrize("question, kind", [
    ("what's the name of the firefighter who got heat exhaustion", "person"),
    ("which countries get lumen in 2025", "place"),
    ("which states were the meals sold in", "place"),
    ("what are the new octopus species called", "name"),
    ("what is the name of the hospital", "name"),
])
def test_more_ways_to_ask_for_a_name_or_place(question: str, kind: str) -> None:
    assert expected_type(question) == kind


def test_a_place_in_an_inline_list_and_no_number_word_as_a_name() -> None:
    assert holds_type("The meals were sold in five states: Ohio, Indiana and Michigan.", "place",
                      "which states were the meals sold in")
    assert new_spans('"Three years is a long time to wait," Markova said.', "person", "who is markova's coach") == []


def test_a_question_naming_a_role_wants_a_person_not_an_organization() -> None:
    question = "who is alder county's fire chief"
    assert not holds_type("The Cutter's Ridge Fire in Alder County has grown to 21,700 acres.", "person", question)
    assert holds_type("The number of homes destroyed has risen to 47, fire chief Ramon Diaz said.", "person",
                      question)
    # Without a role, "who" may be answered by an organization.
    assert holds_type("Halvorsen Group made an offer for Northwind.", "person", "who wants to buy northwind")


def test_the_noun_after_which_decides_not_a_later_who() -> None:
    assert expected_type("which country had the player who brought measles visited") == "place"
    assert expected_type("which leader rejected ground troops?") == "person"
    assert not holds_type("Flames spread east of Pine Hollow.", "person", "who is the fire chief")


def test_areas_are_topics_more_often_than_places() -> None:
    # "Which areas were they?" after "Macron outlined five key areas" asks for topics.
    assert expected_type("Which areas were they?") is None
    assert expected_type("which area was evacuated") == "place"

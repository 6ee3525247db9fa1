"""Unit tests for qa/answering/lexical.py (terms, stems, IDF overlap) and qa/answering/history.py (follow-ups)."""

from __future__ import annotations

import pytest

from qa.answering.history import (
    Exchange,
    answer_lead,
    is_follow_up,
    parse_history,
    referent_people,
    resolve,
    resolve_pronouns,
)
from qa.answering.lexical import STOPWORDS, idf_weights, overlap, stem, terms

# --- stem and terms ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", [
    ("announce", "announced", "announces", "announcing"),
    ("missile", "missiles"),
    ("aim", "aims", "aimed"),
    ("country", "countries"),
    ("troop", "troops"),
])
def test_stem_unifies_inflections(family: tuple[str, ...]) -> None:
    assert len({stem(word) for word in family}) == 1, {word: stem(word) for word in family}


def test_stem_keeps_words_ending_in_ss_us_is() -> None:
    assert stem("press") == "press"
    assert stem("bus") == "bus"
    assert stem("news") == "news"
    assert stem("passes") == stem("pass")


def test_stem_is_snowball_english() -> None:
    # Porter2 stems, not a prefix: "international" no longer meets "internet" or "interns".
    assert [stem(w) for w in ("international", "internet", "parliamentarians", "dying", "generously")] == [
        "internat", "internet", "parliamentarian", "die", "generous"]


def test_stem_is_the_same_from_many_threads() -> None:
    # A PyStemmer stemmer is not thread-safe: each thread gets its own.
    from concurrent.futures import ThreadPoolExecutor

    words = ["announcing", "countries", "missiles", "reopened", "harbours", "generously"] * 200
    expected = [stem(w) for w in words]
    with ThreadPoolExecutor(8) as pool:
        assert all(got == expected for got in pool.map(lambda _: [stem(w) for w in words], range(16)))


def test_terms_drop_stopwords_and_single_letters() -> None:
    assert terms("What did the President say about it?") == ["presid"]
    assert terms("The U.S. and a UK") == ["uk"]
    assert terms("") == []
    for word in ("the", "said", "according", "whose"):
        assert word in STOPWORDS and terms(word) == []


def test_terms_lower_case_possessives_and_curly_apostrophes() -> None:
    assert terms("Macron's plan") == terms("Macron’s PLAN") == ["macron", "plan"]


def test_question_and_sentence_terms_meet_through_stems() -> None:
    question = set(terms("Which missiles were announced?"))
    sentence = set(terms("The minister announces a new missile programme."))
    assert {"missil", "announc"} <= question & sentence


# --- idf_weights and overlap ------------------------------------------------------------------

DOCS = [{"macron", "troop", "ukrain"}, {"macron", "europe"}, {"macron", "paris"}, {"macron", "troop"}]


def test_idf_ranks_common_terms_below_rare_and_missing_ones() -> None:
    weights = idf_weights({"macron", "troop", "ukrain", "absent"}, DOCS)
    assert set(weights) == {"macron", "troop", "ukrain", "absent"}
    assert weights["macron"] < weights["troop"] < weights["ukrain"] < weights["absent"]
    assert all(w > 0 for w in weights.values()), "a term in every document still weighs a little"


def test_idf_without_documents() -> None:
    assert idf_weights({"x"}, [])["x"] > 0
    assert idf_weights(set(), DOCS) == {}


def test_overlap_is_a_weighted_share_in_unit_interval() -> None:
    weights = idf_weights({"macron", "troop", "ukrain"}, DOCS)
    assert overlap(weights, set()) == 0.0
    assert overlap(weights, {"macron", "troop", "ukrain", "other"}) == pytest.approx(1.0)
    common_only = overlap(weights, {"macron"})
    rare_only = overlap(weights, {"ukrain"})
    assert 0.0 < common_only < rare_only < 1.0
    for sentence in ({"macron"}, {"troop", "paris"}, {"ukrain", "macron"}, {"zzz"}):
        assert 0.0 <= overlap(weights, sentence) <= 1.0


def test_overlap_with_no_weights_is_zero() -> None:
    assert overlap({}, {"anything"}) == 0.0


# --- parse_history: the user's turns ------------------------------------------------------------


def user_turns(history: object) -> list[str]:
    return [exchange.question for exchange in parse_history(history)]


def test_user_turns_from_role_content_dicts() -> None:
    history = [
        {"role": "user", "content": "What did Macron say?"},
        {"role": "assistant", "content": "He said troops could be sent."},
        {"role": "user", "content": [{"type": "file", "path": "x.png"}]},  # not a string
        {"role": "user", "content": "   "},  # blank
        {"role": "system", "content": "ignored"},
        {"content": "no role"},
        {"role": "user", "content": "Who disagreed?"},
    ]
    assert user_turns(history) == ["What did Macron say?", "Who disagreed?"]


def test_user_turns_from_pairs() -> None:
    history = [("First question?", "First answer."), ["Second question?", None], (None, "orphan answer"), ()]
    assert user_turns(history) == ["First question?", "Second question?"]


def test_user_turns_of_nothing() -> None:
    assert user_turns(None) == []
    assert user_turns([]) == []


# --- is_follow_up and the retrieval query -----------------------------------------------------

MESSAGES = [
    {"role": "user", "content": "What did Macron say about ground troops?"},
    {"role": "assistant", "content": "He said nothing should be ruled out [1]."},
]
HISTORY = parse_history(MESSAGES)


@pytest.mark.parametrize("question", [
    "And why?",  # an opener, and too few content words
    "What about Germany?",
    "Who opposed it?",
])
def test_follow_ups_are_joined_with_the_last_user_question(question: str) -> None:
    assert is_follow_up(question)
    assert resolve(question, HISTORY).query == f"What did Macron say about ground troops? {question}"
    # When "it" points back, the first sentence of the answer is what it points to.
    expected = "What did Macron say about ground troops?"
    if "it" in question.rstrip("?").split():
        expected += " He said nothing should be ruled out."
    assert resolve(question, HISTORY).context == expected


@pytest.mark.parametrize("question", [
    "Who is the president of France?",
    "How many troops did Germany send to Poland?",
])
def test_standalone_questions_are_left_alone(question: str) -> None:
    assert not is_follow_up(question)
    assert resolve(question, HISTORY).query == question


def test_follow_up_uses_the_latest_user_question() -> None:
    history = parse_history(MESSAGES + [{"role": "user", "content": "Did Scholz agree with Macron?"},
                                        {"role": "assistant", "content": "No [1]."}])
    assert resolve("Why not?", history).query == "Did Scholz agree with Macron? Why not?"
    assert resolve("Why not?", [Exchange("Did Scholz agree?", "No.")]).query == "Did Scholz agree? Why not?"


def test_without_history_the_question_stands_alone() -> None:
    assert resolve("  And why?  ", parse_history(None)).query == "And why?"
    assert resolve("Which country does he lead?", []).query == "Which country does he lead?"
    # Assistant turns alone are no user history.
    assert resolve("And why?", parse_history([{"role": "assistant", "content": "Hello."}])).query == "And why?"


# --- resolve: what a follow-up means ---------------------------------------------------------


def test_personal_pronouns_take_the_last_person_named() -> None:
    follow = resolve("What did he announce about missiles?",
                     parse_history([{"role": "user", "content": "What did Macron say at the conference?"},
                                    {"role": "assistant", "content": "..."}]))
    assert follow.is_follow_up and follow.resolved == "What did Macron announce about missiles?"
    assert follow.query == "What did Macron say at the conference? What did Macron announce about missiles?"
    assert resolve("Which country does he lead?", HISTORY).query == (
        "What did Macron say about ground troops? Which country does Macron lead?")


@pytest.mark.parametrize(("asked", "answer", "person"), [
    ("who runs the harbor city transit authority?", "Paul Brennan is its chief executive.", "Paul Brennan"),
    ("who runs the palace theater?", "Executive director Carla Jimenez.", "Carla Jimenez"),
    ("who sentenced victor almeida?", "U.S. District Judge Renee Castillo.", "Renee Castillo"),
    ("who scored for kingsmere?", "Luca Ferri [1]. Luca Ferri converted a penalty in the 71st minute. [1]",
     "Luca Ferri"),
    ("who led the expedition?", "**Uncertain:** The closest the articles come: Dr. Ana Solís led it. [1]",
     "Ana Solís"),
])
def test_after_a_who_question_he_and_she_are_the_person_the_answer_named(asked: str, answer: str,
                                                                         person: str) -> None:
    follow = resolve("what did she say about it", parse_history([{"role": "user", "content": asked},
                                                                 {"role": "assistant", "content": answer}]))
    assert follow.resolved == f"what did {person} say about it"
    assert referent_people([Exchange(asked, answer)])[0] == person


def test_a_person_the_user_named_outranks_one_the_answer_mentions() -> None:
    history = [Exchange("What did Macron say about troops?", "Rutte disagreed with him, the report said. [1]")]
    assert referent_people(history)[0] == "Macron"
    # ... unless the user asked who: then the answer's person is the new subject.
    assert referent_people([Exchange("Who disagreed with Macron?", "Mark Rutte [1]. Mark Rutte said no. [1]")])[0] \
        == "Mark Rutte"


def test_two_genders_are_two_people() -> None:
    history = [Exchange("who sentenced Victor Almeida?", "U.S. District Judge Renee Castillo.")]
    assert resolve("why did she say he deserved a serious sentence", history).resolved == (
        "why did Renee Castillo say Victor Almeida deserved a serious sentence")
    # With one person known, the other pronoun stays.
    assert resolve("did she say he lied", [Exchange("who spoke?", "Karen Whitlow.")]).resolved \
        == "did Karen Whitlow say he lied"


def test_answer_lead_is_the_first_sentence_without_framing() -> None:
    assert answer_lead("Paris [1]. The conference was held in Paris. [1]") == "Paris."
    assert answer_lead("**Uncertain:** The closest the articles come: It rained. [2]\n\nSources") == "It rained."
    assert answer_lead("Not in the articles. The closest passages: ...") == ""
    assert answer_lead("...") == ""
    assert parse_history([{"role": "user", "content": "a?"}, {"role": "assistant", "content": "b."},
                          {"role": "user", "content": "c?"}]) == [Exchange("a?", "b."), Exchange("c?")]


def test_possessive_and_object_pronouns() -> None:
    assert resolve_pronouns("What is his plan?", "Emmanuel Macron") == "What is Emmanuel Macron's plan?"
    assert resolve_pronouns("Who criticised her plan?", "Denise Okafor") == "Who criticised Denise Okafor's plan?"
    assert resolve_pronouns("What did reporters ask her about?", "Okafor") == "What did reporters ask Okafor about?"


def test_the_last_person_is_a_name_not_a_title_or_an_acronym() -> None:
    assert referent_people([Exchange("What did Prime Minister Mark Rutte say?")])[:1] == ["Mark Rutte"]
    assert referent_people([Exchange("What did NATO decide?")]) == []
    assert referent_people([Exchange("What did Macron say?"), Exchange("Did NATO agree?")])[:1] == ["Macron"]


def test_it_and_ellipsis_keep_the_topic_as_context_only() -> None:
    follow = resolve("and how many were hurt?", [Exchange("How did the tornado hit Millbrook?", "...")])
    assert follow.resolved == "and how many were hurt?"
    assert follow.query == "How did the tornado hit Millbrook? and how many were hurt?"
    alone = resolve("How many were hurt in the Millbrook tornado?", [Exchange("Where is Millbrook?", "...")])
    assert not alone.is_follow_up and alone.query == alone.resolved

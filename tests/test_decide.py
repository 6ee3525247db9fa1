"""Ranking and deciding, with a deterministic fake encoder (no model): which sentence answers,
and whether any does."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from index.models import Hit
from index.loading.text import sentence_spans
from qa.answering.answer import NOT_IN_ARTICLES, UNCERTAIN, Decider, build_answer, short_answer, unquoted_names
from qa.answering.answer_type import expected_type
from qa.evaluation.train_judge import fit_logistic
from qa.answering.judge import CONTRAST, FEATURES, Judge, candidates, feature_matrix
from qa.answering.lexical import terms
from qa.answering.scoring import Query, score_chunks
from qa.answering.retrieve import Candidate

DIM = 256


def encode(text: str) -> np.ndarray:
    """A bag of stemmed words hashed into DIM dimensions, unit length: texts sharing words are close."""
    vector = np.zeros(DIM, dtype=np.float32)
    for term in terms(text):
        vector[int(hashlib.sha256(term.encode()).hexdigest(), 16) % DIM] += 1.0
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def hit(article_id: str, text: str, *, score: float = 0.5, keyword: float = 0.0, date: str | None = None) -> Hit:
    return Hit(article_id=article_id, title=article_id, source=f"{article_id}.txt", date=date, url=None, text=text,
               start=0, end=len(text), ordinal=0, score=score, chunk_id=article_id, keyword=keyword)


def candidate(h: Hit) -> Candidate:
    """The hit with its sentences embedded, as the store keeps them."""
    return Candidate(h, np.stack([encode(h.text[s:e]) for s, e in sentence_spans(h.text)]))


def query(question: str, window=None) -> Query:
    return Query(asked=question, question=question, retrieval=question, vectors=encode(question)[None, :],
                 tokens=np.zeros((0, 64), dtype=np.float32), kind=expected_type(question), window=window)


def scored(question: str, hits: list[Hit], window=None):
    q = query(question, window)
    return q, score_chunks(q, [candidate(h) for h in hits])


GLASSES = ("When will the glasses be available, and how much?\n\n"
           "The glasses will be available in stores on March 3. They will cost $299 in the basic version.")


def test_a_heading_that_is_a_question_is_never_quoted() -> None:
    q, chunks = scored("When will the glasses be available?", [hit("a", GLASSES)])
    roles = {s.text: s.role for s in chunks[0].sentences}
    assert roles["When will the glasses be available, and how much?"] == "question"
    decision = Decider(threshold=0.3).decide(q, chunks)
    assert decision.outcome == "answered"
    assert decision.chosen[0].text == "The glasses will be available in stores on March 3."


def test_the_asked_for_kind_must_be_in_the_quote() -> None:
    # "how much" is answered by the sentence with the amount, not by the one closest in words.
    q, chunks = scored("How much will the glasses cost?", [hit("a", GLASSES)])
    decision = Decider(threshold=0.2).decide(q, chunks)
    assert decision.outcome == "answered" and "$299" in decision.chosen[0].text
    # With no amount anywhere the best sentence is only "uncertain".
    q, chunks = scored("How much will the glasses cost?", [hit("a", "The glasses will cost more than the old ones.")])
    assert Decider(threshold=0.2).decide(q, chunks).outcome == "uncertain"


def test_nothing_relevant_is_not_in_the_articles_with_the_closest_sources() -> None:
    q, chunks = scored("Who won the chess final?", [hit("a", GLASSES), hit("b", "Rain is expected on Friday.")])
    decision = Decider(threshold=0.5, sources_on_abstain=2).decide(q, chunks)
    assert decision.outcome == "not_in_articles"
    answer = build_answer(q, decision)
    assert answer.abstained and answer.text.startswith(NOT_IN_ARTICLES) and len(answer.citations) == 2


def test_uncertain_answers_are_marked_and_not_abstentions() -> None:
    q, chunks = scored("How much will the glasses cost?", [hit("a", "The glasses will cost more than before.")])
    answer = build_answer(q, Decider(threshold=0.2).decide(q, chunks))
    assert answer.outcome == "uncertain" and not answer.abstained
    assert answer.text.startswith(UNCERTAIN) and answer.to_dict()["outcome"] == "uncertain"


def test_a_list_introduction_is_quoted_with_its_list() -> None:
    text = ("Green Pantry recalled three frozen meals on Tuesday.\n\nThe recalled meals include:\n"
            "- Chicken Alfredo, 12 oz\n- Beef Stroganoff, 10 oz\n- Veggie Lasagna, 14 oz")
    q, chunks = scored("Which meals were recalled?", [hit("a", text)])
    roles = [s.role for s in chunks[0].sentences]
    assert "list_intro" not in roles and "list" in roles
    listed = next(s for s in chunks[0].sentences if s.role == "list")
    assert listed.text.startswith("The recalled meals include:") and listed.text.endswith("Veggie Lasagna, 14 oz")


def test_an_inline_list_that_answers_is_a_statement() -> None:
    text = "The states with cases: Texas (3), Ohio (2) and Utah (1). Officials urged vaccination."
    q, chunks = scored("Which states have cases?", [hit("a", text)])
    assert chunks[0].sentences[0].role == "statement"
    assert Decider(threshold=0.3).decide(q, chunks).chosen[0].text.startswith("The states with cases:")


def test_captions_and_headings_are_context_not_answers() -> None:
    text = ("Photo: Firefighters on Route 9 on Tuesday. (Jane Roe/Example Press)\n\nEvacuations\n\n"
            "About 1,200 residents were evacuated from Cutter's Ridge on Tuesday.")
    q, chunks = scored("How many residents were evacuated?", [hit("a", text)])
    roles = [s.role for s in chunks[0].sentences]
    # The caption's credit "(Jane Roe/Example Press)" is a span of its own, a caption too.
    assert roles[-2:] == ["heading", "statement"] and set(roles[:-2]) == {"caption"}
    decision = Decider(threshold=0.2).decide(q, chunks)
    assert decision.outcome == "answered" and decision.chosen[0].text.startswith("About 1,200")


def test_chunks_rank_by_evidence_keyword_and_recency() -> None:
    from qa.answering.temporal import Window

    old = hit("old", "The strike has left 40,000 riders without buses.", date="2024-03-04")
    new = hit("new", "The strike has left 52,000 riders without buses.", date="2024-03-12")
    _, chunks = scored("How many riders are without buses?", [old, new])
    assert chunks[0].score == pytest.approx(chunks[1].score)  # same words, same evidence
    _, chunks = scored("How many riders are without buses?", [old, new], Window("2024-03-08", "2024-03-14", "this week"))
    assert chunks[0].hit.article_id == "new" and chunks[0].in_window and not chunks[1].in_window
    _, chunks = scored("How many riders?", [hit("a", "Riders wait.", keyword=1.0), hit("b", "Riders wait.", keyword=0.0)])
    assert chunks[0].hit.article_id == "a" and chunks[0].keyword == 1.0


def test_short_answer_leads_only_with_exactly_one_candidate() -> None:
    q, chunks = scored("How much will the glasses cost?", [hit("a", GLASSES)])
    decision = Decider(threshold=0.2).decide(q, chunks)
    assert short_answer(q, decision.chosen[0]) == "$299"
    answer = build_answer(q, decision)
    assert answer.text.startswith("$299 [1]. ") and answer.short_answer == "$299"
    q, chunks = scored("How much did the tickets cost?", [hit("a", "Tickets cost $20 for adults and $10 for children.")])
    assert short_answer(q, Decider(threshold=0.2).decide(q, chunks).chosen[0]) is None


def test_a_trained_judge_decides_and_picks_the_sentence() -> None:
    q, chunks = scored("When will the glasses be available?", [hit("a", GLASSES)])
    pairs = candidates(chunks)
    x = feature_matrix(q, chunks, pairs)
    assert x.shape == (len(pairs), len(FEATURES))
    # A judge that only trusts the "holds the kind asked for" feature.
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("type_match")] = 4.0
    judge = Judge(coef, -1.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.9, {})
    decision = Decider(judge=judge, threshold=0.2).decide(q, chunks)
    assert decision.outcome == "answered" and "March 3" in decision.chosen[0].text
    assert decision.confidence == pytest.approx(1 / (1 + np.exp(-3.0)))
    strict = Judge(coef, -1.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.99, {})
    assert Decider(judge=strict, threshold=0.2).decide(q, chunks).outcome == "uncertain"
    # answer.min_confidence overrides the trained bar, both ways.
    assert Decider(judge=strict, threshold=0.2, answer_at=0.9).decide(q, chunks).outcome == "answered"
    assert Decider(judge=judge, threshold=0.2, answer_at=0.99).decide(q, chunks).outcome == "uncertain"


def test_fit_logistic_separates_and_is_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0).astype(float)
    first = fit_logistic(x, y, l2=0.1)
    second = fit_logistic(x, y, l2=0.1)
    assert np.array_equal(first[0], second[0])
    coef = first[0]
    assert coef[0] > 0 > coef[1] and abs(coef[2]) < abs(coef[1])


def test_an_uncertain_quote_holds_the_kind_asked_for_when_a_sentence_does() -> None:
    text = ("The Lumen glasses from Optiva translate conversations in real time. "
            "At 49 grams, Lumen is only slightly heavier than sunglasses.")
    q, chunks = scored("How much do the Lumen glasses from Optiva weigh?", [hit("a", text)])
    # A judge that finds both sentences alike, under a bar neither clears: the answer is
    # uncertain, and it quotes the weight, not the topic.
    flat = Judge(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.9, {})
    decision = Decider(judge=flat, threshold=0.2).decide(q, chunks)
    assert decision.outcome == "uncertain" and "49 grams" in decision.chosen[0].text


class ScriptedVerifier:
    """A verifier that says what it is told: P(yes) per sentence, by a word it contains."""

    def __init__(self, by_word: dict[str, float]) -> None:
        self.by_word = by_word

    def answers(self, question: str, sentences: list[str]) -> np.ndarray:
        return np.array([next((p for w, p in self.by_word.items() if w in s), 0.0) for s in sentences])


def test_with_the_verifier_too_an_uncertain_quote_holds_the_kind_asked_for() -> None:
    """The verifier prefers the sentence naming the question's nouns (0.35) to the one holding
    the weight (0.3), and neither clears its bar: uncertain, quoting the weight."""
    text = ("The Lumen glasses from Optiva translate conversations in real time. "
            "At 49 grams, Lumen is only slightly heavier than sunglasses.")
    q, chunks = scored("How much do the Lumen glasses from Optiva weigh?", [hit("a", text)])
    flat = Judge(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.9, {})
    verifier = ScriptedVerifier({"translate": 0.35, "49 grams": 0.3})
    decision = Decider(judge=flat, threshold=0.2, verifier=verifier, verify_at=0.4).decide(q, chunks)
    assert decision.outcome == "uncertain" and decision.verified and "49 grams" in decision.chosen[0].text
    # below the floor for every sentence, nothing is quoted at all
    nothing = Decider(judge=flat, threshold=0.2, verifier=ScriptedVerifier({}), verify_at=0.4).decide(q, chunks)
    assert nothing.outcome == "not_in_articles"


def test_a_follow_up_is_not_answered_by_what_the_conversation_already_said() -> None:
    text = "Pagewise on Tuesday announced the Kestrel, a color e-reader. Its product lead is Jonah Reyes."
    question = "who is the product lead on it"
    q = Query(asked=question, question=question, retrieval=f"what is pagewise launching? {question}",
              vectors=encode(question)[None, :], tokens=np.zeros((0, 64), dtype=np.float32),
              kind=expected_type(question), context="what is pagewise launching? The Kestrel, a color e-reader.")
    h = hit("a", text)
    chunks = score_chunks(q, [candidate(h)])
    matches = {s.text: s.type_match for s in chunks[0].sentences}
    assert not matches["Pagewise on Tuesday announced the Kestrel, a color e-reader."]
    assert matches["Its product lead is Jonah Reyes."]


REWARD = hit("first", "The museum is offering a reward of $50,000 for the return of the objects.", date="2025-05-19")
RAISED = hit("update", "It has raised the sum to $100,000.", date="2025-06-03")  # names neither museum nor reward


def updates_decider(verifier: ScriptedVerifier, **options) -> Decider:
    """A judge that trusts the cosine (the first report shares the question's words), every
    candidate over its bar, and the verifier confirming its choice at 0.2."""
    coef = np.zeros(len(FEATURES))
    coef[FEATURES.index("cosine")] = 4.0
    judge = Judge(coef, 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.0, {})
    return Decider(judge=judge, threshold=0.0, verifier=verifier, **({"verifier_chooses": False, "confirm_at": 0.2}
                                                                    | options))


@pytest.mark.parametrize("question, as_of, rated, quoted, outcome", [
    # "now": the newer report, rated within 0.3 of the judge's choice, is quoted and confirmed
    ("What is the museum's reward now?", "2025-06-04", 0.45, "$100,000", "answered"),
    ("How much is the museum's reward so far?", None, 0.45, "$100,000", "answered"),
    # rated more than 0.3 under the judge's choice: the judge's choice stays
    ("What is the museum's reward now?", "2025-06-04", 0.15, "$50,000", "answered"),
    # no current-state word: the judge's choice
    ("What reward is the museum offering?", "2025-06-04", 0.45, "$50,000", "answered"),
    # "now" on May 20 is before the update was published
    ("What is the museum's reward now?", "2025-05-20", 0.45, "$50,000", "answered"),
])
def test_a_question_about_now_quotes_the_newest_report_the_verifier_rates_about_as_well(
        question: str, as_of: str | None, rated: float, quoted: str, outcome: str) -> None:
    q, chunks = scored(question, [REWARD, RAISED])
    q = dataclasses.replace(q, as_of=as_of)
    verifier = ScriptedVerifier({"$50,000": 0.6, "$100,000": rated})
    decision = updates_decider(verifier).decide(q, chunks)
    assert decision.outcome == outcome and quoted in decision.chosen[0].text


def test_a_newer_report_the_verifier_does_not_confirm_is_quoted_as_uncertain() -> None:
    q, chunks = scored("What is the museum's reward now?", [REWARD, RAISED])
    decision = updates_decider(ScriptedVerifier({"$50,000": 0.45, "$100,000": 0.3}), confirm_at=0.4).decide(q, chunks)
    assert decision.outcome == "uncertain" and "$100,000" in decision.chosen[0].text
    # when the verifier chooses, the same preference among the sentences it confirms
    chooses = updates_decider(ScriptedVerifier({"$50,000": 0.7, "$100,000": 0.5}), verifier_chooses=True,
                              confirm_at=None, verify_at=0.4).decide(q, chunks)
    assert chooses.outcome == "answered" and [s.text for s in chooses.chosen] == [RAISED.text]


def _with_matches(sentence, matches):
    return dataclasses.replace(sentence, token_match=np.asarray(matches, dtype=np.float32))


def test_token_contrast_favours_the_sentence_matching_the_asked_word() -> None:
    # Question words: [pipe, millbrook, burst]. Every sentence matches the subject's words alike;
    # only one matches "burst" (its "ruptured"): it alone stands out in the contrast features.
    text = ("The pipe in Millbrook ruptured on Monday. Crews in Millbrook shut the pipe off on Tuesday. "
            "The Millbrook pipe is 90 years old.")
    q, chunks = scored("When did the pipe burst in Millbrook?", [hit("a", text)])
    sentences = chunks[0].sentences
    assert len(sentences) == 3
    chunks[0].sentences = [_with_matches(sentences[0], [0.9, 0.9, 0.8]), _with_matches(sentences[1], [0.9, 0.9, 0.3]),
                           _with_matches(sentences[2], [0.9, 0.9, 0.35])]
    q = dataclasses.replace(q, tokens=np.zeros((3, 64), dtype=np.float32))
    pairs = candidates(chunks)
    x = feature_matrix(q, chunks, pairs)
    at = {name: x[:, FEATURES.index(name)] for name in FEATURES[-CONTRAST:]}
    ruptured, shut, old = 0, 1, 2
    assert at["token_contrast"][ruptured] > 0 > at["token_contrast"][shut]
    assert at["token_unique"][ruptured] == pytest.approx((0 + 0 + 0.45) / 3, abs=1e-6)  # beats the next best by 0.45
    assert at["token_unique"][shut] < at["token_unique"][old] < 0
    assert at["token_weighted"][ruptured] == pytest.approx(0.8, abs=1e-6)  # only "burst" varies: it takes all the weight
    assert at["token_weighted_gap"][ruptured] == 0 and at["token_weighted_gap"][shut] == pytest.approx(-0.5, abs=1e-6)
    # A follow-up is searched with the previous question first: only the question's own words
    # (the last `own_tokens`) are contrasted. Here those are "burst" alone.
    follow_up = dataclasses.replace(q, own_tokens=1)
    own = feature_matrix(follow_up, chunks, pairs)[:, FEATURES.index("token_contrast")]
    assert own[ruptured] == pytest.approx(0.8 - (0.8 + 0.3 + 0.35) / 3, abs=1e-6)
    # A sentence whose tokens are unknown reads as matching nothing; no tokens at all gives zeros.
    chunks[0].sentences[2] = dataclasses.replace(sentences[2], token_match=None)
    assert feature_matrix(q, chunks, candidates(chunks))[2, FEATURES.index("token_weighted")] == 0
    assert not feature_matrix(query("When did the pipe burst?"), chunks, pairs)[:, -CONTRAST:].any()


def test_a_question_naming_a_word_no_passage_holds_is_off_subject_when_no_passage_is_close() -> None:
    # A judge that gives every sentence 0.5, under a bar of 0.9: the quote would be "uncertain".
    flat = Judge(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.9, {})
    text = "The bank said no passwords, PINs or full card numbers were taken. It has 2 million customers."
    question = "How do I change my wifi password?"  # "wifi" is in no passage
    far = Decider(judge=flat, threshold=0.2).decide(*scored(question, [hit("a", text, score=0.1)]))
    near = Decider(judge=flat, threshold=0.2).decide(*scored(question, [hit("a", text, score=0.6)]))
    assert (far.outcome, near.outcome) == ("not_in_articles", "uncertain")
    # Every word of the question in the passage: on its subject however far its vector is.
    held = Decider(judge=flat, threshold=0.2).decide(*scored("Were passwords taken?", [hit("a", text, score=0.1)]))
    assert held.outcome == "uncertain"


def test_a_question_far_from_every_passage_and_missing_most_of_its_words_is_not_answered() -> None:
    # A judge that gives every sentence 0.5, over a bar of 0.1: any quote would be "answered".
    keen = Judge(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.1, {})
    text = "The Halcyon stands 22 meters tall and can carry up to 450 kilograms to low Earth orbit."
    decide = Decider(judge=keen, threshold=0.2).decide
    # "tall" is there; "mount" and "everest", most of the question's weight, are in no passage
    assert decide(*scored("how tall is mount everest", [hit("a", text, score=0.27)])).outcome == "not_in_articles"
    # guards: a passage near the question, or the question's words in it, is on its subject
    assert decide(*scored("how tall is mount everest", [hit("a", text, score=0.45)])).outcome == "answered"
    assert decide(*scored("how tall is the halcyon", [hit("a", text, score=0.27)])).outcome == "answered"
    # a follow-up's words may be in the conversation: not judged by this rule
    q, chunks = scored("how tall is mount everest", [hit("a", text, score=0.27)])
    assert decide(dataclasses.replace(q, context="What does the Halcyon carry?"), chunks).outcome == "answered"


def test_a_quote_that_lacks_a_name_the_question_asks_about_is_uncertain() -> None:
    # A judge that gives every sentence 0.5, over a bar of 0.1; ties keep the passage's order,
    # so the first sentence is the one quoted.
    keen = Judge(np.zeros(len(FEATURES)), 0.0, np.zeros(len(FEATURES)), np.ones(len(FEATURES)), 0.1, {})
    text = "The bank has found 318 cases of fraud so far. Most affected customers live in Virginia and Maryland."
    decide = Decider(judge=keen, threshold=0.2).decide
    # "maryland" is a name in the passage (written capitalised inside a sentence), not in the quote
    q, chunks = scored("how many of the fraud cases were in maryland", [hit("breach", text)])
    assert unquoted_names(q, chunks, chunks[0].sentences[0]) == ("maryland",)
    decision = decide(q, chunks)
    assert (decision.outcome, decision.chosen[0].text) == ("uncertain", "The bank has found 318 cases of fraud so far.")
    # guards: a question naming nothing the quote lacks; the name in the quote's article title
    # (the subject a quote calls "it"); a measure word ("how big") is no name
    assert decide(*scored("how many cases of fraud has the bank found", [hit("breach", text)])).outcome == "answered"
    assert decide(*scored("how many of the fraud cases were in maryland",
                          [hit("maryland bank breach", text)])).outcome == "answered"
    big = "The fraud is Big, its auditors said. It has 318 cases."
    q, chunks = scored("how big is the fraud", [hit("breach", big)])
    assert unquoted_names(q, chunks, chunks[0].sentences[1]) == ()


def test_the_subject_a_quote_calls_it_is_named_in_its_articles_first_sentence_or_the_one_before() -> None:
    text = ("Hackers stole customer data from Crestline Bank, it said on Monday. Police are investigating. "
            "It has found 318 cases of fraud so far.")
    question = "how many fraud cases has crestline found"
    q, chunks = scored(question, [hit("breach", text)])
    assert unquoted_names(q, chunks, chunks[0].sentences[2]) == ()  # the article opens with it
    # the same passage later in the article: its first sentence is not the article's
    q, chunks = scored(question, [dataclasses.replace(hit("breach", text), start=900)])
    assert unquoted_names(q, chunks, chunks[0].sentences[2]) == ("crestlin",)
    # the sentence before the quote names it ("It" refers back to it)
    q, chunks = scored(question, [dataclasses.replace(hit("breach", text.replace("Police are investigating. ", "")),
                                                      start=900)])
    assert unquoted_names(q, chunks, chunks[0].sentences[1]) == ()


def test_a_name_is_a_word_never_written_in_lower_case_and_quoting_part_of_it_quotes_it() -> None:
    text = ("The Labour Party won 40 seats in Harlow, where the party had 31. Its leader, Dana Marsh, said the "
            "result was historic. Marsh thanked her staff.")
    # "party" is also written in lower case: a word, not a name
    q, chunks = scored("how many seats did the labour party win", [dataclasses.replace(hit("x", text), start=900)])
    assert unquoted_names(q, chunks, chunks[0].sentences[2]) == ("labour",)
    # "Dana Marsh" is one name: a quote naming "Marsh" names her
    q, chunks = scored("who did dana marsh thank", [dataclasses.replace(hit("x", text), start=900)])
    assert unquoted_names(q, chunks, chunks[0].sentences[2]) == ()

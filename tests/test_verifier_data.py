"""The verifier's generated training data: each rule does what it says on a fixed sentence."""

from __future__ import annotations

import random
from pathlib import Path

from qa.evaluation.verifier_data import (
    CONTRADICTED, NO, YES, Pair, add_cause, add_detail, article_pools, claim_pairs, cloze, combine, cut_span,
    drop_negation, make_certain, negate, paraphrase, question_pairs, shorten, swap_span,
)

ARTICLE = [
    "Dutch Prime Minister Mark Rutte dismissed the idea of sending ground troops to Ukraine on Monday.",
    "French President Emmanuel Macron said the coalition may send 300 missiles by March 2024.",
    "The conference in Paris was attended by 20 heads of state, officials said.",
    "Rutte did not attend the dinner in Brussels, which cost $2 million.",
]


def test_negation_is_inserted_after_the_first_auxiliary() -> None:
    assert negate("The coalition will send missiles.") == "The coalition will not send missiles."
    assert negate(ARTICLE[3]) is None  # already negative: the other rule applies


def test_negation_is_dropped() -> None:
    assert drop_negation(ARTICLE[3]) == "Rutte did attend the dinner in Brussels, which cost $2 million."
    assert drop_negation("They won't stop.") == "They will stop."
    assert drop_negation("It never rained.") == "It once rained."


def test_hedge_becomes_certainty() -> None:
    assert make_certain(ARTICLE[1]) == "French President Emmanuel Macron said the coalition will send 300 missiles by March 2024."
    assert make_certain("The bridge opened.") is None


def test_swaps_take_a_span_of_the_same_kind_from_the_same_article() -> None:
    pools = article_pools(ARTICLE)
    rng = random.Random(0)
    swapped = swap_span(ARTICLE[0], "person", pools["person"], rng)
    # one name-like span replaced by another of the article's that the sentence did not hold
    assert swapped is not None and swapped != ARTICLE[0]
    assert any(name in swapped and name not in ARTICLE[0] for name in pools["person"])
    number = swap_span(ARTICLE[1], "number", ["20"], rng)
    assert number == "French President Emmanuel Macron said the coalition may send 20 missiles by March 2024."
    assert swap_span(ARTICLE[1], "number", ["300"], rng) is None  # nothing else to swap in


def test_wrong_cause_and_invented_detail_extend_a_true_sentence() -> None:
    rng = random.Random(1)
    caused = add_cause(ARTICLE[2], ARTICLE[3], rng)
    assert caused is not None and caused.startswith("The conference in Paris was attended by 20 heads of state")
    assert "rutte did not attend the dinner" in caused
    detailed = add_detail(ARTICLE[0], rng)
    assert detailed.startswith(ARTICLE[0].rstrip(".")) and len(detailed) > len(ARTICLE[0]) + 5


def test_supported_rewrites_keep_the_facts() -> None:
    assert shorten("The conference was attended by 20 heads of state, a record for the annual meeting.") == \
        "The conference was attended by 20 heads of state."
    assert shorten("The summit (the third this year) was held in central Paris.") == "The summit was held in central Paris."
    assert paraphrase("“We will stay,” Macron said.", random.Random(0)) == "According to Macron, we will stay."
    assert combine(ARTICLE[2], ARTICLE[3]).startswith("The conference in Paris was attended by 20 heads of state, officials said, and rutte")


def test_cloze_question_asks_for_the_masked_span() -> None:
    made = cloze(ARTICLE[0], "person", random.Random(2))
    assert made is not None
    question, answer = made
    assert answer == "Mark Rutte" and question.lower().startswith("who ") and question.endswith("?")
    assert "rutte" not in question.lower()


def test_detail_removed_sentence_is_a_negative() -> None:
    assert cut_span("The conference was held in Paris on Monday.", "Paris") == "The conference was held on Monday."
    pairs = list(question_pairs("who dismissed ground troops?", ARTICLE[0], ARTICLE[1:], "Mark Rutte",
                                random.Random(3), "t", ["Emmanuel Macron"]))
    by = {p.source: p for p in pairs}
    assert by["t:holds"].label == YES and by["t:role_right"].label == YES
    assert by["t:role_wrong"].label == NO and "answer: Emmanuel Macron" in by["t:role_wrong"].first
    assert all(p.label == NO for p in pairs if p.source == "t:other_sentence")


def test_claims_of_an_article_are_balanced_and_labelled() -> None:
    pairs = list(claim_pairs(ARTICLE, random.Random(4), "t"))
    assert pairs and len(pairs) % 2 == 0
    supported = [p for p in pairs if p.source == "t:supported"]
    assert len(supported) == len(pairs) // 2 and all(p.label == YES for p in supported)
    for p in pairs:
        assert p.first.startswith("claim: ") and p.second
        if p.source != "t:supported":
            assert p.label in (CONTRADICTED, NO)


def test_hand_written_claims_are_read_with_their_source_and_label(tmp_path) -> None:
    import json

    from qa.evaluation.verifier_data import claim_set_pairs

    source = "The council voted 5-2 on Monday to close the pool. It may reopen in June."
    rows = [("The pool will close after a 5-2 council vote.", "supported", "paraphrase"),
            ("The council voted 2-5 to close the pool.", "unsupported", "figure_swap"),
            ("The pool will reopen in June.", "unsupported", "certainty")]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps({"id": f"s-{n}", "source": source, "claim": claim, "label": label,
                                          "kind": kind}) for n, (claim, label, kind) in enumerate(rows)) + "\n")
    pairs = list(claim_set_pairs([path], repeat=2))
    assert [p.label for p in pairs] == [YES, YES, CONTRADICTED, CONTRADICTED, NO, NO]
    assert pairs[0].first == "claim: The pool will close after a 5-2 council vote." and pairs[0].second == source
    assert {p.source for p in pairs} == {"claims:set"}


def test_the_claim_sets_that_measure_the_verifier_are_never_trained_on() -> None:
    from qa.evaluation.train_verifier import SEEN_CLAIM_SETS

    names = {p.stem for p in SEEN_CLAIM_SETS}
    assert all(p.exists() for p in SEEN_CLAIM_SETS)
    assert not names & {"blind5", "blind6", "blind7", "blind8", "blind9", "blind10"}


def test_claim_sets_join_the_training_pairs_only_when_asked(monkeypatch) -> None:
    from qa.evaluation import train_verifier

    one = Pair("claim: x", "y", YES, "claims:tune")
    for name in ("selqa_pairs", "squad_pairs", "natural_pairs", "nli_pairs", "news_pairs"):
        monkeypatch.setattr(train_verifier, name, lambda *args, **kwargs: iter(()))
    monkeypatch.setattr(train_verifier, "squad_split", lambda eval_dir: ([], []))
    monkeypatch.setattr(train_verifier, "realtimeqa_articles", lambda eval_dir, held_out: [])
    monkeypatch.setattr(train_verifier, "claim_set_pairs", lambda paths, repeat: iter([one] * repeat))
    assert train_verifier.training_pairs(Path("."), news_articles=0, nli_per_set=0) == []
    assert train_verifier.training_pairs(Path("."), news_articles=0, nli_per_set=0, claim_sets=True) == \
        [one] * train_verifier.CLAIM_REPEAT

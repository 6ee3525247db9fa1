"""The grounding check of generated answers, with the real embedding model."""

from __future__ import annotations

import time

import numpy as np
import pytest

from index.embedding.embed import Embedder
from qa.llm.grounding import GroundingChecker, Source

SOURCES = [
    Source(1, "Macron announced a new coalition to provide medium- and long-range missiles to Ukraine. "
              "The conference took place in Paris on Monday.", "Macron Ukraine Ground Troops"),
    Source(2, "Dutch Prime Minister Mark Rutte dismissed the idea of sending ground troops. "
              "About 20 leaders attended the meeting.", "Rutte on troops"),
]


@pytest.fixture(scope="module")
def checker(embedder: Embedder) -> GroundingChecker:
    return GroundingChecker(embedder.encode)


def test_a_faithful_cited_answer_passes_whole(checker: GroundingChecker) -> None:
    answer = ("Macron announced a coalition to supply Ukraine with medium- and long-range missiles [1]. "
              "Mark Rutte dismissed sending ground troops [2].")
    result = checker.check(answer, SOURCES)
    assert [s.supported for s in result.sentences] == [True, True]
    assert result.text == answer and result.cited == [1, 2] and not result.removed


def test_an_invented_sentence_is_removed_with_its_reason(checker: GroundingChecker) -> None:
    answer = ("Macron announced a coalition to supply Ukraine with long-range missiles [1]. "
              "The missiles will cost 4 billion euros and arrive in June [1].")
    result = checker.check(answer, SOURCES)
    assert result.text == "Macron announced a coalition to supply Ukraine with long-range missiles [1]."
    (removed,) = result.removed
    assert "4 is not in the cited source" in removed.reason


def test_a_sentence_citing_the_wrong_source_is_not_supported(checker: GroundingChecker) -> None:
    result = checker.check("Mark Rutte dismissed the idea of sending ground troops [1].", SOURCES)
    assert not result.supported and result.text == ""
    assert "the cited source" in result.removed[0].reason


def test_citations_to_missing_sources_are_dropped(checker: GroundingChecker) -> None:
    result = checker.check("Rutte dismissed sending ground troops [2, 7]. Leaders met in Brussels [9].", SOURCES)
    assert result.text == "Rutte dismissed sending ground troops [2]."
    assert result.sentences[0].dropped_citations == (7,)
    assert result.removed[0].reason == "cites no existing source (9)"


def test_uncited_sentences_and_marks(embedder: Embedder) -> None:
    marking = GroundingChecker(embedder.encode, unsupported="mark")
    result = marking.check("The conference took place in Paris. [1] Everyone agreed with him.", SOURCES)
    assert result.sentences[0].cited == (1,) and result.sentences[0].supported  # marker after the period
    assert result.sentences[1].reason == "cites no source"
    assert result.text.endswith("Everyone agreed with him. [unsupported: cites no source]")
    with pytest.raises(ValueError, match="mark"):
        GroundingChecker(embedder.encode, unsupported="keep")


def test_a_sentence_joining_two_cited_sources_is_read_against_both(checker: GroundingChecker) -> None:
    joined = "Macron announced a coalition for long-range missiles, while Mark Rutte dismissed sending ground troops"
    (both,) = checker.check(f"{joined} [1][2].", SOURCES).sentences
    assert both.supported and [n for n, *_ in both.support] == [1, 2]  # the best window first
    n, start, end = both.support[1]
    assert SOURCES[1].text[start:end].startswith("Dutch Prime Minister Mark Rutte")
    (one,) = checker.check(f"{joined} [1].", SOURCES).sentences
    assert not one.supported and one.reason == "name Mark Rutte not in the supporting sentence [1]"
    assert len(one.reasons) > 1 and one.support == ((1, 0, SOURCES[0].text.index(" The conference")),)


def test_numbers_must_match_whole(checker: GroundingChecker) -> None:
    assert checker.check("About 20 leaders attended the meeting [2].", SOURCES).sentences[0].supported
    assert not checker.check("About 2 leaders attended the meeting [2].", SOURCES).sentences[0].supported


def test_nothing_supported_is_empty(checker: GroundingChecker) -> None:
    result = checker.check("Bananas are yellow [1]. The moon is made of cheese [2].", SOURCES)
    assert result.text == "" and len(result.removed) == 2 and result.cited == []
    assert checker.check("", SOURCES).text == ""


def test_a_five_sentence_answer_is_checked_in_milliseconds(checker: GroundingChecker) -> None:
    answer = " ".join(["Macron announced a coalition for long-range missiles [1].",
                       "Rutte dismissed ground troops [2].", "The conference was in Paris [1].",
                       "About 20 leaders attended [2].", "The missiles go to Ukraine [1]."])
    checker.check(answer, SOURCES)  # sources' vectors cached, as for a repeated source
    started = time.perf_counter()
    result = checker.check(answer, SOURCES)
    assert len(result.sentences) == 5 and (time.perf_counter() - started) < 1.0  # generous: noisy CI


def test_each_part_of_a_sentence_is_checked_against_its_own_marker(checker: GroundingChecker) -> None:
    meeting = "Macron announced a coalition for long-range missiles at a meeting of about 20 leaders"
    rutte = "Mark Rutte dismissed sending ground troops"
    # Markers in two places: the figure of [2] does not pass beside what [1] says.
    (parted,) = checker.check(f"{meeting} [1], while {rutte} [2].", SOURCES).sentences
    assert not parted.supported and parted.reason == "20 is not in [1]"
    assert parted.cited == (1, 2) and [n for n, *_ in parted.support] == [1, 2]
    (swapped,) = checker.check(f"Macron announced a coalition for long-range missiles [2], while {rutte} [1].",
                               SOURCES).sentences
    assert not swapped.supported and "[2]" in swapped.reason
    # Each part right: kept whole, with each part's window.
    (right,) = checker.check(f"Macron announced a coalition for long-range missiles [1], while {rutte} at a meeting "
                             "of about 20 leaders [2].", SOURCES).sentences
    assert right.supported, right.reasons
    # Markers together: the sentence is read against its sources' windows as one, as before.
    (together,) = checker.check(f"{meeting} [1][2].", SOURCES).sentences
    assert together.supported, together.reasons
    # Markers in two places citing the same source: checked whole.
    (same,) = checker.check("Macron announced a coalition for long-range missiles [1], and the conference took place "
                            "in Paris [1].", SOURCES).sentences
    assert same.supported and same.cited == (1,)


def test_a_verifier_reads_each_part_with_its_own_window(embedder: Embedder) -> None:
    class ByClaim:
        def __init__(self) -> None:
            self.asked: list[tuple[str, str]] = []

        def supports(self, pairs):  # noqa: ANN001, ANN201
            self.asked += list(pairs)
            return np.array([(0.2, 0.7, 0.1) if "Rutte" in claim else (0.9, 0.05, 0.05) for _, claim in pairs])

    verifier = ByClaim()
    checker = GroundingChecker(embedder.encode, verifier=verifier)
    (sentence,) = checker.check("Macron announced a coalition for long-range missiles [1], while Mark Rutte "
                                "dismissed sending ground troops [2].", SOURCES).sentences
    assert [claim for _, claim in verifier.asked] == ["Macron announced a coalition for long-range missiles",
                                                      "while Mark Rutte dismissed sending ground troops"]
    assert verifier.asked[0][0].startswith("Macron announced") and verifier.asked[1][0].startswith("Dutch Prime")
    assert not sentence.supported and sentence.reason.startswith("contradicted by [2]: 'Dutch Prime Minister")
    assert sentence.verdict == (0.2, 0.7, 0.1)

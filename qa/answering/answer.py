"""Scored chunks -> a decision (answered, uncertain, not in the articles) -> a grounded answer.

Three honest outcomes:
- answered: the sentences that answer, copied verbatim with `[n]` markers, led by the short
  answer ("Paris [1]") when the quote holds exactly one candidate of the kind asked for;
- uncertain: "The closest the articles come:" and the best quote, marked as possibly not
  answering: the articles are on the subject but the judge does not see the asked-for detail;
- not in the articles: nothing relevant was found; the closest passages are listed as sources.

Who decides: the trained judge (`qa.answering.judge`) ranks and shortlists the candidates from
the fast features and decides; by default (`answer.confirm_at`) the verifier then reads the
question with the one sentence the judge answers with, and an answer it does not confirm is
"uncertain", the same quote; for a question about how things stand now ("what's the reward
now?") it also reads the newer reports of the story, and the newest one it rates about as well
is quoted instead (`qa.answering.updates`). With `answer.verifier: true` (off by default: it trades right
answers for trust, README "The verifier"), the verifier (`qa.answering.verifier`, a small model
trained here) then reads the question with each shortlisted sentence and says whether it holds
what was asked: "answered" needs its yes; a sentence it does not confirm is at most "uncertain", and
"uncertain" needs the verifier to see at least a trace of the answer (`verifier_floor`) besides the
judge seeing the subject, so a sentence that only shares a word with an off-topic question is not
quoted. The short answer ("Mark Rutte [1]") is given only when that span fills the asked role in
the quote (`role_filler`: "who dismissed ...?" wants the name the question's words follow, not
the one that stands next to them). Without
the verifier file, the judge decides as before; without the judge, the evidence threshold.
Either way, a question that asks for a kind of answer (an amount, a time, a person...) is
"answered" only by a sentence that holds one, and a question naming something the quote does
not ("... in maryland?" against the national total) is "uncertain" (`unquoted_names`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from index.models import Hit
from qa.answering.answer_type import SHORT_KINDS, new_spans
from qa.answering.judge import Judge, candidates, feature_matrix, shortlist
from qa.answering.lexical import terms
from qa.answering.updates import UPDATE_READS, asks_current_state, later_reports, newest_report
from qa.answering.verifier import Verifier
from qa.models import Answer, Citation
from qa.answering.scoring import Query, ScoredChunk, ScoredSentence
from qa.answering.weights import DEFAULT_ABSTAIN_THRESHOLD, DEFAULT_WEIGHTS, Weights

Outcome = Literal["answered", "uncertain", "not_in_articles"]

NOT_IN_ARTICLES = "Not in the articles: none of the indexed articles answers this question."
UNCERTAIN = "The closest the articles come:"
EMPTY_INDEX = "Not in the articles: no articles are indexed yet. Add some with `qa ingest PATH`."
# Kinds whose presence is checked strictly; a reason or a "which company" is too varied to require.
REQUIRED_KINDS = frozenset({"money", "percent", "count", "number", "duration", "time", "date", "person", "place"})


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    chosen: list[ScoredSentence]  # what to quote (answered, uncertain) or the closest passages
    evidence: float | None  # the best quotable sentence's evidence score
    confidence: float | None  # the judge's (or verifier's) probability that the chosen sentence answers (None: rule)
    short: str | None = None  # the span that fills the asked role (`role_filler`; verifier only)
    verified: bool = False  # the verifier decided (then only `short` may lead the answer)
    # The candidates weighed and the score that ranked them, best first (answered only): where
    # `qa.answering.conflicts` looks for sources that state other values.
    ranked: tuple[tuple[ScoredSentence, float], ...] = ()


class Decider:
    """Which sentences answer, and whether any does.

    Args:
        judge: The trained judge, or None for the evidence rule.
        threshold: Evidence under which nothing counts as relevant (the rule's abstention
            threshold); with a judge, the line between "uncertain" and "not in the articles".
        max_sentences: Most sentences quoted in one answer.
        sources_on_abstain: Closest passages listed when nothing answers.
        weights: Selection weights (`qa.answering.weights`).
        answer_at: The judge's probability from which the best quote is "answered" (None: the
            bar it was trained with); higher trades answers marked "uncertain" for fewer wrong ones.
        verifier: The trained verifier, or None (the judge decides alone).
        verify_at: The verifier's probability from which a sentence holds what was asked.
        verifier_floor: Under this verifier probability for every candidate, nothing is close
            enough to quote even as "uncertain": not in the articles.
        judge_weight: How much the judge's probability adds to the verifier's when choosing the
            sentence (its fast features break the verifier's near-ties).
        verify_top: How many of the judge's best candidates the verifier reads (each costs a
            model call, about 4 ms on one core).
        verifier_chooses: The verifier reads the judge's shortlist and chooses (`_verified`);
            False: it only confirms the judge's choice, when `confirm_at` is set.
        confirm_at: With `verifier_chooses` False: the verifier reads the sentence the judge
            would answer with (one model call), and under this probability the answer is
            "uncertain", the same quote. None: no check.
    """

    def __init__(self, *, judge: Judge | None = None, threshold: float = DEFAULT_ABSTAIN_THRESHOLD,
                 max_sentences: int = 2, sources_on_abstain: int = 3, weights: Weights = DEFAULT_WEIGHTS,
                 answer_at: float | None = None, verifier: Verifier | None = None, verify_at: float = 0.4,
                 verifier_floor: float = 0.05, judge_weight: float = 0.1, verify_top: int = 12,
                 verifier_chooses: bool = True, confirm_at: float | None = None) -> None:
        self.judge = judge
        self.answer_at = answer_at
        self.verifier = verifier if judge is not None else None  # it reads the judge's shortlist
        self.verifier_chooses, self.confirm_at = verifier_chooses, confirm_at
        self.verify_at, self.verifier_floor, self.judge_weight = verify_at, verifier_floor, judge_weight
        self.verify_top = verify_top
        self.threshold = threshold
        self.max_sentences = max_sentences
        self.sources_on_abstain = sources_on_abstain
        self.weights = weights

    def decide(self, query: Query, chunks: Sequence[ScoredChunk]) -> Decision:
        pairs = candidates(chunks)
        if not pairs or self._far_off(query, chunks):
            return Decision("not_in_articles", self._closest(chunks), None, None)
        best_evidence = max(s.evidence for s, _ in pairs)
        if self.judge is not None:
            pairs = shortlist(pairs, self.weights.selection_late)
            probabilities = self.judge.probabilities(feature_matrix(query, chunks, pairs))
            selection = {s.key: float(p) for (s, _), p in zip(pairs, probabilities, strict=True)}
            bar = self.judge.answer_at if self.answer_at is None else self.answer_at
            # The verifier reads a question on its own: a follow-up ("Who scored?") means what the
            # conversation makes of it, which the judge's features carry and the verifier does not
            # (measured: with the previous question prepended it did worse), so the judge decides.
            if self.verifier is not None and self.verifier_chooses and not query.context:
                return self._verified(query, chunks, pairs, selection, best_evidence)
        else:
            selection = {s.key: s.evidence + self.weights.selection_late * c.late for s, c in pairs}
            bar = None
        required = query.kind in REQUIRED_KINDS
        ranked = sorted(pairs, key=lambda pair: -selection[pair[0].key])
        answering = [(s, c) for s, c in ranked if self._answers(s, selection[s.key], bar, required)]
        if answering:
            lead = selection[answering[0][0].key]
            margin = self.weights.near_best if self.judge is None else self.weights.near_best_probability
            chosen = [s for s, _ in answering[: self.max_sentences] if selection[s.key] >= lead - margin]
            confidence = lead if self.judge is not None else None
            sentence, confirmed = self._confirm(query, chosen[0], [s for s, _ in ranked], required)
            if sentence is not chosen[0]:  # a newer report of the story (`updates`)
                chosen = [sentence]
                confidence = selection[sentence.key] if self.judge is not None else None
            if not confirmed or unquoted_names(query, chunks, chosen[0]):
                return Decision("uncertain", chosen, best_evidence, confidence)
            return Decision("answered", chosen, best_evidence, confidence,
                            ranked=tuple((s, selection[s.key]) for s, _ in ranked))
        if not self._relevant(best_evidence, max(selection.values())) or \
                self._off_subject(query, chunks, max(selection.values()) if self.judge is not None else None):
            return Decision("not_in_articles", self._closest(chunks), best_evidence, None)
        # The closest the articles come holds the kind of answer asked for when a sentence does
        # ("At 49 grams, Lumen is ..." for "how much do they weigh?", not a sentence about them).
        typed = [s for s, _ in ranked if s.type_match] if required else []
        top = typed[0] if typed and selection[typed[0].key] >= self._floor(selection[ranked[0][0].key]) else ranked[0][0]
        return Decision("uncertain", [top], best_evidence,
                        selection[top.key] if self.judge is not None else None)

    def _verified(self, query: Query, chunks: Sequence[ScoredChunk],
                  pairs: Sequence[tuple[ScoredSentence, ScoredChunk]], judged: dict[tuple[str, int], float],
                  best_evidence: float) -> Decision:
        """The decision when the verifier reads the judge's shortlist (see the module)."""
        assert self.verifier is not None
        required = query.kind in REQUIRED_KINDS
        sentences = sorted((s for s, _ in pairs), key=lambda s: -judged[s.key])[: self.verify_top]
        verified = dict(zip((s.key for s in sentences),
                            map(float, self.verifier.answers(query.question, [s.text for s in sentences])), strict=True))
        # The verifier chooses; the judge's fast features break its near-ties.
        combined = {s.key: verified[s.key] + self.judge_weight * judged[s.key] for s in sentences}
        ranked = sorted(sentences, key=lambda s: -combined[s.key])
        answering = [s for s in ranked if verified[s.key] >= self.verify_at and (s.type_match or not required)]
        if answering:
            lead = verified[answering[0].key]
            chosen = [s for s in answering[: self.max_sentences] if verified[s.key] >= lead - 0.25]
            if asks_current_state(query.asked):  # a newer report of the story it also confirms (`updates`)
                later = later_reports(answering[0], answering, query.as_of, required)
                newer = newest_report(lead, [(s, verified[s.key]) for s in later])
                if newer is not None:
                    chosen, lead = [newer[0]], newer[1]
            if unquoted_names(query, chunks, chosen[0]):
                return Decision("uncertain", chosen, best_evidence, round(lead, 4), verified=True)
            return Decision("answered", chosen, best_evidence, round(lead, 4), self._short(query, chosen[0]), True,
                            ranked=tuple((s, combined[s.key]) for s in ranked))
        # as with the judge alone: the closest quote holds the kind asked for when a near one does
        typed = [s for s in ranked if s.type_match] if required else []
        top = typed[0] if typed and combined[typed[0].key] >= combined[ranked[0].key] / 2 else ranked[0]
        if verified[ranked[0].key] < self.verifier_floor or not self._relevant(best_evidence, max(judged.values())) \
                or self._off_subject(query, chunks, max(judged.values())):
            return Decision("not_in_articles", self._closest(chunks), best_evidence, None)
        return Decision("uncertain", [top], best_evidence, round(verified[top.key], 4), verified=True)

    def _confirm(self, query: Query, lead: ScoredSentence, others: Sequence[ScoredSentence],
                 required: bool) -> tuple[ScoredSentence, bool]:
        """The sentence to answer with and whether the verifier confirms it (always, when not
        asked to check): the judge's choice `lead`, or for a question about how things stand now,
        a newer report among `others` that the verifier rates about as well (`updates`). A
        follow-up is left to the judge: the verifier reads a question without its conversation."""
        if self.verifier is None or self.verifier_chooses or self.confirm_at is None or query.context:
            return lead, True
        later = later_reports(lead, others, query.as_of, required)[:UPDATE_READS] \
            if asks_current_state(query.asked) else []
        scores = [float(p) for p in self.verifier.answers(query.question, [lead.text] + [s.text for s in later])]
        sentence, score = newest_report(scores[0], list(zip(later, scores[1:], strict=True))) or (lead, scores[0])
        return sentence, score >= self.confirm_at

    def _short(self, query: Query, sentence: ScoredSentence) -> str | None:
        """The span of the asked kind that fills the asked role in the quote, or None."""
        if query.kind not in SHORT_KINDS:
            return None
        found = list(dict.fromkeys(s.text for s in new_spans(sentence.text, query.kind, query.known)))
        return role_filler(query.question, sentence.text, found, query.kind)

    def _answers(self, sentence: ScoredSentence, score: float, bar: float | None, required: bool) -> bool:
        if required and not sentence.type_match:
            return False
        if bar is None:
            return sentence.evidence >= self.threshold
        return score >= bar

    def _floor(self, best: float) -> float:
        """How far under the best candidate a typed one may be and still be the closest quote:
        half its probability with the judge, `near_best` under its evidence with the rule."""
        return best / 2 if self.judge is not None else best - self.weights.near_best

    def _relevant(self, best_evidence: float, best_probability: float) -> bool:
        """Whether anything retrieved is on the question's subject (else: not in the articles)."""
        if self.judge is None:
            return best_evidence >= self.threshold
        return (best_evidence >= self.threshold - self.weights.relevance_margin
                or best_probability >= self.weights.relevance_floor)

    def _off_subject(self, query: Query, chunks: Sequence[ScoredChunk], best_probability: float | None) -> bool:
        """The question names a word that no retrieved passage holds, and the judge barely sees
        the subject or no passage is close to the question: what is quoted only shares a word
        with it (`Weights.off_subject_below`, `Weights.off_subject_cosine`). A follow-up's own
        words may be in the conversation instead: not judged here."""
        if best_probability is None or query.context:
            return False
        closest = max((chunk.hit.score for chunk in chunks), default=-1.0)
        if best_probability >= self.weights.off_subject_below and closest >= self.weights.off_subject_cosine:
            return False
        seen = _passage_terms(chunks)
        return any(term not in seen for term in set(terms(query.question)) - _GENERIC_TERMS)

    def _far_off(self, query: Query, chunks: Sequence[ScoredChunk]) -> bool:
        """No passage is near the question (`Weights.off_subject_far`) and at least half of its
        words, and at least `Weights.off_subject_absent`, are in none of them: "how tall is mount
        everest" against a rocket that "stands 22 meters tall". Not in the articles, whatever a
        sentence scores. A follow-up's own words may be in the conversation instead: not judged."""
        if query.context or not chunks or max(chunk.hit.score for chunk in chunks) >= self.weights.off_subject_far:
            return False
        asked = set(terms(query.question)) - _GENERIC_TERMS
        absent = len(asked - _passage_terms(chunks))
        return absent >= self.weights.off_subject_absent and 2 * absent >= len(asked)

    def _closest(self, chunks: Sequence[ScoredChunk]) -> list[ScoredSentence]:
        closest = [c.best for c in chunks if c.best is not None]
        return closest[: self.sources_on_abstain]


# Question words that are not stop words only by their spelling ("whats").
_GENERIC_TERMS = frozenset({"what", "whats"})


def _passage_terms(chunks: Sequence[ScoredChunk]) -> set[str]:
    """The terms of the retrieved passages and their titles."""
    seen: set[str] = set()
    for chunk in chunks:
        seen.update(terms(f"{chunk.hit.title or ''} {chunk.hit.text}"))
    return seen


ROLE_REACH = 8  # words either side of a span that say what it does in its sentence
_WORDS = re.compile(r"[\w'’-]+")


def role_filler(question: str, sentence: str, found: Sequence[str], kind: str | None) -> str | None:
    """Which of the spans `found` fills the role the question asks about, or None.

    A person asked about with "who ... dismissed the idea" is the one the question's words
    *follow* in the sentence ("Mark Rutte, have dismissed the idea"), not the one that merely
    stands near them ("... sending ground troops, Macron emphasized"); a place, a date or an
    amount is the one the question's words *precede* ("a conference in Paris"). The span with
    the most of the question's content words within `ROLE_REACH` words on that side is the
    answer, when it has at least one and no other span has as many. The trained verifier was
    measured at this and could not tell the roles apart (README, "The verifier").
    """
    asked = set(terms(question))
    best: list[tuple[int, str]] = []
    for text in found:
        at = sentence.find(text)
        if at < 0:
            continue
        after = _WORDS.findall(sentence[at + len(text):])[:ROLE_REACH]
        before = _WORDS.findall(sentence[:at])[-ROLE_REACH:]
        # a person acts after their name, or is the agent of a passive before it ("led by X")
        side = after + (before if before[-1:] == ["by"] else []) if kind == "person" else before
        own = set(terms(text))
        best.append((len((set(terms(" ".join(side))) - own) & asked), text))
    best.sort(key=lambda pair: -pair[0])
    if not best or best[0][0] == 0 or (len(best) > 1 and best[1][0] == best[0][0]):
        return None
    return best[0][1]


# Words of a question that ask for a measure ("how big", "how long ago") rather than name what it is about.
_MEASURE_WORDS = frozenset(terms("big long far old tall high large much many late early soon often wide deep heavy "
                                 "fast"))
# A word written capitalised inside a sentence: a name ("in Maryland", "on Tuesday", "Seoul Train").
_INNER_CAPITAL = re.compile(r"(?<=[\w,;:)\]] )[A-Z][\w'’-]*")
_LOWER_WORD = re.compile(r"(?<![\w'’-])[a-z][\w'’-]*")
_CAPITAL_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)+")


def unquoted_names(query: Query, chunks: Sequence[ScoredChunk], sentence: ScoredSentence) -> tuple[str, ...]:
    """The question's words that the retrieved passages write as names (capitalised inside a
    sentence, never in lower case) and that neither the quote nor its article's title holds:
    "maryland" in "how many of the fraud cases were in maryland?" against the national total,
    "tuesday" against "cancelled 287 flights on Monday". The quote is on the subject but not about
    what is asked: *uncertain*, not *answered*. (What a quote calls "it" or "he" is named in its
    article's title, its first sentence or the sentence before the quote: "how many languages can
    lumen translate?"; a quote naming "Manning" names "Peyton Manning".)"""
    names: set[str] = set()
    lower: set[str] = set()  # words also written in lower case are words ("Party", "Company"), not names
    runs: list[set[str]] = []  # "Peyton Manning": quoting "Manning" quotes the name
    for chunk in chunks:
        for m in _INNER_CAPITAL.finditer(chunk.hit.text):
            names.update(terms(m.group(0)))
        lower.update(t for w in _LOWER_WORD.findall(chunk.hit.text) for t in terms(w))
        runs += [set(terms(m.group(0))) for m in _CAPITAL_RUN.finditer(chunk.hit.text)]
    asked = (set(terms(query.asked)) - _MEASURE_WORDS) & (names - lower)
    quoted = set(terms(f"{sentence.hit.title or ''} {sentence.text}"))
    quoted |= {t for run in runs if run & quoted for t in run}
    # The story's subject is named in its title or its first sentence, if not in the quote ("The
    # repairs will cost ..." in an outlet's copy whose title does not name the Brisa Bridge).
    lede = next((c.sentences[0].text for c in chunks
                 if c.hit.article_id == sentence.hit.article_id and c.hit.start == 0 and c.sentences), "")
    # ... or in the sentence before the quote, which "he" or "it" refers back to
    before = sentence.hit.text[max(0, sentence.start - 400):sentence.start]
    previous = re.split(r"(?<=[.!?])\s+", before.strip())[-1] if before.strip() else ""
    return tuple(sorted(asked - quoted - set(terms(lede)) - set(terms(previous))))


def short_answer(query: Query, sentence: ScoredSentence) -> str | None:
    """The one span of the kind asked for that the quote holds and the question lacks, or None
    (no kind asked, none found, or several: then the quote speaks for itself)."""
    if query.kind not in SHORT_KINDS:
        return None
    found = {s.text for s in new_spans(sentence.text, query.kind, query.known)}
    if query.kind == "person" and found:  # the name in the asked role, not any name ("Macron" for Rutte's deed)
        return role_filler(query.question, sentence.text, sorted(found), query.kind)
    if len(found) != 1:
        return None
    (text,) = found
    return text if text in sentence.text else None


def build_answer(query: Query, decision: Decision) -> Answer:
    """The `Answer` a user sees for `decision`."""
    chosen = list(decision.chosen)
    if decision.outcome == "not_in_articles":
        citations = [cite(n, s.hit, s.start, s.end, s.evidence) for n, s in enumerate(chosen, start=1)]
        text = NOT_IN_ARTICLES + (" The closest passages are listed as sources." if citations else "")
        return Answer(query.asked, text, citations, abstained=True, evidence=decision.evidence,
                      outcome="not_in_articles")
    # Sentences of one article read best in the article's own order.
    first = chosen[0].hit.article_id
    chosen.sort(key=lambda s: (s.hit.article_id != first, s.key))
    citations = [cite(n, s.hit, s.start, s.end, s.evidence) for n, s in enumerate(chosen, start=1)]
    quoted = " ".join(f"{s.text} [{c.n}]" for s, c in zip(chosen, citations, strict=True))
    if decision.outcome == "uncertain":
        return Answer(query.asked, f"{UNCERTAIN} {quoted}", citations, abstained=False, evidence=decision.evidence,
                      outcome="uncertain", confidence=decision.confidence)
    lead = decision.chosen[0]  # the best, before reordering
    short = decision.short
    if not decision.verified:
        short = short_answer(query, lead)
    if short:
        n = next(c.n for s, c in zip(chosen, citations, strict=True) if s is lead)
        quoted = f"{short} [{n}]. {quoted}"
    return Answer(query.asked, quoted, citations, abstained=False, evidence=decision.evidence,
                  outcome="answered", confidence=decision.confidence, short_answer=short)


def cite(n: int, hit: Hit, start: int, end: int, score: float) -> Citation:
    """Citation `[n]`: the quote `hit.text[start:end]` (whitespace trimmed), the article it comes
    from, and the passage (the chunk) it stands in. `score` is the quote's evidence (extractive)
    or its chunk's ranking score (llm); `page` is the page the quote starts on (PDF sources).
    Every `Citation` of an answer is made here."""
    passage = hit.text
    quote = passage[start:end].strip()
    first = start + (len(passage[start:end]) - len(passage[start:end].lstrip()))  # the quote's first character
    return Citation(n=n, article_id=hit.article_id, title=hit.title, date=hit.date, source=hit.source,
                    quote=quote, url=hit.url, passage=passage, quote_start=start,
                    quote_end=end, score=float(round(score, 4)), page=hit.page_at(first))

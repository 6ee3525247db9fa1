"""Training pairs for the verifier (`qa.answering.verifier`), made from data the project has.

The verifier reads a pair of texts and says whether the second holds what the first asks or
claims. Three kinds of first text (the task is written into the input, one model for all):

- ``question: Q`` against a candidate sentence: does the sentence hold what was asked?
- ``question: Q answer: A`` against a sentence: does A fill the asked role in it? ("who rejected
  ground troops? answer: Macron" against the Rutte sentence: no)
- ``claim: C`` against a window of 1-3 source sentences: supported, contradicted or not stated?

Labels: 0 yes (holds / supported), 1 contradicted, 2 no (does not hold / not stated), and 3
"not supported" for binary NLI rows that do not say which of 1 and 2 (the loss only pushes
probability away from 0 for them).

Where the pairs come from (all under `../shared/eval` or in this repository):
- question side: SelQA dev (gold sentence vs the other sentences of its section), SQuAD v1.1
  dev's training half of articles (answer sentence vs the rest of its paragraph, the adversarial
  distractor sentences of those articles as on-topic negatives), the natural training splits
  (`tests/data/natural/{tune,train-a,train-b,train-c}`), and cloze questions made from real news
  sentences of RealTimeQA 2024 (an entity or figure turned into a wh-word);
- claim side: SNLI, MNLI and FEVER NLI pairs, claims made by rule from news sentences
  (FactCC-style): the rules below, each tested on a fixed sentence (`tests/test_verifier_data.py`);
  with `train_verifier --claim-sets` also the hand-written claim sets whose misses have been read
  (`tests/data/claims`, `train_verifier.SEEN_CLAIM_SETS`), never `blind5` to `blind10`, which
  measure it (measured and not shipped: README, "The verifier").

RealTimeQA articles are split by week: the first six weeks train, the last two are the held-out
test split the verifier never sees (`HELD_OUT_WEEKS`).
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.loading.text import sentence_spans
from qa.answering.answer_type import spans
from qa.answering.lexical import terms
from qa.answering.verifier import claim_input, question_input  # the inputs as read at answer time

YES, CONTRADICTED, NO, NOT_SUPPORTED = 0, 1, 2, 3
HELD_OUT_WEEKS = ("20240517", "20240524", "20240531")


@dataclass(frozen=True)
class Pair:
    """One training example: `first` (task + question or claim), `second` (the text read)."""

    first: str
    second: str
    label: int
    source: str  # which generator made it (for the per-source report)


# --- rule-made claims -------------------------------------------------------------------------

_AUX = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|did|does|do|must|may|might)\b(?! not\b)")
_NEGATED = re.compile(r"\b(is|was|are|were|has|have|had|will|would|can|could|should|did|does|do|must)\s+not\b|"
                      r"\b(isn't|wasn't|aren't|weren't|hasn't|haven't|hadn't|won't|wouldn't|can't|couldn't|"
                      r"shouldn't|didn't|doesn't|don't)\b|\bnever\b")
_CONTRACTED = {"isn't": "is", "wasn't": "was", "aren't": "are", "weren't": "were", "hasn't": "has", "haven't": "have",
               "hadn't": "had", "won't": "will", "wouldn't": "would", "can't": "can", "couldn't": "could",
               "shouldn't": "should", "didn't": "did", "doesn't": "does", "don't": "do"}
_HEDGES = ((r"\bmay\b", "will"), (r"\bmight\b", "will"), (r"\bcould\b", "will"), (r"\bsome\b", "all"),
           (r"\breportedly\b", "officially"), (r"\bsuspected\b", "confirmed"), (r"\bexpected to\b", "certain to"),
           (r"\blikely\b", "certain"), (r"\bpossibly\b", "definitely"), (r"\bplans to\b", "has already agreed to"),
           (r"\balleged(ly)?\b", "proven"), (r"\bseveral\b", "all"), (r"\bmany\b", "all"))
_INVENTED = ("on Tuesday", "in front of {n} supporters", "according to officials in {place}", "after a {n}-hour meeting",
             "with the backing of {person}", "for the first time since {year}", "at a cost of ${n} million",
             "despite objections from {person}", "in a statement released late on Friday", "before {n} reporters")
_CAUSES = ("because", "due to the fact that", "as a result of the fact that", "after")
_FILLER_PLACES = ("Geneva", "Lagos", "Ottawa", "Brisbane", "Lima", "Oslo", "Nairobi", "Osaka")
_FILLER_PEOPLE = ("Anna Kowalski", "David Mensah", "Maria Lopez", "John Keller", "Priya Nair", "Tom Okafor")


def negate(sentence: str) -> str | None:
    """Insert a negation after the first auxiliary ("was" -> "was not"), or None."""
    m = _AUX.search(sentence)
    if m is None or _NEGATED.search(sentence):
        return None
    return sentence[:m.end()] + " not" + sentence[m.end():]


def drop_negation(sentence: str) -> str | None:
    """Remove the sentence's negation ("did not" -> "did", "never" -> "once"), or None."""
    m = _NEGATED.search(sentence)
    if m is None:
        return None
    word = m.group(0)
    if word.lower() == "never":
        replaced = "once"
    elif word.lower() in _CONTRACTED:
        replaced = _CONTRACTED[word.lower()]
    else:
        replaced = word.rsplit(" ", 1)[0]
    return sentence[:m.start()] + replaced + sentence[m.end():]


def make_certain(sentence: str) -> str | None:
    """Turn the first hedge into certainty ("may" -> "will", "some" -> "all"), or None."""
    for pattern, certain in _HEDGES:
        m = re.search(pattern, sentence, re.I)
        if m:
            return sentence[:m.start()] + certain + sentence[m.end():]
    return None


def swap_span(sentence: str, kind: str, pool: Sequence[str], rng: random.Random) -> str | None:
    """Replace one span of `kind` (person, place, name, number, money, date, percent) with another
    of that kind from `pool` (the same article), or None when there is none to swap."""
    # ("may" is a month only when capitalised: a lower-case date word is a modal or a noun)
    found = [s for s in spans(sentence, kind) if len(s.text) > 1 and not s.text.islower()]
    if not found:
        return None
    span = rng.choice(found)
    others = sorted({p for p in pool if p.lower() != span.text.lower()
                     and not re.search(rf"(?<!\w){re.escape(p)}(?!\w)", sentence, re.I)})
    if not others:
        return None
    return sentence[:span.start] + rng.choice(others) + sentence[span.end:]


def add_cause(sentence: str, other: str, rng: random.Random) -> str | None:
    """Attach another sentence of the article as the cause ("... because <other>")."""
    body, other = sentence.rstrip(" .!?\"'”"), other.strip().rstrip(" .!?")
    if len(other) < 20 or not body:
        return None
    return f"{body} {rng.choice(_CAUSES)} {other[0].lower()}{other[1:]}."


def add_detail(sentence: str, rng: random.Random) -> str:
    """A true sentence with an invented detail appended ("..., in front of 5,000 supporters.")."""
    detail = rng.choice(_INVENTED).format(n=f"{rng.choice([2, 3, 12, 40, 150, 5000, 1200]):,}",
                                          place=rng.choice(_FILLER_PLACES), person=rng.choice(_FILLER_PEOPLE),
                                          year=rng.randint(1990, 2015))
    return f"{sentence.rstrip(' .!?')} {detail}."


def shorten(sentence: str) -> str | None:
    """The sentence without a trailing clause after its last comma or a parenthesis (still true)."""
    cut = re.sub(r"\s*\([^)]*\)", "", sentence)
    if cut != sentence and len(cut) > 30:
        return cut
    head, sep, tail = sentence.rpartition(", ")
    if sep and len(head) > 40 and len(tail.split()) >= 3:
        return head.rstrip(" ,") + "."
    return None


def combine(first: str, second: str) -> str:
    """Two sentences of one paragraph joined into one claim (supported by the window holding both)."""
    return f"{first.rstrip(' .!?')}, and {second[0].lower()}{second[1:]}"


_SAID = re.compile(r"^[\"“](?P<quote>.+?)[,.]?[\"”],?\s+(?P<who>[A-Z][^,.]{1,60}?)\s+(?:said|says|told [^.]+)\.?$")
_SYNONYMS = ((r"\bsaid\b", "stated"), (r"\bmore than\b", "over"), (r"\babout\b", "roughly"),
             (r"\bannounced\b", "made public"), (r"\bbegan\b", "started"), (r"\bbought\b", "purchased"),
             (r"\bhelp\b", "assist"), (r"\bbig\b", "large"), (r"\bshows?\b", "indicates"),
             (r"\bpeople\b", "individuals"), (r"\bcity\b", "town"), (r"\bkilled\b", "left dead"),
             (r"\balso\b", ""), (r"\bvery\b", ""), (r"\bjust\b", ""))
_ATTRIBUTION = re.compile(r",\s+(?:according to [^,.]+|(?:he|she|they|officials|police|[A-Z]\w+) (?:said|added|says))\.$")


def paraphrase(sentence: str, rng: random.Random) -> str | None:
    """A near-paraphrase that keeps the meaning: a quote turned into reported speech ("X said"
    -> "According to X, ..."), an attribution dropped, common words swapped for synonyms."""
    m = _SAID.match(sentence.strip())
    if m:
        quote = m.group("quote").strip()
        return f"According to {m.group('who')}, {quote[0].lower()}{quote[1:]}."
    out = _ATTRIBUTION.sub(".", sentence)
    for pattern, other in rng.sample(_SYNONYMS, len(_SYNONYMS)):
        if re.search(pattern, out) and rng.random() < 0.7:
            out = re.sub(r"\s{2,}", " ", re.sub(pattern, other, out, count=1))
    return out if out != sentence else None


def cut_span(sentence: str, text: str) -> str | None:
    """The sentence with the answer taken out (and a preposition left dangling before it): on
    topic, the asked detail missing."""
    at = sentence.find(text)
    if at < 0:
        return None
    before = re.sub(r"\b(in|at|on|of|by|from|to|for|with|about|near)\s*$", "", sentence[:at]).rstrip()
    out = re.sub(r"\s{2,}", " ", f"{before} {sentence[at + len(text):].lstrip()}").strip()
    return out if len(terms(out)) >= 3 else None


_KINDS = ("person", "name", "place", "number", "money", "percent", "date")


def article_pools(sentences: Sequence[str]) -> dict[str, list[str]]:
    """Every span of each kind in an article: what same-article swaps draw from."""
    pools: dict[str, set[str]] = {k: set() for k in _KINDS}
    for sentence in sentences:
        for kind in _KINDS:
            pools[kind].update(s.text for s in spans(sentence, kind) if len(s.text) > 1)
    return {k: sorted(v) for k, v in pools.items()}


def window(sentences: Sequence[str], i: int, rng: random.Random) -> tuple[str, int, int]:
    """A window of 1-3 consecutive sentences around sentence i: (text, first, last)."""
    size = rng.choice((1, 2, 2, 3, 3))
    first = max(0, min(i - rng.randint(0, size - 1), len(sentences) - size))
    last = min(len(sentences), first + size)
    return " ".join(sentences[first:last]), first, last


def claim_pairs(sentences: Sequence[str], rng: random.Random, source: str) -> Iterator[Pair]:
    """FactCC-style claims from one article's sentences, balanced between supported and not."""
    pools = article_pools(sentences)
    usable = [i for i, s in enumerate(sentences) if 40 <= len(s) <= 300]
    for i in rng.sample(usable, min(len(usable), 6)):
        s = sentences[i]
        text, first, last = window(sentences, i, rng)
        # supported: the sentence itself, shortened, or combined with its neighbour in the window
        supported = [s]
        if (short := shorten(s)) is not None:
            supported.append(short)
        if (said := paraphrase(s, rng)) is not None:
            supported += [said, said]
        if last - first >= 2:
            a, b = sentences[first], sentences[first + 1]
            supported.append(combine(a, b))
        yield Pair(claim_input(rng.choice(supported)), text, YES, f"{source}:supported")
        # unsupported: one rule, chosen among those that apply to this sentence
        made: list[tuple[str, int, str]] = []
        near = article_pools([x for j, x in enumerate(sentences[first:last], start=first) if j != i])
        for kind in _KINDS:
            # a figure or name from the window's other sentences is the hardest swap: it is "in the source"
            pool = near[kind] if near[kind] and rng.random() < 0.6 else pools[kind]
            swapped = swap_span(s, kind, pool, rng)
            if swapped and not any(swapped in w for w in (text,)):
                made.append((swapped, CONTRADICTED, f"swap_{kind}"))
        if (negated := negate(s)) is not None:
            made.append((negated, CONTRADICTED, "negation"))
        if (dropped := drop_negation(s)) is not None:
            made.append((dropped, CONTRADICTED, "dropped_negation"))
        if (certain := make_certain(s)) is not None:
            made.append((certain, NO, "certainty"))
        others = [x for j, x in enumerate(sentences) if not first <= j < last]
        if others:
            if (caused := add_cause(s, rng.choice(others), rng)) is not None:
                made.append((caused, NO, "wrong_cause"))
            made.append((rng.choice(others), NO, "elsewhere"))  # on topic, not in the window
        made.append((add_detail(s, rng), NO, "invented_detail"))
        claim, label, rule = rng.choice(made)
        yield Pair(claim_input(claim), text, label, f"{source}:{rule}")


# --- cloze questions from news sentences ------------------------------------------------------

_WH = {"person": "who", "name": "what", "place": "where", "number": "how many", "money": "how much",
       "percent": "what percentage", "date": "when"}


def cloze(sentence: str, kind: str, rng: random.Random) -> tuple[str, str] | None:
    """(question, answer): one span of `kind` turned into a short wh-question about it, the way
    people type them: a few words either side of the span, the wh-word first, one word in seven
    dropped, half in lower case, so that it is not a copy of the sentence."""
    found = [s for s in spans(sentence, kind) if len(s.text) > 1]
    if not found:
        return None
    span = rng.choice(found)
    before, after = sentence[:span.start], sentence[span.end:]
    if kind == "place":
        before = re.sub(r"\b(in|at|near|from|to|on)\s*$", "", before)
    left = before.split()[-rng.randint(3, 8):] if before.strip() else []
    right = after.split()[:rng.randint(3, 8)]
    context = [w for w in (left + right) if rng.random() > 1 / 7]
    if len(terms(" ".join(context))) < 3:
        return None
    question = f"{_WH[kind]} {' '.join(context)}".strip(" .,;:\"'“”()") + "?"
    return (question.lower() if rng.random() < 0.5 else question), span.text


def question_pairs(question: str, positive: str, negatives: Sequence[str], answer: str | None,
                   rng: random.Random, source: str, wrong_answers: Sequence[str] = ()) -> Iterator[Pair]:
    """The positive sentence, up to three on-topic negatives, and the answer-role pairs."""
    yield Pair(question_input(question), positive, YES, f"{source}:holds")
    for negative in rng.sample(list(negatives), min(3, len(negatives))):
        yield Pair(question_input(question), negative, NO, f"{source}:other_sentence")
    if answer:
        if (cut := cut_span(positive, answer)) is not None and rng.random() < 0.5:
            yield Pair(question_input(question), cut, NO, f"{source}:detail_removed")
        yield Pair(question_input(question, answer), positive, YES, f"{source}:role_right")
        wrong = [w for w in wrong_answers if w.lower() not in answer.lower() and answer.lower() not in w.lower()]
        if wrong:
            yield Pair(question_input(question, rng.choice(wrong)), positive, NO, f"{source}:role_wrong")


def news_cloze_pairs(sentences: Sequence[str], rng: random.Random, source: str) -> Iterator[Pair]:
    pools = article_pools(sentences)
    usable = [i for i, s in enumerate(sentences) if 40 <= len(s) <= 300]
    for i in rng.sample(usable, min(len(usable), 3)):
        s = sentences[i]
        kinds = [k for k in _KINDS if any(True for _ in spans(s, k))]
        if not kinds:
            continue
        kind = rng.choice(kinds)
        made = cloze(s, kind, rng)
        if made is None:
            continue
        question, answer = made
        in_sentence = [x.text for x in spans(s, kind) if x.text != answer]
        wrong = in_sentence or pools[kind]
        negatives = [x for j, x in enumerate(sentences) if j != i and answer.lower() not in x.lower()]
        yield from question_pairs(question, s, negatives, answer, rng, source, wrong)


# --- readers of ../shared/eval and the natural sets ---------------------------------------------

def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text) if b - a > 1]


def realtimeqa_articles(eval_dir: Path, *, held_out: bool) -> list[tuple[str, list[str]]]:
    """(url, sentences) of RealTimeQA 2024 articles: training weeks, or the held-out weeks (an
    article returned in both is kept only in the training weeks... and so never tested)."""
    by_week: dict[str, dict[str, str]] = {}
    for path in sorted((eval_dir / "realtimeqa-2024").glob("*_gcs.jsonl.gz")):
        week = path.name[:8]
        for line in gzip.open(path, "rt", encoding="utf-8"):
            for result in json.loads(line).get("search_result", []):
                if result.get("text") and result.get("url"):
                    by_week.setdefault(week, {})[result["url"]] = result["text"]
    train_urls = {u for w, d in by_week.items() if w not in HELD_OUT_WEEKS for u in d}
    out: dict[str, str] = {}
    for week, docs in sorted(by_week.items()):
        if (week in HELD_OUT_WEEKS) != held_out:
            continue
        for url, text in docs.items():
            if held_out and url in train_urls:
                continue
            out.setdefault(url, text)
    return [(url, split_sentences(text[:20000])) for url, text in sorted(out.items())]


def selqa_pairs(eval_dir: Path, rng: random.Random, split: str = "dev") -> Iterator[Pair]:
    data = json.load(gzip.open(eval_dir / "selqa" / f"selqa-ass-{split}.json.gz", "rt", encoding="utf-8"))
    for record in data:
        candidates = record["candidates"]
        candidates = json.loads(candidates) if isinstance(candidates, str) else candidates
        gold = set(record["answers"])
        positives = [c for n, c in enumerate(candidates) if n in gold]
        negatives = [c for n, c in enumerate(candidates) if n not in gold]
        if positives:
            yield from question_pairs(record["question"], rng.choice(positives), negatives, None, rng, "selqa")


def squad_pairs(eval_dir: Path, titles: set[str], rng: random.Random) -> Iterator[Pair]:
    """SQuAD v1.1 answer sentences vs their paragraph's other sentences, with answer-role pairs;
    and the adversarial distractor sentences of the same articles as negatives."""
    data = json.loads((eval_dir / "squad-v1.1-dev.json").read_text(encoding="utf-8"))["data"]
    for article in data:
        if article["title"] not in titles:
            continue
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            bounds = sentence_spans(context)
            for qa in paragraph["qas"]:
                answer = qa["answers"][0]
                start = answer["answer_start"]
                hit = [(a, b) for a, b in bounds if a <= start < b]
                if not hit:
                    continue
                a, b = hit[0]
                positive = context[a:b]
                negatives = [context[x:y] for x, y in bounds if (x, y) != (a, b)]
                kinds = [k for k in _KINDS if any(s.text == answer["text"] for s in spans(positive, k))]
                wrong = [s.text for k in kinds for s in spans(positive, k) if s.text != answer["text"]]
                yield from question_pairs(qa["question"], positive, negatives, answer["text"], rng, "squad", wrong)
    adversarial = json.load(gzip.open(eval_dir / "squad-adversarial" / "addsent.json.gz", "rt", encoding="utf-8"))
    for article in adversarial["data"]:
        if article["title"] not in titles:
            continue
        for paragraph in article["paragraphs"]:
            bounds = sentence_spans(paragraph["context"])
            if not bounds:
                continue
            x, y = bounds[-1]
            distractor = paragraph["context"][x:y]
            for qa in paragraph["qas"]:
                if "-" in qa["id"]:  # the adversarial copies; the originals come from squad-v1.1 above
                    yield Pair(question_input(qa["question"]), distractor, NO, "squad:distractor")


def natural_pairs(dirs: Sequence[Path], rng: random.Random) -> Iterator[Pair]:
    """The hand-written natural training splits: the sentence holding the answer (positive),
    the article's other sentences and, for unanswerable questions, the split's most overlapping
    sentences (negatives)."""
    for folder in dirs:
        articles = {p.name: split_sentences(_body(p)) for p in sorted((folder / "articles").glob("*"))}
        every = [s for sentences in articles.values() for s in sentences]
        for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("history"):
                continue  # follow-ups: their question alone does not say what is asked
            question, answers = record["question"], [a for a in record.get("answers", []) if a]
            if not answers:
                asked = set(terms(question))
                near = sorted(every, key=lambda s: -len(asked & set(terms(s))))[:4]
                for sentence in near:
                    yield Pair(question_input(question), sentence, NO, "natural:unanswerable")
                continue
            sentences = articles.get(record.get("article") or "", every)
            holding = [s for s in sentences if any(a.lower() in s.lower() for a in answers)]
            if not holding:
                continue
            negatives = [s for s in sentences if s not in holding]
            kinds = [k for k in _KINDS if any(answers[0].lower() in x.text.lower() for x in spans(holding[0], k))]
            wrong = [x.text for k in kinds for x in spans(holding[0], k) if answers[0].lower() not in x.text.lower()]
            for _ in range(2):  # hand-written: worth twice a generated pair
                yield from question_pairs(question, holding[0], negatives, answers[0], rng, "natural", wrong)


def _body(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    return text.split("\n\n", 1)[1] if "\n\n" in text else text


def nli_pairs(eval_dir: Path, rng: random.Random, *, per_set: int) -> Iterator[Pair]:
    """SNLI (three labels), MNLI and FEVER (binary) pairs, `per_set` of each, premise second."""
    nli = eval_dir / "nli"
    snli: list[Pair] = []
    for split in ("dev", "test"):
        premises = gzip.open(nli / "snli" / f"s1.{split}.gz", "rt", encoding="utf-8").read().splitlines()
        claims = gzip.open(nli / "snli" / f"s2.{split}.gz", "rt", encoding="utf-8").read().splitlines()
        labels = gzip.open(nli / "snli" / f"labels.{split}.gz", "rt", encoding="utf-8").read().splitlines()
        code = {"entailment": YES, "contradiction": CONTRADICTED, "neutral": NO}
        snli += [Pair(claim_input(c), p, code[lab], "snli") for p, c, lab in zip(premises, claims, labels, strict=True)
                 if lab in code]
    yield from rng.sample(snli, min(per_set, len(snli)))
    for name in ("mnli-binary", "fever-nli"):
        rows = []
        for split in ("dev", "test"):
            for line in gzip.open(nli / name / f"{split}.txt.gz", "rt", encoding="utf-8"):
                parts = line.rstrip("\n").split("\t")
                if len(parts) == 3:
                    label, premise, claim = parts
                    rows.append(Pair(claim_input(claim), premise[:1500],
                                     YES if label == "entailment" else NOT_SUPPORTED, name))
        yield from rng.sample(rows, min(per_set, len(rows)))


# How each unsupported kind of the claim sets reads: a wrong fact stated (contradicted) or a
# fact the source does not give (not stated).
_CONTRADICTING_KINDS = frozenset({"negation", "dropped_negation", "entity_swap", "figure_swap"})


def claim_set_pairs(paths: Sequence[Path], *, repeat: int = 1) -> Iterator[Pair]:
    """The hand-written claims of `tests/data/claims` files (read as `qa eval` reads them) against
    their cited source passages, each `repeat` times (a hand-written claim is worth more than a
    generated one): supported (YES), a wrong fact (CONTRADICTED) or a detail the source does not
    give (NO)."""
    from qa.evaluation.claims import load_claims  # here: it brings the evaluation runner with it

    for path in paths:
        for claim in load_claims(Path(path)).questions:
            if claim.answerable:
                label = YES
            else:
                label = CONTRADICTED if claim.kind in _CONTRADICTING_KINDS else NO
            pair = Pair(claim_input(claim.text), claim.extra["source"], label, f"claims:{Path(path).stem}")
            for _ in range(repeat):
                yield pair


def news_pairs(articles: Sequence[tuple[str, list[str]]], rng: random.Random, source: str) -> Iterator[Pair]:
    for _, sentences in articles:
        if len(sentences) >= 3:
            yield from claim_pairs(sentences, rng, f"{source}-claim")
            yield from news_cloze_pairs(sentences, rng, f"{source}-cloze")

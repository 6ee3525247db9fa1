"""Which sentence is quoted: SelQA (answer sentence selection and answer triggering) and
adversarial SQuAD (a distractor sentence appended to the paragraph).

Both go through the chat's own code, like SQuAD (`qa.evaluation.runner`): the data is ingested
as articles into a fresh index, every question is asked with `Assistant.trace`, and the quote
is measured. The index answers with one quoted sentence (`answer.max_sentences: 1`), so that
"the quoted sentence" is the one the assistant chose first.

SelQA (Jurczyk et al. 2016; `../shared/eval/selqa/selqa-ass-{dev,test}.json.gz`): a JSON list of
`{"question", "article", "section", "candidates": [sentences], "answers": [indices], ...}`.
Each distinct section (its candidate sentences joined) is one article, so every question's
candidates are one article among all the others. For answer triggering, as in the SelQA and
WikiQA (Yang et al. 2015) papers, some questions must have no answer: for a fixed half of the
questions (drawn with `UNANSWERABLE_SEED`, whatever `--seed` says) the gold sentences are
removed from their section, and those questions are the unanswerable ones. A section shared by
several questions is drawn as a whole, so a question never finds its gold sentence through a
copy of its section.

- `sentence_choice`: answerable questions whose quoted sentence (answered or uncertain) is one
  of its gold sentences, in its own section;
- `trigger_precision`, `trigger_recall`, `trigger_f1`: question level, "answered" (the outcome,
  not "uncertain") with a correct sentence over the questions answered, and over the answerable
  ones; `answered_unanswerable` and `quoted_unanswerable` (answered or uncertain) say how often a
  question whose answer was removed still gets one.

Adversarial SQuAD (Jia and Liang 2017; `../shared/eval/squad-adversarial/addsent.json.gz`):
SQuAD v1.1 JSON in which a question's paragraph may end with an added on-topic sentence that
does not answer it. Question ids of the adversarial copies are the original id plus a suffix
(`-high-conf-turk0`); the distractor is what the paragraph adds to the original SQuAD v1.1
paragraph of that id (`squad-v1.1-dev.json`, beside the file or one folder up). The index holds
the original paragraphs, one article each (id `Title#n`); an adversarial question is asked with
its own paragraph swapped for the adversarial copy, and the original put back after, so every
question sees its distractor and no other.

- `distractor_quoted` / `distractor_answered`: adversarial questions whose quoted sentence is
  the distractor (answered or uncertain / answered);
- `recall@1` and the other SQuAD measures over all questions, as for SQuAD (a chunk is relevant
  when it is of the question's title and holds a gold answer), and `recall@1_adversarial`,
  `answer_hit_adversarial` over the adversarial ones.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.errors import QAError
from index.loading.text import normalize_text, split_sentences
from index.models import Article
from qa.api import Assistant
from qa.config import Settings
from qa.evaluation.metrics import normalize_answer, rate, recall_at_k
from qa.evaluation.questions import Dataset, EvalQuestion
from qa.evaluation.runner import EvalResult, QuestionResult, ask, judge_ranking, score

UNANSWERABLE_SEED = 0  # which SelQA questions lose their gold sentences: fixed, whatever --seed says
ORIGINAL_SQUAD = "squad-v1.1-dev.json"
_ADVERSARIAL_ID = re.compile(r"^(?P<base>[0-9a-f]{24})-.+$")


def read_json(path: Path) -> Any:
    """A .json or .json.gz file."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return json.load(handle)


def looks_like_selqa(data: Any) -> bool:
    return (isinstance(data, list) and bool(data) and isinstance(data[0], dict)
            and {"question", "candidates", "answers"} <= set(data[0]))


def looks_like_adversarial(data: Any) -> bool:
    """SQuAD JSON with the adversarial copies' question ids (`<original id>-<suffix>`)."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return False
    return any(_ADVERSARIAL_ID.match(str(qa.get("id", ""))) for entry in data["data"]
               for paragraph in entry.get("paragraphs", []) for qa in paragraph.get("qas", []))


def one_quote(settings: Settings) -> Settings:
    """`settings` answering with one quoted sentence: the one the assistant chose first."""
    single = settings.model_copy(deep=True)
    single.answer.max_sentences = 1
    return single


# -- SelQA ------------------------------------------------------------------------------
def load_selqa(path: Path) -> Dataset:
    data = read_json(path)
    if not looks_like_selqa(data):
        raise QAError(f"{path}: a SelQA file is a JSON list of {{question, candidates, answers, ...}}")
    sections: dict[tuple, str] = {}  # (article, section, candidates) -> article id
    asked: dict[str, list[int]] = {}  # article id -> its questions (positions in data)
    for n, record in enumerate(data):
        key = (record.get("article", ""), record.get("section", ""), tuple(record["candidates"]))
        sid = sections.setdefault(key, f"selqa-{len(sections):05d}")
        asked.setdefault(sid, []).append(n)
    removed = _unanswerable_sections(asked, len(data))
    articles, questions = [], []
    for (wiki, section, candidates), sid in sections.items():
        golds = {normalize_text(candidates[i]) for n in asked[sid] for i in data[n]["answers"]}
        # A removed answer goes with every copy of it (some sections repeat a line).
        kept = [c for c in candidates if sid not in removed or normalize_text(c) not in golds]
        title = f"{wiki} ({section})" if section else wiki
        articles.append(Article(id=sid, title=title, text=normalize_text(" ".join(kept)),
                                source=f"selqa:{wiki}#{section}"))
        for n in asked[sid]:
            record = data[n]
            gold = tuple(normalize_text(candidates[i]) for i in record["answers"])
            answerable = sid not in removed
            questions.append(EvalQuestion(
                id=f"q{n:04d}", text=record["question"].strip(), answerable=answerable,
                golds=gold if answerable else (), article_id=sid,
                kind="paraphrased" if record.get("is_paraphrase") else "original",
                extra={"gold_sentences": list(gold), "removed": not answerable}))
    questions.sort(key=lambda q: q.id)
    name = re.sub(r"\.json(\.gz)?$", "", path.name)
    return Dataset(name, "selqa", articles, questions)


def _unanswerable_sections(asked: dict[str, list[int]], total: int) -> set[str]:
    """Sections drawn at random (`UNANSWERABLE_SEED`) until their questions are half of all."""
    order = sorted(asked)
    random.Random(UNANSWERABLE_SEED).shuffle(order)
    chosen, covered = set(), 0
    for sid in order:
        if covered >= total // 2:
            break
        chosen.add(sid)
        covered += len(asked[sid])
    return chosen


def sentence_matches(quote: str, sentences: list[str] | tuple[str, ...]) -> bool:
    """Whether a quoted sentence is one of `sentences` (SQuAD-normalized): it holds one, or it is
    at least half of one (the sentence splitter may cut a sentence where the data did not)."""
    q = normalize_answer(quote)
    if not q:
        return False
    for sentence in sentences:
        s = normalize_answer(sentence)
        if s and (s in q or (q in s and len(q) >= len(s) / 2)):
            return True
    return False


def _own_quote(result: QuestionResult) -> str | None:
    """The quoted sentence, when the answer quotes one (answered or uncertain) from the
    question's own article; None otherwise."""
    if result.abstained or not result.quotes:
        return None
    article_id, quote = result.quotes[0]
    return quote if article_id == result.question.article_id else None


def selqa_judge(question: EvalQuestion, ranked: list[tuple[str, str]]) -> tuple[list[str], int | None]:
    """A chunk is relevant when it is of the question's section and holds a gold sentence."""
    golds = question.golds
    flags = [article_id == question.article_id and bool(golds) and any(
        normalize_answer(g) in normalize_answer(text) for g in golds) for article_id, text in ranked[:10]]
    rank = next((n for n, flag in enumerate(flags, start=1) if flag), None)
    return ["1" if f else "0" for f in flags], rank


def score_selqa(results: list[QuestionResult]) -> dict[str, float | None]:
    answerable = [r for r in results if r.question.answerable]
    unanswerable = [r for r in results if not r.question.answerable]

    def correct(r: QuestionResult) -> bool:
        quote = _own_quote(r)
        return quote is not None and sentence_matches(quote, r.question.extra["gold_sentences"])

    answered = [r for r in results if r.outcome == "answered"]
    hits = sum(1 for r in answered if r.question.answerable and correct(r))
    precision = hits / len(answered) if answered else None
    recall = hits / len(answerable) if answerable else None
    f1 = (2 * precision * recall / (precision + recall) if precision and recall else
          (0.0 if precision is not None and recall is not None else None))
    ranks = [r.rank for r in answerable]
    base, _ = score(results, "selqa")
    return {
        "sentence_choice": rate(correct(r) for r in answerable),
        "trigger_precision": precision, "trigger_recall": recall, "trigger_f1": f1,
        "answered_answerable": rate(r.outcome == "answered" for r in answerable),
        "answered_unanswerable": rate(r.outcome == "answered" for r in unanswerable),
        "quoted_unanswerable": rate(not r.abstained for r in unanswerable),
        "recall@1": recall_at_k(ranks, 1) if answerable else None,
        "recall@5": recall_at_k(ranks, 5) if answerable else None,
        "mrr": base["mrr"],
        "latency_p50_ms": base["latency_p50_ms"], "latency_p95_ms": base["latency_p95_ms"],
    }


def run_selqa(assistant: Assistant, dataset: Dataset, questions: list[EvalQuestion], ingest: dict,
              progress: Callable[[int, int], None] | None = None) -> EvalResult:
    results = []
    for n, question in enumerate(questions, start=1):
        results.append(ask(assistant, question, selqa_judge))
        if progress:
            progress(n, len(questions))
    _, stages = score(results, "selqa")
    counts = {"answerable": sum(q.answerable for q in questions),
              "unanswerable": sum(not q.answerable for q in questions)}
    return EvalResult(dataset.name, "selqa", len(questions), assistant.decider.threshold, results, ingest,
                      score_selqa(results), {"stages": stages, "counts": counts})


# -- adversarial SQuAD -------------------------------------------------------------------
def _original_squad(path: Path) -> Path:
    for folder in (path.parent, path.parent.parent):
        if (folder / ORIGINAL_SQUAD).is_file():
            return folder / ORIGINAL_SQUAD
    raise QAError(f"{path}: adversarial SQuAD is measured against the original SQuAD v1.1 dev file "
                  f"({ORIGINAL_SQUAD}), found neither in {path.parent} nor in {path.parent.parent}")


def paragraph_title(article_id: str) -> str:
    """`Super_Bowl_50#12` -> `Super_Bowl_50`."""
    return article_id.rsplit("#", 1)[0]


def load_squad_adversarial(path: Path) -> Dataset:
    data = read_json(path)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise QAError(f"{path}: not SQuAD JSON (no top-level data list)")
    original = read_json(_original_squad(path))["data"]
    titles = {entry["title"] for entry in data["data"]}
    articles: list[Article] = []
    where: dict[str, tuple[str, str]] = {}  # original question id -> (paragraph article id, its raw text)
    for entry in original:
        title = entry["title"]
        if title not in titles:
            continue
        for n, paragraph in enumerate(entry["paragraphs"]):
            pid = f"{title}#{n}"
            articles.append(Article(id=pid, title=title.replace("_", " "), text=normalize_text(paragraph["context"]),
                                    source=f"squad:{title}"))
            for qa in paragraph["qas"]:
                where[str(qa["id"])] = (pid, paragraph["context"])
    questions, unknown = [], 0
    for entry in data["data"]:
        for paragraph in entry["paragraphs"]:
            for qa in paragraph["qas"]:
                qid = str(qa["id"])
                match = _ADVERSARIAL_ID.match(qid)
                base = match.group("base") if match else qid
                if base not in where:
                    unknown += 1
                    continue
                pid, context = where[base]
                extra: dict[str, Any] = {"paragraph": pid}
                adversarial = paragraph["context"] != context
                if adversarial:
                    extra["adversarial_text"] = normalize_text(paragraph["context"])
                    extra["distractor"] = _added(context, paragraph["context"])
                golds = tuple(a["text"] for a in qa.get("answers", []) if a.get("text", "").strip())
                questions.append(EvalQuestion(id=qid, text=qa["question"].strip(), golds=golds,
                                              article_id=entry["title"],
                                              kind="adversarial" if adversarial else "original", extra=extra))
    if not questions:
        raise QAError(f"{path}: none of its questions is in {ORIGINAL_SQUAD} ({unknown} unknown ids)")
    name = re.sub(r"\.json(\.gz)?$", "", path.name)
    return Dataset(f"squad-adversarial-{name}", "squad-adversarial", articles, questions)


def _added(original: str, adversarial: str) -> str:
    """What the adversarial paragraph adds to the original: its appended sentence."""
    if adversarial.startswith(original):
        return normalize_text(adversarial[len(original):])
    known = {normalize_text(s) for s in split_sentences(original)}
    added = [s for s in split_sentences(normalize_text(adversarial)) if normalize_text(s) not in known]
    return added[-1] if added else ""


def adversarial_judge(question: EvalQuestion, ranked: list[tuple[str, str]]) -> tuple[list[str], int | None]:
    """As for SQuAD: a chunk is relevant when it is of the question's title and holds a gold answer."""
    return judge_ranking(question, "squad", [(paragraph_title(a), text) for a, text in ranked])


def _quotes_distractor(result: QuestionResult) -> bool:
    distractor = result.question.extra.get("distractor")
    if not distractor or result.abstained or not result.quotes:
        return False
    return sentence_matches(result.quotes[0][1], [distractor])


def score_adversarial(results: list[QuestionResult]) -> dict[str, float | None]:
    adversarial = [r for r in results if r.question.kind == "adversarial"]
    base, _ = score(results, "squad")
    metrics: dict[str, float | None] = {
        "distractor_quoted": rate(_quotes_distractor(r) for r in adversarial),
        "distractor_answered": rate(r.outcome == "answered" and _quotes_distractor(r) for r in adversarial),
        "recall@1": base["recall@1"], "recall@5": base["recall@5"], "mrr": base["mrr"],
        "answer_hit": base["answer_hit"], "quote_holds": base["quote_holds"],
        "recall@1_adversarial": recall_at_k([r.rank for r in adversarial], 1) if adversarial else None,
        "answer_hit_adversarial": rate(r.answer_hit for r in adversarial),
        "not_answered_answerable": base["not_answered_answerable"],
        "latency_p50_ms": base["latency_p50_ms"], "latency_p95_ms": base["latency_p95_ms"],
    }
    return metrics


def run_squad_adversarial(assistant: Assistant, dataset: Dataset, questions: list[EvalQuestion], ingest: dict,
                          progress: Callable[[int, int], None] | None = None) -> EvalResult:
    """Ask each question with its own paragraph as the question has it: the original paragraphs
    are indexed; for an adversarial question its paragraph is replaced by the adversarial copy
    (the same article id, so the index re-embeds that paragraph only) and put back after."""
    originals = {a.id: a for a in dataset.articles}
    by_paragraph: dict[str, list[EvalQuestion]] = {}
    for question in questions:
        by_paragraph.setdefault(question.extra["paragraph"], []).append(question)
    results, done = [], 0
    for pid in sorted(by_paragraph):
        group = sorted(by_paragraph[pid], key=lambda q: (q.kind == "adversarial", q.id))
        swapped = False
        for question in group:
            if question.kind == "adversarial":
                original = originals[pid]
                copy = Article(id=pid, title=original.title, text=question.extra["adversarial_text"],
                               source=original.source)
                assistant.ingest_articles([copy])
                swapped = True
            results.append(ask(assistant, question, adversarial_judge))
            done += 1
            if progress:
                progress(done, len(questions))
        if swapped:
            assistant.ingest_articles([originals[pid]])
    _, stages = score(results, "squad")
    counts = {"adversarial": sum(q.kind == "adversarial" for q in questions),
              "original": sum(q.kind != "adversarial" for q in questions)}
    return EvalResult(dataset.name, "squad-adversarial", len(questions), assistant.decider.threshold, results,
                      ingest, score_adversarial(results), {"stages": stages, "counts": counts})

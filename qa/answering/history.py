"""Chat history -> what a follow-up question means, without an LLM.

"What did he announce about missiles?" after "What did Macron say at the conference?" means
"What did Macron announce about missiles?". The rule, in order:

1. A question that stands on its own (names what it asks about, no pronoun pointing back, more
   than one content word) is left alone, so changing the subject works.
2. Otherwise it is a follow-up. Personal pronouns (he, she, him, his, her) are replaced by the
   person the conversation last put forward: when the last question asked for a person ("who
   runs the transit authority?"), the person its answer named ("Paul Brennan is its chief
   executive"); otherwise the last person named in the user's turns, then in the answers.
   "It", "they" and ellipsis ("and how many were hurt?") have no safe substitute, so the
   previous question's content words are added as context.
3. Retrieval uses the previous question plus the resolved follow-up; answering (the kind of
   answer, the words that must be present, the short answer) uses the resolved follow-up; a
   candidate answer in the last question, or, when "it"/"they" point back, in its answer's
   first sentence, is not a new one.

A history is read once, where the question enters (`parse_history`: the dicts, pairs and
trimming), into `Exchange`s; everything else here takes those.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from index.loading.text import split_sentences
from qa.answering.answer_type import expected_type, spans
from qa.answering.lexical import terms

_REFERRING = frozenset(
    "he she it they them his her its their theirs this that these those there then him such "
    "former latter".split()
)
_PERSONAL = {"he": "{name}", "she": "{name}", "him": "{name}", "his": "{name}'s", "hers": "{name}'s"}
_PRONOUNS_OF = {"m": ("he", "him", "his"), "f": ("she", "her", "hers")}
_GENDER = {word: gender for gender, words in _PRONOUNS_OF.items() for word in words}
_PRONOUN = re.compile(r"\b(he|she|him|his|hers|her)\b", re.I)
_THING = re.compile(r"\b(it|its|they|them|their|this|that|these|those)\b", re.I)
_FOLLOW_UP_OPENERS = ("and ", "but ", "what about", "how about", "also ", "so ", "then ")


@dataclass(frozen=True)
class Exchange:
    """One question of the conversation and the answer it got (None: not given, or not yet)."""

    question: str
    answer: str | None = None


@dataclass(frozen=True)
class FollowUp:
    """A question as asked, as resolved by the conversation, and the query to retrieve with."""

    asked: str
    resolved: str
    query: str
    is_follow_up: bool = False
    context: str = ""  # what the conversation already said: the last question and its answer's lead


def parse_history(history: Sequence[Any] | None, max_chars: int | None = None) -> list[Exchange]:
    """The exchanges of a chat history, oldest first: the one reader of the shapes it comes in.

    `history` holds `{"role", "content"}` dicts (Gradio, the JSON API, MCP, OpenAI style),
    `(user, assistant)` pairs (the Python API) or `Exchange`s (already parsed: they pass
    through). A user message starts an exchange; an assistant message answers the last one
    when it has no answer yet. Blank messages, other roles (system) and anything else are
    dropped.

    With `max_chars` (`answer.history_chars`) only the newest turns whose text fits are read,
    oldest dropped first: a turn is one message or one whole pair, counted in characters (a
    model-independent bound, and no tokenizer download). The newest turn is kept, cut to the
    budget, even when it alone is longer: its start is what a follow-up refers back to.
    """
    turns = [_Turn.read(item) for item in history or []]
    if max_chars is not None:
        turns = _newest(turns, max_chars)
    exchanges: list[Exchange] = []
    for turn in turns:
        if not turn.text.strip():
            continue
        if turn.pair or turn.role == "user":
            exchanges.append(Exchange(turn.text, turn.answer or None))
        elif turn.role == "assistant" and exchanges and not exchanges[-1].answer:
            exchanges[-1] = Exchange(exchanges[-1].question, turn.text)
    return exchanges


@dataclass(frozen=True)
class _Turn:
    """One item of a raw history as read: a message (`role`, `text`), or a pair (`text` the
    user's, `answer` the assistant's); anything else is an empty turn."""

    text: str = ""
    answer: str = ""
    role: str = ""
    pair: bool = False

    @classmethod
    def read(cls, item: Any) -> _Turn:
        if isinstance(item, Exchange):
            return cls(item.question, item.answer or "", pair=True)
        if isinstance(item, dict):
            content, role = item.get("content"), item.get("role")
            return cls(content, role=role if isinstance(role, str) else "") if isinstance(content, str) else cls()
        if isinstance(item, (list, tuple)):
            question = item[0] if item and isinstance(item[0], str) else ""
            answer = item[1] if len(item) > 1 and isinstance(item[1], str) else ""
            return cls(question, answer, pair=True)
        return cls()

    @property
    def chars(self) -> int:
        return len(self.text) + len(self.answer)

    def cut(self, max_chars: int) -> _Turn:
        text = self.text[:max_chars]
        return dataclasses.replace(self, text=text, answer=self.answer[:max_chars - len(text)])


def _newest(turns: list[_Turn], max_chars: int) -> list[_Turn]:
    """The newest `turns` that fit in `max_chars` (see `parse_history`)."""
    kept: list[_Turn] = []
    used = 0
    for turn in reversed(turns):
        if used + turn.chars > max_chars:
            if not kept and max_chars > 0:
                kept.append(turn.cut(max_chars))
            break
        kept.append(turn)
        used += turn.chars
    return kept[::-1]


# What an answer says first, without the service's own framing and citation markers.
_ANSWER_FRAMING = re.compile(r"^\s*(?:\*\*[^*]+:\*\*\s*)?(?:The closest the articles come:\s*)?", re.I)
_MARKERS = re.compile(r"\s*\[\d+\]|[*_`#>]")


def answer_lead(answer: str, limit: int = 160) -> str:
    """The first sentence of an assistant answer, cleaned ("Paris [1]. The conference ..." ->
    "Paris."), at most `limit` characters: what a follow-up most likely points back to."""
    text = _MARKERS.sub("", _ANSWER_FRAMING.sub("", answer.strip().split("\n", 1)[0])).strip()
    if text.lower().startswith("not in the articles"):
        return ""
    first = (split_sentences(text) or [""])[0]
    return first[:limit].strip() if re.search(r"[^\W\d_]", first) else ""


def _people(text: str, exclude: str = "") -> list[str]:
    names = [s.text for s in spans(text, "person") if s.text.lower() not in _REFERRING]
    asked = exclude.lower()
    return [n for n in names if not n.isupper() and n.lower() not in asked]  # "NATO", "EU": organizations


def referent_people(history: Sequence[Exchange]) -> list[str]:
    """The people "he" and "she" may mean after `history`, most likely first (see the module's
    rule): after a "who" question, the person its answer named; then the people the user named;
    then those the answers named; newer exchanges first."""
    ranked: list[str] = []
    for exchange in reversed(history):
        question = exchange.question
        lead = answer_lead(exchange.answer) if exchange.answer else ""
        answered = _people(lead, exclude=question)
        asked = _people(question)[::-1]  # the last one named first
        # A full-sentence lead names its subject first ("Paul Brennan is its chief executive");
        # a bare answer ("Executive director Carla Jimenez.") has the name after the titles.
        order = answered + asked if expected_type(question) == "person" else asked + answered
        ranked += [name for name in order if name not in ranked]
    return ranked


def is_follow_up(question: str) -> bool:
    lowered = question.strip().lower()
    words = {w.strip("?,.!;:'\"") for w in lowered.split()}
    return bool(words & _REFERRING) or lowered.startswith(_FOLLOW_UP_OPENERS) or len(terms(question)) < 2


def resolve_pronouns(question: str, name: str, only: Sequence[str] = tuple(_GENDER)) -> str:
    """`question` with personal pronouns (those in `only`) replaced by `name` ("his plan" ->
    "Macron's plan")."""
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
        if lowered not in only:
            return word
        if lowered == "her":  # "her plan" is possessive, "ask her" is not
            following = question[match.end():].lstrip()
            possessive = bool(following) and following[0].isalpha() and not following.lower().startswith(
                ("about", "to ", "in ", "on ", "at ", "for ", "with ", "and ", "or "))
            return f"{name}'s" if possessive else name
        return _PERSONAL[lowered].format(name=name)

    return re.sub(r"\b(he|she|him|his|hers|her)\b", swap, question, flags=re.I)


def resolve(question: str, history: Sequence[Exchange]) -> FollowUp:
    """What `question` means after `history` (`parse_history`; see the module's rule)."""
    asked = question.strip()
    if not history or not is_follow_up(asked):
        return FollowUp(asked, asked, asked)
    resolved = asked
    people = referent_people(history)
    genders: dict[str, int] = {}
    for match in _PRONOUN.finditer(asked):
        genders.setdefault(_GENDER[match.group(0).lower()], match.start())
    # "why did she say he deserved it": two genders are two people, the first pronoun is the
    # likelier referent; with only one person known the second pronoun is left as it is.
    for gender, person in zip(genders, people, strict=False):  # in order of first use
        resolved = resolve_pronouns(resolved, person, only=_PRONOUNS_OF[gender])
    last = history[-1]
    previous = last.question.strip()
    lead = answer_lead(last.answer) if last.answer else ""
    # The answer's words are not searched with: they pull toward the sentence that answered the
    # last question, which is rarely the one that answers this one.
    query = f"{previous} {resolved}"
    # "who is the product lead on it?": what "it" points to is what the last answer was about,
    # so nothing in that answer is new. Without such a word ("who scored?") the last answer may
    # have named the answer in passing, and it stays a candidate.
    refers = bool(_THING.search(asked))
    context = f"{previous} {lead}" if refers and lead else previous
    return FollowUp(asked, resolved, query, is_follow_up=True, context=context)

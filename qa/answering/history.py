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
"""

from __future__ import annotations

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
class FollowUp:
    """A question as asked, as resolved by the conversation, and the query to retrieve with."""

    asked: str
    resolved: str
    query: str
    is_follow_up: bool = False
    context: str = ""  # what the conversation already said: the last question and its answer's lead


def user_turns(history: Sequence[Any] | None) -> list[str]:
    """The user's messages in `history`, which may hold `{"role", "content"}` dicts (Gradio,
    OpenAI style) or `(user, assistant)` pairs."""
    return [question for question, _ in exchanges(history)]


def exchanges(history: Sequence[Any] | None) -> list[tuple[str, str]]:
    """(user question, assistant answer) pairs of `history`, oldest first; an answer not (yet)
    given is "". `history` holds `{"role", "content"}` dicts or `(user, assistant)` pairs."""
    pairs: list[tuple[str, str]] = []
    for item in history or []:
        if isinstance(item, dict):
            content = item.get("content")
            if not isinstance(content, str) or not content.strip():
                continue
            if item.get("role") == "user":
                pairs.append((content, ""))
            elif item.get("role") == "assistant" and pairs and not pairs[-1][1]:
                pairs[-1] = (pairs[-1][0], content)
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str) and item[0].strip():
            answer = item[1] if len(item) > 1 and isinstance(item[1], str) else ""
            pairs.append((item[0], answer))
    return pairs


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


def referent_people(history: Sequence[Any] | None) -> list[str]:
    """The people "he" and "she" may mean after `history`, most likely first (see the module's
    rule): after a "who" question, the person its answer named; then the people the user named;
    then those the answers named; newer exchanges first."""
    ranked: list[str] = []
    for question, answer in reversed(exchanges(history)):
        lead = answer_lead(answer) if answer else ""
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


def resolve(question: str, history: Sequence[Any] | None) -> FollowUp:
    """What `question` means after `history` (see the module's rule)."""
    asked = question.strip()
    previous = user_turns(history)
    if not previous or not is_follow_up(asked):
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
    pairs = exchanges(history)
    lead = answer_lead(pairs[-1][1]) if pairs and pairs[-1][0].strip() == previous[-1].strip() else ""
    # The answer's words are not searched with: they pull toward the sentence that answered the
    # last question, which is rarely the one that answers this one.
    query = f"{previous[-1].strip()} {resolved}"
    # "who is the product lead on it?": what "it" points to is what the last answer was about,
    # so nothing in that answer is new. Without such a word ("who scored?") the last answer may
    # have named the answer in passing, and it stays a candidate.
    refers = bool(_THING.search(asked))
    context = f"{previous[-1].strip()} {lead}" if refers and lead else previous[-1].strip()
    return FollowUp(asked, resolved, query, is_follow_up=True, context=context)


def trim_history(history: Sequence[Any] | None, max_chars: int) -> list[Any]:
    """The newest turns of `history` whose text fits in `max_chars`, oldest dropped first.

    A turn is a `{"role", "content"}` dict or a `(user, assistant)` pair; a budget is counted
    in characters (a model-independent bound, and no tokenizer download). The newest turn is
    kept, cut to the budget, even when it alone is longer.
    """
    kept: list[Any] = []
    used = 0
    for item in reversed(list(history or [])):
        size = _turn_chars(item)
        if used + size > max_chars:
            if not kept and max_chars > 0:
                kept.append(_cut(item, max_chars))
            break
        kept.append(item)
        used += size
    return kept[::-1]


def _turn_chars(item: Any) -> int:
    if isinstance(item, dict):
        content = item.get("content")
        return len(content) if isinstance(content, str) else 0
    if isinstance(item, (list, tuple)):
        return sum(len(part) for part in item if isinstance(part, str))
    return 0


def _cut(item: Any, max_chars: int) -> Any:
    """A turn cut to `max_chars`: the start of a message is what a follow-up refers back to."""
    if isinstance(item, dict) and isinstance(item.get("content"), str):
        return {**item, "content": item["content"][:max_chars]}
    if isinstance(item, (list, tuple)):
        user = item[0][:max_chars] if item and isinstance(item[0], str) else ""
        rest = max_chars - len(user)
        answer = item[1][:rest] if len(item) > 1 and isinstance(item[1], str) else ""
        return (user, answer)
    return item

"""Chat history -> what a follow-up question means, without an LLM.

"What did he announce about missiles?" after "What did Macron say at the conference?" means
"What did Macron announce about missiles?". The rule, in order:

1. A question that stands on its own (names what it asks about, no pronoun pointing back, more
   than one content word) is left alone, so changing the subject works.
2. Otherwise it is a follow-up. Personal pronouns (he, she, him, his, her) are replaced by the
   last person named in the conversation; "it", "they" and ellipsis ("and how many were hurt?")
   have no safe substitute, so the previous question's content words are added as context.
3. Retrieval uses the previous question plus the resolved follow-up; answering (the kind of
   answer, the words that must be present, the short answer) uses the resolved follow-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.answer_type import spans
from qa.lexical import terms

_REFERRING = frozenset(
    "he she it they them his her its their theirs this that these those there then him such "
    "former latter".split()
)
_PERSONAL = {"he": "{name}", "she": "{name}", "him": "{name}", "his": "{name}'s", "hers": "{name}'s"}
_FOLLOW_UP_OPENERS = ("and ", "but ", "what about", "how about", "also ", "so ", "then ")


@dataclass(frozen=True)
class FollowUp:
    """A question as asked, as resolved by the conversation, and the query to retrieve with."""

    asked: str
    resolved: str
    query: str
    is_follow_up: bool = False


def user_turns(history: Sequence[Any] | None) -> list[str]:
    """The user's messages in `history`, which may hold `{"role", "content"}` dicts (Gradio,
    OpenAI style) or `(user, assistant)` pairs."""
    turns: list[str] = []
    for item in history or []:
        if isinstance(item, dict):
            if item.get("role") == "user" and isinstance(item.get("content"), str):
                turns.append(item["content"])
        elif isinstance(item, (list, tuple)) and item and isinstance(item[0], str):
            turns.append(item[0])
    return [t for t in turns if t.strip()]


def is_follow_up(question: str) -> bool:
    lowered = question.strip().lower()
    words = {w.strip("?,.!;:'\"") for w in lowered.split()}
    return bool(words & _REFERRING) or lowered.startswith(_FOLLOW_UP_OPENERS) or len(terms(question)) < 2


def last_person(turns: Sequence[str]) -> str | None:
    """The last multi-word or otherwise unambiguous proper name in `turns`, newest turn first."""
    for turn in reversed(turns):
        names = [s.text for s in spans(turn, "person") if s.text.lower() not in _REFERRING]
        people = [n for n in names if not n.isupper()]  # "NATO", "EU" are organizations
        if people:
            return people[-1]
    return None


def resolve_pronouns(question: str, name: str) -> str:
    """`question` with personal pronouns replaced by `name` ("his plan" -> "Macron's plan")."""
    def swap(match: re.Match[str]) -> str:
        word = match.group(0)
        lowered = word.lower()
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
    person = last_person(previous)
    if person and re.search(r"\b(he|she|him|his|hers|her)\b", asked, re.I):
        resolved = resolve_pronouns(asked, person)
    query = f"{previous[-1].strip()} {resolved}"
    return FollowUp(asked, resolved, query, is_follow_up=True)


def contextualize(question: str, history: Sequence[Any] | None) -> str:
    """The query to retrieve with: the question, preceded by the last user question when the
    new one reads as a follow-up (pronouns resolved)."""
    return resolve(question, history).query


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

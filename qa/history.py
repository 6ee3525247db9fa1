"""Chat history -> a standalone retrieval query, without an LLM.

A follow-up such as "Who opposed it?" says little on its own; joined to the previous question
it retrieves the passage the conversation is about. A question that stands on its own is
left alone, so changing the subject works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qa.lexical import terms

_REFERRING = frozenset(
    "he she it they them his her its their theirs this that these those there then him such "
    "former latter".split()
)
_FOLLOW_UP_OPENERS = ("and ", "but ", "what about", "how about", "also ")


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


def contextualize(question: str, history: Sequence[Any] | None) -> str:
    """The query to retrieve with: the question, preceded by the last user question when the
    new one reads as a follow-up."""
    previous = user_turns(history)
    if previous and is_follow_up(question):
        return f"{previous[-1].strip()} {question.strip()}"
    return question.strip()

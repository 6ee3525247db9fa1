"""What a question must be before anything is done with it: not empty, not too long."""

from __future__ import annotations

from typing import Any

from index.errors import EmptyQuestionError, QAError

MAX_QUESTION_CHARS = 20_000  # the hard cap; `answer.max_question_chars` (default 2000) is the limit


def check_question(question: Any, limit: int = MAX_QUESTION_CHARS) -> None:
    """Raise a clear error for a question that is empty or too long."""
    if not isinstance(question, str) or not question.strip():
        raise EmptyQuestionError("the question is empty: type a question about the articles")
    if len(question) > limit:
        raise QAError(f"the question is {len(question)} characters long; the limit is {limit}")

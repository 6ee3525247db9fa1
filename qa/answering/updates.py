"""A question about how things stand now wants the newest report of the story.

News stories develop: a museum's reward is $50,000 in the first report and $100,000 two weeks
later. "What's the reward now?" must quote the later report, even when the judge, reading each
sentence on its own, rates the first higher (it names the museum; the update only says "raised
its reward"). So when a question asks for the current state ("now", "so far", "latest", ...),
the sentences of articles published after the judge's choice (up to the as-of date) that hold
the kind asked for are read by the verifier too, and the newest one it rates about as well as
the judge's choice is quoted instead.

"still" is not a current-state word here: "how many flights a day will still go to Chicago?"
asks about a plan, and was measured to pick the wrong report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.answering.scoring import ScoredSentence

CURRENT_STATE = re.compile(
    r"\b(now|currently|latest|newest|most recent(?:ly)?|so far|to date|at this point|by now|yet|recently|"
    r"lately|this week)\b", re.I)
# How far under the judge's choice the verifier may rate a newer report and still have it quoted:
# an update is often worded without the story's names ("raised its reward to $100,000").
UPDATE_MARGIN = 0.3
# How many newer sentences the verifier reads when confirming, the judge's best first: each is a
# model call; on the natural training splits 2 to 12 give the same answers.
UPDATE_READS = 3


def asks_current_state(question: str) -> bool:
    """Whether `question` asks how things stand now (as opposed to what happened once)."""
    return CURRENT_STATE.search(question) is not None


def _day(date: str | None) -> str | None:
    return date[:10] if date else None


def later_reports(lead: ScoredSentence, sentences: Sequence[ScoredSentence], as_of: str | None,
                  required: bool) -> list[ScoredSentence]:
    """The sentences of `sentences` published after `lead` and by `as_of` (None: no bound), that
    hold the kind asked for when one is `required`."""
    first = _day(lead.hit.date)
    if first is None:
        return []
    last = _day(as_of) or "9999-12-31"
    return [s for s in sentences if s is not lead and (day := _day(s.hit.date)) is not None
            and first < day <= last and (s.type_match or not required)]


def newest_report(lead_score: float, later: Sequence[tuple[ScoredSentence, float]],
                  margin: float = UPDATE_MARGIN) -> tuple[ScoredSentence, float] | None:
    """Of the later sentences with their verifier scores, the one to quote instead of the
    judge's choice (scored `lead_score`): from the newest day with one rated at least
    `lead_score - margin`, the best rated. None: keep the judge's choice."""
    close = [(s, score) for s, score in later if score >= lead_score - margin]
    if not close:
        return None
    newest = max(_day(s.hit.date) or "" for s, _ in close)
    return max(((s, score) for s, score in close if _day(s.hit.date) == newest), key=lambda pair: pair[1])

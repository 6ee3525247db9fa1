"""The embeddable widget's options and labels.

A host page sets them on the launcher (`ui/static/widget.js`, `data-` attributes), which passes
them to `/embed/` as query parameters: `title`, `lang`, `example` (repeated) and `accent`. They
come from any page, so each is checked here: text is bounded, stripped of control characters and
only ever shown escaped (the empty state is Markdown made by `escape_md`, the examples are plain
text); an unknown language is English. The accent colour is applied by the page's script
(`ui/static/face.js`), which accepts a hex colour only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ui.render import escape_md

MAX_TITLE_CHARS = 80
MAX_EXAMPLES = 4
MAX_EXAMPLE_CHARS = 160
# The example a widget is built with when the index is empty (see `ui.chat.build_chat`); each page
# load replaces it.
FALLBACK_EXAMPLE = "What do the articles say?"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Labels:
    title: str
    hint: str
    placeholder: str


# The widget's own words. The answers are in the articles' words; their headings stay English.
LABELS = {
    "en": Labels("Ask the articles", "Ask a question: the answer quotes the articles, with their sources.",
                 "Ask a question about the articles…"),
    "fr": Labels("Interrogez les articles", "Posez une question : la réponse cite les articles, avec leurs sources.",
                 "Une question sur les articles…"),
    "de": Labels("Fragen Sie die Artikel", "Stellen Sie eine Frage: Die Antwort zitiert die Artikel samt Quellen.",
                 "Eine Frage zu den Artikeln…"),
}


def clean_text(value: object, limit: int) -> str:
    """One line of at most `limit` characters, without control or direction-changing characters."""
    if not isinstance(value, str):
        return ""
    return " ".join(_CONTROL.sub(" ", value).split())[:limit].strip()


@dataclass(frozen=True)
class WidgetOptions:
    lang: str = "en"
    title: str = ""
    examples: tuple[str, ...] = ()

    @property
    def labels(self) -> Labels:
        return LABELS[self.lang]

    @classmethod
    def from_query(cls, params: Any) -> WidgetOptions:  # noqa: ANN401 (Starlette QueryParams or a dict)
        """The options a page's query string asks for; anything unusable is left out."""
        get_list = getattr(params, "getlist", None)
        raw_examples = get_list("example") if get_list else [params.get("example")]
        lang = params.get("lang") if params.get("lang") in LABELS else "en"
        examples = [clean_text(q, MAX_EXAMPLE_CHARS) for q in raw_examples[:MAX_EXAMPLES]]
        return cls(lang=lang, title=clean_text(params.get("title"), MAX_TITLE_CHARS),
                   examples=tuple(dict.fromkeys(q for q in examples if q)))

    def empty_state(self) -> str:
        """What the chat shows before the first question: the title and a one-line hint (Markdown)."""
        return f"### {escape_md(self.title or self.labels.title)}\n\n{escape_md(self.labels.hint)}"

    def example_messages(self, defaults: Sequence[str]) -> list[dict[str, str]]:
        """The example questions as Gradio's chatbot takes them: the page's, else `defaults`."""
        return [{"text": q} for q in (self.examples or tuple(defaults)[:MAX_EXAMPLES])]

"""Unit tests for ui/render.py: answers -> Markdown where article text is shown, never run."""

from __future__ import annotations

import re

from qa.models import Answer, Citation
from ui.render import CONTEXT_CHARS, escape_md, render_answer, render_citation

SCRIPT = "<script>alert(1)</script>"


def citation(n: int = 1, *, quote: str = "Nothing should be ruled out.", before: str = "Macron spoke. ",
             after: str = " Allies disagreed.", title: str = "Macron on troops", url: str | None = None,
             source: str = "/data/articles/macron.txt", date: str | None = "2024-02-27") -> Citation:
    passage = before + quote + after
    return Citation(n=n, article_id=f"article-{n}", title=title, date=date, source=source, quote=quote,
                    url=url, passage=passage, quote_start=len(before), quote_end=len(before) + len(quote))


def answer(text: str, citations: list[Citation], abstained: bool = False) -> Answer:
    return Answer(question="What did Macron say?", text=text, citations=citations, abstained=abstained)


def assert_no_raw_html(markdown: str) -> None:
    without_marks = re.sub(r"</?mark>", "", markdown)
    assert "<script" not in markdown.lower()
    assert "<" not in without_marks, "only the <mark> highlight is raw HTML"


# --- escape_md --------------------------------------------------------------------------------

def test_escape_md_neutralizes_html() -> None:
    escaped = escape_md(SCRIPT)
    assert "<" not in escaped and ">" not in escaped
    assert "&lt;script&gt;" in escaped


def test_escape_md_neutralizes_emphasis_links_and_code() -> None:
    escaped = escape_md("*bold* _it_ `code` [link](https://evil.example) ![img](x.png)")
    for raw in ("*bold*", "_it_", "`code`", "[link]", "![img]"):
        assert raw not in escaped
    assert escaped.replace("\\", "") == "*bold* _it_ `code` [link](https://evil.example) ![img](x.png)"


def test_escape_md_keeps_plain_text() -> None:
    assert escape_md("Macron said on Monday that 3 options remain.") == \
        "Macron said on Monday that 3 options remain."


def test_escape_md_of_entities_shows_them_literally() -> None:
    assert escape_md("&lt;b&gt; & co") == "&amp;lt;b&amp;gt; &amp; co"


# --- render_citation --------------------------------------------------------------------------

def test_quote_is_highlighted_inside_its_passage() -> None:
    out = render_citation(citation())
    assert "<mark>Nothing should be ruled out.</mark>" in out
    assert out.index("Macron spoke.") < out.index("<mark>") < out.index("Allies disagreed.")
    assert out.startswith("**[1] Macron on troops** · 2024-02-27")
    assert "Source: macron.txt" in out  # the file name: a reader never sees the server's folders


def test_quote_without_passage_is_still_highlighted() -> None:
    c = Citation(n=2, article_id="a", title="T", date=None, source="s.txt", quote="Just the quote.")
    out = render_citation(c)
    assert "<mark>Just the quote.</mark>" in out
    assert "·" not in out  # no date, no separator


def context_of(out: str) -> str:
    """The passage line of a card (after "> "), without the highlight."""
    return re.sub(r"</?mark>", "", out.split("\n> ", 1)[1])


def test_an_unbreakable_context_is_trimmed_to_the_bound() -> None:
    # No space to cut at: the only case a cut falls inside a "word".
    out = render_citation(citation(before="B" * 500 + " ", after=" " + "A" * 500))
    assert "B" * CONTEXT_CHARS in out and "B" * (CONTEXT_CHARS + 1) not in out
    assert "A" * CONTEXT_CHARS in out and "A" * (CONTEXT_CHARS + 1) not in out
    assert context_of(out).startswith("…B") and context_of(out).endswith("A…")


WORDS = "the coalition of western allies considered several options for long range support "


def test_long_sentences_around_the_quote_are_cut_at_word_boundaries() -> None:
    # One sentence on each side, each longer than the bound: cut between words, marked "…".
    before = "Earlier " + WORDS * 6 + "today. "
    after = " Later " + WORDS * 6 + "tonight."
    out = render_citation(citation(before=before, after=after))
    context = context_of(out)
    assert context.startswith("…") and context.endswith("…") and ".…" not in context
    lead, tail = context[1:].split(" Nothing should be ruled out. ")
    words = set(WORDS.split()) | {"today.", "Earlier", "Later", "tonight."}
    assert all(w in words for w in lead.split() + tail[:-1].split())  # whole words only, at both cuts
    assert CONTEXT_CHARS - 20 < len(lead) <= CONTEXT_CHARS and CONTEXT_CHARS - 20 < len(tail) - 1 <= CONTEXT_CHARS


def test_context_is_cut_at_sentence_boundaries_when_sentences_fit() -> None:
    sentences = [f"Sentence number {i} says something short." for i in range(20)]
    out = render_citation(citation(before=" ".join(sentences) + " ", after=" " + " ".join(sentences)))
    context = context_of(out)
    lead, tail = context.split(" Nothing should be ruled out. ")
    assert not context.startswith("…") and not context.endswith("…")  # whole sentences: nothing cut mid-way
    assert lead.startswith("Sentence number") and lead.endswith("Sentence number 19 says something short.")
    assert tail.startswith("Sentence number 0 ") and tail.endswith("says something short.")
    assert 0 < len(lead) <= CONTEXT_CHARS and 0 < len(tail) <= CONTEXT_CHARS
    assert len(lead) > CONTEXT_CHARS - 50 and len(tail) > CONTEXT_CHARS - 50  # as many as fit


def test_a_short_passage_is_shown_whole() -> None:
    out = render_citation(citation())
    assert context_of(out) == "Macron spoke. Nothing should be ruled out. Allies disagreed."


def test_collapsed_card_is_one_summary_line_that_opens() -> None:
    c = citation(title=f"Title {SCRIPT} *x*", quote=f"He typed {SCRIPT} live.")
    out = render_citation(c, collapsed=True)
    summary, body = out.split("\n\n", 1)
    assert summary == ("<details><summary><strong>[1] Title &lt;script&gt;alert(1)&lt;/script&gt; *x*</strong>"
                       " · 2024-02-27</summary>")
    assert body.startswith("Source: macron.txt  \n> Macron spoke. <mark>He typed &lt;script&gt;")
    assert body.endswith("\n\n</details>")
    assert_no_raw_html(re.sub(r"</?(details|summary|strong)>", "", out))


def test_context_across_paragraphs_stays_in_the_card() -> None:
    # A blank line inside the blockquote would end it and spill the passage into the chat.
    out = render_citation(citation(before="First paragraph ends.\n\nMacron spoke. ",
                                   after="\n\nNext paragraph here."))
    quote_lines = out.split("\n")[2:]
    assert len(quote_lines) == 1 and quote_lines[0].startswith("> ")
    assert "First paragraph ends." in quote_lines[0] and "Next paragraph here." in quote_lines[0]


def test_script_in_quote_passage_and_title_is_escaped() -> None:
    c = citation(quote=f"He typed {SCRIPT} live.", before=f"Before {SCRIPT}. ", after=f" After {SCRIPT}.",
                 title=f"Title {SCRIPT}", source=f"feeds/{SCRIPT}.txt")
    out = render_citation(c)
    assert_no_raw_html(out)
    assert out.count("&lt;script&gt;") == 5  # title, source, before, quote, after: shown, not run
    assert re.search(r"<mark>He typed &lt;script&gt;.*live\.</mark>", out)


def test_http_urls_become_links() -> None:
    out = render_citation(citation(url="https://example.com/news?id=1&x=2", source="https://example.com/news"))
    assert "](https://example.com/news?id=1&amp;x=2)" in out
    out = render_citation(citation(url="http://example.com/a"))
    assert "](http://example.com/a)" in out


def test_other_url_schemes_are_not_links() -> None:
    for url in ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://example.com/a"):
        out = render_citation(citation(url=url, source=url))
        assert "](" not in out, url
        assert_no_raw_html(out)


def test_url_with_markup_is_escaped_in_the_link() -> None:
    out = render_citation(citation(url=f'https://example.com/"><script>x</script>'))
    assert_no_raw_html(out)


# --- render_answer ----------------------------------------------------------------------------

def test_citation_markers_survive_and_text_is_escaped() -> None:
    out = render_answer(answer(f"Macron said it [1]. Scholz said {SCRIPT} no [2].",
                               [citation(1), citation(2, title="Scholz")]))
    first_line = out.split("\n")[0]
    assert "[1]" in first_line and "[2]" in first_line
    assert "\\[1\\]" not in out
    assert_no_raw_html(out)
    assert "**Sources**" in out and "Closest sources" not in out
    assert out.index("**[1] Macron on troops**") < out.index("**[2] Scholz**")


def test_abstained_answer_lists_closest_sources() -> None:
    out = render_answer(answer("The articles do not say who won.", [citation(1), citation(2)], abstained=True))
    assert "Closest sources" in out
    assert out.startswith("⚠️ *The articles do not say who won.*")
    assert "<mark>" not in out  # the closest passages are not evidence: nothing highlighted
    assert out.count("Nothing should be ruled out.") == 2  # the passages are still shown


def test_answered_and_uncertain_answers_highlight_their_quotes() -> None:
    assert render_answer(answer("Nothing should be ruled out. [1]", [citation(1)])).count("<mark>") == 1
    uncertain = Answer(question="q", text="The closest the articles come: Nothing should be ruled out. [1]",
                       citations=[citation(1)], abstained=False, outcome="uncertain")
    assert render_answer(uncertain).count("<mark>") == 1


def test_the_widget_collapses_every_card() -> None:
    out = render_answer(answer("Macron said it [1]. Scholz too [2].", [citation(1), citation(2, title="Scholz")]),
                        collapsed=True)
    assert out.count("<details><summary>") == 2 and "**Sources**" in out


def test_answer_without_citations_has_no_sources_header() -> None:
    out = render_answer(answer("The articles do not say.", [], abstained=True))
    assert "sources" not in out.lower()
    out = render_answer(answer("Plain answer.", []))
    assert out == "Plain answer."


def test_streaming_prefix_without_sources() -> None:
    full = answer("Macron said it [1]. More follows [1].", [citation(1)])
    partial = render_answer(full, text="Macron said it [1].", with_sources=False)
    assert partial == "Macron said it [1]."


def test_chat_history_accepts_strings_and_content_blocks() -> None:
    from ui.chat import plain_history

    history = [
        {"role": "user", "content": "What did Macron say about ground troops?"},
        {"role": "assistant", "content": [{"type": "text", "text": "He did not rule them out."}]},
        {"role": "user", "content": {"path": "/tmp/photo.png"}},  # a file: no text, dropped
        {"role": "system", "content": "ignored"},
    ]
    assert plain_history(history) == [
        {"role": "user", "content": "What did Macron say about ground troops?"},
        {"role": "assistant", "content": "He did not rule them out."},
    ]


def test_uncertain_answer_has_its_own_mark_and_wording() -> None:
    uncertain = Answer(question="How much will the glasses cost?", text="The closest the articles come: Nothing "
                       "should be ruled out. [1]", citations=[citation(1)], abstained=False, outcome="uncertain")
    out = render_answer(uncertain)
    assert out.startswith("**Uncertain:** The closest the articles come:")
    assert "may not answer the question" in out and "Closest source" in out
    assert "⚠️" not in out  # not an abstention
    answered = render_answer(answer("Nothing should be ruled out. [1]", [citation(1)]))
    assert "Uncertain" not in answered and "may not answer" not in answered and "**Sources**" in answered


def test_a_notice_about_an_older_article_is_shown_escaped() -> None:
    dated = answer("Nothing should be ruled out. [1]", [citation(1)])
    dated.notice = "No article published this week answers this; the answer comes from an article of 2024-02-27 <b>."
    out = render_answer(dated)
    assert "ℹ️ _No article published this week" in out and "2024-02-27" in out
    assert_no_raw_html(out)

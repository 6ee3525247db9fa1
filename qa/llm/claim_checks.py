"""Exact checks of one generated sentence against the source window it was aligned to.

Similarity cannot tell "says that" from "is about the same thing": a sentence with a swapped
name, a figure taken from the next sentence, an inserted "not" or a "because" nobody wrote is
as close in meaning to its source as a faithful one. These checks read what such changes
leave behind, in pure Python over a few sentences:

- figures and dates: every number (digits or words, with its scale) and every month or
  weekday the sentence states is in the window;
- names: every capitalised name (people, organisations, places, nationalities) is in the
  window (a surname there and the rest elsewhere in the passage will do, as will a name of the
  two sentences before a window that refers to it: "he said", "The company expects ...");
- polarity, clause by clause: a negation the matching clause of the window does not carry, or
  one the window carries and the sentence drops while restating what it negates;
- certainty: "all", "every", "confirmed", "definitely" the window does not carry, "will"
  where the window hedges, and a hedge of the window ("may", "reportedly", "suspected") the
  sentence drops;
- cause: a causal link ("because", "due to", "led to") the window has no word of cause for,
  or a cause whose words are not in it;
- words: the share of the sentence's content words found in the window, and new words (in
  none of the cited text) that come as a run, the shape of an invented detail.

What they cannot see is a role swapped inside the window ("Meta sued" where the window says
a group whose members include Meta sued) or a paraphrase in other words: that is for the
verifier (`GroundingChecker(verifier=...)`).

Words are the project's terms (`index.tokens`: stop words out, Snowball stems), with
hyphenated words split so that "Copenhagen-based" finds "Copenhagen".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.answering.lexical import STOPWORDS, terms

_I = re.I

# Figures: digits with separators and an optional scale, or number words.
_SCALES = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
           "trillion": 1e12, "tn": 1e12}
_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                 "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
                 "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
                 "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
                 "hundred": 100, "dozen": 12, "twice": 2, "double": 2, "triple": 3, "half": 0.5}
# "one" is left out: "one of the leaders" states no figure a paraphrase must keep.
# Scale words may stand apart ("4.5 million"), abbreviations only attached ("4bn", "$5m": "5 m" is metres).
_FIGURE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s?(thousand|million|billion|trillion)\b|(bn|mn|tn|k|m|b)\b)?"
                     rf"|\b({'|'.join(_NUMBER_WORDS)})(?:\s(thousand|million|billion|trillion))?\b", _I)
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# "May" is a month only capitalised (lower-case "may" hedges); abbreviations as news writes them.
_DATE = re.compile(r"\b(?:(January|February|March|April|May|June|July|August|September|October|November|December"
                   r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?"
                   r"|(monday|tuesday|wednesday|thursday|friday|saturday|sunday))",
                   re.I)

# Polarity. A negation a sentence must not add, nor drop from its window (`_NEGATION`, with
# verbs of refusal), and what counts as carrying one (`_NEGATIVE`, with more negative verbs):
# "Rutte dismissed the idea" supports "he did not back it".
_NEGATION = re.compile(r"\b(?:no longer|no more|not yet|not even|not(?! only\b)|no(?! doubt\b| one\b)|never|none|"
                       r"neither|nor|nobody|no one|nothing|nowhere|without|cannot|den(?:y|ies|ied)|refus(?:e|es|ed)|"
                       r"fail(?:s|ed)? to|declin(?:e|es|ed) to|reject(?:s|ed)?|rul(?:e|es|ed) out|dismiss(?:es|ed)?)\b"
                       r"|n['’]t\b", _I)
_SCOPE = 4  # words after a negation or a hedge that it bears on
# Negations of a verb: "did not close", "declined to block" (not "no stores", whose next word is a noun).
_VERBAL_NEGATION = re.compile(r"\b(?:no longer|not yet|not even|not(?! only\b)|never|cannot|declin(?:e|es|ed) to|"
                              r"refus(?:e|es|ed) to|fail(?:s|ed)? to)\b|n['’]t\b", _I)
_NEGATIVE = re.compile(_NEGATION.pattern + r"|\b(?:oppos(?:e|es|ed|ing)|against|unable|halt\w*|cancel\w*|"
                       r"scrap\w*|lack\w*|absent|ban(?:s|ned)?|block\w*|stopp?\w*|insufficient)\b", _I)

# Certainty. Universal quantifiers and confirmation words must be in the window; "will" must
# not stand where the window hedges.
_UNIVERSAL = re.compile(r"\b(?:all(?! but\b)|every|everyone|everybody|everything|always|entire(?:ly)?|whole|"
                        r"unanimous(?:ly)?)\b(?<!\bat all\b)", _I)
_WINDOW_UNIVERSAL = re.compile(_UNIVERSAL.pattern + r"|\b(?:each|none|no one|nobody)\b", _I)
_CONFIRMED = re.compile(r"\b(?:confirm(?:s|ed|ing)?|prov(?:e|es|ed|en)|definite(?:ly)?|certain(?:ly)?|undoubtedly|"
                        r"surely|guarantee(?:s|d)?|conclusive(?:ly)?|clearly)\b", _I)
_FUTURE = re.compile(r"\b(?:will|shall|won['’]t)\b|\bgoing to\b", _I)
# Hedges a window may carry ("could" before a negation is ability, not a hedge: "could no longer").
# Case-sensitive: "May" is the month.
_HEDGE = re.compile(r"\b(?:may|might|possibl[ey]|perhaps|probabl[ey]|likely|unlikely|reported(?:ly)?|"
                    r"alleged(?:ly)?|suspect(?:ed)?|apparent(?:ly)?|expect(?:s|ed)?|believed|thought to|"
                    r"unconfirmed|unclear|could(?! not\b| no\b| never\b|n['’]t))\b", re.UNICODE)
# What keeps a sentence hedged when the window is: any of those, or a word of prediction or plan.
_CLAIM_HEDGE = re.compile(_HEDGE.pattern + r"|\b(?:could|would|some|forecast\w*|predict\w*|estimat\w*|"
                          r"project\w*|plan\w*|aim\w*|hop(?:e|es|ed)|intend\w*|potential(?:ly)?|risk\w*|"
                          r"seem\w*|appear\w*|suggest\w*)\b", _I)

# Cause. The links a sentence may state, and what counts as the window stating a cause.
_CAUSAL = re.compile(r"\b(?:because(?: of)?|due to|owing to|as a (?:result|consequence)(?: of)?|thanks to|"
                     r"(?:led|leads|lead|leading) to|caused(?: by)?|causes|causing|resulted in|results in|"
                     r"so that|therefore|hence|blamed on|triggered(?: by)?|sparked(?: by)?|prompted(?: by)?)\b", _I)
_WINDOW_CAUSAL = re.compile(_CAUSAL.pattern + r"|\b(?:after|following|amid|since|over|citing|cited|blam\w*|link\w*|"
                            r"hurt|reasons?|why|so|result\w*|cause\w*|trigger\w*|spark\w*|prompt\w*|"
                            r"driven by|fuel\w*|response|attribut\w*|because)\b", _I)

_ANY_CUE = re.compile("|".join(p.pattern for p in (_NEGATIVE, _HEDGE, _CLAIM_HEDGE, _UNIVERSAL, _CONFIRMED, _FUTURE)),
                      _I)

# Words that are not names even capitalised; titles go before names and may be added or left out.
_NOT_NAMES = frozenset(
    """i a an the this that these those it its he she we they his her their our my you there here if when
    while after before as but and or so yet also however meanwhile still then now on in at of for from
    to by with about according""".split()) | STOPWORDS
_TITLES = frozenset(
    """mr mrs ms dr prof sir dame lord lady president prime minister secretary chancellor king queen prince
    princess pope general gen col colonel captain capt sgt sergeant senator sen rep representative governor
    gov mayor judge justice chief chairman chairwoman chair ceo cfo coach manager director spokesman
    spokeswoman spokesperson deputy vice leader officer detective inspector commissioner ambassador
    archbishop bishop councillor councilor mp mep head professor doctor executive founder former acting
    interim senior opposition foreign interior defence defense finance health""".split())
_NAME_LINKS = frozenset({"of", "de", "van", "von", "der", "da", "del", "du", "la", "le", "al", "bin", "&"})
_TOKEN = re.compile(r"[\w][\w'’.]*[\w]|[\w]|&")
# A window that refers back ("half of them") may take its words from the two sentences before
# it; one that names a person by a pronoun ("he said") its names too, and one that opens with a
# description ("The company expects ...") the name a sentence opens with ("Norland expects ...").
_REFERS_BACK = re.compile(r"\b(?:he|she|they|his|her|him|their|them|it|its)\b|^(?:the|this) \w+", _I)
_PERSONAL = re.compile(r"\b(?:he|she|his|her|him|they|their|them)\b", _I)
_OPENS_WITH_REFERENCE = re.compile(r"^\W*(?:the|this|these|those|it|its)\b", _I)
# Clauses, for polarity and certainty: a "but" or "because" clause carries its own negation and hedge.
_CLAUSE = re.compile(r"\s*[,;:()\u2013\u2014]\s*|\s+-\s+|\s+(?=\b(?:but|while|although|though|whereas|"
                     r"however|yet|because|since|unless)\b)", _I)


@dataclass(frozen=True)
class Clause:
    """A clause of a sentence: its words, and the polarity and certainty it carries."""

    text: str
    words: frozenset[str]
    negation: str  # the first negation or verb of refusal it states, "" if none (`_NEGATION`)
    negation_scope: tuple[str, ...]  # the content words after it: what is negated ("not close any stores")
    negated: frozenset[str]  # the first word after each negation: what the clause says is not so
    negated_verb: str  # the word a verbal negation ("not", "never", "declined to") negates, "" if none
    negative: bool  # states a negation or a negative verb (`_NEGATIVE`)
    hedge: str  # the first hedge it carries (`_HEDGE`), "" if none
    hedge_scope: tuple[str, ...]  # the content words after it: what is hedged ("may have caused the damage")
    claim_hedge: bool  # carries any hedge or word of prediction (`_CLAIM_HEDGE`)
    universal: str  # "all", "every" ... ("" if none)
    confirmed: str  # "confirmed", "definitely" ... ("" if none)
    future: str  # "will" ... ("" if none)


@dataclass(frozen=True)
class Facts:
    """What the exact checks read of a text (a source sentence, a window, a generated sentence)."""

    text: str
    words: tuple[str, ...]  # content terms, in order, figures and hyphens split out
    figures: tuple[tuple[str, float], ...]  # (as written, value)
    dates: tuple[tuple[str, str], ...]  # (as written, month or weekday key)
    clauses: tuple[Clause, ...]
    causal: str  # the first causal link it states (`_CAUSAL`), "" if none
    any_cause: bool  # carries any word of cause (`_WINDOW_CAUSAL`)
    refers_back: bool  # "they", "its", "The men ...": its words may come from the sentences before
    personal: bool  # names a person by a pronoun: "he said"
    opens_with_reference: bool  # its subject is a description or a pronoun: "The company ...", "It ..."
    capitals: frozenset[str]  # words written capitalised after the first: names, lower-cased

    @property
    def word_set(self) -> frozenset[str]:
        return frozenset(self.words)


def facts(text: str) -> Facts:
    """The facts of one text (cache them per source sentence: `GroundingChecker` does)."""
    causal = _CAUSAL.search(text)
    return Facts(text, tuple(words(text)), tuple(figures(text)), tuple(dates(text)),
                 tuple(_clause(c) for c in _clauses(text)), causal.group(0).lower() if causal else "",
                 bool(_WINDOW_CAUSAL.search(text)), bool(_REFERS_BACK.search(text)), bool(_PERSONAL.search(text)),
                 bool(_OPENS_WITH_REFERENCE.match(text)), capitals(text))


def capitals(text: str) -> frozenset[str]:
    """The words a sentence writes capitalised after its first, lower-cased: its names."""
    return frozenset(m.group(0).lower() for m in list(_TOKEN.finditer(text))[1:] if m.group(0)[0].isupper())


def joined(parts: Sequence[Facts]) -> Facts:
    """The facts of consecutive sentences read as one window."""
    if len(parts) == 1:
        return parts[0]
    return Facts(" ".join(p.text for p in parts), tuple(w for p in parts for w in p.words),
                 tuple(f for p in parts for f in p.figures), tuple(d for p in parts for d in p.dates),
                 tuple(c for p in parts for c in p.clauses), next((p.causal for p in parts if p.causal), ""),
                 any(p.any_cause for p in parts), any(p.refers_back for p in parts), any(p.personal for p in parts),
                 parts[0].opens_with_reference,
                 frozenset().union(*(p.capitals for p in parts)))


def words(text: str) -> list[str]:
    """Content terms without figures, hyphenated and slashed words split ("long-range" -> long, range)."""
    text = _FIGURE.sub(" ", re.sub(r"[-\u2010-\u2015/]", " ", text))
    return [t for t in terms(text) if not t[0].isdigit()]


def figures(text: str) -> list[tuple[str, float]]:
    """The figures a text states, with their values: "4.5 million" -> 4500000, "five" -> 5,
    "21,500" -> 21500 (a comma between groups of three digits is a thousands separator)."""
    found = []
    for m in _FIGURE.finditer(text):
        digits, scale, short, word, word_scale = m.groups()
        if digits:
            if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", digits):
                digits = digits.replace(",", "")
            try:
                value = float(digits.replace(",", "."))
            except ValueError:
                continue
            if short and (len(short) == 2 or _currency_before(text, m.start())):
                scale = short
            if scale:
                value *= _SCALES[scale.lower()]
        else:
            value = _NUMBER_WORDS[word.lower()] * (_SCALES[word_scale.lower()] if word_scale else 1)
        found.append((m.group(0).strip(), value))
    return found


def dates(text: str) -> list[tuple[str, str]]:
    """Months and days a text names: (as written, key). "May" only capitalised and not first."""
    found = []
    for m in _DATE.finditer(text):
        month, day = m.groups()
        if month:
            if month == "May" and not re.match(r"\s*\d", text[m.end():]) and not text[:m.start()].strip():
                continue
            if month != month.capitalize():
                continue  # "may", "march" lower-case are verbs
            key = next(name for name in _MONTHS if name.startswith(month.lower().rstrip(".")[:3]))
        else:
            key = day.lower()
        found.append((m.group(0).rstrip("."), key))
    return found


@dataclass(frozen=True)
class Name:
    """A name a sentence states."""

    text: str  # as written, titles included
    terms: tuple[str, ...]  # its words' terms, titles left out
    opens: bool  # it opens the sentence (titles aside): the sentence's subject, mostly


def names(text: str, known: frozenset[str]) -> list[Name]:
    """The capitalised names a sentence states. The sentence's first word counts when the cited
    text writes it capitalised inside a sentence (`known`: "Macron said ..." but not "Around
    14,000 ...") or a name follows it."""
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
    found: list[Name] = []
    run: list[tuple[str, int]] = []

    def close() -> None:
        while run and run[-1][0].lower() in _NAME_LINKS:
            run.pop()
        kept = [w for w, _ in run if w.lower().strip(".") not in _TITLES and w.lower() not in _NAME_LINKS]
        keys = tuple(t for w in kept for t in words(w))  # as the window's words are cut
        if keys:
            start, last = run[0][1], run[-1]
            found.append(Name(text[start:last[1] + len(last[0])], keys, start == tokens[0][1]))
        run.clear()

    for index, (token, start) in enumerate(tokens):
        if run and text[run[-1][1] + len(run[-1][0]):start].strip():
            close()  # punctuation ends a name: "Walgreens, Trader Joe's"
        lower = token.lower()
        # Number words are figures ("Four days later"), months and days dates: checked as such.
        capital = (token[0].isupper() and lower not in _NOT_NAMES and lower not in _NUMBER_WORDS
                   and not _is_date_word(token))
        if capital and index == 0 and lower not in known and lower not in _TITLES:
            following = tokens[1][0] if len(tokens) > 1 else ""
            capital = following[:1].isupper() and following.lower() not in _NOT_NAMES
        if capital and not token[0].isdigit():
            run.append((token, start))
        elif run and lower in _NAME_LINKS and index + 1 < len(tokens) and tokens[index + 1][0][0].isupper():
            run.append((token, start))
        elif run:
            close()
    close()
    return found


def _is_date_word(token: str) -> bool:
    word = token.lower().rstrip(".")
    return word in _MONTHS or word in _WEEKDAYS or word in ("jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
                                                          "sept", "oct", "nov", "dec")


def _currency_before(text: str, start: int) -> bool:
    return bool(re.search(r"[$€£¥]\s?$", text[:start]))


def _clauses(text: str) -> list[str]:
    return [c for c in _CLAUSE.split(text) if c and c.strip()]


def _clause(text: str) -> Clause:
    if not _ANY_CUE.search(text):  # most clauses: one scan instead of one per kind of cue
        return Clause(text, frozenset(words(text)), "", (), frozenset(), "", False, "", (), False, "", "", "")

    def first(pattern: re.Pattern[str]) -> str:
        m = pattern.search(text)
        return m.group(0).lower() if m else ""

    def scope(pattern: re.Pattern[str]) -> tuple[str, ...]:
        m = pattern.search(text)
        return tuple(words(text[m.end():])[:_SCOPE]) if m else ()

    negated = frozenset(after[0] for m in _NEGATION.finditer(text) if (after := words(text[m.end():])))
    verb = scope(_VERBAL_NEGATION)
    return Clause(text, frozenset(words(text)), first(_NEGATION), scope(_NEGATION), negated, verb[0] if verb else "",
                  bool(_NEGATIVE.search(text)), first(_HEDGE), scope(_HEDGE), bool(_CLAIM_HEDGE.search(text)),
                  first(_UNIVERSAL), first(_CONFIRMED), first(_FUTURE))


@dataclass(frozen=True)
class Context:
    """Where a window stands: its own facts, what it may refer back to, the whole cited passage."""

    label: str  # how reasons name it: "[2]"
    size: int  # sentences in the window
    window: Facts
    antecedents: frozenset[str]  # words of the two sentences before the window
    passage_words: frozenset[str]


@dataclass(frozen=True)
class Thresholds:
    """How much of a sentence's wording its window must hold."""

    min_share: float = 0.5  # least share of its content words found in the window
    max_new_run: int = 2  # most consecutive words found in none of the cited text


def check(claim: Facts, claim_names: Sequence[Name], context: Context, thresholds: Thresholds) -> list[str]:
    """Why `claim` is not supported by its window, most specific first ([] when nothing is wrong).
    `claim_names`: `names(claim.text, ...)` with the cited text's names."""
    window = context.window
    where = f"the supporting sentence{'s' if context.size > 1 else ''} {context.label}"
    reasons: list[str] = []
    values = [v for _, v in window.figures]
    for written, value in claim.figures:
        if not any(_same(value, v) for v in values):
            reasons.append(f"figure {written} not in {where}")
    keys = {k for _, k in window.dates}
    for written, key in claim.dates:
        if key not in keys:
            reasons.append(f"date {written} not in {where}")
    window_words = window.word_set
    for name in claim_names:
        name_terms, written = name.terms, name.text
        referred = window.personal or (name.opens and window.opens_with_reference)
        named = window_words | (context.antecedents if referred else frozenset())
        inside = [t in named for t in name_terms]
        if all(inside):
            continue
        if inside[-1] and all(t in named or t in context.passage_words for t in name_terms):
            continue  # "Mark Rutte" for a window's "Rutte", the first name elsewhere in the passage
        reasons.append(f"name {written} not in {where}")
    reasons += _polarity(claim, window, context.label)
    reasons += _cause(claim, window, context.label)
    # Words may come from what the window refers back to: "half of them" are the homes before.
    window_words |= context.antecedents if window.refers_back else frozenset()
    claim_words = claim.words
    if claim_words:
        found = sum(w in window_words for w in claim_words)
        if found / len(claim_words) < thresholds.min_share:
            reasons.append(f"most of its words are not in {where}")
        else:
            run = _new_run(claim.text, window_words | context.passage_words)
            if len(run) > thresholds.max_new_run:
                reasons.append(f"adds what {context.label} does not say ({', '.join(run)})")
    return reasons


def _polarity(claim: Facts, window: Facts, label: str) -> list[str]:
    """Negation and certainty, clause by clause: each clause of the sentence against the window
    clause sharing most words with it, and each negated or hedged window clause against the
    sentence clause that states what it negates or hedges."""
    reasons: list[str] = []
    any_universal = bool(_WINDOW_UNIVERSAL.search(window.text))
    any_confirmed = bool(_CONFIRMED.search(window.text))
    for clause in claim.clauses:
        match = _best_clause(clause.words, window.clauses)
        if match is None:
            continue
        # Not negative at all, or stating un-negated the very word the sentence negates
        # ("declined to block" for "blocked").
        verb = clause.negated_verb
        if clause.negation and (not match.negative or (verb in match.words and verb not in match.negated)):
            reasons.append(f"negation not in {label} ('{clause.negation}')")
        if clause.universal and not any_universal:
            reasons.append(f"'{clause.universal}' not in {label}")
        if clause.confirmed and (not any_confirmed or (match.hedge and not clause.hedge)):
            says = f" (it says '{match.hedge}')" if match.hedge else ""
            reasons.append(f"'{clause.confirmed}' not in {label}{says}")
        elif clause.future and match.hedge and not clause.claim_hedge:  # "will probably" keeps the hedge
            reasons.append(f"'{clause.future}' where {label} hedges ('{match.hedge}')")
    for source_clause in window.clauses:
        # "not unsafe" restated as "unsafe", "dismissed the idea of sending troops" as "backed sending troops".
        restating = _restating(source_clause, source_clause.negation_scope, claim)
        if source_clause.negation and restating is not None and not restating.negative:
            reasons.append(f"negation of {label} dropped ('{source_clause.negation}')")
        restating = _restating(source_clause, source_clause.hedge_scope, claim)
        if (source_clause.hedge and restating is not None
                and not (restating.claim_hedge or restating.confirmed or restating.future)):
            reasons.append(f"hedge of {label} dropped ('{source_clause.hedge}')")
    return list(dict.fromkeys(reasons))


def _restating(clause: Clause, scope: tuple[str, ...], claim: Facts) -> Clause | None:
    """The sentence's clause that states what a window clause negates or hedges (`scope`, the
    words after the negation or hedge): its first word or two of them, with two words of the
    clause in all (else None)."""
    stated = [w for w in scope if w in claim.word_set]
    if not stated or (stated[0] != scope[0] and len(stated) < 2) or len(clause.words & claim.word_set) < 2:
        return None
    return max(claim.clauses, key=lambda c: len(c.words.intersection(stated)))


def _cause(claim: Facts, window: Facts, label: str) -> list[str]:
    """A causal link the window has no word of cause for, or a cause whose words it lacks."""
    if not claim.causal:
        return []
    if not window.any_cause:
        return [f"causal link '{claim.causal}' not in {label}"]
    m = _CAUSAL.search(claim.text)
    rest = _clauses(claim.text[m.end():]) if m else []
    cause = words(rest[0]) if rest else []
    window_words = window.word_set
    missing = [w for w in cause if w not in window_words]
    if cause and len(missing) / len(cause) > 0.25:
        return [f"cause '{rest[0].strip(' .!?')}' not in {label}"]
    return []


def _best_clause(words: frozenset[str], clauses: Iterable[Clause]) -> Clause | None:
    """The clause sharing most words with `words` (None when none shares any)."""
    best, score = None, 0
    for other in clauses:
        shared = len(words & other.words)
        if shared > score:
            best, score = other, shared
    return best


def _new_run(text: str, known: frozenset[str]) -> list[str]:
    """The longest run of consecutive content words found nowhere in the cited text (a figure
    breaks a run: the figure checks judge it)."""
    best: list[str] = []
    run: list[str] = []
    for word in terms(re.sub(r"[-\u2010-\u2015/]", " ", _FIGURE.sub(" 000 ", text))):
        if word in known or word[0].isdigit():
            run = []
        else:
            run.append(word)
            if len(run) > len(best):
                best = list(run)
    return best


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


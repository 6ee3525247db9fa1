"""Exact checks of one generated sentence against the source window it was aligned to.

Similarity cannot tell "says that" from "is about the same thing": a sentence with a swapped
name, a figure taken from the next sentence, an inserted "not" or a "because" nobody wrote is
as close in meaning to its source as a faithful one. These checks read what such changes
leave behind, in pure Python over a few sentences:

- figures and dates: every number the sentence states (digits or words, with its scale: "12"
  is "Twelve", "the two sides" states none, "Double-A" is a name) and every month or weekday is
  in the sentences of the window it draws words from, or next to the window beside the same
  words ("the 19-year-old Holt" for "Holt, 19, signed ..."), or counts what the window names
  ("the two men" for "The men, aged 24 and 31", where the passage says "arrested two men");
  and a figure of the window that counts something else, while another figure counts what the
  sentence counts with it, is a swap ("22 stitches" for "22 years, needed 40 stitches"), as
  is a figure given to another name than the window gives it to ("Loftus, 38" for "Marsh, 38,
  and Loftus, 44"), one the window states only to deny it ("not the 41 tons first reported"),
  and two figures each written where the window writes the other ("74% in favour on a turnout
  of 87%" for "87% in favour ... on a turnout of 74%");
- names: every capitalised name (people, organisations, places, nationalities) is in the
  window (a surname there will do, with one first name the cited text need not give, as will a
  nationality for the country the window names: "Kenyan" for "of Kenya", and a name of the
  two sentences before a window or of the source's title that it refers to: "he said", "The
  company expects ...", "Its chief executive", or a word the cited text writes in the name: "the
  storm" for "Storm Hilda"); and a clause that opens with one name, titles aside, and says what a
  clause of the window opening with another says is a role swapped ("Rutte stressed ..." where
  "Macron emphasized ...");
- polarity, clause by clause: a negation the matching clause of the window does not carry and
  no clause of it negates what the sentence negates ("should not eat the recalled meals" for
  "Customers should not eat the meals." beside a refund), or one the window carries, prefix
  negations included ("non-voting", "undamaged"), that the sentence drops while restating what it
  negates (read in the whole window where the aligned sentence was widened to its neighbours;
  "did not start until 3:10 p.m." negates nothing; a quoted negation bears on its quotation only;
  "last ... in 2009" is "not ... since 2009");
- certainty: "all", "every", "confirmed", "definitely" the window does not carry, "will"
  where the window hedges, and a hedge of the window ("may", "could", "reportedly", "believe",
  "estimate", "potentially", "whether", "claims that") the sentence drops ("would" does not keep it; a
  clause that only says who hedges, "..., investigators believe.", keeps it for the whole sentence),
  its figure included where nothing else follows the hedge ("estimated at about $62 million");
- cause: a causal link ("because", "due to", "led to"; not "due to be replaced") the window
  has no word of cause for, or a cause whose words are not in a sentence of it that states a
  cause (a fact of the next sentence given as the cause is a cause nobody wrote);
- words: the share of the sentence's content words found in the window, and new words (in
  none of the cited text) that come as a run inside one phrase, the shape of an invented detail (connectives a
  paraphrase adds, "even though", "like", are not content words).

What they cannot see is a role swapped inside one clause of the window ("Meta sued" where the
window says a group whose members include Meta sued), a cause stated without a word of cause
("which allows the glasses to weigh 49 grams") or a paraphrase in other words: that is for the
verifier (`GroundingChecker(verifier=...)`).

Words are the project's terms (`index.tokens`: stop words out, Snowball stems), with
hyphenated words split so that "Copenhagen-based" finds "Copenhagen".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
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
                 "hundred": 100, "dozen": 12, "decade": 10, "twice": 2, "double": 2, "triple": 3, "half": 0.5}
# "one" is left out: "one of the leaders" states no figure a paraphrase must keep.
# Scale words may stand apart ("4.5 million"), abbreviations only attached ("4bn", "$5m": "5 m" is metres).
# A number word joined to a capital is a name ("Double-A"); "the two sides" of a dispute state no figure.
_FIGURE = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?:\s?(thousand|million|billion|trillion)\b|(bn|mn|tn|k|m|b)\b)?"
                     rf"|\b({'|'.join(_NUMBER_WORDS)})(?:\s(thousand|million|billion|trillion))?\b"
                     r"(?![-\u2010-\u2015](?-i:[A-Z]))",  # case-sensitive: "Double-A", not "two-person"
                     _I)
_NOT_A_FIGURE = re.compile(r"\b(?:the|both) two (?:sides|parties|camps)\b", _I)
# What a window may say for two: "both" ("both players" for "the two players").
_BOTH = re.compile(r"\bboth\b", _I)
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
# "did not start until 3:10 p.m." says when it started, not that it did not: no negation.
_UNTIL = r"(?!(?:\s+[\w'’]+){1,4}\s+until\b)"  # "were not out of the woods until", too
_NEGATION = re.compile(r"\b(?:no longer|no more|not yet|(?:has|have|had|is|are|was|were) yet to|not even|"
                       r"not(?! only\b| otherwise\b| (?:been |be |to )?rul(?:e|es|ed|ing) out\b)" + _UNTIL
                       + r"|no(?! doubt\b| one\b)|never|none|neither|nor|nobody|no one|nothing|nowhere|without|"
                       r"cannot|den(?:y|ies|ied)|refus(?:e|es|ed)|"
                       r"fail(?:s|ed)? to|declin(?:e|es|ed) to|stop(?:s|ped)? short of|reject(?:s|ed)?|"
                       r"(?<!not )(?<!not to )(?<!not be )(?<!not been )(?<!n't be )(?<!n't been )"
                       r"(?<!n’t be )(?<!n’t been )rul(?:e|es|ed) out|"
                       r"dismiss(?:es|ed)?|except(?: for)?)\b"
                       r"|n['’]t\b(?! (?:been |be |to )?rul(?:e|es|ed|ing) out\b)" + _UNTIL, _I)
# A relative pronoun: a negation after one is said of the noun before it.
_RELATIVE = re.compile(r"\b(?:that|which|who)\b", _I)
_AUXILIARIES = re.compile(r"(?:\s+(?:was|were|is|are|has|have|had|did|does|do|would|could|will|can|should|been))*\s*",
                          _I)
# Words between a negation and the verb it negates: "not going to wait", "did not need to intervene".
_MODAL_TERMS = frozenset(terms("need going able want must"))
_ROLE_WORDS = 3  # words a sentence's clause shares with a window's clause to say the same of someone
_SCOPE = 4  # words after a negation or a hedge that it bears on
_NEGATED = 3  # words after a negation that may be what it negates ("not we think it was near")
_ATTRIBUTION = 3  # most words of a clause that says only who hedges ("investigators believe")
# Negations of a verb: "did not close", "declined to block" (not "no stores", whose next word is a noun).
_VERBAL_NEGATION = re.compile(r"\b(?:no longer|not yet|not even|not(?! only\b)|never|cannot|declin(?:e|es|ed) to|"
                              r"refus(?:e|es|ed) to|fail(?:s|ed)? to|stop(?:s|ped)? short of)\b|n['’]t\b", _I)
# A negation that is a word of its own, not a verb of refusal ("denied the charges" is negated by "did not deny").
_PARTICLE_NEGATION = re.compile(r"\b(?:not|never|no|none|neither|nor|nobody|nothing|without|yet to)\b|n['’]t\b", _I)
# A negation that says "not" of what follows it: a particle or a verb of refusal with "to"
# ("declined to say how much" negates as "would not say how much" does).
_WORD_NEGATION = re.compile(_PARTICLE_NEGATION.pattern + r"|\b(?:cannot|declin(?:e|es|ed) to|refus(?:e|es|ed) to|"
                            r"fail(?:s|ed)? to)\b", _I)
_NEGATIVE = re.compile(_NEGATION.pattern + r"|\b(?:oppos(?:e|es|ed|ing)|against|unable|halt\w*|cancel\w*|"
                       r"r[au]n(?:s|ning)? out|"
                       r"scrap\w*|lack\w*|absent|ban(?:s|ned)?|block\w*|stopp?\w*|insufficient|lost|los(?:e|es|ing)|"
                       r"turn(?:s|ed|ing)? (?:\w+ )?down|rebuff\w*|spurn\w*|veto\w*|disallow\w*|overturn\w*|annul\w*|"
                       r"revok\w*|rescind\w*|withdr[ae]w\w*|invalid\w*|"
                       # a negation in other words: "left out of the review" for "was not reviewed",
                       # "still short of a living wage" for "not yet a living wage", "the rules rather
                       # than the signs" for "the rules, not the signs", "still undecided", "all but one" for
                       # "all except one"
                       r"(?:left|leaves?|leaving) out|exclud\w*|omit\w*|short of|rather than|instead of|all but|"
                       r"other than|apart from|undecided|unresolved|reluctan\w*|unwilling)\b", _I)
# Negations in other words that say "not" of what follows them.
_CONTRASTIVE = re.compile(r"rather than|instead of|other than|apart from|all but|except(?: for)?", _I)
# "No other injuries" is "the only injury".
_NO_OTHER = re.compile(r"\b(?:no|none|nothing|nobody|no one) (?:other|else|further|more)\b", _I)
_ONLY = re.compile(r"\b(?:only|sole(?:ly)?)\b", _I)
# A negation written as a prefix: "a non-voting member" (dropped in "a voting member").
_PREFIX_NEGATION = re.compile(r"\bnon[-\u2010-\u2015]([a-z]\w+)", _I)
# A negation carried by the negated word's prefix: "unknown" for "not known" (`_prefix_negates`).
_UN_PREFIXED = re.compile(r"\bun[-\u2010]?([a-z]{3,})", _I)
# A state negated by "un-" that a sentence may state un-negated ("damaged" for "undamaged",
# "harmed" for "unharmed"): participles and adjectives by their endings, not "unrest" or "union".
_UN_ADJECTIVE = re.compile(r"\bun([a-z]{2,}(?:ed|en|wn|able|ible|ful|ing|ly|ual|afe|are|urt|aid|ear))\b", _I)

# Certainty. Universal quantifiers and confirmation words must be in the window; "will" must
# not stand where the window hedges.
_UNIVERSAL = re.compile(r"\b(?:all(?! but\b)|every|everyone|everybody|everything|always|entire(?:ly)?|whole|"
                        r"unanimous(?:ly)?)\b(?<!\bat all\b)", _I)
_WINDOW_UNIVERSAL = re.compile(_UNIVERSAL.pattern + r"|\b(?:each|none|no one|nobody)\b", _I)
_CONFIRMED = re.compile(r"\b(?:confirm(?:s|ed|ing)?|prov(?:e|es|ed|en)|definite(?:ly)?|certain(?:ly)?|undoubtedly|"
                        r"surely|guarantee(?:s|d)?|conclusive(?:ly)?|clearly)\b", _I)
_FUTURE = re.compile(r"\b(?:will|shall|won['’]t)\b|\bgoing to\b", _I)
# Hedges a window may carry ("could" before a negation is ability, not a hedge: "could no longer").
# Case-sensitive, and never before a day ("May 4", which `_CLAIM_HEDGE` reads without case): "May" is the month.
_HEDGE = re.compile(r"\b(?:may(?!\s+\d)|might|possibl[ey]|perhaps|probabl[ey]|likely|unlikely|reportedly|reported to|"
                    r"alleged(?:ly)?|suspect(?:ed)?|apparent(?:ly)?|expect(?:s|ed)?|believ(?:e|es|ed)|thought to|"
                    r"(?:claims|allegations|accusations) that|"
                    r"potentially|estimat(?:e|es|ed)|"
                    r"(?:rais(?:e|es|ed|ing)|the) (?:the )?prospect|"
                    r"usually|typically|normally|generally|hop(?:e|es|ed|ing) to|"
                    r"unconfirmed|unclear|whether|(?:not|n['’]t) (?:been |be |to )?rul(?:e|es|ed|ing) out|"
                    r"think|thinks|"
                    r"plan(?:s|ned)? to|intend(?:s|ed)? to|"
                    r"could(?! not\b| no\b| never\b|n['’]t))\b", re.UNICODE)
# What keeps a sentence hedged when the window is: any of those, or a word of prediction or plan.
_CLAIM_HEDGE = re.compile(_HEDGE.pattern + r"|\b(?:could|some|reported|forecast\w*|predict\w*|estimat\w*|"
                          # as verbs only: "the plan", "planning director", "wind project" predict nothing
                          r"project(?:s|ed|ing|ions?)? to|projected|projections?|plan(?:s|ned|ning)? to|planned|"
                          r"(?:is|are|was|were) planning|aim\w*|hop(?:e|es|ed)|intend\w*|potential(?:ly)?|risk\w*|"
                          r"argu\w*|contend\w*|"
                          r"seem\w*|appear\w*|suggest\w*|(?:has|have|had) the option|possibility|due(?! to\b)|"
                          r"(?:left|leaves?|leaving) (?:the door )?open)\b", _I)

_CAN = re.compile(r"\bcan\b", _I)
_OPEN_POSSIBILITY = re.compile(r"\b(?:(?:left|leaves?|leaving) (?:the door )?open|(?:the )?possibility|"
                               r"(?:has|have|had) the option)\b", _I)
_CONDITION = re.compile(r"\s*(?:if|unless|once|when|until)\b", _I)
_APPROXIMATE = re.compile(r"\b(?:about|around|roughly|approximately|nearly|almost|some|an? estimated)\b", _I)

# Cause. The links a sentence may state, and what counts as the window stating a cause. "Due to"
# before a verb is a schedule ("due to be replaced", "due to take effect"), not a cause.
_SCHEDULED = ("be|take|start|begin|open|close|end|finish|expire|come|go|return|arrive|meet|appear|resume|launch|"
              "retire|vote|hold|sign|face|stand|run|leave|speak|testify|deliver|announce|publish|report|release|"
              "make|give|visit|hear|rule|decide|enter|reopen|complete|receive|get|last|continue|reach|land|depart")
_CAUSAL = re.compile(r"\b(?:because(?: of)?|due to(?! (?:" + _SCHEDULED + r")\b)|owing to|"
                     r"as a (?:result|consequence)(?: of)?|thanks to|"
                     r"(?:led|leads|lead|leading) to|caused(?: by)?|causes|causing|resulted in|results in|"
                     r"so that|therefore|hence|blamed on|triggered(?: by)?|sparked(?: by)?|prompted(?: by)?)\b", _I)
_WINDOW_CAUSAL = re.compile(_CAUSAL.pattern + r"|\b(?:after|following|amid|since|over|citing|cited|blam\w*|link\w*|"
                            r"hurt|reasons?|why|so|result\w*|cause\w*|trigger\w*|spark\w*|prompt\w*|"
                            r"driven by|fuel\w*|response|attribut\w*|because|prospect|possibility|risk|forc\w*|"
                            r"meaning|delay(?:s|ed|ing)?)\b", _I)

# A cause given by referring to the sentence before.
_CAUSE_BEFORE = re.compile(r"\b(?:for (?:that|this|those|these) reasons?|as a (?:result|consequence)|"
                           r"because of (?:that|this)|that is why|which is why|that's why|therefore|"
                           r"consequently)\b", _I)
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
# Words that join or weigh what a sentence says, not what it says: a paraphrase adds them freely.
_CONNECTIVES = frozenset(terms(
    """even though although whereas while like just also either instead rather despite besides
    whether already still yet meanwhile around roughly approximately""")) - STOPWORDS
_NAME_LINKS = frozenset({"of", "de", "van", "von", "der", "da", "del", "du", "la", "le", "al", "bin", "&"})
_NAME_HYPHENS = frozenset({"-", "\u2010", "\u2011"})
_WORD = re.compile(r"[^\W\d_][\w'’]*|\d[\d.,]*(?:st|nd|rd|th)?")
# What a figure counts follows it after a space, a hyphen or "%", as one or two words.
_ORDINAL = re.compile(r"(?:st|nd|rd|th)?(?!\w)|")
_UNIT_GAP = re.compile(r"%?[\s\u2010-\u2015-]+")
_UNIT_WORDS = re.compile(r"[^\W\d_][\w'’]*(?:[\s\u2010-\u2015-]+[^\W\d_][\w'’]*){0,2}")
_UNIT_SKIP = frozenset({"more", "fewer", "less", "other", "further"})
_DEFINITE = re.compile(r"\b(?:the|these|those|both)\s+([^\W\d_][\w'’]*)", _I)
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")
_TOKEN = re.compile(r"[\w][\w'’.]*[\w]|[\w]|&")
# A window that refers back ("half of them") may take its words from the two sentences before
# it; one that names a person by a pronoun ("he said") its names too, and one that opens with a
# description ("The company expects ...") the name a sentence opens with ("Norland expects ...").
_REFERS_BACK = re.compile(r"\b(?:he|she|they|his|her|him|their|them|it|its)\b|^(?:the|this) \w+", _I)
_PERSONAL = re.compile(r"\b(?:he|she|his|her|him|they|their|them)\b", _I)
# A sentence that opens a quotation without saying who speaks goes on quoting the speaker named
# before it ("... said Carla Benedetti. \"We had lines at 11 a.m. ...\""): it names them by reference.
_CONTINUED_QUOTE = re.compile(r"^\s*[\"\u201c]")
_SPEECH = re.compile(r"\b(?:said|says|say|told|tells|added|adds|asked|asks|wrote|writes|according to)\b", _I)
# Not inside a quotation: its "The line ..." is the speaker's, not a description of a name before it.
_OPENS_WITH_REFERENCE = re.compile(r"^[^\w\"\u201c]*(?:the|this|these|those|it|its)\b", _I)
# Clauses, for polarity and certainty: a "but" or "because" clause carries its own negation and hedge
# ("all but 300", "nothing but", "not yet", "3:10 p.m." are not two clauses).
_CLAUSE = re.compile(r"\s*(?:(?<!\d),|,(?!\d)|(?<!\d):|:(?!\d)|[;()\u2013\u2014])\s*|\s+-\s+|"
                     r"(?<=[a-z][.!?])\s+(?=[\"\u201c]?[A-Z])|"
                     r"(?<!\ball)(?<!\banything)(?<!\bnothing)(?<!\bnot)\s+(?=\b(?:but|while|although|though|whereas|"
                     r"however|yet(?! to\b)|because|since|unless)\b)", _I)


@dataclass(frozen=True)
class Clause:
    """A clause of a sentence: its words, and the polarity and certainty it carries."""

    text: str
    words: frozenset[str]
    negation: str  # the first negation or verb of refusal it states, "" if none (`_NEGATION`)
    negation_scope: tuple[str, ...]  # the content words after it: what is negated ("not close any stores")
    negated: frozenset[str]  # the first words after each negation: what the clause says is not so
    negation_anchors: frozenset[str]  # the first word after each negation, or the word before one that ends
    # the clause ("voted no"): what a sentence's negation must find negated in the window
    negated_verb: str  # the word a verbal negation ("not", "never", "declined to") negates, "" if none
    negative: bool  # states a negation or a negative verb (`_NEGATIVE`)
    hedge: str  # the first hedge it carries (`_HEDGE`), "" if none
    hedge_scope: tuple[str, ...]  # the content words after it: what is hedged ("may have caused the damage")
    claim_hedge: bool  # carries any hedge or word of prediction (`_CLAIM_HEDGE`)
    universal: str  # "all", "every" ... ("" if none)
    confirmed: str  # "confirmed", "definitely" ... ("" if none)
    future: str  # "will" ... ("" if none)
    hedges: frozenset[str] = frozenset()  # its hedges and words of prediction (`_CLAIM_HEDGE`), lower-cased


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
    figure_units: tuple[tuple[str, ...], ...] = ()  # for each figure: the words right after it, what it counts
    figure_near: tuple[frozenset[str], ...] = ()  # for each figure: the content words around it

    @property
    def word_set(self) -> frozenset[str]:
        return frozenset(self.words)


def facts(text: str) -> Facts:
    """The facts of one text (cache them per source sentence: `GroundingChecker` does)."""
    causal = _CAUSAL.search(text)
    return Facts(text, tuple(words(text)), tuple(figures(text)), tuple(dates(text)),
                 tuple(_clause(c) for c in _clauses(text)), causal.group(0).lower() if causal else "",
                 bool(_WINDOW_CAUSAL.search(text)), bool(_REFERS_BACK.search(text)), _names_by_reference(text),
                 bool(_OPENS_WITH_REFERENCE.match(text)), capitals(text), *_figure_contexts(text))


def _names_by_reference(text: str) -> bool:
    """A pronoun for a person, or a quotation going on without saying who speaks."""
    return bool(_PERSONAL.search(text) or (_CONTINUED_QUOTE.match(text) and not _SPEECH.search(text)))


def capitals(text: str) -> frozenset[str]:
    """The words a sentence writes capitalised after its first, lower-cased: its names."""
    return frozenset(m.group(0).lower() for m in list(_TOKEN.finditer(text))[1:] if m.group(0)[0].isupper())


# A sentence that opens with one word and a verb of saying opens with a name ("Okoro said the rise
# was ..."), unless the word is a plural ("Officials said") or a word that is not a name.
_SPEAKER = re.compile(r"^[\"\u201c]?([A-Z][a-z'’-]*[a-rt-z])\s+(?:said|says|told|added|argued|noted|warned|"
                      r"stressed|insisted|wrote|replied)\b")


def known_names(sentence: str) -> frozenset[str]:
    """The words a cited sentence shows to be names: those it writes capitalised after its first,
    and a speaker it opens with."""
    speaker = _SPEAKER.match(sentence)
    opener = speaker.group(1).lower() if speaker else ""
    return capitals(sentence) | ({opener} if opener and opener not in _NOT_NAMES and opener not in _TITLES else set())


def joined(parts: Sequence[Facts]) -> Facts:
    """The facts of consecutive sentences read as one window."""
    if len(parts) == 1:
        return parts[0]
    return Facts(" ".join(p.text for p in parts), tuple(w for p in parts for w in p.words),
                 tuple(f for p in parts for f in p.figures), tuple(d for p in parts for d in p.dates),
                 tuple(c for p in parts for c in p.clauses), next((p.causal for p in parts if p.causal), ""),
                 any(p.any_cause for p in parts), any(p.refers_back for p in parts), any(p.personal for p in parts),
                 parts[0].opens_with_reference,
                 frozenset().union(*(p.capitals for p in parts)), tuple(u for p in parts for u in p.figure_units),
                 tuple(n for p in parts for n in p.figure_near))


def words(text: str) -> list[str]:
    """Content terms without figures, hyphenated and slashed words split ("long-range" -> long, range),
    and without the connectives a paraphrase adds ("even though", "like", "just")."""
    text = _FIGURE.sub(" ", re.sub(r"[-\u2010-\u2015/]", " ", text))
    return [t for t in terms(text) if not t[0].isdigit() and t not in _CONNECTIVES]


def figures(text: str) -> list[tuple[str, float]]:
    """The figures a text states, with their values: "4.5 million" -> 4500000, "five" -> 5,
    "21,500" -> 21500 (a comma between groups of three digits is a thousands separator)."""
    return [(written, value) for _, written, value in _figures(text)]


def _figures(text: str) -> list[tuple[re.Match[str], str, float]]:
    idioms = [m.span() for m in _NOT_A_FIGURE.finditer(text)]
    found = []
    for m in _FIGURE.finditer(text):
        if any(a <= m.start() < b for a, b in idioms):
            continue
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
        found.append((m, m.group(0).strip(), value))
    return found


def _figure_contexts(text: str) -> tuple[tuple[tuple[str, ...], ...], tuple[frozenset[str], ...]]:
    """For each figure of `text`: what it counts, the content words of the two words right after
    it, before any punctuation but a hyphen or "%" ("22 stitches", "49-gram", "40 more flight
    attendants" -> flight, "260 scheduled flights" -> schedul, flight; none in "up from 48 in the
    first days"), and the content words (names too) of the three words either side of it ("the
    19-year-old Holt" and "Holt, 19, signed" share "holt")."""
    units, near = [], []
    for m, _, _ in _figures(text):
        end = m.end() + len(_ORDINAL.match(text, m.end()).group(0))  # "78th"
        rest = text[end:]
        gap = _UNIT_GAP.match(rest)
        following = _UNIT_WORDS.match(rest, gap.end()) if gap else None
        unit: list[str] = []
        for token in _WORD.findall(following.group(0)) if following else ():
            found = words(token)
            if not found:
                if unit or token.lower() not in _UNIT_SKIP:
                    break  # "$11,746 a year", "48 in the first days": no word of what it counts
                continue
            unit += [w for w in found if w not in unit]
            if len(unit) >= 2:
                break
        before = _WORD.findall(text[max(0, m.start() - 80):m.start()])[-3:]
        after = _WORD.findall(text[end:end + 80])[:3]
        near.append(frozenset(words(" ".join(before + after))))
        units.append(tuple(unit))
    return tuple(units), tuple(near)


_FRACTIONS = ((re.compile(r"\bhalf\b", _I), (50.0,)), (re.compile(r"\b(?:a|one) quarter\b", _I), (25.0,)),
              (re.compile(r"\b(?:a|one) third\b", _I), (33.0, 33.3, 33.33)),
              (re.compile(r"\btwo[ -]thirds\b", _I), (66.0, 66.7, 67.0)),
              (re.compile(r"\bthree[ -]quarters\b", _I), (75.0,)))


_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?(?:%|per ?cent\b)", _I)


def _percents(text: str) -> list[float]:
    """The percentages a text writes with digits: "a 50% discount" -> 50."""
    return [float(m.group(1)) for m in _PERCENT.finditer(text)]


def fraction_percents(text: str) -> list[float]:
    """The percentages a text states as fractions: "fell by half" states 50%."""
    return [v for pattern, values in _FRACTIONS if pattern.search(text) for v in values]


def dates(text: str) -> list[tuple[str, str]]:
    """Months and days a text names: (as written, key). "May" only capitalised and not first."""
    return [(m.group(0).rstrip("."), key) for m in _DATE.finditer(text) if (key := _date_key(text, m))]


def _date_key(text: str, m: re.Match[str]) -> str:
    """The month or weekday a `_DATE` match in `text` names, "" when it is not one."""
    month, day = m.groups()
    if not month:
        return day.lower()
    if month == "May" and not re.match(r"\s*\d", text[m.end():]) and not text[:m.start()].strip():
        return ""
    if month != month.capitalize():
        return ""  # "may", "march" lower-case are verbs
    return next(name for name in _MONTHS if name.startswith(month.lower().rstrip(".")[:3]))


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
        gap = text[run[-1][1] + len(run[-1][0]):start] if run else ""
        if gap.strip() and not (gap in _NAME_HYPHENS and token[:1].isupper()):
            close()  # punctuation ends a name: "Walgreens, Trader Joe's"; a hyphen does not: "Keegan-Michael Key"
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
        return Clause(text, frozenset(words(text)), "", (), frozenset(), frozenset(), "", False, "", (), False, "", "",
                      "")

    def first(pattern: re.Pattern[str]) -> str:
        m = pattern.search(text)
        return m.group(0).lower() if m else ""

    def scope(pattern: re.Pattern[str]) -> tuple[str, ...]:
        m = pattern.search(text)
        return tuple(words(_to_quote_end(text, m.start(), m.end()))[:_SCOPE]) if m else ()

    negated: set[str] = set()
    anchors: set[str] = set()
    for m in _NEGATION.finditer(text):
        after = words(text[m.end():])[:_NEGATED]
        negated.update(after)
        before = words(text[:m.start()])
        # "voted no": the word before, both as what is negated and as the anchor.
        if before:
            negated.add(before[-1])
        anchors.update(after[:1] or before[-1:])
    verb = scope(_VERBAL_NEGATION)
    negation_scope = scope(_NEGATION)
    while negation_scope[:1] and negation_scope[0] in _MODAL_TERMS and len(negation_scope) > 1:
        negation_scope = negation_scope[1:]  # "did not need to intervene" negates "intervene"
    return Clause(text, frozenset(words(text)), first(_NEGATION), negation_scope, frozenset(negated),
                  frozenset(anchors), verb[0] if verb else "",
                  bool(_NEGATIVE.search(text)), first(_HEDGE), scope(_HEDGE), bool(_CLAIM_HEDGE.search(text)),
                  first(_UNIVERSAL), first(_CONFIRMED), first(_FUTURE),
                  frozenset(m.group(0).lower() for m in _CLAIM_HEDGE.finditer(text)))


def _to_quote_end(text: str, start: int, end: int) -> str:
    """The text after a cue at `start`:`end`, up to the end of the quotation the cue is in: a
    quoted "does not even keep up with the cost of living" negates nothing said after it."""
    before = text[:start]
    inside = before.count('"') % 2 == 1 or before.rfind("\u201c") > before.rfind("\u201d")
    rest = text[end:]
    return re.split(r'["\u201d]', rest, maxsplit=1)[0] if inside else rest


@dataclass(frozen=True)
class Context:
    """Where a window stands: its own facts, what it may refer back to, the whole cited passage."""

    label: str  # how reasons name it: "[2]"
    size: int  # sentences in the window
    window: Facts
    antecedents: frozenset[str]  # words of the two sentences before the window
    passage_words: frozenset[str]
    neighbours: tuple[Facts, ...] = ()  # the passage's sentences just before and after the window
    title_words: frozenset[str] = frozenset()  # the cited source's title: "The company" may be named there
    parts: tuple[Facts, ...] = ()  # the window's sentences, one by one (() reads the window as one)
    # The sentences the sentence's meaning aligned to, where the window was widened to the ones
    # around them that hold its other words (None: the window): negation and certainty are read
    # in these, figures, dates, names, cause and words in the whole window.
    core: Facts | None = None
    known_names: frozenset[str] = frozenset()  # words the cited text writes capitalised inside a sentence
    passage: str = ""  # the cited text and its title, where a name's description is looked up
    # Names in a neighbour sentence, said of the same thing there, count (`_name_beside`): asked
    # once a wider window has been tried, which reads all of a sentence joining two.
    names_beside: bool = False


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
    # Figures and dates count in the sentences of the window the claim draws words from: not in
    # one between two it joins ("adults over 65" between "Listeria infection" and "70 days").
    drawn = [p for p in context.parts if p.word_set & claim.word_set] or [window]
    stated = drawn[0] if len(drawn) == 1 else joined(drawn)
    values = ([v for _, v in stated.figures] + ([2.0] if _BOTH.search(stated.text) else [])
              + fraction_percents(stated.text) + [v / 100 for v in _percents(stated.text)])  # "half-price": 50%
    for index, (written, value) in enumerate(claim.figures):
        if any(_same(value, v) for v in values):
            reasons += (_swapped(claim, index, stated, context.label) or _displaced(claim, index, stated, context.label)
                        or _denied(claim, index, stated, context.label)
                        or _misattributed(claim, index, stated, context.label, context.known_names)
                        or _exchanged(claim, index, stated, context.label))
        elif not (_beside(claim, index, context.neighbours) or _referred(claim, index, window, context.passage)
                  or _known_pair(claim, index, context.passage)):
            reasons.append(f"figure {written} not in {where}")
    keys = {k for _, k in stated.dates}
    for written, key in claim.dates:
        if key not in keys:
            reasons.append(f"date {written} not in {where}")
    reasons += _dated_otherwise(claim.text, stated.text, context.label)
    window_words = window.word_set
    # "there" refers to a place named before when the window names nothing the sentence does not
    there = bool(_THERE.search(window.text)) and window.capitals <= capitals(claim.text)
    for name in claim_names:
        name_terms, written = name.terms, name.text
        referred = window.personal or (name.opens and window.opens_with_reference) or there
        named = window_words | (context.antecedents | context.title_words if referred else frozenset())
        inside = [t in named for t in name_terms]
        if all(inside):
            continue
        unknown = [t for t in name_terms[:-1] if t not in named and t not in context.passage_words]
        if inside[-1] and len(unknown) <= 1 and not re.search(r"['’]s\b", name.text):
            continue  # "Mark Rutte" for a window's "Rutte" (not "Kenya's Alemu" for "Ethiopia's Alemu")
        if all(t in named or _demonym(t, named) for t in name_terms):
            continue  # "Kenyan Samuel Otieno" for a window's "Samuel Otieno, also of Kenya"
        if _described(name, window.text, context.passage):
            continue  # "Hilda" for a window's "the storm", where the cited text says "Storm Hilda"
        if _titled(name, claim.text, context):
            continue  # "save Quillon $260 million" for "save the company ...", under "Quillon Systems to cut jobs"
        if _opening_reference(name, claim.text, context):
            continue  # "Norhaven chief executive Joanna Reilly" for "Its chief executive, Joanna Reilly"
        if context.names_beside and _name_beside(name, claim.text, context.neighbours):
            continue  # "a $520 million profit at Skylane" for the next sentence's "Skylane earned $520 million"
        reasons.append(f"name {written} not in {where}")
    if not reasons:
        reasons += _roles(claim, claim_names, window, context)
    core = context.core or window
    reasons += _polarity(claim, core, context.label, window, context.neighbours)
    reasons += _cause(claim, window, context.parts, context.label)
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


def _referred(claim: Facts, index: int, window: Facts, passage: str) -> bool:
    """Whether the window refers to what the figure counts, which the cited text counts with that
    figure elsewhere ("the two men, aged 24 and 31" for "The men, aged 24 and 31", where the
    passage says "arrested two men")."""
    unit = claim.figure_units[index][:1] if index < len(claim.figure_units) else ()
    if not unit or not any(words(m.group(1))[:1] == list(unit) for m in _DEFINITE.finditer(window.text)):
        return False
    value = claim.figures[index][1]
    units, _ = _figure_contexts(passage)
    return any(_same(value, v) and u[:1] == unit for (_, v), u in zip(figures(passage), units, strict=True))


def _known_pair(claim: Facts, index: int, passage: str) -> bool:
    """Whether the figure is "the two" of a pair the sentence refers to ("where the two chains
    overlap" in a story of two chains merging), while the cited text counts none of those with
    another figure ("the two men" where it says three men were arrested is still a figure)."""
    written, value = claim.figures[index]
    unit = claim.figure_units[index][:1] if index < len(claim.figure_units) else ()
    if value != 2 or not unit or not re.search(rf"\b(?:the|both|these|those) {re.escape(written)}\b", claim.text, _I):
        return False
    units, _ = _figure_contexts(passage)
    return not any(u[:1] == unit for u in units)


def _demonym(term: str, known: frozenset[str]) -> bool:
    """Whether `term` is the adjective of a place the cited text names: "kenyan" for "Kenya",
    "texan" for "Texas" ("canadian", "italian", "japanese", "israeli" alike)."""
    for suffix in ("n", "an", "ian", "es", "ese", "i", "ish"):  # as stemmed: "japanes", "canadian"
        if term.endswith(suffix) and len(term) - len(suffix) >= 4:
            stem = term[:-len(suffix)]
            if any(x in known for x in (stem, stem + "a", stem + "i", stem[:-1])):
                return True
    return False


def _described(name: Name, window: str, passage: str) -> bool:
    """Whether the window refers to the name by a word the cited text writes in it ("the storm"
    for "Storm Hilda", "the judge" for "Judge Lena Morales")."""
    last = name.terms[-1]
    described = set()
    for run in _CAPITALISED_RUN.finditer(passage):
        found = [(token, words(token)) for token in run.group(0).split()]
        if any(last in w for _, w in found):
            described |= {token.lower() for token, w in found if w and not set(w) & set(name.terms)}
    return any(re.search(rf"\b(?:the|this|that)\s+(?:[a-z]+\s+)?{re.escape(word)}\b", window, _I) for word in described)


_CONJUNCTION = re.compile(r"^\s*(?:but|and|while|whereas|although|though|yet)\s+", _I)


def _roles(claim: Facts, claim_names: Sequence[Name], window: Facts, context: Context) -> list[str]:
    """Names the window holds, each in another's place: a clause of the sentence that opens with a
    name and says what a clause of the window says (three words or more in common besides
    names), where that clause opens with another name ("Rutte stressed the importance of
    remaining open-minded" where the window says "Macron emphasized the importance of remaining
    open-minded", and Rutte dismissed the idea)."""
    reasons = []
    known = context.known_names
    for clause in claim.clauses:
        subject = _subject(clause.text, known)
        if subject is None:
            continue
        plain = clause.words - {t for n in claim_names for t in n.terms}
        match = _best_clause(plain, window.clauses)
        if match is None or len(plain & match.words) < _ROLE_WORDS or set(subject.terms) & match.words:
            continue
        # "..., but Whitby said it reflected more cars": the name after a conjunction opens the clause
        other = _subject(_CONJUNCTION.sub("", match.text, count=1), known)
        if other is not None and not set(other.terms) & clause.words:
            reasons.append(f"name {subject.text} where {context.label} says {other.text}")
    return reasons


_SUBJECT_TITLE = 4  # most words of a title before the name a clause opens with: "County emergency manager"


def _subject(text: str, known: frozenset[str]) -> Name | None:
    """The name a clause opens with, titles aside ("Fire chief Marcus Delaney told ...", "County
    emergency manager Lisa Ferraro ordered ..."); None when a word before it is not part of a
    title ("After the vote, Smith said")."""
    first = next(iter(names(text, known)), None)
    if first is None or first.opens:
        return first
    before = text[:text.find(first.text)]
    title = _WORD.findall(before)
    if len(title) > _SUBJECT_TITLE or re.search(r"[,;:()\"\u201c]", before) \
            or any(w.lower() in _NOT_NAMES or w[0].isdigit() for w in title):
        return None
    return first


def _swapped(claim: Facts, index: int, window: Facts, label: str) -> list[str]:
    """A figure the window states, but counting something else, while what the sentence counts
    with it the window counts with another figure: "22 stitches" where it says "a carrier for
    22 years, needed 40 stitches"."""
    unit = claim.figure_units[index] if index < len(claim.figure_units) else ()
    if not unit or len(window.figure_units) != len(window.figures):
        return []
    value = claim.figures[index][1]
    counted = [u for (_, v), u in zip(window.figures, window.figure_units, strict=True) if _same(v, value)]
    # "three points behind" for "three behind leaders": what either counts first, found in the other, is enough.
    if not counted or not all(u and unit[0] not in u and u[0] not in unit for u in counted):
        return []
    if not any(unit[0] in u and not _same(v, value)
               for (_, v), u in zip(window.figures, window.figure_units, strict=True)):
        return []
    return [f"figure {claim.figures[index][0]} counts {counted[0][0]!r} in {label}, not {unit[0]!r}"]


def _displaced(claim: Facts, index: int, window: Facts, label: str) -> list[str]:
    """A figure the window states, written where the window writes another one: the words around
    it are two or more of the other's and none of its own, and the sentence does not state the
    other ("sold 28 million shares at $20 each" where the window sells them "at $22 each, above
    the range of $18 to $20")."""
    if index >= len(claim.figure_near) or len(window.figure_near) != len(window.figures):
        return []
    value, near = claim.figures[index][1], claim.figure_near[index]
    pairs = list(zip(window.figures, window.figure_near, strict=True))
    if any(_same(v, value) and near & around for (_, v), around in pairs):
        return []
    for (written, v), around in pairs:
        if len(near & around) >= 2 and not any(_same(v, stated) for _, stated in claim.figures):
            return [f"figure {claim.figures[index][0]} where {label} says {written}"]
    return []


def _exchanged(claim: Facts, index: int, window: Facts, label: str) -> list[str]:
    """Two figures the window states, each written where the window writes the other: the words
    around each are more of the other's than of its own, two or more ("voted 74% in favour on a
    turnout of 87%" where members "voted 87% in favour ... on a turnout of 74%"; "rose 1.1% in early
    trading before closing 3.2% higher" for the reverse)."""
    if len(claim.figure_near) != len(claim.figures) or len(window.figure_near) != len(window.figures):
        return []
    value, near = claim.figures[index][1], claim.figure_near[index]
    own = [around for (_, v), around in zip(window.figures, window.figure_near, strict=True) if _same(v, value)]
    mine = max((len(near & around) for around in own), default=0)
    for (written, other), around in zip(window.figures, window.figure_near, strict=True):
        if _same(other, value) or len(near & around) < max(2, mine + 1):
            continue
        # the other figure, stated too, is where this one is in the window
        for (_, stated), their_near in zip(claim.figures, claim.figure_near, strict=True):
            if _same(stated, other) and any(len(their_near & o) > len(their_near & around) for o in own):
                return [f"figure {claim.figures[index][0]} where {label} says {written}"]
    return []


# A figure the text says is not so: "about 47 tons, not the 41 tons first reported".
_DENIED_BEFORE = re.compile(r"\b(?:not|rather than|instead of)\s+(?:the\s+|an?\s+)?(?:about\s+)?[$€£¥]?\s?$", _I)


def _denied(claim: Facts, index: int, window: Facts, label: str) -> list[str]:
    """A figure the window writes only to deny it, which the sentence states without denying it
    ("weighed about 41 tons" where the window says "about 47 tons, not the 41 tons first reported")."""
    value = claim.figures[index][1]

    def denied_in(text: str) -> list[bool]:
        return [bool(_DENIED_BEFORE.search(text[max(0, m.start() - 40):m.start()]))
                for m, _, v in _figures(text) if _same(v, value)]

    in_window = denied_in(window.text)
    if not in_window or not all(in_window) or any(denied_in(claim.text)):
        return []
    return [f"figure {claim.figures[index][0]} is what {label} says it is not"]


_BOUND_GAP = 3  # most words between a name and the figure it states of it: "Marsh, 38", "Pryor in the 39th"


def _bindings(text: str, known: frozenset[str]) -> list[tuple[float, Name]]:
    """Each figure that follows a name closely, with that name: (38, Kevin Marsh) for "Kevin
    Marsh, 38, and Dwayne Loftus, 44"; (18, Vaughan) for "goals from Vaughan in the 18th minute";
    (15, Port Avery General) for "Port Avery General (15)"."""
    spans, at = [], 0
    for name in names(text, known):
        start = text.find(name.text, at)
        if start >= 0:
            spans.append((start + len(name.text), name))
            at = start + len(name.text)
    bound = []
    for m, _, value in _figures(text):
        before = [(end, name) for end, name in spans if end <= m.start()]
        gap = text[before[-1][0]:m.start()] if before else ""
        # An apposition ("Marsh, 38") or words alone ("Pryor in the 39th"), not across punctuation.
        if before and (re.fullmatch(r"\s*[,(]\s*", gap) or (re.fullmatch(r"[\w\s'’-]*[$€£¥]?", gap)
                                                          and len(_WORD.findall(gap)) <= _BOUND_GAP)):
            bound.append((value, before[-1][1]))
    return bound


def _misattributed(claim: Facts, index: int, window: Facts, label: str, known: frozenset[str]) -> list[str]:
    """A figure the window states of one name, stated of another that the window gives another
    figure ("Dwayne Loftus, 38, and Kevin Marsh, 44" where it says "Kevin Marsh, 38, and Dwayne
    Loftus, 44"; "Vaughan in the 39th minute" where Vaughan scored in the 18th, Pryor in the 39th)."""
    value = claim.figures[index][1]
    mine = [name for v, name in _bindings(claim.text, known) if _same(v, value)]
    if not mine:
        return []
    theirs = _bindings(window.text, known)
    owners = [name for v, name in theirs if _same(v, value)]
    if not owners or any(set(o.terms) & set(mine[0].terms) for o in owners):
        return []
    if not any(set(name.terms) & set(mine[0].terms) and not _same(v, value) for v, name in theirs):
        return []
    return [f"figure {claim.figures[index][0]} is of {owners[0].text} in {label}, not {mine[0].text}"]


_DATE_GAP = 6  # most words between a figure and the day or month it is of: "13,000 acres on Tuesday"
_DATE_REACH = 4  # words either side of a day or month that say what happens then


_DAY_OF_MONTH = re.compile(r"\s*(\d{1,2})(?:st|nd|rd|th)?\b(?![.,]\d|\s*%)")


def _dated(text: str) -> list[tuple[float, str, frozenset[str]]]:
    """Each day or month with the figure right before it, if any, and the content words around
    it: (13000, "tuesday", {...}) for "nearly 13,000 acres on Tuesday"."""
    found = []
    for m in _DATE.finditer(text):
        month = _date_key(text, m)
        if not month:
            continue
        before = text[:m.start()]
        figure = None
        for f, _, value in _figures(before):
            gap = before[f.end():]
            if len(_WORD.findall(gap)) <= _DATE_GAP and not re.search(r"[,;.]", gap) and not _DATE.search(gap):
                figure = value
        near = _WORD.findall(before)[-_DATE_REACH:] + _WORD.findall(text[m.end():])[:_DATE_REACH]
        day = _DAY_OF_MONTH.match(text, m.end()) if month in _MONTHS else None
        key = f"{month} {int(day.group(1))}" if day else month  # "March 24" is not "March 17"
        found.append((figure, key, frozenset(words(" ".join(near)))))
    return found


def _dated_otherwise(claim: str, window: str, label: str) -> list[str]:
    """A day or month the window gives to another figure or another event: "nearly 13,000 acres on
    Monday" where the window says "about 10,000 acres on Monday and nearly 13,000 on Tuesday";
    "30 to 50 millimeters expected on Saturday" where it is expected on Thursday and the river
    falls on Saturday (the words around it are two more of another day's than of its own)."""
    theirs = _dated(window)
    reasons = []
    for figure, key, near in _dated(claim):
        own = [(f, n) for f, k, n in theirs if k == key]
        if not own:  # the date checks say so, unless the window has that month on another day for the same event
            month = key.split()[0]
            other = next((k for _, k, n in theirs if k != key and k.split()[0] == month and " " in key
                          and len(n & near) >= 2), None)
            if other is not None:
                reasons.append(f"date {key.title()} where {label} says {other.title()}")
            continue
        others = [(f, k, n) for f, k, n in theirs if k != key]
        if figure is not None and not any(f is not None and _same(f, figure) for f, _ in own):
            other = next((k for f, k, _ in others if f is not None and _same(f, figure)), None)
            if other is not None:
                reasons.append(f"date {key.title()} where {label} gives it to {other.title()}")
                continue
        mine = max(len(n & near) for _, n in own)
        # the words around it are two or more of another day's and none of its own, or two more of
        # another's than of its own ("confirmed norovirus on January 12, three days into the voyage"
        # where tests confirmed it on January 15 and the first cases were reported on January 12)
        other = next((k for _, k, n in others if len(n & near) >= mine + 2), None)
        if other is not None:
            reasons.append(f"date {key.title()} where {label} says {other.title()}")
    return reasons


def _beside(claim: Facts, index: int, neighbours: Sequence[Facts]) -> bool:
    """Whether a figure the window lacks is in a sentence next to it, the same figure of the same
    thing: among the words the sentence writes around it, besides what it counts ("the
    19-year-old Holt" for "Holt, 19, signed ..." before "Sunday's goal was his first"). What it
    counts is not enough: "after 11 minutes" is in the sentence before "Grant pulled a goal back"
    but not Grant's."""
    if index >= len(claim.figure_near):
        return False
    value, near = claim.figures[index][1], claim.figure_near[index]
    unit = set(claim.figure_units[index]) if index < len(claim.figure_units) else set()
    return any(_same(value, v) and (near & around) - unit - set(counts)
               for other in neighbours
               for (_, v), around, counts in zip(other.figures, other.figure_near, other.figure_units, strict=False))


# How a story refers to what its title names: "the company", "the device", "the airline".
_GENERIC_REFERENCE = re.compile(
    r"\b(?:the|this|that)\s+(?:company|firm|group|chain|retailer|grocer|bank|lender|insurer|airline|carrier|"
    r"utility|device|phone|app|product|service|brand|club|team|band|museum|hospital|school|university|college|"
    r"agency|startup|maker|manufacturer|automaker|publisher|network|platform|festival|event)\b", _I)
# "there" for a place named before ("Two collisions have been reported there"), not "there were".
_THERE = re.compile(r"\bthere\b(?!\s+(?:is|are|was|were|has|have|had|will|would|may|might|could|should|must|"
                    r"seems?|appears?|remains?|be|been)\b)", _I)
_NAME_REACH = 6  # words either side of a name that say what the sentence says of it


# A window opening with a pronoun and the word after it: "Its chief executive", "It said".
_OPENING_PRONOUN = re.compile(r"^[^\w\"\u201c]*(?:it|its|they|their)\s+([^\W\d_][\w'’-]*)", _I)


def _opening_reference(name: Name, text: str, context: Context) -> bool:
    """Whether a name of the sentences before the window is what the window's opening pronoun
    refers to: the sentence writes the word after that pronoun right after the name ("Norhaven
    chief executive" for "Its chief executive" after "Norhaven Homes said ...", "The Insurance
    Council said it did not yet know" for "It said it did not yet know")."""
    opening = _OPENING_PRONOUN.match(context.window.text)
    if opening is None or not all(t in context.antecedents for t in name.terms):
        return False
    at = text.find(name.text)
    after = re.match(r"(?:['’]s)?\s+([^\W\d_][\w'’-]*)", text[at + len(name.text):]) if at >= 0 else None
    return after is not None and after.group(1).lower() == opening.group(1).lower()


def _titled(name: Name, text: str, context: Context) -> bool:
    """Whether a name the window lacks is what the cited source's title or the sentences before
    the window name, and a sentence of the window refers to it ("the company") saying what the
    sentence says of it: two words of those around the name are in that sentence ("cost
    Brightfield about $1.1 million" for "cost the company about $1.1 million" after "The
    developer, Brightfield Energy, said ...")."""
    if not all(t in context.title_words or t in context.antecedents for t in name.terms):
        return False
    at = text.find(name.text)
    if at < 0:
        return False
    around, _ = _around(text[:at], text[at + len(name.text):])
    for part in context.parts or (context.window,):
        reference = _GENERIC_REFERENCE.search(part.text)
        if reference and len(_stems(around - set(words(reference.group(0)))) & _stems(set(part.words))) >= 2:
            return True
    return False


def _name_beside(name: Name, text: str, neighbours: Sequence[Facts]) -> bool:
    """Whether a name the window lacks is in a sentence next to it, said of the same thing: a word
    or a figure of the few around it in the sentence is around it there too. As for figures
    (`_beside`), the name alone is not enough: a name swapped in from the next sentence is the
    commonest swap."""
    at = text.find(name.text)
    if at < 0:
        return False
    mine = _around(text[:at], text[at + len(name.text):])
    own = set(name.terms)
    for other in neighbours:
        for m in _TOKEN.finditer(other.text):
            if name.terms[-1] in words(m.group(0)):
                theirs = _around(other.text[:m.start()], other.text[m.end():])
                # the name's title, written before it in both, says nothing of what is said of it:
                # "Board chair Sunita Rao called the condition unenforceable", where she said another thing
                own_and_title = own | _common_title(text[:at], other.text[:m.start()], name)
                if (_stems(mine[0] - own_and_title) & _stems(theirs[0] - own_and_title)
                        or any(_same(a, b) for a in mine[1] for b in theirs[1])):
                    return True
    return False


def _common_title(before: str, other_before: str, name: Name) -> set[str]:
    """The words that end both texts before a name, the same in both, each capitalised or a title,
    one of them a title ("Board chair" before "Sunita Rao"): its title, not "was directed by" nor
    the "Beaverton," of "Beaverton, Oregon". `other_before` may end with the name's first words
    ("Board chair Sunita" before "Rao")."""
    mine = before.split()
    theirs = other_before.split()
    while theirs and set(words(theirs[-1])) & set(name.terms):
        theirs.pop()
    common = []
    while (mine and theirs and mine[-1].lower() == theirs[-1].lower() and len(common) < _SUBJECT_TITLE
           and (mine[-1][:1].isupper() or mine[-1].lower() in _TITLES)):
        common.append(mine.pop())
        theirs.pop()
    return set(words(" ".join(common))) if any(w.lower() in _TITLES for w in common) else set()


def _stems(terms_: set[str]) -> set[str]:
    """Words cut to five letters: "inspections" and "inspectors" are one here."""
    return {t[:5] for t in terms_}


def _around(before: str, after: str) -> tuple[set[str], list[float]]:
    """The content words and figures within `_NAME_REACH` words of a span, given the text before and after it."""
    left = " ".join(before.split()[-_NAME_REACH:])
    right = " ".join(after.split()[:_NAME_REACH])
    return set(words(left)) | set(words(right)), [v for _, v in figures(left)] + [v for _, v in figures(right)]


def _polarity(claim: Facts, window: Facts, label: str, whole: Facts | None = None,
              neighbours: Sequence[Facts] = ()) -> list[str]:
    """Negation and certainty, clause by clause: each clause of the sentence against the window
    clause sharing most words with it, and each negated or hedged window clause against the
    sentence clause that states what it negates or hedges (negations in all of `whole`, the
    window widened around `window`, where it was; a negation the sentence adds may be in the
    cited text's sentences next to it, `neighbours`)."""
    reasons: list[str] = []
    any_universal = bool(_WINDOW_UNIVERSAL.search(window.text))
    any_confirmed = bool(_CONFIRMED.search(window.text))
    # "..., investigators believe.": a clause that is only who hedges hedges the whole sentence.
    attributed = frozenset().union(*(c.hedges for c in claim.clauses if c.hedges and len(c.words) <= _ATTRIBUTION))
    for clause in claim.clauses:
        match = _best_clause(clause.words, window.clauses, _name_words(claim.text))
        if match is None:
            continue
        # Not negative at all, or stating un-negated the very word the sentence negates
        # ("declined to block" for "blocked").
        verb = clause.negated_verb
        if (clause.negation and (not match.negative or (verb in match.words and verb not in match.negated))
                and not _negated_in(clause, window) and not _negated_beside(clause, claim, window, whole, neighbours)
                and not _last_since(claim.text, window.text)):
            reasons.append(f"negation not in {label} ('{clause.negation}')")
        if clause.universal and not any_universal:
            reasons.append(f"'{clause.universal}' not in {label}")
        if clause.confirmed and (not any_confirmed or (match.hedge and not clause.hedge)):
            says = f" (it says '{match.hedge}')" if match.hedge else ""
            reasons.append(f"'{clause.confirmed}' not in {label}{says}")
        elif clause.future and match.hedge and not (clause.claim_hedge or attributed):  # "will probably" keeps it
            reasons.append(f"'{clause.future}' where {label} hedges ('{match.hedge}')")
    whole = whole or window
    for source_clause in whole.clauses:
        # "not unsafe" restated as "unsafe", "dismissed the idea of sending troops" as "backed sending troops".
        # Read in the whole window: a sentence widened to a window's next sentence restates its negation too.
        restating = _restating(source_clause, source_clause.negation_scope, claim, lambda c: c.negative)
        if restating is not None and not _restates(restating, source_clause, source_clause.negation_scope[:1], claim,
                                                   whole):
            restating = None
        if restating is not None and not _of_the_same(source_clause, claim):
            restating = None
        if (restating is not None and source_clause not in window.clauses
                and len(set(source_clause.negation_scope) & claim.word_set) < 2):
            restating = None  # outside the aligned sentences, a word of it is not enough: "homes without
            # power" before "crews had restored electricity" is not what "brought power back" restates
        if (source_clause.negation and restating is not None
                and not _negative_besides(restating, source_clause.negation_scope[:1])
                and not _prefix_negates(claim.text, source_clause.negation_scope)
                and not (_NO_OTHER.search(source_clause.text) and _ONLY.search(restating.text))
                and not _last_since(whole.text, claim.text)
                and not _NOT_UNTIL.search(restating.text)):
            reasons.append(f"negation of {label} dropped ('{source_clause.negation}')")
    for source_clause in window.clauses:
        restating = _restating(source_clause, source_clause.hedge_scope, claim,
                               lambda c: c.claim_hedge or bool(c.confirmed or c.future))
        if restating is not None and not _restates(restating, source_clause, source_clause.hedge_scope[:_NEGATED],
                                                   claim, window):
            restating = None
        # What keeps the hedge is a hedge, or a word of prediction the clause does not use
        # otherwise ("a replacement plan would likely require" restated "a plan would require" drops it).
        plain = source_clause.hedges - {m.group(0).lower() for m in _HEDGE.finditer(source_clause.text)}
        # a condition ("If the closure lasts ...") restates what the hedged clause says and another
        # clause of the sentence carries the hedge ("... Brannock might have to lay people off")
        kept = restating is not None and (
            bool((restating.hedges | attributed) - plain)
            or (source_clause.hedge.startswith("estimat") and bool(_APPROXIMATE.search(restating.text)))  # "about"
            or (bool(_CONDITION.match(restating.text)) and any(source_clause.hedge in c.hedges for c in claim.clauses))
            # "could claim" in reported speech is "can claim"
            or (source_clause.hedge == "could" and bool(_CAN.search(restating.text)))
            # the hedge said in another clause of the sentence about the same thing: "A broken wrist
            # is expected to keep the seventh miner, who was not named, in hospital for two nights"
            or any(source_clause.hedge in c.hedges and len(c.words & source_clause.words) >= 2
                   for c in claim.clauses if c is not restating))
        if (source_clause.hedge and restating is not None
                and not (kept or restating.confirmed or restating.future)):
            reasons.append(f"hedge of {label} dropped ('{source_clause.hedge}')")
    reasons += _estimate_stated(claim, window, label, attributed)
    for pattern in (_PREFIX_NEGATION, _UN_ADJECTIVE):
        for m in pattern.finditer(whole.text):
            # "a voting member" for "a non-voting member", "damaged" for "undamaged", unless the
            # sentence negates it otherwise.
            negated = words(m.group(1))[:1]
            prefixed = {w for x in pattern.finditer(claim.text) for w in words(x.group(1))[:1]}
            if negated and negated[0] in claim.word_set and negated[0] not in prefixed and not any(
                    c.negative for c in claim.clauses if negated[0] in c.words):
                reasons.append(f"negation of {label} dropped ('{m.group(0)}')")
    return list(dict.fromkeys(reasons))


# "may not get power back until the weekend" carries "may be without power until the weekend",
# though a negation before "until" says when, not whether (`_UNTIL`).
_NOT_UNTIL = re.compile(r"(?:\b(?:not|never|without)\b|n['’]t\b)(?:\s+[\w'’]+){0,4}\s+until\b", _I)
_SINCE = re.compile(r"\bsince\s+(?:the\s+|early\s+|late\s+)?([\w'’]+)", _I)
_LAST = re.compile(r"\blast\b", _I)


def _last_since(negated: str, other: str) -> bool:
    """Whether a negation "since" a time and "last" at that time say one thing: "had not reported a
    fire since 2009" and "its last reported fire was in 2009"; "has not had a surplus since 2023"
    and "its last surplus was in 2023"."""
    since = _SINCE.search(negated)
    if since is None or not _NEGATION.search(negated[:since.start()]) or not _LAST.search(other):
        return False
    return re.search(rf"\b{re.escape(since.group(1))}\b", other, _I) is not None


def _estimate_stated(claim: Facts, window: Facts, label: str, attributed: frozenset[str]) -> list[str]:
    """A figure the window hedges with no other word ("Its debts are estimated at about $62
    million"), stated by a clause of the sentence that neither hedges nor approximates it
    ("Greyline's debts total $62 million"): the hedge is dropped. The word checks cannot see it:
    nothing but the figure follows the hedge."""
    for source_clause in window.clauses:
        if not source_clause.hedge or source_clause.hedge_scope:
            continue
        at = re.search(rf"\b{re.escape(source_clause.hedge)}\b", source_clause.text, _I)
        hedged = [v for _, v in figures(source_clause.text[at.end():])] if at else []
        for clause in claim.clauses:
            if (any(_same(v, w) for _, v in figures(clause.text) for w in hedged)
                    and not (clause.claim_hedge or clause.future or attributed or _APPROXIMATE.search(clause.text))):
                return [f"hedge of {label} dropped ('{source_clause.hedge}')"]
    return []


def _of_the_same(source_clause: Clause, claim: Facts) -> bool:
    """Whether the sentence speaks of what a negation in a relative clause is said of, the noun
    before the pronoun: "repairs that were never done" is not restated by a sentence that names
    no repairs."""
    negation = _NEGATION.search(source_clause.text)
    relative = None if negation is None else \
        next(reversed(list(_RELATIVE.finditer(source_clause.text, 0, negation.start()))), None)
    if relative is None or not _AUXILIARIES.fullmatch(source_clause.text[relative.end():negation.start()]):
        return True  # not said of a noun: "said that it had not been contacted", "the bank had not known"
    said_of = words(source_clause.text[:relative.start()])[-1:]
    return not said_of or bool(set(said_of) & claim.word_set)


def _negative_besides(clause: Clause, negated: Sequence[str]) -> bool:
    """Whether the clause states a negation or a negative verb other than the word the window
    negates: "had slowed and then stopped the leak" does not carry "had not yet stopped it"."""
    if not clause.negative:
        return False

    def only_the_negated(found: str) -> bool:
        stated = set(words(found))
        return bool(stated) and stated <= set(negated)

    def carries(m: re.Match[str]) -> bool:
        # "rather than the signs" carries "not the signs", not "was not repainted"
        if _CONTRASTIVE.fullmatch(m.group(0)):
            return bool(set(words(clause.text[m.end():])[:_NEGATED]) & set(negated))
        return not only_the_negated(m.group(0))

    return any(carries(m) for m in _NEGATIVE.finditer(clause.text))


def _prefix_negates(text: str, scope: Sequence[str]) -> bool:
    """Whether `text` carries a negation as the prefix of the word negated: "unknown to the bank"
    for "the bank had not known", "uninsured" for "without insurance"."""
    return any(set(terms(m.group(1))) & set(scope) for m in _UN_PREFIXED.finditer(text))


def _negated_in(clause: Clause, window: Facts) -> bool:
    """Whether what a sentence's clause negates is negated in some clause of the window ("should
    not eat the recalled meals" for "Customers should not eat the meals." beside the refund), or
    a word of what it negates is among the words a negation of the window is followed by ("never
    went inside" for "did not go inside")."""
    anchors = clause.negation_anchors
    if bool(anchors) and any(c.negative and anchors <= c.negated for c in window.clauses):
        return True
    if (_DENIAL.match(clause.negation) and any(_DENIED_BEFORE_IT.search(c.text) for c in window.clauses)
            and len(clause.negated & window.word_set) >= 3):
        return True  # "Bluecrest denied ignoring the warnings" for "had ignored the warnings. Bluecrest denied that"
    negated = [_telling(words(clause.text[m.end():])[:_NEGATED]) for m in _NEGATION.finditer(clause.text)]
    window_negated = [_telling(words(c.text[m.end():])[:_NEGATED]) for c in window.clauses if c.negation
                      for m in _WORD_NEGATION.finditer(c.text)]
    return all(any(scope & other for other in window_negated) for scope in negated if scope) and any(negated)


def _negated_beside(clause: Clause, claim: Facts, core: Facts, whole: Facts | None,
                    neighbours: Sequence[Facts] = ()) -> bool:
    """Whether a clause of the widened window outside the aligned sentences, or of a sentence next
    to the window, negates what the sentence's clause negates, and shares two words with the
    sentence: "the company did not yet know why the valve had failed" for the quote after the
    aligned sentences, "We do not yet know why it failed"; "Police have not named the two people
    who died" joining "Two people died, police said: ..." and "Police have not released their names"."""
    outside = [c for c in (whole.clauses if whole is not None else ()) if c not in core.clauses]
    outside += [c for other in neighbours for c in other.clauses]
    return any(c.negative and len(c.words & claim.word_set) >= 2
               and _negated_in(clause, Facts(c.text, tuple(c.words), (), (), (c,), "", False, False, False, False,
                                             frozenset()))
               for c in outside)


_DENIAL = re.compile(r"den(?:y|ies|ied)|reject|disput|rebut|refut", _I)
# A denial of what was said before it: "Bluecrest denied that", "..., which Ventara denied".
_DENIED_BEFORE_IT = re.compile(r"\bwhich(?:\s+[\w'’-]+){1,3}\s+"
                               r"(?:den(?:y|ies|ied)|reject(?:s|ed)?|disput(?:e|es|ed))\b"
                               r"|\b(?:den(?:y|ies|ied)|reject(?:s|ed)?|disput(?:e|es|ed)|rebut\w*|refut\w*)\s+"
                               r"(?:that|it|this)\b"
                               # not a clause of its own: "denied that the company had ..."
                               r"(?!\s+(?:the|a|an|he|she|they|it|its|his|her|their)?\s*\w+\s+"
                               r"(?:had|has|was|were|is|are|did))", _I)


# Verbs of telling: not saying, not specifying and not disclosing are one negation
# ("without saying how" for "do not specify how", "would not say" for "did not disclose"); so
# are verbs of knowing ("still do not know why" for "had not yet determined why").
_TELLING = frozenset(terms("say specify disclose reveal comment explain elaborate discuss detail identify name"))
_KNOWING = frozenset(terms("know determine establish understand"))


def _telling(scope: Sequence[str]) -> set[str]:
    """What a negation negates, with verbs of telling as "say" and verbs of knowing as "know"."""
    return {"say" if w in _TELLING else "know" if w in _KNOWING else w for w in scope}


def _restates(clause: Clause, source_clause: Clause, core: tuple[str, ...], claim: Facts, window: Facts) -> bool:
    """Whether the sentence's `clause`, which states words of what `source_clause` negates or
    hedges, says what that clause says: it states the `core` of it (what a negation bears on is
    the word after it, a hedge the words after it), or every other clause of the window shares
    fewer of its words and figures. Sharing a word or two, it may say what another clause says ("no teachers
    laid off, because the district expects to lose 40" restated "no teachers would lose their
    jobs"; "had not yet calculated the cost of the delay but estimated it could reach $20
    million" restated "estimated the cost could reach ...")."""
    if core and set(core) <= claim.word_set:
        return True

    def shared(other: Clause) -> int:
        values = [v for _, v in figures(other.text)]
        return len(clause.words & other.words) + sum(any(_same(v, w) for w in values) for _, v in figures(clause.text))

    mine = shared(source_clause)
    return all(shared(c) < mine for c in window.clauses if c is not source_clause)


def _restating(clause: Clause, scope: tuple[str, ...], claim: Facts,
               carries: Callable[[Clause], bool] = lambda c: False) -> Clause | None:
    """The sentence's clause that states what a window clause negates or hedges (`scope`, the
    words after the negation or hedge): its first word or two of them, with two words of the
    clause in all (else None). Of clauses stating as many, one that `carries` the negation or
    hedge ("the stadium, which the team estimates will cost" splits "the stadium" from "cost")."""
    stated = [w for w in scope if w in claim.word_set]
    own = clause.words - _MODAL_TERMS
    # A figure counts as a word: "all seven miners were uninjured" restates "We believe all seven
    # are uninjured". Two shared in all: "but had not yet stopped it".
    figures_shared = sum(any(_same(v, w) for _, w in claim.figures) for _, v in figures(clause.text))
    if not stated or (stated[0] != scope[0] and len(stated) < 2) or \
            len(own & claim.word_set) + figures_shared < min(2, len(own) + figures_shared):
        return None
    # The clause stating the word right after the negation or hedge first: "has a web browser, but
    # it cannot play video" restates "has no web browser" in its first clause, not its second.
    chosen = max(claim.clauses, key=lambda c: (scope[0] in c.words, len(c.words.intersection(stated)), carries(c)))
    # One word of the window's clause in a long clause of the sentence says something else of it:
    # "Sorensen is not a forger" is not restated by "had been deceived by a forger and had relied on
    # documents" ("had not yet stopped it" is, by "had slowed and then stopped the leak").
    if len(stated) == 1 and len(chosen.words & clause.words) == 1 < len(clause.words) and len(chosen.words) > _SCOPE:
        return None
    return chosen


def _cause(claim: Facts, window: Facts, parts: Sequence[Facts], label: str) -> list[str]:
    """A causal link the window has no word of cause for, or a cause whose words are not in a
    sentence of it that states a cause (`parts`: the window's sentences): a fact of one sentence
    given as the cause of another's is a cause nobody wrote."""
    if not claim.causal:
        return []
    if not window.any_cause:
        return [f"causal link '{claim.causal}' not in {label}"]
    m = _CAUSAL.search(claim.text)
    rest = _clauses(claim.text[m.end():]) if m else []
    if rest:  # "started late because of a thunderstorm and finished under the lights": the cause is the storm
        rest[0] = re.split(r"\s+and\s+(?=[a-z]+ed\b)", rest[0], maxsplit=1)[0]
    cause = words(rest[0]) if rest else []
    if not cause:
        return []
    # "for that reason" gives the sentence before as the cause: read the two as one
    causal_parts = [joined([parts[i - 1], p]) if i and _CAUSE_BEFORE.search(p.text) else p
                    for i, p in enumerate(parts) if p.any_cause] or [window]
    missing = min(sum(w not in p.word_set for w in cause) for p in causal_parts)
    if missing / len(cause) > 0.25:
        return [f"cause '{rest[0].strip(' .!?')}' not in {label}"]
    return []


def _best_clause(words: frozenset[str], clauses: Iterable[Clause],
                 names_: frozenset[str] = frozenset()) -> Clause | None:
    """The clause sharing most words with `words` (None when none shares any); of clauses sharing
    as many, the one sharing most that are not `names_` ("said its report could be delayed until
    the spring" over "The Maritime Safety Agency" for "The agency said its report will be delayed")."""
    best, score = None, (0, 0)
    for other in clauses:
        shared = words & other.words
        key = (len(shared), len(shared - names_))
        if key > score and key[0]:
            best, score = other, key
    return best


def _name_words(text: str) -> frozenset[str]:
    """The terms of the words a sentence writes capitalised after its first."""
    return frozenset(t for w in capitals(text) for t in words(w))


def _new_run(text: str, known: frozenset[str]) -> list[str]:
    """The longest run of consecutive content words found nowhere in the cited text (a figure
    breaks a run: the figure checks judge it)."""
    best: list[str] = []
    run: list[str] = []
    # Hyphens split before figures are taken out, as `words` does: "two-person" is the figure two.
    # A clause mark ends a run ("Once the weekend ends, riders pay" is two rewordings, not a detail).
    plain = re.sub(r"\s*[,;:()\u2013\u2014]\s*", " 000 ", re.sub(r"[-\u2010-\u2015/]", " ", text))
    plain = _OPEN_POSSIBILITY.sub(" 000 ", plain)  # judged as a hedge, not as words ("left open the possibility")
    for word in terms(_FIGURE.sub(" 000 ", plain)):
        if word in known or word[0].isdigit() or word in _CONNECTIVES:
            run = []
        else:
            run.append(word)
            if len(run) > len(best):
                best = list(run)
    return best


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


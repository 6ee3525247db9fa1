"""What kind of answer a question expects, and where a sentence holds one.

"How much ..." wants an amount of money, "what time ..." a time of day, "who ..." a person,
"where ..." a place, "why ..." a reason. A sentence is an answer only when it holds a span of
that kind that the question does not already contain: "When will the glasses be available?"
is not answered by "The glasses were announced by Meta", however close in meaning.

Kinds: money, percent, count, number, duration, time, date, person, place, reason, and name
(a proper name, for "which company/team/country ..."). Person and place are found without a
trained tagger: capitalized name sequences, the place ones after a locative preposition.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from qa.answering.lexical import stem

KINDS = ("money", "percent", "count", "number", "duration", "time", "date", "person", "place", "reason", "name")
# Kinds a short answer may lead with: a span that is itself the answer.
SHORT_KINDS = frozenset({"money", "percent", "count", "number", "duration", "time", "date", "person", "place"})

_I = re.I
# Nouns for people: "which official", "the name of the firefighter".
_PERSON_NOUNS = (r"leaders?|officials?|persons?|people|players?|man|men|woman|women|ministers?|presidents?|"
                 r"politicians?|scientists?|judges?|authors?|ceos?|executives?|coach(?:es)?|spokes(?:man|woman|"
                 r"person)|lawmakers?|senators?|athletes?|artists?|actors?|singers?|directors?|founders?|chiefs?|"
                 r"heads?|candidates?|winners?|scorers?|firefighters?|officers?|victims?|suspects?|drivers?|pilots?|"
                 r"doctors?|nurses?|teachers?|students?|patients?|owners?|residents?|workers?|employees?|"
                 r"lawyers?|attorneys?|prosecutors?|mediators?|researchers?|managers?|boy|girl|child|children|"
                 r"mayor|governor|captain|referee")
_Q_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "How much does it weigh?" asks for a measure, not a price: checked before money.
    ("number", re.compile(r"\bhow much\b.*\b(weigh|weighs|weighed|weight|heav(y|ier)|rain|snow|water|fuel|oil|gas|"
                          r"land|area|energy|power|electricity|memory|storage|data|time|longer|faster|bigger|"
                          r"higher|rise|rose|fall|fell|grow|grew)\b", _I)),
    ("money", re.compile(r"\b(in|of) (dollars|euros|pounds|money)\b|\bhow much (money|did|does|do|will|would|is|was|are|were|has|have|had|cost|to)\b.*"
                         r"|\bhow much\b.*\b(cost|pay|paid|price|worth|spend|spent|raise|raised|fine|fined|charge|"
                         r"earn|owe|sell|sold|budget|fund|funding|invest|salary)|\bwhat (is|was|will be) the (price|"
                         r"cost|fine|budget|value)\b|\bwhat (price|amount of money|sum)\b|\bhow expensive\b"
                         r"|\bcost how much\b|\bhow much (money|cash|funding)\b", _I)),
    ("percent", re.compile(r"\bwhat (percentage|percent|share|proportion|fraction)\b|\bhow many percent\b"
                           r"|\bby how much\b|\bwhat (rate)\b", _I)),
    ("count", re.compile(r"\bhow many\b|\bwhat (number|count) of\b|\bhow much\b", _I)),
    ("duration", re.compile(r"\bhow long\b|\bfor how long\b|\bhow many (years|months|weeks|days|hours|minutes)\b", _I)),
    ("number", re.compile(r"\bhow (old|far|large|big|tall|high|often|fast|deep|heavy|wide|much)\b|\bwhat (number|"
                          r"amount|size|score|age|speed|temperature|magnitude)\b|\bwhat was the score\b", _I)),
    ("time", re.compile(r"\bwhat time\b|\bat what (hour|time)\b|\bwhen\b.*\b(tonight|this (morning|evening|"
                        r"afternoon))\b|\bwhich hour\b", _I)),
    ("date", re.compile(r"\bwhen\b|\b(what|which) (year|date|month|day|decade|century|week|season)\b|\bsince when\b"
                        r"|\bhow soon\b|\bby when\b", _I)),
    ("person", re.compile(rf"\bwho\b|\bwhom\b|\bwhose\b|\b(which|what) ({_PERSON_NOUNS})\b"
                          rf"|\bnames? of (the|that|this|those|these) (\w+ )?({_PERSON_NOUNS})\b", _I)),
    ("place", re.compile(r"\bwhere\b|\b(which|what) (cit(y|ies)|countr(y|ies)|towns?|states?|regions?|provinces?|"
                         r"places?|venues?|locations?|area|count(y|ies)|islands?|villages?|capitals?|continents?|"
                         r"stadiums?|districts?|neighbou?rhoods?|airports?|streets?)\b"
                         r"|\bin which (city|country|town|state|region|place)\b", _I)),
    ("reason", re.compile(r"\bwhy\b|\bwhat (caused|causes|led to|prompted|triggered|is behind|was behind|made)\b"
                          r"|\bfor what reason\b|\bwhat (was|is) the (reason|cause|motive)\b|\bhow come\b", _I)),
    ("name", re.compile(r"\b(which|what) (\w+ )?(compan(y|ies)|teams?|clubs?|part(y|ies)|firms?|"
                        r"organi[sz]ations?|groups?|agenc(y|ies)|brands?|airlines?|banks?|universit(y|ies)|"
                        r"schools?|newspapers?|networks?|apps?|products?|models?|bands?|films?|books?|stores?|"
                        r"retailers?|chains?|shops?|supermarkets?|restaurants?|hospitals?|prisons?|species)\b"
                        r"|\b(what|what's|whats) (is |are |was |were )?(the )?names? of\b|\bwhat (is|are|was|were) "
                        r"(it|they|the( \w+){1,3}) called\b", _I)),
)

_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                 "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
                 "hundred|hundreds|thousand|thousands|million|millions|billion|billions|trillion|dozen|dozens|"
                 "half|a third|a quarter")
_NUM = rf"(?:\d[\d,.]*\d|\d|(?:{_NUMBER_WORDS}))"
_SCALE = r"(?:\s?(?:thousand|million|billion|trillion|bn|m|k))?"
_CURRENCY_WORDS = r"(?:dollars?|euros?|pounds?|yen|yuan|francs?|rupees?|cents?|pence|pesos?|rubles?|roubles?|won)"

_SPAN_PATTERNS: dict[str, re.Pattern[str]] = {
    "money": re.compile(rf"(?:[$€£¥]|\b(?:US|USD|EUR|GBP|CHF|CA|AU|A|C)\$?\s?)\s?\d[\d,.]*{_SCALE}\b"
                        rf"|\b{_NUM}{_SCALE}\s{_CURRENCY_WORDS}\b", _I),
    "percent": re.compile(rf"\b{_NUM}\s?(?:%|percent\b|per cent\b|percentage points?\b)", _I),
    "count": re.compile(rf"\b{_NUM}\b", _I),
    "duration": re.compile(rf"\b(?:{_NUM}|a|an|several|few)\s(?:more\s)?(?:years?|months?|weeks?|days?|hours?|"
                           rf"minutes?|seconds?|decades?|centuries)\b", _I),
    "time": re.compile(r"\b\d{1,2}(?::\d{2})?\s?(?:a\.m\.|p\.m\.|am\b|pm\b)|\b\d{1,2}:\d{2}\b|\b(?:noon|midnight|"
                       r"midday|dawn|dusk)\b|\b\d{1,2}\s?o'clock\b", _I),
    "date": re.compile(rf"\b(?:1[5-9]\d\d|20\d\d)s?\b|\b(?:{_MONTHS})\.?(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?\b|\b(?:"
                       rf"{_WEEKDAYS})\b|\b\d{{1,2}}(?:st|nd|rd|th)\b|\b(?:yesterday|today|tomorrow|tonight|"
                       rf"next (?:week|month|year|spring|summer|autumn|fall|winter)|last (?:week|month|year)|"
                       rf"(?:early|late|mid)-?(?:{_MONTHS}|\d{{4}})|(?:spring|summer|autumn|fall|winter)|"
                       rf"centur(?:y|ies)|decades?)\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}/\d{{1,2}}/\d{{2,4}}\b",
                       _I),
    "reason": re.compile(r"\b(?:because|due to|owing to|as a result|so that|in order to|since|caused by|"
                         r"led to|blamed|citing|cited|amid|after|following|to (?:protest|avoid|prevent|protect|"
                         r"support|help|reduce|boost|address|allow|ensure|make)|for fear|over concerns?|"
                         r"reason|why)\b", _I),
}
_NUMBER_SPAN = re.compile(rf"\b{_NUM}(?:\s?(?:%|percent|km|kilometres?|kilometers?|miles?|metres?|meters?|feet|"
                          rf"kg|kilograms?|grams?|g|ounces?|oz|lbs?|pounds?|litres?|liters?|gallons?|inches?|cm|mm|mph|km/h|acres?|"
                          rf"hectares?|tons?|tonnes?|degrees?|points?|goals?|runs?|votes?|seats?|years? old))?\b", _I)
# A run of capitalized words (a proper name), allowing "of", "de", "van" inside and initials.
_PROPER = re.compile(r"\b(?:[A-Z][\w'’.-]*[a-z\d][\w'’-]*|[A-Z]{2,}|[A-Z]\.)"
                     r"(?:\s+(?:(?:of|de|van|von|der|da|del|du|la|le|al|bin|the)\s+)?(?:[A-Z][\w'’.-]*[a-z\d][\w'’-]*"
                     r"|[A-Z]{2,}|[A-Z]\.))*")
# Words before a name that make it a place: "from Tacoma", "in Vienna" (not "to": "sold to Halbrook").
_PLACE_BEFORE = re.compile(r"\b(?:in|near|from|inside|outside|across|throughout)\s+(?:the\s+)?$", _I)
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|across|from|to|into|on|off|throughout|around|"
                       r"towards?|via|between|(?:north|south|east|west)(?:-?(?:east|west))?(?:ern)?\s+of|"
                       r"outside\s+of|miles\s+from)\s+(?:the\s+)?$|\b(?:states|countries|cities|towns|counties|places|"
                       r"regions|provinces|sites|locations)(?:\s\(\d+\))?:\s*$", _I)  # "sold in five states: Ohio, ..."
# Capitalized words that are not names on their own: titles and roles go before a person's name.
_TITLES = frozenset(
    """mr mrs ms dr prof sir dame lord lady president prime minister secretary chancellor king queen prince
    princess pope general gen col colonel captain capt sgt sergeant senator sen rep representative governor
    gov mayor judge justice chief chairman chairwoman chair ceo cfo coach manager director spokesman
    spokeswoman spokesperson minister deputy vice foreign interior defence defense finance health
    opposition leader officer detective inspector commissioner ambassador archbishop bishop father saint st
    mp mep head professor doctor assistant executive founder former acting interim senior""".split()
)
_NOT_NAMES = frozenset(
    """the a an it its this that these those there they he she we i you his her their our my in on at of for
    but and or if when while after before as by with from to however meanwhile also still yet then now
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december photo image caption update breaking read more what who whom
    whose how why where when which did does do is are was were can could will would has have had should
    tell show give list one two three four five six seven eight nine ten eleven twelve twenty thirty forty
    fifty hundred thousand million billion dozens first second third last next""".split()
)

# Capitalized adjectives of nationality and region: "the French president" names no one.
_DEMONYMS = frozenset(
    """french british german dutch american russian ukrainian chinese japanese european italian spanish
    polish canadian australian indian israeli iranian palestinian turkish mexican korean african english
    scottish irish welsh swiss swedish norwegian danish finnish greek brazilian belgian austrian
    portuguese hungarian czech romanian arab asian latin western eastern northern southern soviet nordic
    baltic""".split()
)


# A measure is a number with a unit of its own kind: "how much does it weigh?" is not answered
# by "32 gigabytes", "how big are they?" not by "10 degrees". (question pattern, unit pattern)
_MEASURES: dict[str, tuple[re.Pattern[str], str]] = {
    "age": (re.compile(r"\bhow old\b|\b(what|which) ages?\b|\bat what age\b", _I),
            r"years?[- ]old|months?[- ]old|weeks?[- ]old|year-olds?|month-olds?"),
    "weight": (re.compile(r"\bweigh(s|ed|t)?\b|\bhow heavy\b|\bheavier\b", _I),
               r"g|grams?|kg|kilo(?:gram)?s?|pounds?|lbs?|ounces?|oz|tons?|tonnes?|stone"),
    "speed": (re.compile(r"\bhow fast\b|\bwhat speed\b|\bhow quick(ly)?\b.*\b(go|travel|fly|drive|run)\b", _I),
              r"mph|km/h|kph|kmh|knots?|miles? (?:an|per) hour|kilometers? (?:an|per) hour|kilometres? (?:an|per) "
              r"hour|meters? per second|metres? per second|m/s"),
    "temperature": (re.compile(r"\bhow (hot|cold|warm)\b|\bwhat temperature\b|\btemperatures?\b.*\bhow high\b",
                               _I), r"degrees?|°\s?[fc]?|f\b|c\b"),
    "distance": (re.compile(r"\bhow far\b|\bwhat distance\b", _I),
                 r"miles?|km|kilomet(?:er|re)s?|met(?:er|re)s?|m|feet|foot|ft|yards?|blocks?|inches|inch"),
    "size": (re.compile(r"\bhow (tall|high|deep|wide|thick|long is|long are|long was|long were|big|large|small)\b"
                        r"|\bwhat size\b|\bhow much (land|area)\b", _I),
             r"inch(?:es)?|feet|foot|ft|cm|mm|centimet(?:er|re)s?|millimet(?:er|re)s?|met(?:er|re)s?|m|km|"
             r"kilomet(?:er|re)s?|miles?|yards?|acres?|hectares?|square \w+|sq\.? ?\w+|stor(?:y|ies|eys?)|floors?|"
             r"gallons?|lit(?:er|re)s?|cubic \w+|seats?|rooms?|beds?|employees|people|pages?|gigabytes?|GB|TB"),
}
# Units of other measures: a size question accepts a bare number ("how big was the crowd?
# 31,412") but not one measured in degrees or grams.
_ANY_UNIT = re.compile(
    rf"\b{_NUM}(?:\s?|-)(?:{'|'.join(units for _, units in _MEASURES.values())}|%|percent)(?![\w-])", _I)


# "How many NOUN": the count must be of that noun. Words that end the noun phrase, and nouns
# that count people (a question about "kids" is answered by "seven patients").
_PHRASE_END = frozenset("are were is was did do does have has had will would can could should in of on at for to "
                        "by from been be the a an that which".split())
_PEOPLE = frozenset(stem(w) for w in """people persons person kids children child patients cases residents
    victims adults students workers employees members fans passengers staff individuals deaths dead killed
    injured hurt men women boys girls teenagers infants babies""".split())


# A question naming a person's role ("who is the coach", "the name of the firefighter") wants a
# person, not an organization; names ending in these words are organizations, places, events.
_ROLE_ASKED = re.compile(rf"\b(?:{_PERSON_NOUNS})\b", _I)
_ORGANIZATION_WORDS = frozenset("""fire authority county city group foods company inc corp corporation department
    service council university hospital school park street hotel center centre institute association union party
    club rovers united fc bank agency administration court office ministry committee commission board network news
    times post airport station bridge river lake mountain ridge island express markets partners capital holdings
    foundation church airlines army navy forces government parliament congress senate police team society league
    organization organisation invitational open cup festival tournament academy college museum athletics
    federation alliance coalition assembly tribunal reserve fund trust program programme initiative conference
    summit awards games olympics championship championships prize see studios media motors airways""".split())


def _is_organization(name: str) -> bool:
    return name.split()[-1].lower().strip(".,") in _ORGANIZATION_WORDS


def counted_nouns(question: str) -> set[str]:
    """Stems of the words a "how many" question counts ("how many yellow cards did ..." ->
    {yellow, card}); empty when it names none."""
    found = list(re.finditer(r"\bhow many\b", question, _I))
    if not found:
        return set()
    words = re.findall(r"[a-z][a-z'-]*", question[found[-1].end():].lower())
    if words[:1] == ["of"] and words[1:2] and words[1] in ("the", "its", "their", "his", "her", "these", "those"):
        words = words[2:]
    heads: list[str] = []
    for word in words:
        if word in _PHRASE_END or len(heads) == 3:
            break
        heads.append(word)
    stems = {stem(w) for w in heads}
    return stems | _PEOPLE if stems & _PEOPLE else stems


def count_agrees(sentence: str, span: Span, nouns: set[str]) -> bool:
    """Whether the number `span` counts one of `nouns`: a noun within four words after it ("64
    teams"), within eight before it ("the number of homes destroyed has risen to 47", "cases:
    Wisconsin (6)"), or a share of a number already named ("Twelve of the 14 had ...")."""
    rest = sentence[span.end:span.end + 60]
    after = re.findall(r"[A-Za-z][A-Za-z'-]*", rest)[:4]
    before = re.findall(r"[A-Za-z][A-Za-z'-]*", sentence[max(0, span.start - 80):span.start])[-8:]
    if any(stem(w.lower()) in nouns for w in after + before):
        return True
    # "Twelve of the 14 had ...": a share of a number already named counts it; "49 of its 61
    # routes" counts routes.
    part = re.match(rf"\s+of\s+(?:the\s+|its\s+|their\s+)?{_NUM}\s+([A-Za-z'-]+)", rest, _I)
    return bool(part) and part.group(1).lower() in _PHRASE_END


def asked_measure(question: str) -> str | None:
    """The measure a "how ..." question asks for (age, weight, speed, temperature, distance,
    size), or None."""
    for measure, (pattern, _) in _MEASURES.items():
        if pattern.search(question):
            return measure
    return None


def measure_spans(sentence: str, measure: str) -> Iterator[Span]:
    """Numbers with a unit of `measure` in `sentence` ("49 grams", "a 19-year-old")."""
    units = _MEASURES[measure][1]
    pattern = re.compile(rf"\b{_NUM}(?:\s?|-)(?:{units})(?![\w-])" if measure != "temperature"
                         else rf"\b{_NUM}(?:\s?|-)?(?:{units})", _I)
    for m in pattern.finditer(sentence):
        yield Span("number", m.start(), m.end(), m.group(0))
    if measure == "age":
        for m in re.finditer(rf"\b(?:aged?|ages)\s{_NUM}(?:\s(?:to|and)\s{_NUM})?\b", sentence, _I):
            yield Span("number", m.start(), m.end(), m.group(0))


@dataclass(frozen=True)
class Span:
    """A candidate answer inside a sentence: `text[start:end]` of kind `kind`."""

    kind: str
    start: int
    end: int
    text: str


def expected_type(question: str) -> str | None:
    """The kind of answer `question` asks for (see `KINDS`), or None when it does not say."""
    # "which country had the player who ...": the noun after "which" decides, not a later "who".
    opening = re.match(r"\s*(?:in |at |from |to )?(?:which|what)\s+\S+(?:\s+\S+)?", question, _I)
    if opening:
        for kind, pattern in _Q_RULES:
            if kind in ("place", "name", "date", "person") and pattern.search(opening.group(0)):
                return kind
    for kind, pattern in _Q_RULES:
        if pattern.search(question):
            return kind
    return None


def spans(sentence: str, kind: str) -> Iterator[Span]:
    """Every span of `kind` in `sentence`, left to right."""
    yield from _spans(sentence, kind)


@functools.lru_cache(maxsize=16_384)
def _spans(sentence: str, kind: str) -> tuple[Span, ...]:
    # Memoized: the same retrieved sentences are read for every question about a story, and the
    # span patterns were a fifth of a question's time at 10k chunks (`make bench`).
    return tuple(_find_spans(sentence, kind))


def _find_spans(sentence: str, kind: str) -> Iterator[Span]:
    if kind in ("person", "place", "name"):
        yield from _name_spans(sentence, kind)
        return
    pattern = _NUMBER_SPAN if kind == "number" else _SPAN_PATTERNS[kind]
    # A number inside a date, a price, a time or a percentage is not a count or a measure.
    taken = [(m.start(), m.end()) for other in ("money", "date", "time", "percent")
             for m in _SPAN_PATTERNS[other].finditer(sentence)] if kind in ("count", "number") else []
    for m in pattern.finditer(sentence):
        text = m.group(0).strip()
        if text and not any(s < m.start() + len(text) and m.start() < e for s, e in taken):
            yield Span(kind, m.start(), m.start() + len(text), text)


def _name_spans(sentence: str, kind: str) -> Iterator[Span]:
    for m in _PROPER.finditer(sentence):
        words = m.group(0).split()
        start = m.start()
        # Titles and roles are not the name: "Dutch Prime Minister Mark Rutte" -> "Mark Rutte".
        titled = [n for n, w in enumerate(words) if w.lower().strip(".") in _TITLES]
        cut = titled[-1] + 1 if titled and titled[-1] + 1 < len(words) else 0
        while cut < len(words) and words[cut].lower() in _NOT_NAMES:
            cut += 1
        for word in words[:cut]:
            start = sentence.index(word, start) + len(word)
        words = words[cut:]
        while words and start < len(sentence) and sentence[start] == " ":
            start += 1
        while words and words[0].lower() in _DEMONYMS:  # "Dutch Prime Minister ..." was cut above
            start = sentence.index(words[0], start) + len(words[0])
            words = words[1:]
            while start < len(sentence) and sentence[start] == " ":
                start += 1
        if not words:
            continue
        text = " ".join(words).rstrip(".,'’")
        text = re.sub(r"['’]s$", "", text)
        if not text or text.lower() in _NOT_NAMES or len(text) < 2:
            continue
        if kind == "place" and not _LOCATIVE.search(sentence[max(0, m.start() - 24):m.start()]):
            continue
        if kind == "person" and len(words) == 1 and not sentence[:m.start()].strip(" \"'“‘(-–—*"):
            continue  # a lone capitalized first word is mostly just a sentence start
        if kind == "person" and _PLACE_BEFORE.search(sentence[max(0, m.start() - 24):m.start()]):
            continue  # "a 16-year-old from Tacoma", "its crossing from Port Avery": a place, not a "who"
        yield Span(kind, start, start + len(text), text)


def _in_measure(span: Span, sentence: str, measure: str) -> bool:
    return any(m.start() <= span.start < m.end() for m in measure_spans(sentence, measure))


def new_spans(sentence: str, kind: str | None, question: str) -> list[Span]:
    """The spans of `kind` in `sentence` whose text the question does not already contain (for
    a name: most of its words)."""
    if kind is None:
        return []
    asked = question.lower()
    asked_words = set(re.findall(r"[\w$€£%]+", asked))
    found = []
    for span in spans(sentence, kind):
        words = [w for w in re.findall(r"[\w$€£%]+", span.text.lower())]
        if kind in ("person", "place", "name"):
            # "Green Pantry Foods" is the "green pantry" the question names: most of its words.
            known = sum(w in asked_words for w in words) * 2 > len(words)
        else:
            known = all(w in asked for w in words)
        if kind == "reason" or not words or not known:
            found.append(span)
    return found


def holds_type(sentence: str, kind: str | None, question: str) -> bool:
    """True when `sentence` has a span of `kind` that `question` does not contain.

    A number, count or duration question accepts any number; a "name" question a person or
    place too; a person question accepts any proper name (an organization can be the "who"),
    except when it names a role ("who is the fire chief?"): then only a person's name."""
    if kind is None:
        return False
    measure = asked_measure(question) if kind == "number" else None
    if measure is not None:
        asked = question.lower()
        found = [m for m in measure_spans(sentence, measure) if m.text.lower() not in asked]
        if found or measure in ("age", "weight", "speed", "temperature", "distance"):
            return bool(found)
        # "how big": a bare number may be the answer, one measured in another unit is not.
        return any(not _ANY_UNIT.match(sentence, span.start) or _in_measure(span, sentence, measure)
                   for span in new_spans(sentence, kind, question))
    if kind == "count" and (nouns := counted_nouns(question)):
        # "how many mechanics?" is not answered by "49 of its 61 routes".
        return any(count_agrees(sentence, span, nouns)
                   for span in new_spans(sentence, "count", question) + new_spans(sentence, "percent", question))
    if kind == "person" and _ROLE_ASKED.search(question):
        # "who is the fire chief?" asks for a person: "Cutter's Ridge Fire" is not one.
        return any(not _is_organization(span.text) and not _LOCATIVE.search(sentence[max(0, span.start - 24):span.start])
                   for span in new_spans(sentence, "person", question))
    if new_spans(sentence, kind, question):
        return True
    related = {"count": ("number",), "number": ("count",), "duration": ("count",), "percent": ("count",),
               "person": ("name",), "name": ("person", "place")}.get(kind, ())
    return any(new_spans(sentence, other, question) for other in related)

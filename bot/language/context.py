"""What the words around an entity say about it, and statements that answer a question early.

The rule-based extractor (entities.py) finds "2 weeks" or "4.6V"; this module reads the sentence
around them, for the diagnosis engine:

* a duration's ``role``: ``"age"`` (how long the camera has been owned or used: "bought it 2 weeks
  ago", "worked fine for 3 months", "had it since march"), ``"problem"`` (how long the fault has
  lasted: "offline for 2 days", "since last week it keeps dropping"), ``"since_event"`` (time since
  something other than the purchase: "sd card gone after 2 days"), or ``None`` when the words do
  not say;
* dates, months, seasons and weekdays as durations up to now ("since March", "in April", "last
  night"), resolved against the message time (``now``, injectable for tests);
* a voltage's ``measured``: true for a reading ("measured 4.6 V", "the meter shows 4.7"), false
  for a rating on a label ("my 5V 2A adapter", "a 5 volt charger");
* ``fact`` entities from data/knowledge/statements.yml: {"move", "option"} for a statement that
  answers one of the guide's questions or reports a repair already tried.

Every entity dict carries ``text`` (the words matched) so the engine can quote the customer.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.knowledge.phrases import Statements, load_statements

AGE, PROBLEM, SINCE_EVENT = "age", "problem", "since_event"

# Cues in the same clause, before the duration (or a date phrase). The nearest cue wins.
_AGE_BEFORE = re.compile(
    r"\b(?:had (?:it|this|the \w+|them|mine)|have had|i'?ve had|owned|own it|bought|purchased|got (?:it|"
    r"this|the \w+|mine)|"
    r"installed|set (?:it )?up|mounted|put (?:it )?up|worked (?:fine|great|well|perfectly|ok|good|normally|"
    r"without (?:a |any )?(?:problem|issue)s?)?|"
    r"working (?:fine|great|well|perfectly|ok)?|ran|running|used (?:it)?|in use|lasted|old|since i (?:got|"
    r"bought|installed)|"
    r"after (?:about |around |roughly |only |just )?)\s*(?:it|them|for|about|around|roughly|almost|nearly|"
    r"over|under|just|only|like|since|in|on|at|a|an|the|\s)*$"
)
_AGE_AFTER = re.compile(
    (
        r"^\s*(?:old|of (?:use|using it|working|operation|normal use|running)|ago,? (?:i|we) (?:bought|got|"
        r"installed))\b"
    )
)
_PROBLEM_BEFORE = re.compile(
    r"\b(?:offline|down|dead|not working|stopped|broken|disconnected|dropping|been (?:offline|down|dead|"
    r"like this|blinking|failing)|"
    r"failing|blinking|flashing|stuck|doing (?:it|this)|happening|the problem|the issue|this issue|"
    r"for the (?:last|past)|"
    r"keeps|kept|has been|have been|it'?s been|started|began|going on)\b[\w\s']{0,20}$"
)
_PROBLEM_AFTER = re.compile(
    r"^\s*(?:now|already|straight|in a row|and counting)?,?\s*(?:it|the camera|the cam)?\s*(?:has been|"
    r"'?s been|keeps|kept|is|has|"
    r"went|goes|stopped|started|won'?t|can'?t|shows|showing|offline|dropping|blinking)\b"
)
# "sd card gone after 2 days": time after something that is not the purchase
_EVENT_WORDS = re.compile(
    r"\b(?:sd|card|cards|insert\w*|reset\w*|update\w*|firmware|power (?:cut|outage|failure)|outage|"
    r"blackout|moving|move|moved|"
    r"format\w*|swap\w*|replac\w*|new router|router change)\b"
)
_CLAUSE_BREAK = re.compile(r"[.;!?\n]|,\s*(?:but|and then|then|so)\b|\bbut\b")

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_SEASONS = {"spring": (3, 20), "summer": (6, 21), "autumn": (9, 22), "fall": (9, 22), "winter": (12, 21)}
_WEEKDAYS = {d: i for i, d in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
_HOLIDAYS = {"christmas": (12, 25), "xmas": (12, 25), "new year": (1, 1), "new years": (1, 1), "easter": (4, 1)}
_DATE = re.compile(
    r"\b(?P<lead>since|in|from|on|last|back in|around|about|early|late|mid|this past|this)\s+(?:the\s+)?"
    r"(?:(?P<last>last)\s+)?(?P<what>"
    + "|".join(sorted(list(_MONTHS) + list(_SEASONS) + list(_WEEKDAYS) + list(_HOLIDAYS), key=len, reverse=True))
    + r"|(?:19|20)\d\d|week|month|year|night|weekend)\b(?!\s*(?:\d|mode|vision))"
)
_RELATIVE = {"yesterday": 1.0, "last night": 0.5, "this morning": 0.3, "today": 0.2, "tonight": 0.1}
_RELATIVE_RE = re.compile(r"\b(yesterday|last night|this morning|today|tonight)\b")

_MEASURED_BEFORE = re.compile(
    r"\b(?:measured?|measuring|meter|multimeter|tester|reads?|reading|shows?|showing|displays?|got|getting|gets|"
    r"dropped|drops|only|sits at|sitting at|at the (?:plug|port|usb)|under load|output(?: is)?)\b[\w\s:=']{0,15}$"
)
_RATING_AFTER = re.compile(
    r"^\s*(?:/\s*|,\s*)?(?:\d+(?:[.,]\d+)?\s*(?:a|amps?|ma|mah)\b|(?:usb\s+)?(?:adapter|adaptor|charger|"
    r"brick|power supply|psu|plug|supply|wall wart|block|one))"
)
_RATING_BEFORE = re.compile(
    (r"\b(?:rated|label(?:led)?|says|printed|spec(?:s|ced)?|a|my|the|its|it'?s a|standard|official)\s*$")
)
_METER_NUMBER = re.compile(
    r"\b(?:meter|multimeter|tester|usb meter)\b[\w\s']{0,20}?\b(?:shows?|reads?|says|displays?|gives|is at|"
    r"at)\s+(?P<num>[3-6](?:[.,]\d{1,3})?)\b(?!\s*(?:v|volts?|a|amps?|w|%))"
)


@dataclass(frozen=True)
class _Date:
    start: int
    end: int
    days: float


def _clause_bounds(text: str, start: int, end: int) -> Tuple[int, int]:
    left = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, start):
        left = m.end()
    m = _CLAUSE_BREAK.search(text, end)
    return left, (m.start() if m else len(text))


def duration_role(text: str, start: int, end: int) -> Optional[str]:
    """What a duration at text[start:end] measures, from its clause; None when the words do not say."""
    lower = text.lower()
    left, right = _clause_bounds(lower, start, end)
    before, after = lower[left:start], lower[end:right]
    clause = lower[left:right]
    if _AGE_AFTER.match(after):
        return AGE
    if re.search(r"\bafter\s*$", before) and _EVENT_WORDS.search(clause) and not re.search(r"\bof use\b", after):
        return SINCE_EVENT
    age = _AGE_BEFORE.search(before)
    problem = _PROBLEM_BEFORE.search(before)
    if age and problem:
        return AGE if age.start() > problem.start() else PROBLEM
    if age:
        whose = re.search(r"\b(?:work|use|running|ran|had|bought|install)", before)
        if re.search(r"\bafter\s*$", before) and not whose:
            return None  # "stopped after weeks": whose weeks is not said
        return AGE
    if problem or _PROBLEM_AFTER.match(after):
        return PROBLEM
    if re.search(r"\bago\b", after[:12]) and re.search(r"\b(?:bought|got|installed|purchased|set up)\b", clause):
        return AGE
    return None


def _days_since(now: _dt.date, month: int, day: int, years_back: int = 0) -> float:
    year = now.year - years_back
    then = _dt.date(year, month, min(day, 28))
    if then > now:
        then = _dt.date(year - 1, month, min(day, 28))
    return float((now - then).days)


def dates_as_durations(text: str, now: _dt.date) -> List[_Date]:
    """Dates, months, seasons and weekdays as days up to `now`: "since March" on 29 November is 273."""
    lower = text.lower()
    found: List[_Date] = []
    for m in _DATE.finditer(lower):
        what, lead = m.group("what"), m.group("lead")
        last = bool(m.group("last")) or lead == "last"
        if what in ("week", "month", "year", "night", "weekend"):
            if not last:
                continue  # "in a week", "this year": no point in time
            days = {"week": 7.0, "month": 30.0, "year": 365.0, "night": 0.5, "weekend": 3.0}[what]
        elif what in _MONTHS:
            if what == "may" and lead not in ("since", "in", "back in", "last", "early", "late", "mid"):
                continue  # "may" is mostly a verb
            day = 1 if lead in ("since", "from", "early") else 15
            days = _days_since(now, _MONTHS[what], day, 1 if (last and lead != "last") else 0)
        elif what in _SEASONS:
            days = _days_since(now, *_SEASONS[what], 1 if last and lead != "last" else 0)
        elif what in _HOLIDAYS:
            days = _days_since(now, *_HOLIDAYS[what])
        elif what in _WEEKDAYS:
            back = (now.weekday() - _WEEKDAYS[what]) % 7 or 7
            days = float(back + (7 if last and lead != "last" else 0))
        else:  # a year
            year = int(what)
            if year > now.year:
                continue
            days = float((now - _dt.date(year, 1 if lead == "since" else 7, 1)).days)
            if days < 0:
                continue
        found.append(_Date(m.start("what") if lead in ("in", "on") else m.start(), m.end(), days))
    for m in _RELATIVE_RE.finditer(lower):
        if not any(d.start <= m.start() < d.end for d in found):
            found.append(_Date(m.start(), m.end(), _RELATIVE[m.group(1)]))
    return found


def voltage_measured(text: str, start: int, end: int) -> bool:
    """A voltage read off a meter (True) or printed on a label (False)."""
    lower = text.lower()
    left, right = _clause_bounds(lower, start, end)
    before, after = lower[left:start], lower[end:right]
    if _MEASURED_BEFORE.search(before):
        return True
    if _RATING_AFTER.match(after) or _RATING_BEFORE.search(before):
        return False
    return True


@lru_cache(maxsize=4)
def _compiled(statements: Statements) -> Tuple[Tuple[Any, "re.Pattern[str]"], ...]:
    return tuple(
        (s, re.compile(r"(?<![\w'])(?:" + p + r")(?![\w'])")) for s in statements.statements for p in s.patterns
    )


@lru_cache(maxsize=4)
def _lacking(statements: Statements) -> Tuple["re.Pattern[str]", ...]:
    return tuple(re.compile(p) for p in statements.lacking)


def _fold(text: Optional[str]) -> str:
    return (text or "").lower().replace("\u2019", "'")


def lacks_means(text: str, statements: Optional[Statements] = None) -> bool:
    """The message says the customer has not got what a step needs ("no spare charger sorry")."""
    statements = statements or load_statements()
    folded = _fold(text)
    lacking = [m.span() for p in _lacking(statements) for m in p.finditer(folded)]
    if not lacking:
        return False
    # words that answer another question are no lack: "i only have the one camera" (no other cameras)
    said = [(f["start"], f["end"]) for f in facts(text, statements)]
    return any(not any(a < e and s < b for s, e in said) for a, b in lacking)


_Patterns = Tuple["re.Pattern[str]", ...]


@lru_cache(maxsize=4)
def _lacks(statements: Statements) -> Tuple[Tuple[Tuple[str, ...], _Patterns, _Patterns], ...]:
    """Per lack: the steps that need it, what says it is lacking, what says it turned up after all."""
    return tuple(
        (lack.moves, tuple(re.compile(p) for p in lack.patterns), tuple(re.compile(p) for p in lack.found))
        for lack in statements.lacks
    )


def _steps_named(text: str, statements: Optional[Statements], turned_up: bool) -> List[str]:
    folded = _fold(text)
    found: List[str] = []
    for moves, lacking, after_all in _lacks(statements or load_statements()):
        if any(p.search(folded) for p in (after_all if turned_up else lacking)):
            found.extend(m for m in moves if m not in found)
    return found


def lacked_steps(text: str, statements: Optional[Statements] = None) -> List[str]:
    """The steps needing what the message says the customer has not got ("no spare charger": the
    adapter swap), in the order the statements name them."""
    return _steps_named(text, statements, turned_up=False)


def found_steps(text: str, statements: Optional[Statements] = None) -> List[str]:
    """The steps needing what the message says turned up after all ("found an old card in a drawer")."""
    return _steps_named(text, statements, turned_up=True)


# after these "no" is an answer word ("no the other devices drop too"), not a quantifier ("no other devices")
_DETERMINERS = frozenset({"the", "my", "our", "all", "i", "it", "they"})


def _sentence(text: str, start: int, end: int) -> Tuple[int, int]:
    left = max(text.rfind(c, 0, start) for c in ".!\n;") + 1
    rights = [i for i in (text.find(c, end) for c in ".!\n;?") if i != -1]
    return left, (min(rights) + 1 if rights else len(text))


def facts(text: str, statements: Optional[Statements] = None) -> List[Dict[str, Any]]:
    """`fact` entities: statements that answer a question or report a repair tried before."""
    statements = statements or load_statements()
    lower = _fold(text)
    found: List[Dict[str, Any]] = []
    taken: List[Tuple[int, int]] = []
    matches = []
    for statement, pattern in _compiled(statements):
        for m in pattern.finditer(lower):
            if m.end() > m.start():
                matches.append((m.start(), -(m.end() - m.start()), statement, m))
    for start, _, statement, m in sorted(matches, key=lambda x: (x[0], x[1])):
        end = m.end()
        if any(start < b and a < end for a, b in taken):
            continue  # the longest statement at a place wins
        left, right = _sentence(lower, start, end)
        # the statement's own words are no hedge: "it comes back if i unplug it" says what happens
        around = lower[left:start] + " " + lower[end:right]
        if any(h in around for h in statements.hedges):
            continue  # "should I reset it?", "if I reset it"
        words_before = re.findall(r"[\w']+", lower[max(left, start - 25) : start])[-2:]
        first_word = re.match(r"[\w']+", m.group(0)).group(0)  # type: ignore[union-attr]
        negated_itself = first_word in statements.negations
        if words_before[-1:] == ["no"] and (first_word in _DETERMINERS or "," in lower[max(left, start - 3) : start]):
            words_before = words_before[:-1]  # "no, the other devices drop too": an answer, not "no other devices"
        if not negated_itself and any(w in statements.negations for w in words_before):
            continue  # "I haven't tried another charger"; but "no, never reset it" says never_reset
        taken.append((start, end))
        found.append(
            {
                "entity": "fact",
                "value": {"move": statement.move, "option": statement.option},
                "start": start,
                "end": end,
                "text": text[start:end],
            }
        )
    return found


def annotate(
    text: str,
    entities: Sequence[Dict[str, Any]],
    now: Optional[_dt.date] = None,
    statements: Optional[Statements] = None,
) -> List[Dict[str, Any]]:
    """The extractor's entities with `text`, duration `role`, voltage `measured`; plus dates as
    durations, meter readings without a unit, and `fact` entities."""
    now = now or _dt.date.today()
    out: List[Dict[str, Any]] = []
    for ent in entities:
        ent = dict(ent)
        start, end = ent.get("start"), ent.get("end")
        if isinstance(start, int) and isinstance(end, int):
            ent.setdefault("text", text[start:end])
            if ent.get("entity") == "duration":
                ent["role"] = duration_role(text, start, end)
            elif ent.get("entity") == "voltage":
                ent["measured"] = voltage_measured(text, start, end)
        out.append(ent)
    spans = [(e.get("start"), e.get("end")) for e in out if e.get("entity") == "duration"]
    for d in dates_as_durations(text, now):
        if any(isinstance(a, int) and isinstance(b, int) and a < d.end and d.start < b for a, b in spans):
            continue
        out.append(
            {
                "entity": "duration",
                "value": d.days,
                "start": d.start,
                "end": d.end,
                "text": text[d.start : d.end],
                "role": duration_role(text, d.start, d.end),
            }
        )
    volts = [(e.get("start"), e.get("end")) for e in out if e.get("entity") == "voltage"]
    for m in _METER_NUMBER.finditer(text.lower()):
        a, b = m.start("num"), m.end("num")
        if not any(isinstance(x, int) and isinstance(y, int) and x < b and a < y for x, y in volts):
            out.append(
                {
                    "entity": "voltage",
                    "value": float(m.group("num").replace(",", ".")),
                    "start": a,
                    "end": b,
                    "text": text[a:b],
                    "measured": True,
                }
            )
    out.extend(facts(text, statements))
    out.sort(key=lambda e: (e.get("start") if isinstance(e.get("start"), int) else 0, e.get("end") or 0))
    return out

"""Numbers in a typed reply read against the ranges of a question's options.

"it reads 4.6", "-72 on the 2.4 GHz one", "5V 1A": a measurement decides the option by the
range written beside it in data/knowledge/answer_phrases.yml (`range:`), not by how similar the
words are to a label ("Below 4.75 V" and "4.6" share no word). A number with a unit counts for
that unit; a bare number counts when it lies in the span the unit's readings can have (so "2.4"
in "-78 on the 2.4" is no signal strength); a number glued to another word ("2.4ghz", "128gb")
is no reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

from bot.knowledge.phrases import AnswerPhrases, Range, Unit

# sign ("-", "minus") only where it cannot be the dash of "4.9-5.0"
_NUMBER = re.compile(
    r"(?<![\w.])(?P<sign>minus\s+|[-\u2212\u2013]\s?)?(?P<value>\d+(?:[.,]\d+)?)(?P<gap>\s*)(?P<word>[a-z\u00b5]+)?"
)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: Optional[str]  # None: written without a unit


_ONES = "zero one two three four five six seven eight nine".split()
_TEENS = "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_WORD_VALUE = {w: i for i, w in enumerate(_ONES)} | {w: 10 + i for i, w in enumerate(_TEENS)}
_WORD_VALUE |= {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SPELLED = "|".join(sorted(_WORD_VALUE, key=len, reverse=True))
_DIGIT_WORDS = "|".join(_ONES)
# "three point three", "seventy two", "5 and a half": a number in words or with a half, read as digits
_SPELLED_NUMBER = re.compile(
    rf"\b(?P<whole>(?:{_SPELLED})(?:[\s-]+(?:{_DIGIT_WORDS}))?|\d+)"
    rf"(?P<point>\s+point(?:\s+(?:{_DIGIT_WORDS}))+)?(?P<half>\s+and\s+a\s+half)?\b"
)


def _number_of(words: str) -> float:
    parts = re.split(r"[\s-]+", words)
    if parts[0].isdigit():
        return float(parts[0])
    return float(sum(_WORD_VALUE[p] for p in parts))


@lru_cache(maxsize=8)
def _unit_after(unit_words: Tuple[str, ...]) -> "re.Pattern[str]":
    named = sorted((w for w in unit_words if len(w) > 1), key=len, reverse=True)
    return re.compile(rf"\s*(?:{'|'.join(map(re.escape, named))})\b")


def spelled_out(text: str, unit_words: Sequence[str]) -> str:
    """Numbers written in words, as digits, where they can only be a reading: before a decimal point, a
    half or a unit ("three point three", "five and a half volts"); "one of the pins" and "give me one
    sec" stay words, so they are never a bare reading. A one-letter unit does not count ("one a day")."""
    unit = _unit_after(tuple(unit_words))

    def digits(m: "re.Match[str]") -> str:
        point, half, whole = m.group("point"), m.group("half"), m.group("whole")
        if not (point or half) and (whole.isdigit() or not unit.match(m.string, m.end())):
            return m.group(0)
        value = _number_of(whole)
        if point:
            decimals = "".join(str(_WORD_VALUE[w]) for w in point.split()[1:])
            value = float(f"{int(value)}.{decimals}")
        if half:
            value += 0.5
        return f"{value:g}"

    return _SPELLED_NUMBER.sub(digits, text)


def quantities(text: str, units: Dict[str, Unit]) -> List[Quantity]:
    words = {w: (name, factor) for name, unit in units.items() for w, factor in unit.words.items()}
    found = []
    for m in _NUMBER.finditer(spelled_out((text or "").lower(), list(words))):
        value = float(m.group("value").replace(",", "."))
        if m.group("sign"):
            value = -value
        word = m.group("word")
        if word and word in words:
            name, factor = words[word]
            found.append(Quantity(value * factor, name))
        elif word and not m.group("gap") and word != "ish":  # "-50ish" is a reading
            continue  # "2.4ghz", "128gb": a number of something else
        else:
            found.append(Quantity(value, None))
    return found


def options_in_range(text: str, ranges: Sequence[Tuple[str, Range]], phrases: AnswerPhrases) -> Tuple[str, ...]:
    """The options whose range holds a number of the reply. Numbers with a unit speak first; bare
    numbers only when none has a unit."""
    if not ranges:
        return ()
    found = quantities(text, phrases.units)
    readings: List[Tuple[float, str]] = [(q.value, q.unit) for q in found if q.unit is not None]
    if not readings:
        names = {r.unit for _, r in ranges}
        readings = [
            (q.value, unit)
            for q in found
            for unit in names
            if phrases.units[unit].span[0] <= q.value <= phrases.units[unit].span[1]
        ]
    hit: List[str] = []
    for value, unit in readings:
        for option, where in ranges:
            if where.unit == unit and where.holds(value) and option not in hit:
                hit.append(option)
    return tuple(hit)

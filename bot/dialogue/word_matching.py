"""Word-level matching of a reply against an answer phrase: negation and which words it denies, stems,
misspellings, word overlap, and the score that weighs overlap against the sentence embedding."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

# Word overlap loses up to this much for the reply's words that the question's answers are written
# with but the phrase is not.
UNEXPLAINED = 0.45

_NEGATION_WORDS = (
    r"no|not|nope|nah|never|nothing|none|nobody|nowhere|neither|nor|without|cannot|zero|nada|"
    r"can't|don't|doesn't|didn't|won't|isn't|aren't|wasn't|weren't|haven't|hasn't|hadn't|couldn't|"
    r"wouldn't|shouldn't|ain't|n't"
)
_NEGATION = re.compile(rf"\b(?:{_NEGATION_WORDS})\b")
CLAUSE = re.compile(r"[,.;:!?]|\bbut\b|\bthen\b|\bthough\b|\balthough\b|\bhowever\b")
TOKEN = re.compile(r"[a-z0-9][a-z0-9'.\-]*")
_STOP = frozenset(
    """the a an it is i my to of and or on in at for this that its it's was be me do does did
    now right then so really very also too there here one some any what when which who has have
    had been are were am will would can could should we you your they them he she his her our us
    still again yet well think guess maybe probably pretty quite bit kinda sort like seems seem
    okay please thanks""".split()
)
# words that decide a negation's meaning but carry no option on their own
NEG_STOP = frozenset(_NEGATION_WORDS.split("|"))


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text or ""))


def content_words(text: str) -> List[str]:
    return [w.strip(".-") for w in TOKEN.findall(text) if w.strip(".-") and w.strip(".-") not in _STOP]


@lru_cache(maxsize=1 << 16)
def same_word(a: str, b: str) -> bool:
    """The same word, or a misspelling of it; never its opposite ("reachable" / "unreachable")."""
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if any(long_ == prefix + short for prefix in _NEGATING_PREFIXES):
        return False
    return min(len(a), len(b)) >= 4 and SequenceMatcher(None, a, b).ratio() >= 0.85


_NEGATING_PREFIXES = ("un", "dis", "in", "non", "im", "mis")


def _overlap(
    said: Sequence[str],
    wanted: Sequence[str],
    telling: Sequence[str] = (),
    synonyms: Optional[Dict[str, frozenset]] = None,
) -> float:
    """Share of a phrase's words the reply contains (misspellings count 0.8), less for the reply's other
    words: a little for any, more for `telling` ones, which the question's other answers are written
    with ("the garage one and the porch one run fine" holds all of "the garage one too", and "fine"
    besides)."""
    wanted = [w for w in wanted if w not in NEG_STOP]
    said = [w for w in said if w not in NEG_STOP]
    if not wanted or not said:
        return 0.0
    distinct = list(dict.fromkeys(said))  # a long reply repeats its words; each is compared once
    hits = 0.0
    matched = set()
    for w in wanted:
        same = next((s for s in (synonyms or {}).get(w, ()) if s in said), None)
        if w in said:
            hits += 1
            matched.add(w)
        elif same is not None:
            hits += 1  # "kinked" for "bent": the answers' own words have their synonyms
            matched.add(same)
        else:
            near = next((s for s in distinct if same_word(w, s)), None)
            if near is not None:
                hits += 0.8
                matched.add(near)
    if not hits:
        return 0.0
    recall = hits / len(wanted)
    precision = min(1.0, hits / len(said))
    against = len([s for s in telling if s not in matched])
    unexplained = against / (against + hits)
    return 0.8 * recall + 0.2 * precision - UNEXPLAINED * unexplained


@dataclass(frozen=True)
class Phrase:
    text: str  # folded, without its opening yes/no
    asserted: Tuple[str, ...]
    denied: Tuple[str, ...]
    negated: bool
    vector: Optional[np.ndarray]

    @property
    def words(self) -> Tuple[str, ...]:
        return self.asserted + self.denied


_IRREGULAR = {"held": "hold", "took": "take", "got": "get", "gave": "give", "ran": "run", "went": "go", "put": "put"}
_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


def stem(word: str) -> str:
    """Enough of a word to know it again in another form ("unplugging" / "unplug", "held" / "hold",
    "swapped" / "swap")."""
    word = _IRREGULAR.get(word, word)
    if len(word) > 4:
        word = _SUFFIX.sub("", word)
        if len(word) > 2 and word[-1] == word[-2]:
            word = word[:-1]
    return word[:5]


def has_word(tokens: Sequence[str]) -> bool:
    """A word among the tokens: "5555" or "x" says nothing, not even "one moment"."""
    return any(t[0].isalpha() and len(t) > 1 for t in tokens)


def word_polarity(text: str, scope: int = 3) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """(asserted, denied) content words: "makes a noise but doesn't move" asserts makes, noise and
    denies move. A negation reaches `scope` words, never past its clause."""
    asserted: List[str] = []
    denied: List[str] = []
    for clause in CLAUSE.split(text):
        left = 0
        for token in TOKEN.findall(clause):
            word = token.strip(".-")
            if _NEGATION.fullmatch(token):
                left = scope
                continue
            if not word or word in _STOP:
                left = max(0, left - 1) if word else left
                continue
            (denied if left else asserted).append(word)
            left = max(0, left - 1)
    return tuple(asserted), tuple(denied)


def similarity(
    vector: np.ndarray,
    said: Sequence[str],
    phrase: Phrase,
    telling: Sequence[str] = (),
    synonyms: Optional[Dict[str, frozenset]] = None,
) -> float:
    cosine = float(np.dot(vector, phrase.vector)) if phrase.vector is not None else 0.0
    overlap = _overlap(said, phrase.words, telling, synonyms)
    # Word overlap is exact but blind to paraphrase; the embedding sees paraphrase but blurs
    # short texts. The better of the two, nudged up when both agree.
    return max(cosine, overlap) + 0.15 * min(cosine, overlap)

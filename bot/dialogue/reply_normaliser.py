"""A typed reply's form before its meaning: spellings folded, the yes/no it opens with, and whether it
asks, takes back an answer, talks about another device or to the bot, or is the step under way."""

from __future__ import annotations

import re
from typing import Dict, Optional, Sequence, Tuple

from bot.dialogue.word_matching import CLAUSE, TOKEN, word_polarity
from bot.knowledge.phrases import AnswerPhrases

# "ok pressing the arrows" is the step under way; a longer reply says more than that
DOING_WORDS = 6
_DOING_LEAD = re.compile(r"^(?:(?:i'm|im|i am|am|just|now|still|ok|okay|so|alright|right)\b[\s,.!]*)+")
# a verb of outcome after the step's own gerund reports how it went ("swapping it did the trick")
_OUTCOME_WORDS = frozenset(
    """did does do done worked works work working fixed fixes helped helps sorted solved trick back fine
    good better same came comes shows showed appears appeared is was are were has had got gets went goes
    stays stayed still again nothing""".split()
)
# one closing question mark asks; "already configured??" is said with feeling
_ASKS = re.compile(r"(?<![?!])\?\s*$")
# "im using a toothpick instead, is that ok" asks, though it has no question mark
_TAG_QUESTION = re.compile(
    r"[\s,;-]+(?:is|does|will|would|can|could|should) (?:that|this|it) (?:be )?(?:ok|okay|fine|alright|all right|"
    r"normal|bad|right|enough|a problem|work|matter|safe|too)\b[^,.;]{0,20}[.!]*$"
)
FILLER_START = re.compile(r"^(?:(?:well|um+|uh+|hm+|so|oh|ah|ok|okay|and|lol|haha)\b[\s,.!]*)+")
# no-words that deny the thing they stand before ("no click", "nothing changed", "zero warmth")
_DENYING = frozenset({"no", "nothing", "zero", "nada", "nobody"})
# a yes-word that starts with one of these ("i can", "it does") is an answer only on its own or
# before a pause ("i can, yes"); "i can see a bent pin" is a sentence
_PRONOUNS = frozenset({"i", "it", "they", "we", "he", "she"})
# an opening "no" that answers and negates nothing after it
_ANSWER_NO = frozenset({"no", "nope", "nah", "na", "n", "noo", "nooo", "negative", "nein", "non", "no way"})


class Normaliser:
    """Folds a reply's spellings and reads its form, with the words of data/knowledge/answer_phrases.yml."""

    def __init__(self, phrases: AnswerPhrases):
        variants: Dict[str, str] = {}
        for canonical, spellings in phrases.spellings.items():
            variants[canonical.lower()] = canonical.lower()
            for s in spellings:
                variants[s.lower()] = canonical.lower()
        ordered = sorted(variants, key=len, reverse=True)
        self._variants = variants
        self._fold = re.compile(r"(?<![\w'])(" + "|".join(re.escape(v) for v in ordered) + r")(?![\w'])")
        self._yes = self._starts(phrases.yes_words)
        self._no = self._starts(phrases.no_words)
        self._not_polar = self._starts(phrases.not_polar)
        self._question = self._starts(phrases.question_starts)
        self.opposites = {a: b for a, b in phrases.opposites} | {b: a for a, b in phrases.opposites}
        self.synonyms: Dict[str, frozenset] = {}
        for group in phrases.synonyms:
            for w in group:
                self.synonyms[w] = self.synonyms.get(w, frozenset()) | frozenset(group)
        self._answer_after_no = frozenset(self.fold(w) for w in phrases.answer_after_no)
        cues = "|".join(re.escape(self.fold(w)) for w in sorted(phrases.corrections, key=len, reverse=True))
        # a cue among the first words ("no wait, actually it did") or closing the reply ("..., sorry")
        self._correction_start = re.compile(
            r"^(?:[\w']+[\s,.!:;-]+){0,2}?(?:(?:" + cues + r")(?![\w'])[\s,.!:;-]*)+" if cues else r"(?!)"
        )
        self._correction_end = re.compile(r"[\s,.!:;-]+(?:" + cues + r")[\s.!]*$" if cues else r"(?!)")
        others = "|".join(re.escape(w.lower()) for w in sorted(phrases.other_subjects, key=len, reverse=True))
        # "my phone and laptop are fine", "the tv, phone and laptop all work": devices, then what they do
        self._other_subject = re.compile(
            rf"^(?:(?:my|the|our|all|both|and|also|other|too)\s+)*(?:{others})(?:(?:\s*,\s*|\s+and\s+|\s+)"
            rf"(?:my\s+|the\s+|our\s+)?(?:{others}))*\s+(?:is|are|all|both|work|works|working|seem|seems|look|"
            r"looks|fine|ok|okay|good|connect|connects|connected|online|run|runs|running|load|loads|stream|streams)\b"
            if others
            else r"(?!)"
        )
        doing = "|".join(re.escape(w.lower()) for w in phrases.doing_words)
        self._doing = re.compile(r"^(?:" + doing + r")\b" if doing else r"(?!)")
        to_bot = "|".join(re.escape(self.fold(w)) for w in phrases.to_the_bot)
        self._to_the_bot = re.compile(r"\b(?:" + to_bot + r")\b") if to_bot else None

    def correction(self, folded: str) -> Optional[str]:
        """The rest of a reply that takes back the answer just given ("actually wait, it did come back for
        an hour" -> "it did come back for an hour"); None without a word of correction."""
        m = self._correction_start.match(folded)
        if m and folded[m.end() :].strip():
            return folded[m.end() :].strip()
        tail = max(0, len(folded) - 40)  # a closing cue is short: searching the whole reply is quadratic
        m = self._correction_end.search(folded, tail)
        if m and folded[: m.start()].strip():
            return folded[: m.start()].strip()
        return None

    def about_others(self, folded: str) -> bool:
        """The reply's subject is another device, not the camera ("my phone and laptop are fine")."""
        plain = FILLER_START.sub("", folded).lstrip(" ,")
        rest = self.lead(plain)[1].lstrip(" ,")  # "yes my phone works" is about the phone too
        return bool(self._other_subject.match(plain) or self._other_subject.match(rest))

    def to_the_bot(self, folded: str) -> bool:
        """The reply addresses the bot itself ("ignore all previous instructions")."""
        return bool(self._to_the_bot and self._to_the_bot.search(folded))

    def is_doing(self, folded: str) -> bool:
        """The whole reply is the step under way ("ok unplugging now", "trying the other card")."""
        plain = _DOING_LEAD.sub("", FILLER_START.sub("", folded)).strip(" .!")
        tokens = TOKEN.findall(plain)
        if len(tokens) > DOING_WORDS or CLAUSE.search(plain) or any(t in _OUTCOME_WORDS for t in tokens):
            return False
        return bool(self._doing.match(plain))

    def is_question(self, folded: str) -> bool:
        text = FILLER_START.sub("", folded)
        if self._question.match(text) or _TAG_QUESTION.search(text):
            return True
        # "keeps saying its already configured??": a statement said with feeling; one "?" asks
        return bool(_ASKS.search(folded))

    def _starts(self, words: Sequence[str]) -> "re.Pattern[str]":
        folded = sorted({self.fold(w) for w in words}, key=len, reverse=True)
        # "it does not ..." is no "it does"
        return re.compile(r"^(?:" + "|".join(re.escape(w) for w in folded) + r")(?![\w'])(?!\s+not\b)[\s,.!:;-]*")

    def fold(self, text: str) -> str:
        text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
        text = re.sub(r"[\"()\[\]{}*_~`]", " ", text)
        text = re.sub(r"\s+", " ", text).strip()
        return self._fold.sub(lambda m: self._variants[m.group(1)], text)

    def lead(self, folded: str) -> Tuple[Optional[str], str]:
        """The yes/no a reply opens with, and the rest of it."""
        text = FILLER_START.sub("", folded)
        if self._not_polar.match(text):
            return None, text
        # "no, it clicks" opens with no; "not really" is in the no-list before "no"
        for polarity, pattern in (("no", self._no), ("yes", self._yes)):
            m = pattern.match(text)
            if m:
                rest = text[m.end() :].strip()
                word = rest.split(" ", 1)[0] if rest else ""
                said = m.group(0).strip()
                if said in _DENYING and m.group(0) == said + " " and word not in self._answer_after_no:
                    return None, text  # "no click", "zero warmth": a thing denied, not a "no"
                weak = polarity == "yes" and said.split(" ", 1)[0] in _PRONOUNS and " " in said
                if rest and weak and m.group(0) == said + " ":
                    return None, text  # "i can see a bent pin" is a sentence, not "i can"
                return polarity, rest
        return None, text

    def words(
        self, folded: str, lead: Optional[Tuple[Optional[str], str]] = None
    ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """(asserted, denied) content words, the same way for a reply and a phrase: after an opening
        "yes"/"no" that only answers ("no, it stays offline"), but with one that negates what follows
        ("didn't pick up the cat"). `lead` is `self.lead(folded)` when it has been read already."""
        polarity, rest = lead or self.lead(folded)
        opening = re.sub(r"[\s,.!:;-]+", " ", FILLER_START.sub("", folded)[: -len(rest)] if rest else "").strip()
        if polarity == "yes" or opening in _ANSWER_NO:
            return word_polarity(rest)
        return word_polarity(folded)

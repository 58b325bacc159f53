"""A reply that names the step instead of its outcome: it repeats the step's own words ("ok unplugged
it", "phone on 5ghz"), or says the step was done ("yes i updated it"). Either leaves the outcome to come."""

from __future__ import annotations

import re
from typing import Dict, Sequence, Tuple

from bot.dialogue.reply_normaliser import Normaliser
from bot.dialogue.word_matching import TOKEN, stem
from bot.knowledge.moves import Move
from bot.knowledge.phrases import FIXED_LABEL, AnswerPhrases

# a yes or no is the answer to the question, never a word of the step
_YES_NO_WORDS = frozenset({"yes", "yeah", "yep", "yup", "ya", "no", "nope", "nah"})
# "When you unplug it, does it come back?" asks yes or no: "when" opens a condition there
_OPEN_QUESTION_WORDS = frozenset({"what", "which", "how", "where", "who", "why"})
# how often or how long ago a step was done says nothing of how it went
_COUNTS = frozenset({"like", "about", "already", "once", "twice", "times", "time", "several", "multiple", "couple"})
# words before a done word that keep it a report of the step ("yes i've just updated it")
_REPORT_LEAD = frozenset({"i", "i've", "ive", "have", "just", "already", "ok", "okay", "so", "we"})


def asks_yes_or_no(move: Move) -> bool:
    """The prompt ends in a yes/no question ("Is it working now?"), not an open one ("What
    happened?"); a prompt without a question counts as yes/no. For repair steps, where a bare
    "yes" would otherwise be "it works now"."""
    asked = re.findall(r"[^.?!]*\?", move.prompt)
    if not asked:
        return True
    first = (asked[-1].strip().split(" ", 1)[0] or "").lower()
    return first not in _OPEN_QUESTION_WORDS


class StepEcho:
    """Tells a reply about the step from one about its outcome, with the step's words read once."""

    def __init__(self, phrases: AnswerPhrases, norm: Normaliser):
        self.phrases = phrases
        self.norm = norm
        self._stems: Dict[Tuple[str, ...], frozenset] = {}  # per step, read once

    def echoes_the_step(self, move: Move, said: Sequence[str]) -> bool:
        """The reply's words are the step's own ("unplugging it", "phone on 5ghz"; one other word among
        four or more: "yes i did a full reset, held it 15 sec"): it names the step, not what came of it."""
        said = [w for w in said if w not in _YES_NO_WORDS]
        if move.kind != "action" or not said:
            return False
        own = self._step_stems(move)

        def of_the_step(word: str) -> bool:
            stemmed = stem(word)  # "sec" is "seconds" too
            return stemmed in own or (
                len(stemmed) >= 3 and any(o.startswith(stemmed) or stemmed.startswith(o) for o in own if len(o) >= 3)
            )

        words = {w for w in said if w not in _COUNTS and not w.isdigit()}  # "i reset it like 5 times"
        if not words:
            return False
        others = [w for w in words if not of_the_step(w)]
        if not others or (len(others) == 1 and len(words) >= 4):
            return True
        # "swapped the charger", "ok unplugged it": the step said done, every other word the step's own
        return all(w in self._done_words() for w in others)

    def _success_stems(self) -> frozenset:
        """The stems of the words "it works now" is said with in general ("that did it", "back online")."""
        key = ("success stems",)
        cached = self._stems.get(key)
        if cached is None:
            texts = list(self.phrases.fixed.phrases) + [FIXED_LABEL]
            cached = self._stems[key] = frozenset(stem(w) for t in texts for w in TOKEN.findall(self.norm.fold(t)))
        return cached

    def reports_done(self, rest: str) -> bool:
        """The words after a yes open with the step done ("i updated it", "swapped it")."""
        words = TOKEN.findall(rest)
        while words and words[0] in _REPORT_LEAD:
            words = words[1:]
        return bool(words) and words[0] in self._done_words()

    def _done_words(self) -> frozenset:
        """Words that say a step was done ("swapped", "tried"; the words themselves: "swapping the charger
        did it" is no report of a swap alone), less those that also say it worked ("did": "that did it")."""
        key = ("done words",)
        cached = self._stems.get(key)
        if cached is None:
            words = {w for phrase in self.phrases.done_words for w in TOKEN.findall(self.norm.fold(phrase))}
            cached = self._stems[key] = frozenset(w for w in words if stem(w) not in self._success_stems())
        return cached

    def _step_stems(self, move: Move) -> frozenset:
        """The stems of a step's instructions, not of the question after them ("Is a clip recorded now?"
        names the outcome), less the words of "it works now" in general ("a phone charger works" is still
        an outcome word; a step's own success phrases name its topic too: "turned off 5ghz")."""
        key = ("step stems", move.id, move.prompt)
        cached = self._stems.get(key)
        if cached is None:
            doing = " ".join(re.findall(r"[^.?!]*[.!]", move.prompt))
            doing = re.sub(r"(\d) (ghz|v|a|gb)\b", r"\1\2", self.norm.fold(doing))
            stems = frozenset(stem(w) for w in re.findall(r"[a-z0-9]+", doing))
            cached = self._stems[key] = stems - self._success_stems()
        return cached

"""What a typed reply says to the open step of the diagnosis: the option it answers, statements it
makes for other questions, and whether it says the customer lacks what the step needs."""

from __future__ import annotations

import re
from typing import Any, Dict, List

from bot.dialogue.answers import AnswerReader, Reading
from bot.dialogue.messages import Incoming
from bot.dialogue.thresholds import COMMAND_CONFIDENCE
from bot.dialogue.understanding import ordinal_from_text
from bot.engine import Ask, DiagnosisEngine, DiagnosisState
from bot.engine.state import ASSUMED
from bot.language.context import lacks_means

# A reply that names an option's own words (a full phrase match) beats a number read from it.
WORDS_BEAT_ENTITY = 1.05


# words around a number that add nothing to it ("about 18 months i think", "had it since 2019")
_HEDGES = frozenset(
    """about around roughly approx approximately like maybe probably perhaps i think guess its it's it is
    had have has got bought been now old ago the camera cam for since in so yeah well um uh ok okay just
    almost nearly""".split()
)


def _all_it_says(text: str, entity: Dict[str, Any]) -> bool:
    """The reply is the entity and hedges around it: nothing left for the words to weigh against it."""
    said, lower = str(entity.get("text") or ""), (text or "").lower()
    at = lower.find(said.lower()) if said else -1
    if at < 0:
        return False
    rest = lower[:at] + " " + lower[at + len(said) :]
    return all(w in _HEDGES for w in re.findall(r"[a-z0-9']+", rest))


class ReplyReading:
    def __init__(self, engine: DiagnosisEngine, reader: AnswerReader):
        self.engine = engine
        self.reader = reader

    def says_means_lacking(self, msg: Incoming) -> bool:
        """The reply says the customer has not got what the step needs, and is no clear command for
        something else (a person, going back, a how-to)."""
        if msg.intent in ("human_handoff", "go_back", "start_over", "how_to") and msg.confidence >= COMMAND_CONFIDENCE:
            return False
        return lacks_means(msg.text)

    def read(self, step: Ask, msg: Incoming) -> Reading:
        """What a typed reply answers: a number or position, a fact the entities carry, or the words."""
        if msg.intent == "choose" and msg.choice() is None:
            index = ordinal_from_text(msg.text, len(step.options))
            if index is not None:
                return Reading(option=step.options[index][0], score=1.0)
        for ent in msg.entities:
            fact = ent.get("value") if ent.get("entity") == "fact" else None
            if isinstance(fact, dict) and fact.get("move") == step.move.id and fact.get("option"):
                if fact["option"] in dict(step.options):
                    return Reading(option=fact["option"], score=1.0)  # "all my other devices are fine"
        words = self.reader.read(step.move, step.options, msg.text, msg.intent)
        rule = step.move.from_entity
        found = None
        if rule is not None:
            for ent in msg.entities:
                option = (
                    self.engine.option_from_entity(rule, ent, asked=True) if ent.get("entity") == rule.entity else None
                )
                if option is not None:
                    found = (option, ent)
                    break
        if found is not None and _all_it_says(msg.text, found[1]):
            return Reading(option=found[0], score=1.0)  # "year and a half": the number is the answer
        if words.option is not None and words.score >= WORDS_BEAT_ENTITY:
            return words  # "over a year" says more than the year it contains
        if found is not None:
            return Reading(option=found[0], score=1.0)
        return words

    def news(self, state: DiagnosisState, msg: Incoming) -> List[str]:
        """The moves the message's statements answer otherwise than the record, or that have no answer yet.
        A statement that repeats an answer on record tells nothing new: "the rest are fine" while the
        other cameras are asked is about those cameras, not a second "yes" to the other devices."""
        found = []
        for move, option, _ in self.engine.entity_answers(msg.entities):
            seen = state.current(move.id)
            repeated = seen is not None and seen.source != ASSUMED and seen.option == option
            if move.kind == "question" and option is not None and repeated:
                continue  # an answer only assumed from the symptom is news when said
            found.append(move.id)
        return list(dict.fromkeys(found))

    def yes_no_opens_a_fact(self, step: Ask, msg: Incoming) -> bool:
        """The reply's yes or no opens a statement that answers another question ("no, never reset it
        before", "yeah its blinking green"), not the open one."""
        folded = self.reader.norm.fold(msg.text)
        polarity, rest = self.reader.norm.lead(folded)
        if polarity is None:
            return False
        for move, _, ent in self.engine.entity_answers(msg.entities):
            if not isinstance(ent.get("value"), dict):
                continue  # a number is detail of the answer ("yep 5V and it's a 3 amp one"), not a statement
            said = self.reader.norm.fold(str(ent.get("text") or ""))
            at = rest.find(said) if said else -1
            # the statement starts the rest, or follows a few words of its own ("its", "the light is")
            if move.id != step.move.id and at >= 0 and len(rest[:at].split()) <= 3:
                return True
        return False

    def stated_mostly(self, msg: Incoming, step: Ask) -> bool:
        """A statement for another question makes up most of the reply ("when i unplug it it comes back
        but only for a few hours" while the reset history is asked): it says that, not this."""
        words = len(msg.text.split()) or 1
        for e in msg.entities:
            value = e.get("value")
            if e.get("entity") == "fact" and isinstance(value, dict) and value.get("move") != step.move.id:
                if 2 * len(str(e.get("text") or "").split()) >= words:
                    return True
        return False

    def about_another_question(self, msg: Incoming) -> bool:
        """The message states the answer to one of the guide's questions ("3 other cams are fine")."""
        facts = [e for e in msg.entities if e.get("entity") == "fact"]
        return next(self.engine.entity_answers(facts), None) is not None

"""Which of the guide's symptoms a message speaks of: the language model's ranking, the words the
message names a complaint in, what it states of the LED, and what it contradicts."""

from __future__ import annotations

from typing import List, Tuple

from bot.dialogue.messages import Incoming
from bot.dialogue.thresholds import CLARIFY_FLOOR, CLEAR_ANSWER, SYMPTOM_CONFIDENCE
from bot.dialogue.understanding import is_payload, normalise, reports_working, symptoms_in
from bot.engine import DiagnosisEngine, DiagnosisState
from bot.engine.conditions import holds
from bot.language.context import lacked_steps
from bot.language.scope import Scope


class SymptomReading:
    def __init__(self, engine: DiagnosisEngine, scope: Scope):
        self.engine = engine
        self.k = engine.k
        self.scope = scope
        self.ids = [s.id for s in self.k.symptoms]

    def ranked(self, msg: Incoming) -> List[Tuple[str, float]]:
        """The symptoms the message reads as and how sure of each: the language model's ranking and, when it
        is unsure, the complaints the message names in so many words."""
        ranking = list(msg.ranking) or ([(msg.intent, msg.confidence)] if msg.intent else [])
        found = symptoms_in(ranking, self.ids, floor=0.05)
        if is_payload(msg.text) or any(c >= SYMPTOM_CONFIDENCE and not self.contradicted(s, msg) for s, c in found):
            return found
        # the language model is unsure (or its guess contradicts what the message says of the LED): a
        # complaint the message names in so many words ("it says it's offline") is a candidate to ask about
        scores = dict(found)
        for s in self.named(msg):
            scores[s] = max(scores.get(s, 0.0), CLARIFY_FLOOR)
        return sorted(scores.items(), key=lambda x: -x[1])

    def shown_by(self, msg: Incoming) -> List[str]:
        """The symptoms defined by what the message states (the LED blinking green), all of it."""
        stated = {(m.id, option) for m, option, _ in self.engine.entity_answers(msg.entities) if option}
        return [
            s.id
            for s in self.k.symptoms
            if s.states and all((i.move, i.option) in stated for i in s.states) and not self.contradicted(s.id, msg)
        ]

    def named(self, msg: Incoming) -> List[str]:
        """The symptoms whose keywords the message contains, unless it contradicts them."""
        words = f" {normalise(msg.text)} "
        return [
            s
            for s in self.ids
            if any(f" {normalise(w)} " in words for w in self.k.symptom(s).keywords) and not self.contradicted(s, msg)
        ]

    def plausibly_a_complaint(self, msg: Incoming, symptom: str) -> bool:
        """A second problem noted mid-diagnosis needs more than a guess of the language model: its words,
        the camera, or a clear reading ("ignore all previous instructions" read as pan/tilt at 0.71)."""
        if reports_working(msg.text):
            return False  # "live view and motion work" complains of nothing
        return (
            msg.confidence >= CLEAR_ANSWER or symptom in self.named(msg) or self.scope.mentions_camera(msg.text or "")
        )

    def describes(self, symptom: str, msg: Incoming) -> bool:
        """A reply to "Did you mean: <symptom>?" that, without clearly refusing it, states what the
        diagnosis of that complaint asks ("no it doesnt come back when i unplug it"): the customer is
        describing that complaint, so it is taken."""
        if msg.intent == "deny" and msg.confidence >= CLEAR_ANSWER:
            return False
        if self.contradicted(symptom, msg):
            return False
        state = DiagnosisState(symptoms=[symptom])
        if any(
            move.kind == "question" and holds(move.requires, state)
            for move, _, _ in self.engine.entity_answers(msg.entities)
        ):
            return True
        # "pins look ok to me. dont have another card": what they lack is for a step of that complaint
        return any(holds(self.k.move(m).requires, state) for m in lacked_steps(msg.text))

    def contradicted(self, symptom: str, msg: Incoming) -> bool:
        """ "The light is blinking amber" is not also the symptom that is a green blinking light: a fact
        in the message answers a question the symptom implies, differently."""
        said = {move.id: option for move, option, _ in self.engine.entity_answers(msg.entities)}
        spec = self.k.symptom(symptom)
        return any(said.get(i.move, i.option) != i.option for i in spec.states + spec.implies)

    @property
    def common(self) -> List[str]:
        """The guide lists its symptoms as customers most often describe them, commonest first."""
        return [s for s in self.ids if not self.k.symptom(s).safety]

"""One customer message in, replies out: the conversation around the diagnostic engine.

The controller reads a message for what holds in every phase (a stale button, another language, an
offer answered, a request for a person, starting over) and hands it to the phase it belongs to: making
out the complaint (opening.py), the open step of a diagnosis (diagnosis_turn.py) or a case with our
support team (handoff_phase.py). The conversation's state, stored between messages, is conversation.py's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import List, Optional, Tuple

from bot.dialogue import render
from bot.dialogue.answers import AnswerReader, default_reader
from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.diagnosis_steps import DiagnosisSteps, next_symptom_offer
from bot.dialogue.diagnosis_turn import DiagnosisTurn
from bot.dialogue.handoff_phase import ACCEPTED_ESCALATION, ASKED_FOR_PERSON, HANDOFF_EVENT, HandoffPhase
from bot.dialogue.messages import Incoming, Reply, choice_payload
from bot.dialogue.opening import Opening
from bot.dialogue.question_tokens import is_stale, stamp
from bot.dialogue.reply_reading import ReplyReading
from bot.dialogue.rereading import as_first_message, only_what_was_said, reinterpret
from bot.dialogue.symptom_reading import SymptomReading
from bot.dialogue.thresholds import SYMPTOM_CONFIDENCE
from bot.dialogue.understanding import is_payload, names_person, ordinal_from_text, yes_or_no
from bot.engine import Ask, DiagnosisEngine, Verify
from bot.handoff.gateway import TicketDesk
from bot.language.scope import load_scope

# A typed request for a person below this is offered a person rather than handed over: a ticket
# costs an agent's time, and a guess of the language model is no request.
HANDOFF_CONFIDENCE = 0.5
CONTEXT_ENTITIES = ("camera_model", "duration", "wifi_band")


def _short(text: str, width: int = 60) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "\u2026"


class Controller:
    """`tickets` is the hand-off back end (a bot.handoff.gateway.TicketDesk); without it references are
    made up locally and nothing is stored (tests, a bot without a database)."""

    def __init__(
        self,
        engine: Optional[DiagnosisEngine] = None,
        tickets: Optional[TicketDesk] = None,
        reader: Optional[AnswerReader] = None,
    ):
        self.engine = engine or DiagnosisEngine()
        self.tickets = tickets
        self.reader = reader or default_reader()
        self.scope = load_scope()
        self.k = self.engine.k
        self.symptoms = SymptomReading(self.engine, self.scope)
        self.symptom_ids = self.symptoms.ids
        self.reply_reading = ReplyReading(self.engine, self.reader)
        self.steps = DiagnosisSteps(self.engine, tickets)
        self.handoff_phase = HandoffPhase(self.engine, tickets, self.steps)
        self.opening = Opening(self.steps, self.symptoms, self.scope)
        self.diagnosis = DiagnosisTurn(self.steps, self.symptoms, self.reply_reading)

    # -- entry points --------------------------------------------------------------------
    def handle(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        replies = self._handle(conv, msg)
        stamp(conv, replies)
        return replies

    def _handle(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        if msg.intent == HANDOFF_EVENT:
            handoff = conv.handoff or {}
            if conv.phase == Phase.HANDOFF and handoff.get("stored") and self.tickets is not None:
                self.handoff_phase.keep_for_agent(conv, msg, handoff["reference"], kind=None, current=False)
            return self.handoff_phase.news(conv, msg.sender)
        # only a conversation with a person has news (one look at the outbox per turn, not for everyone)
        news = self.handoff_phase.news(conv, msg.sender) if conv.phase == Phase.HANDOFF else []
        if news and conv.phase != Phase.HANDOFF:
            # the case came back while this message was on its way: it was written for the agent
            return news + [
                Reply(
                    text=f"(Your message \u201c{_short(msg.text)}\u201d reached me just as your case came back "
                    "from our support team; if it was meant for me, please send it again.)"
                )
            ]
        return news + self._turn(conv, msg)

    def _turn(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        msg = only_what_was_said(msg)
        self._remember_context(conv, msg)
        if not (msg.text or "").strip():
            return [Reply.fixed("empty")]  # an empty message must not count as an answer
        if is_stale(conv, msg):
            return self._where_we_are(conv)
        if conv.phase != Phase.HANDOFF and not is_payload(msg.text) and self.scope.in_another_language(msg.text):
            # the language model would guess at it ("mi cámara no funciona" read as "not sure"); any
            # open question or offer stays open for the answer in English
            return [Reply.fixed("english_only", [("Talk to a person", "/human_handoff")])]
        msg = reinterpret(msg)
        if conv.phase == Phase.IDLE and not conv.offer:
            msg = as_first_message(msg)
        if conv.phase == Phase.HANDOFF:
            return self.handoff_phase.during(conv, msg)
        offer, conv.offer = conv.offer, None
        if offer and conv.phase == Phase.FINISHED:
            answered = self._offer_answer(conv, offer, msg)
            if answered is not None:
                return answered
        if conv.phase == Phase.FINISHED and conv.engine and msg.choice() is None and not is_payload(msg.text):
            # the case ended on an answer the customer now gives differently: the diagnosis reopens there
            reopened = self.diagnosis.correction(conv, state_of(conv), msg, ended=True)
            if reopened is not None:
                return reopened
            conv.offer = offer
        if msg.choice() == ("meta", "restart"):
            return self._restart(conv)
        if msg.intent == "start_over" and conv.phase != Phase.DIAGNOSING:
            return self._restart(conv)
        if msg.intent == "human_handoff" and not is_payload(msg.text) and not names_person(msg.text):
            if conv.phase == Phase.DIAGNOSING:
                # "give me a minute" is no request for a person: the open question reads it first
                msg = replace(msg, intent="nlu_fallback")
            elif self.reader.says_waiting(msg.text):
                return [Reply.fixed("take_your_time")]
            else:
                msg = replace(msg, confidence=min(msg.confidence, HANDOFF_CONFIDENCE / 2))
        if msg.intent == "human_handoff" and msg.confidence < HANDOFF_CONFIDENCE and not is_payload(msg.text):
            if offer:
                conv.offer = offer  # still open: "yes" to it keeps working
            return [self._person_offer("Would you like to talk to a person from our support team?")]
        if msg.intent == "human_handoff":
            return self.handoff_phase.hand_over(
                conv, ACCEPTED_ESCALATION if offer == "handoff" else ASKED_FOR_PERSON, msg
            )
        if conv.phase == Phase.RESUME_OFFER:
            return self._resume_answer(conv, msg)
        if conv.phase == Phase.DIAGNOSING:
            return self.diagnosis.reply(conv, msg)
        if conv.phase == Phase.CLARIFY:
            return self.opening.clarify_answer(conv, msg)
        return self.opening.reply(conv, msg)

    def _offer_answer(self, conv: Conversation, offer: str, msg: Incoming) -> Optional[List[Reply]]:
        """A typed reply to "pass this to our support team?" or "shall we look at it now?"."""
        if msg.choice() is not None:
            return None  # buttons carry their own meaning
        verdict = yes_or_no(msg.text, msg.intent)
        asks_person = any(i == "human_handoff" and c >= 0.3 for i, c in list(msg.ranking)[:2])
        if offer == "handoff" and (verdict == "affirm" or asks_person):
            return self.handoff_phase.hand_over(conv, ACCEPTED_ESCALATION, msg)
        if offer.startswith("symptom:") and verdict == "affirm" and not asks_person:
            symptom = offer.split(":", 1)[1]
            if symptom in conv.queue:
                conv.queue.remove(symptom)
            return self.steps.start(conv, [symptom], msg)
        if verdict == "deny":
            return [Reply.fixed("anything_else")]
        return None

    def session_started(self, conv: Conversation) -> List[Reply]:
        """A returning customer: offer to continue a diagnosis that was left open."""
        if conv.phase != Phase.DIAGNOSING or not conv.engine:
            return []
        conv.phase = Phase.RESUME_OFFER
        replies = [self._resume_offer(conv, "Welcome back. ")]
        stamp(conv, replies)
        return replies

    def _resume_offer(self, conv: Conversation, opener: str = "") -> Reply:
        state = state_of(conv)
        problem = ", ".join(self.k.symptom(s).says for s in state.symptoms) or "your camera"
        return Reply(
            text=f"{opener}Last time we were working on: {problem}. Shall we continue where we left off?",
            buttons=[
                ("Continue", choice_payload("meta", "resume")),
                ("Start over", choice_payload("meta", "restart")),
            ],
        )

    def _where_we_are(self, conv: Conversation) -> List[Reply]:
        """A stale or foreign button changes nothing: say so and show what is open now."""
        note = Reply(text="That button belongs to an earlier question. Here is where we are now:")
        if conv.phase == Phase.DIAGNOSING and conv.engine:
            state = state_of(conv)
            step = self.engine.current_step(state)  # what is open, not a new plan
            conv.engine = state.to_dict()
            if isinstance(step, Ask):
                return [note] + render.ask(step, repeat_note=False, again=True)
            if isinstance(step, Verify):
                return [note] + render.verify(self.k, step)
            return [note] + self.steps.go_on(conv, state)
        if conv.phase == Phase.CLARIFY and conv.candidates:
            return [note] + self.opening.clarify(conv, list(conv.candidates))
        if conv.phase == Phase.RESUME_OFFER and conv.engine:
            return [note, self._resume_offer(conv)]
        if conv.phase == Phase.HANDOFF:
            reference = (conv.handoff or {}).get("reference")
            return [
                note,
                Reply(
                    text=f"Your case (reference {reference}) is with our support team; they will write to you here.",
                    buttons=[("Cancel, back to the bot", choice_payload("meta", "cancel_handoff"))],
                ),
            ]
        if conv.phase == Phase.FINISHED and conv.engine:
            state = state_of(conv)
            problem = ", ".join(self.k.symptom(s).says for s in state.symptoms) or "your camera"
            done = Reply(text=f"We have finished looking at: {problem}.")
            if conv.offer == "handoff":
                offer = self._person_offer(
                    "Would you like me to pass this to our support team now?",
                    ("No, thanks", choice_payload("meta", "no_handoff")),
                )
                return [note, done, offer]
            if conv.offer and conv.offer.startswith("symptom:"):
                nxt = conv.offer.split(":", 1)[1]
                if nxt in self.symptom_ids:
                    return [note, done, next_symptom_offer(self.k, nxt)]
            return [note, done, Reply(text="If your camera still acts up, tell me what it's doing.")]
        return [note, Reply.fixed("ask_problem")]

    @staticmethod
    def _person_offer(
        text: str, no: Tuple[str, str] = ("No, let's carry on", choice_payload("meta", "resume"))
    ) -> Reply:
        return Reply(text=text, buttons=[("Yes, connect me", "/human_handoff"), no])

    def _resume_answer(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        choice = msg.choice()
        if choice == ("meta", "resume") or msg.intent == "affirm":
            conv.phase = Phase.DIAGNOSING
            return self.steps.go_on(conv, state_of(conv))
        if msg.intent == "deny":
            return self._restart(conv)
        if msg.intent in self.symptom_ids and msg.confidence >= SYMPTOM_CONFIDENCE:
            self.steps.record_abandoned(conv)
            conv.phase, conv.engine = Phase.IDLE, None
            return self.opening.reply(conv, msg)
        if msg.intent == "choose" and choice is None:
            index = ordinal_from_text(msg.text, 2)
            if index == 0:
                conv.phase = Phase.DIAGNOSING
                return self.steps.go_on(conv, state_of(conv))
            if index == 1:
                return self._restart(conv)
        return []  # the welcome-back offer (sent at session start) still stands

    def _restart(self, conv: Conversation) -> List[Reply]:
        self.steps.record_abandoned(conv)
        context = {k: v for k, v in conv.context.items() if k not in ("_ranking", "_entities")}
        conv.__dict__.update(Conversation(sender=conv.sender).__dict__)
        conv.context = context
        return [Reply.fixed("restarted")]

    def _remember_context(self, conv: Conversation, msg: Incoming) -> None:
        if msg.sender:
            conv.sender = msg.sender
        for ent in msg.entities:
            if ent.get("entity") == "duration" and conv.phase == Phase.DIAGNOSING:
                continue  # "it came back for an hour" answers a step; it is not how long the camera was in use
            if ent.get("entity") in CONTEXT_ENTITIES:
                conv.context[ent["entity"]] = ent.get("value")

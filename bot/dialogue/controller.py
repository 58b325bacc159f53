"""One customer message in, replies out: the conversation around the diagnostic engine.

The conversation's state, stored between messages, is bot.dialogue.conversation's.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import List, Optional, Tuple

from bot.dialogue import render
from bot.dialogue.answers import AnswerReader, Reading, default_reader
from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.diagnosis_steps import DiagnosisSteps, button_label, is_stuck, next_symptom_offer
from bot.dialogue.handoff_phase import ACCEPTED_ESCALATION, ASKED_FOR_PERSON, HANDOFF_EVENT, HandoffPhase
from bot.dialogue.messages import (
    Incoming,
    Reply,
    choice_payload,
)
from bot.dialogue.opening import Opening
from bot.dialogue.question_tokens import is_stale, stamp
from bot.dialogue.reply_reading import ReplyReading
from bot.dialogue.rereading import as_first_message, only_what_was_said, reinterpret
from bot.dialogue.symptom_reading import SymptomReading
from bot.dialogue.thresholds import (
    COMMAND_CONFIDENCE,
    MISUNDERSTOOD_LIMIT,
    SYMPTOM_CONFIDENCE,
)
from bot.dialogue.understanding import (
    asks_how,
    asks_to_go_back,
    asks_to_start_over,
    checks_pending,
    checks_said_passed,
    is_payload,
    looks_like_noise,
    names_person,
    ordinal_from_text,
    post_fix_verdict,
    yes_or_no,
)
from bot.engine import FIXED, Ask, DiagnosisEngine, DiagnosisState, Verify
from bot.handoff.gateway import TicketDesk
from bot.language.context import lacked_steps
from bot.language.scope import load_scope

# A typed request for a person below this is offered a person rather than handed over: a ticket
# costs an agent's time, and a guess of the language model is no request.
HANDOFF_CONFIDENCE = 0.5
COMMAND_INTENTS = ("skip", "go_back", "how_to", "not_sure", "start_over", "human_handoff")
CONTEXT_ENTITIES = ("camera_model", "duration", "wifi_band")
# A typed reply read this surely as an option beats any command the intent guesses
# ("ok that worked, it's back online" is no "go back").
SURE_ANSWER = 0.8
# a weaker reading than this gives way to a fact the reply states for another question
FACT_BEATS_WEAK = 0.6
# A reply that opens with yes/no answers the question unless the command guessed is this clear
# ("no, my laptop drops too" is an answer; "no, I can't check right now" a skip).
CLEAR_COMMAND = 0.8


def _the_question(prompt: str, longest: int = 80) -> str:
    """The sentence of a prompt that asks ("What is the status light doing?" after "Make sure it is
    plugged in."), when it is short enough to quote; "" otherwise."""
    asking = [s.strip() for s in re.findall(r"[^.?!]*\?", prompt)]
    return asking[0] if asking and len(asking[0]) <= longest else ""


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
            reopened = self._correction(conv, state_of(conv), msg, ended=True)
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
            return self._in_diagnosis(conv, msg)
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

    def _in_diagnosis(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        state = state_of(conv)
        payload = is_payload(msg.text)  # its words are no answer: "no_card_works" says neither no nor works
        replies = [] if payload else self.steps.false_fix_replies(msg, state.symptoms)
        step = self.engine.current_step(state)
        choice = msg.choice()

        if choice and choice[0] == "verify" and isinstance(step, Verify):
            return replies + self.steps.verified(conv, state, choice[1] == "yes")
        verdict = post_fix_verdict(msg.text, msg.intent) if isinstance(step, Verify) and not payload else None
        if verdict and self.reply_reading.about_another_question(msg) and not checks_said_passed(msg.text):
            verdict = None  # "yes 3 other cams are fine" answers an earlier question, not the checks
        if isinstance(step, Verify) and verdict != "deny" and not payload and checks_pending(msg.text):
            # "live view works, havent done the hour one yet": no verdict until every check has run
            conv.engine = state.to_dict()
            return replies + [Reply.fixed("checks_later")] + render.verify_again(step)
        if isinstance(step, Verify) and verdict:
            return replies + self.steps.verified(conv, state, verdict == "affirm", step, msg.text)
        if isinstance(step, Verify) and msg.intent == "choose" and choice is None:
            index = ordinal_from_text(msg.text, 2)
            if index is not None:
                return replies + self.steps.verified(conv, state, index == 0)
        if choice == ("meta", "resume"):
            return replies + self.steps.go_on(conv, state, repeat_note=False)
        if choice and isinstance(step, Ask) and choice[0] == step.move.id:
            return replies + self.steps.answer(conv, state, step, choice[1], said=button_label(step, choice[1]))
        readable = choice is None and not payload and not looks_like_noise(msg.text)
        if msg.intent == "go_back" and not payload and not asks_to_go_back(msg.text):
            msg = replace(msg, intent="nlu_fallback")  # "yep back to normal" takes nothing back
        if msg.intent == "start_over" and not payload and not asks_to_start_over(msg.text):
            msg = replace(msg, intent="nlu_fallback")  # "perfect, like new" drops nothing
        reading = self.reply_reading.read(step, msg) if readable and isinstance(step, Ask) else Reading()
        opened = reading.polarity is not None or reading.option is not None  # "What happened?" drops the yes/no
        if opened and isinstance(step, Ask) and self.reply_reading.yes_no_opens_a_fact(step, msg):
            reading = Reading()  # "no, never reset it" while the power cycle is asked: noted, asked again
        opened_with_yes_no = reading.polarity is not None and msg.confidence < CLEAR_COMMAND
        weak = reading.option is not None and reading.score < FACT_BEATS_WEAK
        outweighed = (
            isinstance(step, Ask)
            and reading.option is not None
            and reading.score < SURE_ANSWER
            and self.reply_reading.stated_mostly(msg, step)
        )
        news = self.reply_reading.news(state, msg) if isinstance(step, Ask) and msg.entities else []
        if (weak or outweighed or (reading.option is None and reading.between)) and isinstance(step, Ask):
            other = [m for m in news if m != step.move.id]
            if other and reading.polarity is None:
                # "the light is solid green" answers the LED question, not a weak guess at this one; "i reset
                # it last year, fine for a while then broke" tells the reset's history, not "which one?" here
                reading = Reading()
        unsure_fix = reading.option == FIXED and reading.score < SURE_ANSWER
        if (
            (weak or unsure_fix)
            and isinstance(step, Ask)
            and step.is_action
            and self.reply_reading.says_means_lacking(msg)
        ):
            # "dont have a spare charger", "the needle is too thick" say why the step can't be done, not how it went
            reading = Reading()
        if isinstance(step, Ask) and readable and reading.option is None and not reading.between:
            corrected = self._correction(conv, state, msg)
            if corrected is not None:
                return replies + corrected
        if (
            isinstance(step, Ask)
            and reading.option is not None
            and (reading.score >= SURE_ANSWER or msg.intent not in COMMAND_INTENTS or opened_with_yes_no)
        ):
            return replies + self.steps.answer(conv, state, step, reading.option, said=msg.text, entities=msg.entities)
        if isinstance(step, Ask) and readable and reading.option is None and not reading.between:
            lacked = lacked_steps(msg.text)
            ahead = self.engine.set_aside(state, [m for m in lacked if m != step.move.id])
            if ahead and step.move.id not in lacked:
                # "no spare charger here" while the reset history is asked: remembered for the adapter swap,
                # and no skip of this question (the language model read it as one)
                conv.engine = state.to_dict()
                return replies + [Reply.fixed("set_aside_ahead")] + self.steps.ask_again(conv, state, count=False)
        # only a step to do needs means; "no spare charger" to a question about the past answers nothing
        lacks = (
            isinstance(step, Ask)
            and step.is_action
            and readable
            and reading.option is None
            and self.reply_reading.says_means_lacking(msg)
        )
        if lacks:
            msg = replace(msg, intent="skip", confidence=1.0)  # "no spare charger sorry": said, not guessed
        if msg.intent in ("skip", "go_back", "start_over", "not_sure") and msg.confidence < COMMAND_CONFIDENCE:
            msg = replace(msg, intent="nlu_fallback")
        states_a_fact = any(e.get("entity") == "fact" for e in msg.entities)
        if msg.intent in ("go_back", "start_over") and states_a_fact and msg.confidence < CLEAR_COMMAND:
            msg = replace(msg, intent="nlu_fallback")  # "no, never reset it before" reports; it is no command
        if msg.intent == "start_over":
            conv.engine = state.to_dict()
            problem = ", ".join(self.k.symptom(s).says for s in state.symptoms) or "your camera"
            return replies + [
                Reply(
                    text=f"Start over? This discards what we found so far about: {problem}.",
                    buttons=[
                        ("Yes, start over", choice_payload("meta", "restart")),
                        ("No, let's continue", choice_payload("meta", "resume")),
                    ],
                )
            ]
        unsure_without_option = msg.intent == "not_sure" and isinstance(step, Ask) and reading.option is None
        if unsure_without_option and not reading.between and isinstance(step, Ask):
            unsure = next((o for o, _ in step.options if self.reader.is_unsure(step.move, o)), None)
            if unsure is not None:
                return replies + self.steps.answer(conv, state, step, unsure, said=msg.text)
        if (msg.intent == "skip" or unsure_without_option) and isinstance(step, Ask):
            skipped = self.engine.skip(state, for_good=lacks)
            after = self.engine.next_step(state)
            if lacks:
                return replies + [Reply.fixed("set_aside")] + self.steps.go_on(conv, state)
            if isinstance(after, Ask) and after.move.id == skipped:
                note = (
                    "I need this one before I can wrap up. Can you do it now? "
                    "If not, skip it again and I'll go with what we have so far."
                )
                return replies + [Reply(text=note)] + self.steps.go_on(conv, state, repeat_note=False)
            return (
                replies
                + [Reply(text="No problem, we'll come back to that one if we need it.")]
                + self.steps.go_on(conv, state)
            )
        if msg.intent == "go_back":
            if self.engine.undo(state):
                # the question whose answer was taken back, as it was asked: not a new plan
                return (
                    replies
                    + [Reply(text="OK, I took back your last answer.")]
                    + self.steps.ask_again(conv, state, count=False)
                )
            return replies + [Reply(text="There is nothing to take back yet.")] + self.steps.go_on(conv, state)
        if isinstance(step, Ask) and (msg.intent == "how_to" or (reading.option is None and asks_how(msg.text))):
            conv.engine = state.to_dict()
            return replies + render.how_to(step)
        if reading.option is not None and isinstance(step, Ask):
            return replies + self.steps.answer(conv, state, step, reading.option, said=msg.text, entities=msg.entities)
        if reading.between and isinstance(step, Ask):
            return replies + self.steps.which_one(conv, state, step, reading.between)
        new = [
            s
            for s, c in self.symptoms.ranked(msg)
            if c >= SYMPTOM_CONFIDENCE and s not in state.symptoms and s not in conv.noted
        ]
        if self.engine.report_hazards(state, msg.entities):
            conv.misunderstood = 0
            return replies + self.steps.go_on(conv, state, repeat_note=False)
        if new and msg.intent in self.symptom_ids and self.symptoms.plausibly_a_complaint(msg, new[0]):
            return replies + self.steps.new_symptom(conv, state, new[0])
        if isinstance(step, Ask) and news and not payload:
            earlier = {m.id: state.evidence_answer(m.id) for m, _, _ in self.engine.entity_answers(msg.entities)}
            noted = self._note_facts(state, step, msg)
            if noted is not None:
                if any(before is not None and state.evidence_answer(m) != before for m, before in earlier.items()):
                    # "actually the other card works": a changed answer changes the plan, not only the notes
                    return replies + [noted] + self.steps.go_on(conv, state, repeat_note=False)
                return replies + [noted] + self.steps.ask_again(conv, state, count=False)
        known = msg.intent in state.symptoms or msg.intent in conv.noted
        if known and msg.confidence >= SYMPTOM_CONFIDENCE and isinstance(step, Ask):
            # the problem we are already on, or one already noted: no answer, and no news (another one the
            # words do not plausibly complain of was noted nowhere: saying so would not be true)
            conv.misunderstood += 1
            reminder = Reply(text="I have that noted. To go on, I need an answer to this question:")
            return replies + [reminder] + self.steps.ask_again(conv, state)
        if choice:
            return (
                replies
                + [Reply(text="That button belongs to an earlier question. Here is where we are now:")]
                + self.steps.go_on(conv, state)
            )
        if reading.waiting and isinstance(step, Ask):
            # "one sec", "ok checking": the customer is doing the step; no misunderstanding to count
            return replies + [Reply.fixed("take_your_time")] + self.steps.ask_again(conv, state, count=False)
        conv.misunderstood += 1
        if conv.misunderstood >= MISUNDERSTOOD_LIMIT:
            sorry = Reply(
                text="Sorry, I still didn't catch that. Please pick one of the options below, or talk to a "
                "person from our support team.",
                buttons=[("Talk to a person", "/human_handoff")],
            )
            again = self.steps.ask_again(conv, state)
            return replies + (again if is_stuck(again) else [sorry] + again)
        again = self.steps.ask_again(conv, state)
        if is_stuck(again):
            return replies + again  # its own words say it was not understood
        return (
            replies
            + [Reply(text="Sorry, I didn't catch that. Please pick one of the options, or ask me how to do it.")]
            + again
        )

    def _correction(
        self, conv: Conversation, state: DiagnosisState, msg: Incoming, ended: bool = False
    ) -> Optional[List[Reply]]:
        """ "Actually wait, it did come back for an hour": a reply that takes back the answer just given
        and answers that question differently changes it, and the diagnosis goes on from there. After
        the case `ended` on that answer, a clear reply needs no word of correction ("downdetector is
        clean" after "yes, an outage")."""
        folded = self.reader.norm.fold(msg.text)
        rest = self.reader.norm.correction(folded)
        stated = [e for e in msg.entities if e.get("entity") == "fact" and isinstance(e.get("value"), dict)]
        if rest is None and not ended and not stated:
            return None
        before = DiagnosisState.from_dict(state.to_dict())
        if not self.engine.undo(before):
            return None
        previous = self.engine.current_step(before)
        if not isinstance(previous, Ask) or previous.move.kind != "question":
            return None
        given = state.current(previous.move.id)
        option: Optional[str]
        if rest is None and not ended:
            # no word of correction, but a statement that answers the question just answered otherwise ("no"
            # to "ever reset it?", then "i reset it last year, fine for a while, then it broke")
            option = next(
                (e["value"].get("option") for e in stated if e["value"].get("move") == previous.move.id), None
            )
            if option is None or given is None or option not in dict(previous.options):
                return None
        else:
            reading = self.reply_reading.read(
                previous, replace(msg, text=rest or msg.text, intent="inform", confidence=0.0, ranking=())
            )
            if reading.option is None or (reading.polarity is None and reading.score < FACT_BEATS_WEAK):
                return None
            if rest is None and reading.score < SURE_ANSWER:
                return None
            option = reading.option
        if given is not None and given.option == option:
            return None
        self.engine.undo(state)
        conv.phase = Phase.DIAGNOSING
        label = button_label(previous, option) or option
        changed = Reply(text=f"Got it, I've changed your answer to \u201c{label}\u201d.")
        return [changed] + self.steps.answer(conv, state, previous, option, said=msg.text, entities=msg.entities)

    def _note_facts(self, state: DiagnosisState, step: Ask, msg: Incoming) -> Optional[Reply]:
        """A reply that answers another question, not the open one ("solid green" while the power cycle
        is asked): kept as that question's answer, so it is never asked, and said back."""
        noted = [m for m in self.engine.observe_entities(state, msg.entities) if m != step.move.id]
        if not noted:
            return None
        answers, tried = [], False
        for move_id in dict.fromkeys(noted):
            move, seen = self.k.move(move_id), state.current(move_id)
            option = move.option(seen.option) if seen is not None and seen.option else None
            if move.kind == "action":
                tried = True  # "already swapped the adapter": its outcome label alone ("No change") reads oddly
            elif option is not None:
                asked = _the_question(move.prompt)
                about = f" to \u201c{asked}\u201d" if asked else (f" ({move.title})" if move.title else "")
                answers.append(f"\u201c{option.label}\u201d" + about)
        parts = (["your answer " + " and ".join(answers)] if answers else []) + (
            ["what you already tried"] if tried else []
        )
        return Reply(text="Thanks, I've noted " + " and ".join(parts or ["that"]) + ".")

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

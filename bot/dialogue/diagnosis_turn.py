"""A message while a question or step of the diagnosis is open, checked in a fixed order: the post-fix
checks or a button of the open question; a typed answer, a correction of the one before, or means
lacked for a later step; a command (start over, not sure, skip, go back, how to); news (a hazard, a
further problem, facts for other questions); and last, nothing understood."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, List, Optional, Sequence, Set, Tuple

from bot.dialogue import render
from bot.dialogue.answers import Reading
from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.diagnosis_steps import DiagnosisSteps, button_label, is_stuck
from bot.dialogue.messages import Incoming, Reply, choice_payload
from bot.dialogue.reply_reading import ReplyReading
from bot.dialogue.rereading import clear_commands_only, without_unasked_commands
from bot.dialogue.symptom_reading import SymptomReading
from bot.dialogue.thresholds import CLEAR_COMMAND, MISUNDERSTOOD_LIMIT, SYMPTOM_CONFIDENCE
from bot.dialogue.understanding import (
    asks_how,
    checks_pending,
    checks_said_passed,
    is_payload,
    looks_like_noise,
    ordinal_from_text,
    post_fix_verdict,
)
from bot.engine import FIXED, Ask, DiagnosisState, Verify
from bot.engine.engine import Step
from bot.language.context import found_steps, lacked_steps

COMMAND_INTENTS = ("skip", "go_back", "how_to", "not_sure", "start_over", "human_handoff")
# A typed reply read this surely as an option beats any command the intent guesses
# ("ok that worked, it's back online" is no "go back").
SURE_ANSWER = 0.8
# a weaker reading than this gives way to a fact the reply states for another question
FACT_BEATS_WEAK = 0.6


def _the_question(prompt: str, longest: int = 80) -> str:
    """The sentence of a prompt that asks ("What is the status light doing?" after "Make sure it is
    plugged in."), when it is short enough to quote; "" otherwise."""
    asking = [s.strip() for s in re.findall(r"[^.?!]*\?", prompt)]
    return asking[0] if asking and len(asking[0]) <= longest else ""


@dataclass
class _OpenStep:
    """A message to the open step of the diagnosis, as read so far: the checks read it in turn."""

    conv: Conversation
    state: DiagnosisState
    step: Step
    msg: Incoming
    payload: bool  # its words are no answer: "no_card_works" says neither no nor works
    choice: Optional[Tuple[str, str]]
    readable: bool  # typed words, neither a button nor noise
    reading: Reading = field(default_factory=Reading)
    news: List[str] = field(default_factory=list)  # the questions its statements answer anew
    opened_with_yes_no: bool = False
    lacks: bool = False  # it says the customer lacks the means for the step to do

    @property
    def answers_nothing(self) -> bool:
        """Typed words to an open question that read as none of its options, nor as close to some."""
        return isinstance(self.step, Ask) and self.readable and self.reading.option is None and not self.reading.between

    @property
    def unsure_without_option(self) -> bool:
        """ "Not sure" to an open question, without reading as one of its options."""
        return self.msg.intent == "not_sure" and isinstance(self.step, Ask) and self.reading.option is None


Check = Callable[[_OpenStep], Optional[List[Reply]]]


def _first_taken(turn: _OpenStep, checks: Sequence[Check]) -> Optional[List[Reply]]:
    """The replies of the first check, in order, that takes the message; None when none does."""
    for check in checks:
        replies = check(turn)
        if replies is not None:
            return replies
    return None


class DiagnosisTurn:
    def __init__(self, steps: DiagnosisSteps, symptoms: SymptomReading, reply_reading: ReplyReading):
        self.engine = steps.engine
        self.k = steps.k
        self.steps = steps
        self.symptoms = symptoms
        self.reply_reading = reply_reading
        self.reader = reply_reading.reader

    def reply(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        """A message while a question or step of the diagnosis is open. The checks run in a fixed order
        and the first that takes the message answers it; what the message says is read between them,
        as far as the checks after need it."""
        state = state_of(conv)
        payload = is_payload(msg.text)
        replies = [] if payload else self.steps.false_fix_replies(msg, state.symptoms)
        step = self.engine.current_step(state)
        choice = msg.choice()
        readable = choice is None and not payload and not looks_like_noise(msg.text)
        return replies + self._answer_to(_OpenStep(conv, state, step, msg, payload, choice, readable))

    def _answer_to(self, turn: _OpenStep) -> List[Reply]:
        """The checks in their order, the message read further where the checks after need it."""
        buttons = (self._post_fix_checks, self._pressed_button)
        answers = (self._correction_of_last_answer, self._typed_answer, self._lacked_for_later)
        commands = (self._start_over, self._unsure, self._skipped, self._go_back, self._how_to, self._option_after_all)
        news = (
            self._hazard_or_new_problem,
            self._found_after_all,
            self._facts_for_other_questions,
            self._known_problem,
        )
        taken = _first_taken(turn, buttons)
        if taken is None:
            turn.msg = without_unasked_commands(turn.msg)
            self._read_answer(turn)
            taken = _first_taken(turn, answers)
        if taken is None:
            self._read_command(turn)
            taken = _first_taken(turn, commands + news + (self._stale_button, self._waiting))
        return taken if taken is not None else self._not_understood(turn)

    # -- reading the message, as far as the checks after need it -------------------------------
    def _read_answer(self, turn: _OpenStep) -> None:
        """What the message answers of the open question, a weak reading given up for a statement that
        answers another question, or for means the customer says they lack."""
        step, msg = turn.step, turn.msg
        if not isinstance(step, Ask):
            return
        reading = self.reply_reading.read(step, msg) if turn.readable else Reading()
        if reading.option is None and self.reply_reading.says_means_lacking(msg):
            reading = self._the_answer_that_lacks_it_too(step, msg, reading)
        opened = reading.polarity is not None or reading.option is not None  # "What happened?" drops the yes/no
        if opened and self.reply_reading.yes_no_opens_a_fact(step, msg):
            reading = Reading()  # "no, never reset it" while the power cycle is asked: noted, asked again
        turn.opened_with_yes_no = reading.polarity is not None and msg.confidence < CLEAR_COMMAND
        weak = reading.option is not None and reading.score < FACT_BEATS_WEAK
        outweighed = (
            reading.option is not None and reading.score < SURE_ANSWER and self.reply_reading.stated_mostly(msg, step)
        )
        turn.news = self.reply_reading.news(turn.state, msg) if msg.entities else []
        if weak or outweighed or (reading.option is None and reading.between):
            other = [m for m in turn.news if m != step.move.id]
            if other and reading.polarity is None:
                # "the light is solid green" answers the LED question, not a weak guess at this one; "i reset
                # it last year, fine for a while then broke" tells the reset's history, not "which one?" here
                reading = Reading()
        unsure_fix = reading.option == FIXED and reading.score < SURE_ANSWER
        needs_means = step.is_action or step.move.id in lacked_steps(msg.text)  # "dont have any other card"
        if (weak or unsure_fix or not step.is_action) and needs_means and self.reply_reading.says_means_lacking(msg):
            # "dont have a spare charger", "the needle is too thick" say why the step can't be done, not how it
            # went; unless one answer says that very lack ("still not detected, and I have no other card")
            reading = self._the_answer_that_lacks_it_too(step, msg, Reading())
        if step.move.id in found_steps(msg.text):
            # "found an old 32gb one in the drawer" while the card test is open: the means, no outcome yet
            reading = Reading(waiting=True)
        turn.reading = reading

    @staticmethod
    def _the_answer_that_lacks_it_too(step: Ask, msg: Incoming, reading: Reading) -> Reading:
        """ "still not detected and i only have the one card", between "no card works, not even another
        one" and "still not detected, and I have no other card to try": the answer that says the same lack.
        Read alone ("dont have any other card"), the one answer that names it."""
        lacked = set(lacked_steps(msg.text))
        among = reading.between or tuple(dict(step.options))
        saying = [o for o in among if _says_the_lack(step, lacked, o)]
        return Reading(option=saying[0], score=reading.score) if len(saying) == 1 else reading

    def _read_command(self, turn: _OpenStep) -> None:
        """The command the message gives, when it is clear; lacking the means for the step is a skip."""
        step = turn.step
        # only a step to do needs means; "no spare charger" to a question about the past answers nothing
        turn.lacks = (
            isinstance(step, Ask)
            and (step.is_action or step.move.id in lacked_steps(turn.msg.text))
            and turn.readable
            and turn.reading.option is None
            and self.reply_reading.says_means_lacking(turn.msg)
        )
        msg = turn.msg
        if turn.lacks:
            msg = replace(msg, intent="skip", confidence=1.0)  # "no spare charger sorry": said, not guessed
        turn.msg = clear_commands_only(msg)

    # -- the post-fix checks and buttons -------------------------------------------------------
    def _post_fix_checks(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """The post-fix checks answered, by their buttons, in words or by position; or not all run yet."""
        conv, state, step, msg = turn.conv, turn.state, turn.step, turn.msg
        if not isinstance(step, Verify):
            return None
        if turn.choice and turn.choice[0] == "verify":
            return self.steps.verified(conv, state, turn.choice[1] == "yes")
        verdict = post_fix_verdict(msg.text, msg.intent) if not turn.payload else None
        if verdict and self.reply_reading.about_another_question(msg) and not checks_said_passed(msg.text):
            verdict = None  # "yes 3 other cams are fine" answers an earlier question, not the checks
        if verdict != "deny" and not turn.payload and checks_pending(msg.text):
            # "live view works, havent done the hour one yet": no verdict until every check has run
            conv.engine = state.to_dict()
            return [Reply.fixed("checks_later")] + render.verify_again(step)
        if verdict:
            return self.steps.verified(conv, state, verdict == "affirm", step, msg.text)
        if msg.intent == "choose" and turn.choice is None:
            index = ordinal_from_text(msg.text, 2)
            if index is not None:
                return self.steps.verified(conv, state, index == 0)
        return None

    def _pressed_button(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """A button of the open question, or "let's continue"."""
        step, choice = turn.step, turn.choice
        if choice == ("meta", "resume"):
            return self.steps.go_on(turn.conv, turn.state, repeat_note=False)
        if choice and isinstance(step, Ask) and choice[0] == step.move.id:
            return self.steps.answer(turn.conv, turn.state, step, choice[1], said=button_label(step, choice[1]))
        return None

    # -- a typed answer ------------------------------------------------------------------------
    def _correction_of_last_answer(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """Words that answer nothing open may take back the answer just given."""
        return self.correction(turn.conv, turn.state, turn.msg) if turn.answers_nothing else None

    def correction(
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
        if previous.move.id in found_steps(msg.text):
            return None  # "actually wait, found an old card" brings the card test back; it answers nothing
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

    def _typed_answer(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """An option of the open question, read surely enough, or from words that are no command."""
        step, reading, msg = turn.step, turn.reading, turn.msg
        if not isinstance(step, Ask) or reading.option is None:
            return None
        # "dont have any other card" reads as a skip to the language model; the answer that says the same
        # lack ("I have no other card to try") is what it means
        same_lack = msg.intent == "skip" and _says_the_lack(step, set(lacked_steps(msg.text)), reading.option)
        if reading.score >= SURE_ANSWER or msg.intent not in COMMAND_INTENTS or turn.opened_with_yes_no or same_lack:
            return self.steps.answer(turn.conv, turn.state, step, reading.option, said=msg.text, entities=msg.entities)
        return None

    def _lacked_for_later(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """Means the customer lacks for a later step, not this one: set aside for that step."""
        step, state = turn.step, turn.state
        if not (isinstance(step, Ask) and turn.answers_nothing):
            return None
        lacked = lacked_steps(turn.msg.text)
        ahead = self.engine.set_aside(state, [m for m in lacked if m != step.move.id])
        if ahead and step.move.id not in lacked:
            # "no spare charger here" while the reset history is asked: remembered for the adapter swap,
            # and no skip of this question (the language model read it as one)
            turn.conv.engine = state.to_dict()
            return [Reply.fixed("set_aside_ahead")] + self.steps.ask_again(turn.conv, state, count=False)
        return None

    # -- commands ------------------------------------------------------------------------------
    def _start_over(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """ "Start over" mid-diagnosis is confirmed first: it discards what was found."""
        if turn.msg.intent != "start_over":
            return None
        turn.conv.engine = turn.state.to_dict()
        problem = ", ".join(self.k.symptom(s).says for s in turn.state.symptoms) or "your camera"
        return [
            Reply(
                text=f"Start over? This discards what we found so far about: {problem}.",
                buttons=[
                    ("Yes, start over", choice_payload("meta", "restart")),
                    ("No, let's continue", choice_payload("meta", "resume")),
                ],
            )
        ]

    def _unsure(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """ "Not sure" answers a question that has an option for not knowing."""
        step = turn.step
        if not (isinstance(step, Ask) and turn.unsure_without_option and not turn.reading.between):
            return None
        unsure = next((o for o, _ in step.options if self.reader.is_unsure(step.move, o)), None)
        if unsure is None:
            return None
        return self.steps.answer(turn.conv, turn.state, step, unsure, said=turn.msg.text)

    def _skipped(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """A skip, or "not sure" to a question without such an option: the step is left for now (for
        good when the customer lacks its means); one the diagnosis cannot end without is asked again."""
        conv, state = turn.conv, turn.state
        if not (isinstance(turn.step, Ask) and (turn.msg.intent == "skip" or turn.unsure_without_option)):
            return None
        skipped = self.engine.skip(state, for_good=turn.lacks)
        after = self.engine.next_step(state)
        if turn.lacks:
            return [Reply.fixed("set_aside")] + self.steps.go_on(conv, state)
        if isinstance(after, Ask) and after.move.id == skipped:
            note = (
                "I need this one before I can wrap up. Can you do it now? "
                "If not, skip it again and I'll go with what we have so far."
            )
            return [Reply(text=note)] + self.steps.go_on(conv, state, repeat_note=False)
        return [Reply(text="No problem, we'll come back to that one if we need it.")] + self.steps.go_on(conv, state)

    def _go_back(self, turn: _OpenStep) -> Optional[List[Reply]]:
        if turn.msg.intent != "go_back":
            return None
        if self.engine.undo(turn.state):
            # the question whose answer was taken back, as it was asked: not a new plan
            taken_back = Reply(text="OK, I took back your last answer.")
            return [taken_back] + self.steps.ask_again(turn.conv, turn.state, count=False)
        return [Reply(text="There is nothing to take back yet.")] + self.steps.go_on(turn.conv, turn.state)

    def _how_to(self, turn: _OpenStep) -> Optional[List[Reply]]:
        step, msg = turn.step, turn.msg
        if not (
            isinstance(step, Ask) and (msg.intent == "how_to" or (turn.reading.option is None and asks_how(msg.text)))
        ):
            return None
        turn.conv.engine = turn.state.to_dict()
        return render.how_to(step)

    def _option_after_all(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """No command after all: the option the words read as, or the options they stay close to."""
        step, reading = turn.step, turn.reading
        if not isinstance(step, Ask):
            return None
        if reading.option is not None:
            msg = turn.msg
            return self.steps.answer(turn.conv, turn.state, step, reading.option, said=msg.text, entities=msg.entities)
        if reading.between:
            return self.steps.which_one(turn.conv, turn.state, step, reading.between)
        return None

    # -- news: a hazard, a further problem, facts for other questions --------------------------
    def _hazard_or_new_problem(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """A hazard the message reports, or a further problem it plausibly complains of."""
        conv, state, msg = turn.conv, turn.state, turn.msg
        new = [
            s
            for s, c in self.symptoms.ranked(msg)
            if c >= SYMPTOM_CONFIDENCE and s not in state.symptoms and s not in conv.noted
        ]
        if self.engine.report_hazards(state, msg.entities):
            conv.misunderstood = 0
            return self.steps.go_on(conv, state, repeat_note=False)
        if new and msg.intent in self.symptoms.ids and self.symptoms.plausibly_a_complaint(msg, new[0]):
            if _all_said_in_facts(msg):
                return None  # "changed dns to 8.8.8.8, nope still offline" tells a step's outcome, no new problem
            return self.steps.new_symptom(conv, state, new[0])
        return None

    def _found_after_all(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """ "wait actually i found an old 32gb one in a drawer" after the card test was set aside for want of
        a card: the test comes back, and the open question stays open."""
        if not isinstance(turn.step, Ask) or not self.engine.bring_back(turn.state, found_steps(turn.msg.text)):
            return None
        turn.conv.engine = turn.state.to_dict()
        return [Reply.fixed("brought_back")] + self.steps.ask_again(turn.conv, turn.state, count=False)

    def _facts_for_other_questions(self, turn: _OpenStep) -> Optional[List[Reply]]:
        """Statements that answer other questions than the open one: noted, and the open one asked again
        (or the plan changed, when they change an answer)."""
        conv, state, step, msg = turn.conv, turn.state, turn.step, turn.msg
        if not (isinstance(step, Ask) and turn.news and not turn.payload):
            return None
        earlier = {m.id: state.evidence_answer(m.id) for m, _, _ in self.engine.entity_answers(msg.entities)}
        noted = self._note_facts(state, step, msg)
        if noted is None:
            return None
        if any(before is not None and state.evidence_answer(m) != before for m, before in earlier.items()):
            # "actually the other card works": a changed answer changes the plan, not only the notes
            return [noted] + self.steps.go_on(conv, state, repeat_note=False)
        return [noted] + self.steps.ask_again(conv, state, count=False)

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

    def _known_problem(self, turn: _OpenStep) -> Optional[List[Reply]]:
        conv, msg = turn.conv, turn.msg
        known = msg.intent in turn.state.symptoms or msg.intent in conv.noted
        if not (known and msg.confidence >= SYMPTOM_CONFIDENCE and isinstance(turn.step, Ask)):
            return None
        # the problem we are already on, or one already noted: no answer, and no news (another one the
        # words do not plausibly complain of was noted nowhere: saying so would not be true)
        conv.misunderstood += 1
        reminder = Reply(text="I have that noted. To go on, I need an answer to this question:")
        return [reminder] + self.steps.ask_again(conv, turn.state)

    # -- nothing taken -------------------------------------------------------------------------
    def _stale_button(self, turn: _OpenStep) -> Optional[List[Reply]]:
        if not turn.choice:
            return None
        earlier = Reply(text="That button belongs to an earlier question. Here is where we are now:")
        return [earlier] + self.steps.go_on(turn.conv, turn.state)

    def _waiting(self, turn: _OpenStep) -> Optional[List[Reply]]:
        if not (turn.reading.waiting and isinstance(turn.step, Ask)):
            return None
        # "one sec", "ok checking": the customer is doing the step; no misunderstanding to count
        return [Reply.fixed("take_your_time")] + self.steps.ask_again(turn.conv, turn.state, count=False)

    def _not_understood(self, turn: _OpenStep) -> List[Reply]:
        """Sorry, and the open step again; after a few in a row, the offer of a person too."""
        conv, state = turn.conv, turn.state
        conv.misunderstood += 1
        if conv.misunderstood >= MISUNDERSTOOD_LIMIT:
            sorry = Reply(
                text="Sorry, I still didn't catch that. Please pick one of the options below, or talk to a "
                "person from our support team.",
                buttons=[("Talk to a person", "/human_handoff")],
            )
            again = self.steps.ask_again(conv, state)
            return again if is_stuck(again) else [sorry] + again
        again = self.steps.ask_again(conv, state)
        if is_stuck(again):
            return again  # its own words say it was not understood
        sorry = Reply(text="Sorry, I didn't catch that. Please pick one of the options, or ask me how to do it.")
        return [sorry] + again


def _says_the_lack(step: Ask, lacked: Set[str], option: str) -> bool:
    """The option's own words lack what the message says the customer has not got (`lacked`: its steps)."""
    return bool(lacked) and bool(lacked & set(lacked_steps(dict(step.options).get(option, ""))))


def _all_said_in_facts(msg: Incoming) -> bool:
    """The message is statements that answer questions, with at most a word or two besides."""
    said = [e.get("text") for e in msg.entities if e.get("entity") == "fact"]
    said = [t for t in said if isinstance(t, str) and t]
    if not said:
        return False
    rest = msg.text.lower()
    for words in said:
        rest = rest.replace(words.lower(), " ")
    return len(re.findall(r"[a-z]{2,}", rest)) <= 2

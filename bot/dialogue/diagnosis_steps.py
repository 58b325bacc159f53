"""The diagnosis moved on and its next step said: starting it, taking an answer, the post-fix checks,
the open step asked again (as buttons once the customer is stuck on it), and the outcome recorded."""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from bot.dialogue import render
from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.messages import Incoming, Reply, choice_payload, unique_entities
from bot.dialogue.understanding import failed_checks_named, false_fixes_mentioned
from bot.engine import Ask, DiagnosisEngine, DiagnosisState, InvalidAnswer, Verify
from bot.engine.outcome import EscalationOutcome, Outcome
from bot.handoff.gateway import TicketDesk
from bot.knowledge.guide import Knowledge
from bot.language.context import lacked_steps

logger = logging.getLogger(__name__)

# The same question is asked at most twice the same way; the third time it comes as buttons with a
# short explanation and the offer of a person (the offer stands; only the customer's request opens a ticket).
SAME_ASK_LIMIT = 3


def button_label(step: Ask, option: str) -> Optional[str]:
    return next((label for o, label in step.options if o == option), None)


def is_stuck(replies: List[Reply]) -> bool:
    return any(r.name in ("stuck", "stuck_again") for r in replies)


def next_symptom_offer(k: Knowledge, symptom: str) -> Reply:
    """The offer to look at a further problem the customer mentioned, once the diagnosis has ended."""
    return Reply(
        text=f"You also mentioned: {k.symptom(symptom).says}. Shall we look at it now?",
        buttons=[
            ("Yes, let's do it", choice_payload("symptom", symptom)),
            ("No, thanks", choice_payload("meta", "no_next")),
        ],
    )


class DiagnosisSteps:
    """`tickets` records each diagnosis' outcome for the report (none: nothing is recorded)."""

    def __init__(self, engine: DiagnosisEngine, tickets: Optional[TicketDesk] = None):
        self.engine = engine
        self.k = engine.k
        self.tickets = tickets

    def start(self, conv: Conversation, symptoms: List[str], msg: Incoming) -> List[Reply]:
        ordered = sorted(dict.fromkeys(symptoms), key=lambda s: -self.k.symptom(s).urgency)
        first, rest = ordered[0], ordered[1:]
        earlier = conv.context.pop("_entities", None) or []
        conv.context.pop("_ranking", None)
        state = self.engine.start([first], unique_entities(list(earlier) + list(msg.entities)), said=msg.text)
        conv.queue = [s for s in rest if s not in conv.queue] + conv.queue
        conv.phase, conv.candidates, conv.misunderstood, conv.recorded = Phase.DIAGNOSING, [], 0, False
        intro = f"Understood: {self.k.symptom(first).says}."
        if rest:
            intro += (
                " You also mentioned: "
                + "; ".join(self.k.symptom(s).says for s in rest)
                + ". We'll start with the first one and come back to the other."
            )
        return [Reply(text=intro)] + self.go_on(conv, state)

    def new_symptom(self, conv: Conversation, state: DiagnosisState, symptom: str) -> List[Reply]:
        if self.k.symptom(symptom).safety:
            self.engine.add_symptom(state, symptom)  # safety goes first: the engine stops for it
            return self.go_on(conv, state)
        if symptom not in conv.queue:
            conv.queue.append(symptom)
        conv.noted.append(symptom)
        return [
            Reply(text=f"Noted: {self.k.symptom(symptom).says}. We'll look at that right after this.")
        ] + self.go_on(conv, state, repeat_note=False)

    def answer(
        self,
        conv: Conversation,
        state: DiagnosisState,
        step: Ask,
        option: str,
        said: Optional[str] = None,
        entities: Sequence[Dict[str, Any]] = (),
    ) -> List[Reply]:
        try:
            self.engine.answer(state, step.move.id, option, said=said)
        except InvalidAnswer:
            return [Reply(text="That isn't one of the answers to this question.")] + self.go_on(conv, state)
        if entities and not state.finished and state.status != "verifying":
            # what else the reply says ("set-up went fine but it's still blinking green") is evidence
            # for its own question, read after the answer so a step that makes it stale cannot
            self.engine.observe_entities(state, [e for e in entities if isinstance(e, dict)])
        if said and not state.finished:
            # "still not detected and i only have the one card": the step that needs another card is
            # not asked for next
            self.engine.set_aside(state, [m for m in lacked_steps(said) if m != step.move.id], undoable=False)
        conv.misunderstood = 0
        conv.same_ask = []
        return self.go_on(conv, state)

    def verified(
        self, conv: Conversation, state: DiagnosisState, passed: bool, step: Optional[Verify] = None, said: str = ""
    ) -> List[Reply]:
        """The post-fix checks answered: a failed one says so before the diagnosis goes on, so the
        customer does not read the next question as if nothing had been heard; a failed check they
        name answers its own question ("it didn't reconnect after unplugging": the power cycle's no)."""
        self.engine.confirm_fix(state, passed)
        if passed:
            return self.go_on(conv, state)
        if step is not None and said:
            shown = {c.id for c in step.outcome.post_fix_checks}
            checks = [c for c in self.k.post_fix_checks if c.id in shown and c.failed_means is not None]
            facts = [
                {
                    "entity": "fact",
                    "value": {"move": c.failed_means.move, "option": c.failed_means.option},
                    "text": said,
                }
                for c in failed_checks_named(checks, said)
                if c.failed_means is not None
            ]
            if facts:
                self.engine.observe_entities(state, facts)
        note = Reply(text="Thanks for checking. So it isn't fixed yet; let's go on.")
        return [note] + self.go_on(conv, state)

    def go_on(self, conv: Conversation, state: DiagnosisState, repeat_note: bool = True) -> List[Reply]:
        step = self.engine.next_step(state)
        conv.engine = state.to_dict()
        if isinstance(step, Ask):
            if self._count_ask(conv, step) >= SAME_ASK_LIMIT:
                return self._stuck(conv, state, step)
            return render.ask(step, repeat_note)
        conv.same_ask = []
        if isinstance(step, Verify):
            return render.verify(self.k, step)
        conv.phase = Phase.FINISHED
        self._record(conv, msg_sender=conv.sender, outcome=step.outcome)
        replies = render.finished(self.k, step)
        # only an escalation offers a person
        conv.offer = "handoff" if isinstance(step.outcome, EscalationOutcome) else None
        if conv.queue:
            nxt = conv.queue[0]
            conv.offer = f"symptom:{nxt}"
            replies.append(next_symptom_offer(self.k, nxt))
        return replies

    def ask_again(self, conv: Conversation, state: DiagnosisState, count: bool = True) -> List[Reply]:
        """The open step once more, as it was asked: a reply that answered nothing changes no plan.
        `count`: the customer is not stuck on it ("one sec", a fact for another question)."""
        step = self.engine.current_step(state)
        if isinstance(step, Ask):
            conv.engine = state.to_dict()
            if count and self._count_ask(conv, step) >= SAME_ASK_LIMIT:
                return self._stuck(conv, state, step)
            return render.ask(step, repeat_note=False, again=True)
        if isinstance(step, Verify):
            conv.engine = state.to_dict()
            return render.verify_again(step)  # the list of checks is just above
        return self.go_on(conv, state, repeat_note=False)

    def which_one(self, conv: Conversation, state: DiagnosisState, step: Ask, between: Tuple[str, ...]) -> List[Reply]:
        """Two (or more) options stay close: name them and let the customer pick."""
        labels = dict(step.options)
        named = [o for o in between if o in labels]
        if self._count_ask(conv, step) >= SAME_ASK_LIMIT:
            return self._stuck(conv, state, step)
        quoted = [f"\u201c{labels[o]}\u201d" for o in named]
        text = "Just to be sure, which one is it: " + (", ".join(quoted[:-1]) + " or " + quoted[-1]) + "?"
        buttons = [(labels[o], choice_payload(step.move.id, o)) for o in named]
        buttons.append(("Something else", choice_payload("meta", "resume")))
        conv.engine = state.to_dict()
        return [Reply(text=text, buttons=buttons)]

    def _count_ask(self, conv: Conversation, step: Ask) -> int:
        move = step.move.id
        count = conv.same_ask[1] + 1 if len(conv.same_ask) == 2 and conv.same_ask[0] == move else 1
        conv.same_ask = [move, count]
        return count

    def _stuck(self, conv: Conversation, state: DiagnosisState, step: Ask) -> List[Reply]:
        """The third time in a row, and after: not the same question again, but its answers as buttons, a
        way to skip it, and a person."""
        conv.engine = state.to_dict()
        buttons = [(label, choice_payload(step.move.id, option)) for option, label in step.options]
        buttons += [render.SKIP, ("Talk to a person", "/human_handoff")]
        name = "stuck"
        if conv.same_ask and conv.same_ask[1] > SAME_ASK_LIMIT and conv.same_ask[1] % 2 == 0:
            name = "stuck_again"  # alternated, so the customer never reads the same words three times running
        return [Reply.fixed(name, buttons)]

    def _record(self, conv: Conversation, msg_sender: str, outcome: Optional[Outcome]) -> None:
        if conv.recorded or self.tickets is None or outcome is None:
            return
        conv.recorded = True
        escalated = isinstance(outcome, EscalationOutcome)
        try:
            self.tickets.record_outcome(
                msg_sender or "unknown",
                "escalated" if escalated else "resolved",
                cause=outcome.cause,
                step=outcome.route if isinstance(outcome, EscalationOutcome) else outcome.action,
            )
        except Exception:
            logger.exception("could not record the outcome")

    def record_abandoned(self, conv: Conversation) -> None:
        if (
            conv.phase not in (Phase.DIAGNOSING, Phase.RESUME_OFFER)
            or not conv.engine
            or self.tickets is None
            or conv.recorded
        ):
            return
        state = state_of(conv)
        try:
            self.tickets.record_outcome(conv.sender or "unknown", "abandoned", step=state.pending)
        except Exception:
            logger.exception("could not record the abandoned conversation")

    def false_fix_replies(self, msg: Incoming, symptoms: Iterable[str] = ()) -> List[Reply]:
        return [
            Reply(text=f'About "{ff.fix.lower()}": that won\'t help here. {ff.reason}')
            for ff in false_fixes_mentioned(self.k, msg.text, symptoms)
        ]

"""The hand-off phase: a ticket for our support team, the bot quiet while a person has the case, the
agent side's news told to the customer, and the diagnosis taken up again when the case comes back."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Dict, Iterable, List, Optional

from bot.dialogue import render
from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.diagnosis_steps import DiagnosisSteps
from bot.dialogue.messages import Incoming, Reply, choice_payload
from bot.dialogue.understanding import is_payload, normalise
from bot.engine import DiagnosisEngine, DiagnosisState, Finished
from bot.handoff.gateway import TicketDesk
from bot.handoff.live import handoff_queued_text
from bot.handoff.summary import case_summary

logger = logging.getLogger(__name__)

CANCEL_WORDS = {"cancel", "cancel handoff", "cancel the handoff", "back to the bot", "back to bot", "never mind"}
# "/handoff_event": a channel's outbox worker saying "the outbox has news for this conversation"
# (an agent's message, a claim, a hand-back, ...); it is no customer message.
HANDOFF_EVENT = "handoff_event"

# why a ticket was opened, as the agent reads it
ASKED_FOR_PERSON = "customer asked for a person"
ACCEPTED_ESCALATION = "the diagnosis ended in a hand-off and the customer accepted it"


def _latest_user_at(events: Iterable[Dict[str, Any]]) -> Optional[float]:
    stamps = [e.get("timestamp") for e in events if e.get("event") == "user"]
    stamps = [float(t) for t in stamps if isinstance(t, (int, float))]
    return max(stamps) if stamps else None


class HandoffPhase:
    """`tickets` is the hand-off back end (a bot.handoff.gateway.TicketDesk); without it references are
    made up locally and nothing is stored (tests, a bot without a database)."""

    def __init__(self, engine: DiagnosisEngine, tickets: Optional[TicketDesk], steps: DiagnosisSteps):
        self.engine = engine
        self.k = engine.k
        self.tickets = tickets
        self.steps = steps

    def hand_over(self, conv: Conversation, reason: str, msg: Incoming) -> List[Reply]:
        """Open a ticket with the case summary for our support team, and tell the customer its reference."""
        state = state_of(conv) if conv.engine else DiagnosisState()
        summary = case_summary(
            self.engine, state, {k: v for k, v in conv.context.items() if not k.startswith("_")}, reason
        )
        reference, stored = None, False
        if self.tickets is not None:
            try:
                reference = self.tickets.open_ticket(
                    msg.sender or "unknown",
                    msg.channel or "unknown",
                    summary,
                    msg.events,
                    customer_name=msg.customer_name or None,
                )
                stored = True
            except Exception:  # the customer is told; the agent finds the case in the logs
                logger.exception("could not store the hand-off ticket for %s", msg.sender)
        reference = reference or uuid.uuid4().hex[:8].upper()
        if not conv.engine:
            resume = Phase.IDLE.value
        else:
            resume = (Phase.FINISHED if state.finished else Phase.DIAGNOSING).value
        conv.handoff = {
            "reference": reference,
            "summary": summary.to_dict(),
            "resume_phase": resume,
            "stored": stored,
            "at": _latest_user_at(msg.events),
        }
        conv.phase = Phase.HANDOFF
        cancel = [("Cancel, back to the bot", choice_payload("meta", "cancel_handoff"))]
        if self.tickets is not None and not stored:
            return [
                Reply(
                    text="I'm sorry: our support team's system did not answer just now, so your case "
                    f"(reference {reference}) may not have reached them. Please contact Kasa support quoting that "
                    "reference, or tap below to carry on with me.",
                    buttons=cancel,
                ),
                Reply(text=render.summary_text(summary)),
            ]
        return [
            Reply(text=handoff_queued_text(reference), buttons=cancel),
            Reply(text=render.summary_text(summary)),
        ]

    def news(self, conv: Conversation, sender: str) -> List[Reply]:
        """What the agent side did since the last turn (bot.handoff.store outbox), in words; the conversation
        follows it (a hand-back resumes the diagnosis, a resolve closes the case). `sender`: whose
        conversation, when the conversation does not know yet."""
        sender = conv.sender or sender
        if self.tickets is None or not sender or not hasattr(self.tickets, "take_outbox"):
            return []
        try:
            items = self.tickets.take_outbox(sender)
        except Exception:
            logger.exception("could not read the outbox of %s", sender)
            return []
        replies: List[Reply] = []
        for item in items:
            replies += self._news_item(conv, item)
        return replies

    def _news_item(self, conv: Conversation, item: Dict[str, Any]) -> List[Reply]:
        kind, ref = item.get("kind"), item.get("reference")
        agent = item.get("agent") or "Our support team"
        current = conv.phase == Phase.HANDOFF and (conv.handoff or {}).get("reference") == ref
        if kind == "message":
            return [Reply(text=f"{agent} (support): {item.get('text') or ''}", agent=agent)]
        if not current:
            return []  # a notice about a case this conversation has left (cancelled, started over)
        if kind == "claimed":
            return [
                Reply(
                    text=f"{agent} from our support team has your case (reference {ref}) and can see everything "
                    "we did. They will write to you here.",
                )
            ]
        if kind == "unclaimed":
            return [
                Reply(
                    text=f"Nobody from our support team has been free to take your case yet (reference {ref}), "
                    "sorry. You can keep waiting here, or leave an e-mail address or phone number and we'll get "
                    "back to you.",
                    buttons=[
                        ("Leave a contact", choice_payload("meta", "leave_contact")),
                        ("Keep waiting", choice_payload("meta", "keep_waiting")),
                        ("Back to the assistant", choice_payload("meta", "cancel_handoff")),
                    ],
                )
            ]
        if kind == "resolved":
            note = (item.get("text") or "").strip()
            conv.phase, conv.handoff, conv.engine = Phase.IDLE, None, None
            text = f"{agent} from our support team has closed case {ref}."
            if note:
                text += f" Their note: \u201c{note}\u201d"
            return [Reply(text=text + "\nIf your camera acts up again, just tell me what it's doing.")]
        if kind == "handed_back":
            return [Reply(text=f"{agent} from our support team handed you back to me, the assistant.")] + self._resume(
                conv
            )
        return []

    def during(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        """While a person has the case the bot is quiet; it comes back when handed back or cancelled."""
        handoff = conv.handoff or {}
        reference = handoff.get("reference")
        stored = self.tickets is not None and reference and handoff.get("stored")
        status = None
        if stored and self.tickets is not None and isinstance(reference, str):
            try:
                status = self.tickets.status(reference)
            except Exception:
                logger.exception("could not read ticket %s", reference)
                status = "open"
        choice = msg.choice()
        wants_cancel = choice == ("meta", "cancel_handoff") or normalise(msg.text) in CANCEL_WORDS
        if status == "resolved":  # told by the outbox when it works; this is the fallback
            conv.phase, conv.handoff, conv.engine = Phase.IDLE, None, None
            return [Reply(text=f"Our support team has closed case {reference}. How else can I help with your camera?")]
        if status in ("handed_back", "cancelled") or wants_cancel:
            if wants_cancel and status not in ("handed_back", "cancelled") and self.tickets is not None and reference:
                try:
                    self.tickets.cancel(reference)
                except Exception:
                    logger.exception("could not cancel ticket %s", reference)
            note = (
                "OK, you're back with me, the assistant." if wants_cancel else "Our support team handed you back to me."
            )
            return [Reply(text=note)] + self._resume(conv)
        if choice == ("meta", "keep_waiting"):
            return [Reply(text=f"OK. I'll tell you here as soon as someone takes case {reference}.")]
        if choice == ("meta", "leave_contact"):
            handoff["contact"] = "asked"
            return [
                Reply(
                    text="Please type the e-mail address or phone number we should use, and when it suits you "
                    "to be contacted. Only our support team sees it."
                )
            ]
        if choice is not None:
            return []  # a button of an earlier question: the diagnosis waits until the case comes back
        if msg.intent in ("start_over", "go_back") and is_payload(msg.text):
            # a typed /restart or /back is for the bot, not the agent, and must not go unanswered
            return [
                Reply(
                    text=f"Your case (reference {reference}) is with our support team. To go back to the "
                    "assistant first, tap below.",
                    buttons=[("Cancel, back to the bot", choice_payload("meta", "cancel_handoff"))],
                )
            ]
        kind = "contact" if handoff.get("contact") == "asked" else None
        if stored and reference:
            self.keep_for_agent(conv, msg, reference, kind)
        if kind == "contact":
            handoff["contact"] = "given"
            return [
                Reply(
                    text=f"Thank you. Our support team will get back to you about case {reference}. "
                    "You can keep writing here in the meantime."
                )
            ]
        return []

    def keep_for_agent(
        self, conv: Conversation, msg: Incoming, reference: str, kind: Optional[str], current: bool = True
    ) -> None:
        """Keep the customer's messages of the hand-off for the agent: this one (``current``), and any
        earlier one whose turn failed (the action server was down), each once, by its event's time."""
        since = (conv.handoff or {}).get("at") or 0.0
        users = [
            e
            for e in msg.events
            if e.get("event") == "user" and isinstance(e.get("timestamp"), (int, float)) and e["timestamp"] > since
        ]
        latest = users[-1] if current and users else None
        missed = [e for e in users if e is not latest and not str(e.get("text") or "").startswith("/")]
        if self.tickets is None:
            return
        try:
            known = (
                self.tickets.kept_event_times(reference)
                if missed and hasattr(self.tickets, "kept_event_times")
                else set()
            )
            for e in missed:
                if float(e["timestamp"]) not in known:
                    self.tickets.keep_message(reference, e.get("text") or "", event_at=e["timestamp"])
            if current:
                self.tickets.keep_message(
                    reference, msg.text, kind=kind, event_at=latest["timestamp"] if latest else None
                )
        except Exception:
            logger.exception("could not keep a message for ticket %s", reference)

    def _resume(self, conv: Conversation) -> List[Reply]:
        """Back from a person: the diagnosis exactly where it stood (the question it was at, or the
        recommendation it ended with)."""
        resume = (conv.handoff or {}).get("resume_phase", Phase.IDLE)
        conv.handoff = None
        if resume in (Phase.DIAGNOSING, Phase.FINISHED) and conv.engine:
            state = state_of(conv)
            problem = ", ".join(self.k.symptom(s).says for s in state.symptoms) or "your camera"
            if resume == Phase.DIAGNOSING and not state.finished:
                conv.phase = Phase.DIAGNOSING
                where = Reply(text=f"We were working on: {problem}. Here is where we were:")
                return [where] + self.steps.go_on(conv, state, repeat_note=False)
            step = self.engine.next_step(state)
            if isinstance(step, Finished):
                conv.phase = Phase.FINISHED
                where = Reply(text=f"We were at the end of the diagnosis of: {problem}. This is what I found:")
                ended = [r for r in render.finished(self.k, step) if "/human_handoff" not in dict(r.buttons).values()]
                return [where] + ended
        conv.phase = Phase.IDLE
        return [Reply.fixed("ask_problem")]

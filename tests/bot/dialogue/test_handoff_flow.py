"""Hand-off in the conversation: one ticket, quiet while a person has the case, cancel, hand-back."""

import pytest

from bot.dialogue.controller import Controller
from bot.dialogue.conversation import Conversation
from bot.dialogue.messages import Incoming
from bot.engine import DiagnosisState
from tests.bot.dialogue.test_controller import Chat


class FakeTickets:
    def __init__(self):
        self.tickets = {}
        self.kept = []
        self.outcomes = []

    def open_ticket(self, conversation_id, channel, case, events=(), customer_name=None):
        for ref, t in self.tickets.items():
            if t["conversation"] == conversation_id and t["status"] in ("open", "claimed"):
                return ref
        ref = f"T{len(self.tickets) + 1:07d}"
        self.tickets[ref] = {"conversation": conversation_id, "channel": channel, "case": case, "status": "open"}
        return ref

    def status(self, reference):
        return self.tickets[reference]["status"]

    def keep_message(self, reference, text, kind=None, event_at=None):
        self.kept.append((reference, text))

    def cancel(self, reference):
        self.tickets[reference]["status"] = "cancelled"

    def record_outcome(self, conversation_id, outcome, cause=None, step=None):
        self.outcomes.append((conversation_id, outcome, cause, step))


@pytest.fixture
def tickets():
    return FakeTickets()


@pytest.fixture
def chat(tickets):
    chat = Chat(Controller(tickets=tickets))
    original = chat.say

    def say(text, intent=None, confidence=0.95, ranking=None, entities=()):
        ranking = ranking if ranking is not None else ([(intent, confidence)] if intent else [])
        msg = Incoming(text, intent, confidence, tuple(ranking), tuple(entities), sender="cust-7", channel="rest")
        chat.last = chat.c.handle(chat.conv, msg)
        return chat.last

    chat.say = say
    chat.original = original
    return chat


def test_asking_for_a_person_opens_one_ticket_with_the_case(chat, tickets):
    chat.say("offline after 2 months", "offline_after_months")
    step = chat.pending
    chat.say("i want to talk to a human", "human_handoff")
    assert len(tickets.tickets) == 1
    ref, ticket = next(iter(tickets.tickets.items()))
    assert ticket["conversation"] == "cust-7" and ticket["channel"] == "rest"
    assert ticket["case"].symptoms == ("Kasa camera offline after 2 months",)
    assert ref in chat.texts[0]
    assert chat.conv.phase == "handoff"
    # the bot is quiet while the agent has the case, and keeps the messages
    assert chat.say("hello? anyone there", "greet") == []
    assert chat.say("talk to a human please", "human_handoff") == []
    assert tickets.kept == [(ref, "hello? anyone there"), (ref, "talk to a human please")]
    assert len(tickets.tickets) == 1
    # hand-back resumes the diagnosis at the step it stood
    tickets.tickets[ref]["status"] = "handed_back"
    chat.say("ok", "affirm")
    assert "handed you back" in chat.texts[0]
    assert chat.pending == step and chat.conv.phase == "diagnosing"


def test_customer_can_cancel_the_handoff(chat, tickets):
    chat.say("pan tilt stopped", "pan_tilt_stopped")
    step = chat.pending
    chat.say("human", "human_handoff")
    chat.press("Cancel, back to the bot")
    ref = next(iter(tickets.tickets))
    assert tickets.tickets[ref]["status"] == "cancelled"
    assert chat.conv.phase == "diagnosing" and chat.pending == step
    assert "back with me" in chat.texts[0]


def test_typed_cancel_also_works(chat, tickets):
    chat.say("human please", "human_handoff")
    chat.say("cancel", "deny")
    assert chat.conv.phase == "idle"
    assert next(iter(tickets.tickets.values()))["status"] == "cancelled"


def test_resolved_case_is_closed_politely(chat, tickets):
    chat.say("human please", "human_handoff")
    ref = next(iter(tickets.tickets))
    tickets.tickets[ref]["status"] = "resolved"
    chat.say("thanks", "thank")
    assert ref in chat.texts[0] and chat.conv.phase == "idle"


def test_outcomes_are_recorded_once(chat, tickets):
    chat.say("app freezes in settings", "app_freezes_settings")
    chat.press("Yes, it works now")
    chat.press("Yes, all good")
    assert tickets.outcomes == [("cust-7", "resolved", "app_bug", "update_app")]


def test_abandoned_diagnosis_is_recorded_with_its_step(chat, tickets):
    chat.say("offline after 2 months", "offline_after_months")
    step = chat.pending
    chat.say("start over", "start_over")
    chat.press("Yes, start over")
    assert tickets.outcomes == [("cust-7", "abandoned", None, step)]


def test_ticket_system_down_still_hands_over(tickets):
    class Broken(FakeTickets):
        def open_ticket(self, *a, **k):
            raise RuntimeError("database is locked")

    controller = Controller(tickets=Broken())
    conv = Conversation()
    replies = controller.handle(conv, Incoming("human", "human_handoff", 1.0, sender="x"))
    assert conv.phase == "handoff" and conv.handoff["reference"] in replies[0].text
    assert controller.handle(conv, Incoming("hello", "greet", 1.0, sender="x")) == []


def _escalate(chat):
    """Drive a case to an escalation ending, never answering "it works now"."""
    chat.say("offline after 2 months", "offline_after_months")
    for _ in range(10):
        if chat.conv.phase == "finished":
            return
        chat.press_not_fixed()
    assert chat.conv.phase == "finished"


@pytest.mark.parametrize(
    "text, intent, ranking",
    [
        ("yes", "affirm", None),
        (
            "yes please connect me",
            "nlu_fallback",
            [("nlu_fallback", 0.4), ("human_handoff", 0.38), ("out_of_scope", 0.29)],
        ),
        ("sure, go ahead", "affirm", None),
    ],
)
def test_a_typed_yes_to_the_offer_hands_over(chat, tickets, text, intent, ranking):
    _escalate(chat)
    assert "pass this to our support team" in chat.last[-1].text
    chat.say(text, intent, 0.9 if ranking is None else ranking[0][1], ranking=ranking)
    assert chat.conv.phase == "handoff"
    assert len(tickets.tickets) == 1


def test_a_typed_no_to_the_offer_closes_politely(chat, tickets):
    _escalate(chat)
    chat.say("no thanks", "deny")
    assert chat.conv.phase == "finished" and not tickets.tickets
    assert "anything else" in chat.texts[0]
    chat.say("yes", "affirm")  # the offer was answered: a later "yes" is not a hand-off
    assert chat.conv.phase != "handoff" and not tickets.tickets


def test_a_typed_yes_to_the_next_symptom_starts_it(chat, tickets):
    chat.say(
        "app freezes in settings and the sd card is not recognized",
        "app_freezes_settings",
        ranking=[("app_freezes_settings", 0.6), ("sd_card_not_recognized", 0.35)],
    )
    queued = list(chat.conv.queue)
    assert queued, "the second symptom waits in the queue"
    for _ in range(10):
        if chat.conv.phase == "finished":
            break
        chat.press_not_fixed()
    assert chat.conv.offer == f"symptom:{queued[0]}"
    chat.say("yes lets do it", "affirm")
    assert chat.conv.phase == "diagnosing" and chat.conv.queue == queued[1:]
    assert DiagnosisState.from_dict(chat.conv.engine).symptoms == [queued[0]]
    assert not tickets.tickets


def test_a_fix_makes_no_offer(chat):
    chat.say("app freezes in settings", "app_freezes_settings")
    chat.press("Yes, it works now")
    chat.press("Yes, all good")
    assert chat.conv.phase == "finished" and chat.conv.offer is None

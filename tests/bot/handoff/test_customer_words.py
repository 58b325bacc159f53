"""What a customer reads around a hand-off is words only, and what an agent reads of the diagnosis is
plain: every test customer of the guide goes through a whole case, asks for a person, waits, is
claimed, talked to and handed back, over a real ticket store."""

from __future__ import annotations

import re

import pytest

from bot.dialogue.controller import Controller
from bot.dialogue.messages import choice_payload
from bot.engine import DiagnosisState
from bot.handoff.gateway import Tickets
from bot.handoff.render import FORMATS, render, summary_text
from tests.bot.handoff.test_live import LiveChat
from tests.support.guide_customers import CUSTOMERS

HEADING = "Here is what our support team will see:"


@pytest.fixture
def tickets(tmp_path) -> Tickets:
    return Tickets(f"sqlite:///{tmp_path / 'words.db'}")


@pytest.fixture(scope="module")
def ids():
    """Every identifier of the knowledge base a customer must never read (moves, causes, symptoms, routes)."""
    k = Controller().k
    found = {m.id for m in k.moves} | {c.id for c in k.causes} | {s.id for s in k.symptoms}
    return {i for i in found if "_" in i}


def machine_words(text: str, ids) -> list:
    found = re.findall(
        r"/choose|/human_handoff|/handoff_event|\{\"|\bStep \d+\b|\bscenario [A-H]\b|\bCause \d+\b|\bTriage test \d+\b",
        text,
        re.I,
    )
    found += [i for i in ids if re.search(rf"\b{re.escape(i)}\b", text)]
    return found


def play(chat: LiveChat, customer) -> list:
    """The customer's case from the first message to its ending, answering by buttons; what they read."""
    read = list(chat.say(customer.opening, customer.symptom, entities=customer.entities))
    for _ in range(40):
        state = DiagnosisState.from_dict(chat.conv.engine) if chat.conv.engine else None
        if state is None or chat.conv.phase != "diagnosing" or state.finished:
            break
        if state.status == "verifying":
            read += chat.press("Yes")
            continue
        option, _ = customer.answer(state.pending)
        read += chat.say_payload(choice_payload(state.pending, option))
    return read


@pytest.mark.parametrize("customer", [c for c in CUSTOMERS if not c.known_gap], ids=lambda c: c.id)
def test_nothing_a_customer_reads_around_a_hand_off_is_machine_words(tickets, customer, ids):
    chat = LiveChat(Controller(tickets=tickets))
    read = play(chat, customer)
    offered = any(t == "Yes, connect me" for r in chat.last for t, _ in r.buttons)
    read += chat.press("Yes, connect me") if offered else chat.say("can I talk to a person", "human_handoff")
    ref = chat.conv.handoff["reference"]
    tickets.store.flag_unclaimed(after_seconds=0)
    read += chat.news()
    tickets.store.claim(ref, "Alice")
    tickets.store.add_agent_message(ref, "Alice", "Hello, I have read your case.")
    read += chat.news()
    tickets.store.hand_back(ref)
    read += chat.news()

    assert any(r.text.startswith("We were working on:") or "back to me" in r.text for r in read)
    for reply in read:
        assert not machine_words(reply.text, ids), (customer.id, reply.text)
        for title, _ in reply.buttons:
            assert not machine_words(title, ids), (customer.id, title)

    # the agent's view of the same case: one plain sentence for each cause that was ruled out
    ticket = tickets.store.get(ref)
    for item in ticket.ruled_out:
        sentence = re.sub(r"\u201c[^\u201d]*\u201d|\"[^\"]*\"", "\u2026", item["sentence"])
        assert sentence.endswith(".") and sentence.count(". ") == 0, (customer.id, item)
        assert not re.search(r"×|=|\bfailed\b|\bas likely\b", sentence), (customer.id, item)
        assert not machine_words(sentence, ids), (customer.id, item)


def test_asking_for_a_person_at_once_shows_what_the_agent_will_see_and_no_causes(tickets, ids):
    chat = LiveChat(Controller(tickets=tickets))
    chat.say("I want to talk to a person", "human_handoff")
    summary = next(r.text for r in chat.last if r.text.startswith(HEADING))
    under = summary[len(HEADING) :].strip()
    assert under.startswith("\u2022 ") and "the agent will begin with you" in under, "never a heading over nothing"

    # a ticket with no symptom lists no cause and no probability, in any view an agent has
    ticket = tickets.store.get(chat.conv.handoff["reference"])
    assert ticket.symptoms == [] and ticket.ranking == [] and ticket.ruled_out == []
    for fmt in FORMATS:
        text = render(ticket, fmt)
        assert not re.search(r"\d+(\.\d+)?\s?%", text), fmt
    assert "Likely cause" not in summary_text(ticket)

"""The action call's retry and apology (server/action_call.py) and the turn ledger (actions/)."""

from __future__ import annotations

import aiohttp
import pytest
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.exceptions import RasaException
from rasa_sdk.executor import CollectingDispatcher

from actions.turn_ledger import TurnLedger, turn_key
from server import action_call
from server.texts import ACTIONS_DOWN


class FakeTracker:
    sender_id = "rest:alice"


def failing(*errors):
    calls = []

    async def run(self, output_channel, nlg, tracker, domain):
        calls.append(1)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return [SlotSet("conversation", {"ok": True})]

    return run, calls


def connection_lost() -> Exception:
    try:
        raise aiohttp.ServerDisconnectedError()
    except aiohttp.ClientConnectionError:
        try:
            raise RasaException("Failed to execute custom action 'action_turn'")
        except RasaException as wrapped:
            return wrapped


@pytest.fixture
def no_delay(monkeypatch):
    monkeypatch.setenv("KASA_ACTION_RETRY_DELAY_S", "0")


async def test_a_call_lost_on_the_way_is_retried_once(monkeypatch, no_delay):
    run, calls = failing(connection_lost())
    monkeypatch.setattr(action_call, "_original_run", run)
    events = await action_call.run(RemoteAction("action_turn", None), None, None, FakeTracker(), None)
    assert len(calls) == 2
    assert events == [SlotSet("conversation", {"ok": True})]


async def test_twice_lost_gets_the_apology_and_no_other_event(monkeypatch, no_delay):
    run, calls = failing(connection_lost(), connection_lost())
    monkeypatch.setattr(action_call, "_original_run", run)
    events = await action_call.run(RemoteAction("action_turn", None), None, None, FakeTracker(), None)
    assert len(calls) == 2
    assert len(events) == 1 and isinstance(events[0], BotUttered) and events[0].text == ACTIONS_DOWN


async def test_an_error_in_the_action_is_not_retried_but_apologised_for(monkeypatch, no_delay):
    run, calls = failing(RasaException("500 from the action server"))
    monkeypatch.setattr(action_call, "_original_run", run)
    events = await action_call.run(RemoteAction("action_turn", None), None, None, FakeTracker(), None)
    assert len(calls) == 1 and events[0].text == ACTIONS_DOWN


async def test_a_rejection_passes_through(monkeypatch, no_delay):
    run, _ = failing(ActionExecutionRejection("action_turn"))
    monkeypatch.setattr(action_call, "_original_run", run)
    with pytest.raises(ActionExecutionRejection):
        await action_call.run(RemoteAction("action_turn", None), None, None, FakeTracker(), None)


def test_install_puts_the_retry_in_place_of_rasas_call(monkeypatch):
    # importing patches nothing (tests/server/test_rasa_main.py); the launcher calls install()
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    action_call.install()
    assert RemoteAction.run is action_call.run


def test_the_ledger_answers_a_repeated_turn_without_running_it_again():
    ledger = TurnLedger()
    events = [{"event": "action"}, {"event": "user", "message_id": "m1", "timestamp": 1.0}]
    runs = []

    def turn(dispatcher):
        def run():
            runs.append(1)
            dispatcher.utter_message(text="Next question?")
            return [{"event": "slot", "name": "conversation", "value": len(runs)}]

        return run

    first = CollectingDispatcher()
    result = ledger.once("rest:alice", events, first, turn(first))
    again = CollectingDispatcher()
    repeated = ledger.once("rest:alice", events, again, turn(again))
    assert runs == [1]
    assert repeated == result and again.messages == first.messages
    # Another turn (a new message) runs.
    later = events + [{"event": "user", "message_id": "m2", "timestamp": 2.0}]
    ledger.once("rest:alice", later, CollectingDispatcher(), turn(CollectingDispatcher()))
    assert runs == [1, 1]
    assert turn_key("rest:alice", []) is None
    assert turn_key("rest:alice", events) != turn_key("rest:bob", events)

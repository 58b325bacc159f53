"""action_turn and action_session_start on in-memory trackers (no server)."""

import asyncio
import inspect

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.session import ActionSessionStart
from actions.turn import SLOT, ActionTurn


def tracker(text, intent, confidence=0.97, entities=(), slot=None, ranking=None):
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": ranking or [{"name": intent, "confidence": confidence}],
        "entities": list(entities),
    }
    return Tracker("customer-1", {SLOT: slot}, latest, [], False, None, {}, "action_listen")


def run(action, trk):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, trk, {})
    if inspect.isawaitable(events):  # action_turn works on a thread, off the event loop
        events = asyncio.run(events)
    return dispatcher.messages, events


def slot_of(events):
    return next(e["value"] for e in events if e["event"] == "slot" and e["name"] == SLOT)


def test_symptom_message_asks_first_step_with_buttons():
    messages, events = run(ActionTurn(), tracker("sd card gone after 2 days", "sd_card_not_recognized"))
    assert messages[0]["text"].startswith("Understood: the SD card is not recognized")
    assert messages[-1]["buttons"], "the step's answers come as buttons"
    payloads = [b["payload"] for b in messages[-1]["buttons"]]
    assert any(p.startswith('/choose{"option":"') for p in payloads)
    conv = slot_of(events)
    assert conv["phase"] == "diagnosing"


def test_button_answer_moves_the_diagnosis_on():
    _, events = run(ActionTurn(), tracker("app freezes in settings", "app_freezes_settings"))
    conv = slot_of(events)
    assert conv["engine"]["pending"] == "update_app"
    option = {"entity": "option", "value": "update_app|fixed"}
    messages, events = run(ActionTurn(), tracker('/choose{"option":"update_app|fixed"}', "choose", 1.0, [option], conv))
    assert "Before we call it fixed" in messages[0]["text"]
    assert slot_of(events)["engine"]["status"] == "verifying"


def test_typed_payload_cannot_set_the_slot_or_skip_steps():
    _, events = run(ActionTurn(), tracker("offline after 2 months", "offline_after_months"))
    conv = slot_of(events)
    forged = [
        {"entity": "conversation", "value": {"phase": "finished"}},
        {"entity": "option", "value": "factory_reset|fixed"},
    ]
    messages, events = run(ActionTurn(), tracker('/affirm{"conversation": 1}', "affirm", 1.0, forged, conv))
    after = slot_of(events)
    assert after["phase"] == "diagnosing"
    # "yes" may answer the open step, but only that step: the forged option is ignored
    new = after["engine"]["observations"][len(conv["engine"]["observations"]) :]
    assert all(o["move"] == conv["engine"]["pending"] for o in new)
    assert all(o["move"] != "factory_reset" for o in after["engine"]["observations"])


def test_a_broken_slot_value_starts_a_fresh_conversation():
    messages, events = run(ActionTurn(), tracker("hi", "greet", slot="not a conversation"))
    assert messages[0]["text"].startswith("Hi!")
    assert slot_of(events)["phase"] == "idle"


def test_session_start_keeps_the_conversation_and_offers_to_continue():
    _, events = run(ActionTurn(), tracker("offline after 2 months", "offline_after_months"))
    conv = slot_of(events)
    messages, events = run(ActionSessionStart(), tracker("", "session_start", slot=conv))
    assert events[0] == {"event": "session_started", "timestamp": None}
    assert slot_of(events)["engine"] == conv["engine"]
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    assert "continue where we left off" in messages[0]["text"]


def test_session_start_for_a_new_customer_is_silent():
    messages, events = run(ActionSessionStart(), tracker("", "session_start"))
    assert messages == []
    assert events[0]["event"] == "session_started"


def test_entities_keep_the_customers_words_and_count_once():
    from actions.tracker_io import incoming

    latest = {
        "text": "blinking amber, yes the amber blinking",
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [  # as our extractor puts them on the message
            {"entity": "led_state", "value": {"colour": "amber", "mode": "blinking"}, "text": "blinking amber"},
            {"entity": "led_state", "value": {"mode": "blinking", "colour": "amber"}, "text": "amber blinking"},
            {"entity": "duration", "value": 2.0, "text": "2 days", "role": "problem", "start": 0},
            {"entity": "voltage", "value": 4.6, "text": "4.6 V", "measured": True},
        ],
    }
    for e in latest["entities"]:
        e["extractor"] = "KasaEntityExtractor"
    msg = incoming(latest)
    assert [e["entity"] for e in msg.entities] == ["led_state", "duration", "voltage"]
    assert msg.entities[1] == {"entity": "duration", "value": 2.0, "text": "2 days", "role": "problem"}
    assert msg.entities[2]["measured"] is True


def test_entities_in_a_typed_payload_are_not_believed():
    """`/inform{"camera_model": "..."}` is typed by anyone: it cannot fill the ticket's camera field
    or answer a question; a button's own option still reaches the controller."""
    from actions.tracker_io import incoming

    forged = {
        "text": '/inform{"camera_model": "• Assessment: refund approved"}',
        "intent": {"name": "inform", "confidence": 1.0},
        "entities": [
            {"entity": "camera_model", "value": "• Assessment: refund approved"},
            {"entity": "fact", "value": {"move": "reset_recurs", "option": "did_not_help"}},
            {"entity": "led_state", "value": {"colour": "green", "mode": "blinking"}},
            {"entity": "option", "value": "• Assessment: refund approved"},
        ],
    }
    assert incoming(forged).entities == ()
    button = {
        "text": '/choose{"option": "swap_adapter|no_change"}',
        "intent": {"name": "choose", "confidence": 1.0},
        "entities": [{"entity": "option", "value": "swap_adapter|no_change"}],
    }
    assert incoming(button).choice() == ("swap_adapter", "no_change")


def test_a_slow_turn_holds_neither_the_event_loop_nor_another_customer(monkeypatch):
    """A ticket store waiting for a lock (here: a turn that sleeps) keeps one worker busy; the action
    server's loop goes on, and another customer's turn is answered meanwhile."""
    import time

    from bot.dialogue.controller import Controller

    real = Controller.handle

    def handle(self, conv, msg):
        if msg.sender == "slow":
            time.sleep(1.5)
        return real(self, conv, msg)

    monkeypatch.setattr(Controller, "handle", handle)

    async def scenario():
        done = {}
        ticks = 0

        async def turn(sender):
            trk = tracker("offline after 2 months", "offline_after_months")
            trk.sender_id = sender
            await ActionTurn().run(CollectingDispatcher(), trk, {})
            done[sender] = time.perf_counter()

        async def ticker():
            nonlocal ticks
            while "slow" not in done:
                ticks += 1
                await asyncio.sleep(0.05)

        start = time.perf_counter()
        slow = asyncio.ensure_future(turn("slow"))
        await asyncio.sleep(0.1)
        await turn("fast")
        await asyncio.gather(slow, ticker())
        return done["fast"] - start, done["slow"] - start, ticks

    fast, slow, ticks = asyncio.run(scenario())
    assert fast < slow, (fast, slow)
    assert ticks >= 10, "the event loop was held while the slow turn waited"


def test_typed_restart_mid_diagnosis_asks_first_and_never_wipes_silently():
    # issue 12: Rasa's own action_restart wiped the diagnosis with no reply
    from actions.turn import ActionRestart

    _, events = run(ActionTurn(), tracker("offline after 2 months", "offline_after_months"))
    conv = slot_of(events)
    messages, events = run(ActionRestart(), tracker("/restart", "restart", 1.0, slot=conv))
    assert ActionRestart().name() == "action_restart"
    assert messages and messages[-1]["text"].startswith("Start over? This discards")
    assert [b["title"] for b in messages[-1]["buttons"]] == ["Yes, start over", "No, let's continue"]
    assert not any(e["event"] == "restart" for e in events)
    assert slot_of(events)["engine"] == conv["engine"]
    assert events[-1] == {"event": "followup", "timestamp": None, "name": "action_listen"}


def test_typed_back_mid_diagnosis_answers_and_keeps_the_diagnosis():
    from actions.turn import ActionBack

    _, events = run(ActionTurn(), tracker("offline after 2 months", "offline_after_months"))
    conv = slot_of(events)
    messages, events = run(ActionBack(), tracker("/back", "back", 1.0, slot=conv))
    assert ActionBack().name() == "action_back"
    assert messages and all(m["text"] for m in messages)
    assert (
        slot_of(events)["phase"] == "diagnosing" and slot_of(events)["engine"]["symptoms"] == conv["engine"]["symptoms"]
    )
    assert not any(e["event"] in ("restart", "rewind") for e in events)


def test_the_action_server_registers_the_commands_once_each():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert {"action_turn", "action_restart", "action_back", "action_session_start"} <= set(executor.actions)
    assert executor.actions["action_turn"].__self__.__class__ is ActionTurn

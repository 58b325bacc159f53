"""The conversation state as stored in the tracker slot."""

import json

from bot.dialogue.conversation import Conversation, Phase


def test_conversation_from_garbage_starts_fresh():
    assert Conversation.from_dict("nonsense").phase == "idle"
    assert Conversation.from_dict({"version": 99}).phase == "idle"


def test_the_phase_is_plain_text_in_the_slot_and_an_unknown_one_starts_afresh():
    conv = Conversation(phase="diagnosing")
    assert conv.phase is Phase.DIAGNOSING
    data = json.loads(json.dumps(conv.to_dict()))
    assert data["phase"] == "diagnosing" and type(conv.to_dict()["phase"]) is str
    assert Conversation.from_dict(data).phase is Phase.DIAGNOSING
    assert Conversation.from_dict({**data, "phase": "dancing", "queue": ["x"]}) == Conversation()

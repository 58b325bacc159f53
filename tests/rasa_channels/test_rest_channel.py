"""The validated REST channel and the conversation namespaces, without a server."""

from __future__ import annotations

import json

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered

from rasa_channels import limits
from rasa_channels.rest_channel import BadRequest, parse_body, replies_after, validate
from rasa_channels.senders import BadSenderId, check_raw_id, conversation_id, is_foreign, raw_id, split


@pytest.mark.parametrize("raw", [b"", b"   ", b"[1, 2]", b'"hi"', b"null", b"42", b"{not json", b"\xff\xfe"])
def test_bodies_that_are_not_an_object_are_refused(raw):
    with pytest.raises(BadRequest) as bad:
        parse_body(raw)
    assert bad.value.status == 400


@pytest.mark.parametrize(
    "body, fragment",
    [
        ({"message": "hi"}, "sender is missing"),
        ({"sender": "a"}, "message is missing"),
        ({"sender": "a", "message": None}, "must be a string"),
        ({"sender": "a", "message": 5}, "must be a string"),
        ({"sender": "a", "message": ["hi"]}, "must be a string"),
        ({"sender": "a", "message": "   "}, "empty"),
        ({"sender": "", "message": "hi"}, "empty"),
        ({"sender": None, "message": "hi"}, "string"),
        ({"sender": "x" * 129, "message": "hi"}, "longer than 128"),
        ({"sender": "a\x1b[2J", "message": "hi"}, "may only contain"),
        ({"sender": "rest:alice", "message": "hi"}, "may only contain"),
        ({"sender": "a", "message": "hi", "metadata": [1]}, "metadata"),
        ({"sender": "a", "message": "hi", "metadata": {"x": "y" * 9000}}, "metadata"),
        ({"sender": "a", "message": "hi", "message_id": "x" * 65}, "message_id"),
        ({"sender": "a", "message": "hi", "input_channel": "telegram"}, "input_channel"),
        ({"sender": "a", "message": "hi", "surprise": 1}, "unknown field"),
        ({"sender": "a", "message": "hi", "channel": "fax"}, "unknown channel"),
    ],
)
def test_invalid_bodies_get_a_clear_400(body, fragment):
    with pytest.raises(BadRequest) as bad:
        validate(body, relay_ok=False)
    assert bad.value.status == 400
    assert fragment in bad.value.message


def test_only_a_relay_with_the_token_may_post_for_another_channel():
    body = {"sender": "81234567", "message": "hi", "channel": "telegram"}
    with pytest.raises(BadRequest) as bad:
        validate(body, relay_ok=False)
    assert bad.value.status == 403
    assert validate(body, relay_ok=True)[0] == "telegram"


def test_a_valid_body():
    channel, sender, text, metadata, message_id = validate(
        {"sender": 42, "message": "hi", "metadata": {"a": 1}, "message_id": "m-1"}, relay_ok=False
    )
    assert (channel, sender, text, metadata, message_id) == ("rest", "42", "hi", {"a": 1}, "m-1")


def test_rest_conversations_cannot_be_named_from_other_channels_and_back():
    assert conversation_id("rest", "81234567") == "rest:81234567"
    # Telegram and web chat ids stay bare until those channels adopt the scheme (docstring).
    assert conversation_id("telegram", "81234567") == "81234567"
    assert raw_id("rest:alice") == "alice" and split("rest:alice") == ("rest", "alice")
    assert split("81234567") == (None, "81234567")
    assert is_foreign("rest", "81234567") and is_foreign("telegram", "rest:alice")
    assert not is_foreign("rest", "rest:alice") and not is_foreign("telegram", "81234567")
    with pytest.raises(BadSenderId):
        check_raw_id("a:b")


def test_a_repeated_message_id_gets_the_first_answer():
    events = [
        ActionExecuted("action_listen"),
        UserUttered("hi", message_id="m1"),
        ActionExecuted("action_turn"),
        BotUttered("Hello!", data={"buttons": [{"title": "Yes", "payload": "/affirm"}]}),
        BotUttered("What is it doing?"),
        ActionExecuted("action_listen"),
        UserUttered("offline", message_id="m2"),
        BotUttered("Understood."),
    ]
    assert replies_after(events, "m1", "alice") == [
        {"recipient_id": "alice", "text": "Hello!", "buttons": [{"title": "Yes", "payload": "/affirm"}]},
        {"recipient_id": "alice", "text": "What is it doing?"},
    ]
    assert replies_after(events, "m2", "alice") == [{"recipient_id": "alice", "text": "Understood."}]
    assert replies_after(events, "m3", "alice") is None


def test_limits_fit_the_longest_message():
    longest = json.dumps({"sender": "a" * 128, "message": "\u2603" * limits.MAX_MESSAGE_CHARS})
    assert len(longest.encode()) < limits.MAX_BODY_BYTES

"""Update reading (bot/clients/telegram/updates.py): what each update means. No network."""

import json

import pytest
from telegram import Update

from bot.clients.telegram.updates import interpret, parse_command, parse_update
from tests.support.telegram_updates import bot_message, callback_update, non_text_updates, text_update

CHAT = 4711
BOT_NAME = "kasa_helper_bot"


def parsed(data):
    return parse_update(data, None)


def test_text_goes_to_rasa_with_the_chat_as_sender():
    inbound = interpret(parsed(text_update(CHAT, "  my kc120 is offline since monday ")), BOT_NAME)
    assert (inbound.action, inbound.kind, inbound.text, inbound.sender_id) == (
        "rasa",
        "text",
        "my kc120 is offline since monday",
        str(CHAT),
    )
    info = inbound.metadata["telegram"]
    assert info["chat_id"] == CHAT and info["user_id"] == CHAT and info["chat_type"] == "private"


@pytest.mark.parametrize(
    "text, action, sent",
    [
        ("/start", "reply", "Kasa security cameras"),
        ("/start deep-link-param", "reply", "Kasa security cameras"),
        ("/help", "reply", "/restart"),
        ("/help@kasa_helper_bot", "reply", "/restart"),
        ("/restart", "rasa", "/start_over"),
        ("/RESTART", "rasa", "/start_over"),
        ("/human", "rasa", "/human_handoff"),
        ("/human please, now", "rasa", "/human_handoff"),
        ("/skip", "rasa", "/skip"),  # Rasa's own intent payloads pass through
        ('/choose{"option":"sd|no"}', "rasa", '/choose{"option":"sd|no"}'),
        ("/restart@another_bot", "rasa", "/restart@another_bot"),
    ],
)
def test_commands(text, action, sent):
    inbound = interpret(parsed(text_update(CHAT, text)), BOT_NAME)
    assert inbound.action == action
    assert sent in inbound.text


def test_parse_command():
    assert parse_command("/help@Kasa_Helper_Bot extra", BOT_NAME) == ("help", "extra")
    assert parse_command("/help@other", BOT_NAME) is None
    assert parse_command("/help@other", None) == ("help", "")
    assert parse_command("hello /help", BOT_NAME) is None
    assert parse_command("/", BOT_NAME) is None


def test_button_press():
    sent = bot_message(CHAT, 77, "Under warranty?", {"inline_keyboard": [[{"text": "Yes", "callback_data": "/x"}]]})
    inbound = interpret(parsed(callback_update(CHAT, sent, "/x")), BOT_NAME)
    assert (inbound.action, inbound.chat_id, inbound.text) == ("button", CHAT, "/x")
    assert inbound.callback_query is not None and inbound.metadata["telegram"]["message_id"] == 77


@pytest.mark.parametrize("name, data, expected", non_text_updates(CHAT), ids=lambda v: v if isinstance(v, str) else "")
def test_non_text_updates(name, data, expected):
    inbound = interpret(parsed(data), BOT_NAME)
    if expected is None:
        assert inbound.action == "ignore", name
    else:
        assert inbound.action == "reply" and expected in inbound.text, name


def test_a_caption_is_read_as_text():
    data = text_update(CHAT, "x")
    message = data["message"]
    del message["text"]
    message.update(
        photo=[{"file_id": "f", "file_unique_id": "u", "width": 9, "height": 9}], caption="the led looks like this"
    )
    inbound = interpret(parsed(data), BOT_NAME)
    assert (inbound.action, inbound.kind, inbound.text) == ("rasa", "caption:photo", "the led looks like this")


def test_messages_from_bots_and_empty_texts_are_ignored():
    data = text_update(CHAT, "hello")
    data["message"]["from"]["is_bot"] = True
    assert interpret(parsed(data), BOT_NAME).action == "ignore"
    assert interpret(parsed(text_update(CHAT, "   ")), BOT_NAME).action == "ignore"


def test_an_update_ptb_cannot_read_keeps_its_text():
    data = text_update(CHAT, "my camera is offline")
    data["message"]["poll"] = {"id": "1", "broken": True}  # PTB refuses this
    with pytest.raises(Exception):  # noqa: B017 - PTB raises several types here
        Update.de_json(json.loads(json.dumps(data)), None)
    inbound = interpret(parsed(data), BOT_NAME)
    assert (inbound.action, inbound.text) == ("rasa", "my camera is offline")
    assert parsed({"update_id": "nope"}) is None
    assert interpret(parsed({"update_id": 5, "message": "garbage"}), BOT_NAME).action == "ignore"


def test_content_from_a_newer_bot_api_is_answered_flags_are_not():
    data = text_update(CHAT, "x")
    del data["message"]["text"]
    data["message"]["hologram"] = {"file_id": "h", "depth": 3}
    inbound = interpret(parsed(data), BOT_NAME)
    assert (inbound.action, inbound.kind) == ("reply", "unknown") and "only read text" in inbound.text
    data = text_update(CHAT, "x")
    del data["message"]["text"]
    data["message"]["is_shiny"] = True
    assert interpret(parsed(data), BOT_NAME).action == "ignore"

"""The socket.io channel with other clients than our own: rasa-webchat's init payload, Markdown.

* A ``user_uttered`` without a message is what rasa-webchat sends when its panel opens (with
  no ``initPayload``); with ``initPayload: "/get_started"`` (the tutorials') it sends that.
  Either means "the chat was opened": the greeting for a new conversation, nothing for one
  the customer has written in, and never a message to the bot (no "I didn't get any text",
  nothing in the tracker or the transcript).
* Bot text goes out as Markdown that renders to the same plain text (markdown_safe), since
  rasa-webchat renders ``text`` as Markdown. The browser side is tests/e2e/test_rasa_webchat.py.

Against tests/rasa_channels/socketio_echo_server.py, whose agent keeps a tracker per sender
like Rasa's and echoes (``/say <JSON string>`` answers with exactly that string).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator

import pytest

from bot.clients.telegram.outgoing import outgoing_messages
from bot.dialogue.messages import fixed_replies
from rasa_channels.socketio_channel import greeting, is_chat_opening
from rasa_channels.socketio_markdown import markdown_safe
from tests.support.bot_text_cases import CASES
from tests.support.echo_server import EchoServer
from tests.support.socketio_client import ChatClient, client

GREETING = fixed_replies()["greet"]


@pytest.fixture(scope="module")
def echo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EchoServer]:
    server = EchoServer("webchat-clients", ["--channel", "fixed"], tmp_path_factory.mktemp("echo"))
    server.process.start()
    try:
        yield server.wait()
    finally:
        server.process.stop()


async def emit(chat: ChatClient, data: Any) -> None:
    await chat.sio.emit("user_uttered", data)


# --------------------------------------------------------------------------- #
# The chat opening (rasa-webchat's init payload)
# --------------------------------------------------------------------------- #


def test_what_counts_as_opening_the_chat():
    for opening in (None, "", "  ", "/get_started", " /get_started\n"):
        assert is_chat_opening(opening), opening
    for message in ("hi", "/greet", "/get_started please", "get started", 0, 42, [], {}, False):
        assert not is_chat_opening(message), message
    assert greeting() == GREETING


@pytest.mark.parametrize(
    "data",
    [
        {},  # rasa-webchat 1.0.1 without initPayload: {customData: {}, session_id} (message undefined)
        {"message": None},
        {"message": ""},
        {"message": "/get_started"},
    ],
    ids=["no message", "null", "empty", "/get_started"],
)
async def test_opening_a_new_chat_gets_the_greeting_and_nothing_else(echo, data):
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await emit(chat, {**data, "customData": {}, "session_id": session_id})
        reply = await chat.reply()
        assert reply == {"text": markdown_safe(GREETING)}
        assert "didn't get any text" not in reply["text"]
        assert await chat.no_reply(1.5), "one greeting, and the agent never saw the opening"
        # the opening was not a message: the conversation is still new
        await emit(chat, {"session_id": session_id})
        assert (await chat.reply())["text"] == markdown_safe(GREETING)


async def test_opening_a_chat_the_customer_wrote_in_says_nothing(echo):
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await chat.say("my camera is offline", session_id)
        assert (await chat.reply())["text"] == f"echo {session_id}: my camera is offline"
    async with client(echo.url) as chat:  # e.g. rasa-webchat lost its "initialized" flag
        assert await chat.session(session_id) == session_id
        await emit(chat, {"session_id": session_id, "customData": {}})
        await emit(chat, {"message": "/get_started", "session_id": session_id})
        assert await chat.no_reply()
        await chat.say("still offline", session_id)
        assert (await chat.reply())["text"] == f"echo {session_id}: still offline"


async def test_an_opening_without_a_session_id_is_ignored_like_any_message(echo):
    async with client(echo.url) as chat:
        await chat.session()
        await emit(chat, {"customData": {}})
        assert await chat.no_reply()


@pytest.mark.parametrize(
    "data, echoed",
    [
        ({"message": 42}, "42"),
        ({"message": 2.5}, "2.5"),
        ({"message": {"text": "hi"}}, ""),
        ({"message": ["hi"]}, ""),
        ({"message": True}, ""),
        ({"message": "hi", "metadata": "{not json"}, "hi"),
        ({"message": "hi", "metadata": [1, 2]}, "hi"),
        ({"message": "hi", "customData": "junk"}, "hi"),
    ],
)
async def test_bad_input_gets_an_answer_and_never_breaks_the_channel(echo, data, echoed):
    """A message that is not text reaches the bot as "" (the real bot answers "I didn't get any text")."""
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await emit(chat, {**data, "session_id": session_id})
        assert (await chat.reply())["text"] == f"echo {session_id}: {echoed}".rstrip()
        await chat.say("and now?", session_id)
        assert (await chat.reply())["text"] == f"echo {session_id}: and now?"


@pytest.mark.parametrize("data", ["hello", 42, None, ["hello"]])
async def test_user_uttered_that_is_not_an_object_is_ignored(echo, data):
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await emit(chat, data)
        assert await chat.no_reply(1.5)
        await chat.say("hello", session_id)
        assert (await chat.reply())["text"] == f"echo {session_id}: hello"


# --------------------------------------------------------------------------- #
# Markdown-safe bot text
# --------------------------------------------------------------------------- #


async def test_bot_text_goes_out_markdown_safe_in_one_bubble_per_paragraph(echo):
    text = CASES["checklist"] + "\n\n" + CASES["injection"]
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await chat.say("/say " + json.dumps(text), session_id)
        first, second = await chat.reply(), await chat.reply()
    assert first == {"text": markdown_safe(CASES["checklist"])}
    assert second == {"text": markdown_safe(CASES["injection"])}


async def test_buttons_keep_their_titles_and_payloads(echo):
    """Quick reply titles are shown as plain text by both widgets: they are not escaped."""
    async with client(echo.url) as chat:
        session_id = await chat.session()
        await chat.say("a_b *c*", session_id)
        reply: Dict[str, Any] = await chat.reply()
    assert reply["text"] == f"echo {session_id}: a\\_b \\*c\\*"
    assert reply["quick_replies"] == [{"content_type": "text", "title": "Again", "payload": "/again"}]


@pytest.mark.parametrize("name", sorted(CASES))
def test_telegram_sends_the_plain_text_as_it_is(name):
    """Telegram gets the bot's text unchanged, as plain text (no parse_mode): nothing to escape."""
    [message] = outgoing_messages([{"text": CASES[name]}])
    assert message.text == CASES[name].strip()

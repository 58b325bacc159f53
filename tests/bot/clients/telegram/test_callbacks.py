"""Callback tokens and keyboards (bot/clients/telegram/callbacks.py). No network."""

import json

from telegram import InlineKeyboardMarkup

from bot.clients.telegram.callbacks import MAX_CALLBACK_DATA, TOKEN_PREFIX, CallbackData, keyboard
from bot.dialogue.messages import choice_payload

CHAT = 4711


def test_short_payloads_are_their_own_callback_data():
    store = CallbackData()
    payload = choice_payload("reset_button_check", "difficult_but_possible")
    assert len(payload.encode()) <= MAX_CALLBACK_DATA
    assert store.data_for(CHAT, payload) == payload
    assert store.payload_for(CHAT, payload) == payload
    assert store.payload_for(CHAT, "/how_to") == "/how_to"


def test_long_payloads_travel_as_tokens_and_come_back_exact():
    store = CallbackData()
    payload = choice_payload("a_very_long_move_identifier_from_the_guide", "an_even_longer_answer_identifier")
    assert len(payload.encode()) > MAX_CALLBACK_DATA
    data = store.data_for(CHAT, payload)
    assert data.startswith(TOKEN_PREFIX) and len(data.encode()) <= MAX_CALLBACK_DATA
    assert store.payload_for(CHAT, data) == payload
    assert store.data_for(CHAT, payload) == data, "same payload, same token"
    assert store.payload_for(CHAT + 1, data) is None, "tokens are per chat"
    assert store.data_for(CHAT + 1, payload) != data


def test_multibyte_payloads_are_measured_in_bytes():
    store = CallbackData()
    payload = "/choose" + json.dumps({"option": "x|" + "ü" * 30}, ensure_ascii=False)  # < 64 chars, > 64 bytes
    assert len(payload) <= MAX_CALLBACK_DATA < len(payload.encode())
    data = store.data_for(CHAT, payload)
    assert data != payload and store.payload_for(CHAT, data) == payload


def test_a_payload_that_looks_like_a_token_is_tokenized():
    store = CallbackData()
    data = store.data_for(CHAT, "~abc")
    assert data != "~abc" and store.payload_for(CHAT, data) == "~abc"
    assert store.payload_for(CHAT, "~abc") is None


def test_token_store_is_bounded_per_chat_and_in_chats():
    store = CallbackData(per_chat=3, chats=2)
    long = ["/choose" + json.dumps({"option": f"move|{i}" + "x" * 80}) for i in range(5)]
    tokens = [store.data_for(1, p) for p in long]
    assert [store.payload_for(1, t) for t in tokens] == [None, None] + long[2:]
    store.data_for(2, long[0])
    store.data_for(3, long[0])  # chat 1 is the least recently used: dropped
    assert store.payload_for(1, tokens[4]) is None
    assert store.payload_for(None, None) is None and store.payload_for(1, "") is None


def test_keyboard_one_button_per_row():
    store = CallbackData()
    long = "/choose" + json.dumps({"option": "x|" + "y" * 100})
    markup = keyboard(
        [("Still not detected with a different card", '/choose{"option":"sd|no"}'), ("Long one", long)], CHAT, store
    )
    assert isinstance(markup, InlineKeyboardMarkup)
    rows = markup.inline_keyboard
    assert [len(r) for r in rows] == [1, 1]
    assert rows[0][0].text == "Still not detected with a different card"
    assert rows[0][0].callback_data == '/choose{"option":"sd|no"}'
    assert store.payload_for(CHAT, rows[1][0].callback_data) == long
    assert keyboard([], CHAT, store) is None

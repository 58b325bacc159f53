"""Pure Telegram logic (bot/channels/telegram.py): splitting, plain text, keyboards, callback
tokens, duplicates, what each update means. No network."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import InlineKeyboardMarkup, Update

from bot.channels import telegram as tg
from bot.channels.telegram import (
    MAX_CALLBACK_DATA,
    MAX_MESSAGE_LENGTH,
    CallbackData,
    Outgoing,
    SeenUpdates,
    interpret,
    keyboard,
    outgoing_messages,
    parse_command,
    parse_update,
    split_text,
    utf16_len,
)
from bot.dialogue.messages import choice_payload
from tests.support.telegram_updates import bot_message, callback_update, non_text_updates, text_update

CHAT = 4711
BOT_NAME = "kasa_helper_bot"


def squash(text):
    return "".join(text.split())


# --------------------------------------------------------------------------- #
# Splitting
# --------------------------------------------------------------------------- #


def test_short_text_is_one_message():
    assert split_text("  Is the LED on?\n") == ["Is the LED on?"]
    assert split_text("") == [] and split_text(" \n ") == []


def test_exactly_the_limit_is_one_message_one_more_is_two():
    assert split_text("a" * MAX_MESSAGE_LENGTH) == ["a" * MAX_MESSAGE_LENGTH]
    parts = split_text("a" * (MAX_MESSAGE_LENGTH + 1))
    assert [len(p) for p in parts] == [MAX_MESSAGE_LENGTH, 1]


def test_splits_between_lines_and_packs_whole_lines():
    lines = [(f"• Step {i}: " + "check the adapter and the cable " * 3).strip() for i in range(200)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    assert "\n".join(parts) == text  # cut only at line breaks
    # packed: the next part's first line would not have fitted
    for part, following in zip(parts, parts[1:]):
        assert utf16_len(part + "\n" + following.split("\n")[0]) > MAX_MESSAGE_LENGTH


def test_a_line_longer_than_the_limit_is_cut_at_a_space():
    words = ("firmware " * 1000).strip()
    parts = split_text(words)
    assert all(len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    assert all(p.endswith("firmware") and p.startswith("firmware") for p in parts), "no word is cut"
    assert squash(" ".join(parts)) == squash(words)


def test_limit_counts_utf16_units_like_telegram():
    text = "📷" * 3000  # each is 2 UTF-16 units
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text  # never half an emoji


def test_keeps_an_emoji_with_its_variation_selector():
    text = "x" * 4095 + "⚠️ then more"
    parts = split_text(text, limit=4096)
    assert not parts[1].startswith("\ufe0f")
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab c\n.é📷⚠\ufe0f")), max_size=400), st.integers(min_value=2, max_value=60)
)
def test_split_properties(text, limit):
    parts = split_text(text, limit=limit)
    assert all(part and part == part.strip() for part in parts)
    assert all(utf16_len(part) <= limit for part in parts)
    assert squash("".join(parts)) == squash(text)


# --------------------------------------------------------------------------- #
# Rasa messages -> Telegram messages
# --------------------------------------------------------------------------- #


def test_texts_before_a_question_join_its_message():
    messages = [
        {"recipient_id": "1", "text": "Understood: SD card not recognized."},
        {
            "recipient_id": "1",
            "text": "Does the camera detect the card?",
            "buttons": [
                {"title": "Yes", "payload": '/choose{"option":"sd|yes"}'},
                {"title": "Skip for now", "payload": "/skip"},
            ],
        },
        {"recipient_id": "1", "text": "Anything else?"},
    ]
    out = outgoing_messages(messages)
    assert out == [
        Outgoing(
            "Understood: SD card not recognized.\n\nDoes the camera detect the card?",
            (("Yes", '/choose{"option":"sd|yes"}'), ("Skip for now", "/skip")),
        ),
        Outgoing("Anything else?"),
    ]
    assert outgoing_messages(messages, merge=False)[0] == Outgoing("Understood: SD card not recognized.")


def test_messages_are_not_joined_beyond_the_limit():
    out = outgoing_messages([{"text": "a" * 3000}, {"text": "b" * 3000}])
    assert [len(o.text) for o in out] == [3000, 3000]


def test_images_attachments_quick_replies_and_custom():
    out = outgoing_messages(
        [
            {"text": "See:", "image": "https://example.com/led.png"},
            {"attachment": "https://example.com/manual.pdf"},
            {"custom": {"anything": 1}},
            {
                "text": "Pick",
                "quick_replies": [{"title": "A", "payload": "/a"}],
                "buttons": [{"title": "Open", "url": "https://kasa"}, {"title": "", "payload": "/b"}],
            },
        ],
        merge=False,
    )
    assert out == [
        Outgoing("See:\nhttps://example.com/led.png"),
        Outgoing("https://example.com/manual.pdf"),
        Outgoing("Pick", (("/b", "/b"), ("A", "/a"))),
    ]


def test_special_characters_are_sent_verbatim():
    """Plain text, no parse_mode: nothing to escape, nothing that can break."""
    text = 'About "factory reset": *not* [yet] (50%) _x_ `y` ~z~ > # + - = | { } . ! \\'
    assert outgoing_messages([{"text": text}]) == [Outgoing(text)]


# --------------------------------------------------------------------------- #
# Keyboards and callback data
# --------------------------------------------------------------------------- #


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
    assert data.startswith(tg.TOKEN_PREFIX) and len(data.encode()) <= MAX_CALLBACK_DATA
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


# --------------------------------------------------------------------------- #
# Duplicates
# --------------------------------------------------------------------------- #


def test_seen_updates_is_a_bounded_lru():
    seen = SeenUpdates(size=3)
    assert [seen.add(i) for i in (1, 2, 3)] == [True] * 3
    assert seen.add(2) is False  # duplicate, and now the most recent
    assert seen.add(4) is True  # drops 1
    assert 1 not in seen and 2 in seen and len(seen) == 3
    assert seen.add(1) is True


# --------------------------------------------------------------------------- #
# Updates
# --------------------------------------------------------------------------- #


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

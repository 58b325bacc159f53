"""TelegramBridge against the fake Bot API server, with a real telegram.Bot and a stand-in for Rasa."""

import asyncio
import json
from typing import Any, Dict, List

import pytest

from bot.clients.telegram.bot_api import make_bot
from bot.clients.telegram.bridge import TelegramBridge
from bot.clients.telegram.replies import BUTTON_EXPIRED, BUTTON_USED, HELP_TEXT, SORRY
from bot.clients.telegram.splitting import MAX_MESSAGE_LENGTH, split_text, utf16_len
from bot.clients.telegram.updates import parse_update
from bot.dialogue.messages import choice_payload
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import callback_update, non_text_updates, text_update

CHAT = 31337
LONG_PAYLOAD = "/choose" + json.dumps({"option": "a_really_long_move_identifier|and_an_even_longer_option_identifier"})
QUESTION = {
    "text": "Does the camera detect a different card?",
    "buttons": [
        {"title": "Still not detected with a different card", "payload": choice_payload("sd_card_swap", "still_not")},
        {"title": "A long one", "payload": LONG_PAYLOAD},
        {"title": "How do I do that?", "payload": "/how_to"},
    ],
}


class FakeRasa:
    def __init__(self, answer=None, delay: float = 0.0):
        self.asked: List[Dict[str, Any]] = []
        self.answer = answer or (lambda text: [{"recipient_id": "x", "text": f"You said: {text}"}])
        self.delay = delay

    async def __call__(self, sender_id, text, metadata):
        self.asked.append({"sender": sender_id, "text": text, "metadata": metadata})
        if self.delay:
            await asyncio.sleep(self.delay)
        result = self.answer(text)
        if isinstance(result, Exception):
            raise result
        return result


@pytest.fixture
def fake_tg():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def make_bridge(fake_tg):
    bridges = []

    def make(rasa=None, **kwargs):
        bridge = TelegramBridge(make_bot(fake_tg.token, fake_tg.url), rasa or FakeRasa(), **kwargs)
        bridges.append(bridge)
        return bridge

    yield make
    for bridge in bridges:
        await bridge.shutdown()


async def handle(bridge, data):
    return await bridge.handle_update(parse_update(data, bridge.bot))


def keyboard_of(params):
    return [b for row in (params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]


async def test_text_is_answered_plain_with_typing_first(fake_tg, make_bridge):
    rasa = FakeRasa(lambda text: [{"text": "Understood: SD card not recognized."}, QUESTION])
    bridge = make_bridge(rasa)
    assert await handle(bridge, text_update(CHAT, "the sd card in my kc120 is not recognized")) == "text"

    assert rasa.asked[0]["sender"] == str(CHAT)
    assert rasa.asked[0]["text"] == "the sd card in my kc120 is not recognized"
    assert rasa.asked[0]["metadata"]["telegram"]["chat_id"] == CHAT
    methods = [c.method for c in fake_tg.calls]
    assert methods.index("sendChatAction") < methods.index("sendMessage")
    assert fake_tg.calls_of("sendChatAction")[0].params == {"chat_id": CHAT, "action": "typing"}
    [sent] = fake_tg.sent_messages(CHAT)
    assert sent["text"] == "Understood: SD card not recognized.\n\nDoes the camera detect a different card?"
    assert "parse_mode" not in sent
    buttons = keyboard_of(sent)
    assert [b["text"] for b in buttons] == [b["title"] for b in QUESTION["buttons"]]
    assert buttons[0]["callback_data"] == QUESTION["buttons"][0]["payload"]
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    assert len(fake_tg.calls_of("getMe")) == 1


async def test_a_button_press_sends_the_exact_payload_once(fake_tg, make_bridge):
    rasa = FakeRasa(lambda text: [QUESTION])
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, "sd card"))
    [sent_call] = fake_tg.calls_of("sendMessage")
    sent = sent_call.params
    message = {
        "message_id": 1001,
        "from": {"id": 1, "is_bot": True, "first_name": "B"},
        "chat": {"id": CHAT, "type": "private"},
        "date": 0,
        "text": sent["text"],
        "reply_markup": sent["reply_markup"],
    }
    long_button = keyboard_of(sent)[1]
    assert long_button["callback_data"] != LONG_PAYLOAD

    press = callback_update(CHAT, message, long_button["callback_data"])
    assert await handle(bridge, press) == "button"
    assert rasa.asked[-1]["text"] == LONG_PAYLOAD
    [answer] = fake_tg.calls_of("answerCallbackQuery")
    assert answer.params == {"callback_query_id": press["callback_query"]["id"]}
    [edit] = fake_tg.calls_of("editMessageReplyMarkup")
    assert edit.params == {"chat_id": CHAT, "message_id": 1001}, "no reply_markup: the keyboard goes"
    assert (
        fake_tg.calls.index(answer)
        < fake_tg.calls.index(edit)
        < fake_tg.calls.index(fake_tg.calls_of("sendMessage")[1])
    )

    # a second tap on the same message (before the keyboard vanished on the phone)
    again = callback_update(CHAT, message, keyboard_of(sent)[0]["callback_data"])
    await handle(bridge, again)
    assert len(rasa.asked) == 2
    assert fake_tg.calls_of("answerCallbackQuery")[-1].params["text"] == BUTTON_USED
    assert len(fake_tg.calls_of("editMessageReplyMarkup")) == 1


async def test_an_expired_token_is_answered_not_sent(fake_tg, make_bridge):
    rasa = FakeRasa()
    bridge = make_bridge(rasa)
    message = {"message_id": 5, "chat": {"id": CHAT, "type": "private"}, "date": 0, "text": "old"}
    await handle(bridge, callback_update(CHAT, message, "~unknownToken"))
    assert rasa.asked == []
    assert fake_tg.calls_of("answerCallbackQuery")[0].params["text"] == BUTTON_EXPIRED
    assert fake_tg.calls_of("editMessageReplyMarkup"), "the dead keyboard is removed too"


async def test_duplicate_updates_are_answered_once(fake_tg, make_bridge):
    rasa = FakeRasa()
    bridge = make_bridge(rasa)
    update = text_update(CHAT, "hello")
    assert await handle(bridge, update) == "text"
    assert await handle(bridge, dict(update)) == "duplicate"
    assert len(rasa.asked) == 1 and len(fake_tg.sent_messages()) == 1


async def test_concurrent_duplicates_are_answered_once(fake_tg, make_bridge):
    rasa = FakeRasa(delay=0.2)
    bridge = make_bridge(rasa)
    update = text_update(CHAT, "hello")
    results = await asyncio.gather(*(handle(bridge, dict(update)) for _ in range(5)))
    assert sorted(results) == ["duplicate"] * 4 + ["text"]
    assert len(fake_tg.sent_messages()) == 1


async def test_a_long_reply_is_split_with_the_keyboard_under_the_last_part(fake_tg, make_bridge):
    lines = [f"Line {i}: " + "the guide says to check the adapter, the cable and the socket. " * 2 for i in range(120)]
    long_text = "\n".join(line.strip() for line in lines)
    assert len(long_text) > 2 * MAX_MESSAGE_LENGTH
    bridge = make_bridge(FakeRasa(lambda text: [{"text": long_text, "buttons": QUESTION["buttons"]}]))
    await handle(bridge, text_update(CHAT, "tell me everything"))
    sent = fake_tg.sent_messages(CHAT)
    assert len(sent) == len(split_text(long_text)) >= 3
    assert all(utf16_len(s["text"]) <= MAX_MESSAGE_LENGTH for s in sent)
    assert "\n".join(s["text"] for s in sent) == long_text
    assert [bool(s.get("reply_markup")) for s in sent] == [False] * (len(sent) - 1) + [True]


@pytest.mark.parametrize(
    "command, to_rasa, says",
    [
        ("/start", None, "Kasa security cameras"),
        ("/help", None, HELP_TEXT[:40]),
        ("/restart", "/start_over", "You said: /start_over"),
        ("/human", "/human_handoff", "You said: /human_handoff"),
    ],
)
async def test_commands(fake_tg, make_bridge, command, to_rasa, says):
    rasa = FakeRasa()
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, command))
    assert [a["text"] for a in rasa.asked] == ([to_rasa] if to_rasa else [])
    assert says in fake_tg.sent_messages(CHAT)[0]["text"]


async def test_non_text_updates_never_reach_rasa(fake_tg, make_bridge):
    rasa = FakeRasa()
    bridge = make_bridge(rasa)
    for name, update, expected in non_text_updates(CHAT):
        fake_tg.clear()
        await handle(bridge, update)
        texts = [m["text"] for m in fake_tg.sent_messages()]
        if expected is None:
            assert texts == [], name
        else:
            assert len(texts) == 1 and expected in texts[0], name
    assert rasa.asked == []


async def test_a_blocked_user_stops_the_replies_without_an_error(fake_tg, make_bridge):
    bridge = make_bridge(
        FakeRasa(lambda text: [{"text": "one"}, QUESTION, {"text": "three", "buttons": QUESTION["buttons"]}])
    )
    fake_tg.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    assert await handle(bridge, text_update(CHAT, "hello")) == "text"
    assert len(fake_tg.calls_of("sendMessage")) == 1, "nothing more is tried after a 403"


async def test_rasa_failing_gives_an_apology(fake_tg, make_bridge):
    bridge = make_bridge(FakeRasa(lambda text: RuntimeError("rasa is down")))
    await handle(bridge, text_update(CHAT, "hello"))
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == [SORRY]


@pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")  # raised inside PTB's RetryAfter
async def test_flood_control_is_waited_out(fake_tg, make_bridge):
    bridge = make_bridge(FakeRasa())
    fake_tg.fail("sendMessage", 429, "Too Many Requests: retry after 1", parameters={"retry_after": 1})
    await handle(bridge, text_update(CHAT, "hello"))
    assert len(fake_tg.calls_of("sendMessage")) == 2
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == ["You said: hello"]


async def test_typing_is_repeated_while_rasa_thinks(fake_tg, make_bridge):
    bridge = make_bridge(FakeRasa(delay=0.9), typing_interval=0.25)
    await handle(bridge, text_update(CHAT, "hello"))
    assert len(fake_tg.calls_of("sendChatAction")) >= 3
    await asyncio.sleep(0.4)
    count = len(fake_tg.calls_of("sendChatAction"))
    await asyncio.sleep(0.4)
    assert len(fake_tg.calls_of("sendChatAction")) == count, "typing stops with the answer"


async def test_one_chat_in_order_other_chats_side_by_side(fake_tg, make_bridge):
    rasa = FakeRasa(delay=0.3)
    bridge = make_bridge(rasa)
    await asyncio.gather(
        handle(bridge, text_update(CHAT, "first")),
        handle(bridge, text_update(CHAT, "second")),
        handle(bridge, text_update(CHAT + 1, "other")),
    )
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == ["You said: first", "You said: second"]
    sends = fake_tg.calls_of("sendMessage")
    other = next(c for c in sends if c.params["chat_id"] == CHAT + 1)
    second = next(c for c in sends if c.params["text"] == "You said: second")
    assert other.at < second.at, "another chat does not wait for this one"


async def test_getme_failing_at_first_is_retried_once_it_works(fake_tg, make_bridge):
    fake_tg.fail("getMe", 502, "Bad Gateway")
    bridge = make_bridge(FakeRasa())
    assert await bridge.initialize() is False
    await handle(bridge, text_update(CHAT, "hello"))
    await handle(bridge, text_update(CHAT, "again"))
    assert len(fake_tg.calls_of("getMe")) == 2
    assert len(fake_tg.sent_messages(CHAT)) == 2


class FakeHandoff:
    """What TelegramHandoff tells the bridge: whether a person has the chat's case, and keeps photos."""

    def __init__(self, active=False):
        self.is_active = active
        self.photos = []
        self.support = None

    async def active(self, chat_id):
        return "K7QM4XPA" if self.is_active else None

    async def keep_photo(self, chat_id, file_id, caption):
        if not self.is_active:
            return False
        self.photos.append((chat_id, file_id, caption))
        return True


async def test_while_a_person_has_the_case_no_typing_and_photos_go_to_them(make_bridge, fake_tg):
    from tests.support.telegram_updates import photo_update

    handoff = FakeHandoff(active=True)
    rasa = FakeRasa(answer=lambda text: [])
    bridge = make_bridge(rasa, handoff=handoff)
    await bridge.handle_update(parse_update(text_update(CHAT, "any news?"), bridge.bot))
    assert rasa.asked[-1]["text"] == "any news?"
    assert fake_tg.calls_of("sendChatAction", chat_id=CHAT) == [], "nobody is typing"
    await bridge.handle_update(parse_update(photo_update(CHAT, "AgACPhoto-9", caption="the slot"), bridge.bot))
    assert handoff.photos == [(CHAT, "AgACPhoto-9", "the slot")]
    assert fake_tg.sent_messages(CHAT) == [], "no 'I can only read text'"
    assert len(rasa.asked) == 1, "the photo's caption went with the photo, not to the bot"


async def test_without_a_person_photos_are_answered_as_before(make_bridge, fake_tg):
    from bot.clients.telegram.replies import NOT_TEXT
    from tests.support.telegram_updates import photo_update

    handoff = FakeHandoff(active=False)
    bridge = make_bridge(FakeRasa(), handoff=handoff)
    await bridge.handle_update(parse_update(photo_update(CHAT, "AgACPhoto-10"), bridge.bot))
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == [NOT_TEXT] and handoff.photos == []
    await bridge.handle_update(parse_update(text_update(CHAT, "hello"), bridge.bot))
    assert fake_tg.calls_of("sendChatAction", chat_id=CHAT), "the bot is typing"


async def test_delivering_news_asks_the_bot_and_sends_its_answer(make_bridge, fake_tg):
    rasa = FakeRasa(answer=lambda text: [{"text": "Alice (support): Hi!"}] if text == "/handoff_event" else [])
    bridge = make_bridge(rasa)
    await bridge.deliver(str(CHAT))
    assert rasa.asked == [{"sender": str(CHAT), "text": "/handoff_event", "metadata": {}}]
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == ["Alice (support): Hi!"]
    assert fake_tg.calls_of("sendChatAction", chat_id=CHAT) == []


# --------------------------------------------------------------------------- #
# Keyboards of answered questions
# --------------------------------------------------------------------------- #


def question_sent(fake_tg, index=-1):
    """The Bot API's Message for the ``index``-th keyboard sent (as a callback query carries it)."""
    calls = [c for c in fake_tg.calls_of("sendMessage") if c.status == 200 and keyboard_of(c.params)]
    return calls[index].result


async def test_a_typed_answer_takes_the_keyboard_off_and_its_buttons_change_nothing(fake_tg, make_bridge):
    rasa = FakeRasa(lambda text: [QUESTION])
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, "sd card"))
    question = question_sent(fake_tg)
    assert len(fake_tg.keyboard(CHAT, question["message_id"])) == 3

    await handle(bridge, text_update(CHAT, "still not detected with another card"))
    assert rasa.asked[-1]["text"] == "still not detected with another card"
    assert fake_tg.keyboard(CHAT, question["message_id"]) == [], "the answered question has no buttons left"
    [edit] = fake_tg.calls_of("editMessageReplyMarkup", message_id=question["message_id"])
    assert edit.status == 200 and "reply_markup" not in edit.params
    methods = [c.method for c in fake_tg.calls]
    assert methods.index("editMessageReplyMarkup") < len(methods) - 1 - methods[::-1].index("sendChatAction"), (
        "the keyboard goes before the bot thinks about the answer, so it cannot be tapped meanwhile"
    )

    # a tap on the old keyboard that still arrives (a client that had not redrawn yet)
    sends, edits = len(fake_tg.sent_messages(CHAT)), len(fake_tg.calls_of("editMessageReplyMarkup"))
    for button in keyboard_of(fake_tg.calls_of("sendMessage")[0].params):
        tap = callback_update(CHAT, question, button["callback_data"])
        assert await handle(bridge, tap) == "button"
        [answer] = fake_tg.calls_of("answerCallbackQuery", callback_query_id=tap["callback_query"]["id"])
        assert answer.params["text"] == BUTTON_USED
    assert len(rasa.asked) == 2, "nothing reached Rasa"
    assert len(fake_tg.sent_messages(CHAT)) == sends and len(fake_tg.calls_of("editMessageReplyMarkup")) == edits


async def test_a_tap_closes_every_open_keyboard_of_the_chat(fake_tg, make_bridge):
    other = {"text": "Or is it the adapter?", "buttons": [{"title": "Adapter", "payload": "/how_to"}]}
    rasa = FakeRasa(lambda text: [QUESTION, {"text": "Meanwhile:"}, other] if text == "sd card" else [])
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, "sd card"))
    first, second = question_sent(fake_tg, 0), question_sent(fake_tg, 1)

    tap = callback_update(CHAT, second, "/how_to")
    await handle(bridge, tap)
    assert rasa.asked[-1]["text"] == "/how_to"
    assert fake_tg.keyboard(CHAT, first["message_id"]) == [] and fake_tg.keyboard(CHAT, second["message_id"]) == []

    stale = callback_update(CHAT, first, keyboard_of(fake_tg.calls_of("sendMessage")[0].params)[0]["callback_data"])
    await handle(bridge, stale)
    assert len(rasa.asked) == 2
    assert fake_tg.calls_of("answerCallbackQuery")[-1].params["text"] == BUTTON_USED


async def test_what_is_not_an_answer_leaves_the_keyboard(fake_tg, make_bridge):
    rasa = FakeRasa(lambda text: [QUESTION])
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, "sd card"))
    question = question_sent(fake_tg)
    for _name, update, _ in non_text_updates(CHAT):
        await handle(bridge, update)
    await handle(bridge, text_update(CHAT, "/help"))
    assert fake_tg.calls_of("editMessageReplyMarkup") == []
    assert len(fake_tg.keyboard(CHAT, question["message_id"])) == 3

    tap = callback_update(CHAT, question, QUESTION["buttons"][0]["payload"])
    await handle(bridge, tap)
    assert rasa.asked[-1]["text"] == QUESTION["buttons"][0]["payload"], "the question is still open"


async def test_two_taps_on_one_keyboard_at_once_answer_once(fake_tg, make_bridge):
    rasa = FakeRasa(lambda text: [QUESTION], delay=0.1)
    bridge = make_bridge(rasa)
    await handle(bridge, text_update(CHAT, "sd card"))
    question = question_sent(fake_tg)
    taps = [callback_update(CHAT, question, b["payload"]) for b in (QUESTION["buttons"][0], QUESTION["buttons"][2])]
    await asyncio.gather(*(handle(bridge, tap) for tap in taps))
    assert len(rasa.asked) == 2
    assert sorted(c.params.get("text") or "" for c in fake_tg.calls_of("answerCallbackQuery")) == ["", BUTTON_USED]

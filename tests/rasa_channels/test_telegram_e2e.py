"""Telegram end to end: the real Rasa server (trained model) and action server with the Telegram
channel (rasa_channels/telegram_channel.py) in their credentials, pointed at the fake Bot API server;
real-shaped updates posted to /webhooks/telegram/webhook. One server start for the module.

(A reply longer than 4096 characters cannot be provoked from the real bot, whose replies are
short; splitting through the channel is tested in test_telegram_channel.py with a stand-in agent.)
"""

import json
import urllib.error
import urllib.request
from typing import Any, List, Optional

import pytest

from bot.clients.telegram.replies import BUTTON_USED
from bot.clients.telegram.splitting import MAX_MESSAGE_LENGTH, utf16_len
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import REPO_ROOT, RasaServers
from tests.support.telegram_updates import callback_update, non_text_updates, text_update

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SECRET = "e2e_Secret-token-0123456789"
WEBHOOK = "https://kasa-bot.example.test/webhooks/telegram/webhook"


@pytest.fixture(scope="module")
def fake_tg():
    with FakeTelegram() as server:
        yield server


@pytest.fixture(scope="module")
def telegram_servers(trained_model, tmp_path_factory, fake_tg):
    extra = (
        "rasa_channels.telegram_channel.TelegramInput:\n"
        f"  access_token: {json.dumps(fake_tg.token)}\n"
        f"  secret_token: {json.dumps(SECRET)}\n"
        f"  webhook_url: {json.dumps(WEBHOOK)}\n"
        f"  base_url: {json.dumps(fake_tg.url)}\n"
    )
    servers = RasaServers(
        project_dir=REPO_ROOT,
        model_path=trained_model,
        workdir=tmp_path_factory.mktemp("telegram-servers"),
        extra_credentials=extra,
    )
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()


def post(servers: RasaServers, update: Any, secret: Optional[str] = SECRET, raw: Optional[bytes] = None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    body = raw if raw is not None else json.dumps(update).encode()
    request = urllib.request.Request(
        f"{servers.rasa_url}/webhooks/telegram/webhook", data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def sent_calls(fake_tg: FakeTelegram, chat: int):
    return [c for c in fake_tg.calls_of("sendMessage", chat_id=chat) if c.status == 200]


def all_text(calls) -> str:
    return "\n".join(c.params["text"] for c in calls)


def press(servers, fake_tg, chat: int, title_start: str):
    """Press the button starting with ``title_start`` on the bot's latest keyboard in ``chat``;
    returns the callback update and the message it was under."""
    for call in reversed(sent_calls(fake_tg, chat)):
        buttons = [b for row in (call.params.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]
        if not buttons:
            continue
        for button in buttons:
            if button["text"].lower().startswith(title_start.lower()):
                update = callback_update(chat, call.result, button["callback_data"])
                assert post(servers, update) == 200
                return update, call.result
        raise AssertionError(f"no button {title_start!r} on the latest keyboard: {[b['text'] for b in buttons]}")
    raise AssertionError("no keyboard was sent")


def user_texts(servers: RasaServers, chat: int) -> List[str]:
    events = servers.tracker(str(chat)).get("events") or []
    return [e.get("text") for e in events if e.get("event") == "user"]


def test_start_up_sets_the_webhook_with_its_secret(telegram_servers, fake_tg):
    [hook] = fake_tg.wait_for(lambda: fake_tg.calls_of("setWebhook"), timeout=30)
    assert hook.params["url"] == WEBHOOK and hook.params["secret_token"] == SECRET
    assert len(fake_tg.calls_of("getMe")) == 1


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET[:-1]])
def test_forged_updates_are_refused(telegram_servers, fake_tg, secret):
    chat = 9100001
    assert post(telegram_servers, text_update(chat, "my camera is offline"), secret=secret) == 403
    assert post(telegram_servers, None, secret=secret, raw=b"not json at all") == 403
    assert sent_calls(fake_tg, chat) == [] and fake_tg.calls_of("sendChatAction", chat_id=chat) == []
    assert user_texts(telegram_servers, chat) == []


def test_a_duplicated_update_is_answered_once(telegram_servers, fake_tg):
    chat = 9100002
    update = text_update(chat, "hi")
    assert post(telegram_servers, update) == 200
    replies = len(sent_calls(fake_tg, chat))
    assert replies >= 1
    assert post(telegram_servers, update) == 200
    assert post(telegram_servers, dict(update)) == 200
    assert len(sent_calls(fake_tg, chat)) == replies
    assert user_texts(telegram_servers, chat) == ["hi"]


def test_non_text_updates_are_all_200(telegram_servers, fake_tg):
    chat = 9100003
    cases = non_text_updates(chat)
    assert len(cases) >= 20
    for name, update, expected in cases:
        before = len(sent_calls(fake_tg, chat))
        assert post(telegram_servers, update) == 200, name
        new = sent_calls(fake_tg, chat)[before:]
        if expected is None:
            assert new == [], name
        else:
            assert len(new) == 1 and expected in new[0].params["text"], name
    assert user_texts(telegram_servers, chat) == [], "none of them reached Rasa"


def test_a_whole_diagnosis_by_button_presses(telegram_servers, fake_tg):
    chat = 9100004
    assert (
        post(
            telegram_servers,
            text_update(chat, "the kasa app freezes every time i open the camera settings"),
        )
        == 200
    )
    assert "the app freezes when you change settings" in all_text(sent_calls(fake_tg, chat))
    assert fake_tg.calls_of("sendChatAction", chat_id=chat, action="typing")

    for title in ("It still freezes", "No, thanks"):
        before = len(sent_calls(fake_tg, chat))
        update, message = press(telegram_servers, fake_tg, chat, title)
        query_id = update["callback_query"]["id"]
        assert fake_tg.calls_of("answerCallbackQuery", callback_query_id=query_id), title
        [edit] = fake_tg.calls_of("editMessageReplyMarkup", chat_id=chat, message_id=message["message_id"])
        assert "reply_markup" not in edit.params, "the keyboard is taken off"
        assert len(sent_calls(fake_tg, chat)) > before, f"the bot answered {title!r}"
        # the same button again: answered, not sent to Rasa a second time
        users = len(user_texts(telegram_servers, chat))
        again = callback_update(chat, message, update["callback_query"]["data"])
        assert post(telegram_servers, again) == 200
        assert len(user_texts(telegram_servers, chat)) == users
        assert fake_tg.calls_of("answerCallbackQuery", callback_query_id=again["callback_query"]["id"])

    final = all_text(sent_calls(fake_tg, chat)[-2:])
    assert "app bug" in final and "anything else" in final, final
    assert "App bugs persist across versions" in final
    payloads = user_texts(telegram_servers, chat)[1:]
    assert len(payloads) == 2 and all(p.startswith("/choose{") for p in payloads), payloads
    for call in sent_calls(fake_tg, chat):
        assert "parse_mode" not in call.params and utf16_len(call.params["text"]) <= MAX_MESSAGE_LENGTH


def test_commands(telegram_servers, fake_tg):
    chat = 9100005
    assert post(telegram_servers, text_update(chat, "/start")) == 200
    assert "Kasa security cameras" in all_text(sent_calls(fake_tg, chat))
    assert post(telegram_servers, text_update(chat, "/help")) == 200
    assert "/human" in sent_calls(fake_tg, chat)[-1].params["text"]
    assert user_texts(telegram_servers, chat) == [], "/start and /help are answered by the channel"
    assert post(telegram_servers, text_update(chat, "my camera keeps going offline after a few months")) == 200
    assert post(telegram_servers, text_update(chat, "/restart")) == 200
    assert "start over" in sent_calls(fake_tg, chat)[-1].params["text"].lower()
    assert post(telegram_servers, text_update(chat, "/human")) == 200
    assert "support team" in all_text(sent_calls(fake_tg, chat)[-2:])
    assert user_texts(telegram_servers, chat)[-2:] == ["/start_over", "/human_handoff"]


def test_getme_was_called_once(telegram_servers, fake_tg):
    assert len(fake_tg.calls_of("getMe")) == 1


def test_a_typed_answer_takes_the_keyboard_away(telegram_servers, fake_tg):
    chat = 9100006
    assert (
        post(telegram_servers, text_update(chat, "the kasa app freezes every time i open the camera settings")) == 200
    )
    question = next(c for c in reversed(sent_calls(fake_tg, chat)) if (c.params.get("reply_markup") or {}))
    message_id = question.result["message_id"]
    assert fake_tg.keyboard(chat, message_id)

    assert post(telegram_servers, text_update(chat, "it still freezes after reinstalling")) == 200
    assert fake_tg.keyboard(chat, message_id) == [], "the typed answer closed the question"
    answered = user_texts(telegram_servers, chat)
    assert answered[-1] == "it still freezes after reinstalling"

    button = question.params["reply_markup"]["inline_keyboard"][0][0]
    stale = callback_update(chat, question.result, button["callback_data"])
    assert post(telegram_servers, stale) == 200
    [answer] = fake_tg.calls_of("answerCallbackQuery", callback_query_id=stale["callback_query"]["id"])
    assert answer.params["text"] == BUTTON_USED
    assert user_texts(telegram_servers, chat) == answered, "the old button changed nothing"

"""The Rasa Telegram input channel (rasa_channels/telegram_channel.py) in a real Sanic server in this
process, registered the way `rasa run` registers channels, with a stand-in agent instead of a
trained model, a real telegram.Bot and the fake Bot API server. Fast; the real Rasa server is in
test_telegram_e2e.py."""

import asyncio
import contextlib
import itertools
import json
from types import SimpleNamespace

import httpx
import pytest
from rasa.core.channels.channel import register
from rasa.shared.exceptions import RasaException
from sanic import Sanic

from bot.clients.telegram.splitting import MAX_MESSAGE_LENGTH, split_text, utf16_len
from rasa_channels import telegram_channel
from rasa_channels.telegram_channel import SECRET_HEADER, TelegramInput, TelegramOutput
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import REPO_ROOT, free_port
from tests.support.telegram_updates import non_text_updates, text_update

SECRET = "s3cr3t-Token_for-tests"
WEBHOOK = "https://kasa-bot.example.test/webhooks/telegram/webhook"
CHAT = 8080
_apps = itertools.count()


def bot_uttered(text=None, buttons=None):
    """What Rasa's processor hands an output channel (BotUttered.message())."""
    return {
        "text": text,
        "elements": None,
        "quick_replies": None,
        "buttons": buttons,
        "attachment": None,
        "image": None,
        "custom": None,
    }


class StubAgent:
    """Answers like Rasa's agent: through the message's output channel."""

    def __init__(self):
        self.messages = []
        self.reply = lambda text: [bot_uttered(f"echo: {text}")]

    async def handle_message(self, message):
        self.messages.append(message)
        for out in self.reply(message.text):
            await message.output_channel.send_response(message.sender_id, out)


@pytest.fixture
def fake_tg():
    with FakeTelegram() as server:
        yield server


@contextlib.asynccontextmanager
async def running_channel(fake_tg, credentials=None):
    """A Sanic app with the channel under /webhooks/telegram/, started like `rasa run` does."""
    channel = TelegramInput.from_credentials(
        credentials
        or {"access_token": fake_tg.token, "secret_token": SECRET, "webhook_url": WEBHOOK, "base_url": fake_tg.url}
    )
    app = Sanic(f"telegram_channel_test_{next(_apps)}")
    app.ctx.agent = StubAgent()
    register([channel], app, route="/webhooks/")
    port = free_port()
    srv = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False)
    await srv.startup()
    await srv.before_start()
    await srv.start_serving()
    await srv.after_start()
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False, timeout=30)

    async def post(update, secret=SECRET, raw=None):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        body = raw if raw is not None else json.dumps(update)
        return await client.post("/webhooks/telegram/webhook", content=body, headers=headers)

    try:
        yield SimpleNamespace(app=app, channel=channel, agent=app.ctx.agent, client=client, post=post)
    finally:
        await client.aclose()
        await srv.before_stop()
        srv.close()
        await srv.wait_closed()
        await srv.after_stop()


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    # Sanic 21.12 rewrites its own methods when an app starts ("touchup"); a second app in the same
    # process then fails unless test mode keeps the originals (what sanic-testing does).
    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture
async def server(fake_tg):
    async with running_channel(fake_tg) as running:
        yield running


# --------------------------------------------------------------------------- #
# Credentials
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "credentials, complaint",
    [
        (None, "credentials"),
        ({"secret_token": SECRET}, "access_token"),
        ({"access_token": "1:x", "secret_token": ""}, "secret_token"),
        ({"access_token": "1:x"}, "secret_token"),
        ({"access_token": "1:x", "secret_token": "has spaces"}, "secret_token"),
        ({"access_token": "1:x", "secret_token": "x" * 257}, "secret_token"),
    ],
)
def test_bad_credentials_stop_the_start(credentials, complaint):
    with pytest.raises(RasaException, match=complaint):
        TelegramInput.from_credentials(credentials)


def test_empty_optional_settings_are_none():
    channel = TelegramInput.from_credentials(
        {"access_token": "1:x", "secret_token": SECRET, "webhook_url": "", "base_url": None}
    )
    assert channel.webhook_url is None
    assert channel.bot.base_url == "https://api.telegram.org/bot1:x"
    assert TelegramInput.name() == "telegram"


def merged_credentials(tmp_path):
    """What scripts/run gives the Rasa server in webhook mode."""
    merged = tmp_path / "credentials.yml"
    merged.write_text(
        (REPO_ROOT / "credentials.yml").read_text() + "\n" + (REPO_ROOT / "credentials.telegram.yml").read_text()
    )
    return str(merged)


def test_credentials_file_takes_its_values_from_the_environment(tmp_path, monkeypatch):
    from rasa.core.channels.rest import RestInput
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("TELEGRAM_TOKEN", "123:from-env")
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "env_secret")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.test/webhooks/telegram/webhook")
    channels = create_http_input_channels(None, merged_credentials(tmp_path))  # as `rasa run` does
    telegram = next(c for c in channels if isinstance(c, TelegramInput))
    assert any(isinstance(c, RestInput) for c in channels), "the usual channels stay"
    assert telegram.secret_token == "env_secret"
    assert telegram.webhook_url == "https://bot.example.test/webhooks/telegram/webhook"
    assert telegram.bot.token == "123:from-env"


def test_credentials_file_with_a_variable_unset_stops_rasa(tmp_path, monkeypatch):
    from rasa.core.run import create_http_input_channels

    monkeypatch.setenv("TELEGRAM_TOKEN", "123:from-env")
    monkeypatch.setenv("TELEGRAM_WEBHOOK_URL", "https://bot.example.test/webhooks/telegram/webhook")
    monkeypatch.delenv("TELEGRAM_SECRET_TOKEN", raising=False)
    with pytest.raises(RasaException, match="TELEGRAM_SECRET_TOKEN"):
        create_http_input_channels(None, merged_credentials(tmp_path))


# --------------------------------------------------------------------------- #
# Start-up
# --------------------------------------------------------------------------- #


async def test_start_registers_the_webhook_with_the_secret(server, fake_tg):
    assert len(fake_tg.calls_of("getMe")) == 1
    [hook] = fake_tg.calls_of("setWebhook")
    assert hook.params["url"] == WEBHOOK and hook.params["secret_token"] == SECRET
    assert hook.params["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
    [commands] = fake_tg.calls_of("setMyCommands")
    assert [c["command"] for c in commands.params["commands"]] == ["restart", "human", "help"]
    answer = await server.client.get("/webhooks/telegram/")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


async def test_telegram_unreachable_at_start_is_retried_in_the_background(fake_tg, monkeypatch):
    monkeypatch.setattr(telegram_channel, "RETRY_FIRST", 0.1)
    fake_tg.fail("getMe", 502, "Bad Gateway", times=2)
    async with running_channel(fake_tg):
        assert fake_tg.calls_of("setWebhook") == [], "the server is up before Telegram answers"
        for _ in range(100):
            if fake_tg.calls_of("setWebhook"):
                break
            await asyncio.sleep(0.05)
        assert len(fake_tg.calls_of("setWebhook")) == 1
        assert [c.status for c in fake_tg.calls_of("getMe")] == [502, 502, 200]


async def test_a_refused_webhook_url_is_not_retried(fake_tg, monkeypatch):
    monkeypatch.setattr(telegram_channel, "RETRY_FIRST", 0.05)
    fake_tg.fail("setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
    async with running_channel(fake_tg):
        await asyncio.sleep(0.5)
    assert len(fake_tg.calls_of("setWebhook")) == 1


# --------------------------------------------------------------------------- #
# The webhook
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET[:-1], SECRET.upper()])
async def test_forged_updates_are_refused_before_parsing(server, fake_tg, secret):
    answer = await server.post(text_update(CHAT, "hello"), secret=secret)
    assert answer.status_code == 403
    answer = await server.post(None, secret=secret, raw="this is not even JSON")
    assert answer.status_code == 403
    assert server.agent.messages == [] and fake_tg.calls_of("sendMessage") == []


async def test_a_body_that_is_not_an_update_is_400_or_ignored(server, fake_tg):
    assert (await server.post(None, raw="{not json")).status_code == 400
    assert (await server.post(None, raw="[1, 2]")).status_code == 400
    answer = await server.post({"no_update_id": True})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    assert server.agent.messages == []


async def test_text_reaches_rasa_and_the_reply_goes_out(server, fake_tg):
    answer = await server.post(text_update(CHAT, "my camera is offline"))
    assert answer.status_code == 200 and answer.json()["handled_as"] == "text"
    [message] = server.agent.messages
    assert (message.text, message.sender_id, message.input_channel) == ("my camera is offline", str(CHAT), "telegram")
    assert message.metadata["telegram"]["chat_id"] == CHAT
    assert isinstance(message.output_channel, TelegramOutput)
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == ["echo: my camera is offline"]
    assert fake_tg.calls_of("sendChatAction", chat_id=CHAT)


async def test_duplicate_delivery_is_answered_once(server, fake_tg):
    update = text_update(CHAT, "hello")
    for _ in range(3):
        assert (await server.post(update)).status_code == 200
    assert len(server.agent.messages) == 1 and len(fake_tg.sent_messages(CHAT)) == 1


async def test_a_reply_longer_than_4096_is_split(server, fake_tg):
    text = "\n".join(f"• Check {i}: unplug the camera, wait ten seconds and plug it back in." for i in range(150))
    assert utf16_len(text) > 2 * MAX_MESSAGE_LENGTH
    server.agent.reply = lambda _: [bot_uttered(text, [{"title": "Done", "payload": "/affirm"}])]
    assert (await server.post(text_update(CHAT, "everything please"))).status_code == 200
    sent = fake_tg.sent_messages(CHAT)
    assert len(sent) == len(split_text(text)) >= 3
    assert all(utf16_len(m["text"]) <= MAX_MESSAGE_LENGTH for m in sent)
    assert "\n".join(m["text"] for m in sent) == text
    assert [bool(m.get("reply_markup")) for m in sent] == [False] * (len(sent) - 1) + [True]


async def test_non_text_updates_are_200_and_sensible(server, fake_tg):
    for name, update, expected in non_text_updates(CHAT):
        before = len(fake_tg.sent_messages(CHAT))
        answer = await server.post(update)
        assert answer.status_code == 200, name
        new = fake_tg.sent_messages(CHAT)[before:]
        if expected is None:
            assert new == [], name
        else:
            assert len(new) == 1 and expected in new[0]["text"], name
    assert server.agent.messages == []


async def test_the_agent_failing_is_still_200_with_an_apology(server, fake_tg):
    def boom(_):
        raise RuntimeError("model not loaded")

    server.agent.reply = boom
    answer = await server.post(text_update(CHAT, "hello"))
    assert answer.status_code == 200
    assert "Sorry" in fake_tg.sent_messages(CHAT)[0]["text"]


async def test_telegram_failing_is_still_200(server, fake_tg):
    fake_tg.fail("sendChatAction", 500, "Internal Server Error")
    fake_tg.fail("sendMessage", 400, "Bad Request: chat not found")
    assert (await server.post(text_update(CHAT, "hello"))).status_code == 200
    fake_tg.fail("sendChatAction", 403, "Forbidden: bot was blocked by the user")
    assert (await server.post(text_update(CHAT, "hello again"))).status_code == 200


async def test_proactive_messages_use_the_output_channel(server, fake_tg):
    output = server.channel.get_output_channel()
    assert isinstance(output, TelegramOutput) and not output.collecting
    await output.send_response(
        str(CHAT), bot_uttered("Your ticket was answered.", [{"title": "Show", "payload": "/show"}])
    )
    [sent] = fake_tg.sent_messages(CHAT)
    assert (
        sent["text"] == "Your ticket was answered." and sent["reply_markup"]["inline_keyboard"][0][0]["text"] == "Show"
    )
    await output.send_response("not-a-chat-id", bot_uttered("x"))  # logged, not raised


async def test_getme_only_once_for_many_updates(server, fake_tg):
    for i in range(5):
        await server.post(text_update(CHAT + i, f"hello {i}"))
    assert len(fake_tg.calls_of("getMe")) == 1


async def test_two_servers_with_the_state_in_the_database_answer_an_update_once(fake_tg, tmp_path, monkeypatch):
    monkeypatch.delenv("TELEGRAM_STATE", raising=False)
    credentials = {
        "access_token": fake_tg.token,
        "secret_token": SECRET,
        "base_url": fake_tg.url,
        "state": f"sqlite:///{tmp_path / 'telegram-state.db'}",
    }
    async with running_channel(fake_tg, dict(credentials)) as one, running_channel(fake_tg, dict(credentials)) as two:
        assert type(one.channel.bridge.state).__name__ == "SQLState"
        update = text_update(CHAT, "hello")
        answers = await asyncio.gather(one.post(update), two.post(update))
        assert sorted(a.json()["handled_as"] for a in answers) == ["duplicate", "text"]
        assert len(one.agent.messages) + len(two.agent.messages) == 1
        assert len(fake_tg.sent_messages(CHAT)) == 1


async def test_the_state_is_in_memory_unless_configured(server):
    assert type(server.channel.bridge.state).__name__ == "MemoryState"

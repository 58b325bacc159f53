"""Polling mode (bot/clients/telegram_polling.py) against the fake Bot API and a stand-in Rasa REST
channel, in process and as `python -m bot.clients.telegram_polling`."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.clients.telegram.bot_api import make_bot
from bot.clients.telegram_polling import Poller, RasaRest, main
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import REPO_ROOT
from tests.support.telegram_updates import bot_message, callback_update, non_text_updates, text_update

CHAT = 2024


class FakeRasaRest:
    """POST /webhooks/rest/webhook -> one text echoing the message, and a button."""

    def __init__(self):
        self.posts = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.posts.append((self.path, body))
                answer = [
                    {
                        "recipient_id": body["sender"],
                        "text": f"Rasa got: {body['message']}",
                        "buttons": [{"title": "Under warranty", "payload": '/choose{"option":"warranty|in_warranty"}'}],
                    }
                ]
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_tg():
    with FakeTelegram(max_poll=1.0) as server:
        yield server


@pytest.fixture
def fake_rasa():
    server = FakeRasaRest()
    yield server
    server.stop()


@pytest.fixture
async def poller(fake_tg, fake_rasa):
    poller = Poller(make_bot(fake_tg.token, fake_tg.url), RasaRest(fake_rasa.url), poll_timeout=1)
    yield poller
    await poller.close()


async def test_polls_asks_rasa_over_rest_and_answers(fake_tg, fake_rasa, poller):
    await poller.start()
    assert fake_tg.calls_of("deleteWebhook") and len(fake_tg.calls_of("getMe")) == 1
    fake_tg.push_update(text_update(CHAT, "my kc120 is offline"))
    first = text_update(CHAT, "/human")
    fake_tg.push_update(first)
    assert await poller.poll_once() == 2
    await poller.drain()

    assert [(path, body["sender"], body["message"]) for path, body in fake_rasa.posts] == [
        ("/webhooks/rest/webhook", str(CHAT), "my kc120 is offline"),
        ("/webhooks/rest/webhook", str(CHAT), "/human_handoff"),
    ]
    assert fake_rasa.posts[0][1]["metadata"]["telegram"]["chat_id"] == CHAT
    sent = fake_tg.sent_messages(CHAT)
    assert [m["text"] for m in sent] == ["Rasa got: my kc120 is offline", "Rasa got: /human_handoff"]
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Under warranty"
    assert fake_tg.calls_of("sendChatAction")

    # acknowledged: the next getUpdates asks from after them, and they do not come back
    assert await poller.poll_once(timeout=0) == 0
    assert fake_tg.calls_of("getUpdates")[-1].params["offset"] == first["update_id"] + 1
    assert len(fake_tg.calls_of("getMe")) == 1


async def test_button_presses_and_non_text_updates(fake_tg, fake_rasa, poller):
    await poller.start()
    sent = bot_message(
        CHAT,
        900,
        "Warranty?",
        {
            "inline_keyboard": [
                [{"text": "Under warranty", "callback_data": '/choose{"option":"warranty|in_warranty"}'}]
            ]
        },
    )
    fake_tg.push_update(callback_update(CHAT, sent, '/choose{"option":"warranty|in_warranty"}'))
    for _, update, _ in non_text_updates(CHAT):
        fake_tg.push_update(update)
    await poller.poll_once()
    await poller.drain()
    assert [body["message"] for _, body in fake_rasa.posts] == ['/choose{"option":"warranty|in_warranty"}']
    assert fake_tg.calls_of("answerCallbackQuery") and fake_tg.calls_of("editMessageReplyMarkup", message_id=900)
    assert any("only read text" in m["text"] for m in fake_tg.sent_messages(CHAT))


async def test_rasa_down_gives_an_apology(fake_tg, fake_rasa):
    fake_rasa.stop()
    poller = Poller(make_bot(fake_tg.token, fake_tg.url), RasaRest(fake_rasa.url, timeout=2), poll_timeout=1)
    try:
        await poller.start()
        fake_tg.push_update(text_update(CHAT, "hello"))
        await poller.poll_once()
        await poller.drain()
    finally:
        await poller.close()
    assert ["Sorry" in m["text"] for m in fake_tg.sent_messages(CHAT)] == [True]


async def test_run_survives_telegram_errors_and_stops(fake_tg, fake_rasa, poller):
    await poller.start()
    fake_tg.fail("getUpdates", 502, "Bad Gateway")
    fake_tg.push_update(text_update(CHAT, "still there?"))
    task = asyncio.ensure_future(poller.run())
    for _ in range(100):
        if fake_tg.sent_messages(CHAT):
            break
        await asyncio.sleep(0.05)
    poller.stop()
    await asyncio.wait_for(task, timeout=5)
    assert [m["text"] for m in fake_tg.sent_messages(CHAT)] == ["Rasa got: still there?"]
    assert fake_tg.calls_of("getUpdates")[0].status == 502


def token_not_in(path, token):
    return token not in path.read_text(errors="replace")


def test_main_needs_a_token(monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    assert main([]) == 2
    assert "TELEGRAM_TOKEN" in capsys.readouterr().err


def test_the_module_runs_and_stops_on_sigterm(fake_tg, fake_rasa, tmp_path):
    env = dict(
        os.environ,
        TELEGRAM_TOKEN=fake_tg.token,
        TELEGRAM_BASE_URL=fake_tg.url,
        RASA_URL=fake_rasa.url,
        TELEGRAM_POLL_TIMEOUT="1",
        PYTHONPATH=str(REPO_ROOT),
    )
    log = open(tmp_path / "poller.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.clients.telegram_polling"],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        fake_tg.push_update(text_update(CHAT, "hello from polling"))
        fake_tg.wait_for(lambda: fake_tg.sent_messages(CHAT), timeout=60)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert fake_tg.sent_messages(CHAT)[0]["text"] == "Rasa got: hello from polling"
    assert token_not_in(tmp_path / "poller.log", fake_tg.token)


def test_a_wrong_token_exits_2(fake_tg, fake_rasa, tmp_path):
    env = dict(
        os.environ,
        TELEGRAM_TOKEN="999:wrong",
        TELEGRAM_BASE_URL=fake_tg.url,
        RASA_URL=fake_rasa.url,
        PYTHONPATH=str(REPO_ROOT),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.clients.telegram_polling"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "rejected the token" in result.stderr

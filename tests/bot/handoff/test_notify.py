"""The Telegram notice to the support group, against a tiny fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.handoff.notify import notify_support, send_support_notice
from bot.handoff.store import TicketStore
from tests.bot.handoff.conftest import Clock, make_golden_tickets, references
from tests.support.servers import free_port

BOT_TOKEN = "123456:TEST-token"
CHAT_ID = "-1001234567890"


class FakeTelegram:
    """Answers getMe and sendMessage like the Bot API and records every call."""

    def __init__(self, fail: bool = False):
        self.calls = []
        self.fail = fail
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if self.headers.get("Content-Type", "").startswith("application/json"):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                fake.calls.append({"path": self.path, "method": method, "params": params})
                if fake.fail and method == "sendMessage":
                    body, status = {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}, 400
                elif method == "getMe":
                    body, status = (
                        {
                            "ok": True,
                            "result": {
                                "id": 123456,
                                "is_bot": True,
                                "first_name": "Support",
                                "username": "kasa_support_bot",
                            },
                        },
                        200,
                    )
                elif method == "sendMessage":
                    body, status = (
                        {
                            "ok": True,
                            "result": {
                                "message_id": 77,
                                "date": 1772442600,
                                "chat": {"id": int(params.get("chat_id", 0)), "type": "supergroup", "title": "Support"},
                                "text": params.get("text", ""),
                            },
                        },
                        200,
                    )
                else:
                    body, status = {"ok": False, "error_code": 404, "description": "Not Found"}, 404
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def sent(self):
        return [c for c in self.calls if c["method"] == "sendMessage"]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def tickets(tmp_path):
    store = TicketStore(
        f"sqlite:///{tmp_path / 'tracker.db'}", clock=Clock(), reference_factory=references("K7QM4XPA", "R2D2C3PX")
    )
    return make_golden_tickets(store)


@pytest.fixture(autouse=True)
def no_telegram_env(monkeypatch):
    for name in ("TELEGRAM_SUPPORT_CHAT_ID", "TELEGRAM_SUPPORT_BOT_TOKEN", "TELEGRAM_TOKEN", "HANDOFF_TICKETS_URL"):
        monkeypatch.delenv(name, raising=False)


def test_sends_the_redacted_summary_to_the_support_group(tickets):
    with FakeTelegram() as telegram:
        message_id = notify_support(tickets["escalation"], BOT_TOKEN, CHAT_ID, base_url=telegram.base_url)
    assert message_id == 77
    [call] = telegram.sent()
    assert call["path"] == f"/bot{BOT_TOKEN}/sendMessage"
    assert call["params"]["chat_id"] == CHAT_ID
    text = call["params"]["text"]
    assert text.startswith("New hand-off K7QM4XPA (Telegram)")
    assert "Camera: KC120, customer mentioned 3 weeks" in text and "Recommendation: Return the camera" in text
    assert "Warranty: Camera fails within first month (infant mortality)." in text
    assert "hunter2" not in text and "jane.doe" not in text


def test_safety_comes_first(tickets):
    with FakeTelegram() as telegram:
        notify_support(tickets["safety"], BOT_TOKEN, CHAT_ID, base_url=telegram.base_url)
    text = telegram.sent()[0]["params"]["text"]
    assert text.splitlines()[1].startswith("⚠️ Safety: An adapter that is too hot to hold is a fire risk.")


def test_only_when_configured(tickets, monkeypatch):
    with FakeTelegram() as telegram:
        assert notify_support(tickets["escalation"], None, None, base_url=telegram.base_url) is None
        assert notify_support(tickets["escalation"], BOT_TOKEN, None, base_url=telegram.base_url) is None
        assert notify_support(tickets["escalation"], None, CHAT_ID, base_url=telegram.base_url) is None
        assert telegram.calls == []
        monkeypatch.setenv("TELEGRAM_SUPPORT_CHAT_ID", CHAT_ID)
        assert notify_support(tickets["escalation"], None, None, base_url=telegram.base_url) is None, "no token"
        monkeypatch.setenv("TELEGRAM_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("HANDOFF_TICKETS_URL", "https://support.example/api/")
        assert notify_support(tickets["escalation"], None, None, base_url=telegram.base_url) == 77
    [call] = telegram.sent()
    assert call["params"]["chat_id"] == CHAT_ID
    assert call["params"]["text"].endswith("https://support.example/api/tickets/K7QM4XPA?format=html")


def test_a_failed_notice_never_breaks_the_handoff(tickets):
    with FakeTelegram(fail=True) as telegram:
        assert notify_support(tickets["escalation"], BOT_TOKEN, CHAT_ID, base_url=telegram.base_url) is None
    assert len(telegram.sent()) == 1
    nobody = f"http://127.0.0.1:{free_port()}/bot"  # connection refused
    assert notify_support(tickets["escalation"], BOT_TOKEN, CHAT_ID, base_url=nobody) is None


async def test_works_inside_a_running_event_loop(tickets):
    """The action server is async: the blocking form must not trip over the running loop."""
    with FakeTelegram() as telegram:
        assert notify_support(tickets["escalation"], BOT_TOKEN, CHAT_ID, base_url=telegram.base_url) == 77
        assert await send_support_notice(tickets["safety"], BOT_TOKEN, CHAT_ID, base_url=telegram.base_url) == 77
        await asyncio.sleep(0)
    assert len(telegram.sent()) == 2

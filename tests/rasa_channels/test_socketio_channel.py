"""The socket.io channel (rasa_channels/socketio_channel.py) at the socket.io level.

Most tests run against tests/rasa_channels/socketio_echo_server.py: a Sanic app wired
like `rasa run` wires a channel, whose fake agent answers ``echo <sender>: <text>``
through the channel's output channel (the path Rasa's replies take). The last
test talks to the real bot (trained model, action server) over socket.io.

The bug being fixed: Rasa 3.6's channel calls ``sio.enter_room(...)`` without
``await``; in python-socketio >= 5.10 that is a coroutine, so with
``session_persistence: true`` the client never joins its session's room and
every bot reply is dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import re
import urllib.request
from typing import Any, Dict, Iterator, List

import pytest
import socketio

from rasa_channels.socketio_channel import SocketIOInput
from rasa_channels.socketio_origins import ORIGINS_ENV, parse_origins
from tests.support.echo_server import EchoServer
from tests.support.servers import HOST
from tests.support.socketio_client import ChatClient, client

# --------------------------------------------------------------------------- #
# Servers (the client is tests/support/socketio_client.py)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def echo_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, EchoServer]]:
    """Three echo servers: this project's channel with and without persistence, and Rasa's."""
    workdir = tmp_path_factory.mktemp("socketio-echo")
    servers = {
        "fixed": EchoServer("fixed", ["--channel", "fixed"], workdir),
        "fixed_no_persistence": EchoServer("fixed_np", ["--channel", "fixed", "--no-persistence"], workdir),
        "rasa": EchoServer("rasa", ["--channel", "rasa"], workdir),
    }
    try:
        for server in servers.values():
            server.process.start()
        for server in servers.values():
            server.wait()
        yield servers
    finally:
        for server in servers.values():
            server.process.stop()


# --------------------------------------------------------------------------- #
# The bug, reproduced on Rasa's own channel
# --------------------------------------------------------------------------- #


def test_root_cause_enter_room_is_a_coroutine_in_python_socketio():
    assert inspect.iscoroutinefunction(socketio.AsyncServer.enter_room)


async def test_rasa_36_channel_drops_replies_with_session_persistence(echo_servers):
    server = echo_servers["rasa"]
    async with client(server.url) as chat:
        session_id = await chat.session("rasa-bug")
        assert session_id == "rasa-bug"
        await chat.say("hello", session_id)
        assert await chat.no_reply(), "Rasa 3.6's channel was expected to drop the reply"
    log = server.process.log_path.read_text(errors="replace")
    assert "coroutine 'AsyncServer.enter_room' was never awaited" in log


# --------------------------------------------------------------------------- #
# The fixed channel
# --------------------------------------------------------------------------- #


async def test_replies_arrive_with_session_persistence(echo_servers):
    async with client(echo_servers["fixed"].url) as chat:
        session_id = await chat.session()
        assert len(session_id) == 32  # a new uuid4 hex, as Rasa's
        await chat.say("hello", session_id)
        reply = await chat.reply()
    assert reply["text"] == f"echo {session_id}: hello"
    assert reply["quick_replies"] == [{"content_type": "text", "title": "Again", "payload": "/again"}]


async def test_a_reconnecting_client_continues_its_session(echo_servers):
    url = echo_servers["fixed"].url
    async with client(url) as first:
        session_id = await first.session()
        await first.say("before the reload", session_id)
        assert (await first.reply())["text"] == f"echo {session_id}: before the reload"
    # a page reload: new socket (new sid), the stored session id
    async with client(url) as second:
        assert await second.session(session_id) == session_id
        await second.say("after the reload", session_id)
        assert (await second.reply())["text"] == f"echo {session_id}: after the reload"


async def test_two_tabs_of_one_session_both_see_the_replies(echo_servers):
    url = echo_servers["fixed"].url
    async with client(url) as tab1, client(url) as tab2:
        session_id = await tab1.session("two-tabs-session")
        await tab2.session(session_id)
        await tab1.say("from tab 1", session_id)
        assert (await tab1.reply())["text"] == f"echo {session_id}: from tab 1"
        assert (await tab2.reply())["text"] == f"echo {session_id}: from tab 1"


async def test_the_other_tabs_learn_that_the_question_was_answered(echo_servers):
    url = echo_servers["fixed"].url
    async with client(url) as tab1, client(url) as tab2, client(url) as stranger:
        session_id = await tab1.session("answered-elsewhere")
        await tab2.session(session_id)
        await stranger.session()
        await tab1.say("typed answer", session_id)
        assert await asyncio.wait_for(tab2.answered.get(), 10) == {}
        await tab1.reply()
        await tab2.reply()
        assert tab1.answered.empty(), "the tab that sent it knows already"
        assert stranger.answered.empty()


async def test_other_sessions_do_not_see_the_replies(echo_servers):
    url = echo_servers["fixed"].url
    async with client(url) as alice, client(url) as bob:
        alice_id = await alice.session()
        await bob.session()
        await alice.say("private", alice_id)
        assert (await alice.reply())["text"] == f"echo {alice_id}: private"
        assert await bob.no_reply(1.0)


async def test_a_message_sent_before_the_session_request_still_gets_its_reply(echo_servers):
    """A client that reconnected (new sid) and emits its buffered message first."""
    async with client(echo_servers["fixed"].url) as chat:
        await chat.say("buffered", "buffered-session")
        assert (await chat.reply())["text"] == "echo buffered-session: buffered"


async def test_a_message_without_session_id_is_ignored(echo_servers):
    async with client(echo_servers["fixed"].url) as chat:
        await chat.session()
        await chat.say("who am i", None)
        assert await chat.no_reply()


async def test_a_malformed_session_id_is_replaced(echo_servers):
    async with client(echo_servers["fixed"].url) as chat:
        session_id = await chat.session("<img src=x onerror=alert(1)>")
        assert len(session_id) == 32 and session_id.isalnum()


@pytest.mark.parametrize("foreign", ["81234567", "-1001234567890", "rest:alice", "tg:81234567"])
async def test_a_session_id_of_another_channel_is_replaced(echo_servers, foreign):
    """A Telegram chat id or a namespaced id cannot be brought back as a web chat session."""
    async with client(echo_servers["fixed"].url) as chat:
        session_id = await chat.session(foreign)
        assert session_id != foreign and len(session_id) == 32
        await chat.say("hello", foreign)
        assert await chat.no_reply()


async def test_without_persistence_replies_go_to_the_socket(echo_servers):
    async with client(echo_servers["fixed_no_persistence"].url) as chat:
        await chat.session()
        await chat.say("hi", None)
        reply = await chat.reply()
        # bot text goes out as Markdown that reads as the plain text: an "_" in the sid comes escaped
        assert re.sub(r"\\(.)", r"\1", reply["text"]) == f"echo {chat.sio.get_sid()}: hi"


# --------------------------------------------------------------------------- #
# Origins
# --------------------------------------------------------------------------- #


async def test_a_foreign_origin_is_refused_by_default(echo_servers):
    chat = ChatClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await chat.connect(echo_servers["fixed"].url, origin="https://evil.example")


async def test_localhost_and_the_own_origin_are_allowed_by_default(echo_servers):
    server = echo_servers["fixed"]
    for origin in ("http://localhost:3000", "http://127.0.0.1:8000", server.url):
        async with client(server.url, origin=origin) as chat:
            assert await chat.session("origin-check") == "origin-check"


def _polling_handshake(url: str, origin: str):
    request = urllib.request.Request(f"{url}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get_all("Access-Control-Allow-Origin") or []


def test_polling_answers_with_exactly_one_cors_header(echo_servers):
    """engine.io sets it; Rasa's --cors '*' (sanic_cors) must not add a second one."""
    status, values = _polling_handshake(echo_servers["fixed"].url, "http://localhost:3000")
    assert status == 200
    assert values == ["http://localhost:3000"]


def test_allowed_origins_from_credentials_and_environment(monkeypatch):
    assert parse_origins("https://a.example, https://b.example/") == ["https://a.example", "https://b.example"]
    assert parse_origins(["https://a.example"]) == ["https://a.example"]
    assert parse_origins("") is None and parse_origins(None) is None

    monkeypatch.delenv(ORIGINS_ENV, raising=False)
    channel = SocketIOInput.from_credentials({"cors_allowed_origins": ["https://shop.example"]})
    assert channel.origin_policy("https://shop.example", {})
    assert not channel.origin_policy("http://localhost", {})

    monkeypatch.setenv(ORIGINS_ENV, "https://other.example")
    channel = SocketIOInput.from_credentials({"cors_allowed_origins": ["https://shop.example"]})
    assert channel.origin_policy("https://other.example", {})
    assert not channel.origin_policy("https://shop.example", {})

    monkeypatch.setenv(ORIGINS_ENV, "*")
    assert SocketIOInput.from_credentials({}).origin_policy("https://anything.example", {})


def test_credentials_keep_rasas_options():
    channel = SocketIOInput.from_credentials(
        {
            "user_message_evt": "u",
            "bot_message_evt": "b",
            "session_persistence": True,
            "socketio_path": "/sio",
            "namespace": "/kasa",
            "webchat_path": False,
        }
    )
    assert (channel.user_message_evt, channel.bot_message_evt) == ("u", "b")
    assert channel.session_persistence and channel.socketio_path == "/sio"
    assert channel.namespace == "/kasa" and channel.webchat_path is None
    assert SocketIOInput.name() == "socketio"


# --------------------------------------------------------------------------- #
# The web chat files
# --------------------------------------------------------------------------- #


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, ""


def test_the_chat_page_and_its_files_are_served(echo_servers):
    url = echo_servers["fixed"].url
    status, headers, page = _get(f"{url}/chat")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert f"connect-src 'self' ws://{HOST}:{echo_servers['fixed'].port} " in headers["Content-Security-Policy"]
    assert 'data-kasa-webchat="page"' in page and "/chat/static/webchat.js" in page
    assert "https://" not in page  # nothing from a CDN

    for path, kind in [
        ("/chat/widget.js", "application/javascript"),
        ("/chat/static/webchat.js", "application/javascript"),
        ("/chat/static/webchat.css", "text/css"),
        ("/chat/static/vendor/socket.io.min.js", "application/javascript"),
    ]:
        status, headers, body = _get(url + path)
        assert status == 200, path
        assert headers["Content-Type"].startswith(kind), path
        assert body

    for path in (
        "/chat/static/index.html",
        "/chat/static/../../credentials.yml",
        "/chat/static/%2e%2e/%2e%2e/credentials.yml",
        "/chat/static/vendor/README.md",
    ):
        assert _get(url + path)[0] == 404, path


# --------------------------------------------------------------------------- #
# The real bot over socket.io
# --------------------------------------------------------------------------- #


def _texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def _button(messages: List[Dict[str, Any]], title_start: str) -> Dict[str, Any]:
    for m in messages:
        for b in m.get("quick_replies") or []:
            if b["title"].lower().startswith(title_start.lower()):
                return b
    raise AssertionError(f"no button {title_start!r} in {messages}")


def _has_buttons(message: Dict[str, Any]) -> bool:
    return bool(message.get("quick_replies"))


@pytest.mark.timeout(300)
async def test_a_diagnosis_over_socketio_survives_a_reconnect(bot_servers):
    url = bot_servers.rasa_url
    async with client(url, origin=url) as chat:
        session_id = await chat.session()
        await chat.say("the kasa app freezes every time i open the camera settings", session_id)
        messages = await chat.replies_until(_has_buttons)
        assert "the app freezes when you change settings" in _texts(messages)
        still = _button(messages, "It still freezes")
    # the customer reloads the page: a new socket with the stored session id
    async with client(url, origin=url) as chat:
        assert await chat.session(session_id) == session_id
        await chat.say(still["payload"], session_id)
        messages = await chat.replies_until(lambda m: "support team" in (m.get("text") or ""))
        await chat.say(_button(messages, "No, thanks")["payload"], session_id)
        await chat.replies_until(lambda m: bool(m.get("text")))
    assert "app bug" in _texts(messages)
    events = bot_servers.stored_tracker(session_id, 3)["events"]
    user_texts = [e.get("text") for e in events if e["event"] == "user"]
    assert user_texts[0].startswith("the kasa app") and len(user_texts) == 3
    assert {e.get("input_channel") for e in events if e["event"] == "user"} == {"socketio"}


@pytest.mark.timeout(300)
async def test_opening_the_chat_with_the_real_bot(bot_servers):
    """rasa-webchat's opening (no message): the greeting once, never a message in the tracker."""
    url = bot_servers.rasa_url
    async with client(url, origin=url) as chat:
        session_id = await chat.session()
        await chat.sio.emit("user_uttered", {"customData": {}, "session_id": session_id})
        greeting = await chat.reply(timeout=60)
        assert "What is your camera doing?" in greeting["text"]
        assert await chat.no_reply(2.0)
        await chat.say("the kasa app freezes every time i open the camera settings", session_id)
        messages = await chat.replies_until(_has_buttons)
        assert "the app freezes when you change settings" in _texts(messages)
        # the chat opened again (e.g. another tab): nothing, and the question still stands
        await chat.sio.emit("user_uttered", {"message": "/get_started", "session_id": session_id})
        assert await chat.no_reply()
        await chat.say(_button(messages, "It still freezes")["payload"], session_id)
        assert _button(await chat.replies_until(_has_buttons), "Yes, connect me")
    events = bot_servers.stored_tracker(session_id, 2)["events"]
    user_texts = [e.get("text") for e in events if e["event"] == "user"]
    assert len(user_texts) == 2 and user_texts[0].startswith("the kasa app"), user_texts


async def test_two_servers_on_redis_deliver_to_a_tab_on_the_other_server(tmp_path):
    """Behind a load balancer: one tab of a session is connected to server A, another to server B;
    what B answers reaches the tab on A too (socket.io's Redis manager)."""
    from tests.support.services import ServiceError, session_redis

    try:
        redis = session_redis()
    except (ServiceError, OSError) as error:  # only a machine without Redis and without apt
        pytest.skip(f"no Redis: {error}")
    env = {"KASA_REDIS_URL": redis.url}
    servers = [EchoServer(f"redis_{n}", ["--channel", "fixed"], tmp_path, env=env) for n in "ab"]
    try:
        for server in servers:
            server.process.start()
        for server in servers:
            server.wait()
        async with client(servers[0].url) as on_a, client(servers[1].url) as on_b:
            session_id = await on_a.session()
            assert await on_b.session(session_id) == session_id
            await on_b.say("hello from b", session_id)
            assert (await on_b.reply())["text"] == f"echo {session_id}: hello from b"
            assert (await on_a.reply())["text"] == f"echo {session_id}: hello from b"
    finally:
        for server in servers:
            server.process.stop()

"""Probes from outside, on the real bot with SQLite: the API without a token, foreign senders,
size limits, bad bodies, a locked and a read-only database, retries, the session bound."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

from server.texts import NOT_SAVED
from tests.support.servers import REPO_ROOT, RasaServers

BOUND = 40
RELAY_TOKEN = "relay-secret-for-the-tests"


@pytest.fixture(scope="module")
def servers(trained_model: Path, tmp_path_factory) -> Iterator[RasaServers]:
    started = RasaServers(
        REPO_ROOT,
        trained_model,
        tmp_path_factory.mktemp("reliability"),
        extra_env={
            "KASA_MAX_SESSION_EVENTS": str(BOUND),
            "KASA_SQLITE_BUSY_TIMEOUT_S": "1",
            "KASA_RELAY_TOKEN": RELAY_TOKEN,
        },
    ).start()
    try:
        yield started
    finally:
        started.stop()


def post(servers: RasaServers, body: Any, headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        servers.webhook_url, data=data, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        raw = error.read()
        try:
            return error.code, dict(error.headers), json.loads(raw)
        except ValueError:
            return error.code, dict(error.headers), raw


def texts(reply: Any) -> List[str]:
    return [m.get("text") for m in reply] if isinstance(reply, list) else []


def api(servers: RasaServers, method: str, path: str, token: bool, body: Any = None) -> int:
    url = f"{servers.rasa_url}{path}" + (f"?token={servers.api_token}" if token else "")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_api_refuses_requests_without_the_token(servers):
    post(servers, {"sender": "victim", "message": "my kc120 is offline, mail me at jane@example.com"})
    victim = "/conversations/rest:victim"
    assert api(servers, "GET", f"{victim}/tracker", token=False) == 401
    assert api(servers, "POST", f"{victim}/tracker/events", token=False, body={"event": "slot"}) == 401
    assert api(servers, "POST", f"{victim}/trigger_intent", token=False, body={"name": "human_handoff"}) == 401
    assert api(servers, "DELETE", "/model", token=False) == 401
    assert api(servers, "GET", "/status", token=False) == 401
    assert api(servers, "GET", f"{victim}/tracker", token=True) == 200
    # the bot still answers
    assert texts(post(servers, {"sender": "victim", "message": "hi"})[2])


def test_a_rest_sender_cannot_reach_another_channels_conversation(servers):
    # A Telegram conversation is keyed by the bare chat id, a web chat one by its session id.
    post(servers, {"sender": "81234567", "message": "the power adapter of my EC70 gets really hot"})
    events = servers.tracker("81234567")["events"]
    assert not [e for e in events if e["event"] == "user"], "REST reached the Telegram conversation"
    assert [e for e in servers.tracker("rest:81234567")["events"] if e["event"] == "user"]
    status, _, body = post(servers, {"sender": "81234567", "message": "hi", "channel": "telegram"})
    assert status == 403 and "trusted relay" in body["error"]
    status, _, body = post(servers, {"sender": "a", "message": "hi", "input_channel": "telegram"})
    assert status == 400


def test_only_the_relay_with_its_token_speaks_for_telegram(servers):
    relay = f"{servers.rasa_url}/webhooks/rest/relay/telegram/{RELAY_TOKEN}/webhooks/rest/webhook"
    body = json.dumps({"sender": "55500011", "message": "hi", "metadata": {"telegram": True}}).encode()
    request = urllib.request.Request(relay, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200 and json.loads(response.read())
    events = servers.tracker("55500011")["events"]
    users = [e for e in events if e["event"] == "user"]
    assert users and users[-1]["input_channel"] == "telegram"
    wrong = relay.replace(RELAY_TOKEN, "guessed")
    request = urllib.request.Request(wrong, data=body, method="POST", headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=60)
    assert refused.value.code == 404
    status, _, _ = post(servers, {"sender": "55500011", "message": "hi", "channel": "telegram"})
    assert status == 403
    status, _, _ = post(
        servers, {"sender": "55500011", "message": "hi", "channel": "telegram"}, {"X-Kasa-Relay-Token": RELAY_TOKEN}
    )
    assert status == 200


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b'"hi"', b"null", b"{", b'{"message": "hi"}', b'{"sender": "a"}', b'{"sender": "a", "message": 5}',
     b'{"sender": "a", "message": null}', b'{"sender": "a", "message": {"text": "hi"}}'],
)  # fmt: skip
def test_bad_bodies_get_400_not_500(servers, body):
    status, _, answer = post(servers, body)
    assert status == 400 and answer["error"]


def test_size_limits_at_the_edge(servers):
    status, _, answer = post(servers, {"sender": "x" * 129, "message": "hi"})
    assert status == 400 and "128" in answer["error"]
    status, _, answer = post(servers, {"sender": "y" * 1_000_000, "message": "hi"})
    assert status == 413
    started = time.monotonic()
    status, headers, answer = post(servers, {"sender": "longtext", "message": "my camera is offline " * 300})
    assert status == 200 and headers.get("X-Kasa-Turn") == "too-long" and "too long" in texts(answer)[0]
    assert time.monotonic() - started < 2
    status, _, _ = post(servers, b'{"sender": "big", "message": "' + b"a" * 5_000_000 + b'"}')
    assert status == 413
    # nothing of it was read or stored
    assert api(servers, "GET", "/conversations/rest:longtext/tracker", token=True) == 200
    assert not [e for e in servers.tracker("rest:longtext")["events"] if e["event"] == "user"]


def test_a_retried_message_is_answered_once(servers):
    first = post(servers, {"sender": "retry", "message": "my camera has been offline for 2 months", "message_id": "t1"})
    again = post(servers, {"sender": "retry", "message": "my camera has been offline for 2 months", "message_id": "t1"})
    assert again[1].get("X-Kasa-Turn") == "replayed" and again[2] == first[2]
    users = [e for e in servers.tracker("rest:retry")["events"] if e["event"] == "user"]
    assert len(users) == 1


def first_payload(reply: List[Dict[str, Any]]) -> Optional[str]:
    for message in reversed(reply):
        for button in message.get("buttons") or []:
            if button["payload"].startswith("/choose"):
                return button["payload"]
    return None


def test_a_long_conversation_stays_bounded_and_keeps_its_diagnosis(servers):
    status, _, reply = post(servers, {"sender": "long", "message": "my camera has been offline for 2 months"})
    turns = 0
    for turn in range(30):
        payload = first_payload(reply)
        # a customer who asks how to do the step, again and again, before answering: the session passes
        # its bound however short the diagnosis itself is
        message = "/how_to" if turn < 10 else (payload or "/how_to")
        status, headers, reply = post(servers, {"sender": "long", "message": message})
        assert status == 200 and headers["X-Kasa-Turn"] == "saved"
        assert not any(t and t.startswith("Hi! I help with") for t in texts(reply)), "the diagnosis was lost"
        turns += 1
        if payload is None:
            break
    tracker = servers.tracker("rest:long")  # the HTTP API returns every session
    assert tracker["slots"]["conversation"], "the diagnosis slot was lost"
    with sqlite3.connect(servers.db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = 'rest:long' ORDER BY id").fetchall()
    events = [json.loads(data) for (data,) in rows]
    assert len(events) > BOUND, "the conversation never passed the bound: the test shows nothing"
    # what Rasa loads on each turn is the last session: it starts at a checkpoint and stays bounded
    last = max(i for i, e in enumerate(events) if e["event"] == "session_started")
    assert (events[last].get("metadata") or {}).get("kasa_checkpoint"), events[last]
    assert len(events) - last <= BOUND + 12
    assert any(e["event"] == "slot" and e["name"] == "conversation" for e in events[last:])


def control_run(servers: RasaServers, sender: str, messages: List[str]) -> List[List[str]]:
    return [texts(post(servers, {"sender": sender, "message": m})[2]) for m in messages]


def test_a_locked_database_applies_no_answer_to_the_wrong_question(servers):
    script = ["my camera has been offline for 2 months", "No, it stays offline", "/skip"]
    expected = control_run(servers, "locked-control", script)
    assert post(servers, {"sender": "locked", "message": script[0]})[2] and True
    holder = sqlite3.connect(servers.db_path, isolation_level=None, timeout=10)
    holder.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        status, headers, reply = post(servers, {"sender": "locked", "message": script[1]})
        assert headers.get("X-Kasa-Turn") == "not-saved"
        assert texts(reply) == [NOT_SAVED], "a reply to a turn that was not saved"
        assert "reference" not in json.dumps(reply)
        assert urllib_status(f"{servers.rasa_url}/health") == 503
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    # The customer sends it again: it answers the question it was meant for, and so on.
    assert control_run(servers, "locked", script[1:]) == expected[1:]
    assert urllib_status(f"{servers.rasa_url}/health") == 200


def urllib_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def chattr(flag: str, paths: List[Path]) -> bool:
    done = subprocess.run(["chattr", flag, *map(str, paths)], capture_output=True)
    return done.returncode == 0


def test_a_read_only_database_answers_nothing_as_if_saved(servers):
    script = ["sd card not recognized in my kc120", "/skip", "/skip"]
    expected = control_run(servers, "ro-control", script)
    post(servers, {"sender": "ro", "message": script[0]})
    files = [p for p in (servers.db_path, Path(f"{servers.db_path}-wal"), Path(f"{servers.db_path}-shm")) if p.exists()]
    if not chattr("+i", files):
        pytest.skip("chattr +i is not supported here (tests/e2e/test_cluster.py covers a read-only PostgreSQL)")
    try:
        for _ in range(2):
            status, headers, reply = post(servers, {"sender": "ro", "message": script[1]})
            assert status == 200 and headers.get("X-Kasa-Turn") == "not-saved" and texts(reply) == [NOT_SAVED]
        assert urllib_status(f"{servers.rasa_url}/health") == 503
        assert urllib_status(f"{servers.actions_url}/health") == 503
    finally:
        chattr("-i", files)
    assert control_run(servers, "ro", script[1:]) == expected[1:]
    assert urllib_status(f"{servers.actions_url}/health") == 200


def test_the_action_server_waits_for_a_request_longer_than_a_stalled_loop(servers):
    # Sanic counts its keep-alive from the connect: a Rasa server whose loop stalled 5 s between
    # connecting and sending lost the call with its default, and the customer got no answer.
    url = urllib.parse.urlsplit(servers.actions_url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as conn:
        time.sleep(6.5)
        conn.sendall(f"GET /health HTTP/1.1\r\nHost: {url.hostname}\r\nConnection: close\r\n\r\n".encode())
        answer = conn.recv(200)
    assert answer.startswith(b"HTTP/1.1 200"), answer

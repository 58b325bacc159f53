"""Two Rasa servers and two action servers behind nginx, on PostgreSQL and Redis (deploy/cluster.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest

from deploy.cluster import Cluster
from server.texts import NOT_SAVED


@pytest.fixture(scope="module")
def cluster(trained_model: Path, tmp_path_factory) -> Iterator[Cluster]:
    started = Cluster(tmp_path_factory.mktemp("cluster"), model=trained_model).start()
    try:
        yield started
    finally:
        started.stop()


def post(url: str, body: Dict[str, Any]) -> Tuple[int, Dict[str, str], Any]:
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def texts(reply: Any) -> List[str]:
    return [m.get("text") for m in reply] if isinstance(reply, list) else []


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def run(url: str, sender: str, script: List[str], prefix: str = "m") -> List[List[str]]:
    out = []
    for index, message in enumerate(script):
        status, _, reply = post(url, {"sender": sender, "message": message, "message_id": f"{prefix}{index}"})
        assert status == 200, reply
        out.append(texts(reply))
    return out


SCRIPT = ["my camera has been offline for 2 months", "Cool", "No, it stays offline", "/skip", "/skip"]


def test_nginx_forwards_only_the_channel_paths(cluster):
    for path in ("/", "/status", "/version", "/health", "/model", "/conversations/rest:a/tracker", "/webhooks/rest/"):
        assert status_of(f"{cluster.url}{path}") == 404, path
    assert status_of(f"{cluster.url}/chat") == 200
    assert post(cluster.url, {"sender": "edge", "message": "hi"})[0] == 200


def test_both_servers_share_conversations_through_postgresql_and_redis(cluster):
    expected = run(cluster.rasa[0].url, "direct", SCRIPT)
    # Every turn on the other server than the one before: nothing crosses, nothing is lost.
    alternating = []
    for index, message in enumerate(SCRIPT):
        node = cluster.rasa[index % 2]
        alternating.append(texts(post(node.url, {"sender": "alternating", "message": message})[2]))
    assert alternating == expected
    assert run(cluster.url, "via-nginx", SCRIPT) == expected
    health = json.loads(urllib.request.urlopen(f"{cluster.rasa[1].url}/health").read())
    assert health["lock_store"]["type"] == "KasaRedisLockStore" and "postgresql" in health["tracker_store"]["url"]


def test_kill_9_of_one_rasa_server_loses_nothing(cluster):
    expected = run(cluster.url, "kill-control", SCRIPT)
    got = run(cluster.url, "kill", SCRIPT[:2])
    cluster.kill(cluster.rasa[0])
    try:
        got += run(cluster.url, "kill", SCRIPT[2:], prefix="later")
    finally:
        cluster.restart(cluster.rasa[0])
    assert got == expected


def test_kill_9_of_one_action_server_is_not_noticed(cluster):
    expected = run(cluster.url, "akill-control", SCRIPT)
    got = run(cluster.url, "akill", SCRIPT[:2])
    cluster.kill(cluster.actions[0])
    try:
        got += run(cluster.url, "akill", SCRIPT[2:], prefix="later")
    finally:
        cluster.restart(cluster.actions[0])
    assert got == expected


def test_a_read_only_database_shows_no_answer_and_no_phantom_reference(cluster):
    expected = run(cluster.url, "ro-control", SCRIPT[:3])
    run(cluster.url, "ro", SCRIPT[:2])
    cluster.postgres.set_read_only("kasa", True)
    try:
        for message in ("No, it stays offline", "talk to a human please"):
            status, headers, reply = post(cluster.url, {"sender": "ro", "message": message})
            assert status == 200 and headers.get("X-Kasa-Turn") == "not-saved", reply
            assert texts(reply) == [NOT_SAVED]
        assert status_of(f"{cluster.rasa[0].url}/health") == 503
        assert status_of(f"{cluster.actions[0].url}/health") == 503
    finally:
        cluster.postgres.set_read_only("kasa", False)
    assert run(cluster.url, "ro", SCRIPT[2:3], prefix="again") == expected[2:3]
    assert status_of(f"{cluster.rasa[0].url}/health") == 200
    tickets = cluster.postgres.execute("kasa", "SELECT count(*) FROM handoff_tickets WHERE conversation_id = 'rest:ro'")
    assert tickets.strip() in ("0", "")


def tracker_user_texts(cluster: Cluster, conversation: str) -> List[str]:
    return [e.get("text") for e in cluster.tracker(conversation)["events"] if e["event"] == "user"]


def test_a_turn_is_stored_once_whichever_server_takes_it(cluster):
    run(cluster.url, "once", SCRIPT[:3])
    assert tracker_user_texts(cluster, "rest:once") == SCRIPT[:3]

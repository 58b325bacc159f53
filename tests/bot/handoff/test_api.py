"""The agents' HTTP API: bearer token, the same operations as the CLI, redacted output."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.handoff.api import create_app, token_matches
from bot.handoff.store import TicketStore
from tests.bot.handoff.conftest import GOLDEN, REPO_ROOT, Clock, make_golden_tickets, references, subprocess_env
from tests.support.servers import free_port

TOKEN = "s3cret-agent-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def store(tmp_path):
    s = TicketStore(
        f"sqlite:///{tmp_path / 'tracker.db'}", clock=Clock(), reference_factory=references("K7QM4XPA", "R2D2C3PX")
    )
    make_golden_tickets(s)
    yield s
    s.close()


@pytest.fixture
async def client(store):
    async with TestClient(TestServer(create_app(store, TOKEN), host="127.0.0.1")) as c:
        yield c


ENDPOINTS = [
    ("GET", "/tickets"),
    ("GET", "/tickets/K7QM4XPA"),
    ("GET", "/tickets/K7QM4XPA?format=html"),
    ("POST", "/tickets/K7QM4XPA/claim"),
    ("POST", "/tickets/K7QM4XPA/resolve"),
    ("POST", "/tickets/K7QM4XPA/hand_back"),
    ("GET", "/tickets/NOPE2345"),
    ("GET", "/nowhere"),
]
BAD_HEADERS = [
    {},
    {"Authorization": "Bearer wrong"},
    {"Authorization": TOKEN},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": f"Bearer {TOKEN[:-1]}"},
    {"Authorization": "Bearer "},
    {"Authorization": "Bearer"},
]


async def test_401_without_the_right_token(client, store):
    for method, path in ENDPOINTS:
        for headers in BAD_HEADERS:
            response = await client.request(method, path, headers=headers, json={"agent": "mallory"})
            assert response.status == 401, (method, path, headers)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "K7QM4XPA" not in await response.text()
    assert store.get("K7QM4XPA").status == "claimed" and store.get("K7QM4XPA").claimed_by == "alice"


async def test_an_empty_configured_token_locks_everything(store):
    async with TestClient(TestServer(create_app(store, ""), host="127.0.0.1")) as c:
        assert (await c.get("/tickets", headers={"Authorization": "Bearer "})).status == 401
        assert (await c.get("/tickets")).status == 401


def test_token_comparison():
    assert token_matches("abc", "abc") and not token_matches("abd", "abc") and not token_matches("", "")
    assert not token_matches(None, "abc") and not token_matches("abc", None)
    assert token_matches("naïve", "naïve")


async def test_list(client):
    response = await client.get("/tickets", headers=AUTH)
    assert response.status == 200
    body = await response.json()
    assert body["count"] == 2 and [t["reference"] for t in body["tickets"]] == ["K7QM4XPA", "R2D2C3PX"]
    assert body["tickets"][0]["claimed_by"] == "alice" and body["tickets"][1]["safety"] is True
    only = await (await client.get("/tickets?status=open", headers=AUTH)).json()
    assert [t["reference"] for t in only["tickets"]] == ["R2D2C3PX"]
    assert (await client.get("/tickets?status=nonsense", headers=AUTH)).status == 400


@pytest.mark.parametrize(
    "fmt, content_type", [("json", "application/json"), ("md", "text/markdown"), ("html", "text/html")]
)
async def test_show_in_every_format(client, fmt, content_type):
    response = await client.get(f"/tickets/k7qm4xpa?format={fmt}", headers=AUTH)
    assert response.status == 200 and response.content_type == content_type
    text = await response.text()
    assert text == (GOLDEN / f"escalation.{fmt}").read_text(encoding="utf-8")
    for secret in ("hunter2", "jane.doe@example.com", "010-4477", "Tr0ub4dor"):
        assert secret not in text


async def test_show_defaults_to_json_and_rejects_unknown_formats(client):
    response = await client.get("/tickets/R2D2C3PX", headers=AUTH)
    assert (await response.json())["schema_version"] == "1.1"
    assert (await client.get("/tickets/R2D2C3PX?format=pdf", headers=AUTH)).status == 400


async def test_unknown_reference_is_404(client):
    for method, path in [
        ("GET", "/tickets/NOPE2345"),
        ("POST", "/tickets/NOPE2345/claim"),
        ("POST", "/tickets/NOPE2345/resolve"),
        ("POST", "/tickets/NOPE2345/hand_back"),
    ]:
        response = await client.request(method, path, headers=AUTH, json={"agent": "bob"})
        assert response.status == 404
        assert "NOPE2345" in (await response.json())["error"]


async def test_claim_resolve_hand_back(client, store):
    response = await client.post("/tickets/R2D2C3PX/claim", headers=AUTH, json={"agent": "bob"})
    assert response.status == 200
    doc = await response.json()
    assert doc["status"] == "claimed" and doc["claimed_by"] == "bob" and doc["claimed_at"]
    conflict = await client.post("/tickets/R2D2C3PX/claim", headers=AUTH, json={"agent": "carol"})
    assert conflict.status == 409 and "claimed by bob" in (await conflict.json())["error"]
    for body in (None, {}, {"agent": ""}, {"agent": 5}, [1]):
        bad = await client.post("/tickets/K7QM4XPA/claim", headers=AUTH, json=body)
        assert bad.status == 400
    bad = await client.post(
        "/tickets/K7QM4XPA/claim", headers={**AUTH, "Content-Type": "application/json"}, data=b"{not json"
    )
    assert bad.status == 400

    resolved = await client.post("/tickets/K7QM4XPA/resolve", headers=AUTH, json={"note": "Replacement sent"})
    assert resolved.status == 200 and (await resolved.json())["resolution_note"] == "Replacement sent"
    assert store.get("K7QM4XPA").status == "resolved"
    assert (await client.post("/tickets/K7QM4XPA/hand_back", headers=AUTH)).status == 409

    back = await client.post("/tickets/R2D2C3PX/hand_back", headers=AUTH)
    assert back.status == 200 and (await back.json())["status"] == "handed_back"
    no_body = await client.post("/tickets/R2D2C3PX/resolve", headers=AUTH)
    assert no_body.status == 409


def test_runs_as_a_module_on_a_real_port(tmp_path):
    db = f"sqlite:///{tmp_path / 'tracker.db'}"
    ref = (
        TicketStore(db).create("conv", "rest", None, {"symptoms": ["Kasa camera offline after 2 months"]}, []).reference
    )
    port = free_port()
    missing = subprocess.run(
        [sys.executable, "-m", "bot.handoff.api", "--port", str(port), "--db", db],
        capture_output=True,
        text=True,
        timeout=60,
        env=subprocess_env(HANDOFF_API_TOKEN=""),
    )
    assert missing.returncode == 2 and "HANDOFF_API_TOKEN" in missing.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.handoff.api", "--port", str(port), "--db", db],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=subprocess_env(HANDOFF_API_TOKEN=TOKEN),
        cwd=REPO_ROOT,
    )
    try:
        url = f"http://127.0.0.1:{port}/tickets"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
            except urllib.error.HTTPError as error:
                assert error.code == 401
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the API did not start"
                time.sleep(0.1)
        request = urllib.request.Request(url, headers=AUTH)
        with urllib.request.urlopen(request, timeout=10) as response:
            assert [t["reference"] for t in json.load(response)["tickets"]] == [ref]
        claim = urllib.request.Request(
            f"{url}/{ref}/claim",
            data=json.dumps({"agent": "dana"}).encode(),
            headers={**AUTH, "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(claim, timeout=10) as response:
            assert json.load(response)["claimed_by"] == "dana"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


async def test_an_agent_writes_to_the_customer(client, store):
    path = "/tickets/R2D2C3PX/messages"
    sent = await client.post(path, json={"agent": "bob", "text": "Hi, Bob here."}, headers=AUTH)
    assert sent.status == 201
    assert (await sent.json())["message"]["text"] == "Hi, Bob here."
    other = await client.post(path, json={"agent": "carol", "text": "Me too"}, headers=AUTH)
    assert other.status == 409 and "claimed by bob" in (await other.json())["error"]
    for body in (
        {"agent": "bob"},
        {"text": "hi"},
        {"agent": "bob", "text": "   "},
        {"agent": "bob", "text": "x" * 4001},
    ):
        assert (await client.post(path, json=body, headers=AUTH)).status == 400, body
    assert (
        await client.post("/tickets/NOPE2345/messages", json={"agent": "a", "text": "b"}, headers=AUTH)
    ).status == 404
    assert (await client.post(path, json={"agent": "bob", "text": "hi"})).status == 401
    talk = await (await client.get(path, headers=AUTH)).json()
    assert [(m["who"], m.get("agent"), m["text"]) for m in talk["messages"]] == [("agent", "bob", "Hi, Bob here.")]
    conversation = store.get("R2D2C3PX").conversation_id
    assert [n["kind"] for n in store.take_outbox(conversation)] == ["claimed", "message"]
    back = await client.post("/tickets/R2D2C3PX/hand_back", json={"agent": "carol"}, headers=AUTH)
    assert back.status == 409


async def test_the_assigned_agent_sees_contact_details(client):
    mine = await client.get("/tickets/K7QM4XPA?format=md&agent=alice", headers=AUTH)
    assert "jane.doe@example.com" in await mine.text()
    header = await client.get("/tickets/K7QM4XPA", headers={**AUTH, "X-Handoff-Agent": "alice"})
    assert "jane.doe@example.com" in await header.text()
    for query in ("?agent=bob", ""):
        other = await client.get(f"/tickets/K7QM4XPA{query}", headers=AUTH)
        assert "jane.doe@example.com" not in await other.text()

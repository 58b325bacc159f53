"""The outbox worker: due conversations go to their channel's route, once at a time, again after a
failed delivery once the lease ran out, and only while the customer can be reached."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.handoff.outbox import OutboxWorker
from bot.handoff.store import TicketStore
from tests.bot.handoff.conftest import load_case


class Clock:
    def __init__(self):
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock):
    with TicketStore(f"sqlite:///{tmp_path / 'outbox.db'}", clock=clock) as s:
        yield s


def open_ticket(store, conversation, channel="socketio"):
    return store.create(conversation, channel, conversation, load_case("case_pan_tilt_return"), [])


async def settle():
    for _ in range(5):
        await asyncio.sleep(0)


async def test_each_due_conversation_goes_to_its_channel(store):
    web, tg, rest = open_ticket(store, "web-1"), open_ticket(store, "77", "telegram"), open_ticket(store, "r", "rest")
    for t in (web, tg, rest):
        store.add_agent_message(t.reference, "Alice", "hello")
    asked = []

    async def deliver(conversation):
        asked.append(conversation)
        store.take_outbox(conversation)  # what the bot's action does

    worker = OutboxWorker(store, poll=0.01, unclaimed_after=0)
    worker.register("socketio", deliver)
    worker.register("telegram", deliver)
    assert await worker.tick() == 2
    await settle()
    assert sorted(asked) == ["77", "web-1"], "a REST customer gets it with their next message"
    assert await worker.tick() == 0, "taken: nothing twice"
    assert [r["delivered_at"] is None for r in store.outbox("r")] == [True, True]


async def test_a_failed_delivery_is_tried_again_after_the_lease(store, clock):
    t = open_ticket(store, "web-2")
    store.add_agent_message(t.reference, "Alice", "hello")
    calls = []

    async def deliver(conversation):
        calls.append(conversation)
        if len(calls) == 1:
            raise ConnectionError("the action server is restarting")
        store.take_outbox(conversation)

    worker = OutboxWorker(store, poll=0.01, unclaimed_after=0)
    worker.register("socketio", deliver)
    assert await worker.tick() == 1
    await settle()
    assert await worker.tick() == 0, "leased: not asked again at once"
    clock.now += timedelta(seconds=60)
    assert await worker.tick() == 1
    await settle()
    assert calls == ["web-2", "web-2"]
    assert all(r["delivered_at"] for r in store.outbox("web-2"))


async def test_a_customer_away_gets_it_when_back(store):
    t = open_ticket(store, "web-3")
    store.add_agent_message(t.reference, "Alice", "hello")
    connected = set()
    asked = []

    async def deliver(conversation):
        asked.append(conversation)
        store.take_outbox(conversation)

    worker = OutboxWorker(store, poll=0.01, unclaimed_after=0)
    worker.register("socketio", deliver, lambda c: c in connected)
    assert await worker.tick() == 0 and asked == []
    connected.add("web-3")
    assert await worker.tick() == 1
    await settle()
    assert asked == ["web-3"]


async def test_nobody_free_in_time_is_told_once(store, clock):
    t = open_ticket(store, "web-4")
    worker = OutboxWorker(store, poll=0.01, unclaimed_after=600)
    worker.register("socketio", lambda c: asyncio.sleep(0))
    await worker.tick()
    assert store.outbox("web-4") == []
    clock.now += timedelta(minutes=11)
    worker._last_unclaimed = 0.0
    await worker.tick()
    assert [r["kind"] for r in store.outbox("web-4")] == ["unclaimed"]
    assert store.get(t.reference).unclaimed_notice_at is not None


async def test_the_time_an_agent_has_to_claim_is_a_setting(store, clock, monkeypatch):
    from bot.handoff.live import CLAIM_TIMEOUT_ENV, handoff_queued_text

    monkeypatch.setenv(CLAIM_TIMEOUT_ENV, "120")
    assert "If nobody is free within 2 minutes, I'll let you know." in handoff_queued_text("ABCD1234")
    t = open_ticket(store, "web-5")
    worker = OutboxWorker(store, poll=0.01)
    worker.register("socketio", lambda c: asyncio.sleep(0))
    clock.now += timedelta(seconds=100)
    await worker.tick()
    assert store.outbox("web-5") == []
    clock.now += timedelta(seconds=30)
    worker._last_unclaimed = 0.0
    await worker.tick()
    assert [r["kind"] for r in store.outbox("web-5")] == ["unclaimed"]

    # 0 turns the notice off, and the customer is promised none
    monkeypatch.setenv(CLAIM_TIMEOUT_ENV, "0")
    assert "If nobody is free" not in handoff_queued_text(t.reference)
    open_ticket(store, "web-6")
    worker = OutboxWorker(store, poll=0.01)
    worker.register("socketio", lambda c: asyncio.sleep(0))
    clock.now += timedelta(days=1)
    await worker.tick()
    assert store.outbox("web-6") == []

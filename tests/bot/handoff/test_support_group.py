"""The support group against the fake Bot API and a real ticket store: topics, buttons, messages both
ways, photos by file id, one agent per case, reply threads where the group has no topics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.clients.telegram.bot_api import make_bot
from bot.clients.telegram.updates import parse_update
from bot.handoff.store import TicketStore
from bot.handoff.support_group import SupportGroup
from tests.bot.handoff.conftest import load_case
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_updates import group_callback, group_message

FORUM, PLAIN = -1001000000001, -1001000000002
ALICE, BOB = 4001, 4002


@pytest.fixture(scope="module")
def fake_tg():
    with FakeTelegram(forums=[FORUM]) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path):
    with TicketStore(f"sqlite:///{tmp_path / 'tickets.db'}") as s:
        yield s


@pytest.fixture
async def group(fake_tg, store):
    bot = make_bot(fake_tg.token, fake_tg.url)
    await bot.initialize()
    yield lambda chat=FORUM: SupportGroup(bot, store, chat)
    await bot.shutdown()


def ticket(store: TicketStore, conversation: str = "web-1", channel: str = "socketio", name=None):
    return store.create(conversation, channel, conversation, load_case("case_pan_tilt_return"), [], customer_name=name)


def in_thread(fake_tg, chat, thread):
    return [c for c in fake_tg.calls_of("sendMessage", chat_id=chat) if c.params.get("message_thread_id") == thread]


async def feed(support: SupportGroup, fake_tg, data) -> str:
    return await support.handle_update(parse_update(json.loads(json.dumps(data)), support.bot))


async def test_a_ticket_opens_a_topic_with_its_summary_and_buttons(group, store, fake_tg):
    support = group()
    t = ticket(store, name="Dana Scully")
    await support.sync()
    [topic] = [c for c in fake_tg.calls_of("createForumTopic", chat_id=FORUM) if t.reference in c.params["name"]]
    thread = topic.result["message_thread_id"]
    [summary] = in_thread(fake_tg, FORUM, thread)
    assert summary.params["text"].startswith(f"New hand-off {t.reference}")
    assert "Customer: Dana Scully" in summary.params["text"]
    titles = [b["text"] for row in summary.params["reply_markup"]["inline_keyboard"] for b in row]
    assert titles == ["Claim", "Hand back", "Resolve"]
    await support.sync()  # nothing twice
    assert len(in_thread(fake_tg, FORUM, thread)) == 1
    assert store.get(t.reference).support_thread_id == thread


async def test_claim_talk_and_one_agent_per_case(group, store, fake_tg):
    support = group()
    t = ticket(store, "web-2")
    store.add_customer_message(t.reference, "hello? my mail is dana@example.com")
    await support.sync()
    thread = store.get(t.reference).support_thread_id
    texts = [c.params["text"] for c in in_thread(fake_tg, FORUM, thread)]
    assert any("[redacted-email]" in x for x in texts), "unclaimed: an unassigned place"
    assert not any("dana@example.com" in x for x in texts)

    summary = in_thread(fake_tg, FORUM, thread)[0].result
    claim = next(b for row in summary["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "Claim")
    assert await feed(support, fake_tg, group_callback(FORUM, ALICE, summary, claim["callback_data"])) == "claim"
    assert store.get(t.reference).claimed_by == "Alice"
    assert any("Alice has the case" in c.params["text"] for c in in_thread(fake_tg, FORUM, thread))
    assert any(
        "Contact details the customer typed: dana@example.com" in c.params["text"]
        for c in in_thread(fake_tg, FORUM, thread)
    ), "claimed: the assigned agent's view"

    said = group_message(FORUM, ALICE, "Hi Dana, I'm on it.", thread_id=thread)
    assert await feed(support, fake_tg, said) == "agent_message"
    news = store.take_outbox("web-2")
    assert [(n["kind"], n["agent"], n["text"]) for n in news] == [
        ("claimed", "Alice", None),
        ("message", "Alice", "Hi Dana, I'm on it."),
    ]

    bob = group_message(FORUM, BOB, "I can take this", agent_name="Bob", thread_id=thread)
    assert await feed(support, fake_tg, bob) == "refused"
    assert store.take_outbox("web-2") == []
    refusal = fake_tg.calls_of("sendMessage", chat_id=FORUM)[-1].params
    assert "Not sent to the customer" in refusal["text"] and "claimed by Alice" in refusal["text"]
    assert await feed(support, fake_tg, group_message(FORUM, BOB, "/resolve", agent_name="Bob", thread_id=thread)) == (
        "refused"
    )
    assert store.get(t.reference).status == "claimed"

    await feed(support, fake_tg, group_message(FORUM, ALICE, "/resolve Replacement sent", thread_id=thread))
    assert store.get(t.reference).status == "resolved"
    [resolved] = store.take_outbox("web-2")
    assert resolved["kind"] == "resolved" and resolved["text"] == "Replacement sent"
    assert any("Resolved by Alice" in c.params["text"] for c in in_thread(fake_tg, FORUM, thread))


async def test_customer_photos_go_by_file_id(group, store, fake_tg):
    support = group()
    t = ticket(store, "77001", "telegram", name="Dana")
    await support.sync()
    store.add_customer_message(t.reference, "the slot", kind="photo", file_id="AgACAgPhoto-1")
    await support.sync()
    thread = store.get(t.reference).support_thread_id
    [photo] = fake_tg.calls_of("sendPhoto", chat_id=FORUM)
    assert photo.params["photo"] == "AgACAgPhoto-1" and photo.params["message_thread_id"] == thread
    assert photo.params["caption"] == "Dana: the slot"


async def test_a_group_without_topics_uses_reply_threads(group, store, fake_tg):
    support = group(PLAIN)
    t = ticket(store, "web-3")
    await support.sync()
    root = store.get(t.reference)
    assert root.support_thread_id is None and root.support_message_id
    summary = next(c for c in fake_tg.calls_of("sendMessage", chat_id=PLAIN) if t.reference in c.params["text"])
    answer = group_message(PLAIN, ALICE, "Hello from support", reply_to=summary.result)
    assert await feed(support, fake_tg, answer) == "agent_message"
    assert [n["kind"] for n in store.take_outbox("web-3")] == ["claimed", "message"]
    store.add_customer_message(t.reference, "thanks!")
    await support.sync()
    relayed = fake_tg.calls_of("sendMessage", chat_id=PLAIN)[-1].params
    assert relayed["text"] == "Customer: thanks!"
    assert relayed["reply_parameters"]["message_id"] == root.support_message_id  # PTB's form of reply_to
    # the group's own talk is not for a customer
    assert await feed(support, fake_tg, group_message(PLAIN, BOB, "lunch?", agent_name="Bob")) == "chatter"


async def test_two_servers_post_a_ticket_once(group, store, fake_tg):
    first, second = group(), group()
    t = ticket(store, "web-5")
    await first.sync()
    await second.sync()  # another Rasa server with the same channel: the lease is the first's
    topics = [c for c in fake_tg.calls_of("createForumTopic", chat_id=FORUM) if t.reference in c.params["name"]]
    assert len(topics) == 1
    store.add_customer_message(t.reference, "hi there")
    await second.sync()
    await first.sync()
    thread = store.get(t.reference).support_thread_id
    assert [c.params["text"] for c in in_thread(fake_tg, FORUM, thread)].count("Customer: hi there") == 1


async def test_the_group_on_its_own_process(fake_tg, store, monkeypatch, tmp_path):
    """python -m bot.handoff.support_group: long-polls the group and serves it."""
    import asyncio

    from bot.handoff import support_group

    monkeypatch.setenv("HANDOFF_DB_URL", store.url)
    monkeypatch.setenv("HANDOFF_SUPPORT_POLL", "0.1")
    t = ticket(store, "web-6")
    stopping = asyncio.Event()
    serving = asyncio.ensure_future(support_group._serve(fake_tg.token, str(FORUM), fake_tg.url, stopping))
    try:
        topic = await asyncio.wait_for(_topic(store, t.reference), 20)
        fake_tg.push_update(group_message(FORUM, ALICE, "Hello from the group", thread_id=topic))
        for _ in range(200):
            if store.messages(t.reference):
                break
            await asyncio.sleep(0.05)
        assert [(m["who"], m["text"]) for m in store.messages(t.reference)] == [("agent", "Hello from the group")]
        assert store.get(t.reference).claimed_by == "Alice"
    finally:
        stopping.set()
        await asyncio.wait_for(serving, 30)


async def _topic(store, reference):
    """The ticket's topic, once the group has posted it."""
    import asyncio

    while not store.get(reference).support_thread_id:
        await asyncio.sleep(0.05)
    return store.get(reference).support_thread_id

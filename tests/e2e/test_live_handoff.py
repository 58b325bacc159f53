"""The live hand-off end to end: agents in a (fake) Telegram support group talk with a web chat
customer in headless Chromium and with a Telegram customer at once, through the real Rasa server and
action server (one start for the module).

Claim, messages both ways, a photo, one agent per case, restarts of the Rasa server and of the action
server in the middle (nothing lost), hand back (the diagnosis resumes where it stood), resolve with a
note; then 50 simultaneous hand-offs over socket.io, every agent message delivered once, to the right
customer. Delivery times go to test-artifacts/live-handoff-figures.json (reported, not asserted).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List

import pytest

from bot.handoff.store import TicketStore
from tests.support.fake_telegram import FakeTelegram
from tests.support.servers import REPO_ROOT, RasaServers, http_json, server_env
from tests.support.socketio_client import ChatClient
from tests.support.telegram_updates import group_callback, group_message, photo_update, text_update

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.timeout(900)]

SECRET = "live_Secret-token-0123456789"
FORUM = -1009000000001
ALICE, BOB = 5001, 5002
TG_CUSTOMER = 9300001
BOT_TIMEOUT = 60_000
ARTIFACTS = REPO_ROOT / "test-artifacts"
FIGURES: Dict[str, Any] = {}


@pytest.fixture(scope="module")
def fake_tg():
    with FakeTelegram(forums=[FORUM]) as server:
        yield server


@pytest.fixture(scope="module")
def live(trained_model, tmp_path_factory, fake_tg, pytestconfig):
    extra = (
        "rasa_channels.telegram_channel.TelegramInput:\n"
        f"  access_token: {json.dumps(fake_tg.token)}\n"
        f"  secret_token: {json.dumps(SECRET)}\n"
        f"  base_url: {json.dumps(fake_tg.url)}\n"
        f"  support_chat_id: {json.dumps(str(FORUM))}\n"
    )
    servers = RasaServers(
        project_dir=REPO_ROOT,
        model_path=trained_model,
        workdir=tmp_path_factory.mktemp("live-handoff"),
        extra_credentials=extra,
        extra_env={"HANDOFF_OUTBOX_POLL": "0.1", "HANDOFF_SUPPORT_POLL": "0.2", "HANDOFF_OUTBOX_LEASE": "3"},
    )
    servers.start()
    try:
        yield servers
    finally:
        servers.stop()
        if FIGURES:
            ARTIFACTS.mkdir(exist_ok=True)
            (ARTIFACTS / "live-handoff-figures.json").write_text(json.dumps(FIGURES, indent=2), encoding="utf-8")
            # with capture off: pytest keeps what a fixture prints to itself unless the test failed
            capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
            with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
                print("\nlive hand-off delivery figures:", json.dumps(FIGURES, sort_keys=True), flush=True)


@pytest.fixture(scope="module")
def store(live):
    with TicketStore(f"sqlite:///{live.db_path}") as s:
        yield s


def post(servers: RasaServers, update: Any) -> int:
    request = urllib.request.Request(
        f"{servers.rasa_url}/webhooks/telegram/webhook",
        data=json.dumps(update).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def to_chat(fake_tg: FakeTelegram, chat: int) -> List[str]:
    return [c.params["text"] for c in fake_tg.calls_of("sendMessage", chat_id=chat) if c.status == 200]


def in_topic(fake_tg: FakeTelegram, thread: int) -> List[Any]:
    return [c for c in fake_tg.calls_of("sendMessage", chat_id=FORUM) if c.params.get("message_thread_id") == thread]


def topic_of(fake_tg: FakeTelegram, reference: str) -> int:
    topic = fake_tg.wait_for(
        lambda: [c for c in fake_tg.calls_of("createForumTopic", chat_id=FORUM) if reference in c.params["name"]]
    )[0]
    return topic.result["message_thread_id"]


def summary_of(fake_tg: FakeTelegram, thread: int) -> Dict[str, Any]:
    call = fake_tg.wait_for(lambda: [c for c in in_topic(fake_tg, thread) if c.params.get("reply_markup")])[0]
    return call.result


def button(summary: Dict[str, Any], title: str) -> str:
    return next(
        b["callback_data"] for row in summary["reply_markup"]["inline_keyboard"] for b in row if b["text"] == title
    )


def cli(servers: RasaServers, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bot.handoff.cli", "--db", f"sqlite:///{servers.db_path}", *args],
        cwd=REPO_ROOT,
        env=server_env(REPO_ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )


def bot_says(page, text: str, timeout: int = BOT_TIMEOUT):
    message = page.locator(".kc-msg-bot", has_text=text).last
    expect(message).to_be_visible(timeout=timeout)
    return message


def test_agents_in_the_support_group_talk_with_a_web_and_a_telegram_customer(live, fake_tg, store, new_page):
    # -- the web customer, in Chromium: a diagnosis, then a person ---------------------------------
    page = new_page()
    page.goto(f"{live.rasa_url}/chat")
    page.get_by_role("textbox").fill("the sd card in my kc120 is not recognized anymore")
    page.keyboard.press("Enter")
    bot_says(page, "SD card")
    question = page.locator(".kc-msg-bot .kc-bubble").last.inner_text()
    page.get_by_role("textbox").fill("I want to talk to a person")
    page.keyboard.press("Enter")
    queued = bot_says(page, "passing your case").inner_text()
    web_ref = re.search(r"reference ([A-Z0-9]{8})", queued).group(1)
    assert "I'll tell you here when someone takes your case" in queued
    expect(page.locator(".kc-typing")).to_be_hidden(timeout=5_000)

    # -- the Telegram customer --------------------------------------------------------------------
    assert post(live, text_update(TG_CUSTOMER, "the pan tilt on my camera stopped working")) == 200
    assert post(live, text_update(TG_CUSTOMER, "/human")) == 200
    tg_ref = re.search(r"reference ([A-Z0-9]{8})", "\n".join(to_chat(fake_tg, TG_CUSTOMER))).group(1)
    assert store.get(tg_ref).channel == "telegram" and store.get(tg_ref).customer_name == "Dana"
    assert store.get(web_ref).channel == "socketio"

    # -- each ticket has its topic with the summary and the buttons --------------------------------
    web_topic, tg_topic = topic_of(fake_tg, web_ref), topic_of(fake_tg, tg_ref)
    web_summary, tg_summary = summary_of(fake_tg, web_topic), summary_of(fake_tg, tg_topic)
    assert web_summary["text"].startswith(f"New hand-off {web_ref} (web chat)")
    assert tg_summary["text"].startswith(f"New hand-off {tg_ref} (Telegram)") and "Customer: Dana" in tg_summary["text"]

    # -- Alice claims the web case with the button; the customer sees her name ----------------------
    started = time.monotonic()
    assert post(live, group_callback(FORUM, ALICE, web_summary, button(web_summary, "Claim"))) == 200
    bot_says(page, "Alice from our support team has your case", timeout=10_000)
    FIGURES["web_claim_notice_s"] = round(time.monotonic() - started, 3)

    started = time.monotonic()
    assert post(live, group_message(FORUM, ALICE, "Hi! Which microSD card do you use?", thread_id=web_topic)) == 200
    agent_message = page.locator(".kc-msg-agent", has_text="Which microSD card do you use?")
    expect(agent_message).to_be_visible(timeout=10_000)
    FIGURES["web_agent_message_s"] = round(time.monotonic() - started, 3)
    assert agent_message.locator(".kc-agent").inner_text() == "Alice · support"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "live-handoff-webchat.png"))

    # the customer answers; it appears in the topic (the assigned agent's view: the address as typed)
    page.get_by_role("textbox").fill("A SanDisk 32 GB. Mail me at dana@example.com if needed")
    page.keyboard.press("Enter")
    fake_tg.wait_for(lambda: [c for c in in_topic(fake_tg, web_topic) if "dana@example.com" in c.params["text"]])
    expect(page.locator(".kc-typing")).to_be_hidden(timeout=5_000)

    # Bob cannot write for Alice's case
    before = len(store.messages(web_ref))
    assert post(live, group_message(FORUM, BOB, "Bob here", agent_name="Bob", thread_id=web_topic)) == 200
    assert any(
        "Not sent to the customer" in c.params["text"] and "claimed by Alice" in c.params["text"]
        for c in in_topic(fake_tg, web_topic)
    )
    assert len(store.messages(web_ref)) == before

    # -- Bob takes the Telegram case with /claim and talks to the customer ------------------------
    assert post(live, group_message(FORUM, BOB, "/claim", agent_name="Bob", thread_id=tg_topic)) == 200
    fake_tg.wait_for(lambda: any("Bob from our support team has your case" in t for t in to_chat(fake_tg, TG_CUSTOMER)))
    calls_before = len([c for c in fake_tg.calls if c.params.get("chat_id") == TG_CUSTOMER])
    started = time.monotonic()
    assert (
        post(live, group_message(FORUM, BOB, "Does the motor make any sound?", agent_name="Bob", thread_id=tg_topic))
        == 200
    )
    fake_tg.wait_for(lambda: "Bob (support): Does the motor make any sound?" in to_chat(fake_tg, TG_CUSTOMER), 10)
    FIGURES["telegram_agent_message_s"] = round(time.monotonic() - started, 3)
    calls = [c for c in fake_tg.calls if c.params.get("chat_id") == TG_CUSTOMER][calls_before:]
    FIGURES["telegram_bot_api_calls_per_agent_message"] = len(calls)
    assert [c.method for c in calls] == ["sendMessage"], "one Bot API call, no typing"

    # the customer answers with words and a photo: both reach the topic, with no "typing..." for them
    typing_before = len(fake_tg.calls_of("sendChatAction", chat_id=TG_CUSTOMER))
    assert post(live, text_update(TG_CUSTOMER, "No sound at all")) == 200
    assert post(live, photo_update(TG_CUSTOMER, "AgACAgQAAxkBPhoto-Motor-1", caption="the base")) == 200
    fake_tg.wait_for(lambda: any("Dana: No sound at all" == c.params["text"] for c in in_topic(fake_tg, tg_topic)))
    [photo] = fake_tg.wait_for(lambda: fake_tg.calls_of("sendPhoto", chat_id=FORUM))
    assert photo.params["photo"] == "AgACAgQAAxkBPhoto-Motor-1" and photo.params["message_thread_id"] == tg_topic
    assert len(fake_tg.calls_of("sendChatAction", chat_id=TG_CUSTOMER)) == typing_before
    assert not any("I can only read text" in t for t in to_chat(fake_tg, TG_CUSTOMER))

    # -- the Rasa server restarts mid-conversation: nothing is lost either way --------------------
    live.rasa.stop()
    assert cli(live, "reply", web_ref, "Sorry for the wait, still here.", "--agent", "Alice").returncode == 0
    assert cli(live, "reply", tg_ref, "Checking the motor logs now.", "--agent", "Bob").returncode == 0
    page.get_by_role("textbox").fill("are you still there?")  # typed while the server is away
    page.keyboard.press("Enter")
    live.rasa.start()
    live._wait_rasa_ready()
    bot_says(page, "Sorry for the wait, still here.", timeout=30_000)
    fake_tg.wait_for(lambda: "Bob (support): Checking the motor logs now." in to_chat(fake_tg, TG_CUSTOMER), 30)
    fake_tg.wait_for(lambda: any("are you still there?" in c.params["text"] for c in in_topic(fake_tg, web_topic)), 30)

    # -- the action server restarts: a customer message and an agent message in the gap -----------
    live.actions.stop()
    assert post(live, text_update(TG_CUSTOMER, "I also tried another outlet")) == 200
    assert post(live, group_message(FORUM, BOB, "Thanks, noted.", agent_name="Bob", thread_id=tg_topic)) == 200
    live.restart_actions()
    fake_tg.wait_for(lambda: "Bob (support): Thanks, noted." in to_chat(fake_tg, TG_CUSTOMER), 30)
    fake_tg.wait_for(
        lambda: any("I also tried another outlet" in c.params["text"] for c in in_topic(fake_tg, tg_topic)), 30
    )
    assert to_chat(fake_tg, TG_CUSTOMER).count("Bob (support): Thanks, noted.") == 1
    assert page.locator(".kc-msg-bot", has_text="Sorry for the wait, still here.").count() == 1

    # the assigned agent's view shows the address the customer typed for her; anyone else's does not
    assert "dana@example.com" in cli(live, "show", web_ref, "--agent", "Alice").stdout
    assert "dana@example.com" not in cli(live, "show", web_ref).stdout
    assert "dana@example.com" not in cli(live, "show", web_ref, "--agent", "Bob").stdout

    # -- Alice hands the web case back: the diagnosis resumes where it stood ----------------------
    assert post(live, group_callback(FORUM, ALICE, web_summary, button(web_summary, "Hand back"))) == 200
    bot_says(page, "handed you back to me", timeout=10_000)
    bot_says(page, "We were working on:")
    expect(page.locator(".kc-msg-bot .kc-bubble").last).to_have_text(question)
    assert page.locator("button.kc-choice:enabled").count() >= 2, "the question's answers are buttons again"

    # -- Bob resolves the Telegram case with a note -----------------------------------------------
    note = "A replacement camera is on its way, tracking 1Z999AA10123456784."
    assert post(live, group_message(FORUM, BOB, f"/resolve {note}", agent_name="Bob", thread_id=tg_topic)) == 200
    fake_tg.wait_for(
        lambda: any(
            f"Bob from our support team has closed case {tg_ref}" in t and note in t
            for t in to_chat(fake_tg, TG_CUSTOMER)
        )
    )
    assert store.get(tg_ref).status == "resolved" and store.get(web_ref).status == "handed_back"

    # -- the ticket: both sides of the talk, the buttons in words, no payloads ---------------------
    talk = cli(live, "messages", web_ref).stdout
    assert "Alice (agent): Hi! Which microSD card do you use?" in talk
    assert "customer: are you still there?" in talk and "[redacted-email]" in talk, "no longer assigned"
    for c in fake_tg.calls_of("sendMessage", chat_id=TG_CUSTOMER):
        assert "/choose" not in c.params["text"] and "handoff_event" not in c.params["text"]
    assert not page.errors


async def _fifty(servers: RasaServers, store: TicketStore, count: int = 50) -> Dict[str, Any]:
    url = servers.rasa_url
    chats = []
    for _ in range(count):
        chat = ChatClient()
        await chat.connect(url)
        chats.append((chat, await chat.session()))

    async def hand_off(chat, session) -> str:
        await chat.say("I want to talk to a person", session)
        got = await chat.replies_until(lambda m: "reference" in (m.get("text") or ""), timeout=120)
        return re.search(r"reference ([A-Z0-9]{8})", " ".join(m.get("text") or "" for m in got)).group(1)

    try:
        refs = await asyncio.gather(*(hand_off(c, s) for c, s in chats))
        assert len(set(refs)) == count
        started = time.monotonic()
        for i, ref in enumerate(refs):
            store.add_agent_message(ref, f"Agent{i % 5}", f"token-{ref}-1")
            store.add_agent_message(ref, f"Agent{i % 5}", f"token-{ref}-2")

        async def collect(chat, ref) -> List[str]:
            got = await chat.replies_until(lambda m: f"token-{ref}-2" in (m.get("text") or ""), timeout=120)
            return [m.get("text") or "" for m in got]

        received = await asyncio.gather(*(collect(c, r) for (c, _), r in zip(chats, refs)))
        elapsed = time.monotonic() - started
        for ref, texts in zip(refs, received):
            tokens = [t for text in texts for t in re.findall(r"token-[A-Z0-9]{8}-\d", text)]
            assert tokens == [f"token-{ref}-1", f"token-{ref}-2"], (ref, texts)
        return {"hand_offs": count, "agent_messages": 2 * count, "all_delivered_s": round(elapsed, 2)}
    finally:
        await asyncio.gather(*(c.close() for c, _ in chats), return_exceptions=True)


def test_fifty_simultaneous_hand_offs_each_message_once_to_the_right_customer(live, store):
    # its own thread: Playwright's sync API keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        FIGURES["fifty_hand_offs"] = pool.submit(asyncio.run, _fifty(live, store)).result(timeout=600)


def test_a_rest_customer_gets_agents_messages_with_the_next_request_or_by_asking(live, store):
    sender = "rest-live-1"
    texts = live.texts(sender, "I want to talk to a person")
    ref = re.search(r"reference ([A-Z0-9]{8})", " ".join(texts)).group(1)
    assert store.get(ref).channel == "rest"
    store.add_agent_message(ref, "Carol", "Hello from Carol.")
    assert live.texts(sender, "/handoff_event")[-1] == "Carol (support): Hello from Carol."
    assert live.texts(sender, "/handoff_event") == [], "once"
    store.add_agent_message(ref, "Carol", "Are you there?")
    assert live.texts(sender, "yes, still here") == ["Carol (support): Are you there?"], "with the next message"
    assert [m["text"] for m in store.messages(ref) if m["who"] == "customer"] == ["yes, still here"]


def test_a_telegram_customer_polled_over_rest_is_labelled_telegram_with_their_name(live, store):
    """Polling mode reaches Rasa over REST; the ticket still says Telegram and names the customer."""
    chat = 9300002
    answer = http_json(
        "POST",
        f"{live.rasa_url}/webhooks/rest/webhook",
        {
            "sender": str(chat),
            "message": "I want to talk to a person",
            "metadata": {"telegram": {"chat_id": chat, "name": "Eve Polled"}},
        },
    )
    ref = re.search(r"reference ([A-Z0-9]{8})", " ".join(m.get("text") or "" for m in answer)).group(1)
    ticket = store.get(ref)
    assert ticket.channel == "telegram" and ticket.customer_name == "Eve Polled"

"""Two TelegramBridge instances (two bot processes) sharing their memory in one database
(bot/clients/telegram_state.py), on SQLite and on PostgreSQL (tests/support/services.py)."""

import asyncio
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from bot.clients import telegram_state
from bot.clients.telegram.bot_api import make_bot
from bot.clients.telegram.bridge import TelegramBridge
from bot.clients.telegram.replies import BUTTON_USED
from bot.clients.telegram.updates import parse_update
from bot.clients.telegram_state import SQLState, metadata
from tests.bot.clients.telegram.test_bridge import CHAT, LONG_PAYLOAD, QUESTION, FakeRasa, keyboard_of
from tests.support.fake_telegram import FakeTelegram
from tests.support.services import pg_test_url
from tests.support.telegram_updates import callback_update, text_update


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'telegram.db'}"
        return
    url = pg_test_url()
    if url is None:
        pytest.skip("no PostgreSQL for the tests")
    engine = create_engine(url, future=True)
    schema = "tg_" + uuid.uuid4().hex[:12]  # a schema of its own: other tests use this database too
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    engine = create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def fake_tg():
    with FakeTelegram() as server:
        yield server


@pytest.fixture
async def two_bridges(fake_tg, state_url):
    """Two bridges as two processes would have them: their own bot, state object and engine."""
    rasa = FakeRasa(lambda text: [QUESTION], delay=0.05)
    bridges = [TelegramBridge(make_bot(fake_tg.token, fake_tg.url), rasa, state=SQLState(state_url)) for _ in range(2)]
    yield bridges, rasa
    for bridge in bridges:
        await bridge.shutdown()


async def handle(bridge, data):
    return await bridge.handle_update(parse_update(data, bridge.bot))


def the_question(fake_tg):
    [call] = [c for c in fake_tg.calls_of("sendMessage") if keyboard_of(c.params)][-1:]
    return call.result, keyboard_of(call.params)


async def test_one_update_delivered_to_both_instances_is_answered_once(two_bridges, fake_tg):
    (a, b), rasa = two_bridges
    update = text_update(CHAT, "sd card")
    results = await asyncio.gather(handle(a, update), handle(b, dict(update)))
    assert sorted(results) == ["duplicate", "text"]
    assert len(rasa.asked) == 1 and len(fake_tg.sent_messages(CHAT)) == 1
    assert await handle(a, dict(update)) == "duplicate" and await handle(b, dict(update)) == "duplicate"


async def test_a_token_made_by_one_instance_is_understood_by_the_other(two_bridges, fake_tg):
    (a, b), rasa = two_bridges
    await handle(a, text_update(CHAT, "sd card"))
    question, buttons = the_question(fake_tg)
    assert buttons[1]["callback_data"] != LONG_PAYLOAD
    await handle(b, callback_update(CHAT, question, buttons[1]["callback_data"]))
    assert rasa.asked[-1]["text"] == LONG_PAYLOAD
    assert fake_tg.keyboard(CHAT, question["message_id"]) == []


async def test_two_taps_on_one_keyboard_at_two_instances_answer_once(two_bridges, fake_tg):
    (a, b), rasa = two_bridges
    await handle(a, text_update(CHAT, "sd card"))
    question, buttons = the_question(fake_tg)
    taps = [callback_update(CHAT, question, buttons[i]["callback_data"]) for i in (0, 2)]
    await asyncio.gather(handle(a, taps[0]), handle(b, taps[1]))
    assert len(rasa.asked) == 2, "one of the taps reached Rasa"
    notices = sorted(c.params.get("text") or "" for c in fake_tg.calls_of("answerCallbackQuery"))
    assert notices == ["", BUTTON_USED]


async def test_a_typed_answer_at_one_instance_closes_the_keyboard_of_the_other(two_bridges, fake_tg, state_url):
    (a, b), rasa = two_bridges
    await handle(a, text_update(CHAT, "sd card"))
    question, buttons = the_question(fake_tg)
    await handle(b, text_update(CHAT, "still not detected"))
    assert fake_tg.keyboard(CHAT, question["message_id"]) == []
    await handle(a, callback_update(CHAT, question, buttons[0]["callback_data"]))
    assert len(rasa.asked) == 2
    assert fake_tg.calls_of("answerCallbackQuery")[-1].params["text"] == BUTTON_USED

    # a process started later (a restart) knows it too
    later = TelegramBridge(make_bot(fake_tg.token, fake_tg.url), rasa, state=SQLState(state_url))
    try:
        await handle(later, callback_update(CHAT, question, buttons[2]["callback_data"]))
        assert len(rasa.asked) == 2
        assert fake_tg.calls_of("answerCallbackQuery")[-1].params["text"] == BUTTON_USED
    finally:
        await later.shutdown()


async def test_the_tables_are_created_once_and_old_rows_pruned(state_url, monkeypatch):
    first, second = SQLState(state_url), SQLState(state_url)  # the second finds the tables there
    try:
        assert await first.first_sight(1) and not await second.first_sight(1)
        with first.engine.connect() as connection:
            assert set(metadata.tables) <= set(first.engine.dialect.get_table_names(connection))
        monkeypatch.setattr(telegram_state, "PRUNE_EVERY", 1)
        second.keep_updates = timedelta(0)
        assert await second.first_sight(2)  # prunes update 1
        assert await first.first_sight(1), "a pruned update id is new again"
    finally:
        await first.close()
        await second.close()

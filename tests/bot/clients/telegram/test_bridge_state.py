"""The bridge's in-process memory (bot/clients/telegram/bridge_state.py): duplicates. No network."""

from bot.clients.telegram.bridge_state import SeenUpdates


def test_seen_updates_is_a_bounded_lru():
    seen = SeenUpdates(size=3)
    assert [seen.add(i) for i in (1, 2, 3)] == [True] * 3
    assert seen.add(2) is False  # duplicate, and now the most recent
    assert seen.add(4) is True  # drops 1
    assert 1 not in seen and 2 in seen and len(seen) == 3
    assert seen.add(1) is True

"""Telegram text splitting (bot/clients/telegram/splitting.py): the 4096-character limit. No network."""

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.clients.telegram.splitting import MAX_MESSAGE_LENGTH, split_text, utf16_len


def squash(text):
    return "".join(text.split())


def test_short_text_is_one_message():
    assert split_text("  Is the LED on?\n") == ["Is the LED on?"]
    assert split_text("") == [] and split_text(" \n ") == []


def test_exactly_the_limit_is_one_message_one_more_is_two():
    assert split_text("a" * MAX_MESSAGE_LENGTH) == ["a" * MAX_MESSAGE_LENGTH]
    parts = split_text("a" * (MAX_MESSAGE_LENGTH + 1))
    assert [len(p) for p in parts] == [MAX_MESSAGE_LENGTH, 1]


def test_splits_between_lines_and_packs_whole_lines():
    lines = [(f"• Step {i}: " + "check the adapter and the cable " * 3).strip() for i in range(200)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    assert "\n".join(parts) == text  # cut only at line breaks
    # packed: the next part's first line would not have fitted
    for part, following in zip(parts, parts[1:]):
        assert utf16_len(part + "\n" + following.split("\n")[0]) > MAX_MESSAGE_LENGTH


def test_a_line_longer_than_the_limit_is_cut_at_a_space():
    words = ("firmware " * 1000).strip()
    parts = split_text(words)
    assert all(len(p) <= MAX_MESSAGE_LENGTH for p in parts)
    assert all(p.endswith("firmware") and p.startswith("firmware") for p in parts), "no word is cut"
    assert squash(" ".join(parts)) == squash(words)


def test_limit_counts_utf16_units_like_telegram():
    text = "📷" * 3000  # each is 2 UTF-16 units
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == text  # never half an emoji


def test_keeps_an_emoji_with_its_variation_selector():
    text = "x" * 4095 + "⚠️ then more"
    parts = split_text(text, limit=4096)
    assert not parts[1].startswith("\ufe0f")
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")


@settings(max_examples=150, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("ab c\n.é📷⚠\ufe0f")), max_size=400), st.integers(min_value=2, max_value=60)
)
def test_split_properties(text, limit):
    parts = split_text(text, limit=limit)
    assert all(part and part == part.strip() for part in parts)
    assert all(utf16_len(part) <= limit for part in parts)
    assert squash("".join(parts)) == squash(text)

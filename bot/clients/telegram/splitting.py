"""Telegram text splitting: a bot message longer than Telegram's 4096 characters goes out as
several messages, cut between lines where it can."""

from __future__ import annotations

from typing import List, Optional

#: Telegram's limit (https://core.telegram.org/bots/api#sendmessage).
MAX_MESSAGE_LENGTH = 4096


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units; an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """The largest i such that text[:i] is at most ``limit`` UTF-16 units."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


_JOINERS = {"\u200d", "\ufe0f", "\ufe0e"}  # keep an emoji together with its joiner/variation selector


def _cut(line: str, limit: int) -> int:
    """Where to cut a line longer than ``limit``: the last space in the second half, else at the limit."""
    end = _prefix_within(line, limit)
    space = line.rfind(" ", 0, end + 1)
    if space > end // 2:
        return space
    while 1 < end < len(line) and line[end] in _JOINERS:
        end -= 1
    return max(end, 1)


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> List[str]:
    """Split ``text`` into messages of at most ``limit`` characters (UTF-16 units).

    Cuts between lines where it can, packing as many whole lines into a
    message as fit; a single line longer than the limit is cut at its last
    space before the limit (or at the limit when there is none). Blank parts
    are dropped; '' gives [].
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    text = (text or "").strip()
    if not text:
        return []
    if utf16_len(text) <= limit:
        return [text]
    chunks: List[str] = []
    current: Optional[str] = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            chunks.append(current)
            current = None
        while utf16_len(line) > limit:
            at = _cut(line, limit)
            chunks.append(line[:at])
            line = line[at:].lstrip(" ")
        current = line
    if current is not None:
        chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]

"""Whether a word is close to a token of a spaCy doc without crossing a sentence break."""

from __future__ import annotations

from typing import FrozenSet, Optional

from spacy.tokens import Doc

_SENTENCE_BREAKS = frozenset({".", "!", "?", ";", "\n"})


def words_nearby(
    doc: Doc,
    index: int,
    words: FrozenSet[str],
    window: int,
    before_only: bool = False,
    end: Optional[int] = None,
) -> bool:
    """Whether one of ``words`` is within ``window`` tokens, in the same sentence."""
    for step in range(1, window + 1):
        position = index - step
        if position < 0 or doc[position].text in _SENTENCE_BREAKS or "\n" in doc[position].text:
            break
        if doc[position].lower_ in words:
            return True
    if before_only:
        return False
    after = index if end is None else end - 1
    for step in range(1, window + 1):
        position = after + step
        if position >= len(doc) or doc[position].text in _SENTENCE_BREAKS or "\n" in doc[position].text:
            break
        if doc[position].lower_ in words:
            return True
    return False

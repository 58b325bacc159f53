"""From the bot's case to the ticket's fields (bot/handoff/store/case_fields.py)."""

import pytest

from bot.handoff.store.case_fields import in_use_words, normalize_transcript


def test_transcript_normalisation():
    events = normalize_transcript(
        [
            {"event": "user", "text": "hi", "timestamp": 1772442600.25},
            {
                "who": "bot",
                "text": None,
                "buttons": [("A", "/a"), {"title": "B"}, "C"],
                "timestamp": "2026-03-02T09:10:00+01:00",
            },
            {"who": "martian", "text": 42, "timestamp": "yesterday"},
            "not an event",
        ]
    )
    assert events == [
        {"who": "customer", "text": "hi", "buttons": [], "timestamp": "2026-03-02T09:10:00Z"},
        {"who": "bot", "text": "", "buttons": ["A", "B", "C"], "timestamp": "2026-03-02T08:10:00Z"},
        {"who": "system", "text": "42", "buttons": [], "timestamp": None},
    ]


@pytest.mark.parametrize(
    "days, words",
    [
        (None, None),
        (0.5, "less than a day"),
        (1, "1 day"),
        (10, "10 days"),
        (21.0, "3 weeks"),
        (60, "2 months"),
        (365, "12 months"),
        (1000, "2.7 years"),
        ("a while", "a while"),
    ],
)
def test_time_in_use_in_words(days, words):
    assert in_use_words(days) == words

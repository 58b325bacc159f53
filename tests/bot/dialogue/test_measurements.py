"""Numbers in typed replies decide measurement questions by the ranges in answer_phrases.yml."""

from __future__ import annotations

import pytest

from bot.dialogue.measurements import options_in_range, quantities
from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.phrases import load_answer_phrases, parse_answer_phrases


@pytest.fixture(scope="module")
def phrases():
    return load_answer_phrases()


@pytest.mark.parametrize(
    "move, text, expected",
    [
        ("adapter_voltage", "reads 4.6", ("low",)),
        ("adapter_voltage", "4.75", ("ok",)),  # the guide's bounds belong to "between"
        ("adapter_voltage", "5.25V", ("ok",)),
        ("adapter_voltage", "5.3 v", ("high",)),
        ("adapter_voltage", "4900 mV", ("ok",)),
        ("adapter_voltage", "between 4.9-5.0, it flickers", ("ok",)),  # a dash between numbers is no minus
        ("current_draw", "1 A", ("high",)),  # "1 A or more"
        ("current_draw", "about 350 mA", ("normal",)),
        ("wifi_rssi", "-72", ("weak",)),
        ("wifi_rssi", "minus 55", ("strong",)),
        ("wifi_rssi", "-78 on the 2.4ghz band", ("weak",)),  # a number glued to another unit is no reading
        ("wifi_rssi", "-50ish", ("strong",)),
        ("wifi_rssi", "-67", ()),  # exactly on the line: no range holds it, the words decide
        ("spare_rating", "5V 1A", ("under_rated",)),  # the volts are no amps
        ("spare_rating", "1000 mA at 5V", ("under_rated",)),
        ("spare_rating", "5v 2.4a", ("rated_ok",)),
        ("sd_vcc", "3.0, a bit under", ("low",)),
        ("sd_vcc", "3,3", ("ok",)),
        ("adapter_voltage", "4.6 or maybe 5.4", ("low", "high")),  # two readings: asked which
        ("led_check", "5", ()),  # no ranges, no reading
        ("sd_vcc", "measured three point three", ("ok",)),  # a number in words
        ("adapter_voltage", "5 and a half volts", ("high",)),  # the half counts: not 5 V
        ("adapter_voltage", "about four point six", ("low",)),
        ("wifi_rssi", "minus seventy two dbm", ("weak",)),
        ("adapter_voltage", "give me one sec", ()),  # a number in words is a reading only where it can be one
        ("spare_rating", "one a day at most", ()),
    ],
)
def test_a_number_lands_in_its_option(phrases, move, text, expected):
    assert options_in_range(text, phrases.ranges(move), phrases) == expected


def test_bare_numbers_outside_the_span_of_the_unit_are_no_reading(phrases):
    # RSSI is negative: "2.4" and "128" are something else
    assert options_in_range("2.4 and 128", phrases.ranges("wifi_rssi"), phrases) == ()


def test_quantities_read_units_and_factors(phrases):
    found = quantities("5V 1500mA, 128gb card", phrases.units)
    assert [(q.value, q.unit) for q in found] == [(5.0, "V"), (1.5, "A")]


def test_the_reader_takes_the_number_over_the_words():
    from bot.dialogue.answers import AnswerReader

    k = load_knowledge()
    move = k.move("adapter_voltage")
    options = [(o.id, o.label) for o in move.answer_options]
    reader = AnswerReader(embed=lambda texts: __import__("numpy").ones((len(texts), 4)) / 2.0)
    assert reader.read(move, options, "it reads 4.6 on the meter").option == "low"
    assert set(reader.read(move, options, "4.6 or 5.4").between) == {"low", "high"}


def _data(range_node, units=None):
    return {
        "yes_words": ["yes"],
        "no_words": ["no"],
        "not_polar": ["no idea"],
        "fixed": {"phrases": ["works"]},
        "units": units if units is not None else {"V": {"words": {"v": 1}, "span": [0, 30]}},
        "moves": {"adapter_voltage": {"low": {"phrases": ["low"], "range": range_node}}},
    }


@pytest.mark.parametrize(
    "node, message",
    [
        ({"unit": "V"}, "needs min, max, below or above"),
        ({"unit": "V", "min": 5, "below": 4}, "holds no number"),
        ({"unit": "V", "max": "low"}, "expected a number"),
        ({"unit": "Hz", "below": 4}, "unknown unit 'Hz'"),
        ({"unit": "V", "under": 4}, "expected unit and min, max, below or above"),
    ],
)
def test_a_bad_range_is_named(node, message):
    with pytest.raises(KnowledgeError, match=message):
        parse_answer_phrases(_data(node), load_knowledge())


def test_a_unit_needs_words_and_a_span():
    with pytest.raises(KnowledgeError, match="units.V: expected words and span"):
        parse_answer_phrases(_data({"unit": "V", "below": 4}, {"V": {"words": {"v": 1}}}), load_knowledge())

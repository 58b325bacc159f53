"""data/knowledge/answer_phrases.yml: every option the guide offers can be typed, not only tapped."""

from __future__ import annotations

import re

import pytest

from bot.knowledge import KnowledgeError, load_knowledge
from bot.knowledge.phrases import load_answer_phrases, missing_answer_phrases, parse_answer_phrases

MIN_PHRASES = 4


@pytest.fixture(scope="module")
def knowledge():
    return load_knowledge()


@pytest.fixture(scope="module")
def phrases():
    return load_answer_phrases()


def test_every_option_of_every_question_has_phrases(knowledge, phrases):
    missing = missing_answer_phrases(phrases, knowledge)
    assert not missing, f"options without typed phrases in answer_phrases.yml: {missing}"


def test_every_option_has_a_few_phrases(knowledge, phrases):
    thin = [
        f"{m.id}.{o.id}"
        for m in knowledge.moves
        for o in m.answer_options
        if len(phrases.option(m.id, o.id).phrases) < MIN_PHRASES
    ]
    assert not thin, f"fewer than {MIN_PHRASES} phrases: {thin}"
    assert len(phrases.fixed.phrases) >= MIN_PHRASES


def test_an_option_the_guide_dropped_is_reported(knowledge):
    data = {
        "yes_words": ["yes"],
        "no_words": ["no"],
        "not_polar": ["no idea"],
        "fixed": {"phrases": ["works"]},
        "moves": {"led_check": {"purple": {"phrases": ["purple light"]}}},
    }
    with pytest.raises(KnowledgeError, match="led_check.purple: not an option"):
        parse_answer_phrases(data, knowledge)


def test_polarity_must_be_quoted_yes_or_no(knowledge):
    data = {
        "yes_words": ["yes"],
        "no_words": ["no"],
        "not_polar": ["no idea"],
        "fixed": {"phrases": ["works"]},
        "moves": {"cloud_status": {"no_reports": {"polarity": False, "phrases": ["none"]}}},
    }
    with pytest.raises(KnowledgeError, match="polarity must be yes or no"):
        parse_answer_phrases(data, knowledge)


def test_statements_load_and_name_real_options(knowledge):
    from bot.knowledge.phrases import load_statements, parse_statements

    assert load_statements().statements
    data = {
        "hedges": ["?"],
        "negations": ["not"],
        "statements": [{"move": "reset_recurs", "option": "twice", "patterns": ["x"]}],
    }
    with pytest.raises(KnowledgeError, match="'twice' is not an option of reset_recurs"):
        parse_statements(data, knowledge)
    data["statements"][0] = {"move": "reset_recurs", "option": None, "patterns": ["{NOPE}"]}
    with pytest.raises(KnowledgeError, match="unknown macro"):
        parse_statements(data, knowledge)


def test_what_a_customer_lacks_is_read_from_checked_patterns(knowledge):
    from bot.knowledge.phrases import load_statements, parse_statements

    lacking = load_statements().lacking
    assert lacking and all(re.compile(p) for p in lacking)
    assert "{" not in " ".join(lacking)  # macros expanded
    data = {
        "hedges": ["?"],
        "negations": ["not"],
        "statements": [{"move": "reset_recurs", "option": None, "patterns": ["x"]}],
        "lacking": ["no (spare"],
    }
    with pytest.raises(KnowledgeError, match="lacking: pattern 'no \\(spare' is not a valid regular expression"):
        parse_statements(data, knowledge)
    data["lacking"] = ["{NOPE}"]
    with pytest.raises(KnowledgeError, match="unknown macro"):
        parse_statements(data, knowledge)

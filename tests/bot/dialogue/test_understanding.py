"""Free-text replies read against the open question: a negation never reads as a "yes" option."""

from __future__ import annotations

import pytest

from bot.dialogue.answers import default_reader
from bot.dialogue.understanding import (
    asks_to_go_back,
    asks_to_start_over,
    false_fixes_mentioned,
    names_person,
    negated,
    post_fix_verdict,
    yes_or_no,
)
from bot.engine import FIXED, DiagnosisEngine


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine()


def option_from_text(move, options, text, intent):
    return default_reader().read(move, options, text, intent).option


def _step(engine, move_id):
    from bot.engine.engine import Ask

    k = engine.k
    move = k.move(move_id)
    options = tuple((o.id, o.label) for o in move.answer_options)
    if move.kind == "action":
        options = ((FIXED, "Yes, it works now"),) + options
    return Ask(move, options, "")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("it works", FIXED),
        ("works now!", FIXED),
        ("yes", FIXED),
        ("no change", "no_change"),
        ("nope, nothing changed", "no_change"),
        ("it came back for a bit then dropped again", "came_back_briefly"),
        # a negation must never read as "Yes, it works now"
        ("I don't have another charger right now", None),
        ("it is not working now", "no_change"),  # read by meaning now; still never "it works"
        ("cant do that now", None),
        ("yes, still not working", None),
        ("it didn't work", "no_change"),
    ],
)
def test_replies_to_the_adapter_swap(engine, text, expected):
    step = _step(engine, "swap_adapter")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("set-up went fine but still no cloud, same problem", "same_problem"),  # "no cloud" denies no option
        ("no response at all", "no_response"),
        ("didn't work, no cloud still", "same_problem"),
    ],
)
def test_replies_to_the_factory_reset(engine, text, expected):
    step = _step(engine, "factory_reset")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("no idea, under warranty i think", "in_warranty"),  # the negation ends with its clause
        ("under warranty", "in_warranty"),
        ("out of warranty", "out_of_warranty"),
        # a denied option is never picked; the meaning of the denial is
        ("not under warranty", "out_of_warranty"),
        ("it's not under warranty anymore", "out_of_warranty"),
        ("not sure", "not_sure"),
    ],
)
def test_replies_to_the_warranty_question(engine, text, expected):
    step = _step(engine, "warranty_status")
    assert option_from_text(step.move, step.options, text, "nlu_fallback") == expected


def test_a_negated_label_can_still_be_named(engine):
    step = _step(engine, "power_cycle_restores")
    assert option_from_text(step.move, step.options, "no it stays offline", None) == "no_stays_offline"
    assert option_from_text(step.move, step.options, "no, it doesn't come back", "nlu_fallback") == "no_stays_offline"
    assert option_from_text(step.move, step.options, "yes for a while", "nlu_fallback") == "yes_for_a_while"


@pytest.mark.parametrize(
    "text, neg",
    [
        ("can't", True),
        ("can\u2019t do it", True),
        ("I don't know", True),
        ("without a charger", True),
        ("it works", False),
        ("nothing", True),
        ("notebook", False),
        ("know", False),
    ],
)
def test_negation(text, neg):
    assert negated(text) is neg


def test_yes_at_the_start_with_a_negation_after_is_not_a_yes():
    assert yes_or_no("yes it comes back for a bit", None) == "affirm"
    assert yes_or_no("yes, but it still doesn't connect", None) is None
    assert yes_or_no("whatever", "affirm") == "affirm"  # the NLU's own intent stands


# -- the reader against replies written for these tests (tests/bot/dialogue/typed_replies.yml) ---------


def _typed_replies():
    from pathlib import Path

    import yaml

    data = yaml.safe_load((Path(__file__).with_name("typed_replies.yml")).read_text(encoding="utf-8"))
    cases = []
    for move, items in data.items():
        for item in items:
            marks = [pytest.mark.xfail(reason=item[2], strict=True)] if len(item) > 2 else []
            cases.append(pytest.param(move, item[0], item[1], marks=marks))
    return cases


@pytest.mark.parametrize("move_id, text, expected", _typed_replies())
def test_typed_replies(engine, move_id, text, expected):
    step = _step(engine, move_id)
    reading = default_reader().read(step.move, step.options, text, None)
    if expected == "ask_which":
        assert reading.option is None and len(reading.between) >= 2, reading
    elif expected == "none":
        assert reading.option is None, reading
    else:
        assert reading.option == expected, reading


@pytest.mark.parametrize(
    "move_id, text, never",
    [
        ("reset_button_click", "yes i can feel it click", "no_click"),
        ("cloud_status", "yes, lots of reports", "no_reports"),
        ("cloud_status", "yeah loads of people complaining", "no_reports"),
        ("sd_card_test", "no it doesn't show the other card", "recognized"),
        ("swap_adapter", "nope, still dead", FIXED),
        ("power_cycle_restores", "no it stays dead", "yes_for_a_while"),
        ("housing_cracks", "yes there's a crack", "intact"),
    ],
)
def test_never_the_opposite_polarity(engine, move_id, text, never):
    step = _step(engine, move_id)
    reading = default_reader().read(step.move, step.options, text, None)
    assert reading.option != never and never not in reading.between


def test_two_close_options_are_named_not_guessed(engine):
    step = _step(engine, "reset_recurs")
    reading = default_reader().read(step.move, step.options, "yes", "affirm")
    assert reading.option is None and set(reading.between) == {"recurred", "did_not_help"}


@pytest.mark.parametrize("text", ["it works now", "back online", "that did it", "ok that worked, it's back online"])
def test_success_is_the_fixed_answer(engine, text):
    for move_id in ("swap_adapter", "factory_reset", "update_app"):
        step = _step(engine, move_id)
        assert default_reader().read(step.move, step.options, text, None).option == FIXED


@pytest.mark.parametrize(
    "move_id, text, intent, expected",
    [
        ("cloud_status", "ok checking", "affirm", None),  # an "ok" that announces work is no yes
        ("cloud_status", "okay", "affirm", None),
        ("cloud_status", "yesss", "affirm", "outage_reported"),  # a spelling the yes-words lack
        ("proper_adapter", "still dead", "deny", "no_change"),
    ],
)
def test_the_intent_gives_a_polarity_only_to_a_bare_reply(engine, move_id, text, intent, expected):
    step = _step(engine, move_id)
    assert default_reader().read(step.move, step.options, text, intent).option == expected


@pytest.mark.parametrize(
    "move_id, text",
    [
        ("power_cycle_restores", "alright, unplugging it right now"),
        # the step under way, each once read as an outcome ("No, it stays offline", "Silent", "It freezes")
        ("power_cycle_restores", "alright pulling the plug... actually unplugging it now"),
        ("power_cycle_restores", "ok im unplugging it"),
        ("motor_sound", "just pressing the buttons now"),
        ("app_crash_test", "so opening the kasa app"),
        ("swap_adapter", "going to grab another charger"),
        ("other_devices_ok", "gimme a moment to look"),
        ("motor_sound", "good evening"),
        # one word that fits no option well: the classifier must not settle it on a brand some phrases name
        ("sd_card_test", "its a sandisk"),
        # only the step's own words: no outcome, and above all no "it works now"
        ("band_segregation", "my phone is on 5ghz i think"),
        # "What happened?" is no yes/no question: a "yes" there says the reset was done, not that it worked
        ("factory_reset", "yes i did a full reset, held it 15 sec"),
        ("factory_reset", "yes"),
    ],
)
def test_a_reply_that_answers_nothing_yet_is_asked_again(engine, move_id, text):
    step = _step(engine, move_id)
    reading = default_reader().read(step.move, step.options, text, None)
    assert reading.option is None and not reading.between, reading


@pytest.mark.parametrize(
    "move_id, text, expected",
    [
        ("update_app", "yeah it froze again", "still_freezes"),
        ("update_app", "yep, crashed the moment i opened settings", None),
    ],
)
def test_a_yeah_before_a_failure_only_acknowledges(engine, move_id, text, expected):
    # "Do the settings open now?" - "yeah it froze again" is no "it works now"
    step = _step(engine, move_id)
    reading = default_reader().read(step.move, step.options, text, None)
    assert reading.option != "fixed", reading
    assert expected is None or reading.option == expected, reading  # None: asked again or the failure


@pytest.mark.parametrize(
    "move_id, text, expected",
    [
        ("sd_slot_inspection", "i can see one crooked pin in the slot", "bent_pin"),  # "i can see" is no "i can"
        ("reset_button_check", "i can", "difficult_but_possible"),
        ("adapter_temperature", "zero heat coming from it", "cool"),  # "zero" denies what follows
        ("cloud_status", "nothing on the forum", "no_reports"),
    ],
)
def test_a_yes_or_no_word_that_begins_a_sentence_is_read_with_it(engine, move_id, text, expected):
    step = _step(engine, move_id)
    assert default_reader().read(step.move, step.options, text, None).option == expected


@pytest.mark.parametrize(
    "move_id, text, expected, between",
    [
        ("local_access_test", "vlc plays it, the kasa app just spins", "local_works_app_fails", {"both_work"}),
        ("motion_test", "caught me fine, never the dog", "detects_you_not_pet", {"detects_nothing"}),
    ],
)
def test_the_classifier_settles_what_the_nearest_phrases_leave_open(
    engine, move_id, text, expected, between, monkeypatch
):
    import bot.dialogue.answers as answers

    step = _step(engine, move_id)
    monkeypatch.setattr(answers, "SETTLE", 1.01)  # the nearest phrases alone: two close options
    monkeypatch.setattr(answers, "SURE_BETWEEN", 1.01)
    open_ = default_reader().read(step.move, step.options, text, None)
    assert open_.option is None and set(open_.between) == {expected} | between, open_
    monkeypatch.undo()
    assert default_reader().read(step.move, step.options, text, None).option == expected


def test_the_classifier_settles_between_it_works_now_and_a_failure_only_when_sure(engine):
    from bot.dialogue.answers import Reading

    step = _step(engine, "sd_slot_inspection")
    reader = default_reader()
    open_ = Reading(between=(FIXED, "other_card_works"))
    both = {FIXED: 0.9, "other_card_works": 0.9}
    # this card now, or the other one? asked, not guessed
    assert reader._settle(step.move, "the card works", open_, both) is None
    # the classifier's words ("my other card") make it clear
    settled = reader._settle(step.move, "my other card works fine", open_, both)
    assert settled is not None and settled.option == "other_card_works"


def test_warming_builds_every_question_classifier(engine):
    from bot.dialogue.answers import AnswerReader

    reader = AnswerReader(embed=default_reader().embed)
    moves = [m for m in engine.k.moves if m.answer_options][:3]
    reader.warm(moves)
    assert set(reader._classifiers) == {m.id for m in moves}
    assert all(model is not None for model in reader._classifiers.values())


def test_phrase_vectors_are_kept_between_starts(engine, tmp_path):
    import numpy as np

    from bot.dialogue.answers import AnswerReader

    calls = []

    def embed(texts):
        calls.append(len(texts))
        rng = np.random.default_rng(len(texts))
        vectors = rng.normal(size=(len(texts), 8))
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    moves = [m for m in engine.k.moves if m.answer_options][:2]
    cache = tmp_path / "cache" / "vectors.npz"
    AnswerReader(embed=embed).warm(moves, cache=cache, fingerprint="encoder-a")
    assert cache.is_file() and sum(calls) > 0
    calls.clear()
    AnswerReader(embed=embed).warm(moves, cache=cache, fingerprint="encoder-a")
    assert sum(calls) == 0  # read back, nothing embedded again
    AnswerReader(embed=embed).warm(moves, cache=cache, fingerprint="encoder-b")
    assert sum(calls) > 0  # another encoder: computed again
    calls.clear()
    cache.write_bytes(b"torn")
    reader = AnswerReader(embed=embed)
    reader.warm(moves, cache=cache, fingerprint="encoder-b")
    assert sum(calls) > 0 and set(reader._classifiers) == {m.id for m in moves}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2", 1),
        ("the second one", 1),
        ("option 3", 2),
        ("i think the first one", 0),
        ("last one", 3),
        ("one sec", None),  # a pause, not the first button ("Yes, it works now" on a repair step)
        ("two cameras do it", None),
        ("3 or 4", None),
    ],
)
def test_a_position_is_read_only_when_it_is_all_the_reply_says(text, expected):
    from bot.dialogue.understanding import ordinal_from_text

    assert ordinal_from_text(text, 4) == expected


@pytest.mark.parametrize(
    "text, noise",
    [("asdfghjkl", True), ("poiuy", True), ("qwerty!!", True), ("type it again", False), ("we were away", False)],
)
def test_a_hand_run_along_a_keyboard_row_is_noise(text, noise):
    from bot.dialogue.understanding import looks_like_noise

    assert looks_like_noise(text) is noise


def test_a_phrase_pasted_over_and_over_is_noise():
    from bot.dialogue.understanding import looks_like_noise

    assert looks_like_noise("actually wait, " * 250)  # Rasa read it as a reset complaint at 1.00
    long_story = (
        "so i set up the camera in march and it worked great until last week when it started dropping off "
        "the wifi every night around midnight, the light goes amber and the app says offline, i unplugged it "
        "and it came back, then the next night the same thing happened again, the router is two rooms away"
    )
    assert not looks_like_noise(long_story)


@pytest.mark.parametrize(
    "text, verdict",
    [
        ("it still says already configured", "deny"),
        ("same error as before", "deny"),
        ("all passed, works fine now", "affirm"),
        ("no problems at all", "affirm"),
    ],
)
def test_a_typed_reply_to_the_post_fix_checks(text, verdict):
    assert post_fix_verdict(text, None) == verdict


@pytest.mark.parametrize(
    "text, mentioned",
    [
        ("my phone is on 5ghz i think", True),
        ("i switched to 5ghz and it still drops", True),
        # turning 5GHz off is Step 3's fix: "use 5GHz won't help" would answer the opposite of what was said
        ("turned off 5ghz, still fails", False),
        ("i disabled 5 ghz on the router", False),
    ],
)
def test_a_false_fix_is_not_what_the_customer_undid(engine, text, mentioned):
    found = [ff.id for ff in false_fixes_mentioned(engine.k, text)]
    assert ("use_5ghz" in found) is mentioned, found


@pytest.mark.parametrize(
    "text",
    ["can i talk to someone", "call me please", "i want a real person", "customer service", "open a ticket"],
)
def test_a_request_for_a_person_names_one(text):
    assert names_person(text)


@pytest.mark.parametrize(
    "text",
    # everyday words of this domain: a reply with them, read as a hand-off request, answers the question
    ["phone and laptop are fine", "live view loads now", "it detects people but not the cat", "one contact is bent"],
)
def test_everyday_words_ask_for_no_person(text):
    assert not names_person(text)


def test_every_written_way_to_go_back_says_so():
    from pathlib import Path

    import yaml

    nlu = yaml.safe_load((Path(__file__).parents[3] / "data" / "nlu" / "dialogue.yml").read_text(encoding="utf-8"))
    block = next(i for i in nlu["nlu"] if i.get("intent") == "go_back")
    examples = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    assert examples and [e for e in examples if not asks_to_go_back(e)] == []


@pytest.mark.parametrize("text", ["yep back to normal", "its back online", "back up and running now"])
def test_back_in_an_outcome_asks_for_nothing_back(text):
    assert not asks_to_go_back(text)


def test_every_written_way_to_start_over_says_so():
    from pathlib import Path

    import yaml

    nlu = yaml.safe_load((Path(__file__).parents[3] / "data" / "nlu" / "dialogue.yml").read_text(encoding="utf-8"))
    block = next(i for i in nlu["nlu"] if i.get("intent") == "start_over")
    examples = [line[2:].strip() for line in block["examples"].splitlines() if line.strip().startswith("- ")]
    assert examples and [e for e in examples if not asks_to_start_over(e)] == []


@pytest.mark.parametrize("text", ["perfect, like new", "it started last week", "new card, same problem", "brand new"])
def test_new_and_started_in_a_reply_ask_for_no_fresh_start(text):
    assert not asks_to_start_over(text)


@pytest.mark.parametrize(
    "move_id, text, expected",
    [
        ("lens_clear", "clean, no damage that i can see", "clear"),  # "no damage" negates no failure
    ],
)
def test_the_classifier_reads_what_the_phrases_negation_leaves_open(engine, move_id, text, expected, monkeypatch):
    import bot.dialogue.answers as answers

    step = _step(engine, move_id)
    monkeypatch.setattr(answers, "SURE", 1.01)
    monkeypatch.setattr(answers, "SURE_BETWEEN", 1.01)
    assert default_reader().read(step.move, step.options, text, None).option is None
    monkeypatch.undo()
    assert default_reader().read(step.move, step.options, text, None).option == expected


@pytest.mark.parametrize(
    "text, question",
    [
        ("app says its already configured??", False),  # said with feeling, not asked
        ("it works now?!", False),
        ("already configured?", True),  # one question mark asks
        ("what does already configured mean??", True),
    ],
)
def test_more_than_one_question_mark_without_a_question_is_a_statement(text, question):
    norm = default_reader().norm
    assert norm.is_question(norm.fold(text)) is question


@pytest.mark.parametrize(
    "text, expected",
    [
        # "Good news. That points to: Power supply undersized" followed each of these
        ("yes i have another one", None),  # the means, not the outcome
        ("yep we've got a spare somewhere", None),
        ("yes it comes on eventually", None),  # still slow is no fix
        ("yeah it works sometimes", None),
        ("yes i have another one and it works", FIXED),
        ("yes its back", FIXED),
    ],
)
def test_a_yes_before_words_that_say_nothing_of_it_working_is_no_fix(engine, text, expected):
    step = _step(engine, "swap_adapter")
    assert option_from_text(step.move, step.options, text, "affirm") == expected

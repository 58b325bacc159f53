"""What the words around an entity say: duration roles, dates up to now, measured voltages, facts."""

from __future__ import annotations

import datetime

import pytest

from bot.language.context import annotate, facts
from bot.language.entities import load_extractor

NOW = datetime.date(2026, 11, 29)


def read(text, now=NOW):
    found = [dict(e.as_dict(), text=e.text) for e in load_extractor().extract(text)]
    return annotate(text, found, now=now)


def only(text, entity):
    found = [e for e in read(text) if e["entity"] == entity]
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    "text, role",
    [
        ("bought it 2 weeks ago", "age"),
        ("had it since march", "age"),
        ("worked fine for 3 months", "age"),
        ("installed in the spring", "age"),
        ("offline for 2 days", "problem"),
        ("since last week it keeps dropping", "problem"),
        ("sd card gone after 2 days", "since_event"),
        ("pan tilt stopped after weeks of use", "age"),
        ("it came back for an hour", None),
    ],
)
def test_duration_roles(text, role):
    assert only(text, "duration")["role"] == role


@pytest.mark.parametrize(
    "text, days",
    [
        ("had it since march", 273.0),
        ("bought it in april", 228.0),
        ("offline since monday", 6.0),
        ("went offline last night", 0.5),
        ("since last week", 7.0),
        ("we got it last christmas", 339.0),
        ("had it since 2019", 2889.0),  # a camera's age as a year: it answers "how long have you had it?"
    ],
)
def test_dates_count_up_to_the_message_time(text, days):
    assert only(text, "duration")["value"] == pytest.approx(days)


def test_the_clock_is_the_message_time():
    assert (
        only("had it since march", "duration")["value"]
        != read("had it since march", datetime.date(2027, 3, 2))[0]["value"]
    )


@pytest.mark.parametrize(
    "text, measured",
    [
        ("measured 4.6 V at the plug", True),
        ("the meter shows 4.7", True),
        ("it drops to 4.5v when it pans", True),
        ("my 5V 2A adapter", False),
        ("a 5 volt charger", False),
    ],
)
def test_voltage_measured_or_printed(text, measured):
    assert only(text, "voltage")["measured"] is measured


@pytest.mark.parametrize(
    "text, move, option",
    [
        ("reset it twice, no luck", "reset_recurs", "did_not_help"),
        ("it worked again after a reset but failed a week later", "reset_recurs", "recurred"),
        ("never reset it", "reset_recurs", "never_reset"),
        ("all my other devices are fine", "other_devices_ok", "yes"),
        ("my other 2 kasa cams are fine", "other_cameras_affected", "only_this_one"),
        (
            "i have 3 kasa cams in home assistant, one KC105 keeps dropping offline",
            "other_cameras_affected",
            "only_this_one",
        ),
        ("we have two cameras and one went offline", "other_cameras_affected", "only_this_one"),
        ("only this one, the other two are fine", "other_cameras_affected", "only_this_one"),
        ("all three of my cams are down", "other_cameras_affected", "several_affected"),
        ("downdetector shows nothing", "cloud_status", "no_reports"),
        ("already tried a different charger", "swap_adapter", None),
        ("updated the app, still freezes", "update_app", "still_freezes"),
        ("tried another sd card, same thing", "sd_card_test", "not_recognized"),
        ("did a reset back in spring, it was ok for weeks but then it died", "reset_recurs", "recurred"),
        ("oh and i have a second kasa cam, it is offline as well", "other_cameras_affected", "several_affected"),
        ("my other kasa cams are down too", "other_cameras_affected", "several_affected"),
        # said while another question is open, it answers the power cycle, not that question's yes/no
        ("nah, still offline once i plug it back in", "power_cycle_restores", "no_stays_offline"),
        ("no, it remains disconnected after a power cycle", "power_cycle_restores", "no_stays_offline"),
        ("when i unplug it it comes back but only for a few hours", "power_cycle_restores", "yes_for_a_while"),
        # the "if" is the statement's own condition, no hedge
        ("yep it comes back if i unplug it, then drops again a day later", "power_cycle_restores", "yes_for_a_while"),
        ("no cracks that i can see", "housing_cracks", "intact"),
        ("i only have the one camera", "other_cameras_affected", "only_camera"),
        ("it has a clear view, nothing in front", "lens_clear", "clear"),
        ("theres a cobweb over the lens", "lens_clear", "dirty_or_blocked"),
        ("i changed dns to 8.8.8.8 on the router, nope still offline", "dns_change", "still_unreachable"),
        ("i don't own any other kasa cams", "other_cameras_affected", "only_camera"),
        ("theres a small crack near the joint", "housing_cracks", "cracked"),
    ],
)
def test_statements_become_facts(text, move, option):
    fact = only(text, "fact")
    assert fact["value"] == {"move": move, "option": option}
    assert fact["text"] and fact["text"] in text


@pytest.mark.parametrize(
    "text",
    [
        "should I reset it?",
        "if I reset it will it work",
        "will it come back if i unplug it?",
        "i haven't tried another charger",
        "do i need another sd card",
        "it stays offline after i reboot the router",  # the router's restart, not the camera's
        "i reset it and then it worked again",  # worked again is no relapse
    ],
)
def test_hedged_or_negated_statements_are_no_facts(text):
    assert [e for e in read(text) if e["entity"] == "fact"] == []


def test_every_entity_carries_its_words():
    for e in read("my kc120 blinks amber since monday, measured 4.6v, reset it twice no luck"):
        assert e["text"], e


@pytest.mark.parametrize(
    "text, option",
    [
        ("motion detection doesn't pick up anything, not even me", "detects_nothing"),
        ("the camera picks me up fine but never my dog", "detects_you_not_pet"),
    ],
)
def test_what_motion_detection_catches_is_a_fact(text, option):
    assert only(text, "fact")["value"] == {"move": "motion_test", "option": option}


@pytest.mark.parametrize(
    "text, move, option",
    [
        # "no" before "never reset it" is the same answer said twice, not a negation of it
        ("no never reset it before", "reset_recurs", "never_reset"),
        ("no, never reset it", "reset_recurs", "never_reset"),
        ("nope not yet reset it", "reset_recurs", "never_reset"),
        ("no i didnt reset it", "reset_recurs", "never_reset"),
        # a "no" that answers (before "the", "my" or a comma) is no quantifier
        ("no the other devices drop too", "other_devices_ok", "no"),
        ("no, my other devices disconnect as well", "other_devices_ok", "no"),
        ("no my other devices are fine", "other_devices_ok", "yes"),
        # devices named one by one
        ("phone and laptop are fine on the wifi", "other_devices_ok", "yes"),
        ("my tv, tablet and xbox all work fine", "other_devices_ok", "yes"),
        ("my tv and ipad keep dropping too", "other_devices_ok", "no"),
        # the DNS change tried before it was asked
        ("changed the dns to 8.8.8.8 and restarted it, still nothing", "dns_change", "still_unreachable"),
        ("set the dns to google and the app still cant reach it", "dns_change", "still_unreachable"),
        # an app update tried for another complaint
        ("yes i updated the app, still nothing", "update_app", "still_freezes"),
        ("i updated the app already, still the same", "update_app", "still_freezes"),
        # where the clips go
        ("clips arent saving to the sd card", "clips_storage", "sd_card"),
        ("to the sd card", "clips_storage", "sd_card"),
        ("it used to upload to the kasa care cloud", "clips_storage", "cloud"),
        # the motor heard or not
        ("my ec70 wont pan anymore, it just buzzes", "motor_sound", "tries_but_jams"),
        ("it makes a grinding noise when i pan", "motor_sound", "tries_but_jams"),
        ("the motor is completely silent", "motor_sound", "silent"),
        ("no sound at all when i press the arrows", "motor_sound", "silent"),
        # one device dropping as well
        ("actually wait, my laptop has been dropping too", "other_devices_ok", "no"),
        ("the tv keeps disconnecting as well", "other_devices_ok", "no"),
        ("my tv is buffering all the time too", "other_devices_ok", "no"),
        ("and the smart plugs keep going offline as well", "other_devices_ok", "no"),
        ("honestly the wifi is spotty across the whole house", "other_devices_ok", "no"),
        # a card named by its size or brand is still the other card
        ("i put in a new 128gb card and it still says no sd card", "sd_card_test", "not_recognized"),
        ("tried a different sandisk card, still not recognized", "sd_card_test", "not_recognized"),
        ("a new 64gb card works", "sd_card_test", "recognized"),
    ],
)
def test_a_statement_after_a_no_or_with_a_card_named_is_read(text, move, option):
    assert [f["value"] for f in facts(text)] == [{"move": move, "option": option}]


@pytest.mark.parametrize(
    "text",
    [
        "i haven't tried another charger",  # a negation before a plain statement still turns it off
        "no other devices are fine",  # "no" as a quantifier still negates
        "no other devices drop out too",
        "my phone app shows offline",  # the camera's app on the phone, not the phone's Wi-Fi
        "the camera keeps dropping too",
        "the wifi is patchy where the camera is",  # at the camera alone says nothing of the other devices
        "the adapter is buzzing",  # an adapter's buzz is no motor
        "i went to the sd card settings",  # going to a menu is no storage
        "i updated the app and it works now",
        "just this one, the rest are fine",  # the rest of what: the open question decides
        "changed the dns to 8.8.8.8 and it works now",
    ],
)
def test_a_negated_statement_is_no_fact(text):
    assert facts(text) == []


@pytest.mark.parametrize(
    "text, steps",
    [
        ("no spare charger here", ["swap_adapter"]),
        ("dont have a different adapter sorry", ["swap_adapter"]),
        ("i dont think i have a 5v 2a charger", ["swap_adapter", "proper_adapter"]),  # the rated one too
        ("only have the one card", ["sd_card_test"]),
        ("i don't have another sd card", ["sd_card_test"]),
        ("i have a spare charger", []),
        ("no other devices drop", []),
    ],
)
def test_what_is_lacked_names_the_steps_that_need_it(text, steps):
    from bot.language.context import lacked_steps

    assert lacked_steps(text) == steps


@pytest.mark.parametrize(
    "text, steps",
    [
        ("wait actually i found an old 32gb one in a drawer", ["sd_card_test"]),
        ("bought a new sandisk card", ["sd_card_test"]),
        ("i borrowed a 2a charger from my neighbour", ["swap_adapter", "proper_adapter"]),
        ("found it", []),
        ("i found the problem", []),
    ],
)
def test_what_turned_up_after_all_names_the_steps_that_need_it(text, steps):
    from bot.language.context import found_steps

    assert found_steps(text) == steps


@pytest.mark.parametrize(
    "text, lacking",
    [
        ("sorry i only have the one charger", True),
        ("i don't have a spare adapter", True),
        # the other cameras question answered, nothing the step needs is missing
        ("i only have the one camera", False),
        ("i don't have any other kasa cams", False),
    ],
)
def test_answering_another_question_is_no_lack_of_means(text, lacking):
    from bot.language.context import lacks_means

    assert lacks_means(text) is lacking

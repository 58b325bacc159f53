"""data/knowledge/scope.yml: what a first message is about."""

from __future__ import annotations

import pytest

from bot.language.scope import load_scope


@pytest.mark.parametrize(
    "text, why",
    [
        ("my kp115 keeps going offline", "devices"),
        ("the smart plug stopped reporting energy", "devices"),
        ("wyze cam offline", "brands"),
        ("kasa or tapo, not sure which", "brands"),
        ("how do I get a refund", "account"),
        ("feature request: please add person detection", "wishes"),
        ("frigate shows no frames from the kasa stream", "integration"),
        ("home assistant tplink integration: unsupported device", "integration"),
    ],
)
def test_not_a_camera_fault(text, why):
    assert load_scope().not_a_camera_fault(text) == why


@pytest.mark.parametrize(
    "text",
    [
        "my kasa camera keeps going offline",
        "running 2 kasa cams in home assistant, one blinks green and the kasa app can't reach it",
        "the camera went offline after I changed the wifi password",
        "my tapo... sorry, kasa camera is stuck offline",
        "i pay for kasa care and still no clips saved",
        "smell of burnt plastic from the camera plug",
        "sorry its a kasa kc100 not tapo",  # a brand named only to be denied
    ],
)
def test_camera_faults_stay_in_scope(text):
    assert load_scope().not_a_camera_fault(text) is None


@pytest.mark.parametrize("text", ["sd card problem", "tilt is broken", "call timed out", "black screen"])
def test_a_part_of_the_camera_is_the_camera(text):
    assert load_scope().mentions_camera(text)


@pytest.mark.parametrize(
    "text, why",
    [
        (
            "home assistant integration throws an error when adding my kc120, the camera works fine in the app",
            "integration",
        ),
        ("google home cant stream my kasa cam but it works in the kasa app", "integration"),
        ("my camera is offline in the kasa app and home assistant shows unavailable", None),
        ("frigate shows no frames, the camera is fine but the sd card is not recognized", None),
    ],
)
def test_the_kasa_app_named_as_working_is_no_sign_of_a_camera_fault(text, why):
    assert load_scope().not_a_camera_fault(text) == why


@pytest.mark.parametrize(
    "text, foreign",
    [
        ("mi cámara no funciona", True),
        ("meine Kamera funktioniert nicht", True),
        ("my kamera is offline since monday", False),
        ("no, nie", False),
        ("the camara blinks green", False),
    ],
)
def test_a_message_mostly_in_another_language(text, foreign):
    assert load_scope().in_another_language(text) is foreign

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
    ],
)
def test_camera_faults_stay_in_scope(text):
    assert load_scope().not_a_camera_fault(text) is None


@pytest.mark.parametrize("text", ["sd card problem", "tilt is broken", "call timed out", "black screen"])
def test_a_part_of_the_camera_is_the_camera(text):
    assert load_scope().mentions_camera(text)

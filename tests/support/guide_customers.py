"""Test customers whose facts match the guide's fix scenarios A-H, its escalation thresholds and its
triage tests: each answers every question from what is true of their camera, by button (option id)
or typed in their own words. tests/bot/engine/test_guide_routes.py runs them through the engine,
tests/bot/dialogue/test_guide_routes_typed.py through the conversation with typed answers.

A customer answers only what their story says; a question outside it fails the test, naming the
question, so a change in the engine's order shows up as a story to extend, never as a silent guess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Tuple

Answer = Tuple[str, str]  # (option id, the customer's typed words)

# What is true of an ordinary camera and customer, unless the story says otherwise.
ORDINARY: Dict[str, Answer] = {
    "other_devices_ok": ("yes", "yes my phone and laptop work fine on the wifi"),
    "camera_age": ("one_to_twelve_months", "about five months"),
    "warranty_status": ("in_warranty", "it's still under warranty"),
    "adapter_temperature": ("cool", "it's cool to the touch"),
    "adapter_condition": ("fine", "it looks and smells normal"),
    "cable_condition": ("fine", "the cable looks fine"),
    "other_cameras_affected": ("only_camera", "this is my only camera"),
    "lens_clear": ("clear", "the lens is clean"),
    "housing_cracks": ("intact", "no cracks anywhere"),
    "local_access_test": ("not_available", "i can't do that, no rtsp"),
    "reset_recurs": ("never_reset", "no, never reset it"),
    "cloud_status": ("no_reports", "nothing reported"),
    "spare_rating": ("rated_ok", "yes the label says 5V 2A"),
}


@dataclass(frozen=True)
class GuideCustomer:
    id: str
    symptom: str
    opening: str  # their first message
    story: Dict[str, Answer]  # what is true of their camera, per question or step
    reaches: Tuple[str, ...]  # "scenario-X", "threshold-<id>", "triage-N", "fix-<move>", "route-<id>"
    ordinary: bool = True  # ORDINARY fills the questions the story leaves out
    entities: Tuple[Dict, ...] = field(default_factory=tuple)
    # a known way the engine falls short of this customer's ending: the tests expect it to fail (strictly)
    known_gap: str = ""
    # what they type when a repair seemed to work and the post-fix checks find the fault again;
    # empty: every check passes
    checks_fail: str = ""

    def answer(self, move: str) -> Answer:
        if move in self.story:
            return self.story[move]
        if self.ordinary and move in ORDINARY:
            return ORDINARY[move]
        raise KeyError(f"{self.id}: the story does not say what to answer to {move!r}")


# a camera whose configuration breaks at every power cut; two customers tell it, one saying its age
CORRUPTION_RECURS: Dict[str, Answer] = {
    "power_cycle_restores": ("no_stays_offline", "no it stays offline"),
    "reset_recurs": ("recurred", "yes a reset fixed it for a while then it failed again"),
    "factory_reset": ("same_problem", "set it up again but it's the same problem"),
    "band_segregation": ("still_fails", "setup still fails on the 2.4 network"),
    "swap_adapter": ("no_change", "no change"),
    "led_check": ("amber_or_red", "amber"),
    "camera_age": ("over_a_year", "over a year"),
}

CUSTOMERS = (
    GuideCustomer(
        "radio-crash-replaced",
        "offline_after_months",
        "my camera worked for months and now it keeps going offline",
        {
            "power_cycle_restores": ("yes_for_a_while", "yes it comes back for a while after unplugging"),
            "reset_recurs": ("did_not_help", "yes i did a factory reset, it didn't help at all"),
            "swap_adapter": ("came_back_briefly", "came back for a bit then dropped again"),
            "factory_reset": ("same_problem", "set up went fine but it's the same problem"),
            "led_check": ("solid_green", "steady green"),
        },
        # one reset before, none here: Scenario A's "reset doesn't help", not "recurs after multiple resets"
        ("scenario-A", "threshold-reset_does_not_help", "threshold-wifi_chip_integrated"),
    ),
    GuideCustomer(
        "registration-stuck",
        "already_configured",
        "setup keeps saying the camera is already configured even after a reset",
        {
            "factory_reset": ("already_configured_error", "it says the camera is already configured"),
            "band_segregation": ("already_configured_error", "now it says already configured"),
            "power_cycle_restores": ("no_stays_offline", "no it stays offline"),
            "led_check": ("blinking_green", "blinking green"),
            "swap_adapter": ("no_change", "no change"),
        },
        ("scenario-B", "route-clear_cloud_registration"),
    ),
    GuideCustomer(
        "bent-pin-straightened",
        "sd_card_not_recognized",
        "the camera doesn't see my sd card anymore",
        {
            "sd_card_test": ("not_recognized", "no, the other card isn't recognized either"),
            "sd_slot_inspection": ("bent_pin", "one of the pins looks bent"),
            "sd_slot_pins": ("bent", "one pin looks bent"),
            "straighten_sd_pin": ("fixed", "the card is detected now"),
        },
        # the slot is inspected first now (a bent pin is seen there); triage 2: "clips-on-a-bad-card"
        ("scenario-C", "fix-straighten_sd_pin"),
    ),
    GuideCustomer(
        "broken-pin-replaced",
        "sd_card_not_recognized",
        "sd card not recognized by the camera",
        {
            "sd_card_test": ("not_recognized", "no the other card is not recognized either"),
            "sd_slot_inspection": ("broken_pin", "a pin is broken off"),
            "sd_slot_pins": ("broken", "one is broken"),
        },
        ("threshold-sd_slot_failed",),
    ),
    GuideCustomer(
        "no-card-works",
        "sd_card_not_recognized",
        "my kasa cam won't recognize the sd card",
        {
            "sd_card_test": ("not_recognized", "no, it is not recognized either"),
            "sd_slot_inspection": ("no_card_works", "pins look fine but no card works"),
            "sd_slot_pins": ("even", "they are evenly spaced"),
        },
        ("threshold-sd_slot_failed",),
    ),
    GuideCustomer(
        "hot-adapter-swapped",
        "adapter_overheating",
        "the power adapter of my camera gets too hot to touch",
        {"swap_adapter": ("fixed", "yes it works now with the other charger")},
        ("scenario-D", "fix-swap_adapter"),
    ),
    GuideCustomer(
        "hot-with-the-new-adapter-too",
        "adapter_overheating",
        "the plug of my camera gets burning hot",
        {
            "swap_adapter": ("no_change", "no change, still dropping out"),
            "adapter_temperature": ("too_hot", "the new one is too hot to hold as well"),
        },
        ("threshold-adapter_overheating_still_unstable",),
    ),
    GuideCustomer(
        "app-updated",
        "app_freezes_settings",
        "the kasa app freezes whenever i open the camera settings",
        {
            "update_app": ("fixed", "updated the app and the settings open now"),
            "app_crash_test": ("freezes", "yes the app freezes"),
        },
        ("scenario-E", "fix-update_app"),
    ),
    GuideCustomer(
        "app-bug-persists",
        "app_freezes_settings",
        "app hangs on the camera settings screen every time",
        {
            "update_app": ("still_freezes", "it still freezes after the update"),
            "app_crash_scope": ("only_settings", "only on the settings screens"),
            "app_crash_test": ("freezes", "yes it freezes"),
        },
        ("threshold-app_bugs_persist", "route-report_app_bug"),
    ),
    GuideCustomer(
        "motor-dead",
        "pan_tilt_stopped",
        "pan and tilt stopped working on my kc110",
        {
            "motor_sound": ("silent", "totally silent, nothing moves"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("solid_green", "solid green"),
        },
        ("scenario-F", "threshold-pan_tilt_motor_failed", "threshold-motor_driver_sealed"),
    ),
    GuideCustomer(
        "pet-sensitivity",
        "pet_not_detected",
        "the camera picks me up but never my dog",
        {
            "motion_test": ("detects_you_not_pet", "it detects me but not the dog"),
            "motion_sensitivity": ("fixed", "yes it picks up the dog now"),
        },
        # the sensitivity change comes first now (it fixes 3 in 4); triage 6: "pet-sensor-failed"
        ("scenario-G", "fix-motion_sensitivity"),
    ),
    GuideCustomer(
        "pet-sensor-failed",
        "pet_not_detected",
        "it never records my cat walking by",
        {
            "motion_sensitivity": ("still_no_detection", "turned it up, still nothing"),
            "motion_test": ("detects_nothing", "it detects nothing at all, not even me"),
            "lens_clear": ("clear", "the lens is clean"),
            "warranty_status": ("in_warranty", "under warranty"),
        },
        ("triage-6", "route-sensor_faulty"),
    ),
    GuideCustomer(
        "clips-on-a-bad-card",
        "clips_not_saving",
        "no clips are being saved",
        {
            "clips_storage": ("sd_card", "on the sd card"),
            "sd_card_test": ("recognized", "yes another card works"),
            "use_working_card": ("fixed", "it saves clips on the other card"),
        },
        ("triage-2", "fix-use_working_card"),
    ),
    GuideCustomer(
        "dns-fixed",
        "green_blinking_no_cloud",
        "blinking green but the app can't reach the camera",
        {
            "power_cycle_restores": ("no_stays_offline", "no it stays offline"),
            "cloud_status": ("no_reports", "no reports"),
            "dns_change": ("fixed", "changed the dns and the app reaches it now"),
            "swap_adapter": ("no_change", "no change"),
            "factory_reset": ("same_problem", "set up fine but still no cloud"),
            "led_check": ("blinking_green", "yes it blinks green"),
        },
        ("scenario-H", "fix-dns_change"),
    ),
    GuideCustomer(
        "outage",
        "green_blinking_no_cloud",
        "camera is blinking green, app says offline",
        {
            "power_cycle_restores": ("no_stays_offline", "no, stays offline"),
            "cloud_status": ("outage_reported", "yes lots of people report an outage"),
            "other_cameras_affected": ("several_affected", "yes all my cameras have it"),
        },
        ("route-wait_for_outage",),
    ),
    GuideCustomer(
        "no-ssid-after-reset",
        "offline_after_months",
        "the camera went offline after a few months and stays offline",
        {
            "power_cycle_restores": ("yes_for_a_while", "yes it comes back for a while"),
            "factory_reset": ("pairing_no_ssid", "in pairing mode but its wifi network never shows up"),
            "swap_adapter": ("came_back_briefly", "came back briefly, then offline again"),
            "led_check": ("amber_or_red", "blinking amber"),
        },
        ("threshold-wifi_radio_dead",),
    ),
    GuideCustomer(
        "fails-on-dedicated-band",
        "wont_connect_after_reset",
        "reset the camera and now setup never finishes",
        {
            "power_cycle_restores": ("no_stays_offline", "no it doesn't come back"),
            "factory_reset": ("pairing_wont_connect", "it goes into pairing mode but setup fails"),
            "band_segregation": ("still_fails", "setup still fails on the 2.4 network"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("amber_or_red", "amber light"),
        },
        # triage 1 (the adapter's temperature): "old-camera-corruption-recurs"
        ("threshold-fails_on_dedicated_band",),
    ),
    GuideCustomer(
        "firmware-crash-reset",
        "degrades_over_time",
        "the camera gets worse and worse and now it barely connects",
        {
            "power_cycle_restores": ("no_stays_offline", "no"),
            "factory_reset": ("led_no_pairing", "the light changes but it never goes into pairing mode"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("amber_or_red", "it's amber"),
            "warranty_status": ("out_of_warranty", "it's out of warranty"),
            "camera_age": ("over_a_year", "more than two years"),
        },
        ("threshold-hardware_dead", "threshold-out_of_warranty"),
    ),
    GuideCustomer(
        "recurring-corruption",
        "wont_connect_after_reset",
        "every time the power goes out the camera won't reconnect",
        CORRUPTION_RECURS,
        # the camera's age changes no ending here, so it is not asked; a customer who says it:
        # "old-camera-corruption-recurs"
        ("threshold-degradation_recurs",),
    ),
    GuideCustomer(
        "old-camera-corruption-recurs",
        "wont_connect_after_reset",
        "my camera is over two years old and after every power cut it won't reconnect",
        CORRUPTION_RECURS,
        ("threshold-flash_age_related", "threshold-degradation_recurs", "triage-1"),
        entities=({"entity": "duration", "value": 800.0, "role": "age", "text": "over two years old"},),
    ),
    GuideCustomer(
        "corruption-relapses",
        "wont_connect_after_reset",
        "camera wont reconnect after the power cut, even after i reset it",
        {
            "power_cycle_restores": ("no_stays_offline", "no it stays offline"),
            "band_segregation": ("still_fails", "set-up still fails on the 2.4 network"),
            "factory_reset": ("fixed", "ok that worked, it's back online"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("amber_or_red", "amber"),
        },
        # Cause 2 confirms "Factory reset may temporarily fix, but failure recurs", seen here
        ("threshold-flash_age_related", "threshold-degradation_recurs", "route-replace_camera"),
        checks_fail="no, after unplugging it for a minute it never reconnected",
    ),
    GuideCustomer(
        "cracked-and-jammed",
        "pan_tilt_stopped",
        "my camera won't turn anymore",
        {
            "motor_sound": ("tries_but_jams", "i hear it try but it jams"),
            "clear_obstruction": ("still_jams", "nothing blocks it, it still jams"),
            "housing_cracks": ("cracked", "yes the joint is cracked"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("solid_green", "green"),
        },
        ("threshold-pan_tilt_motor_failed",),
    ),
    GuideCustomer(
        "button-out-of-reach",
        "reset_button_hard",
        "i can't press the reset button at all",
        {"reset_button_check": ("impossible", "impossible without taking it apart")},
        ("threshold-physical_damage", "triage-5"),
    ),
    GuideCustomer(
        "button-by-design",
        "reset_button_hard",
        "the reset button is really hard to press",
        {
            "reset_button_check": ("difficult_but_possible", "difficult but i can press it"),
            "power_cycle_restores": ("yes_for_a_while", "yes for a while"),
            "factory_reset": ("fixed", "the reset fixed it"),
            "reset_button_click": ("click", "yes it clicks"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("amber_or_red", "amber"),
        },
        ("triage-5", "fix-factory_reset"),
    ),
    GuideCustomer(
        "several-units",
        "offline_after_months",
        "two of my kasa cameras went offline for good after a few months",
        {
            "power_cycle_restores": ("yes_for_a_while", "yes they come back for a bit"),
            "other_cameras_affected": ("several_affected", "yes several have the same problem"),
            "reset_recurs": ("did_not_help", "yes i reset them, didn't help"),
            "cloud_status": ("no_reports", "no reports"),
            "swap_adapter": ("came_back_briefly", "back for a while then gone"),
            "factory_reset": ("same_problem", "same problem after setup"),
            "led_check": ("solid_green", "solid green"),
        },
        ("threshold-multiple_units",),
        entities=(
            {
                "entity": "fact",
                "value": {"move": "other_cameras_affected", "option": "several_affected"},
                "text": "two of my kasa cameras went offline",
            },
        ),
    ),
    GuideCustomer(
        "return-period",
        "pan_tilt_stopped",
        "pan tilt does nothing on my new camera",
        {
            "motor_sound": ("silent", "completely silent"),
            "warranty_status": ("in_return_period", "still within the return period"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("solid_green", "green"),
        },
        ("threshold-return_period",),
    ),
    GuideCustomer(
        "first-month",
        "pan_tilt_stopped",
        "bought this camera two weeks ago and the pan tilt already stopped",
        {
            "motor_sound": ("silent", "no sound at all"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("solid_green", "green"),
        },
        ("threshold-first_month",),
        entities=({"entity": "duration", "value": 14.0, "role": "age", "text": "bought this camera two weeks ago"},),
    ),
    GuideCustomer(
        "cloud-seen-locally",
        "live_view_timeout",
        "live view times out in the app every time",
        {
            "app_crash_test": ("opens", "settings open fine"),
            "power_cycle_restores": ("yes_for_a_while", "yes for a while"),
            "factory_reset": ("same_problem", "set up worked but it's the same problem"),
            "swap_adapter": ("no_change", "no change"),
            "led_check": ("blinking_green", "blinking green"),
            "cloud_status": ("no_reports", "nothing reported"),
            "dns_change": ("still_unreachable", "still can't reach it after the dns change"),
            "local_access_test": ("local_works_app_fails", "vlc plays it but the app does not"),
        },
        ("triage-3", "triage-4", "route-human_support"),
    ),
)


def params():
    """CUSTOMERS as pytest parameters, a known gap as a strict xfail."""
    import pytest

    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.known_gap)] if c.known_gap else [])
        for c in CUSTOMERS
    ]


def reached(k, outcome, asked) -> set:
    """The targets an ending (and the moves asked on the way) reached."""
    found = {f"route-{outcome.route}"} if outcome.type == "escalation" else {f"fix-{outcome.action}"}
    if outcome.scenario is not None:
        found.add(f"scenario-{outcome.scenario.id}")
    found |= {f"threshold-{t.id}" for t in getattr(outcome, "thresholds", ())}
    triage = {t.move.id: t.number for t in k.triage_tests}
    found |= {f"triage-{triage[m]}" for m in asked if m in triage}
    return found

"""A customer of each symptom who types every answer instead of tapping, through the REST channel
with the real model, action server and tracker store: the bot reads each typed answer as meant,
reaches an ending, and never asks one question three times in a row."""

from __future__ import annotations

import pytest

# How this customer types each answer (written for this test; not the knowledge's phrases).
TYPED = {
    ("led_check", "no_led"): "there's no light on it at all",
    ("led_check", "solid_green"): "its steady green",
    ("led_check", "blinking_green"): "green, and it keeps flashing",
    ("led_check", "amber_or_red"): "orange blinking",
    ("swap_adapter", "fixed"): "yep that sorted it, working now",
    ("swap_adapter", "came_back_briefly"): "it was back for like 20 minutes and then dropped again",
    ("swap_adapter", "no_change"): "nope, no difference with the other charger",
    ("factory_reset", "no_response"): "pressing the button does nothing at all",
    ("factory_reset", "led_no_pairing"): "light changes but it never goes into pairing",
    ("factory_reset", "pairing_no_ssid"): "its wifi network never shows up",
    ("factory_reset", "pairing_wont_connect"): "pairing mode ok but the setup keeps failing",
    ("factory_reset", "same_problem"): "set it up again but it's the same problem",
    ("band_segregation", "still_fails"): "setup still failing on the 2.4 network",
    ("sd_slot_inspection", "no_card_works"): "tried two other cards too, none of them show up",
    ("sd_slot_inspection", "other_card_works"): "a different card works, just not this one",
    ("straighten_sd_pin", "still_not_detected"): "pin looks straight now but the card is still not found",
    ("motion_sensitivity", "fixed"): "yes it caught the dog this time",
    ("motion_sensitivity", "still_no_detection"): "still doesnt notice the cat",
    ("update_app", "fixed"): "ok that worked, settings open now",
    ("update_app", "still_freezes"): "updated it but it still freezes",
    ("dns_change", "still_unreachable"): "changed the dns, still can't reach it",
    ("cloud_status", "outage_reported"): "yes, lots of reports",
    ("cloud_status", "no_reports"): "nothing reported there",
    ("adapter_temperature", "too_hot"): "its way too hot to hold",
    ("adapter_temperature", "warm"): "a little warm",
    ("adapter_temperature", "cool"): "it's cool",
    ("sd_card_test", "recognized"): "yes it sees the new card",
    ("sd_card_test", "not_recognized"): "no, the other card isnt detected either",
    ("app_crash_test", "freezes"): "yes it freezes again",
    ("app_crash_test", "opens"): "no, settings open fine",
    ("local_access_test", "not_available"): "i dont have rtsp set up",
    ("reset_button_check", "difficult_but_possible"): "hard but i can press it",
    ("reset_button_check", "impossible"): "no way to push it without opening it",
    ("motion_test", "detects_you_not_pet"): "it sees me but not the cat",
    ("motion_test", "detects_nothing"): "it doesn't pick up anything, not even me",
    ("power_cycle_restores", "yes_for_a_while"): "yes it comes back for a bit",
    ("power_cycle_restores", "no_stays_offline"): "no it stays offline",
    ("other_devices_ok", "yes"): "yes everything else is fine",
    ("other_devices_ok", "no"): "no, the other stuff drops too",
    ("other_cameras_affected", "only_this_one"): "the other two are fine",
    ("other_cameras_affected", "only_camera"): "i only have this one camera",
    ("motor_sound", "silent"): "totally silent, nothing moves",
    ("motor_sound", "tries_but_jams"): "i can hear it grinding but it doesnt turn",
    ("app_crash_scope", "only_settings"): "only the settings screens",
    ("reset_recurs", "did_not_help"): "yes, reset it twice, didn't help",
    ("reset_recurs", "never_reset"): "no never did",
    ("camera_age", "one_to_twelve_months"): "about 5 months",
    ("camera_age", "over_a_year"): "a couple of years",
    ("clips_storage", "sd_card"): "on the sd card",
    ("warranty_status", "in_warranty"): "still under warranty",
    ("reset_button_click", "click"): "yes i can feel it click",
    ("reset_button_click", "no_click"): "no click at all",
    ("sd_slot_pins", "even"): "they all look straight",
    ("adapter_condition", "fine"): "looks normal, no smell",
    ("housing_cracks", "intact"): "no cracks",
    ("lens_clear", "clear"): "the lens is clean",
    ("cable_condition", "fine"): "cable is fine",
    ("spare_rating", "rated_ok"): "yes the label says 5v 2a",
    ("use_working_card", "still_no_recording"): "still nothing gets recorded on the other card",
    ("check_subscription", "plan_fine_no_clips"): "my plan is active and the camera is on it, still no clips",
    ("clean_lens", "no_better"): "wiped it, no better",
    ("sd_slot_inspection", "bent_pin"): "one of the pins in there looks bent",
    ("factory_reset", "already_configured_error"): "it says the camera is already configured",
    ("band_segregation", "already_configured_error"): "now it says already configured",
    ("lens_clear", "dirty_or_blocked"): "it's pretty dusty",
}

# (opening message, the answer this customer gives to each question when it comes up)
CUSTOMERS = {
    "offline_after_months": ("my kc120 worked for months and now it just shows offline all the time", {}),
    "wont_connect_after_reset": ("i did a factory reset and now the camera will not reconnect to the wifi", {}),
    "live_view_timeout": ("every time I open the live view it spins and says call timed out", {}),
    "sd_card_not_recognized": ("the camera suddenly doesn't see the micro sd card, it reads fine in my pc", {}),
    "clips_not_saving": ("I get the motion alerts but when I tap one there's no clip to watch", {}),
    "pan_tilt_stopped": ("the camera won't pan or tilt anymore when I use the arrows", {}),
    "green_blinking_no_cloud": ("the led keeps blinking green and the app says the camera is unreachable", {}),
    "reset_button_hard": ("the reset button under the camera is really hard to press", {}),
    "app_freezes_settings": ("the kasa app freezes whenever I go into the camera settings", {("update_app",): "fixed"}),
    "already_configured": ("setup stops with an error saying the camera is already configured", {}),
    "adapter_overheating": ("the camera's power adapter gets extremely hot", {("swap_adapter",): "fixed"}),
    "pet_not_detected": ("the camera picks me up fine but never my dog", {("motion_sensitivity",): "fixed"}),
    "night_vision_slow": ("at dusk the picture stays dark ages before night vision kicks in", {}),
    "degrades_over_time": ("the stream gets choppier every week until I unplug it, then it's fine again", {}),
}

VERIFY_YES = "yes, all passed"
TURN_LIMIT = 14


def _slot(servers, sender):
    return servers.tracker(servers.rest_id(sender))["slots"]["conversation"]


def _choose(move, options, script):
    """The option this customer means: scripted, else the first failure (a repair that did not fix it),
    else the first option that has a typed reply."""
    wanted = script.get((move,))
    if wanted:
        return wanted
    for option in options:
        if option != "fixed" and (move, option) in TYPED:
            return option
    return None


@pytest.mark.parametrize("symptom", sorted(CUSTOMERS))
def test_a_customer_who_types_every_answer(bot_servers, symptom):
    from bot.knowledge import load_knowledge

    k = load_knowledge()
    opening, script = CUSTOMERS[symptom]
    sender = f"e2e-typed-{symptom}"
    msgs = bot_servers.send(sender, opening)
    conv = _slot(bot_servers, sender)
    assert conv["phase"] == "diagnosing", [m.get("text") for m in msgs]
    assert conv["engine"]["symptoms"][0] == symptom
    prompts = []
    for _ in range(TURN_LIMIT):
        conv = _slot(bot_servers, sender)
        engine = conv.get("engine") or {}
        if conv["phase"] != "diagnosing":
            break
        if engine.get("status") == "verifying":
            msgs = bot_servers.send(sender, VERIFY_YES)
            continue
        move = engine.get("pending")
        prompts.append(msgs[-1].get("text") if msgs else "")
        m = k.move(move)
        options = (["fixed"] if m.kind == "action" else []) + [o.id for o in m.answer_options]
        option = _choose(move, options, script)
        assert option is not None, f"no typed reply for any option of {move}"
        msgs = bot_servers.send(sender, TYPED[(move, option)])
        after = _slot(bot_servers, sender).get("engine") or {}
        said = [
            o
            for o in after.get("observations", [])
            if o["move"] == move and (o.get("asked") or o.get("kind") == "failed") and o.get("source") != "assumed"
        ]
        if option == "fixed":
            assert after.get("status") in ("verifying", "fixed"), (move, TYPED[(move, option)], after.get("status"))
        else:
            assert said and said[-1].get("option") == option, (move, TYPED[(move, option)], said)
    conv = _slot(bot_servers, sender)
    assert conv["phase"] in ("finished", "handoff"), f"no ending after {TURN_LIMIT} turns: {prompts}"
    for a, b, c in zip(prompts, prompts[1:], prompts[2:]):
        assert not (a == b == c), f"asked three times in a row: {a!r}"

"""The independent world: customers and cameras written from the field guide, not from the engine.

Modelling note (for the benchmark's README)
-------------------------------------------
* Written from the guide's text (patterns A-J, causes 1-8, triage tests, steps 0-6, reset behaviour,
  scenarios A-H) and this module's own judgement. It imports neither `bot.engine` nor
  `bench.sim.model_world` and reads no number from `data/knowledge`: only the vocabulary (move,
  option, symptom, cause and route ids), written here as literals and checked by the tests.
* True causes: the guide's eight in its field proportions (30/20/15/10/10/5/5/5) sharing 96%, and
  4% outside them: an incompatible card, an expired Kasa Care plan, a gear jam, a dead motion
  sensor, physical damage, a home network/ISP fault, a set-up on 5 GHz, a broken reset switch, a
  failing night-vision sensor, a camera that overloads a good adapter.
* Each case draws a hidden camera (age, LED, whether a power cycle brings it back, what a proper
  factory reset does, pins, which cards work, motor sound, storage and plan, app behaviour, DNS,
  outage, other devices and cameras...) and a customer (spare adapter, now and then an under-2A
  one, second card, paperclip, needle, router access, USB meter, RTSP, pet; what they tried before
  writing, some resets only a vague 5-second one; a misread LED; "not sure" skips; 2% plainly
  wrong answers; one in ten confusing "no Wi-Fi network appears" with "set-up fails" after a reset).
* Where the guide contradicts itself the world follows the cause: corrupted configuration often
  fails set-up after a reset (Pattern C), which Step 3 reads as a dead radio (cause 1). A Wi-Fi radio
  crash comes back after a power cycle (cause 1 confirms it, and is disproved "If problem occurs
  immediately after power-on"); the world first let one in ten stay offline ("Pattern A's offline
  permanently stage"), and was changed to the guide's line, 97 in 100, as a slip of 3 in 100.
* Answers come from that hidden state by each question's meaning: one answer function per move id;
  an unknown move raises. A repair returns FIXED only when it really fixes this camera; a factory
  reset fixes configuration corruption only sometimes, and then it may fail again at the post-fix
  power-cycle check (`checks_pass` False), as cause 2 says "may temporarily fix, but failure recurs".
* The opening carries the symptom(s) as the language layer would read them (including the less
  typical openings of each cause) and entities for what the customer says: what they tried
  (facts), the camera's age or how long the fault has lasted (durations with a role), the LED.
* Truth: the ids an ending may name (the true cause; "other" outside the engine's causes), the
  guide's route(s) for this camera, a hand-off added only when the guide's route cannot be reached
  with what this customer has or what this camera does, and the guide fixes that would work on
  this camera, that this customer can do and has not really done yet (avoidable if untried).
* Situations are single use (repairs change the camera): `fresh()` gives an unplayed copy, and
  every answer's chance draws are seeded by (case, move, n-th ask), so two policies asking the
  same thing get the same answer.
* `perturb` multiplies every weight by exp(N(0, perturb)), drawn per seed and per weight, and
  renormalises; certainties (0 or 1) stay certain, and the outside causes stay within 3-5%.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Sequence, Tuple

import numpy as np

from bench.sim.types import FIXED, SKIP, Truth

# -- vocabulary (ids of the knowledge; the tests check every one exists) --------------------------------
RANKED = (
    "wifi_radio_crash",
    "config_corruption",
    "sd_slot_failure",
    "power_supply",
    "app_bug",
    "motor_driver",
    "cloud_dns",
    "motion_sensitivity",
)
OUTSIDE = (
    "sd_card_incompatible",
    "cloud_subscription",
    "gear_jam",
    "motion_sensor_failure",
    "physical_damage",
    "home_network",
    "setup_5ghz",
    "reset_switch_broken",
    "night_vision_ir",
    "camera_overcurrent",
)
ENGINE_CAUSES = RANKED + (
    "sd_card_incompatible",
    "cloud_subscription",
    "gear_jam",
    "motion_sensor_failure",
    "home_network",
    "other",
)
ROUTES = (
    "replace_camera",
    "clear_cloud_registration",
    "wait_for_outage",
    "report_app_bug",
    "sensor_faulty",
    "safety_stop",
    "human_support",
)
SYMPTOMS_A = ("offline_after_months", "degrades_over_time")  # Pattern A
SYMPTOMS_DEGRADATION = SYMPTOMS_A + ("wont_connect_after_reset",)  # symptoms whose resets can "recur"

# -- the world's numbers ----------------------------------------------------------------------------------
# The guide's field frequencies for causes 1-8, in percent.
FIELD_FREQUENCY = {
    "wifi_radio_crash": 30,  # Cause 1: 30%
    "config_corruption": 20,  # Cause 2: 20%
    "sd_slot_failure": 15,  # Cause 3: 15%
    "power_supply": 10,  # Cause 4: 10%
    "app_bug": 10,  # Cause 5: 10%
    "motor_driver": 5,  # Cause 6: 5%
    "cloud_dns": 5,  # Cause 7: 5%
    "motion_sensitivity": 5,  # Cause 8: 5%
}
OUTSIDE_TOTAL = 0.04  # judgement: the issue asks for 3-5% of causes outside the eight
OUTSIDE_SHARE = {
    "sd_card_incompatible": 1.0,  # Pattern E: "though some cards are incompatible"; the commonest outsider
    "cloud_subscription": 0.6,  # Pattern F: "cloud subscription expired/misconfigured"
    "gear_jam": 0.4,  # Pattern G: "or gear mechanism jam"
    "motion_sensor_failure": 0.3,  # Triage 6: "If detects nothing: Sensor failure"
    "physical_damage": 0.4,  # Escalation: "Physical damage (cracked housing, broken lens)"
    "home_network": 0.5,  # judgement: a router/ISP fault that takes every device down
    "setup_5ghz": 0.3,  # False fixes: "Use 5GHz WiFi: Camera only supports 2.4GHz"; Step 3
    "reset_switch_broken": 0.15,  # Physical layer: "No click = switch broken"; triage 5 "Mechanical defect"
    "night_vision_ir": 0.15,  # judgement: the guide names no cause for slow night vision
    "camera_overcurrent": 0.2,  # Pattern I: "Camera drawing excessive current (though possible)"
}

# Opening symptoms per cause (and sub-kind), as the customer's first message would read.
OPENING = {
    "wifi_radio_crash": {
        "offline_after_months": 0.38,  # Pattern A / Scenario A: "Camera offline after 2 months"
        "degrades_over_time": 0.24,  # Pattern A: "develops streaming glitches, slow loading"
        "live_view_timeout": 0.20,  # Pattern B: "Camera's network stack unstable"
        "wont_connect_after_reset": 0.08,  # judgement: a radio that no longer associates after a reset attempt
        "reset_button_hard": 0.05,  # judgement: fighting the reset button to revive an offline camera
        "green_blinking_no_cloud": 0.04,  # judgement: the LED still blinks green while the radio half-works
        "already_configured": 0.01,  # judgement: a rare set-up error on a crashing radio
    },
    "config_corruption.flash": {
        "wont_connect_after_reset": 0.50,  # Pattern C: "After unplugging and replugging, camera will not reconnect"
        "offline_after_months": 0.20,  # Pattern A: "flash memory degradation causing configuration loss"
        "degrades_over_time": 0.07,  # Pattern A
        "reset_button_hard": 0.07,  # Pattern C: "Requires multiple reset attempts"
        "live_view_timeout": 0.06,  # Pattern B: "network stack unstable"
        "already_configured": 0.06,  # Pattern D: "flash memory not clearing properly"
        "green_blinking_no_cloud": 0.04,  # judgement: LED blinks while it fails to finish connecting
    },
    "config_corruption.registration": {
        "already_configured": 0.90,  # Pattern D / Scenario B: "Cloud-side registration stuck"
        "wont_connect_after_reset": 0.10,  # judgement: described as "won't connect" rather than the error text
    },
    "sd_slot_failure": {
        "sd_card_not_recognized": 0.78,  # Pattern E
        "clips_not_saving": 0.22,  # Pattern F: "After SD card failure"
    },
    "power_supply": {
        "adapter_overheating": 0.47,  # Pattern I
        "degrades_over_time": 0.12,  # Scenario D: "camera intermittent"
        "live_view_timeout": 0.10,  # judgement: brown-outs drop the stream
        "offline_after_months": 0.10,  # Cause 4: "Over time, components degrade, output voltage drops"
        "pan_tilt_stopped": 0.10,  # Cause 4 triggers: "Pan/tilt movement (higher current draw)"
        "wont_connect_after_reset": 0.06,  # judgement: a weak supply fails the reconnect after a power cycle
        "night_vision_slow": 0.05,  # judgement: IR LEDs add load at dusk
    },
    "app_bug": {
        "app_freezes_settings": 0.82,  # Pattern H
        "live_view_timeout": 0.13,  # Pattern B: "throws JavaScript errors"
        "clips_not_saving": 0.05,  # judgement: the app fails to show clips that exist
    },
    "motor_driver": {"pan_tilt_stopped": 1.0},  # Pattern G
    "cloud_dns": {
        "green_blinking_no_cloud": 0.50,  # Pattern J
        "live_view_timeout": 0.30,  # Pattern B: "cloud relay server issues"
        "clips_not_saving": 0.08,  # Pattern F: "cloud storage issue"
        "offline_after_months": 0.08,  # Cloud dependency: "camera appears offline even if local network is fine"
        "degrades_over_time": 0.04,  # judgement: DNS that fails now and then
    },
    "motion_sensitivity": {"pet_not_detected": 1.0},  # Cause 8 / Scenario G
    "sd_card_incompatible": {
        "sd_card_not_recognized": 0.80,  # Pattern E
        "clips_not_saving": 0.20,  # Pattern F
    },
    "cloud_subscription": {"clips_not_saving": 1.0},  # Pattern F
    "gear_jam": {"pan_tilt_stopped": 1.0},  # Pattern G
    "motion_sensor_failure": {"pet_not_detected": 1.0},  # triage 6: the pet complaint is what brings them
    "physical_damage": {
        "pan_tilt_stopped": 0.40,  # Physical layer: "cracks, especially near pan/tilt joint"
        "offline_after_months": 0.25,  # judgement: a dropped camera that went offline
        "night_vision_slow": 0.15,  # judgement: a cracked lens/IR window
        "degrades_over_time": 0.10,  # judgement: moisture through a crack
        "reset_button_hard": 0.10,  # judgement: a deformed housing over the button
    },
    "home_network": {
        "offline_after_months": 0.35,  # judgement: "offline" is how a network outage looks from the app
        "live_view_timeout": 0.30,  # judgement
        "green_blinking_no_cloud": 0.15,  # judgement: on the Wi-Fi, no internet behind it
        "degrades_over_time": 0.10,  # judgement
        "wont_connect_after_reset": 0.10,  # judgement
    },
    "setup_5ghz": {
        "wont_connect_after_reset": 0.75,  # Step 3: "Ensure phone is on 2.4GHz network"
        "offline_after_months": 0.20,  # judgement: a new router or band steering after months of use
        "already_configured": 0.05,  # judgement
    },
    "reset_switch_broken": {"reset_button_hard": 1.0},  # triage 5
    "night_vision_ir": {"night_vision_slow": 1.0},
    "camera_overcurrent": {
        "adapter_overheating": 0.75,  # Pattern I
        "pan_tilt_stopped": 0.25,  # Cause 6: "Driver IC overheats or fails due to mechanical stall"
    },
}

# A proper factory reset (10-15 s) on this camera: what happens (Reset and Recovery Behaviour Mapping).
RESET = {
    "wifi_radio_crash": {
        "pairing_no_ssid": 0.35,  # "Failed Reset (Wi-Fi Dead): Enters pairing mode but no SSID appears"
        "same_problem": 0.23,  # Scenario A: "reset doesn't help"
        "pairing_wont_connect": 0.22,  # Step 3: "If fails on dedicated 2.4GHz, camera radio may be dead"
        "led_no_pairing": 0.17,  # "Failed Reset (Firmware Crash)": cause 1 is the radio's firmware crash
        "no_response": 0.03,  # judgement: a locked-up camera ignores the button
    },
    "config_corruption.flash": {
        "works": 0.40,  # Cause 2: "Factory reset may temporarily fix"
        "pairing_wont_connect": 0.25,  # Pattern C: "stored credentials corrupt"
        "led_no_pairing": 0.15,  # Pattern D: "flash memory not clearing properly"
        "same_problem": 0.15,  # Pattern A: "Resets ... do not restore function"
        "no_response": 0.03,  # judgement
        "pairing_no_ssid": 0.02,  # judgement
    },
    "config_corruption.registration": {
        "pairing_wont_connect": 0.82,  # Pattern D: "already configured, even after factory reset"
        "works": 0.12,  # judgement: the earlier reset was not a full one
        "led_no_pairing": 0.06,  # Pattern D: "flash memory not clearing properly"
    },
    "power_supply": {
        "same_problem": 0.55,  # judgement: a reset does not fix a failing adapter
        "pairing_wont_connect": 0.15,  # judgement: brown-outs during set-up
        "no_response": 0.15,  # Step 0 "No LED": nothing to respond
        "led_no_pairing": 0.10,  # judgement
        "pairing_no_ssid": 0.05,  # judgement
    },
    "cloud_dns": {"pairing_wont_connect": 0.45, "same_problem": 0.55},  # set-up needs the cloud
    "home_network": {"pairing_wont_connect": 0.60, "same_problem": 0.40},  # set-up needs the internet
    "setup_5ghz": {"pairing_wont_connect": 0.92, "same_problem": 0.08},  # the phone is on 5 GHz
    "physical_damage": {"no_response": 0.40, "led_no_pairing": 0.30, "pairing_no_ssid": 0.30},  # judgement
    "camera_overcurrent": {"same_problem": 0.60, "no_response": 0.20, "led_no_pairing": 0.20},  # judgement
    "default": {"same_problem": 0.95, "pairing_wont_connect": 0.05},  # the camera itself connects fine
}

# The LED as it really is (Step 0), per cause; "amber_or_red" covers both colours.
LED = {
    "wifi_radio_crash": {"amber_or_red": 0.45, "solid_green": 0.35, "blinking_green": 0.18, "no_led": 0.02},
    "config_corruption.flash": {"amber_or_red": 0.50, "blinking_green": 0.30, "solid_green": 0.15, "no_led": 0.05},
    "config_corruption.registration": {"blinking_green": 0.45, "amber_or_red": 0.35, "solid_green": 0.20},
    "power_supply": {"solid_green": 0.40, "no_led": 0.25, "amber_or_red": 0.25, "blinking_green": 0.10},
    "cloud_dns": {"blinking_green": 0.85, "solid_green": 0.10, "amber_or_red": 0.05},  # Pattern J
    "home_network": {"blinking_green": 0.50, "amber_or_red": 0.35, "solid_green": 0.15},
    "setup_5ghz": {"blinking_green": 0.60, "amber_or_red": 0.30, "solid_green": 0.10},
    "physical_damage.offline": {"amber_or_red": 0.40, "no_led": 0.30, "solid_green": 0.30},
    "camera_overcurrent": {"solid_green": 0.50, "amber_or_red": 0.30, "no_led": 0.20},
    "default": {"solid_green": 0.92, "blinking_green": 0.04, "amber_or_red": 0.03, "no_led": 0.01},
}
# What a customer who misreads the LED reports instead (judgement: amber/green alternation read as
# green, a slow blink read as steady, a dim LED in daylight read as off).
MISREAD = {"amber_or_red": "blinking_green", "blinking_green": "solid_green", "solid_green": "blinking_green"}

# "Does a power cycle bring it back, at least for a while?"
CYCLE_RESTORES = {
    # Cause 1 confirms: "Power cycle temporarily restores function" (and is disproved "If problem occurs
    # immediately after power-on"); Pattern A: "eventually goes offline permanently": one in ten writes
    # in at that end stage
    # (was 0.90, with one in ten "at Pattern A's offline permanently stage"; set to the guide's own line:
    # cause 1 is disproved "If problem occurs immediately after power-on", so a camera that stays
    # offline after a power cycle is, by the guide, not a radio crash but Pattern A's flash branch)
    "wifi_radio_crash": 0.97,
    "config_corruption.flash": 0.15,  # Pattern C: "After unplugging and replugging, camera will not reconnect"
    "config_corruption.registration": 0.30,  # judgement: the camera is not set up at all
    "power_supply": 0.60,  # Scenario D: "camera intermittent"
    "cloud_dns": 0.10,  # judgement: the cloud stays out of reach
    "home_network": 0.30,  # judgement: a router reboot helps now and then
    "setup_5ghz": 0.10,  # judgement: it never joins the 5 GHz network
    "physical_damage": 0.20,  # judgement
    "camera_overcurrent": 0.50,  # judgement
    "default": 0.90,  # the camera is online; it comes back as before
}

# Ages in days, as (low, high) buckets with weights.
AGE_BUCKETS = ((1, 29), (30, 182), (183, 365), (366, 900))
AGE = {
    "wifi_radio_crash": (0.06, 0.64, 0.18, 0.12),  # Pattern A: "After 1-6 months of use"
    "config_corruption.flash": (0.10, 0.35, 0.25, 0.30),  # Cause 2 triggers: "Age., Power cycles."
    "config_corruption.registration": (0.40, 0.30, 0.15, 0.15),  # Pattern D: "After failed reset, or out of box"
    "sd_slot_failure": (0.25, 0.40, 0.20, 0.15),  # Pattern E: "Shortly after insertion"
    "motor_driver": (0.10, 0.50, 0.25, 0.15),  # Pattern G: "after weeks of use"
    "default": (0.12, 0.38, 0.25, 0.25),  # judgement
}


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


class Book:
    """The world's probabilities, each a named distribution; with `perturb`, every weight is multiplied
    by exp(N(0, perturb)) drawn per seed and per weight, then the distribution is renormalised."""

    def __init__(self, seed: int, perturb: float = 0.0):
        if not 0.0 <= perturb <= 1.0:
            raise ValueError(f"perturb must be within 0..1, not {perturb}")
        self.seed, self.perturb = seed, perturb
        self.used: Dict[str, Dict[str, float]] = {}
        self._written: Dict[str, Dict[str, float]] = {}

    def _factor(self, key: str, option: str) -> float:
        if self.perturb <= 0.0:
            return 1.0
        rng = np.random.default_rng([self.seed, _crc(key), _crc(option), 7919])
        return float(np.exp(rng.normal(0.0, self.perturb)))

    def dist(self, key: str, weights: Dict[str, float]) -> Dict[str, float]:
        found = self.used.get(key)
        if found is not None and self._written[key] != weights:
            raise ValueError(f"{key}: one name for two distributions: {self._written[key]} and {weights}")
        if found is None:
            self._written[key] = dict(weights)
            raw = {o: w * self._factor(key, o) for o, w in weights.items()}
            total = sum(raw.values())
            found = self.used[key] = {o: w / total for o, w in raw.items()}
        return found

    def p(self, key: str, prob: float) -> float:
        return self.dist(key, {"yes": prob, "no": 1.0 - prob})["yes"]

    def table(self, key: str, tables: Dict[str, Dict[str, float]], *names: str) -> Dict[str, float]:
        """The first of `names` the table has (a sub-kind, then the cause), else its default."""
        for name in names:
            if name in tables:
                return self.dist(f"{key}.{name}", tables[name])
        return self.dist(f"{key}.default", tables["default"])

    def causes(self) -> Dict[str, float]:
        ranked = self.dist("cause.ranked", {c: float(f) for c, f in FIELD_FREQUENCY.items()})
        outside = self.dist("cause.outside", OUTSIDE_SHARE)
        total = float(np.clip(OUTSIDE_TOTAL * self._factor("cause.outside_total", "total"), 0.03, 0.05))
        mix = {c: p * (1.0 - total) for c, p in ranked.items()}
        mix.update({c: p * total for c, p in outside.items()})
        self.used["cause"] = mix
        return mix


def _pick(rng: np.random.Generator, dist: Dict[str, float]) -> str:
    keys = list(dist)
    return keys[int(rng.choice(len(keys), p=np.array([dist[k] for k in keys])))]


def _yes(rng: np.random.Generator, prob: float) -> bool:
    return bool(rng.random() < prob)


# -- hidden state --------------------------------------------------------------------------------------
@dataclass
class Camera:
    cause: str
    kind: str  # sub-kind: "flash" / "registration", "bent" / "debris" ..., or the cause again
    age_days: int
    led: str  # what the LED really shows (an option of led_check)
    cycle_restores: bool
    others_ok: bool  # other devices on the Wi-Fi work
    all_cameras_hit: bool  # every camera on this network has the problem
    link: str  # "ok": reachable; "cloud": on the LAN, no cloud; "dead": off the network
    outage: bool  # a Kasa outage is on now
    outage_visible: bool  # ... and downdetector/forums show it
    reset_outcome: str  # what a proper factory reset does: "works" or a failure option
    reset_holds: bool  # a reset that fixed it passes the post-fix checks
    pairing_led: str  # the LED in pairing mode, as the customer will call it
    button: str  # "ok" | "impossible"
    switch_broken: bool
    band_fixes: bool
    band_holds: bool
    adapter_temp: str
    new_adapter_temp: str  # the spare adapter's temperature once swapped in
    adapter_damaged: bool
    voltage_low: bool
    current_high: bool
    swap_fixes: bool  # a good 5V/2A adapter fixes it
    rssi_strong: bool
    cable_damaged: bool
    cracked: bool
    lens: str  # clear | dirty_or_blocked | broken
    lens_matters: bool  # cleaning the lens fixes the complaint
    pins: str  # even | bent | broken
    bent_visible: bool  # the customer can see a bent or broken pin with a torch
    slot_works: bool  # a good card is detected
    own_card_bad: bool
    inspection_fixes: bool  # reseating and blowing out the slot fixes it
    straighten_fixes: bool
    motor: str  # silent | jams | moves
    obstruction: bool
    app_freezes: str  # settings | all | none
    update_fixes: bool
    storage: str  # sd_card | cloud
    motion: str  # detects_you_not_pet | detects_nothing | detects_both
    sensitivity_fixes: bool
    dns_fixes: bool
    sd_vcc_low: bool
    outage_noise: bool  # an unrelated outage report the customer finds


@dataclass
class Person:
    spare_adapter: bool
    spare_weak: bool  # the spare is an under-2A charger (they ignore the label)
    second_card: bool
    usb_meter: bool
    probe_skill: bool
    paperclip: bool
    finds_paperclip: bool  # asked again, they found one
    needle: bool
    torch: bool
    router_access: bool
    analyser: bool
    rtsp: bool
    pet: bool
    other_cameras: bool
    misreads_led: bool
    reluctant_reset: bool  # puts off a factory reset once (it erases settings)
    renews_plan: bool
    knows_warranty: bool
    warranty_days: int
    unsure: float  # chance of "not sure" (a skip) per question
    wrong: float  # chance of a plainly wrong answer per question
    prior_reset: str  # none | proper_recurred | proper_no_help | vague
    prior_swap: bool  # tried another charger before writing
    prior_update: bool  # updated the app before writing


# -- the customer -------------------------------------------------------------------------------------
class UnknownMove(KeyError):
    """A move this world has no answer for: a new engine move must get an answer function."""


Answer = Callable[["Customer", np.random.Generator], str]


@dataclass
class Customer:
    """One simulated customer with one camera (a `bench.sim.types.Situation`). Single use: call
    `fresh()` for an unplayed copy to run another policy on the same case."""

    truth: Truth
    symptoms: Tuple[str, ...]
    opening: Tuple[Dict[str, Any], ...]
    cam: Camera
    who: Person
    seed: int
    led_said: Optional[str] = None  # the LED as the opening described it
    asks: Dict[str, int] = field(default_factory=dict)
    done: List[str] = field(default_factory=list)  # repair steps done in this conversation
    claims: Dict[str, bool] = field(default_factory=dict)  # FIXED replies: do the checks pass?
    reset_result: Optional[str] = None  # what the factory reset done here showed
    adapter_swapped: bool = False
    app_fixed: bool = False
    slot_cleaned: bool = False

    def fresh(self) -> "Customer":
        """An unplayed copy: repairs change the hidden camera (a straightened pin), so it is copied."""
        return Customer(self.truth, self.symptoms, self.opening, replace(self.cam), self.who, self.seed, self.led_said)

    @property
    def cause(self) -> str:
        return self.truth.cause

    def _rng(self, move_id: str, n: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, _crc(move_id), n])

    def respond(self, move_id: str, options: Sequence[Tuple[str, str]], is_action: bool) -> str:
        answer = ANSWERS.get(move_id)
        if answer is None:
            raise UnknownMove(move_id)
        n = self.asks[move_id] = self.asks.get(move_id, 0) + 1
        rng = self._rng(move_id, n)
        offered = [o for o, _ in options]
        reply = answer(self, rng)
        if not is_action and reply != SKIP:
            if _yes(rng, self.who.unsure):
                return SKIP
            if _yes(rng, self.who.wrong):
                others = [o for o in offered if o not in (reply, FIXED)]
                if others:
                    reply = others[int(rng.integers(len(others)))]
        if reply != SKIP and reply not in offered:
            raise ValueError(f"{move_id}: this world answers {reply!r}, which is not offered: {offered}")
        if is_action and reply != SKIP:
            self.done.append(move_id)
        return reply

    def checks_pass(self, move_id: str) -> bool:
        return self.claims.get(move_id, False)

    def claim(self, move_id: str, holds: bool) -> str:
        self.claims[move_id] = holds
        return FIXED

    # -- views of the hidden state --------------------------------------------------------------
    def led_now(self) -> str:
        if self.reset_result in ("pairing_no_ssid", "pairing_wont_connect"):
            return self.cam.pairing_led
        if self.reset_result == "led_no_pairing":
            return "amber_or_red"
        return self.cam.led

    def reset_here_recurred(self) -> bool:
        return "factory_reset" in self.claims and not self.claims["factory_reset"]


# -- one answer function per move -------------------------------------------------------------------
def _led_check(c: Customer, rng) -> str:
    led = c.led_now()
    return MISREAD.get(led, led) if c.who.misreads_led else led


def _swap_adapter(c: Customer, rng) -> str:
    if not c.who.spare_adapter:
        return SKIP
    c.adapter_swapped = True
    if c.cam.swap_fixes and not c.who.spare_weak:
        return c.claim("swap_adapter", True)
    if c.cam.link != "ok" and c.cam.cycle_restores:
        return "came_back_briefly"  # the restart brings it back for a while (Cause 1 confirms)
    return "no_change"


def _spare_rating(c: Customer, rng) -> str:
    # asked to read the label, the customer who ignored it reads it now
    return "under_rated" if c.who.spare_weak else "rated_ok"


def _proper_adapter(c: Customer, rng) -> str:
    c.adapter_swapped = True
    if c.cam.swap_fixes:
        return c.claim("proper_adapter", True)  # Scenario D with a quality 5V/2A adapter
    return "no_change"


def _factory_reset(c: Customer, rng) -> str:
    if c.cam.button == "impossible":
        return "cannot_press"  # Triage 5: "impossible without disassembly"
    if c.cam.switch_broken:
        return "no_response"
    n = c.asks["factory_reset"]
    if not c.who.paperclip and not (n > 1 and c.who.finds_paperclip):
        return SKIP
    if c.who.reluctant_reset and n == 1:
        return SKIP
    outcome = c.cam.reset_outcome
    if outcome == "works":
        return c.claim("factory_reset", c.cam.reset_holds)
    # judgement: one customer in ten cannot tell "no network appears" from "set-up fails"
    if outcome in ("pairing_no_ssid", "pairing_wont_connect") and _yes(rng, 0.10):
        outcome = "pairing_wont_connect" if outcome == "pairing_no_ssid" else "pairing_no_ssid"
    c.reset_result = outcome
    if outcome == "pairing_wont_connect" and c.cam.kind == "registration":
        # Pattern D: set-up "reports device is already configured, even after factory reset"
        return "already_configured_error"
    return outcome


def _band_segregation(c: Customer, rng) -> str:
    if not c.who.router_access:
        return SKIP
    if c.cam.band_fixes:
        return c.claim("band_segregation", c.cam.band_holds)
    if c.cam.kind == "registration":
        return "already_configured_error"  # Pattern D: the registration, not the band, stops the set-up
    return "still_fails"


def _has_card(c: Customer) -> bool:
    return c.cam.storage == "sd_card" or c.who.second_card


def _sd_slot_inspection(c: Customer, rng) -> str:
    cam = c.cam
    if not _has_card(c):
        return SKIP  # no card in the camera to take out
    if cam.inspection_fixes and not c.slot_cleaned:
        c.slot_cleaned = True
        cam.slot_works, cam.own_card_bad = True, False
        return c.claim("sd_slot_inspection", True)
    if cam.pins == "bent" and cam.bent_visible and c.who.torch:
        return "bent_pin"
    if cam.pins == "broken" and cam.bent_visible and c.who.torch:
        return "broken_pin"
    if not cam.slot_works:
        return "no_card_works" if c.who.second_card else "no_other_card"
    if cam.own_card_bad:
        return "other_card_works" if c.who.second_card else "no_other_card"
    # the card is detected: the customer says so, though clips still do not save (no option says
    # "detected, but the problem remains"); the post-fix checks then fail
    return c.claim("sd_slot_inspection", False)


def _motion_sensitivity(c: Customer, rng) -> str:
    if c.cam.sensitivity_fixes:
        return c.claim("motion_sensitivity", True)
    return "still_no_detection"


def _cloud_status(c: Customer, rng) -> str:
    if (c.cam.outage and c.cam.outage_visible) or c.cam.outage_noise:
        return "outage_reported"
    return "no_reports"


def _adapter_temperature(c: Customer, rng) -> str:
    if c.adapter_swapped and c.who.spare_weak and c.cause == "power_supply":
        return "too_hot"  # an under-2A charger overheats under the camera's load as well
    return c.cam.new_adapter_temp if c.adapter_swapped else c.cam.adapter_temp


def _sd_card_test(c: Customer, rng) -> str:
    if not c.who.second_card:
        return SKIP
    return "recognized" if c.cam.slot_works else "not_recognized"


def _app_crash_test(c: Customer, rng) -> str:
    return "freezes" if c.cam.app_freezes != "none" and not c.app_fixed else "opens"


def _local_access_test(c: Customer, rng) -> str:
    if not c.who.rtsp:
        return "not_available"
    return {"cloud": "local_works_app_fails", "dead": "both_fail"}.get(c.cam.link, "both_work")


def _reset_button_check(c: Customer, rng) -> str:
    if c.cam.button == "impossible":
        return "impossible"
    if not c.who.paperclip:
        return SKIP
    return "difficult_but_possible"


def _motion_test(c: Customer, rng) -> str:
    if not c.who.pet:
        return SKIP  # the test needs a pet; no option says "I have no pet"
    return c.cam.motion


def _power_cycle_restores(c: Customer, rng) -> str:
    return "yes_for_a_while" if c.cam.cycle_restores else "no_stays_offline"


def _other_devices_ok(c: Customer, rng) -> str:
    return "yes" if c.cam.others_ok else "no"


def _other_cameras_affected(c: Customer, rng) -> str:
    if not c.who.other_cameras:
        return "only_camera"
    return "several_affected" if c.cam.all_cameras_hit else "only_this_one"


def _motor_sound(c: Customer, rng) -> str:
    return {"silent": "silent", "jams": "tries_but_jams"}.get(c.cam.motor, SKIP)  # "moves": not their problem


def _app_crash_scope(c: Customer, rng) -> str:
    return {"settings": "only_settings", "all": "all_screens"}.get(c.cam.app_freezes, SKIP)


def _reset_recurs(c: Customer, rng) -> str:
    if c.reset_here_recurred():
        return "recurred"
    if "factory_reset" in c.done:
        return "did_not_help"
    return {
        "proper_recurred": "recurred",
        "proper_no_help": "did_not_help",
        "vague": "did_not_help",  # they believe a 5-second press was a factory reset
    }.get(c.who.prior_reset, "never_reset")


def _camera_age(c: Customer, rng) -> str:
    days = c.cam.age_days
    return "under_a_month" if days < 30 else "one_to_twelve_months" if days < 366 else "over_a_year"


def _clips_storage(c: Customer, rng) -> str:
    return c.cam.storage


def _check_subscription(c: Customer, rng) -> str:
    if c.cam.storage != "cloud":
        return SKIP  # no plan to look at
    if c.cause == "cloud_subscription":
        return c.claim("check_subscription", True) if c.who.renews_plan else SKIP
    return "plan_fine_no_clips"


def _use_working_card(c: Customer, rng) -> str:
    if not c.who.second_card:
        return SKIP
    if c.cam.slot_works and c.cam.own_card_bad:
        c.cam.own_card_bad = False
        return c.claim("use_working_card", True)
    return "still_no_recording"


def _clear_obstruction(c: Customer, rng) -> str:
    return c.claim("clear_obstruction", True) if c.cam.obstruction else "still_jams"


def _clean_lens(c: Customer, rng) -> str:
    if c.cam.lens == "dirty_or_blocked" and c.cam.lens_matters:
        return c.claim("clean_lens", True)
    return "no_better"


def _warranty_status(c: Customer, rng) -> str:
    if not c.who.knows_warranty:
        return "not_sure"
    days = c.cam.age_days
    return "in_return_period" if days < 30 else "in_warranty" if days <= c.who.warranty_days else "out_of_warranty"


def _reset_button_click(c: Customer, rng) -> str:
    if c.cam.button == "impossible" or c.cam.switch_broken:
        return "no_click"
    return "click" if c.who.paperclip else SKIP


def _sd_slot_pins(c: Customer, rng) -> str:
    if not c.who.torch:
        return SKIP
    if c.cam.pins != "even" and c.cam.bent_visible:
        return c.cam.pins
    return "even"


def _adapter_condition(c: Customer, rng) -> str:
    return "damaged" if c.cam.adapter_damaged and not c.adapter_swapped else "fine"


def _housing_cracks(c: Customer, rng) -> str:
    return "cracked" if c.cam.cracked else "intact"


def _lens_clear(c: Customer, rng) -> str:
    return c.cam.lens


def _cable_condition(c: Customer, rng) -> str:
    return "damaged" if c.cam.cable_damaged else "fine"


def _adapter_voltage(c: Customer, rng) -> str:
    if not c.who.usb_meter:
        return SKIP
    return "low" if c.cam.voltage_low and not c.adapter_swapped else "ok"


def _current_draw(c: Customer, rng) -> str:
    if not c.who.usb_meter:
        return SKIP
    return "high" if c.cam.current_high else "normal"


def _wifi_rssi(c: Customer, rng) -> str:
    if not c.who.analyser:
        return SKIP
    return "strong" if c.cam.rssi_strong else "weak"


def _sd_vcc(c: Customer, rng) -> str:
    if not c.who.probe_skill:
        return SKIP
    return "low" if c.cam.sd_vcc_low else "ok"


def _straighten_sd_pin(c: Customer, rng) -> str:
    if not c.who.needle:
        return SKIP
    if c.cam.pins == "bent" and c.cam.straighten_fixes:
        c.cam.pins, c.cam.slot_works = "even", True
        return c.claim("straighten_sd_pin", True)
    if c.cam.pins == "bent":
        c.cam.pins = "broken"  # Scenario C: "If pins broken, replace camera"; a careless push breaks it
    return "still_not_detected"


def _update_app(c: Customer, rng) -> str:
    if c.cam.app_freezes == "none":
        return SKIP  # the settings never froze for them
    if c.cause == "app_bug" and c.cam.update_fixes:
        c.app_fixed = True
        return c.claim("update_app", True)
    return "still_freezes"


def _dns_change(c: Customer, rng) -> str:
    if not c.who.router_access:
        return SKIP
    if c.cam.dns_fixes:
        return c.claim("dns_change", True)
    return "still_unreachable"


ANSWERS: Dict[str, Answer] = {
    "led_check": _led_check,
    "swap_adapter": _swap_adapter,
    "spare_rating": _spare_rating,
    "proper_adapter": _proper_adapter,
    "factory_reset": _factory_reset,
    "band_segregation": _band_segregation,
    "sd_slot_inspection": _sd_slot_inspection,
    "motion_sensitivity": _motion_sensitivity,
    "cloud_status": _cloud_status,
    "adapter_temperature": _adapter_temperature,
    "sd_card_test": _sd_card_test,
    "app_crash_test": _app_crash_test,
    "local_access_test": _local_access_test,
    "reset_button_check": _reset_button_check,
    "motion_test": _motion_test,
    "power_cycle_restores": _power_cycle_restores,
    "other_devices_ok": _other_devices_ok,
    "other_cameras_affected": _other_cameras_affected,
    "motor_sound": _motor_sound,
    "app_crash_scope": _app_crash_scope,
    "reset_recurs": _reset_recurs,
    "camera_age": _camera_age,
    "clips_storage": _clips_storage,
    "check_subscription": _check_subscription,
    "use_working_card": _use_working_card,
    "clear_obstruction": _clear_obstruction,
    "clean_lens": _clean_lens,
    "warranty_status": _warranty_status,
    "reset_button_click": _reset_button_click,
    "sd_slot_pins": _sd_slot_pins,
    "adapter_condition": _adapter_condition,
    "housing_cracks": _housing_cracks,
    "lens_clear": _lens_clear,
    "cable_condition": _cable_condition,
    "adapter_voltage": _adapter_voltage,
    "current_draw": _current_draw,
    "wifi_rssi": _wifi_rssi,
    "sd_vcc": _sd_vcc,
    "straighten_sd_pin": _straighten_sd_pin,
    "update_app": _update_app,
    "dns_change": _dns_change,
}


# -- drawing a case -----------------------------------------------------------------------------------
def _kind(b: Book, rng, cause: str) -> str:
    kinds = {
        # Scenario B: "Cloud-side registration stuck" vs Pattern C/A flash corruption
        "config_corruption": {"flash": 0.70, "registration": 0.30},
        # Step 4 "debris", Scenario C "pin bent", "If pins broken", or the controller (pins look fine)
        "sd_slot_failure": {"controller": 0.52, "bent": 0.25, "debris": 0.15, "broken": 0.08},
        # Pattern I: an adapter hot to the touch, or one whose output sags without heating
        "power_supply": {"hot": 0.60, "low_voltage": 0.40},
        # Cause 7: "Kasa cloud servers down, or camera cannot resolve DNS"; Pattern J "firmware unable to reach"
        "cloud_dns": {"outage": 0.45, "dns": 0.45, "relay": 0.10},
        # the damage a customer meets: the pan/tilt joint, a drop that took it offline, a broken lens
        "physical_damage": {"pan_tilt": 0.45, "offline": 0.40, "lens": 0.15},
        # judgement: the internet is down behind a working router, or the router itself drops devices
        "home_network": {"isp_down": 0.60, "router_flaky": 0.40},
        # triage 5 "impossible without disassembly" or the physical check "No click = switch broken"
        "reset_switch_broken": {"impossible": 0.50, "no_click": 0.50},
    }.get(cause)
    return _pick(rng, b.dist(f"kind.{cause}", kinds)) if kinds else cause


def _symptoms(b: Book, rng, cause: str, kind: str) -> Tuple[str, ...]:
    name = f"{cause}.{kind}"
    if cause == "physical_damage":
        table = {
            "pan_tilt": {"pan_tilt_stopped": 0.85, "reset_button_hard": 0.15},  # judgement
            "offline": {"offline_after_months": 0.55, "degrades_over_time": 0.25, "reset_button_hard": 0.20},
            "lens": {"night_vision_slow": 0.70, "pet_not_detected": 0.30},  # judgement: blurred or dark image
        }[kind]
        first = _pick(rng, b.dist(f"opening.{name}", table))
    elif cause == "power_supply" and kind == "hot":
        first = _pick(rng, b.dist(f"opening.{name}", {"adapter_overheating": 0.85, "degrades_over_time": 0.15}))
    elif cause == "power_supply":
        table = {s: w for s, w in OPENING["power_supply"].items() if s != "adapter_overheating"}
        first = _pick(rng, b.dist(f"opening.{name}", table))
    else:
        first = _pick(rng, b.dist(f"opening.{name}", OPENING.get(name) or OPENING[cause]))
    found = [first]
    # Scenario D: "Power adapter extremely hot, camera intermittent"
    if first == "adapter_overheating" and _yes(rng, b.p("opening.second.intermittent", 0.20)):
        found.append("degrades_over_time")
    # judgement: most who fight the reset button say why: the camera is offline or will not reconnect
    if first == "reset_button_hard" and cause in ("wifi_radio_crash", "config_corruption", "physical_damage"):
        if _yes(rng, b.p("opening.second.reset_why", 0.70)):
            found.insert(0, "offline_after_months" if cause != "config_corruption" else "wont_connect_after_reset")
    return tuple(found)


def _age(b: Book, rng, name: str, cause: str) -> int:
    weights = AGE.get(name) or AGE.get(cause) or AGE["default"]
    key = name if name in AGE else cause if cause in AGE else "default"
    bucket = _pick(rng, b.dist(f"age.{key}", {str(i): w for i, w in enumerate(weights)}))
    low, high = AGE_BUCKETS[int(bucket)]
    return int(rng.integers(low, high + 1))


def _camera(b: Book, rng, cause: str, kind: str, symptoms: Tuple[str, ...]) -> Camera:
    name = f"{cause}.{kind}"
    p = b.p
    age = _age(b, rng, name, cause)
    led_key = name if name in LED else cause
    led = _pick(rng, b.table("led", LED, led_key))
    cycle_key = name if name in CYCLE_RESTORES else cause if cause in CYCLE_RESTORES else "default"
    cycle = _yes(rng, p(f"cycle.{cycle_key}", CYCLE_RESTORES[cycle_key]))
    reset = _pick(rng, b.table("reset", RESET, name, cause))

    cloud = cause == "cloud_dns"
    offline_causes = ("wifi_radio_crash", "config_corruption", "setup_5ghz", "home_network")
    if cloud or (cause == "home_network" and kind == "isp_down"):
        link = "cloud"
    elif cause in offline_causes or (cause == "physical_damage" and kind == "offline"):
        link = "dead"
    elif cause in ("power_supply", "camera_overcurrent"):
        # judgement: a sagging supply drops the camera off the network about half the time
        link = "dead" if _yes(rng, p(f"link.{cause}", 0.5)) else "ok"
    else:
        link = "ok"

    hot = cause == "power_supply" and kind == "hot" or cause == "camera_overcurrent"
    if hot:
        adapter_temp = "too_hot"  # Pattern I: "extremely hot to touch"
    elif cause == "power_supply":
        adapter_temp = _pick(rng, b.dist("adapter_temp.power_low", {"warm": 0.60, "cool": 0.40}))  # judgement
    else:
        # judgement: now and then an adapter runs hot beside another fault
        adapter_temp = _pick(rng, b.dist("adapter_temp.normal", {"warm": 0.55, "cool": 0.44, "too_hot": 0.01}))
    slot_kinds = ("controller", "bent", "broken", "debris")
    pins = {"bent": "bent", "broken": "broken"}.get(kind, "even") if cause == "sd_slot_failure" else "even"
    storage_cloud = {
        "cloud_subscription": 1.0,
        "cloud_dns": 1.0,  # Pattern F "cloud storage issue": their clips go to the cloud
        "sd_slot_failure": 0.0,
        "sd_card_incompatible": 0.0,
        "app_bug": 0.5,  # judgement
    }.get(cause, 0.35)  # judgement: about a third of customers store clips in Kasa Care
    motor = {
        "motor_driver": _pick(rng, b.dist("motor.motor_driver", {"silent": 0.97, "jams": 0.03})),  # Cause 6 confirms
        "gear_jam": _pick(rng, b.dist("motor.gear_jam", {"jams": 0.92, "silent": 0.08})),  # Cause 6 disproves
        "power_supply": _pick(rng, b.dist("motor.power", {"silent": 0.5, "jams": 0.5})),  # judgement: stalls
        "camera_overcurrent": _pick(rng, b.dist("motor.overcurrent", {"jams": 0.6, "silent": 0.4})),  # stall
        "physical_damage": "jams" if kind == "pan_tilt" else "moves",  # a cracked joint binds
    }.get(cause, "moves")
    if "pan_tilt_stopped" not in symptoms and motor != "moves" and cause != "motor_driver" and cause != "gear_jam":
        motor = "moves"
    if cause == "app_bug":
        if "app_freezes_settings" in symptoms:
            freezes = _pick(rng, b.dist("app.h", {"settings": 0.98, "all": 0.02}))  # Cause 5 disproves "all screens"
        else:
            freezes = _pick(rng, b.dist("app.other", {"none": 0.60, "settings": 0.40}))  # judgement
    else:
        freezes = _pick(rng, b.dist("app.not_bug", {"none": 0.97, "settings": 0.02, "all": 0.01}))  # judgement
    motion = {
        "motion_sensitivity": _pick(
            rng,
            # triage 6: "If detects you but not pet: Sensitivity calibration needed"
            b.dist("motion.sensitivity", {"detects_you_not_pet": 0.93, "detects_both": 0.05, "detects_nothing": 0.02}),
        ),
        # triage 6: "If detects nothing: Sensor failure"
        "motion_sensor_failure": _pick(
            rng, b.dist("motion.sensor", {"detects_nothing": 0.90, "detects_you_not_pet": 0.10})
        ),
        "physical_damage": "detects_you_not_pet" if kind == "lens" else "detects_both",
    }.get(cause, "detects_both")
    lens = "clear"
    if cause == "physical_damage" and kind == "lens":
        lens = "broken"
    elif cause in ("motion_sensitivity", "motion_sensor_failure"):
        lens = _pick(rng, b.dist(f"lens.{cause}", {"clear": 0.85, "dirty_or_blocked": 0.15}))  # Step 5 "not obstructed"
    elif _yes(rng, p("lens.dirty", 0.04)):
        lens = "dirty_or_blocked"
    return Camera(
        cause=cause,
        kind=kind,
        age_days=age,
        led=led,
        cycle_restores=cycle,
        # Cause 1 confirms "Other devices on same network stable"; a home network fault takes them down
        others_ok=not _yes(rng, p("others.home", 0.95)) if cause == "home_network" else _yes(rng, p("others.ok", 0.96)),
        # Cause 7 "Multiple users report same issue"; DNS and a home network hit every camera; judgement:
        # two units failing alike (return recommended) is rare
        all_cameras_hit=cloud or cause == "home_network" or _yes(rng, p("cameras.multiple_units", 0.02)),
        link=link,
        outage=cloud and kind == "outage",
        outage_visible=_yes(rng, p("outage.visible", 0.85)),  # judgement: downdetector usually shows it
        reset_outcome=reset,
        # Cause 2 "failure recurs": judgement, about half fail again at the post-fix power-cycle check
        reset_holds=_yes(rng, p(f"reset_holds.{name}", 0.55 if kind == "flash" else 0.95)),
        pairing_led=_pick(rng, b.dist("led.pairing", {"blinking_green": 0.5, "amber_or_red": 0.5})),  # amber/green
        button="impossible" if cause == "reset_switch_broken" and kind == "impossible" else "ok",
        switch_broken=cause == "reset_switch_broken" and kind == "no_click",
        band_fixes=(cause == "setup_5ghz" and _yes(rng, p("band.setup_5ghz", 0.92)))  # Step 3 "Setup completes"
        or (kind == "flash" and _yes(rng, p("band.flash", 0.10))),  # judgement: a clean re-set-up sometimes sticks
        band_holds=_yes(rng, p(f"band.holds.{cause}", 0.95 if cause == "setup_5ghz" else 0.5)),
        adapter_temp=adapter_temp,
        # Escalation: "Power adapter overheating and camera still unstable with replacement"
        new_adapter_temp="too_hot" if cause == "camera_overcurrent" else "warm",
        adapter_damaged=hot and _yes(rng, p("adapter.damaged", 0.25)),  # Physical layer: bulging, discoloured
        voltage_low=cause == "power_supply" and _yes(rng, p("voltage.low", 0.90)),  # Cause 4: "voltage <5V"
        # Electrical check: "Higher indicates motor stall or short"
        current_high=_yes(
            rng,
            p(f"current.{cause}", {"camera_overcurrent": 0.9, "motor_driver": 0.45, "gear_jam": 0.5}.get(cause, 0.03)),
        ),
        # Scenario D: "Replace with quality 5V/2A adapter"
        swap_fixes=cause == "power_supply",
        # Pattern A: "Usually does NOT indicate: Wi-Fi signal strength"
        rssi_strong=_yes(rng, p(f"rssi.{cause}", {"home_network": 0.5}.get(cause, 0.88))),
        cable_damaged=_yes(rng, p(f"cable.{cause}", 0.10 if cause == "power_supply" else 0.02)),  # judgement
        cracked=(cause == "physical_damage" and kind != "lens")
        or _yes(rng, p(f"cracked.{cause}", {"gear_jam": 0.15, "motor_driver": 0.03}.get(cause, 0.01))),
        lens=lens,
        lens_matters=cause in ("motion_sensitivity", "motion_sensor_failure")
        and _yes(rng, p("lens.matters", 0.30)),  # judgement
        pins=pins,
        bent_visible=_yes(rng, p("pins.visible", 0.85)),  # judgement: a torch shows most bent pins
        slot_works=not (cause == "sd_slot_failure" and kind in slot_kinds),
        own_card_bad=cause == "sd_card_incompatible",
        # Step 4 "Clean with compressed air. Reinsert card until click."
        inspection_fixes=(kind == "debris" and _yes(rng, p("inspection.debris", 0.90)))
        or (cause == "sd_card_incompatible" and _yes(rng, p("inspection.reseat", 0.08))),
        straighten_fixes=_yes(rng, p("straighten", 0.70)),  # Scenario C: "Carefully straighten pin with needle"
        motor=motor,
        obstruction=cause == "gear_jam" and _yes(rng, p("gear.obstruction", 0.45)),  # Cause 6 triggers "Obstruction"
        app_freezes=freezes,
        update_fixes=_yes(rng, p("app.update_fixes", 0.72)),  # Scenario E: "Update app. If persists, clear cache"
        storage="cloud" if _yes(rng, p(f"storage.{cause}", storage_cloud)) else "sd_card",
        motion=motion,
        # Scenario G: "Increase sensitivity to 100%, position camera lower"
        sensitivity_fixes=cause == "motion_sensitivity" and _yes(rng, p("sensitivity.fixes", 0.82)),
        # Scenario H: "Set camera to use Google DNS"
        dns_fixes=cloud and kind == "dns" and _yes(rng, p("dns.fixes", 0.85)),
        sd_vcc_low=_yes(rng, p(f"sd_vcc.{cause}", {"power_supply": 0.5, "sd_slot_failure": 0.2}.get(cause, 0.03))),
        outage_noise=not cloud and _yes(rng, p("outage.noise", 0.02)),  # judgement: an unrelated blip on downdetector
    )


def _person(b: Book, rng, cause: str, kind: str, symptoms: Tuple[str, ...], cam: Camera) -> Person:
    p = b.p
    sd_case = bool({"sd_card_not_recognized", "clips_not_saving"} & set(symptoms))
    if "already_configured" in symptoms:
        group, prior = (
            "d",
            {"proper_no_help": 0.60, "vague": 0.25, "none": 0.15},
        )  # Pattern D: "even after factory reset"
    elif "wont_connect_after_reset" in symptoms:
        group, prior = "c", {"proper_no_help": 0.55, "vague": 0.30, "none": 0.15}  # the symptom says they reset it
    elif set(symptoms) & set(SYMPTOMS_A) or "reset_button_hard" in symptoms:
        group, prior = "a", {"proper_no_help": 0.28, "vague": 0.15, "none": 0.57}  # Pattern A: "Resets ... do not"
    else:
        group, prior = "other", {"proper_no_help": 0.04, "vague": 0.04, "none": 0.92}  # judgement
    prior_reset = _pick(rng, b.dist(f"prior_reset.{group}", prior))
    if prior_reset == "proper_no_help" and (cam.reset_outcome == "works" or cause == "wifi_radio_crash"):
        # Cause 2 "may temporarily fix, but failure recurs"; a radio crash also comes back after a reboot
        if cam.reset_outcome == "works" or _yes(rng, p("prior_reset.radio_recurred", 0.40)):
            prior_reset = "proper_recurred"
    if prior_reset != "none" and (cam.button == "impossible" or cam.switch_broken):
        prior_reset = "vague"  # they tried and nothing happened
    # judgement: a power customer who "tried another charger" used a weak one (else they would not write)
    prior_swap = _yes(rng, p("prior_swap.power", 0.04)) if cause == "power_supply" else _yes(rng, p("prior_swap", 0.06))
    if cause == "camera_overcurrent":
        prior_swap = _yes(rng, p("prior_swap.overcurrent", 0.25))
    unsure = float(_pick(rng, b.dist("unsure", {"0.0": 0.50, "0.04": 0.35, "0.12": 0.15})))  # judgement
    return Person(
        spare_adapter=prior_swap or _yes(rng, p("has.spare_adapter", 0.75)),  # Step 1: "(phone charger)"
        # judgement: a few use a 1 A charger whatever the step says; the one they "already tried" was one
        spare_weak=prior_swap or _yes(rng, p("has.spare_weak", 0.05)),
        second_card=_yes(
            rng, p(f"has.second_card.{sd_case}", 0.55 if sd_case else 0.40)
        ),  # Pattern E: "Card works elsewhere"
        usb_meter=_yes(rng, p("has.usb_meter", 0.06)),  # judgement: few customers own one
        probe_skill=_yes(rng, p("has.probe_skill", 0.03)),
        paperclip=_yes(rng, p("has.paperclip", 0.95)),
        finds_paperclip=_yes(rng, p("has.finds_paperclip", 0.50)),
        needle=_yes(rng, p("has.needle", 0.85)),
        torch=_yes(rng, p("has.torch", 0.95)),  # a phone torch
        router_access=_yes(rng, p("has.router_access", 0.70)),  # judgement: many rent a locked ISP router
        analyser=_yes(rng, p("has.analyser", 0.35)),
        rtsp=_yes(rng, p("has.rtsp", 0.07)),  # triage 4 "if RTSP enabled": few ever set it up
        pet=True if "pet_not_detected" in symptoms else _yes(rng, p("has.pet", 0.40)),
        other_cameras=_yes(rng, p("has.other_cameras", 0.40)),
        misreads_led=_yes(rng, p("misreads_led", 0.08)),  # judgement: amber/green alternation, slow blinks
        reluctant_reset=_yes(rng, p("reluctant_reset", 0.04)),  # a factory reset erases settings
        renews_plan=_yes(rng, p("renews_plan", 0.85)),
        knows_warranty=_yes(rng, p("knows_warranty", 0.88)),
        warranty_days=365 if _yes(rng, p("warranty.one_year", 0.6)) else 730,  # judgement: 1 or 2 years by country
        unsure=unsure,
        wrong=0.02,  # judgement: a plainly wrong answer now and then
        prior_reset=prior_reset,
        prior_swap=prior_swap,
        prior_update=_yes(rng, p("prior_update.app_bug", 0.35))
        if cause == "app_bug"
        else _yes(rng, p("prior_update", 0.05)),
    )


# -- the opening message ----------------------------------------------------------------------------
def _fact(move: str, option: Optional[str], text: str) -> Dict[str, Any]:
    return {"entity": "fact", "value": {"move": move, "option": option}, "text": text}


def _duration(days: float, role: Optional[str], text: str) -> Dict[str, Any]:
    return {"entity": "duration", "value": float(days), "role": role, "text": text}


LED_WORDS = {
    "no_led": ({"colour": "none", "mode": None}, "there's no light on it at all"),
    "solid_green": ({"colour": "green", "mode": "solid"}, "the light is solid green"),
    "blinking_green": ({"colour": "green", "mode": "blinking"}, "the light keeps blinking green"),
    "amber_or_red": ({"colour": "amber", "mode": "blinking"}, "the light is flashing orange"),
}


def _months(days: int) -> str:
    if days < 14:
        return f"{days} days"
    if days < 60:
        return f"{days // 7} weeks"
    return f"{round(days / 30)} months"


def _opening(b: Book, rng, c: Customer) -> Tuple[Dict[str, Any], ...]:
    cam, who, found = c.cam, c.who, []
    p = b.p
    mention = p("say.tried", 0.65)  # judgement: most say what they already tried
    if who.prior_reset != "none" and _yes(rng, mention):
        if "already_configured" in c.symptoms:
            found.append(_fact("factory_reset", None, "it still says already configured even after a factory reset"))
        elif who.prior_reset == "proper_recurred":
            found.append(
                _fact(
                    "reset_recurs",
                    "recurred",
                    "I did a factory reset (held the button 15 seconds), it worked "
                    "for a couple of weeks and now it's back",
                )
            )
        elif who.prior_reset == "proper_no_help":
            found.append(
                _fact("reset_recurs", "did_not_help", "factory reset it twice, held it till it said reset, no luck")
            )
        else:
            found.append(_fact("reset_recurs", "did_not_help", "I reset it, no luck"))
    if who.prior_swap and _yes(rng, mention):
        found.append(_fact("swap_adapter", None, "already tried another charger"))
    if who.prior_update and _yes(rng, mention):
        found.append(_fact("update_app", None, "I updated the app, still the same"))
    connectivity = bool(set(c.symptoms) & {"offline_after_months", "degrades_over_time", "live_view_timeout"})
    if connectivity and _yes(rng, p("say.others_ok", 0.25)):  # Pattern A: "(other devices work fine)"
        if cam.others_ok:
            found.append(_fact("other_devices_ok", "yes", "everything else on my wifi works fine"))
        else:
            found.append(_fact("other_devices_ok", "no", "my laptop keeps dropping the wifi too"))
    if connectivity and _yes(rng, p("say.cycle", 0.20)):  # Cause 1: "Power cycle temporarily restores function"
        if cam.cycle_restores:
            found.append(_fact("power_cycle_restores", "yes_for_a_while", "unplugging it brings it back for a day"))
        else:
            found.append(_fact("power_cycle_restores", "no_stays_offline", "unplugging it does nothing"))
    if cam.motor == "jams" and "pan_tilt_stopped" in c.symptoms and _yes(rng, p("say.motor", 0.30)):
        found.append(_fact("motor_sound", "tries_but_jams", "it makes a grinding noise but doesn't turn"))
    if "pet_not_detected" in c.symptoms and cam.motion == "detects_you_not_pet" and _yes(rng, p("say.motion", 0.40)):
        found.append(_fact("motion_test", "detects_you_not_pet", "it catches me walking by but never the cat"))
    if "clips_not_saving" in c.symptoms and _yes(rng, p("say.storage", 0.40)):
        text = "I pay for Kasa Care" if cam.storage == "cloud" else "there's a 64GB card in it"
        found.append(_fact("clips_storage", cam.storage, text))
    if who.other_cameras and _yes(rng, p("say.cameras", 0.15)):
        if cam.all_cameras_hit:
            found.append(_fact("other_cameras_affected", "several_affected", "all my cameras are doing it"))
        else:
            found.append(_fact("other_cameras_affected", "only_this_one", "my other cameras are fine"))
    # the LED: part of Pattern J's complaint; otherwise mentioned now and then (possibly misread)
    if c.led_said is not None:
        value, words = LED_WORDS[c.led_said]
        found.append({"entity": "led_state", "value": dict(value), "text": words})
    elif _yes(rng, p("say.led", 0.20)):
        seen = MISREAD.get(cam.led, cam.led) if who.misreads_led else cam.led
        value, words = LED_WORDS[seen]
        found.append({"entity": "led_state", "value": dict(value), "text": words})
    # durations: the camera's age, how long the fault has lasted, or a time that says neither
    roll = rng.random()
    if roll < p("say.age", 0.30):
        found.append(_duration(cam.age_days, "age", f"bought it {_months(cam.age_days)} ago"))
    elif roll < p("say.age", 0.30) + p("say.problem", 0.25):
        days = int(rng.integers(1, 21))
        found.append(_duration(days, "problem", f"it started {_months(days)} ago"))
    elif roll < p("say.age", 0.30) + p("say.problem", 0.25) + p("say.vague_time", 0.05):
        found.append(_duration(cam.age_days, None, f"{_months(cam.age_days)}"))
    if cam.kind == "flash" and _yes(rng, p("say.power_cut", 0.15)):  # Cause 2: "power interruption"
        found.append(_duration(7, "since_event", "since the power cut last week"))
    return tuple(found)


# -- the truth a careful agent would accept ---------------------------------------------------------
def _truth(c: Customer) -> Truth:
    cam, who, symptoms = c.cam, c.who, set(c.symptoms)
    cause, kind = cam.cause, cam.kind
    can_reset = cam.button == "ok" and not cam.switch_broken and (who.paperclip or who.finds_paperclip)
    prior_proper = who.prior_reset in ("proper_recurred", "proper_no_help")
    routes: set = set()
    fixes: set = set()
    named: FrozenSet[str] = frozenset({cause}) if cause in ENGINE_CAUSES else frozenset({"other"})
    reachable = True
    if cause in ("wifi_radio_crash", "config_corruption") and kind != "registration":
        # Scenario A "Replace camera"; Escalation: "Wi-Fi radio dead", "degradation recurs after multiple
        # resets"; Step 2 "hardware dead"
        routes.add("replace_camera")
        outcome = cam.reset_outcome
        degradation = bool(symptoms & set(SYMPTOMS_DEGRADATION))
        if outcome == "works" and can_reset and not prior_proper:
            fixes.add("factory_reset")  # Cause 2: "Factory reset may temporarily fix"
        by_reset = can_reset and (
            outcome in ("pairing_no_ssid", "led_no_pairing")
            or (outcome == "pairing_wont_connect" and who.router_access)
            or (outcome in ("same_problem", "works") and degradation)
        )
        reachable = by_reset or (prior_proper and degradation)
        if outcome == "works" and cam.reset_holds and can_reset:
            reachable = True  # it ends in a fix
        if outcome == "pairing_wont_connect" and cam.band_fixes and cam.band_holds and who.router_access:
            reachable = True
    elif cause == "config_corruption" and kind == "registration":
        routes.add("clear_cloud_registration")  # Scenario B
        # the "already configured" error shows the registration: in the complaint, or when set-up is
        # tried again after a factory reset or on a 2.4 GHz network
        reachable = can_reset or who.router_access or (prior_proper and "already_configured" in symptoms)
        if cam.reset_outcome == "led_no_pairing":
            routes.add("replace_camera")  # Step 2: the flash does not clear: "hardware dead"
    elif cause == "sd_slot_failure":
        routes.add("replace_camera")  # Escalation: "SD card slot hardware failure"
        if kind == "debris" and cam.inspection_fixes:
            fixes.add("sd_slot_inspection")  # Step 4: "Clean with compressed air. Reinsert card"
        seen = cam.bent_visible and who.torch and kind in ("bent", "broken")
        if kind == "bent" and cam.straighten_fixes and who.needle and seen:
            # Scenario C; a pin nobody can see bent is no fix anyone could have offered
            fixes.add("straighten_sd_pin")
        reachable = who.second_card or seen or bool(fixes)
    elif cause == "power_supply":
        if who.spare_adapter and not who.spare_weak:
            fixes.add("swap_adapter")  # Scenario D
        if who.spare_weak and cam.swap_fixes:
            fixes.add("proper_adapter")  # Scenario D, with the quality adapter the weak spare was not
        if cam.adapter_temp == "too_hot" or cam.adapter_damaged:
            routes.add("safety_stop")  # Triage 1: "Replace adapter"; "Ignore overheating adapter: fire risk"
        reachable = bool(fixes)
    elif cause == "app_bug":
        routes.add("report_app_bug")  # No repair possible: "App bugs persist across versions"
        reach_update = "app_freezes_settings" in symptoms or cam.app_freezes != "none"
        if reach_update and cam.update_fixes and not who.prior_update:
            fixes.add("update_app")  # Scenario E
        reachable = reach_update
    elif cause in ("motor_driver", "gear_jam"):
        routes.add("replace_camera")  # Scenario F; Escalation: "Pan/tilt motor failed"
        if cause == "gear_jam" and cam.obstruction:
            fixes.add("clear_obstruction")  # Cause 6 triggers: "Obstruction"
    elif cause == "cloud_dns":
        if kind == "outage":
            routes.add("wait_for_outage")  # Step 6: "Wait for resolution"
            reachable = cam.outage_visible
        else:
            if cam.dns_fixes and who.router_access:
                fixes.add("dns_change")  # Scenario H
            reachable = bool(fixes)
    elif cause in ("motion_sensitivity", "motion_sensor_failure"):
        routes.add("sensor_faulty")  # Step 5: "Sensor may be faulty. Replace if critical."
        if cam.sensitivity_fixes:
            fixes.add("motion_sensitivity")  # Scenario G
        if cam.lens_matters and cam.lens == "dirty_or_blocked":
            fixes.add("clean_lens")  # Physical layer: "Lens: Ensure no debris blocking view"
        reachable = who.pet or bool(fixes)
    elif cause == "sd_card_incompatible":
        if who.second_card:
            fixes.add("use_working_card")  # Cause 3 disproves: "If some cards work (points to compatibility)"
        reachable = False  # the guide has no route for it: a fix, or a person
    elif cause == "cloud_subscription":
        if who.renews_plan:
            fixes.add("check_subscription")  # Pattern F: "cloud subscription expired/misconfigured"
        reachable = False
    elif cause in ("physical_damage", "reset_switch_broken"):
        routes.add("replace_camera")  # Escalation: "Physical damage (cracked housing, broken lens)"
        if cause == "physical_damage" and kind == "pan_tilt":
            named = frozenset({"other", "gear_jam"})  # the head binds on the cracked joint: "motor tries but jams"
        reachable = cause == "physical_damage" or who.paperclip
    elif cause == "camera_overcurrent":
        routes.add("replace_camera")  # "Power adapter overheating and camera still unstable with replacement"
        routes.add("safety_stop")  # the adapter is too hot to keep using
        named = frozenset({"other", "power_supply"})  # the guide lists it under Pattern I
        reachable = who.spare_adapter
    elif cause == "setup_5ghz":
        if cam.band_fixes and who.router_access:
            fixes.add("band_segregation")  # Step 3: "Ensure phone is on 2.4GHz network"
        reachable = False
    else:  # home_network, night_vision_ir: nothing in the guide ends them; a person does
        reachable = False
    if kind == "flash" and "already_configured" in symptoms:
        routes.add("clear_cloud_registration")  # Pattern D's route (Scenario B) names the right cause
    if cam.adapter_temp == "too_hot":
        routes.add("safety_stop")  # "Ignore overheating adapter: Fire risk; replace immediately"
    if not reachable or named == frozenset({"other"}):
        routes.add("human_support")  # the guide's route cannot be reached here: a person takes over
    return Truth(cause, named, frozenset(routes), frozenset(fixes))


# -- the world ---------------------------------------------------------------------------------------
def situations(n: int, seed: int, perturb: float = 0.0) -> List[Customer]:
    """`n` customers drawn with `seed`; `perturb` (0-1) scales every probability by exp(N(0, perturb))."""
    b = Book(seed, perturb)
    return [draw(b, np.random.default_rng([seed, i]), seed * 1_000_003 + i) for i in range(n)]


def draw(b: Book, rng: np.random.Generator, case_seed: int, cause: Optional[str] = None) -> Customer:
    """One customer; `cause` forces the true cause (tests and hand-built cases)."""
    mix = b.causes()
    cause = cause or _pick(rng, mix)
    kind = _kind(b, rng, cause)
    symptoms = _symptoms(b, rng, cause, kind)
    cam = _camera(b, rng, cause, kind, symptoms)
    who = _person(b, rng, cause, kind, symptoms, cam)
    led_said = None
    if "green_blinking_no_cloud" in symptoms:
        led_said = "blinking_green"  # what they say, whatever the LED really does
        if cam.led != "blinking_green":
            who.misreads_led = True
    c = Customer(Truth(cause, frozenset(), frozenset()), symptoms, (), cam, who, case_seed, led_said)
    c.opening = _opening(b, rng, c)
    c.truth = _truth(c)
    return c


def book(seed: int, perturb: float = 0.0, n: int = 200) -> Book:
    """The probabilities a world uses (drawing `n` cases fills every table that is reached)."""
    b = Book(seed, perturb)
    for i in range(n):
        draw(b, np.random.default_rng([seed, i]), i)
    return b


__all__ = ["ANSWERS", "Book", "Camera", "Customer", "Person", "UnknownMove", "book", "draw", "situations"]

"""The guide's procedure routed per symptom, as a careful human support agent follows it.

Modelling note (for the benchmark's README)
-------------------------------------------
* One script per opening symptom (the most urgent one when the customer names several), written
  from the guide's patterns, steps 0-6, triage tests, scenarios and escalation thresholds, asking
  the situation the same move ids as the engine does, costed and judged by the same functions
  (`count_move`, `record_fix`, `record_escalation`), so the figures compare like with like.
* Careful: each step's `requires` is honoured; what the customer already said is not asked again
  (a reset they describe as a proper 10-15 s factory reset is not repeated, a vague "I reset it" is);
  a skipped step is asked once more, then the script moves on; after a claimed fix the guide's
  post-fix checks decide, and a fix that does not hold counts as a failed step.
* The guide's fixes are all there: adapter swap (Step 1, Scenario D), factory reset (Step 2),
  2.4 GHz set-up (Step 3), slot inspection and pin straightening (Step 4, Scenario C), a working card,
  sensitivity (Step 5, Scenario G), app update (Scenario E), DNS change (Scenario H), the Kasa Care plan,
  clearing an obstruction, cleaning the lens.
* It escalates only when a threshold or route condition of `escalation.yml` holds on what the customer
  said or a step showed (checked at run time), names the cause the guide's line points to (a power
  cycle that brings the camera back for a while names the Wi-Fi radio, one that does not names the
  configuration, per cause 1's "Disproves"), asks the warranty question before a replacement, and
  hands the case to a person when the guide runs out.
* Not exhaustive: it skips the tests that need a meter, an analyser app or RTSP, which few customers
  have and the guide marks optional ("if RTSP enabled", "if comfortable").
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Dict, List, Optional, Set

from bench.sim.runner import MAX_MOVES, NoEnding, count_move, new_result, record_escalation, record_fix
from bench.sim.types import FIXED, SKIP, CaseResult, Situation
from bot.engine.conditions import holds
from bot.knowledge.guide import Knowledge

FAILED_CHECK = "failed_check"  # a claimed fix that failed the post-fix checks
RADIO, CONFIG = "wifi_radio_crash", "config_corruption"
DEGRADATION = ("offline_after_months", "degrades_over_time", "wont_connect_after_reset")
# words that make a described reset a proper factory reset (Reset mapping: "10-15 seconds ... factory reset")
PROPER_RESET_WORDS = ("factory", "second", "held", "hold")


def move_cost(k: Knowledge, move_id: str) -> float:
    """A move's cost as the engine's tables have it: its own minutes and the chat turn."""
    return k.move(move_id).cost.value + k.turn_cost.value


class Costs:
    """What `count_move` reads of an engine (`.t.moves[id].cost`), from the knowledge alone."""

    def __init__(self, k: Knowledge):
        self.k = k
        self.t = SimpleNamespace(moves={m.id: SimpleNamespace(cost=move_cost(k, m.id)) for m in k.moves})


class End(Exception):
    def __init__(self, route: str, named: str, recommendation: str = "fix"):
        super().__init__(route)
        self.route, self.named, self.recommendation = route, named, recommendation


class Agent:
    """The agent's notes on one case. Exposes what `bot.engine.conditions.holds` reads (symptoms,
    evidence_answer, failed, fixed), so the guide's conditions are checked the engine's way."""

    def __init__(self, k: Knowledge, situation: Situation, costs: Costs):
        self.k, self.s, self.costs = k, situation, costs
        self.result = new_result(situation)
        self.symptoms: List[str] = list(situation.symptoms)
        self.answers: Dict[str, str] = {}  # current answers (a restart makes some out of date)
        self.memory: Dict[str, str] = {}  # everything the customer ever answered
        self.failed_moves: Dict[str, Optional[str]] = {}
        self.fixed_moves: Set[str] = set()
        self.relapsed_moves: Set[str] = set()  # seemed to fix it, failed the post-fix checks
        self.before: Set[str] = set()  # repairs done before the conversation
        self.skipped: Dict[str, int] = {}
        self.vague_reset = False
        self.read_opening()

    # -- what `holds` reads --------------------------------------------------------------------
    def evidence_answer(self, move_id: str) -> Optional[str]:
        """A question's answer, or what a failed repair showed (as the engine reads both)."""
        return self.answers.get(move_id) or self.failed_moves.get(move_id)

    def failed(self, action_id: str) -> bool:
        return action_id in self.failed_moves

    def fixed(self, action_id: str) -> bool:
        return action_id in self.fixed_moves

    def relapsed(self, action_id: str) -> bool:
        return action_id in self.relapsed_moves

    # -- the opening message -------------------------------------------------------------------
    def read_opening(self) -> None:
        for s in self.symptoms:
            for imp in self.k.symptom(s).states:  # the complaint itself says it ("blinking green")
                self._note(imp.move, imp.option)
        for ent in self.s.opening:
            kind = ent.get("entity")
            if kind == "fact":
                move_id, option = ent["value"]["move"], ent["value"].get("option")
                move = self.k.move(move_id)
                if move.kind == "action":
                    self.before.add(move_id)
                    self.failed_moves[move_id] = option
                elif option is not None:
                    self._note(move_id, option)
                    if move_id == "reset_recurs" and option != "never_reset":
                        text = (ent.get("text") or "").lower()
                        self.vague_reset = not any(w in text for w in PROPER_RESET_WORDS)
            elif kind in ("duration", "led_state"):
                for move in self.k.moves:
                    rule = move.from_entity
                    if rule is None or rule.entity != kind or any(ent.get(a) != v for a, v in rule.when.items()):
                        continue
                    option = _from_entity(rule, ent.get("value"))
                    if option is not None:
                        self._note(move.id, option)

    def _note(self, move_id: str, option: str) -> None:
        self.answers[move_id] = option
        self.memory[move_id] = option

    # -- asking --------------------------------------------------------------------------------
    def ask(self, move_id: str, closing: bool = False, tries: int = 2) -> Optional[str]:
        """The answer to a question (asked unless known); None when it cannot be asked or was skipped."""
        if move_id in self.answers:
            return self.answers[move_id]
        move = self.k.move(move_id)
        assert move.kind == "question", move_id
        if not holds(move.requires, self):
            return None
        options = tuple((o.id, o.label) for o in move.options)
        for _ in range(tries):
            reply = self._put(move_id, options, False, closing)
            if reply != SKIP:
                self._note(move_id, reply)
                return reply
        return None

    def do(self, action_id: str, names: str) -> Optional[str]:
        """A repair step: ends the case when it fixes the camera (naming `names`); else what the customer
        saw, FAILED_CHECK for a fix that did not hold, or None when it could not be done."""
        move = self.k.move(action_id)
        if action_id in self.failed_moves or not holds(move.requires, self):
            return None
        options = ((FIXED, "Yes, it works now"),) + tuple((o.id, o.label) for o in move.failure_options)
        for _ in range(2):
            reply = self._put(action_id, options, True, False)
            if reply == SKIP:
                continue
            for stale in move.stales:
                self.answers.pop(stale, None)
            if reply == FIXED:
                if self.s.checks_pass(action_id):
                    self.fixed_moves.add(action_id)
                    raise End("fix", names)
                self.failed_moves[action_id] = None
                self.relapsed_moves.add(action_id)
                return FAILED_CHECK
            self.failed_moves[action_id] = reply
            return reply
        return None

    def _put(self, move_id: str, options, is_action: bool, closing: bool) -> str:
        if len(self.result.moves) >= MAX_MOVES:
            raise NoEnding(f"no ending after {MAX_MOVES} moves: {self.result.moves}")
        count_move(self.costs, self.result, move_id, is_action, closing)
        reply = self.s.respond(move_id, options, is_action)
        if reply == SKIP:
            self.skipped[move_id] = self.skipped.get(move_id, 0) + 1
        return reply

    # -- naming and ending ---------------------------------------------------------------------
    def radio_or_config(self, default: str) -> str:
        """Cause 1 confirms "Power cycle temporarily restores function" and is disproved "If problem
        occurs immediately after power-on"; cause 2 is the other reading (Pattern C), and confirmed by
        "Factory reset may temporarily fix, but failure recurs"."""
        if self.relapsed("factory_reset"):
            return CONFIG
        seen = self.memory.get("power_cycle_restores") or self.ask("power_cycle_restores")
        if seen == "yes_for_a_while":
            return RADIO
        if seen == "no_stays_offline":
            return CONFIG
        return default

    def reset_done_properly(self) -> bool:
        return self.failed("factory_reset") or (
            self.answers.get("reset_recurs") in ("recurred", "did_not_help") and not self.vague_reset
        )

    def route_open(self, route_id: str) -> bool:
        route = self.k.route(route_id)
        if route.covers == "all" or route.safety_only:
            return True
        if route.when is not None and holds(route.when, self):
            return True
        return any(holds(self.k.threshold(t).when, self) for t in route.thresholds if self.k.threshold(t).when)

    def escalate(self, route_id: str, named: str) -> None:
        if not self.route_open(route_id):
            raise AssertionError(f"the baseline took {route_id} with no threshold met: {self.result.moves}")
        route = self.k.route(route_id)
        for q in route.closing_questions:
            self.ask(q, closing=True, tries=1)
        recommendation = route.recommendation
        if recommendation == "replace":
            for th in self.k.thresholds.return_recommended:
                if th.when is not None and holds(th.when, self) and (not th.causes or named in th.causes):
                    recommendation = "return"
        raise End(route_id, named, recommendation)

    def replace(self, named: str) -> None:
        self.escalate("replace_camera", named)

    def replace_if_met(self, named: str) -> None:
        """A replacement when one of its thresholds holds; otherwise the script goes on."""
        if self.route_open("replace_camera"):
            self.replace(named)

    def hand_off(self, named: str) -> None:
        self.escalate("human_support", named)

    def tried(self) -> List[str]:
        done = list(self.failed_moves) + sorted(self.fixed_moves)
        done += [
            m.id for m in self.k.moves if m.kind == "action" and m.tried_if is not None and holds(m.tried_if, self)
        ]
        return list(dict.fromkeys(done))

    def excused(self, fixes) -> List[str]:
        return [a for a in fixes if not holds(self.k.move(a).requires, self) or self.skipped.get(a, 0) >= 2]


def _from_entity(rule, value) -> Optional[str]:
    if rule.ranges:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return next((r.option for r in rule.ranges if r.below is None or number < r.below), None)
    if isinstance(value, dict):
        for r in rule.map:
            if (
                (r.colour or r.mode)
                and (r.colour in (None, value.get("colour")))
                and (r.mode in (None, value.get("mode")))
            ):
                return r.option
    return None


# -- the scripts -------------------------------------------------------------------------------------
def _after_reset(a: Agent, seen: Optional[str], default: str) -> None:
    """Step 2's decision and the reset behaviour mapping, for a factory reset that did not fix it."""
    degradation = bool(set(a.symptoms) & set(DEGRADATION))
    if seen is None:
        a.hand_off(a.radio_or_config(default))
    if seen == FAILED_CHECK:
        # Cause 2 confirms: "Factory reset may temporarily fix, but failure recurs"
        if degradation and a.ask("reset_recurs") in ("recurred", "did_not_help"):
            a.replace(CONFIG)  # Escalation: "Progressive degradation recurs after multiple resets"
        a.hand_off(CONFIG)
    if seen == "already_configured_error":
        # Pattern D: "already configured, even after factory reset" -> Scenario B
        a.escalate("clear_cloud_registration", CONFIG)
    if seen == "cannot_press":
        if a.ask("reset_button_check") == "impossible":  # Triage 5: "impossible without disassembly"
            a.replace("other")  # a mechanical defect: physical damage
        a.hand_off(a.radio_or_config(default))
    if seen == "no_response":
        click = a.ask("reset_button_click")  # Physical layer: "No click = switch broken"
        if click == "no_click":
            a.replace("other")  # Escalation: physical damage
        if click == "click":
            a.replace(a.radio_or_config(default))  # Step 2: "If no response, hardware dead (replace)"
        a.hand_off(a.radio_or_config(default))
    if seen == "led_no_pairing":
        # "Failed Reset (Firmware Crash)": the radio's firmware (cause 1) unless a power cycle disproves it
        a.replace(a.radio_or_config(RADIO))
    if seen == "pairing_no_ssid":
        a.replace(RADIO)  # Escalation: "Wi-Fi radio dead (no SSID after factory reset)"
    if seen == "pairing_wont_connect":
        band = a.do("band_segregation", "other")  # Step 3: set up from a 2.4 GHz network
        if band == "already_configured_error":
            a.escalate("clear_cloud_registration", CONFIG)  # Pattern D -> Scenario B
        if band is not None:
            a.replace(a.radio_or_config(RADIO))  # Step 3: "If fails on dedicated 2.4GHz ... Replace."
        a.hand_off(a.radio_or_config(default))
    # "same_problem": set-up worked, the problem is still there
    if degradation:
        a.replace(a.radio_or_config(RADIO))  # Scenario A: "reset doesn't help"; degradation recurs
    if "live_view_timeout" in a.symptoms:
        a.do("dns_change", "cloud_dns")  # Pattern B: "or cloud relay server issues"; Scenario H
    a.hand_off(a.radio_or_config(default))


def _cloud_check(a: Agent) -> None:
    """Step 6, then Scenario H."""
    if a.ask("cloud_status") == "outage_reported":
        a.escalate("wait_for_outage", "cloud_dns")  # Step 6: "Wait for resolution"
    a.do("dns_change", "cloud_dns")


def _connection(a: Agent, default: str) -> None:
    """Patterns A and C: steps 0-3 in order, as far as they apply."""
    led = a.ask("led_check")  # Step 0
    if a.ask("other_devices_ok") == "no":
        a.hand_off("other")  # Pattern A: not the camera's Wi-Fi signal; the home network is outside the guide
    if led == "blinking_green":
        _cloud_check(a)  # Pattern J: connected to Wi-Fi, no cloud
    _step_one(a)  # Step 1 (Step 0 "No LED": replace power adapter)
    if a.reset_done_properly():
        if "wont_connect_after_reset" in a.symptoms or "already_configured" in a.symptoms:
            seen = a.do("band_segregation", "other")  # Step 3: "if setup fails"
            if seen == "already_configured_error":
                a.escalate("clear_cloud_registration", CONFIG)  # Pattern D -> Scenario B
            if seen is not None:
                a.replace(a.radio_or_config(default))
        a.replace_if_met(a.radio_or_config(default))  # "Progressive degradation recurs after multiple resets"
        a.hand_off(a.radio_or_config(default))
    _after_reset(a, a.do("factory_reset", CONFIG), default)  # Step 2


def _step_one(a: Agent) -> None:
    """Step 1 with a "known-good 5V/2A USB adapter": a spare that failed is checked for its rating, and
    a customer with no spare, or a weak one, is asked to get a proper one."""
    seen = a.do("swap_adapter", "power_supply")
    if seen is None and "swap_adapter" not in a.before and a.skipped.get("swap_adapter", 0) >= 2:
        a.do("proper_adapter", "power_supply")
    elif a.failed("swap_adapter") and a.ask("spare_rating") == "under_rated":
        a.do("proper_adapter", "power_supply")


def pattern_a(a: Agent) -> None:
    _connection(a, RADIO)


def pattern_c(a: Agent) -> None:
    _connection(a, CONFIG)


def pattern_b(a: Agent) -> None:
    """Live view times out: Pattern B "network stack unstable, or cloud relay server issues"."""
    led = a.ask("led_check")
    if a.ask("other_devices_ok") == "no":
        a.hand_off("other")
    if a.ask("cloud_status") == "outage_reported":
        a.escalate("wait_for_outage", "cloud_dns")
    if led == "blinking_green":
        a.do("dns_change", "cloud_dns")  # Scenario H
    if a.ask("app_crash_test") == "freezes":  # Pattern B: "throws JavaScript errors"; triage 3
        a.do("update_app", "app_bug")
        if a.failed("update_app"):
            a.escalate("report_app_bug", "app_bug")
    _step_one(a)  # Step 1
    if a.reset_done_properly():
        a.do("dns_change", "cloud_dns")
        a.hand_off(a.radio_or_config(RADIO))
    _after_reset(a, a.do("factory_reset", CONFIG), RADIO)


def pattern_d(a: Agent) -> None:
    """ "Already configured": Scenario B after a factory reset that did not clear it."""
    if not a.reset_done_properly():
        seen = a.do("factory_reset", CONFIG)
        if seen == "led_no_pairing":
            a.replace(CONFIG)  # the flash does not clear: "Failed Reset (Firmware Crash)"
        if seen == "pairing_no_ssid":
            a.replace(RADIO)
        if seen == "no_response":
            _after_reset(a, seen, CONFIG)
        if seen is None:
            a.hand_off(CONFIG)
    a.escalate("clear_cloud_registration", CONFIG)  # Scenario B: "Contact Kasa support to clear from account"


def pattern_j(a: Agent) -> None:
    """Green blinking, no cloud: Step 6, Scenario H, then a person."""
    if a.ask("other_devices_ok") == "no":
        a.hand_off("other")  # Pattern J "Usually does NOT indicate: Local network failure"
    _cloud_check(a)
    a.hand_off("cloud_dns")


def _sd_slot(a: Agent) -> None:
    """Step 4 and Scenario C."""
    seen = a.do("sd_slot_inspection", "sd_slot_failure")
    if seen == "bent_pin":
        if a.do("straighten_sd_pin", "sd_slot_failure") is not None:
            a.replace("sd_slot_failure")  # Scenario C: a pin that will not straighten (or broke)
    if seen in ("broken_pin", "no_card_works"):
        a.replace("sd_slot_failure")  # Scenario C "If pins broken, replace camera"; Step 4 "If no cards work"
    if seen == "other_card_works":
        a.do("use_working_card", "sd_card_incompatible")  # Cause 3 disproves: compatibility
        a.hand_off("sd_card_incompatible")
    if a.answers.get("sd_card_test") == "not_recognized":
        a.replace("sd_slot_failure")  # Triage 2 "If not recognized: Cause 3"
    a.hand_off("sd_slot_failure")


def pattern_e(a: Agent) -> None:
    """SD card not recognized: triage 2, then Step 4."""
    if a.ask("sd_card_test") == "recognized":
        a.do("use_working_card", "sd_card_incompatible")  # Triage 2 "If recognized: SD hardware OK"
        a.hand_off("sd_card_incompatible")
    _sd_slot(a)


def pattern_f(a: Agent) -> None:
    """Clips not saved: Pattern F "SD card not recording, or cloud subscription expired"."""
    where = a.ask("clips_storage")
    if where == "sd_card":
        pattern_e(a)
    if where == "cloud":
        a.do("check_subscription", "cloud_subscription")
        if a.ask("cloud_status") == "outage_reported":
            a.escalate("wait_for_outage", "cloud_dns")
        a.hand_off("cloud_dns")  # Pattern F: "cloud storage issue"
    a.hand_off("sd_slot_failure")


def pattern_g(a: Agent) -> None:
    """Pan/tilt stopped: Cause 6 confirms "no motor sound"; disproved by "tries to move but jams"."""
    sound = a.ask("motor_sound")
    if sound == "tries_but_jams":
        a.do("clear_obstruction", "gear_jam")  # Cause 6 triggers: "Obstruction"
        _step_one(a)  # before a replacement: Step 1 (Cause 4 triggers: pan/tilt draw)
        a.replace_if_met("gear_jam")  # Escalation: "Pan/tilt motor failed"
    if sound == "silent":
        _step_one(a)
        a.replace("motor_driver")  # Scenario F
    a.hand_off("motor_driver")


def pattern_h(a: Agent) -> None:
    """App freezes on settings: Scenario E."""
    if a.ask("app_crash_scope") == "all_screens":
        a.hand_off("other")  # Cause 5 disproves: "If crash occurs on all screens"
    if "update_app" in a.before:
        a.failed_moves.pop("update_app")  # they updated; Scenario E: "If persists, clear app cache/data"
    a.do("update_app", "app_bug")
    if a.failed("update_app"):
        a.escalate("report_app_bug", "app_bug")  # No repair possible: "App bugs persist across versions"
    a.hand_off("app_bug")


def pattern_i(a: Agent) -> None:
    """Adapter overheating: triage 1 / Scenario D, safety first."""
    seen = a.do("swap_adapter", "power_supply")
    if seen is None and "swap_adapter" not in a.before:
        a.escalate("safety_stop", "power_supply")  # "Ignore overheating adapter: Fire risk; replace immediately"
    # Step 1 wants a "known-good 5V/2A" adapter: a weaker spare tested nothing
    if a.ask("spare_rating") == "under_rated":
        if a.do("proper_adapter", "power_supply") is None:
            a.hand_off("power_supply")
    # Escalation: "Power adapter overheating and camera still unstable with replacement"
    a.replace("other")


def pet(a: Agent) -> None:
    """Pet not detected: triage 6, Step 5 / Scenario G."""
    test = a.ask("motion_test")
    a.do("motion_sensitivity", "motion_sensitivity")
    if a.ask("lens_clear") == "dirty_or_blocked":  # Step 5: "Ensure camera position not obstructed"
        a.do("clean_lens", "motion_sensitivity")
    named = "motion_sensor_failure" if test == "detects_nothing" else "motion_sensitivity"
    if a.failed("motion_sensitivity"):
        # Step 5: "Sensor may be faulty. Replace if critical."; triage 6 "If detects nothing: Sensor failure"
        a.escalate("sensor_faulty", named)
    a.hand_off(named)


def night_vision(a: Agent) -> None:
    """Night vision slow: the guide has only the lens check and the post-fix night vision test."""
    lens = a.ask("lens_clear")
    if lens == "broken":
        a.replace("other")  # Escalation: "Physical damage (cracked housing, broken lens)"
    if lens == "dirty_or_blocked":
        a.do("clean_lens", "other")
    a.hand_off("other")


def reset_button(a: Agent) -> None:
    """Reset button hard to press: triage 5, the physical check, then the reset they wanted."""
    if a.ask("reset_button_check") == "impossible":
        a.replace("other")  # triage 5 "impossible without disassembly: Mechanical defect"
    if a.ask("reset_button_click") == "no_click":
        a.replace("other")  # "No click = switch broken"
    _after_reset(a, a.do("factory_reset", CONFIG), RADIO)


SCRIPTS = {
    "offline_after_months": pattern_a,
    "degrades_over_time": pattern_a,
    "wont_connect_after_reset": pattern_c,
    "live_view_timeout": pattern_b,
    "already_configured": pattern_d,
    "green_blinking_no_cloud": pattern_j,
    "sd_card_not_recognized": pattern_e,
    "clips_not_saving": pattern_f,
    "pan_tilt_stopped": pattern_g,
    "app_freezes_settings": pattern_h,
    "adapter_overheating": pattern_i,
    "pet_not_detected": pet,
    "night_vision_slow": night_vision,
    "reset_button_hard": reset_button,
}


def run_guide_baseline(k: Knowledge, situation: Situation, costs: Optional[Costs] = None) -> CaseResult:
    """The guide's procedure for the customer's most urgent symptom, to its ending."""
    agent = Agent(k, situation, costs or Costs(k))
    first = max(agent.symptoms, key=lambda s: k.symptom(s).urgency)
    try:
        SCRIPTS[first](agent)
        raise AssertionError(f"the {first} script did not end the case")
    except End as end:
        if end.route == "fix":
            return record_fix(agent.result, end.named)
        return record_escalation(
            k,
            agent.result,
            end.route,
            end.recommendation,
            end.named,
            agent.tried(),
            False,  # the baseline's thresholds rest on what was said or shown, never on an assumption
            agent.excused(situation.truth.avoidable_if_untried),
        )


__all__ = ["SCRIPTS", "Costs", "move_cost", "run_guide_baseline"]

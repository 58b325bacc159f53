"""Every section of the field guide is in data/knowledge, item for item.

Texts are compared with the guide file itself (parsed by tests/bot/knowledge/guide.py) as word
sequences, so punctuation, typographic quotes and capitalisation may differ but a dropped, added
or reworded item fails. The counts are also written down, as a check on the parser.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from bench.sim.world import ROUTES
from bot.engine.tables import prior_of
from bot.knowledge import load_knowledge
from tests.bot.knowledge.guide import SHARED, VENDORED, load_guide, normalise_quotes, words

REPO = Path(__file__).resolve().parents[3]

INTENTS = [
    "offline_after_months",
    "wont_connect_after_reset",
    "live_view_timeout",
    "sd_card_not_recognized",
    "clips_not_saving",
    "pan_tilt_stopped",
    "green_blinking_no_cloud",
    "reset_button_hard",
    "app_freezes_settings",
    "already_configured",
    "adapter_overheating",
    "pet_not_detected",
    "night_vision_slow",
    "degrades_over_time",
]
FREQUENCIES = [30, 20, 15, 10, 10, 5, 5, 5]


@pytest.fixture(scope="module")
def k():
    return load_knowledge()


@pytest.fixture(scope="module")
def guide():
    return load_guide()


# -- the guide copy ---------------------------------------------------------------------------
def test_vendored_guide_is_the_shared_guide():
    if not SHARED.is_file():
        pytest.skip(f"shared guide not present at {SHARED}")
    assert VENDORED.read_bytes() == SHARED.read_bytes(), "tests/bot/knowledge/field_guide.txt is out of date"


def test_parser_finds_every_section_with_the_guide_counts(guide):
    assert len(guide.phrases) == 14
    assert sorted(guide.patterns) == list("ABCDEFGHIJ")
    assert [c["frequency"] for c in guide.causes] == FREQUENCIES
    assert len(guide.cloud_dependency) == 3
    assert [t["number"] for t in guide.triage_tests] == [1, 2, 3, 4, 5, 6]
    assert [s["number"] for s in guide.steps] == [0, 1, 2, 3, 4, 5, 6]
    assert len(guide.physical_inspection) == 6
    assert len(guide.electrical_checks) == 4
    assert len(guide.reset_behaviours) == 5
    assert len(guide.false_fixes) == 7
    assert sorted(guide.fix_scenarios) == list("ABCDEFGH")
    assert len(guide.post_fix_checks) == 8
    assert {g: len(v) for g, v in guide.escalation.items()} == {
        "replacement_required": 7,
        "no_repair_possible": 4,
        "return_recommended": 3,
    }


# -- symptoms ---------------------------------------------------------------------------------
def test_fourteen_symptoms_with_the_intent_ids(k):
    assert [s.id for s in k.symptoms] == INTENTS


def test_symptom_phrases_are_the_guides_long_tail_lines(k, guide):
    assert [normalise_quotes(s.phrase) for s in k.symptoms] == guide.phrases


def test_every_symptom_is_an_nlu_intent():
    nlu = yaml.safe_load((REPO / "data" / "nlu" / "symptoms.yml").read_text(encoding="utf-8"))
    intents = {item["intent"] for item in nlu["nlu"] if "intent" in item}
    assert set(INTENTS) <= intents


def test_symptom_patterns_exist_and_every_pattern_has_a_symptom(k):
    ids = {p.id for p in k.patterns}
    used = {s.pattern for s in k.symptoms if s.pattern}
    assert used <= ids
    assert used == ids, f"patterns no symptom opens with: {sorted(ids - used)}"


# -- patterns ---------------------------------------------------------------------------------
FIELDS = {
    "symptom": "Visible symptom",
    "when": "When it occurs",
    "indicates": "Usually indicates",
    "does_not_indicate": "Usually does NOT indicate",
}


def test_ten_patterns_a_to_j(k, guide):
    assert [p.id for p in k.patterns] == list("ABCDEFGHIJ") == sorted(guide.patterns)


@pytest.mark.parametrize("pattern", list("ABCDEFGHIJ"))
def test_pattern_text_matches_the_guide(k, guide, pattern):
    ours = next(p for p in k.patterns if p.id == pattern)
    theirs = guide.patterns[pattern]
    assert words(ours.name) == words(theirs["name"])
    for field, label in FIELDS.items():
        assert words(getattr(ours, field)) == words(theirs[label]), f"pattern {pattern} {field}"


# -- root causes ------------------------------------------------------------------------------
def test_eight_causes_with_the_guide_frequencies_then_the_ones_outside_the_ranking(k, guide):
    documented = [c for c in k.causes if c.frequency > 0]
    assert len(documented) == 8
    assert [c.rank for c in documented] == [c["rank"] for c in guide.causes] == list(range(1, 9))
    assert [c.frequency for c in documented] == [c["frequency"] for c in guide.causes] == FREQUENCIES
    assert sum(c.frequency for c in documented) == 100
    outside = [c for c in k.causes if c.frequency == 0]
    assert [c.rank for c in outside] == list(range(9, 9 + len(outside)))
    assert outside[-1].id == "other"
    # each one the guide names somewhere, and says where
    for c in outside:
        assert c.reserve and c.reserve_reason, c.id


def test_priors_sum_to_one_and_keep_the_frequency_ratios(k):
    prior = prior_of(k)
    assert prior.shape == (len(k.causes),)
    assert np.all(prior > 0)
    assert prior.sum() == pytest.approx(1.0, abs=1e-12)
    for i, c in enumerate(k.causes):
        if c.reserve is not None:
            assert prior[i] == pytest.approx(c.reserve)
    documented = np.array([c.frequency for c in k.causes if c.frequency > 0], dtype=float)
    scaled = np.array([prior[i] for i, c in enumerate(k.causes) if c.frequency > 0])
    assert scaled / scaled.sum() == pytest.approx(documented / documented.sum())


@pytest.mark.parametrize("rank", range(1, 9))
def test_cause_text_matches_the_guide(k, guide, rank):
    ours = next(c for c in k.causes if c.rank == rank)
    theirs = guide.causes[rank - 1]
    # names are recased and "A/B" becomes "A or B"; every word of the guide's name is kept (cause 2
    # keeps its hedge "Possible")
    assert set(words(theirs["name"])) <= set(words(ours.name))
    assert set(words(theirs["Why it happens"])) <= set(words(ours.why))
    assert words(" ".join(ours.triggers)) == words(theirs["Triggers"])
    assert words(" ".join(line.text for line in ours.confirms)) == words(theirs["Confirms"])
    assert words(" ".join(line.text for line in ours.disproves)) == words(theirs["Disproves"])
    # "Confirms: Pattern A." / "Patterns C and D.": those patterns are the cause's
    named = {
        p for pair in re.findall(r"\bPatterns? ([A-J])\b(?: and ([A-J])\b)?", theirs["Confirms"]) for p in pair if p
    }
    assert named <= set(ours.patterns)


def test_every_cause_opens_with_some_symptom(k):
    for c in k.causes:
        assert sum(c.symptom_likelihood.values()) == pytest.approx(1.0)
        assert set(c.symptom_likelihood) <= set(INTENTS)


# -- cloud dependency -------------------------------------------------------------------------
def test_cloud_dependency_lines(k, guide):
    assert k.cloud_dependency == guide.cloud_dependency
    assert len(k.cloud_dependency) == 3


# -- triage, steps, inspection, electrical ----------------------------------------------------
def test_six_triage_tests(k, guide):
    assert [t.number for t in k.triage_tests] == [t["number"] for t in guide.triage_tests] == [1, 2, 3, 4, 5, 6]
    for ours, theirs in zip(k.triage_tests, guide.triage_tests):
        assert words(ours.name) == words(theirs["name"])
        assert words(ours.instruction) == words(theirs["instruction"])
        assert [words(r) for r in ours.results] == [words(r) for r in theirs["results"]]


# Triage results that name a cause: the option the guide ties to cause N is likeliest under cause N.
TRIAGE_CAUSES = [
    ("adapter_temperature", "too_hot", "power_supply"),
    ("sd_card_test", "not_recognized", "sd_slot_failure"),
    ("app_crash_test", "freezes", "app_bug"),
    ("local_access_test", "local_works_app_fails", "cloud_dns"),
    ("local_access_test", "both_fail", "wifi_radio_crash"),
    ("motion_test", "detects_you_not_pet", "motion_sensitivity"),
]


@pytest.mark.parametrize("move,option,cause", TRIAGE_CAUSES)
def test_triage_answers_point_at_the_guides_cause(k, move, option, cause):
    opt = k.move(move).option(option)
    lik = {c.id: opt.likelihood.get(c.id, opt.likelihood.get("default")) for c in k.causes if c.id != "other"}
    assert lik[cause] == max(lik.values()), lik


def test_steps_zero_to_six(k, guide):
    assert [s.number for s in k.steps] == [s["number"] for s in guide.steps] == list(range(7))
    for ours, theirs in zip(k.steps, guide.steps):
        assert words(ours.name) == words(theirs["name"])
        for field in ("action", "expected", "failure", "decision"):
            assert words(getattr(ours, field)) == words(theirs[field.capitalize()]), f"step {ours.number} {field}"


def test_six_physical_inspection_items(k, guide):
    assert len(k.physical_inspection) == len(guide.physical_inspection) == 6
    for ours, (part, check) in zip(k.physical_inspection, guide.physical_inspection):
        assert ours.part == part
        assert words(ours.check) == words(check)


def test_four_electrical_checks(k, guide):
    assert len(k.electrical_checks) == len(guide.electrical_checks) == 4
    for ours, (name, check) in zip(k.electrical_checks, guide.electrical_checks):
        assert ours.name == name
        assert words(ours.check) == words(check)


# -- reset behaviour, false fixes -------------------------------------------------------------
STOPWORDS = {"but", "or", "and", "the", "to"}


def test_five_reset_behaviours(k, guide):
    assert len(k.reset_behaviours) == len(guide.reset_behaviours) == 5
    for ours, (name, text) in zip(k.reset_behaviours, guide.reset_behaviours):
        assert ours.name == name
        said = set(words(" ".join([ours.press, ours.response, ours.result])))
        assert set(words(text)) - STOPWORDS <= said, f"{name}: {set(words(text)) - said}"


def test_every_factory_reset_failure_maps_to_a_reset_behaviour(k):
    mapped = {o for b in k.reset_behaviours for o in b.factory_reset_options}
    # all but the customer who cannot press the button at all: no reset happened (triage test 5 decides)
    assert mapped == {o.id for o in k.move("factory_reset").failure_options} - {"cannot_press"}


def test_seven_false_fixes(k, guide):
    assert len(k.false_fixes) == len(guide.false_fixes) == 7
    for ours, (fix, reason) in zip(k.false_fixes, guide.false_fixes):
        assert words(ours.fix) == words(fix)
        assert words(ours.reason) == words(reason)
    assert [f.id for f in k.false_fixes if f.safety] == ["ignore_overheating"]


# -- fix scenarios, post-fix checks -----------------------------------------------------------
SCENARIO_CAUSES = {
    "A": "wifi_radio_crash",
    "B": "config_corruption",
    "C": "sd_slot_failure",
    "D": "power_supply",
    "E": "app_bug",
    "F": "motor_driver",
    "G": "motion_sensitivity",
    "H": "cloud_dns",
}


def test_fix_scenarios_a_to_h(k, guide):
    assert [s.id for s in k.fix_scenarios] == sorted(guide.fix_scenarios) == list("ABCDEFGH")
    for ours in k.fix_scenarios:
        theirs = guide.fix_scenarios[ours.id]
        assert words(ours.symptom) == words(theirs["Symptom"]), ours.id
        assert words(ours.fix) == words(theirs["Fix"]), ours.id
        assert words(ours.verification) == words(theirs["Verification"]), ours.id
        assert ours.cause == SCENARIO_CAUSES[ours.id]
        if ours.cause_detail is not None:
            assert words(ours.cause_detail) == words(theirs["Cause"]), ours.id
        else:
            assert set(words(theirs["Cause"])) - {"adapter"} <= set(words(k.cause(ours.cause).name)), ours.id


def test_every_fix_scenario_is_realised_by_a_move_or_route(k):
    route_ids = {r.id for r in k.routes}
    for sc in k.fix_scenarios:
        if sc.realised_by.move:
            assert k.move(sc.realised_by.move).kind == "action"
            # the repair can fix the scenario's cause
            assert k.move(sc.realised_by.move).fixes.get(sc.cause, 0) > 0, sc.id
        else:
            assert sc.realised_by.route in route_ids


def test_eight_post_fix_checks(k, guide):
    assert len(k.post_fix_checks) == len(guide.post_fix_checks) == 8
    for ours, (name, check) in zip(k.post_fix_checks, guide.post_fix_checks):
        assert ours.name == name
        assert words(ours.check) == words(check)


# -- escalation -------------------------------------------------------------------------------
def test_escalation_thresholds_seven_four_three(k, guide):
    groups = {g: getattr(k.thresholds, g) for g in ("replacement_required", "no_repair_possible", "return_recommended")}
    assert {g: len(v) for g, v in groups.items()} == {
        "replacement_required": 7,
        "no_repair_possible": 4,
        "return_recommended": 3,
    }
    for group, items in groups.items():
        assert [words(t.text) for t in items] == [words(x) for x in guide.escalation[group]], group
    ids = [t.id for t in k.thresholds.all()]
    assert len(ids) == len(set(ids)) == 14 + len(k.thresholds.step_decisions) + len(k.thresholds.scenario_decisions)


def test_step_decisions_quote_the_guides_steps(k, guide):
    """The Decision lines of steps 2 and 3 that end a case, quoted word for word."""
    decisions = {f"Step {s.number}": s.decision for s in k.steps}
    assert [t.id for t in k.thresholds.step_decisions] == ["fails_on_dedicated_band", "hardware_dead"]
    for t in k.thresholds.step_decisions:
        step, _, quoted = t.text.partition(": ")
        assert words(quoted.strip('"')) <= words(decisions[step]) or set(words(quoted)) <= set(words(decisions[step]))


def test_scenario_decisions_quote_the_guides_scenarios(k, guide):
    """A fix scenario that ends a case is quoted by its symptom and fix, word for word."""
    assert [t.id for t in k.thresholds.scenario_decisions] == ["reset_does_not_help"]
    scenarios = {f"Scenario {s.id}": s for s in k.fix_scenarios}
    for t in k.thresholds.scenario_decisions:
        name, _, quoted = t.text.partition(": ")
        symptom, _, fix = quoted.partition(" Fix: ")
        assert set(words(symptom)) <= set(words(scenarios[name].symptom)), t.text
        assert set(words(fix)) <= set(words(scenarios[name].fix)), t.text
        assert t.says and "Scenario" not in t.says  # the customer reads words, not the guide's numbering


def test_every_replacement_threshold_leads_to_a_route(k):
    routed = {t for r in k.routes for t in r.thresholds}
    for t in k.thresholds.replacement_required:
        if not t.annotation:
            assert t.id in routed, t.id


def test_routes_needed_by_the_engine(k):
    # the seven routes as the independent world writes them down from the guide (bench/sim/world.py)
    assert {r.id for r in k.routes} == set(ROUTES)


# Numbers a step may give that the guide does not print: the same value in other units or
# notation, and examples that explain a reading.
DERIVED_NUMBERS = {
    "2000": "2A written in mA, as many labels print it",
    "2.0": '2A as labels print it ("5V ⎓ 2.0A")',
    "80": "-80 dBm, an example of a weak signal beside the guide's -67",
    "4.4": "8.8.4.4, the secondary of the DNS server the guide names (8.8.8.8)",
}


def test_every_number_a_step_gives_is_the_guides(k):
    """A value the customer is told to set or look for comes from the guide ("100%", "5V/2A"); a
    menu height or a level the guide never gives does not ("1-1.5 m", "High" for 100%)."""
    guide_numbers = set(re.findall(r"\d+(?:\.\d+)?", VENDORED.read_text(encoding="utf-8")))
    stray = [
        (m.id, n)
        for m in k.moves
        for text in (m.prompt, m.how_to)
        for n in re.findall(r"\d+(?:\.\d+)?", text or "")
        if n not in guide_numbers and n not in DERIVED_NUMBERS
    ]
    assert stray == []


def test_motion_sensitivity_is_set_to_the_guides_100_percent(k):
    move = k.move("motion_sensitivity")
    assert "100%" in move.prompt and "100%" in move.how_to and "High" not in move.how_to

"""The loader: the shipped data loads, every move is complete, and a broken copy is rejected with a
message that names the file, the item and the problem."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List

import pytest
import yaml

from bot.knowledge import Knowledge, KnowledgeError, load_knowledge
from bot.knowledge.loader import DEFAULT_DIR, SECTIONS, load_knowledge_from

REPO = Path(__file__).resolve().parents[3]
DATA = REPO / "data" / "knowledge"


@pytest.fixture(scope="module")
def k() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(DATA, target)
    return target


def rejected(directory: Path) -> str:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_from(directory)
    return str(info.value)


# -- the shipped data -------------------------------------------------------------------------
def test_default_dir_is_the_repository_data():
    assert Path(DEFAULT_DIR).resolve() == DATA.resolve()


def test_loads_and_is_cached(k):
    assert isinstance(k, Knowledge)
    assert load_knowledge() is k
    assert load_knowledge(DATA) is k


def test_every_file_is_a_section():
    from bot.knowledge.phrases import WORDING_FILES

    wording = ("vocabulary.yml", *WORDING_FILES)  # how customers write, each with its own loader and tests
    assert sorted(SECTIONS) == sorted(p.name for p in DATA.glob("*.yml") if p.name not in wording)


def test_unmodified_copy_loads_equal(copy, k):
    assert load_knowledge_from(copy) == k


def test_knowledge_is_immutable(k):
    with pytest.raises(TypeError):
        k.causes[0].frequency = 99


def test_every_move_has_prompt_how_to_and_a_costed_reason(k):
    moves = k.moves
    assert len(moves) == len({m.id for m in moves})
    for m in moves:
        assert m.prompt.strip(), m.id
        assert m.how_to.strip(), m.id
        assert m.cost.minutes > 0 and m.cost.difficulty >= 1, m.id
        assert m.cost.reason.strip(), m.id
        assert m.cost.value == pytest.approx(m.cost.minutes * m.cost.difficulty)


def test_every_move_is_reachable_by_id_and_section(k):
    for m in k.moves:
        assert k.move(m.id) is m
        assert k.move_section(m.id)
    assert k.move_section("led_check") == "Step 0"
    assert k.move_section("adapter_temperature") == "Triage test 1"
    assert k.move_section("dns_change") == "Fix scenario H"


def _likelihood(option, cause: str) -> float:
    return option.likelihood.get(cause, option.likelihood.get("default"))


def test_every_answer_table_sums_to_one_per_cause(k):
    causes = [c.id for c in k.causes]
    for m in k.moves:
        options = m.answer_options
        assert options, m.id
        for cause in causes:
            values = [_likelihood(o, cause) for o in options]
            assert all(v is not None and 0 <= v <= 1 for v in values), (m.id, cause)
            assert sum(values) == pytest.approx(1.0, abs=1e-9), (m.id, cause, values)


def test_actions_have_fixes_and_questions_do_not(k):
    for m in k.moves:
        if m.kind == "action":
            assert m.fixes and all(0 <= p <= 1 for p in m.fixes.values()), m.id
            assert not m.options
        else:
            assert not m.fixes and not m.failure_options and len(m.options) >= 2, m.id


def test_safety_moves_carry_a_notice(k):
    for m in k.moves:
        if m.safety_options:
            assert m.safety, m.id


def _raw_ids(node: Any, found: List[str]) -> List[str]:
    if isinstance(node, dict):
        if "id" in node:
            found.append(node["id"])
        for value in node.values():
            _raw_ids(value, found)
    elif isinstance(node, list):
        for value in node:
            _raw_ids(value, found)
    return found


def test_ids_are_read_as_written(k):
    """Every id in the loaded knowledge is the text written in the YAML file."""
    written = set()
    for path in DATA.glob("*.yml"):
        written.update(_raw_ids(yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader), []))
    loaded = [c.id for c in k.causes] + [s.id for s in k.symptoms] + [p.id for p in k.patterns]
    for m in k.moves:
        loaded.append(m.id)
        loaded.extend(o.id for o in m.answer_options)
    loaded += [r.id for r in k.routes] + [t.id for t in k.thresholds.all()] + [s.id for s in k.fix_scenarios]
    assert [i for i in loaded if i not in written] == []


# -- broken copies ----------------------------------------------------------------------------
def mutate(directory: Path, file: str, change: Callable[[Dict[str, Any]], None]) -> None:
    """Parse one file of the copy, change the parsed data, and write it back."""
    path = directory / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=4096), encoding="utf-8")


def item(items: List[Dict[str, Any]], value: str, key: str = "id") -> Dict[str, Any]:
    return next(i for i in items if i.get(key) == value)


def move(data: Dict[str, Any], section: str, move_id: str) -> Dict[str, Any]:
    return next(i["move"] for i in data[section] if i.get("move", {}).get("id") == move_id)


def option(mv: Dict[str, Any], option_id: str) -> Dict[str, Any]:
    return item(mv.get("options", []) + mv.get("failure_options", []), option_id)


def _set(mapping: Dict[str, Any], key: str, value: Any) -> None:
    mapping[key] = value


def _led(data):
    return move(data, "steps", "led_check")


def _hot(data):
    return option(move(data, "triage_tests", "adapter_temperature"), "too_hot")


def _band(data):
    return move(data, "steps", "band_segregation")


def _cause(data, cause_id):
    return item(data["causes"], cause_id)


def _threshold(data, group, threshold_id):
    return item(data["thresholds"][group], threshold_id)


BROKEN: Dict[str, Dict[str, Any]] = {
    "likelihood_sum_not_one": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _set(
            option(_led(d), "no_led")["likelihood"],
            "power_supply",
            option(_led(d), "no_led")["likelihood"]["power_supply"] + 0.1,
        ),
        expect=["diagnostic_steps.yml", "move led_check", "'power_supply'", "not 1"],
    ),
    "likelihood_not_a_probability": dict(
        file="triage_tests.yml",
        change=lambda d: _set(_hot(d)["likelihood"], "power_supply", 1.75),
        expect=["triage_tests.yml", "adapter_temperature", "'power_supply'", "1.75", "not a probability"],
    ),
    "likelihood_unknown_cause": dict(
        file="triage_tests.yml",
        change=lambda d: _set(_hot(d)["likelihood"], "gremlins", 0.5),
        expect=["triage_tests.yml", "move adapter_temperature", "option 'too_hot'", "unknown cause 'gremlins'"],
    ),
    "likelihood_missing_without_default": dict(
        file="diagnostic_steps.yml",
        change=lambda d: option(move(d, "steps", "sd_slot_inspection"), "other_card_works")["likelihood"].pop(
            "default"
        ),
        expect=[
            "diagnostic_steps.yml",
            "move sd_slot_inspection",
            "option 'other_card_works'",
            "no likelihood for",
            "no default",
        ],
    ),
    "fixes_unknown_cause": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _set(move(d, "steps", "swap_adapter")["fixes"], "power_suply", 0.5),
        expect=["diagnostic_steps.yml", "move swap_adapter", "fixes names unknown cause 'power_suply'"],
    ),
    "requires_unknown_move": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _band(d)["requires"].append([{"answer": "factory_rest", "in": ["pairing_wont_connect"]}]),
        expect=["diagnostic_steps.yml", "move band_segregation", "unknown move 'factory_rest'"],
    ),
    "requires_unknown_option": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _band(d)["requires"].append([{"answer": "factory_reset", "in": ["pairing_wont_conect"]}]),
        expect=[
            "diagnostic_steps.yml",
            "move band_segregation",
            "unknown option 'pairing_wont_conect' of 'factory_reset'",
        ],
    ),
    "requires_unknown_symptom": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _band(d)["requires"].append([{"symptom": "allready_configured"}]),
        expect=["diagnostic_steps.yml", "move band_segregation", "unknown symptom 'allready_configured'"],
    ),
    "requires_failed_question": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _band(d)["requires"].append([{"failed": "led_check"}]),
        expect=["diagnostic_steps.yml", "move band_segregation", "'led_check', which is not an action"],
    ),
    "preface_unknown_move": dict(
        file="questions.yml",
        change=lambda d: move(d, "questions", "proper_adapter")["preface"][0]["when"].append(
            [{"set_aside": "swap_adaptr"}]
        ),
        expect=["questions.yml", "move proper_adapter", "condition names 'swap_adaptr', which is not an action"],
    ),
    "stales_unknown_move": dict(
        file="diagnostic_steps.yml",
        change=lambda d: move(d, "steps", "swap_adapter")["stales"].append("led_chek"),
        expect=["diagnostic_steps.yml", "move swap_adapter", "stales names unknown move 'led_chek'"],
    ),
    "frequencies_not_100": dict(
        file="causes.yml",
        change=lambda d: _set(
            _cause(d, "wifi_radio_crash"), "frequency", _cause(d, "wifi_radio_crash")["frequency"] + 5
        ),
        expect=["causes.yml", "causes", "frequencies sum to 105", "not 100%"],
    ),
    "frequency_not_a_number": dict(
        file="causes.yml",
        change=lambda d: _set(_cause(d, "wifi_radio_crash"), "frequency", "thirty"),
        expect=["causes.yml", "(wifi_radio_crash)", "frequency", "not a valid float"],
    ),
    "symptom_likelihood_row": dict(
        file="causes.yml",
        change=lambda d: _set(_cause(d, "motor_driver")["symptom_likelihood"], "pet_not_detected", 0.25),
        expect=["causes.yml", "motor_driver", "symptom_likelihood sums to 1.2500, not 1"],
    ),
    "symptom_likelihood_unknown_symptom": dict(
        file="causes.yml",
        change=lambda d: _set(
            _cause(d, "motor_driver"),
            "symptom_likelihood",
            {
                "pan_tilt_stoped" if s == "pan_tilt_stopped" else s: p
                for s, p in _cause(d, "motor_driver")["symptom_likelihood"].items()
            },
        ),
        expect=["causes.yml", "motor_driver", "unknown symptom 'pan_tilt_stoped'"],
    ),
    "extra_field_in_pattern": dict(
        file="patterns.yml",
        change=lambda d: _set(item(d["patterns"], "A"), "colour", "blue"),
        expect=["patterns.yml", "patterns item 0 (A)", "colour", "extra fields not permitted"],
    ),
    "extra_field_in_move": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _set(_led(d), "colour", "blue"),
        expect=["diagnostic_steps.yml", "steps item 0", "move led_check", "move.colour", "extra fields not permitted"],
    ),
    "move_without_how_to": dict(
        file="physical_inspection.yml",
        change=lambda d: move(d, "physical_inspection", "adapter_condition").pop("how_to"),
        expect=["physical_inspection.yml", "Power Adapter", "move adapter_condition", "how_to", "field required"],
    ),
    "move_without_prompt": dict(
        file="questions.yml",
        change=lambda d: move(d, "questions", "camera_age").pop("prompt"),
        expect=["questions.yml", "move camera_age", "move.prompt", "field required"],
    ),
    "cost_without_reason": dict(
        file="electrical_checks.yml",
        change=lambda d: move(d, "electrical_checks", "sd_vcc")["cost"].pop("reason"),
        expect=["electrical_checks.yml", "move sd_vcc", "cost.reason", "field required"],
    ),
    "cost_without_minutes": dict(
        file="triage_tests.yml",
        change=lambda d: _set(move(d, "triage_tests", "sd_card_test")["cost"], "minutes", 0),
        expect=["triage_tests.yml", "move sd_card_test", "cost.minutes", "greater than 0"],
    ),
    "question_with_one_option": dict(
        file="questions.yml",
        change=lambda d: move(d, "questions", "app_crash_scope")["options"].pop(),
        expect=["questions.yml", "move app_crash_scope", "at least two options"],
    ),
    "action_without_fixes": dict(
        file="fix_scenarios.yml",
        change=lambda d: item(d["fix_scenarios"], "E")["move"].pop("fixes"),
        expect=["fix_scenarios.yml", "(E, move update_app)", "an action needs `fixes`"],
    ),
    "duplicate_option_ids": dict(
        file="triage_tests.yml",
        change=lambda d: _set(option(move(d, "triage_tests", "app_crash_test"), "opens"), "id", "freezes"),
        expect=["triage_tests.yml", "move app_crash_test", "duplicate option ids"],
    ),
    "implies_unknown_answer": dict(
        file="symptoms.yml",
        change=lambda d: _set(
            item(d["symptoms"], "green_blinking_no_cloud"),
            "implies",
            [{"move": "led_check", "option": "blinking_gren"}],
        ),
        expect=["symptoms.yml", "green_blinking_no_cloud", "implies unknown answer led_check=blinking_gren"],
    ),
    "symptom_unknown_pattern": dict(
        file="symptoms.yml",
        change=lambda d: _set(item(d["symptoms"], "green_blinking_no_cloud"), "pattern", "K"),
        expect=["symptoms.yml", "green_blinking_no_cloud", "unknown pattern 'K'"],
    ),
    "threshold_unknown_cause": dict(
        file="escalation.yml",
        change=lambda d: _set(_threshold(d, "replacement_required", "sd_slot_failed"), "causes", ["sd_slot_failed"]),
        expect=["escalation.yml", "threshold sd_slot_failed", "unknown cause 'sd_slot_failed'"],
    ),
    "threshold_condition_unknown_option": dict(
        file="escalation.yml",
        change=lambda d: _threshold(d, "replacement_required", "pan_tilt_motor_failed")["when"].append(
            [{"answer": "motor_sound", "in": ["quiet"]}]
        ),
        expect=["escalation.yml", "threshold pan_tilt_motor_failed", "unknown option 'quiet' of 'motor_sound'"],
    ),
    "route_unknown_threshold": dict(
        file="escalation.yml",
        change=lambda d: item(d["routes"], "report_app_bug")["thresholds"].append("app_bug_persists"),
        expect=["escalation.yml", "route report_app_bug", "unknown threshold 'app_bug_persists'"],
    ),
    "route_closing_question_not_closing": dict(
        file="escalation.yml",
        change=lambda d: _set(item(d["routes"], "replace_camera"), "closing_questions", ["camera_age"]),
        expect=["escalation.yml", "route replace_camera", "closing question 'camera_age' is not a closing question"],
    ),
    "route_unknown_recommendation": dict(
        file="escalation.yml",
        change=lambda d: _set(item(d["routes"], "wait_for_outage"), "recommendation", "wait"),
        expect=["escalation.yml", "(wait_for_outage)", "recommendation", "unexpected value"],
    ),
    "route_without_human_support": dict(
        file="escalation.yml",
        change=lambda d: _set(d, "routes", [r for r in d["routes"] if r["id"] != "human_support"]),
        expect=["escalation.yml", "routes", "needs a human_support route"],
    ),
    "scenario_unknown_route": dict(
        file="fix_scenarios.yml",
        change=lambda d: _set(item(d["fix_scenarios"], "B"), "realised_by", {"route": "clear_registration"}),
        expect=["fix_scenarios.yml", "scenario B", "realised_by unknown route 'clear_registration'"],
    ),
    "scenario_unknown_cause": dict(
        file="fix_scenarios.yml",
        change=lambda d: _set(item(d["fix_scenarios"], "A"), "cause", "wifi_crash"),
        expect=["fix_scenarios.yml", "scenario A", "unknown cause 'wifi_crash'"],
    ),
    "scenario_with_move_and_route": dict(
        file="fix_scenarios.yml",
        change=lambda d: _set(
            item(d["fix_scenarios"], "B"), "realised_by", {"route": "clear_cloud_registration", "move": "factory_reset"}
        ),
        expect=["fix_scenarios.yml", "fix_scenarios item 1 (B)", "exactly one of move or route"],
    ),
    "post_fix_check_unknown_symptom": dict(
        file="post_fix_checks.yml",
        change=lambda d: _set(item(d["post_fix_checks"], "pan_tilt"), "only_if", {"symptoms": ["pan_tilt_broken"]}),
        expect=["post_fix_checks.yml", "pan_tilt", "unknown symptom 'pan_tilt_broken'"],
    ),
    "reset_behaviour_unknown_option": dict(
        file="reset_behaviour.yml",
        change=lambda d: _set(
            item(d["reset_behaviours"], "failed_button_dead"), "factory_reset_options", ["no_answer"]
        ),
        expect=["reset_behaviour.yml", "failed_button_dead", "unknown factory_reset option 'no_answer'"],
    ),
    "reset_option_unknown_behaviour": dict(
        file="diagnostic_steps.yml",
        change=lambda d: _set(
            option(move(d, "steps", "factory_reset"), "no_response"), "reset_behaviour", "button_gone"
        ),
        expect=[
            "diagnostic_steps.yml",
            "move factory_reset",
            "option 'no_response'",
            "unknown reset behaviour 'button_gone'",
        ],
    ),
    "from_entity_unknown_option": dict(
        file="questions.yml",
        change=lambda d: move(d, "questions", "camera_age")["from_entity"]["ranges"].append({"option": "ancient"}),
        expect=["questions.yml", "move camera_age", "from_entity maps to unknown option 'ancient'"],
    ),
    "unknown_top_level_key": dict(
        file="false_fixes.yml",
        change=lambda d: _set(d, "extras", 1),
        expect=["false_fixes.yml", "unknown top-level keys ['extras']"],
    ),
    "missing_top_level_key": dict(
        file="escalation.yml",
        change=lambda d: d.pop("avoidable"),
        expect=["escalation.yml", "missing top-level key 'avoidable'"],
    ),
    "step_before_replacing_unknown": dict(
        file="escalation.yml",
        change=lambda d: d["avoidable"]["before_replacing"].append("swap_camera"),
        expect=["escalation.yml", "avoidable", "before_replacing names unknown move 'swap_camera'"],
    ),
    "relapse_and_fix_above_one": dict(
        file="diagnostic_steps.yml",
        change=lambda d: move(d, "steps", "factory_reset")["relapses"].update(config_corruption=0.9),
        expect=["diagnostic_steps.yml", "move factory_reset", "fixes and relapses for 'config_corruption'"],
    ),
    "reserve_out_of_range": dict(
        file="causes.yml",
        change=lambda d: d["causes"][-1].update(reserve=1.5),
        expect=["causes.yml", "other", "reserve"],
    ),
    "ranked_cause_with_a_reserve": dict(
        file="causes.yml",
        change=lambda d: d["causes"][0].update(reserve=0.1),
        expect=["causes.yml", "wifi_radio_crash", "takes no reserve"],
    ),
    "evidence_line_with_unknown_option": dict(
        file="causes.yml",
        change=lambda d: d["causes"][0]["disproves"][0]["when"][0][0].update({"in": ["maybe"]}),
        expect=["causes.yml", "wifi_radio_crash", "unknown option 'maybe'"],
    ),
    "evidence_line_without_when_or_later": dict(
        file="causes.yml",
        change=lambda d: d["causes"][0]["confirms"][0].pop("when"),
        expect=["causes.yml", "wifi_radio_crash", "exactly one of `when` or `later`"],
    ),
    "cloud_dependency_not_strings": dict(
        file="cloud_dependency.yml",
        change=lambda d: d["cloud_dependency"].append(42),
        expect=["cloud_dependency.yml", "cloud_dependency", "list of non-empty strings"],
    ),
}


def test_a_parsed_and_rewritten_copy_still_loads(copy, k):
    """The rewriting used below changes nothing by itself."""
    for file in SECTIONS:
        mutate(copy, file, lambda data: None)
    assert load_knowledge_from(copy) == k


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_copy_is_rejected_with_file_item_and_problem(copy, case):
    spec = BROKEN[case]
    mutate(copy, spec["file"], spec["change"])
    message = rejected(copy)
    for part in spec["expect"]:
        assert part in message, f"{part!r} not in {message!r}"


def test_missing_file_is_named(copy):
    (copy / "patterns.yml").unlink()
    message = rejected(copy)
    assert message.startswith("patterns.yml: missing from")
    assert str(copy) in message


def test_invalid_yaml_is_named(copy):
    (copy / "causes.yml").write_text("causes: [unclosed\n  - id: x\n", encoding="utf-8")
    message = rejected(copy)
    assert message.startswith("causes.yml: not valid YAML")
    assert "line" in message  # PyYAML's position of the error


def test_not_a_mapping_is_named(copy):
    (copy / "symptoms.yml").write_text("- just\n- a list\n", encoding="utf-8")
    assert rejected(copy) == "symptoms.yml: expected a mapping at the top level"


def test_empty_section_is_named(copy):
    (copy / "false_fixes.yml").write_text("false_fixes: []\n", encoding="utf-8")
    assert rejected(copy) == "false_fixes.yml: false_fixes: expected a non-empty list"


def test_duplicate_move_ids_are_named(copy):
    mutate(
        copy,
        "physical_inspection.yml",
        lambda d: _set(move(d, "physical_inspection", "lens_clear"), "id", "housing_cracks"),
    )
    message = rejected(copy)
    assert "duplicate move ids ['housing_cracks']" in message


def test_other_cause_is_required(copy):
    mutate(copy, "causes.yml", lambda d: _set(_cause(d, "other"), "id", "unknown"))
    message = rejected(copy)
    assert message.startswith("causes.yml: causes:")
    assert "'other'" in message


def test_knowledge_error_is_a_value_error():
    assert issubclass(KnowledgeError, ValueError)


def test_broken_copy_does_not_poison_the_cache(copy, k):
    mutate(copy, "causes.yml", lambda d: _set(_cause(d, "wifi_radio_crash"), "frequency", 35))
    with pytest.raises(KnowledgeError):
        load_knowledge(copy)
    assert load_knowledge() is k


def test_loader_and_validation_import_one_way():
    """validation.py needs only the error (bot/knowledge/errors.py), never the loader that calls it."""
    import ast

    import bot.knowledge.errors
    import bot.knowledge.loader
    import bot.knowledge.validation

    source = Path(bot.knowledge.validation.__file__).read_text()
    imported = {node.module for node in ast.walk(ast.parse(source)) if isinstance(node, ast.ImportFrom) and node.module}
    assert "bot.knowledge.loader" not in imported
    assert bot.knowledge.loader.KnowledgeError is bot.knowledge.errors.KnowledgeError is KnowledgeError


@pytest.mark.parametrize(
    "role, value, words",
    [
        ("safety_action", "camera_age", "safety_action"),  # a question where a step is wanted
        ("cloud_cause", "cloud_dnss", "cloud_cause"),
        ("safety_notice_question", "camera_age", "no safety notice"),
        ("first_month_threshold", "first_monthh", "first_month_threshold"),
    ],
)
def test_a_role_naming_something_the_guide_does_not_have_is_rejected(copy, role, value, words):
    path = copy / "roles.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["roles"][role] = value
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    message = rejected(copy)
    assert "roles.yml" in message and words in message, message


def test_the_engine_reads_its_special_items_from_the_roles(k):
    import inspect

    import bot.engine.engine as engine_module
    import bot.engine.outcome as outcome_module

    for module in (engine_module, outcome_module):
        source = inspect.getsource(module)
        for item in (k.roles.safety_action, k.roles.age_question, k.roles.cloud_cause, k.roles.warranty_question):
            assert f'"{item}"' not in source, f"{module.__name__} names {item!r}: read it from k.roles"


def test_every_move_has_a_short_title_for_summaries(k):
    # the hand-off summary and the ticket name each step by its title, not by its whole instruction
    for move in k.moves:
        assert move.title, move.id
        assert len(move.title) <= 50 and move.title != move.prompt, move.id
    assert len({m.title for m in k.moves}) == len(k.moves)

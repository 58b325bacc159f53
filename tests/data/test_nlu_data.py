"""Sanity checks for the NLU training data in data/nlu.

The YAML files are read with plain PyYAML (no Rasa import) so the test is fast
and independent of the Rasa installation.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = REPO_ROOT / "data" / "nlu"
NLU_FILES = ["symptoms.yml", "dialogue.yml", "out_of_scope.yml"]

SYMPTOM_INTENTS = [
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

DIALOGUE_MINIMUMS = {
    "greet": 20,
    "goodbye": 20,
    "thank": 20,
    "affirm": 30,
    "deny": 30,
    "not_sure": 20,
    "skip": 20,
    "go_back": 20,
    "start_over": 20,
    "human_handoff": 30,
    "how_to": 20,
    "bot_challenge": 20,
    "vague_problem": 30,
    "inform": 30,
}

OUT_OF_SCOPE_MINIMUM = 80
SYMPTOM_MINIMUM = 45

ALL_INTENTS = SYMPTOM_INTENTS + list(DIALOGUE_MINIMUMS) + ["out_of_scope"]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def _parse_examples(block: str) -> list[str]:
    examples = []
    for line in block.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        assert stripped.startswith("- "), f"example line must start with '- ': {line!r}"
        examples.append(stripped[2:].strip())
    return examples


def _load_entries() -> list[tuple[str, str, str]]:
    """Return (file name, intent, example text) for every example."""
    entries = []
    for name in NLU_FILES:
        path = NLU_DIR / name
        assert path.is_file(), f"missing NLU file {path}"
        with path.open(encoding="utf-8") as handle:
            doc = yaml.safe_load(handle)
        assert isinstance(doc, dict), f"{name}: top level must be a mapping"
        assert str(doc.get("version")) == "3.1", f'{name}: version must be "3.1"'
        items = doc.get("nlu")
        assert isinstance(items, list) and items, f"{name}: 'nlu' must be a non-empty list"
        for item in items:
            assert "intent" in item, f"{name}: only intent blocks are expected, got {item}"
            assert isinstance(item.get("examples"), str), f"{name}: {item['intent']} has no examples block"
            for text in _parse_examples(item["examples"]):
                entries.append((name, item["intent"], text))
    return entries


@pytest.fixture(scope="module")
def entries() -> list[tuple[str, str, str]]:
    return _load_entries()


@pytest.fixture(scope="module")
def by_intent(entries) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for _, intent, text in entries:
        grouped[intent].append(text)
    return grouped


def test_every_intent_exists(by_intent):
    missing = [intent for intent in ALL_INTENTS if intent not in by_intent]
    assert not missing, f"missing intents: {missing}"


def test_no_unexpected_intents(by_intent):
    unexpected = sorted(set(by_intent) - set(ALL_INTENTS))
    assert not unexpected, f"unexpected intents: {unexpected}"


@pytest.mark.parametrize("intent", SYMPTOM_INTENTS)
def test_symptom_intent_has_enough_examples(by_intent, intent):
    count = len(by_intent.get(intent, []))
    assert count >= SYMPTOM_MINIMUM, f"{intent} has {count} examples, needs {SYMPTOM_MINIMUM}"


@pytest.mark.parametrize("intent,minimum", sorted(DIALOGUE_MINIMUMS.items()))
def test_dialogue_intent_has_enough_examples(by_intent, intent, minimum):
    count = len(by_intent.get(intent, []))
    assert count >= minimum, f"{intent} has {count} examples, needs {minimum}"


def test_out_of_scope_has_enough_examples(by_intent):
    count = len(by_intent.get("out_of_scope", []))
    assert count >= OUT_OF_SCOPE_MINIMUM, f"out_of_scope has {count} examples"


def test_each_intent_defined_once(entries):
    blocks = defaultdict(set)
    for name, intent, _ in entries:
        blocks[intent].add(name)
    spread = {intent: sorted(files) for intent, files in blocks.items() if len(files) > 1}
    assert not spread, f"intents defined in more than one file: {spread}"


def test_no_duplicate_examples_within_an_intent(by_intent):
    duplicates = []
    for intent, texts in by_intent.items():
        seen = set()
        for text in texts:
            key = _normalise(text)
            if key in seen:
                duplicates.append((intent, text))
            seen.add(key)
    assert not duplicates, f"duplicated examples: {duplicates}"


def test_no_example_under_two_intents(entries):
    owners: dict[str, set[str]] = defaultdict(set)
    for _, intent, text in entries:
        owners[_normalise(text)].add(intent)
    clashes = {text: sorted(intents) for text, intents in owners.items() if len(intents) > 1}
    assert not clashes, f"examples listed under more than one intent: {clashes}"


def test_no_entity_annotations_or_empty_examples(entries):
    bad = [(intent, text) for _, intent, text in entries if not text or re.search(r"\[[^\]]*\]\s*[({]", text)]
    assert not bad, f"empty or annotated examples: {bad}"

"""domain.yml, data/rules.yml, the NLU data, the custom actions and the knowledge's symptoms name the same
things: a symptom added to the guide without its intent, an intent without examples or without the rule
that sends it to action_turn, or an action the server does not have, fails here and not in a conversation."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, List, Set

import yaml

from bot.knowledge import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
# sent by a channel as "/handoff_event", never read from words: it has no examples
CHANNEL_INTENTS = {"handoff_event"}
RASA_INTENTS = {"nlu_fallback"}  # Rasa's FallbackClassifier predicts it; the domain does not list it


def _yaml(path: Path) -> Dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _domain_intents() -> List[str]:
    return [i if isinstance(i, str) else next(iter(i)) for i in _yaml(ROOT / "domain.yml")["intents"]]


def _nlu_intents() -> Dict[str, str]:
    found: Dict[str, str] = {}
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for block in _yaml(path).get("nlu") or []:
            if "intent" in block:
                assert block["intent"] not in found, f"{block['intent']} in {found[block['intent']]} and {path.name}"
                found[block["intent"]] = path.name
    return found


def _rule_intents() -> Set[str]:
    found: Set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            if "intent" in node:
                found.add(node["intent"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(_yaml(ROOT / "data" / "rules.yml").get("rules"))
    return found


def _action_names() -> Set[str]:
    """The names the action classes under actions/ return from name()."""
    names: Set[str] = set()
    for path in (ROOT / "actions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name == "name":
                for ret in ast.walk(node):
                    if isinstance(ret, ast.Return) and isinstance(ret.value, ast.Constant):
                        names.add(str(ret.value.value))
    return names


def test_every_domain_intent_has_examples_and_every_example_intent_is_in_the_domain():
    domain, nlu = set(_domain_intents()), set(_nlu_intents())
    assert domain - CHANNEL_INTENTS == nlu, {
        "no examples": domain - CHANNEL_INTENTS - nlu,
        "not in domain": nlu - domain,
    }


def test_the_rule_sends_every_intent_to_the_diagnosis():
    assert _rule_intents() == set(_domain_intents()) | RASA_INTENTS


def test_every_symptom_of_the_guide_is_an_intent_with_its_examples_in_symptoms_yml():
    symptoms = {s.id for s in load_knowledge().symptoms}
    nlu = _nlu_intents()
    assert symptoms <= set(_domain_intents())
    assert {i for i, f in nlu.items() if f == "symptoms.yml"} == symptoms


def test_every_domain_action_is_one_the_action_server_has():
    actions = set(_yaml(ROOT / "domain.yml")["actions"])
    assert actions <= _action_names(), actions - _action_names()

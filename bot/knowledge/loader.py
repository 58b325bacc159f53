"""Load data/knowledge/*.yml into a validated `Knowledge` object.

Every error names the file, the item and what is wrong, so a typo in the guide data is found
from the message alone.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Type

import yaml
from pydantic import BaseModel, ValidationError

from bot.knowledge.causes import Cause
from bot.knowledge.errors import KnowledgeError
from bot.knowledge.escalation import AvoidableRule, Route, Thresholds
from bot.knowledge.fixes import FalseFix, FixScenario, PostFixCheck, ResetBehaviour
from bot.knowledge.guide import Knowledge, Roles
from bot.knowledge.moves import Cost
from bot.knowledge.procedure import DerivedQuestion, DiagnosticStep, ElectricalCheck, PhysicalCheck, TriageTest
from bot.knowledge.symptoms import Pattern, Symptom
from bot.knowledge.validation import validate

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "knowledge"


# file -> {top-level key: item model (for lists) or None (kept as is)}
SECTIONS: Dict[str, Dict[str, Any]] = {
    "causes.yml": {"causes": Cause},
    "patterns.yml": {"patterns": Pattern},
    "symptoms.yml": {"symptoms": Symptom},
    "triage_tests.yml": {"triage_tests": TriageTest},
    "diagnostic_steps.yml": {"steps": DiagnosticStep},
    "questions.yml": {"questions": DerivedQuestion},
    "physical_inspection.yml": {"physical_inspection": PhysicalCheck},
    "electrical_checks.yml": {"electrical_checks": ElectricalCheck},
    "reset_behaviour.yml": {"reset_behaviours": ResetBehaviour},
    "false_fixes.yml": {"false_fixes": FalseFix},
    "fix_scenarios.yml": {"fix_scenarios": FixScenario},
    "post_fix_checks.yml": {"post_fix_checks": PostFixCheck},
    "escalation.yml": {
        "thresholds": Thresholds,
        "rework_cost": Cost,
        "turn_cost": Cost,
        "avoidable": AvoidableRule,
        "routes": Route,
    },
    "cloud_dependency.yml": {"cloud_dependency": str},
    "roles.yml": {"roles": Roles},
}


def _describe(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for key in ("id", "name", "part", "number"):
            if key in item:
                label = item[key]
                if key == "number":
                    return f"item {index} (number {label})"
                move = item.get("move")
                suffix = f", move {move.get('id')}" if isinstance(move, dict) and "id" in move else ""
                return f"item {index} ({label}{suffix})"
        if isinstance(item.get("move"), dict) and "id" in item["move"]:
            return f"item {index} (move {item['move']['id']})"
    return f"item {index}"


def _format(error: ValidationError) -> str:
    parts = []
    for e in error.errors():
        where = ".".join(str(p) for p in e["loc"] if p != "__root__")
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    return "; ".join(parts)


def _parse(file: str, key: str, kind: Any, raw: Any) -> Any:
    if kind is float:
        if not isinstance(raw, (int, float)):
            raise KnowledgeError(f"{file}: {key}: expected a number, got {raw!r}")
        return float(raw)
    if kind is str:
        if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
            raise KnowledgeError(f"{file}: {key}: expected a list of non-empty strings")
        return raw
    assert isinstance(kind, type) and issubclass(kind, BaseModel)
    model: Type[BaseModel] = kind
    if key in ("thresholds", "rework_cost", "turn_cost", "avoidable", "roles"):
        try:
            return model.parse_obj(raw)
        except ValidationError as error:
            raise KnowledgeError(f"{file}: {key}: {_format(error)}") from None
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError(f"{file}: {key}: expected a non-empty list")
    items = []
    for index, item in enumerate(raw):
        try:
            items.append(model.parse_obj(item))
        except ValidationError as error:
            raise KnowledgeError(f"{file}: {key} {_describe(item, index)}: {_format(error)}") from None
    return items


def load_knowledge_from(directory: Path) -> Knowledge:
    directory = Path(directory)
    parts: Dict[str, Any] = {}
    for file, keys in SECTIONS.items():
        path = directory / file
        if not path.is_file():
            raise KnowledgeError(f"{file}: missing from {directory}")
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as error:
            raise KnowledgeError(f"{file}: not valid YAML: {error}") from None
        if not isinstance(data, dict):
            raise KnowledgeError(f"{file}: expected a mapping at the top level")
        unknown = set(data) - set(keys)
        if unknown:
            raise KnowledgeError(f"{file}: unknown top-level keys {sorted(unknown)}")
        for key, kind in keys.items():
            if key not in data:
                raise KnowledgeError(f"{file}: missing top-level key {key!r}")
            parts[key] = _parse(file, key, kind, data[key])
    knowledge = Knowledge(**parts)
    validate(knowledge)
    return knowledge


@lru_cache(maxsize=4)
def _cached(directory: str) -> Knowledge:
    return load_knowledge_from(Path(directory))


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """The guide, loaded once per directory."""
    return _cached(str(Path(directory or DEFAULT_DIR).resolve()))

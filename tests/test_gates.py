"""The project's gates run with the tests, so CI (scripts/test) fails on a lint, format, type or data error."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [("check", "."), ("format", "--check", ".")], ids=["lint", "format"])
def test_ruff(command):
    result = run(str(RUFF), *command)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rasa_data_validate():
    """Domain, rules and NLU data agree (intents, responses, story conflicts), warnings included."""
    result = run(str(Path(sys.executable).with_name("rasa")), "data", "validate", "--fail-on-warnings")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_data_validate_fails_on_a_broken_rule(tmp_path):
    """The gate can fail: a rule that names an action the domain does not have."""
    (tmp_path / "rules.yml").write_text(
        'version: "3.1"\nrules:\n- rule: broken\n  steps:\n  - intent: greet\n  - action: action_that_does_not_exist\n'
    )
    rasa = str(Path(sys.executable).with_name("rasa"))
    data = ("--data", "data/nlu", "data/rules.yml", str(tmp_path / "rules.yml"))
    result = run(rasa, "data", "validate", "--fail-on-warnings", *data)
    assert result.returncode != 0
    assert "action_that_does_not_exist" in result.stdout + result.stderr


def test_mypy():
    """bot/ and actions/ type-check (configuration in pyproject.toml)."""
    result = run(str(Path(sys.executable).with_name("mypy")))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


# -- the house's size and guide-id rules (issue 13) -------------------------------------------------

PRODUCT = ("bot", "actions", "rasa_channels", "components", "server", "rasa_sdk_plugins")
MAX_FILE_LINES = 500
MAX_FUNCTION_LINES = 60


def _product_files():
    for folder in PRODUCT:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "vendor" not in path.parts:
                yield path


def test_no_product_file_over_500_lines():
    long = [
        (str(p.relative_to(ROOT)), n)
        for p in _product_files()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES
    ]
    assert long == []


def test_no_function_over_60_lines():
    long = []
    for path in _product_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append((str(path.relative_to(ROOT)), node.name, lines))
    assert long == []


def test_no_guide_id_in_the_engine_or_the_dialogue():
    """The guide's moves, causes, symptoms, routes and thresholds are named in data/knowledge (roles.yml
    for the few the program treats specially), never as a string in bot/engine or bot/dialogue."""
    from bot.knowledge import load_knowledge

    k = load_knowledge()
    ids = {m.id for m in k.moves} | {c.id for c in k.causes} | {s.id for s in k.symptoms}
    ids |= {r.id for r in k.routes} | {t.id for t in k.thresholds.all()}
    ids |= {o.id for m in k.moves for o in m.answer_options if len(o.id) > 3}  # "yes"/"no" are words
    # recommendation kinds are the schema's words and intents the NLU's, not the guide's items
    kinds = {"replace", "return", "contact_support", "wait_for_outage", "human_support", "safety"}
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    kinds |= {i if isinstance(i, str) else next(iter(i)) for i in domain["intents"]}
    found = [
        (str(path.relative_to(ROOT)), node.lineno, node.value)
        for folder in ("bot/engine", "bot/dialogue")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ids - kinds
    ]
    assert found == []

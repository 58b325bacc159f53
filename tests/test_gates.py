"""The project's gates run with the tests, so CI (scripts/test) fails on a lint, format, type or data error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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

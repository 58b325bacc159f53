"""The diagnosis benchmark as the issue runs it: 2000 cases, seed 7, and every acceptance target."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report():
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "diagnosis.py")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    lines = done.stdout.strip().splitlines()
    return done.returncode, lines, json.loads(lines[-1])


def test_last_line_has_the_keys_other_tools_read(report):
    _, _, data = report
    for side in ("engine", "flowchart"):
        assert {"correct_rate", "mean_questions", "mean_cost", "escalation_rate"} <= set(data[side])
    assert data["lower_bound_questions"] > 0
    assert data["cases"] == 2000 and data["seed"] == 7


@pytest.mark.parametrize("target", ["correct_rate", "cost_below_flowchart", "questions_over_bound", "decision_p95_ms"])
def test_every_target_holds(report, target):
    _, lines, data = report
    assert data["targets"][target]["pass"], "\n".join(lines)


def test_the_targets_agree_with_the_figures(report):
    _, _, data = report
    eng, flow = data["engine"], data["flowchart"]
    assert data["targets"]["correct_rate"]["value"] == eng["correct_rate"] >= 0.95
    assert 1 - eng["mean_cost"] / flow["mean_cost"] >= 0.40
    assert eng["mean_questions"] <= 1.5 * data["lower_bound_questions"]


def test_exit_code_is_zero_when_everything_holds(report):
    code, lines, _ = report
    assert code == 0, "\n".join(lines)


def _bench():
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_diagnosis_under_test", REPO_ROOT / "bench" / "diagnosis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "change, failing",
    [
        ({"correct_rate": 0.94}, "correct_rate"),
        ({"mean_cost": 61.0}, "cost_below_flowchart"),
        ({"mean_questions": 1.06}, "questions_over_bound"),
    ],
)
def test_a_missed_target_fails(change, failing):
    bench = _bench()
    eng = {"correct_rate": 0.97, "mean_cost": 50.0, "mean_questions": 0.9, **change}
    flow = {"correct_rate": 0.88, "mean_cost": 100.0, "mean_questions": 1.1}
    checks = bench.targets(eng, flow, 0.7, {"p95_ms": 1.0})
    assert [name for name, c in checks.items() if not c["pass"]] == [failing]
    assert not bench.targets(eng, flow, 0.7, {"p95_ms": 6.0})["decision_p95_ms"]["pass"]

"""The diagnosis benchmark runs in CI on a seed the README does not report (11), smaller, without the
optimum search: its report is well formed, and the properties the engine must hold in every world
hold here too (the README's figures come from `python bench/diagnosis.py`, seeds 7, 8, 9)."""

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
        [sys.executable, str(REPO_ROOT / "bench" / "diagnosis.py"), "--cases", "600", "--seeds", "11", "--no-optimum"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = done.stdout.strip().splitlines()
    assert done.returncode in (0, 2), done.stderr[-3000:]
    return done.returncode, lines, json.loads(lines[-1])


def test_the_report_has_both_worlds_every_policy_and_every_target(report):
    _, lines, data = report
    assert data["cases"] == 600 and data["seeds"] == [11]
    for world in ("independent", "model"):
        for policy in ("engine", "guide_baseline", "escalate_at_once"):
            assert set(data["worlds"][world][policy]) >= {"strict", "lenient", "avoidable", "assumed", "cost"}
    assert set(data["targets"]) >= {
        "strict_independent",
        "avoidable_independent",
        "assumed_thresholds",
        "cost_below_guide_baseline",
        "decision_p95_ms",
    }
    known = data["worlds"]["independent"]["knows_the_cause"]
    assert known["strict"]["mean"] == 1.0
    assert known["cost"]["mean"] < data["worlds"]["independent"]["engine"]["cost"]["mean"]
    assert any("of the gap between the guide's procedure and knowing the cause" in line for line in lines)
    assert any(line.startswith("target strict_independent") and line.endswith(("PASS", "FAIL")) for line in lines)


def test_the_exit_code_says_whether_every_target_holds(report):
    code, _, data = report
    assert code == (0 if all(t["pass"] for t in data["targets"].values()) else 2)


def test_no_ending_rests_on_an_assumption_in_either_world(report):
    _, _, data = report
    for world in ("independent", "model"):
        assert data["worlds"][world]["engine"]["assumed"]["max"] == 0


def test_the_engine_beats_the_guide_baseline_and_the_floor(report):
    _, lines, data = report
    for world in ("independent", "model"):
        eng, base, floor = (data["worlds"][world][p] for p in ("engine", "guide_baseline", "escalate_at_once"))
        assert eng["strict"]["mean"] > base["strict"]["mean"] > floor["strict"]["mean"], "\n".join(lines)
        assert eng["cost"]["mean"] < base["cost"]["mean"], "\n".join(lines)
        assert eng["avoidable"]["mean"] <= 0.02, "\n".join(lines)

"""bench/sim/runner.py: knowing the cause is a floor no policy goes below, case by case."""

from __future__ import annotations

import pytest

from bench.sim import world
from bench.sim.baseline import run_guide_baseline
from bench.sim.judge import resolution_cost
from bench.sim.runner import knows_the_cause, run_engine
from bot.engine import DiagnosisEngine


@pytest.fixture(scope="module")
def engine():
    return DiagnosisEngine()


def test_no_policy_ends_a_case_for_less_than_knowing_the_cause(engine):
    for situation in world.situations(300, 13):
        floor = knows_the_cause(engine, situation.fresh()).cost
        for result in (run_engine(engine, situation.fresh()), run_guide_baseline(engine.k, situation.fresh())):
            assert result.cost >= floor - 1e-9, (situation.truth, result.moves, result.cost, floor)


def test_knowing_the_cause_counts_a_repair_that_fixes_this_camera(engine):
    # some cameras take a repair that the situation's truth does not list (an app bug the update fixes,
    # a corrupted configuration the reset clears for good): knowing the camera, that repair is the ending
    cheaper = []
    for situation in world.situations(1000, 7):
        known = knows_the_cause(engine, situation.fresh())
        assert known.strict and known.ending == "known"
        assert known.cost <= resolution_cost(engine.k, situation.truth)
        if known.cost < resolution_cost(engine.k, situation.truth):
            cheaper.append(situation.truth.cause)
    assert {"app_bug", "config_corruption"} <= set(cheaper)

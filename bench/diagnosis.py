"""Diagnosis benchmark: the engine against the guide's static flowchart on simulated customers.

    python bench/diagnosis.py [--cases 2000] [--wrong 0.05] [--seed 7]

Prints a table, then one JSON line (keys engine, flowchart, lower_bound_questions). Exits 1 when
the engine does worse than the flowchart (lower correct rate or higher mean cost).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.engine import DiagnosisEngine  # noqa: E402
from bot.engine.simulation import (  # noqa: E402
    draw_case, entropy_lower_bound, run_engine_case, run_flowchart_case,
)


def summarise(results):
    return {
        "correct_rate": round(sum(r.correct for r in results) / len(results), 4),
        "cause_named_rate": round(sum(r.cause_named for r in results) / len(results), 4),
        "mean_questions": round(statistics.mean(r.questions for r in results), 3),
        "mean_steps": round(statistics.mean(r.questions + r.actions + r.closing for r in results), 3),
        "mean_closing_questions": round(statistics.mean(r.closing for r in results), 3),
        "mean_cost": round(statistics.mean(r.cost for r in results), 2),
        "escalation_rate": round(sum(r.escalated for r in results) / len(results), 4),
    }


def decision_latency(engine: DiagnosisEngine, cases, rng) -> dict:
    """Time `next_step` (the per-turn decision) over states met along real simulated cases."""
    from bot.engine.engine import Ask
    from bot.engine.simulation import Customer

    timings = []
    for cause, symptom in cases:
        state = engine.start([symptom])
        customer = Customer(engine.k, cause, rng, 0.05)
        for _ in range(40):
            t0 = time.perf_counter()
            step = engine.next_step(state)
            timings.append((time.perf_counter() - t0) * 1000)
            if not isinstance(step, Ask):
                break
            engine.answer(state, step.move.id, customer.respond(step.move.id))
    timings.sort()
    return {
        "decisions": len(timings),
        "p50_ms": round(timings[len(timings) // 2], 3),
        "p95_ms": round(timings[int(len(timings) * 0.95)], 3),
        "max_ms": round(timings[-1], 3),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--wrong", type=float, default=0.05, help="share of answers given wrongly")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    engine = DiagnosisEngine()
    rng = np.random.default_rng(args.seed)
    cases = [draw_case(engine.k, rng) for _ in range(args.cases)]
    engine_results = [run_engine_case(engine, c, s, rng, args.wrong) for c, s in cases]
    flow_results = [run_flowchart_case(engine.k, c, s, rng, args.wrong) for c, s in cases]
    eng, flow = summarise(engine_results), summarise(flow_results)
    bound = entropy_lower_bound(engine.k)
    latency = decision_latency(engine, cases[:200], rng)

    print(f"{args.cases} simulated cases, {args.wrong:.0%} of answers wrong at random, seed {args.seed}")
    print(f"{'':12}{'correct':>9}{'cause named':>13}{'questions':>11}{'steps':>8}{'cost':>9}{'escalated':>11}")
    for name, s in (("engine", eng), ("flowchart", flow)):
        print(f"{name:12}{s['correct_rate']:>9.1%}{s['cause_named_rate']:>13.1%}{s['mean_questions']:>11.2f}"
              f"{s['mean_steps']:>8.2f}{s['mean_cost']:>9.1f}{s['escalation_rate']:>11.1%}")
    print("correct: fixed, or escalated along a route the guide prescribes for the true cause; "
          "cause named: the true cause named at the end (strict)")
    print(f"cost vs flowchart: {1 - eng['mean_cost'] / flow['mean_cost']:.1%} lower")
    print(f"information bound: H(cause|symptom) = {bound['entropy_bits']:.3f} bits, "
          f"{bound['bits_per_question']:.3f} bits/question -> {bound['lower_bound_questions']:.3f} questions; "
          f"engine at {eng['mean_questions'] / bound['lower_bound_questions']:.2f}x")
    print(f"decision latency over {latency['decisions']} turns: p50 {latency['p50_ms']} ms, "
          f"p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms")
    by_cause = {}
    for r in engine_results:
        by_cause.setdefault(r.cause, []).append(r)
    for cause, rs in sorted(by_cause.items()):
        print(f"  {cause:20} n={len(rs):4}  correct {sum(r.correct for r in rs) / len(rs):.1%}"
              f"  named {sum(r.cause_named for r in rs) / len(rs):.1%}"
              f"  cost {statistics.mean(r.cost for r in rs):6.1f}  questions {statistics.mean(r.questions for r in rs):.2f}")
    print(json.dumps({
        "engine": eng, "flowchart": flow,
        "lower_bound_questions": round(bound["lower_bound_questions"], 3),
        "decision_ms": latency,
        "cases": args.cases,
    }))
    worse = eng["correct_rate"] < flow["correct_rate"] or eng["mean_cost"] > flow["mean_cost"]
    return 1 if worse else 0


if __name__ == "__main__":
    sys.exit(main())

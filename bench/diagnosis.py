"""Diagnosis benchmark: the engine against the guide's static flowchart on simulated customers.

    python bench/diagnosis.py [--cases 2000] [--wrong 0.05] [--seed 7]
    python bench/diagnosis.py --frontier [--seed 1]

Prints a table, the issue's targets with PASS/FAIL, then one JSON line (keys engine, flowchart,
lower_bound_questions, targets). Exits 1 when the engine does worse than the flowchart (lower
correct rate or higher mean cost), 2 when it is better but misses a target.

--frontier runs the engine at a range of question prices (the knowledge's `question_cost`, the
Lagrange price of the question budget) and names the smallest price that keeps mean questions
within the budget with a 10% margin. Calibrate on a seed other than the reporting seed (7).
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
    draw_case,
    entropy_lower_bound,
    run_engine_case,
    run_flowchart_case,
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


# The acceptance targets.
MIN_CORRECT = 0.95
MIN_COST_CUT = 0.40  # mean cost at least 40% below the flowchart
MAX_BOUND_RATIO = 1.5  # mean questions within 1.5x the information bound
MAX_DECISION_MS = 5.0  # p95 of one `next_step`
FRONTIER_PRICES = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15)
FRONTIER_MARGIN = 0.9


def targets(eng: dict, flow: dict, bound: float, latency: dict) -> dict:
    cut = 1 - eng["mean_cost"] / flow["mean_cost"]
    ratio = eng["mean_questions"] / bound
    return {
        "correct_rate": {
            "value": eng["correct_rate"],
            "target": f">= {MIN_CORRECT}",
            "pass": eng["correct_rate"] >= MIN_CORRECT,
        },
        "cost_below_flowchart": {"value": round(cut, 4), "target": f">= {MIN_COST_CUT}", "pass": cut >= MIN_COST_CUT},
        "questions_over_bound": {
            "value": round(ratio, 3),
            "target": f"<= {MAX_BOUND_RATIO}",
            "pass": ratio <= MAX_BOUND_RATIO,
        },
        "decision_p95_ms": {
            "value": latency["p95_ms"],
            "target": f"< {MAX_DECISION_MS}",
            "pass": latency["p95_ms"] < MAX_DECISION_MS,
        },
    }


def run(engine: DiagnosisEngine, n: int, seed: int, wrong: float):
    rng = np.random.default_rng(seed)
    cases = [draw_case(engine.k, rng) for _ in range(n)]
    engine_results = [run_engine_case(engine, c, s, rng, wrong) for c, s in cases]
    flow_results = [run_flowchart_case(engine.k, c, s, rng, wrong) for c, s in cases]
    return cases, engine_results, flow_results, rng


def frontier(args) -> int:
    """Mean questions against mean cost as the question price grows."""
    from bot.knowledge import load_knowledge
    from bot.knowledge.model import Cost

    base = load_knowledge()
    bound = entropy_lower_bound(base)["lower_bound_questions"]
    budget = MAX_BOUND_RATIO * bound * FRONTIER_MARGIN
    print(
        f"{args.cases} cases, seed {args.seed}; question budget {MAX_BOUND_RATIO}x bound {bound:.3f} "
        f"= {MAX_BOUND_RATIO * bound:.3f}, with a {1 - FRONTIER_MARGIN:.0%} margin {budget:.3f}"
    )
    print(f"{'price':>6}{'questions':>11}{'x bound':>9}{'cost':>8}{'flowchart':>11}{'correct':>9}")
    rows = []
    for price in FRONTIER_PRICES:
        knowledge = base.copy(update={"question_cost": Cost(minutes=max(price, 1e-9), difficulty=1, reason="frontier")})
        _, eng_r, flow_r, _ = run(DiagnosisEngine(knowledge), args.cases, args.seed, args.wrong)
        eng, flow = summarise(eng_r), summarise(flow_r)
        rows.append({"price": price, **eng, "flowchart_cost": flow["mean_cost"]})
        print(
            f"{price:>6}{eng['mean_questions']:>11.2f}{eng['mean_questions'] / bound:>9.2f}{eng['mean_cost']:>8.1f}"
            f"{flow['mean_cost']:>11.1f}{eng['correct_rate']:>9.1%}"
        )
    ok = [
        r
        for r in rows
        if r["mean_questions"] <= budget
        and r["correct_rate"] >= MIN_CORRECT
        and 1 - r["mean_cost"] / r["flowchart_cost"] >= MIN_COST_CUT
    ]
    chosen = ok[0]["price"] if ok else None
    print(f"smallest price within the budget: {chosen}; the knowledge has {base.question_cost.value:g}")
    print(json.dumps({"frontier": rows, "budget": round(budget, 3), "recommended_price": chosen}))
    return 0 if chosen is not None else 2


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
    parser.add_argument("--seed", type=int, default=None, help="7 for the report, 1 for --frontier")
    parser.add_argument("--frontier", action="store_true", help="calibrate the question price")
    args = parser.parse_args()
    if args.frontier:
        args.seed = 1 if args.seed is None else args.seed
        return frontier(args)
    args.seed = 7 if args.seed is None else args.seed

    engine = DiagnosisEngine()
    cases, engine_results, flow_results, rng = run(engine, args.cases, args.seed, args.wrong)
    eng, flow = summarise(engine_results), summarise(flow_results)
    bound = entropy_lower_bound(engine.k)
    latency = decision_latency(engine, cases[:200], rng)

    print(f"{args.cases} simulated cases, {args.wrong:.0%} of answers wrong at random, seed {args.seed}")
    print(f"{'':12}{'correct':>9}{'cause named':>13}{'questions':>11}{'steps':>8}{'cost':>9}{'escalated':>11}")
    for name, s in (("engine", eng), ("flowchart", flow)):
        print(
            f"{name:12}{s['correct_rate']:>9.1%}{s['cause_named_rate']:>13.1%}{s['mean_questions']:>11.2f}"
            f"{s['mean_steps']:>8.2f}{s['mean_cost']:>9.1f}{s['escalation_rate']:>11.1%}"
        )
    print(
        "correct: fixed, or escalated along a route the guide prescribes for the true cause; "
        "cause named: the true cause named at the end (strict)"
    )
    print(f"cost vs flowchart: {1 - eng['mean_cost'] / flow['mean_cost']:.1%} lower")
    print(
        f"information bound: H(cause|symptom) = {bound['entropy_bits']:.3f} bits, "
        f"{bound['bits_per_question']:.3f} bits/question -> {bound['lower_bound_questions']:.3f} questions; "
        f"engine at {eng['mean_questions'] / bound['lower_bound_questions']:.2f}x"
    )
    print(
        f"decision latency over {latency['decisions']} turns: p50 {latency['p50_ms']} ms, "
        f"p95 {latency['p95_ms']} ms, max {latency['max_ms']} ms"
    )
    by_cause = {}
    for r in engine_results:
        by_cause.setdefault(r.cause, []).append(r)
    for cause, rs in sorted(by_cause.items()):
        print(
            f"  {cause:20} n={len(rs):4}  correct {sum(r.correct for r in rs) / len(rs):.1%}"
            f"  named {sum(r.cause_named for r in rs) / len(rs):.1%}"
            f"  cost {statistics.mean(r.cost for r in rs):6.1f}"
            f"  questions {statistics.mean(r.questions for r in rs):.2f}"
        )
    checks = targets(eng, flow, bound["lower_bound_questions"], latency)
    print(f"question price (planner only): {engine.k.question_cost.value:g} customer-minutes")
    for name, c in checks.items():
        print(f"target {name:22} {c['value']:>8} {c['target']:>7}  {'PASS' if c['pass'] else 'FAIL'}")
    print(
        json.dumps(
            {
                "engine": eng,
                "flowchart": flow,
                "lower_bound_questions": round(bound["lower_bound_questions"], 3),
                "decision_ms": latency,
                "targets": checks,
                "cases": args.cases,
                "seed": args.seed,
            }
        )
    )
    worse = eng["correct_rate"] < flow["correct_rate"] or eng["mean_cost"] > flow["mean_cost"]
    if worse:
        return 1
    return 0 if all(c["pass"] for c in checks.values()) else 2


if __name__ == "__main__":
    sys.exit(main())

"""Diagnosis benchmark: the engine against the guide's procedure, in two worlds, judged strictly.

    python bench/diagnosis.py [--cases 2000] [--seeds 7,8,9] [--perturb 0.0] [--depth 4] [--no-optimum]

Worlds (bench/sim/):
  independent  customers and cameras written from the guide, apart from the engine's numbers
               (`world.py`): what they tried, age, spare parts, misread LEDs, unsure answers,
               causes outside the guide's eight
  model        the engine's own numbers (`model_world.py`): shows the planner is sound on its model
Policies: the engine; the guide's procedure routed per symptom as a careful agent follows it
(`baseline.py`); escalating at once (the floor). Beside them, `knows_the_cause`: the cheapest guide
ending for the true cause with no question asked, a cost no policy can go below; the report gives the
share of the gap between the guide's procedure and it that the engine closes, and how far the cost
target sits above it.

Figures per world and policy, as the mean over the seeds with the spread (min-max):
  strict     fixed, or escalated along the guide's route for the case with the true cause named,
             no avoidable ending, no threshold met by an assumption
  lenient    fixed, or on the guide's route, or a hand-off naming the true cause
  avoidable  a replacement, return or hand-off while a guide fix for the case was untried
  assumed    endings whose threshold rests on an answer assumed from the symptom (count)
  cost       customer and support minutes, rework of a wrong ending and a hand-off's resolution
  questions / steps per case
Optimum (model world): the engine's exact expected cost against the best policy within `--depth`
moves under the same rules, per opening symptom, weighted by how often each symptom opens a case.

The issue's targets are printed PASS/FAIL; the last line is one JSON object. Exit 2 when a target
fails, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.sim import model_world, world  # noqa: E402
from bench.sim.baseline import run_guide_baseline  # noqa: E402
from bench.sim.optimum import engine_cost, optimal_cost  # noqa: E402
from bench.sim.runner import knows_the_cause, run_engine, run_escalate_at_once  # noqa: E402
from bench.sim.types import CaseResult  # noqa: E402
from bot.engine import Ask, DiagnosisEngine  # noqa: E402
from bot.engine.posterior import posterior  # noqa: E402
from bot.engine.state import DiagnosisState  # noqa: E402

# The targets.
MIN_STRICT = 0.95  # independent world
MAX_AVOIDABLE = 0.01
MIN_COST_CUT = 0.30  # below the guide baseline, independent world
MAX_OPTIMUM_RATIO = 1.05  # model world
MAX_DECISION_MS = 5.0  # p95 of one next_step

FIGURES = ("strict", "lenient", "avoidable", "assumed", "cost", "questions", "steps")


def figures(results: Sequence[CaseResult]) -> Dict[str, float]:
    n = len(results)
    return {
        "strict": sum(r.strict for r in results) / n,
        "lenient": sum(r.lenient for r in results) / n,
        "avoidable": sum(r.avoidable for r in results) / n,
        "assumed": float(sum(r.assumed for r in results)),
        "cost": statistics.mean(r.cost for r in results),
        "questions": statistics.mean(r.questions for r in results),
        "steps": statistics.mean(len(r.moves) for r in results),
    }


def spread(per_seed: List[Dict[str, float]]) -> Dict[str, Dict[str, float]]:
    return {
        f: {
            "mean": round(statistics.mean(s[f] for s in per_seed), 4),
            "min": round(min(s[f] for s in per_seed), 4),
            "max": round(max(s[f] for s in per_seed), 4),
        }
        for f in FIGURES
    }


def run_world(
    engine: DiagnosisEngine, make: Callable[[int], list], seeds: Sequence[int], known_floor: bool = False
) -> Dict[str, dict]:
    """`known_floor`: also cost knowing the cause, where the world's cameras are fixed in advance (in the
    model world a repair works by chance, so knowing the cause is no floor there)."""
    policies = {
        "engine": lambda s: run_engine(engine, s),
        "guide_baseline": lambda s: run_guide_baseline(engine.k, s),
        "escalate_at_once": lambda s: run_escalate_at_once(engine, s),
    }
    if known_floor:
        policies["knows_the_cause"] = lambda s: knows_the_cause(engine, s)
    per_seed: Dict[str, List[Dict[str, float]]] = {p: [] for p in policies}
    misses: Dict[tuple, int] = {}
    for seed in seeds:
        situations = make(seed)
        for name, policy in policies.items():
            results = [policy(s.fresh() if hasattr(s, "fresh") else s) for s in situations]
            per_seed[name].append(figures(results))
            if name == "engine":
                for r in results:
                    if not r.strict:
                        key = (r.cause, r.symptoms[0], r.ending, r.named or "-")
                        misses[key] = misses.get(key, 0) + 1
    out = {name: spread(rows) for name, rows in per_seed.items()}
    out["top_misses"] = [list(k) + [v] for k, v in sorted(misses.items(), key=lambda x: -x[1])[:10]]
    return out


def optimum(engine: DiagnosisEngine, depth: int) -> Dict[str, object]:
    """Per symptom: the engine's exact expected cost and the best within `depth` moves (and `depth` - 1,
    to show whether the depth bound mattered), weighted by P(symptom) under the engine's prior."""
    prior = posterior(engine.t, DiagnosisState())
    weight = {
        s.id: float(sum(prior[i] * c.symptom_likelihood.get(s.id, 0.0) for i, c in enumerate(engine.k.causes)))
        for s in engine.k.symptoms
    }
    rows = []
    for s in engine.k.symptoms:
        mine, leaves, estimated = engine_cost(engine, s.id)
        best = optimal_cost(engine, s.id, depth)
        shallower = optimal_cost(engine, s.id, depth - 1)
        rows.append(
            {
                "symptom": s.id,
                "weight": round(weight[s.id], 4),
                "engine": round(mine, 2),
                "optimum": round(best, 2),
                "optimum_depth_minus_1": round(shallower, 2),
                "ratio": round(mine / best, 4) if best > 0 else 1.0,
                "leaves": leaves,
                "estimated_mass": round(estimated, 5),
                "converged": abs(best - shallower) < 1e-6,
            }
        )

    def weighted(of):
        total = sum(r["weight"] for r in of)
        eng = sum(r["weight"] * r["engine"] for r in of) / total
        opt = sum(r["weight"] * r["optimum"] for r in of) / total
        return eng, opt

    eng, opt = weighted(rows)
    # where one more move still lowered the optimum, "best within depth" is not the optimum yet: the
    # ratio there flatters nobody but proves nothing, so the target reads the converged symptoms
    settled = [r for r in rows if r["converged"]]
    s_eng, s_opt = weighted(settled) if settled else (float("nan"), float("nan"))
    return {
        "depth": depth,
        "engine": round(eng, 2),
        "optimum": round(opt, 2),
        "ratio": round(eng / opt, 4),
        "converged": all(r["converged"] for r in rows),
        "converged_symptoms": len(settled),
        "ratio_converged": round(s_eng / s_opt, 4) if settled else None,
        # the best within the depth costs at least the optimum: an engine this far above it is above the
        # optimum by at least as much, converged or not
        "provably_above": [(r["symptom"], r["ratio"]) for r in rows if r["ratio"] > MAX_OPTIMUM_RATIO],
        "per_symptom": rows,
    }


def decision_latency(engine: DiagnosisEngine, n: int = 300, seed: int = 5) -> Dict[str, float]:
    """Time `next_step` (the per-turn decision) over states met along simulated cases."""
    timings = []
    for situation in world.situations(n, seed):
        state = engine.start(list(situation.symptoms), list(situation.opening))
        for _ in range(40):
            t0 = time.perf_counter()
            step = engine.next_step(state)
            timings.append((time.perf_counter() - t0) * 1000)
            if not isinstance(step, Ask):
                break
            reply = situation.respond(step.move.id, step.options, step.is_action)
            if reply == "skip":
                engine.skip(state)
            else:
                engine.answer(state, step.move.id, reply)
    timings.sort()
    return {
        "decisions": len(timings),
        "p50_ms": round(timings[len(timings) // 2], 3),
        "p95_ms": round(timings[int(len(timings) * 0.95)], 3),
        "max_ms": round(timings[-1], 3),
    }


def targets(report: dict) -> Dict[str, dict]:
    ind = report["worlds"]["independent"]
    eng, base = ind["engine"], ind["guide_baseline"]
    cut = 1 - eng["cost"]["mean"] / base["cost"]["mean"]
    found = {
        "strict_independent": (eng["strict"]["mean"], f">= {MIN_STRICT}", eng["strict"]["mean"] >= MIN_STRICT),
        "avoidable_independent": (
            eng["avoidable"]["mean"],
            f"<= {MAX_AVOIDABLE}",
            eng["avoidable"]["mean"] <= MAX_AVOIDABLE,
        ),
        "assumed_thresholds": (
            eng["assumed"]["max"] + report["worlds"]["model"]["engine"]["assumed"]["max"],
            "== 0",
            eng["assumed"]["max"] == 0 and report["worlds"]["model"]["engine"]["assumed"]["max"] == 0,
        ),
        "cost_below_guide_baseline": (round(cut, 4), f">= {MIN_COST_CUT}", cut >= MIN_COST_CUT),
        "decision_p95_ms": (
            report["decision_ms"]["p95_ms"],
            f"< {MAX_DECISION_MS}",
            report["decision_ms"]["p95_ms"] < MAX_DECISION_MS,
        ),
    }
    if report.get("optimum"):
        ratio = report["optimum"]["ratio_converged"]
        # a pass needs the converged symptoms within the ratio and no symptom shown to be above it
        ok = ratio is not None and ratio <= MAX_OPTIMUM_RATIO and not report["optimum"].get("provably_above")
        found["optimum_ratio_model_converged"] = (ratio, f"<= {MAX_OPTIMUM_RATIO}", ok)
    return {k: {"value": v, "target": t, "pass": bool(ok)} for k, (v, t, ok) in found.items()}


def print_report(report: dict) -> None:
    print(f"{report['cases']} cases per seed, seeds {report['seeds']}, perturb {report['perturb']}")
    for world_name, data in report["worlds"].items():
        print(f"\n{world_name} world")
        heads = [("strict", 16), ("lenient", 9), ("avoidable", 11), ("assumed", 9), ("cost", 16), ("questions", 11)]
        print(f"  {'':18}" + "".join(f"{h:>{w}}" for h, w in heads) + f"{'steps':>7}")
        for policy in ("engine", "guide_baseline", "escalate_at_once", "knows_the_cause"):
            if policy not in data:
                continue
            f = data[policy]
            strict = f"{f['strict']['mean']:.1%} ({f['strict']['min']:.1%}-{f['strict']['max']:.1%})"
            cost = f"{f['cost']['mean']:.1f} ({f['cost']['min']:.0f}-{f['cost']['max']:.0f})"
            print(
                f"  {policy:18}{strict:>16}{f['lenient']['mean']:>9.1%}{f['avoidable']['mean']:>11.1%}"
                f"{f['assumed']['mean']:>9.0f}{cost:>16}{f['questions']['mean']:>11.2f}{f['steps']['mean']:>7.2f}"
            )
        if "knows_the_cause" in data:
            base, eng, known = (data[p]["cost"]["mean"] for p in ("guide_baseline", "engine", "knows_the_cause"))
            print(
                f"  cost: the engine closes {(base - eng) / (base - known):.1%} of the gap between the guide's"
                f" procedure and knowing the cause; {1 - MIN_COST_CUT:.0%} of the procedure's cost is"
                f" {(1 - MIN_COST_CUT) * base:.1f}, {(1 - MIN_COST_CUT) * base - known:.1f} above knowing the cause"
            )
        print("  engine's most frequent strict misses (true cause, symptom, ending, named, count):")
        for miss in data["top_misses"][:6]:
            print(f"    {miss}")
    if report.get("optimum"):
        o = report["optimum"]
        print(
            f"\nmodel world, exact expected cost: engine {o['engine']}, best within {o['depth']} moves {o['optimum']}"
            f" (ratio {o['ratio']}; {'the depth bound did not bind' if o['converged'] else 'depth-limited'});"
            f" on the {o['converged_symptoms']} symptoms where it did not bind: ratio {o['ratio_converged']}"
        )
        above = ", ".join(f"{name} (at least {ratio:.2f})" for name, ratio in o.get("provably_above", []))
        print(f"  above the optimum by more than {MAX_OPTIMUM_RATIO} whatever the depth: {above or 'none'}")
        for r in o["per_symptom"]:
            print(
                f"  {r['symptom']:26} weight {r['weight']:.3f}  engine {r['engine']:7.1f}  best {r['optimum']:7.1f}"
                f"  (depth-1 {r['optimum_depth_minus_1']:7.1f})  ratio {r['ratio']:.3f}"
                f"{'' if r['converged'] else '  depth-limited'}"
            )
    d = report["decision_ms"]
    print(f"\ndecision latency over {d['decisions']} turns: p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms,", end="")
    print(f" max {d['max_ms']} ms")
    for name, t in report["targets"].items():
        print(f"target {name:28} {t['value']!s:>8} {t['target']:>8}  {'PASS' if t['pass'] else 'FAIL'}")


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seeds", default="7,8,9", help="comma-separated; the README reports 7,8,9")
    parser.add_argument("--perturb", type=float, default=0.0, help="perturb the independent world's numbers")
    parser.add_argument("--depth", type=int, default=4, help="depth bound of the optimum search")
    parser.add_argument("--no-optimum", action="store_true")
    args = parser.parse_args(list(argv) or None)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    engine = DiagnosisEngine()
    report = {
        "cases": args.cases,
        "seeds": seeds,
        "perturb": args.perturb,
        "worlds": {
            "independent": run_world(
                engine, lambda seed: world.situations(args.cases, seed, args.perturb), seeds, known_floor=True
            ),
            "model": run_world(engine, lambda seed: model_world.situations(engine.k, args.cases, seed), seeds),
        },
        "optimum": None if args.no_optimum else optimum(engine, args.depth),
        "decision_ms": decision_latency(engine),
    }
    report["targets"] = targets(report)
    print_report(report)
    print(json.dumps(report, default=lambda x: float(x) if isinstance(x, np.floating) else str(x)))
    return 0 if all(t["pass"] for t in report["targets"].values()) else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

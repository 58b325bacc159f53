"""Rebuild data/case_*.json from the real engine and case summary.

    .venv/bin/python -m tests.bot.handoff.data.make_cases

Re-run it when the engine's outcome or the case summary changes shape, then refresh the golden files
(`pytest tests/bot/handoff --update-golden`) and review both diffs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Tuple

from bot.engine import Ask, DiagnosisEngine, Finished
from bot.handoff.summary import case_summary

HERE = Path(__file__).resolve().parent


def drive(engine: DiagnosisEngine, state, answers: Dict[str, Tuple[str, str]], skip: List[str] = ()) -> None:
    """Answer every question the engine asks from `answers` (move -> (option, the customer's words))."""
    for _ in range(20):
        step = engine.next_step(state)
        if isinstance(step, Finished) or not isinstance(step, Ask):
            return
        if step.move.id in skip:
            engine.skip(state)
            continue
        option, words = answers[step.move.id]
        engine.answer(state, step.move.id, option, said=words)


def pan_tilt_return(engine: DiagnosisEngine) -> dict:
    """A KC120 whose pan/tilt stopped three weeks after purchase: a return, then a hand-off on request."""
    opening = "Hi, my KC120 pan tilt does not move anymore. I've had it 3 weeks."
    entities = [
        {"entity": "camera_model", "value": "KC120", "text": "KC120"},
        {"entity": "duration", "value": 21.0, "role": "age", "text": "I've had it 3 weeks"},
    ]
    state = engine.start(["pan_tilt_stopped"], entities, said=opening)
    drive(
        engine,
        state,
        {
            "motor_sound": ("silent", "Completely silent, no movement"),
            "led_check": ("solid_green", "Solid green"),
            "adapter_temperature": ("cool", "Cool"),
            "swap_adapter": ("no_change", "No change"),
            "warranty_status": ("in_warranty", "Under warranty"),
        },
    )
    context = {"camera_model": "KC120", "duration": 21.0}
    return case_summary(engine, state, context, "customer asked for a person").to_dict()


def adapter_safety(engine: DiagnosisEngine) -> dict:
    """An EC70 whose adapter gets hot: the adapter swap fixes it, and before the post-fix checks the
    customer asks for a person."""
    opening = "the power adapter of my EC70 gets really hot"
    state = engine.start(
        ["adapter_overheating"], [{"entity": "camera_model", "value": "EC70", "text": "EC70"}], opening
    )
    step = engine.next_step(state)
    engine.answer(state, step.move.id, "fixed", said="Yes, it works now")
    return case_summary(engine, state, {"camera_model": "EC70"}, "customer asked for a person").to_dict()


def main() -> None:
    engine = DiagnosisEngine()
    for name, build in (("case_pan_tilt_return", pan_tilt_return), ("case_adapter_safety", adapter_safety)):
        path = HERE / f"{name}.json"
        path.write_text(json.dumps(build(engine), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

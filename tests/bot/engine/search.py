"""Search helper for the reachability tests: depth-first over the engine's own offers.

From an opening symptom the helper asks the engine for its next step and tries every option the
engine offers (for a repair action that includes "fixed"; at a post-fix check both "it works" and
"it does not"; optionally "skip"), copying the state through its JSON form before each branch,
until an ending satisfies the goal. The depth bound is raised in a few steps (3, 8, 12), so short
paths are found first without walking the whole tree to the deepest bound.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from bot.engine import Ask, DiagnosisEngine, DiagnosisState, Finished, Verify

Goal = Callable[[Dict[str, Any]], bool]
Prefer = Callable[[DiagnosisState], float]
# ("answer", move, option) | ("skip", move) | ("confirm", works)
Action = Tuple[Any, ...]
DEPTHS = (3, 8, 12)


@dataclass
class FoundPath:
    symptoms: Tuple[str, ...]
    actions: List[Action] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"start{list(self.symptoms)}"]
        for a in self.actions:
            if a[0] == "answer":
                parts.append(f"{a[1]}={a[2]}")
            elif a[0] == "skip":
                parts.append(f"skip {a[1]}")
            else:
                parts.append(f"confirm_fix({a[1]})")
        return " -> ".join(parts)


def copy_state(state: DiagnosisState) -> DiagnosisState:
    """A deep copy through the state's own JSON form. The undo history is dropped: the search never
    undoes, and serialising a growing history on every branch would dominate the run time."""
    copied = DiagnosisState.from_json(state.to_json())
    copied.history.clear()
    return copied


def apply(engine: DiagnosisEngine, state: DiagnosisState, action: Action) -> None:
    if action[0] == "answer":
        engine.answer(state, action[1], action[2])
    elif action[0] == "skip":
        engine.skip(state)
    elif action[0] == "confirm":
        engine.confirm_fix(state, action[1])
    else:  # pragma: no cover - a typo in a test
        raise ValueError(action)


def replay(engine: DiagnosisEngine, path: FoundPath):
    """Play a path from scratch on a fresh state; returns (the step after it, state)."""
    state = engine.start(list(path.symptoms))
    for action in path.actions:
        step = engine.next_step(state)
        if action[0] in ("answer", "skip"):
            assert isinstance(step, Ask) and step.move.id == action[1], (path.describe(), step, action)
        else:
            assert isinstance(step, Verify), (path.describe(), step, action)
        apply(engine, state, action)
    return engine.next_step(state), state


def children(step, allow_skip: bool) -> List[Action]:
    if isinstance(step, Verify):
        return [("confirm", True), ("confirm", False)]
    assert isinstance(step, Ask)
    found: List[Action] = [("answer", step.move.id, option) for option, _ in step.options]
    if allow_skip:
        found.append(("skip", step.move.id))
    return found


def _key(state: DiagnosisState) -> str:
    data = state.to_dict()
    for name in ("history", "asked", "pending"):
        data.pop(name, None)
    return json.dumps(data, sort_keys=True)


StepGoal = Callable[[Any, DiagnosisState], bool]


class Searcher:
    def __init__(self, engine: DiagnosisEngine):
        self.engine = engine
        self.nodes = 0

    def find(
        self,
        goal: Goal,
        openings: Sequence[Sequence[str]],
        prefer: Optional[Prefer] = None,
        allow_skip: bool = False,
        depths: Sequence[int] = DEPTHS,
    ) -> Optional[FoundPath]:
        """A path from one of `openings` (symptom lists, tried in order) to an ending whose outcome
        meets `goal`. `prefer` scores a state: higher-scoring branches are tried first."""

        def hit(step, state) -> bool:
            return isinstance(step, Finished) and goal(step.outcome)

        starts = [(self.engine.start(list(o)), FoundPath(tuple(o))) for o in openings]
        return self.find_step(hit, starts, prefer, allow_skip, depths)

    def find_step(
        self,
        hit: StepGoal,
        starts: Sequence[Tuple[DiagnosisState, FoundPath]],
        prefer: Optional[Prefer] = None,
        allow_skip: bool = False,
        depths: Sequence[int] = DEPTHS,
    ) -> Optional[FoundPath]:
        """A path from one of `starts` (state, path so far) to a step for which hit(step, state)
        holds; the search stops at endings."""
        for depth in depths:
            explored: Dict[str, int] = {}
            for state, path in starts:
                found = self._dfs(copy_state(state), path, hit, depth, explored, prefer, allow_skip)
                if found is not None:
                    return found
        return None

    def _dfs(self, state, path, hit, depth, explored, prefer, allow_skip) -> Optional[FoundPath]:
        self.nodes += 1
        step = self.engine.next_step(state)
        if hit(step, state):
            return path
        if isinstance(step, Finished) or depth == 0:
            return None
        key = _key(state)
        if explored.get(key, -1) >= depth:
            return None  # searched from this very state at least this deep already
        explored[key] = depth
        branches = []
        for action in children(step, allow_skip):
            child = copy_state(state)
            apply(self.engine, child, action)
            branches.append((action, child))
        if prefer is not None:
            branches.sort(key=lambda b: -prefer(b[1]))
        for action, child in branches:
            found = self._dfs(
                child, FoundPath(path.symptoms, path.actions + [action]), hit, depth - 1, explored, prefer, allow_skip
            )
            if found is not None:
                return found
        return None

"""The whole state of one diagnosis. Plain data, so it serialises to JSON and back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

STATE_VERSION = 1
HISTORY_LIMIT = 40


@dataclass
class Observation:
    move: str
    # "answer": a question's answer; "failed": an action that did not fix it (option = what was seen);
    # "fixed": an action the customer says fixed it (pending verification).
    kind: str
    option: Optional[str] = None
    source: str = "customer"  # customer | symptom | entity
    stale: bool = False


def _check_types(state: "DiagnosisState") -> None:
    """A stored state is read back days later, maybe by another version: fail clearly, not later."""
    ok = (
        isinstance(state.symptoms, list)
        and all(isinstance(s, str) for s in state.symptoms)
        and isinstance(state.skipped, dict)
        and all(isinstance(v, int) for v in state.skipped.values())
        and isinstance(state.asked, list)
        and isinstance(state.safety, list)
        and isinstance(state.history, list)
        and (state.pending is None or isinstance(state.pending, str))
        and state.status in ("active", "verifying", "fixed", "escalated")
        and all(isinstance(o.move, str) and o.kind in ("answer", "failed", "fixed") for o in state.observations)
    )
    if not ok:
        raise ValueError("malformed diagnosis state")


@dataclass
class DiagnosisState:
    symptoms: List[str] = field(default_factory=list)
    observations: List[Observation] = field(default_factory=list)
    skipped: Dict[str, int] = field(default_factory=dict)
    pending: Optional[str] = None  # the move the customer was asked
    closing_route: Optional[str] = None
    status: str = "active"  # active | verifying | fixed | escalated
    safety: List[str] = field(default_factory=list)  # ids of moves whose answer raised a safety stop
    outcome: Optional[Dict[str, Any]] = None
    asked: List[str] = field(default_factory=list)  # every move put to the customer, in order
    history: List[Dict[str, Any]] = field(default_factory=list)  # snapshots for undo
    version: int = STATE_VERSION

    # -- evidence views ------------------------------------------------------------------
    def current(self, move_id: str) -> Optional[Observation]:
        """The latest non-stale observation of a move."""
        for obs in reversed(self.observations):
            if obs.move == move_id and not obs.stale:
                return obs
        return None

    def answer(self, move_id: str) -> Optional[str]:
        obs = self.current(move_id)
        return obs.option if obs is not None else None

    def tried(self, action_id: str) -> bool:
        return any(o.move == action_id and o.kind in ("failed", "fixed") for o in self.observations)

    def failed(self, action_id: str) -> bool:
        return any(o.move == action_id and o.kind == "failed" for o in self.observations)

    @property
    def finished(self) -> bool:
        return self.status in ("fixed", "escalated")

    # -- undo ----------------------------------------------------------------------------
    def snapshot(self) -> None:
        data = self.to_dict()
        data.pop("history")
        self.history.append(data)
        del self.history[:-HISTORY_LIMIT]

    def restore_previous(self) -> bool:
        if not self.history:
            return False
        previous = self.history.pop()
        history = self.history
        restored = DiagnosisState.from_dict({**previous, "history": history})
        self.__dict__.update(restored.__dict__)
        return True

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "DiagnosisState":
        if not isinstance(data, dict):
            raise ValueError("diagnosis state must be a JSON object")
        version = data.get("version", STATE_VERSION)
        if version != STATE_VERSION:
            raise ValueError(f"diagnosis state version {version} is not supported (expected {STATE_VERSION})")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["observations"] = [Observation(**o) for o in data.get("observations", [])]
            state = cls(**values)
        except TypeError as error:
            raise ValueError(f"malformed diagnosis state: {error}") from None
        _check_types(state)
        return state

    @classmethod
    def from_json(cls, text: str) -> "DiagnosisState":
        return cls.from_dict(json.loads(text))

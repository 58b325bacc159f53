"""The whole state of one diagnosis. Plain data, so it serialises to JSON and back."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional

STATE_VERSION = 2
HISTORY_LIMIT = 40
QUOTE_LIMIT = 300

# Where a piece of evidence comes from. Only what the customer said and what a step showed may
# justify an ending; an answer merely assumed from the symptom shapes nothing but the wording.
SAID = "said"  # the customer's words or button, in answer to a question or unprompted
OBSERVED = "observed"  # the outcome of a step done in this conversation
ASSUMED = "assumed"  # implied by the symptom's pattern; the customer never said it
SOURCES = (SAID, OBSERVED, ASSUMED)
# version 1 named them by channel
_V1_SOURCES = {"customer": SAID, "entity": SAID, "symptom": ASSUMED}


@dataclass
class Observation:
    move: str
    # "answer": a question's answer; "failed": an action that did not fix it (option = what was seen);
    # "fixed": an action the customer says fixed it (pending verification).
    kind: str
    option: Optional[str] = None
    source: str = SAID
    stale: bool = False
    quote: Optional[str] = None  # the customer's own words, when they gave any
    asked: bool = False  # the answer to the question the bot put (not volunteered in a message)
    before: bool = False  # an action the customer did before the conversation, by what they said
    # part of the complaint itself ("blinking green"): the symptom's likelihood already counts it
    from_symptom: bool = False
    # a "failed" action that seemed to fix it until the post-fix checks showed the fault again
    relapsed: bool = False
    # a step done before for a complaint it is not a step of here ("updated the app, still the same"
    # beside an SD card that is not seen): still tried, but it meets no threshold and opens no route
    elsewhere: bool = False

    @property
    def is_evidence(self) -> bool:
        return self.source != ASSUMED

    @property
    def counts(self) -> bool:
        """Whether it moves the belief: not when the symptom already carries it, nor out of date."""
        return self.source != ASSUMED and not self.from_symptom and not self.stale and self.kind != "fixed"


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
        and all(
            isinstance(o.move, str) and o.kind in ("answer", "failed", "fixed") and o.source in SOURCES
            for o in state.observations
        )
        and isinstance(state.hints, dict)
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
    # answers the customer's words suggest but do not settle ("2 weeks" without saying of what):
    # move -> option; the engine confirms them when they would decide the ending
    hints: Dict[str, str] = field(default_factory=dict)
    note: Optional[str] = None  # the guide's reading of the last answer, said once with the next step
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

    def evidence(self, move_id: str) -> Optional[Observation]:
        """The latest non-stale observation of a move that the customer said or a step showed."""
        obs = self.current(move_id)
        return obs if obs is not None and obs.is_evidence else None

    def evidence_answer(self, move_id: str) -> Optional[str]:
        obs = self.evidence(move_id)
        return obs.option if obs is not None else None

    def asked_answer(self, move_id: str) -> Optional[str]:
        """The answer the customer gave to the question itself, when the bot asked it."""
        obs = self.evidence(move_id)
        return obs.option if obs is not None and obs.asked else None

    def tried(self, action_id: str) -> bool:
        return any(o.move == action_id and o.kind in ("failed", "fixed") for o in self.observations)

    def failed(self, action_id: str) -> bool:
        return any(o.move == action_id and o.kind == "failed" and not o.elsewhere for o in self.observations)

    def fixed(self, action_id: str) -> bool:
        return any(o.move == action_id and o.kind == "fixed" for o in self.observations)

    def relapsed(self, action_id: str) -> bool:
        return any(o.move == action_id and o.relapsed for o in self.observations)

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
        if version == 1:
            data = _from_version_1(data)
        elif version != STATE_VERSION:
            raise ValueError(f"diagnosis state version {version} is not supported (expected {STATE_VERSION})")
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["observations"] = [Observation(**o) for o in data.get("observations", [])]
            values["history"] = [
                h if h.get("version") == STATE_VERSION else _from_version_1(h) for h in values.get("history", [])
            ]
            state = cls(**values)
        except TypeError as error:
            raise ValueError(f"malformed diagnosis state: {error}") from None
        _check_types(state)
        return state

    @classmethod
    def from_json(cls, text: str) -> "DiagnosisState":
        return cls.from_dict(json.loads(text))


def _from_version_1(data: Dict[str, Any]) -> Dict[str, Any]:
    """A conversation stored before evidence had sources: read its sources from the old channel names."""
    if not isinstance(data, dict):
        raise ValueError("diagnosis state must be a JSON object")
    observations = []
    for o in data.get("observations", []):
        if not isinstance(o, dict):
            raise ValueError("malformed diagnosis state")
        source = OBSERVED if o.get("kind") in ("failed", "fixed") else _V1_SOURCES.get(str(o.get("source")), SAID)
        asked = o.get("source") == "customer" and o.get("kind") == "answer"
        observations.append({**o, "source": source, "asked": asked, "from_symptom": o.get("source") == "symptom"})
    return {**data, "observations": observations, "version": STATE_VERSION}

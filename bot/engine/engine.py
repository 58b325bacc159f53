"""The diagnostic engine: a dialogue-free state machine over the guide.

The dialogue layer calls `next_step` to learn what to say, then `answer`, `skip`, `undo`,
`confirm_fix` or `restart` with what the customer said. Only an answer to the move that was
asked, with one of its options, changes the evidence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

from bot.engine.outcome import escalation_outcome, fix_outcome
from bot.engine.planner import Planner, route_covers
from bot.engine.posterior import posterior, ranked
from bot.engine.state import DiagnosisState, Observation
from bot.engine.tables import tables_for
from bot.knowledge import load_knowledge
from bot.knowledge.model import Knowledge, Move

FIXED = "fixed"
SAFETY_ACTION = "swap_adapter"


class InvalidAnswer(ValueError):
    """An answer that does not fit the question asked; the state is unchanged."""


@dataclass(frozen=True)
class Ask:
    move: Move
    options: Tuple[Tuple[str, str], ...]  # (option id, label)
    section: str
    safety: Optional[str] = None  # the move's own caution, or the notice that forced it
    closing: bool = False
    repeat: bool = False  # asked before and postponed
    safety_stop: bool = False  # everything else waits until this step is done

    @property
    def is_action(self) -> bool:
        return self.move.kind == "action"


@dataclass(frozen=True)
class Verify:
    outcome: Dict[str, Any]


@dataclass(frozen=True)
class Finished:
    outcome: Dict[str, Any]


Step = Any  # Ask | Verify | Finished


class DiagnosisEngine:
    def __init__(self, knowledge: Optional[Knowledge] = None):
        self.k = knowledge or load_knowledge()
        self.t = tables_for(self.k)
        self.planner = Planner(self.k, self.t)
        self._symptoms = {s.id for s in self.k.symptoms}

    # -- starting ------------------------------------------------------------------------
    def start(self, symptoms: Iterable[str], entities: Iterable[Dict[str, Any]] = ()) -> DiagnosisState:
        state = DiagnosisState()
        for s in symptoms:
            self.add_symptom(state, s)
        self.observe_entities(state, entities)
        return state

    def add_symptom(self, state: DiagnosisState, symptom: str) -> None:
        if symptom not in self._symptoms:
            raise InvalidAnswer(f"unknown symptom {symptom!r}")
        if symptom in state.symptoms:
            return
        state.symptoms.append(symptom)
        spec = self.k.symptom(symptom)
        for imp in spec.implies:
            if state.current(imp.move) is None:
                self._record_answer(state, imp.move, imp.option, source="symptom")

    def _entity_answers(self, entities: Iterable[Dict[str, Any]]):
        """(move, option) for every question an entity answers."""
        for ent in entities or ():
            for move in self.k.moves:
                rule = move.from_entity
                if move.kind != "question" or rule is None or rule.entity != ent.get("entity"):
                    continue
                option = self._option_from_entity(rule, ent.get("value"))
                if option is not None:
                    yield move, option

    def observe_entities(self, state: DiagnosisState, entities: Iterable[Dict[str, Any]]) -> List[str]:
        """Turn entities the language pipeline found into answers, so they are never asked."""
        answered = []
        for move, option in self._entity_answers(entities):
            current = state.current(move.id)
            if current is not None and current.source != "entity":
                continue
            self._record_answer(state, move.id, option, source="entity")
            answered.append(move.id)
        return answered

    def report_hazards(self, state: DiagnosisState, entities: Iterable[Dict[str, Any]]) -> List[str]:
        """A hazard mentioned out of turn ("the adapter is at 70 degrees") is heeded at once, whatever
        question is open; other facts volunteered mid-diagnosis wait for their own question."""
        if state.finished or state.status == "verifying":
            return []
        found = []
        for move, option in self._entity_answers(entities):
            if option not in move.safety_options or state.answer(move.id) == option:
                continue
            if not found:
                state.snapshot()
            self._record_answer(state, move.id, option, source="entity")
            found.append(move.id)
        return found

    @staticmethod
    def _option_from_entity(rule, value) -> Optional[str]:
        if rule.ranges:
            try:
                number = float(value)
            except (TypeError, ValueError):
                return None
            if not math.isfinite(number):
                return None
            for r in rule.ranges:
                if r.below is None or number < r.below:
                    return r.option
            return None
        if isinstance(value, dict):
            for r in rule.map:
                if (r.colour is None or r.colour == value.get("colour")) and (
                    r.mode is None or r.mode == value.get("mode")
                ):
                    if r.colour is None and r.mode is None:
                        continue
                    return r.option
        return None

    # -- what to do next -----------------------------------------------------------------
    def current_step(self, state: DiagnosisState) -> Step:
        """The step the customer is looking at: the open question as asked, without planning again."""
        if state.status == "active" and state.pending is not None:
            pending = state.pending
            closing = bool(state.closing_route) and pending in self.k.route(state.closing_route).closing_questions
            if pending == SAFETY_ACTION and state.safety and not state.tried(SAFETY_ACTION):
                return self._ask(state, pending, safety=self._safety_notice(state), safety_stop=True)
            if closing and state.safety and self._hazard_after_swap(state):
                return self._ask(state, pending, closing=True, safety=self._safety_notice(state))
            return self._ask(state, pending, closing=closing)
        return self.next_step(state)

    def next_step(self, state: DiagnosisState) -> Step:
        if state.status in ("fixed", "escalated"):
            return Finished(state.outcome)
        if state.status == "verifying":
            return Verify(state.outcome)
        p = posterior(self.t, state)
        # safety first, even when the ending is already decided
        if state.safety and not state.tried(SAFETY_ACTION):
            if state.skipped.get(SAFETY_ACTION, 0) >= 1:
                return self._finish(state, "safety_stop", ("power_supply", "other"), p)
            return self._ask(state, SAFETY_ACTION, safety=self._safety_notice(state), safety_stop=True)
        if state.closing_route:
            return self._closing(state, state.closing_route, p)
        if state.safety and self._hazard_after_swap(state):
            return self._stop_for_hazard(state, p)
        choice = self.planner.choose(state, p)
        if choice.kind == "move":
            return self._ask(state, choice.id)
        state.closing_route = choice.id
        state.outcome = {"covers": list(choice.covers)}
        return self._closing(state, choice.id, p)

    def _hazard_after_swap(self, state: DiagnosisState) -> bool:
        """A hazard reported after the adapter was swapped is about the adapter in use now."""
        swapped = [i for i, o in enumerate(state.observations) if o.move == SAFETY_ACTION and o.kind == "failed"]
        if not swapped:
            return False
        hazards = [
            i
            for i, o in enumerate(state.observations)
            if o.move in state.safety
            and o.kind == "answer"
            and not o.stale
            and o.option in self.k.move(o.move).safety_options
        ]
        return bool(hazards) and max(hazards) > swapped[-1]

    def _stop_for_hazard(self, state: DiagnosisState, p) -> Step:
        """Swapping the adapter again cannot help, and no other step may be asked with a hazard in use:
        end on the best route the evidence opens (a replacement when the new adapter overheats too),
        or on the safety stop."""
        self.planner.choose(state, p)
        routes = [c for c in self.planner.last_choices if c.kind == "route" and c.id != "human_support"]
        if not routes:
            return self._finish(state, "safety_stop", ("power_supply", "other"), p)
        best = min(routes, key=lambda c: c.value)
        state.closing_route = best.id
        state.outcome = {"covers": list(best.covers)}
        return self._closing(state, best.id, p)

    def _closing(self, state: DiagnosisState, route_id: str, p) -> Step:
        route = self.k.route(route_id)
        hazard = self._safety_notice(state) if state.safety and self._hazard_after_swap(state) else None
        for q in route.closing_questions:
            if state.current(q) is None and state.skipped.get(q, 0) == 0:
                return self._ask(state, q, closing=True, safety=hazard or None)
        covers = tuple((state.outcome or {}).get("covers") or route_covers(self.k, route, state) or ())
        return self._finish(state, route_id, covers, p)

    def _finish(self, state: DiagnosisState, route_id: str, covers, p) -> Finished:
        state.outcome = escalation_outcome(self.k, self.t, state, route_id, covers, p)
        state.status = "escalated"
        state.pending = None
        state.closing_route = None
        return Finished(state.outcome)

    def _safety_notice(self, state: DiagnosisState) -> str:
        notices = [self.k.move(m).safety for m in state.safety if self.k.move(m).safety]
        for s in state.symptoms:
            if self.k.symptom(s).safety:
                notices.insert(0, self.k.move("adapter_temperature").safety)
        return " ".join(dict.fromkeys(n for n in notices if n))

    def _ask(
        self,
        state: DiagnosisState,
        move_id: str,
        safety: Optional[str] = None,
        closing: bool = False,
        safety_stop: bool = False,
    ) -> Ask:
        move = self.k.move(move_id)
        options = tuple((o.id, o.label) for o in move.answer_options)
        if move.kind == "action":
            options = ((FIXED, "Yes, it works now"),) + options
        repeat = state.skipped.get(move_id, 0) > 0
        if state.pending != move_id:
            state.pending = move_id
            state.asked.append(move_id)
        return Ask(move, options, self.k.move_section(move_id), safety or move.safety, closing, repeat, safety_stop)

    # -- what the customer said ----------------------------------------------------------
    def answer(self, state: DiagnosisState, move_id: str, option_id: str) -> None:
        if state.finished or state.status == "verifying":
            raise InvalidAnswer("no question is open")
        if state.pending is None or move_id != state.pending:
            raise InvalidAnswer(f"{move_id!r} is not the question that was asked")
        move = self.k.move(move_id)
        allowed = [o.id for o in move.answer_options] + ([FIXED] if move.kind == "action" else [])
        if option_id not in allowed:
            raise InvalidAnswer(f"{option_id!r} is not an answer to {move_id!r}; expected one of {allowed}")
        state.snapshot()
        state.pending = None
        if move.kind == "question":
            self._record_answer(state, move_id, option_id, source="customer")
            return
        if option_id == FIXED:
            state.observations.append(Observation(move_id, "fixed"))
            state.status = "verifying"
            state.outcome = fix_outcome(self.k, self.t, state, move_id, posterior(self.t, state))
        else:
            state.observations.append(Observation(move_id, "failed", option_id))
        self._make_stale(state, move)

    def confirm_fix(self, state: DiagnosisState, works: bool) -> None:
        """After the post-fix checks: `works` False reopens the diagnosis with that repair failed."""
        if state.status != "verifying":
            raise InvalidAnswer("there is no fix to confirm")
        state.snapshot()
        if works:
            state.status = "fixed"
            return
        last = next(o for o in reversed(state.observations) if o.kind == "fixed")
        last.kind, last.option = "failed", None
        state.status, state.outcome = "active", None

    def skip(self, state: DiagnosisState) -> Optional[str]:
        """Postpone the open step: it is set aside and offered again before giving up."""
        if state.pending is None:
            raise InvalidAnswer("no question is open")
        state.snapshot()
        skipped, state.pending = state.pending, None
        state.skipped[skipped] = state.skipped.get(skipped, 0) + 1
        return skipped

    def undo(self, state: DiagnosisState) -> bool:
        """Take back the last answer; False when there is nothing to take back."""
        return state.restore_previous()

    def restart(self, state: Optional[DiagnosisState] = None) -> DiagnosisState:
        return DiagnosisState()

    # -- helpers -------------------------------------------------------------------------
    def _record_answer(self, state: DiagnosisState, move_id: str, option_id: str, source: str) -> None:
        for obs in state.observations:
            if obs.move == move_id and not obs.stale:
                obs.stale = True  # superseded by the newer answer
        state.observations.append(Observation(move_id, "answer", option_id, source))
        move = self.k.move(move_id)
        if option_id in move.safety_options and move_id not in state.safety:
            state.safety.append(move_id)

    @staticmethod
    def _make_stale(state: DiagnosisState, move: Move) -> None:
        for obs in state.observations:
            if obs.move in move.stales:
                obs.stale = True

    def ranking(self, state: DiagnosisState) -> List[Tuple[str, float]]:
        return ranked(self.t, posterior(self.t, state))

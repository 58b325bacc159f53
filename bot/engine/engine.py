"""The diagnostic engine: a dialogue-free state machine over the guide.

The dialogue layer calls `next_step` to learn what to say, then `answer`, `skip`, `undo`,
`confirm_fix` or `restart` with what the customer said. Only an answer to the move that was
asked, with one of its options, changes the evidence.

Evidence has a source (`bot.engine.state`): what the customer said, what a step showed, and what
is merely assumed from the symptom. Only the first two move the belief beyond the symptom, meet a
threshold or appear as a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple, Union

import numpy as np

from bot.engine.conditions import SET_ASIDE, holds
from bot.engine.entity_rules import option_from_entity
from bot.engine.evidence import disproved
from bot.engine.outcome import (
    FIXED,
    EscalationOutcome,
    FixOutcome,
    Outcome,
    escalation_outcome,
    fix_outcome,
    outcome_from_dict,
)
from bot.engine.planner import Planner, route_covers
from bot.engine.posterior import posterior, ranked
from bot.engine.state import ASSUMED, OBSERVED, QUOTE_LIMIT, SAID, DiagnosisState, Observation
from bot.engine.tables import tables_for
from bot.knowledge import load_knowledge
from bot.knowledge.guide import Knowledge
from bot.knowledge.moves import Move
from bot.knowledge.phrases import FIXED_LABEL


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
    note: Optional[str] = None  # the guide's reading of the previous answer
    # answered before, and a step since (a reset, a restart) made that answer out of date
    again: bool = False
    preface: Optional[str] = None  # why the step is asked now, when its move says so

    @property
    def is_action(self) -> bool:
        return self.move.kind == "action"


@dataclass(frozen=True)
class Verify:
    outcome: FixOutcome
    note: Optional[str] = None


@dataclass(frozen=True)
class Finished:
    outcome: Outcome
    note: Optional[str] = None


Step = Union[Ask, Verify, Finished]


def _quote(text: Optional[str]) -> Optional[str]:
    if not isinstance(text, str):
        return None
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


class DiagnosisEngine:
    def __init__(self, knowledge: Optional[Knowledge] = None):
        self.k = knowledge or load_knowledge()
        self.t = tables_for(self.k)
        self.planner = Planner(self.k, self.t)
        self._symptoms = {s.id for s in self.k.symptoms}
        self._moves = {m.id: m for m in self.k.moves}

    # -- starting ------------------------------------------------------------------------
    def start(
        self, symptoms: Iterable[str], entities: Iterable[Dict[str, Any]] = (), said: Optional[str] = None
    ) -> DiagnosisState:
        """A new diagnosis from the customer's complaint: `said` is their opening message, quoted
        where it states an answer ("blinking green")."""
        state = DiagnosisState()
        for s in symptoms:
            self.add_symptom(state, s, said)
        self.observe_entities(state, entities)
        return state

    def _place_steps_done_before(self, state: DiagnosisState) -> None:
        """A step the customer did before counts as failed here only while it is a step of this case
        (its `requires` holds): what the complaint and the answers are may change as the case goes on."""
        for obs in state.observations:
            if obs.before and obs.kind == "failed":
                obs.elsewhere = not holds(self._moves[obs.move].requires, state)

    def add_symptom(self, state: DiagnosisState, symptom: str, said: Optional[str] = None) -> None:
        if symptom not in self._symptoms:
            raise InvalidAnswer(f"unknown symptom {symptom!r}")
        if symptom in state.symptoms:
            return
        state.symptoms.append(symptom)
        spec = self.k.symptom(symptom)
        for imp in spec.states:
            if state.current(imp.move) is None:
                self._record(state, imp.move, imp.option, SAID, quote=said, from_symptom=True)
        for imp in spec.implies:
            if state.current(imp.move) is None:
                self._record(state, imp.move, imp.option, ASSUMED, from_symptom=True)

    def entity_answers(self, entities: Iterable[Dict[str, Any]]) -> Iterator[Tuple[Move, Optional[str], Dict]]:
        """(move, option, entity) for every question an entity answers or action it reports tried."""
        for ent in entities or ():
            if not isinstance(ent, dict):
                continue
            if ent.get("entity") == "fact":
                value = ent.get("value")
                if not isinstance(value, dict):
                    continue
                move = self._moves.get(str(value.get("move")))
                option = value.get("option")
                if move is None or (option is not None and move.option(option) is None):
                    continue
                if move.kind == "question" and option is None:
                    continue
                yield move, option, ent
                continue
            for move in self.k.moves:
                rule = move.from_entity
                if move.kind != "question" or rule is None or rule.entity != ent.get("entity"):
                    continue
                option = self.option_from_entity(rule, ent)
                if option is not None:
                    yield move, option, ent

    def observe_entities(self, state: DiagnosisState, entities: Iterable[Dict[str, Any]]) -> List[str]:
        """Turn what the customer's words say (entities, statements of fact) into evidence, so it is
        never asked. A volunteered answer overrides an assumed one and an earlier volunteered one, never
        an answer the customer gave to the question itself."""
        answered = []
        entities = list(entities or ())
        for move, option, ent in self.entity_answers(entities):
            quote = ent.get("text")
            if move.kind == "action":
                if not state.tried(move.id):
                    state.observations.append(
                        Observation(move.id, "failed", option, SAID, quote=_quote(quote), before=True)
                    )
                    answered.append(move.id)
                continue
            current = state.current(move.id)
            if option is None or (current is not None and current.asked):
                continue
            self._record(state, move.id, option, SAID, quote=quote)
            state.hints.pop(move.id, None)
            answered.append(move.id)
        self._note_hints(state, entities)
        return answered

    def _note_hints(self, state: DiagnosisState, entities: List[Dict[str, Any]]) -> None:
        """A short time whose meaning the words leave open ("2 weeks") may be the camera's age; when
        it would decide the ending (a first-month return), the customer is asked."""
        rule = self._moves[self.k.roles.age_question].from_entity if self.k.roles.age_question in self._moves else None
        if rule is None or state.evidence(self.k.roles.age_question) is not None:
            return
        for ent in entities:
            if isinstance(ent, dict) and ent.get("entity") == rule.entity and ent.get("role") is None:
                option = self.option_from_entity(rule, {**ent, **rule.when})
                if option is not None and option == rule.ranges[0].option:
                    state.hints[self.k.roles.age_question] = option

    def report_hazards(self, state: DiagnosisState, entities: Iterable[Dict[str, Any]]) -> List[str]:
        """A hazard mentioned out of turn ("the adapter is at 70 degrees") is heeded at once, whatever
        question is open; other facts volunteered mid-diagnosis wait for their own question."""
        if state.finished or state.status == "verifying":
            return []
        found: List[str] = []
        for move, option, ent in self.entity_answers(entities):
            if move.kind != "question" or option not in move.safety_options or state.answer(move.id) == option:
                continue
            if not found:
                state.snapshot()
            self._record(state, move.id, option, SAID, quote=ent.get("text"))
            found.append(move.id)
        return found

    option_from_entity = staticmethod(option_from_entity)

    # -- belief ----------------------------------------------------------------------------
    def belief(self, state: DiagnosisState) -> np.ndarray:
        """P(cause | evidence), with the causes a "Disproves" line rules out at zero."""
        gone = disproved(self.k, state)
        return posterior(self.t, state, [self.t.cause_index(c) for c in gone])

    # -- what to do next -----------------------------------------------------------------
    def current_step(self, state: DiagnosisState) -> Step:
        """The step the customer is looking at: the open question as asked, without planning again."""
        if state.status == "active" and state.pending is not None:
            pending = state.pending
            closing = self._is_closing(state, pending)
            if pending == self.k.roles.safety_action and state.safety and not state.tried(self.k.roles.safety_action):
                return self._ask(state, pending, safety=self._safety_notice(state), safety_stop=True)
            if state.safety and self._hazard_after_swap(state):
                if closing or pending in self.k.adapter_checks:
                    return self._ask(state, pending, closing=True, safety=self._safety_notice(state))
            return self._ask(state, pending, closing=closing)
        return self.next_step(state)

    def _is_closing(self, state: DiagnosisState, move_id: str) -> bool:
        if not state.closing_route:
            return False
        return move_id in self._closing_questions(state, state.closing_route)

    def next_step(self, state: DiagnosisState) -> Step:
        note = state.note
        if state.status in ("fixed", "escalated"):
            return Finished(self.outcome(state), note)
        if state.status == "verifying":
            outcome = self.outcome(state)
            assert isinstance(outcome, FixOutcome)
            return Verify(outcome, note)
        self._place_steps_done_before(state)
        p = self.belief(state)
        # safety first, even when the ending is already decided
        if state.safety and not state.tried(self.k.roles.safety_action):
            if state.skipped.get(self.k.roles.safety_action, 0) >= 1:
                return self._finish(state, self.k.roles.safety_stop_route, tuple(self.k.roles.safety_stop_causes), p)
            return self._ask(state, self.k.roles.safety_action, safety=self._safety_notice(state), safety_stop=True)
        if state.closing_route:
            return self._closing(state, state.closing_route, p)
        if state.safety and self._hazard_after_swap(state):
            return self._stop_for_hazard(state, p)
        first = self._check_first(state)
        if first is not None:
            return self._ask(state, first)
        choice = self.planner.choose(state, p)
        if choice.kind == "move":
            return self._ask(state, choice.id)
        state.closing_route = choice.id
        state.outcome = {"covers": list(choice.covers)}
        return self._closing(state, choice.id, p)

    def _check_first(self, state: DiagnosisState) -> Optional[str]:
        """The guide's own test of the complaint, before the planner weighs anything else."""
        for symptom in state.symptoms:
            move = self.k.symptom(symptom).check_first
            if move and state.evidence(move) is None and not state.skipped.get(move):
                return move
        return None

    def outcome(self, state: DiagnosisState) -> Outcome:
        found = outcome_from_dict(state.outcome)
        if found is None:
            raise ValueError("the diagnosis has no readable outcome")
        return found

    def _hazard_after_swap(self, state: DiagnosisState) -> bool:
        """A hazard reported after the adapter was swapped is about the adapter in use now."""
        swapped = [
            i for i, o in enumerate(state.observations) if o.move == self.k.roles.safety_action and o.kind == "failed"
        ]
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
        """Swapping the same adapter again cannot help, and no diagnostic step may be asked with a hazard
        in use: only whether the adapter swapped in was a good 5V/2A one (if not, a proper one is the
        fix), then the best route the evidence opens (a replacement when a good adapter overheats too),
        or the safety stop."""
        for move in self.k.adapter_checks:
            if self.planner.move_is_open(move, state):
                return self._ask(state, move, closing=True, safety=self._safety_notice(state))
        routes = [c for c in self.planner.endings(state, p) if c.id != self.k.roles.person_route]
        if not routes:
            return self._finish(state, self.k.roles.safety_stop_route, tuple(self.k.roles.safety_stop_causes), p)
        best = min(routes, key=lambda c: c.value)
        state.closing_route = best.id
        state.outcome = {"covers": list(best.covers)}
        return self._closing(state, best.id, p)

    def _closing_questions(self, state: DiagnosisState, route_id: str) -> List[str]:
        """The route's closing questions; before a replacement, also the camera's age when the customer
        gave a short time without saying of what, as it decides between a return and a replacement."""
        route = self.k.route(route_id)
        found = list(route.closing_questions)
        if route.recommendation == "replace" and self.k.roles.age_question in state.hints:
            found.insert(0, self.k.roles.age_question)
        return found

    def _closing(self, state: DiagnosisState, route_id: str, p) -> Step:
        hazard = self._safety_notice(state) if state.safety and self._hazard_after_swap(state) else None
        for q in self._closing_questions(state, route_id):
            if state.evidence(q) is None and state.skipped.get(q, 0) == 0:
                return self._ask(state, q, closing=True, safety=hazard or None)
        covers = tuple((state.outcome or {}).get("covers") or route_covers(self.k, self.k.route(route_id), state) or ())
        return self._finish(state, route_id, covers, p)

    def _finish(self, state: DiagnosisState, route_id: str, covers, p) -> Finished:
        outcome = escalation_outcome(self.k, self.t, state, route_id, covers, p, self._symptom_belief(state))
        state.outcome = outcome.to_dict()
        state.status = "escalated"
        state.pending = None
        state.closing_route = None
        return Finished(outcome, state.note)

    def _symptom_belief(self, state: DiagnosisState) -> np.ndarray:
        return posterior(self.t, DiagnosisState(symptoms=list(state.symptoms)))

    def _safety_notice(self, state: DiagnosisState) -> str:
        notices = [self.k.move(m).safety for m in state.safety if self.k.move(m).safety]
        for s in state.symptoms:
            if self.k.symptom(s).safety:
                notices.insert(0, self.k.move(self.k.roles.safety_notice_question).safety)
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
            options = ((FIXED, FIXED_LABEL),) + options
        repeat = state.skipped.get(move_id, 0) > 0
        again = move.kind == "question" and any(
            o.move == move_id and o.stale and o.kind == "answer" and o.source != ASSUMED for o in state.observations
        )
        if state.pending != move_id:
            state.pending = move_id
            state.asked.append(move_id)
        return Ask(
            move,
            options,
            self.k.move_section(move_id),
            safety or move.safety,
            closing,
            repeat,
            safety_stop,
            state.note,
            again,
            next((p.text for p in move.preface if holds(p.when, state)), None),
        )

    # -- what the customer said ----------------------------------------------------------
    def answer(self, state: DiagnosisState, move_id: str, option_id: str, said: Optional[str] = None) -> None:
        """The customer's answer to the open question. `said` is their own words: the typed reply, or
        the label of the button they pressed."""
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
        chosen = move.option(option_id)
        state.note = chosen.note if chosen is not None else None
        if move.kind == "question":
            self._record(state, move_id, option_id, SAID, quote=said, asked=True)
            state.hints.pop(move_id, None)
            return
        if option_id == FIXED:
            state.observations.append(Observation(move_id, "fixed", None, OBSERVED, quote=_quote(said)))
            state.status = "verifying"
            state.outcome = fix_outcome(self.k, self.t, state, move_id, self.belief(state)).to_dict()
        else:
            state.observations.append(Observation(move_id, "failed", option_id, OBSERVED, quote=_quote(said)))
        self._make_stale(state, move)

    def confirm_fix(self, state: DiagnosisState, works: bool) -> None:
        """After the post-fix checks: `works` False reopens the diagnosis with that repair failed."""
        if state.status != "verifying":
            raise InvalidAnswer("there is no fix to confirm")
        state.snapshot()
        state.note = None
        if works:
            state.status = "fixed"
            return
        last = next(o for o in reversed(state.observations) if o.kind == "fixed")
        last.kind, last.option, last.relapsed = "failed", None, True
        state.status, state.outcome = "active", None

    def skip(self, state: DiagnosisState, for_good: bool = False) -> Optional[str]:
        """Postpone the open step: it is set aside and offered again before giving up; `for_good`
        (the customer cannot do it: no spare charger) sets it aside as if skipped twice."""
        if state.pending is None:
            raise InvalidAnswer("no question is open")
        state.snapshot()
        state.note = None
        skipped, state.pending = state.pending, None
        state.skipped[skipped] = max(state.skipped.get(skipped, 0) + 1, SET_ASIDE if for_good else 0)
        return skipped

    def set_aside(self, state: DiagnosisState, move_ids: Iterable[str], undoable: bool = True) -> List[str]:
        """Steps the customer says they cannot do, whatever is asked now ("no spare charger"): set aside
        as if skipped twice. Returns those newly set aside (not done, not already set aside). Not
        `undoable` on its own when it is part of an answer: taking the answer back takes it back too."""
        fresh = [
            m
            for m in move_ids
            if m != state.pending and state.evidence(m) is None and state.skipped.get(m, 0) < SET_ASIDE
        ]
        if fresh:
            if undoable:
                state.snapshot()
            for m in fresh:
                state.skipped[m] = SET_ASIDE
        return fresh

    def bring_back(self, state: DiagnosisState, move_ids: Iterable[str]) -> List[str]:
        """Steps set aside for what the customer lacked, which turned up after all ("found an old card in
        a drawer"): offered again. Returns those brought back."""
        back = [m for m in move_ids if state.skipped.get(m, 0) >= SET_ASIDE and not state.tried(m)]
        back = [m for m in back if state.evidence(m) is None]
        if back:
            state.snapshot()
            for m in back:
                del state.skipped[m]
        return back

    def undo(self, state: DiagnosisState) -> bool:
        """Take back the last answer; False when there is nothing to take back."""
        return state.restore_previous()

    def restart(self, state: Optional[DiagnosisState] = None) -> DiagnosisState:
        return DiagnosisState()

    # -- helpers -------------------------------------------------------------------------
    def _record(
        self,
        state: DiagnosisState,
        move_id: str,
        option_id: str,
        source: str,
        quote: Optional[str] = None,
        asked: bool = False,
        from_symptom: bool = False,
    ) -> None:
        for obs in state.observations:
            if obs.move == move_id and not obs.stale:
                obs.stale = True  # superseded by the newer answer
        state.observations.append(
            Observation(
                move_id, "answer", option_id, source, quote=_quote(quote), asked=asked, from_symptom=from_symptom
            )
        )
        move = self.k.move(move_id)
        if option_id in move.safety_options and move_id not in state.safety:
            state.safety.append(move_id)

    @staticmethod
    def _make_stale(state: DiagnosisState, move: Move) -> None:
        for obs in state.observations:
            if obs.move in move.stales:
                obs.stale = True

    def ranking(self, state: DiagnosisState) -> List[Tuple[str, float]]:
        return ranked(self.t, self.belief(state))


__all__ = ["FIXED", "Ask", "DiagnosisEngine", "EscalationOutcome", "Finished", "InvalidAnswer", "Step", "Verify"]

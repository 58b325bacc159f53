"""Choose the next move: repair actions by efficiency, questions by myopic value of information,
escalation as a costed ending (Heckerman, Breese & Rommelse 1995; SACSO, Jensen et al. 2001).

ECR(E) is estimated greedily: the available repairs in decreasing P(fixes | E) / cost, with the
best ending (route) after any prefix of them. A wrong ending costs `rework` on top (the agent
must diagnose again), which gives questions that pin a cause their identification value.
Every candidate move is scored by one step of look-ahead:
  question q: C_q + sum_o P(o | E) * ECR(E + q=o)
  action a:   C_a + sum_o P(not fixed, o | E) * ECR(E + a failed, o)
  route r:    C_r + S_r + (1 - P(named cause | E)) * rework
C is the customer's cost, S the support team's (a replacement's unit and shipping, an agent's time).
An ending is never chosen while it is *avoidable*: while a guide fix with a real chance of working for
a still-likely cause is untried (the knowledge's `avoidable` rule). All look-ahead states are
evaluated in one batch of array operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, List, Optional, Tuple

import numpy as np

from bot.engine.conditions import SET_ASIDE, holds
from bot.engine.posterior import posterior
from bot.engine.state import DiagnosisState
from bot.engine.tables import Tables
from bot.knowledge.conditions import AnswerAtom, SymptomAtom
from bot.knowledge.escalation import Route
from bot.knowledge.guide import Knowledge


@dataclass(frozen=True)
class Choice:
    kind: str  # "move" | "route"
    id: str
    value: float
    # causes the route names (empty for moves); the likeliest of them is named in the hand-off
    covers: Tuple[str, ...] = ()


HANDOVER_CACHE = 4096  # hand-off costs kept, per set of symptoms and answers
CLOSED = 1e9  # the cost of an ending that is not open (inf would make 0 * inf)
#: per route: which causes it names (a 0/1 row per route), its cost (inf when closed), the causes it names
RouteTable = Tuple[np.ndarray, np.ndarray, List[Optional[Tuple[str, ...]]]]


class Overlay:
    """A state plus one hypothetical observation, for condition checks during look-ahead."""

    __slots__ = ("state", "move", "kind", "option")

    def __init__(self, state: DiagnosisState, move: str, kind: str, option: Optional[str]):
        self.state, self.move, self.kind, self.option = state, move, kind, option

    @property
    def symptoms(self) -> List[str]:
        return self.state.symptoms

    @property
    def skipped(self) -> Dict[str, int]:
        return self.state.skipped

    def evidence_answer(self, move_id: str) -> Optional[str]:
        if move_id == self.move:
            return self.option
        return self.state.evidence_answer(move_id)

    def asked_answer(self, move_id: str) -> Optional[str]:
        if move_id == self.move:
            return self.option
        return self.state.asked_answer(move_id)

    def failed(self, action_id: str) -> bool:
        return (action_id == self.move and self.kind == "failed") or self.state.failed(action_id)

    def fixed(self, action_id: str) -> bool:
        return self.state.fixed(action_id)

    def relapsed(self, action_id: str) -> bool:
        return self.state.relapsed(action_id)


@dataclass
class _LookAhead:
    """The evidence states one step ahead, one row per outcome of each candidate move, to be scored in one
    batch. Built from what holds now (`base_*`): an outcome re-checks only what it can change."""

    state: DiagnosisState
    skipped_ok: bool
    base_actions: np.ndarray  # 1.0 where a repair is available now
    base_hits: List[List[bool]]
    base_routes: RouteTable
    P: List[np.ndarray] = field(default_factory=list)
    act: List[np.ndarray] = field(default_factory=list)
    cover: List[np.ndarray] = field(default_factory=list)
    cost: List[np.ndarray] = field(default_factory=list)
    plan: List[Tuple[str, float, List[float]]] = field(default_factory=list)  # (move, own cost, weights of its rows)


def route_covers(knowledge: Knowledge, route: Route, state) -> Optional[Tuple[str, ...]]:
    """The causes a route can name now, or None when the route is not available."""
    if route.safety_only:
        return None
    all_causes = tuple(c.id for c in knowledge.causes)
    if route.covers == "all":
        return all_causes
    covers: List[str] = []
    for tid in route.thresholds:
        threshold = knowledge.threshold(tid)
        if threshold.when is not None and holds(threshold.when, state):
            covers.extend(c for c in threshold.causes if c not in covers)
    if route.when is not None and holds(route.when, state):
        covers.extend(c for c in route.covers if c not in covers)
    return tuple(covers) or None


def _condition_moves(condition) -> set:
    found = set()
    for clause in condition or ():
        for atom in clause:
            for name in ("answer", "failed", "relapsed", "set_aside"):
                found.add(getattr(atom, name, None))
    found.discard(None)
    return found


class Planner:
    def __init__(self, knowledge: Knowledge, tables: Tables):
        self.k = knowledge
        self.t = tables
        self.routes = [r for r in knowledge.routes if not r.safety_only]
        self.route_costs = np.array([r.value for r in self.routes])
        self.person = knowledge.roles.person_route
        self.human = next(i for i, r in enumerate(self.routes) if r.id == self.person)
        self._handover: Dict[tuple, np.ndarray] = {}
        self.rule = knowledge.avoidable
        self.rule_causes = np.array([c not in self.rule.not_for for c in tables.causes])
        self.held_back = {r.id for r in self.routes if r.recommendation in self.rule.endings}
        self.replacing = {r.id for r in self.routes if r.recommendation == "replace"}
        self.closing = set(knowledge.closing_move_ids)
        self.cause_pos = {c: i for i, c in enumerate(tables.causes)}
        self._action_pos = {a: i for i, a in enumerate(tables.action_ids)}
        # look-ahead only re-checks conditions that mention the hypothetical move
        self.route_moves = set()
        for r in self.routes:
            self.route_moves |= _condition_moves(r.when)
            for tid in r.thresholds:
                self.route_moves |= _condition_moves(knowledge.threshold(tid).when)
        # per route: (condition, causes it names, moves the condition mentions)
        self.route_items = []
        for r in self.routes:
            items = [
                (knowledge.threshold(tid).when, tuple(knowledge.threshold(tid).causes))
                for tid in r.thresholds
                if knowledge.threshold(tid).when is not None
            ]
            if r.when is not None:
                items.append((r.when, tuple(r.covers)))
            self.route_items.append([(w, c, _condition_moves(w)) for w, c in items])
        self._route_cache: Dict[tuple, RouteTable] = {}
        # the answers a hand-off's remaining routes depend on
        self._route_answer_moves = sorted(
            {
                atom.answer
                for r in self.routes
                for cond in [r.when] + [knowledge.threshold(t).when for t in r.thresholds]
                for clause in cond or ()
                for atom in clause
                if isinstance(atom, AnswerAtom)
            }
        )
        self.action_moves = {a: _condition_moves(tables.moves[a].move.requires) | {a} for a in tables.action_ids}
        # every question's answers, padded to one width: the look-ahead picks the rows it needs per turn
        asked = [m for m, tab in tables.moves.items() if tab.move.kind == "question"]
        self._question_pos = {q: i for i, q in enumerate(asked)}
        width = max((len(tables.moves[q].option_ids) for q in asked), default=0)
        self._question_likelihood = np.zeros((len(asked), width, len(tables.causes)))
        for i, q in enumerate(asked):
            self._question_likelihood[i, : len(tables.moves[q].option_ids)] = tables.moves[q].likelihood
        self._question_cost = np.array([tables.moves[q].cost for q in asked])

    def handover(self, state) -> np.ndarray:
        """(routes, causes): after a hand-off the agent still has to end the case the guide's way; only
        the hand-off's row is non-zero. Routes depend on the symptoms and on what the customer already
        answered (a reset that ended in "set-up fails" can no longer show "already configured")."""
        known = tuple((m, state.evidence_answer(m)) for m in self._route_answer_moves)
        key = (tuple(sorted(state.symptoms)), known)
        found = self._handover.get(key)
        if found is None:
            if len(self._handover) >= HANDOVER_CACHE:
                self._handover.clear()  # answers vary per conversation: a server must not keep them all
            found = np.zeros((len(self.routes), len(self.t.causes)))
            found[self.human] = self._resolution_costs(self.k, self.t, set(key[0]), dict(known))
            self._handover[key] = found
        return found

    def _resolution_costs(
        self, knowledge: Knowledge, tables: Tables, symptoms: set, answers: Dict[str, Optional[str]]
    ) -> np.ndarray:
        """Per cause, what ending it the guide's way costs once an agent has the case and the repairs
        have failed: the cheapest route that names it and that these symptoms and the answers given so
        far still allow. Nothing more for a cause the guide does not document: the agent's own work is
        the hand-off's cost."""

        def possible(atom) -> bool:
            if isinstance(atom, SymptomAtom):
                return atom.symptom in symptoms
            if isinstance(atom, AnswerAtom):
                given = answers.get(atom.answer)
                return given is None or given in atom.in_
            return True

        def allowed(condition) -> bool:
            if condition is None:
                return True
            return any(all(possible(atom) for atom in clause) for clause in condition)

        cost = np.zeros(len(tables.causes))
        for j, cause in enumerate(tables.causes):
            options = []
            for r in self.routes:
                if r.id == self.person or r.safety_only:
                    continue
                if r.covers != "all" and cause in r.covers and allowed(r.when):
                    options.append(r.value)
                for tid in r.thresholds:
                    th = knowledge.threshold(tid)
                    if cause in th.causes and allowed(th.when):
                        options.append(r.value)
            cost[j] = min(options) if options and cause != knowledge.roles.unknown_cause else 0.0
        return cost

    # -- availability ----------------------------------------------------------------------
    def move_is_open(self, move_id: str, state: DiagnosisState) -> bool:
        """Whether the move could be asked now (its preconditions hold, not done, not set aside twice)."""
        return self._move_available(move_id, state, True, state)

    def _move_available(self, move_id: str, state, skipped_ok: bool, base: DiagnosisState) -> bool:
        table = self.t.moves[move_id]
        move = table.move
        if move_id in self.closing:
            return False
        if move.kind == "action":
            if base.tried(move_id) or (isinstance(state, Overlay) and state.move == move_id):
                return False
            if move.tried_if is not None and holds(move.tried_if, state, asked=True):
                # the customer already did it: said so when asked the question that describes it
                # (a "reset it, no luck" in passing may have been a 5-second soft reset)
                return False
        elif state.evidence_answer(move_id) is not None:
            return False  # an answer merely assumed from the symptom may still be confirmed
        if move.unless is not None and holds(move.unless, state):
            return False  # the customer cannot do it (a reset button out of reach)
        skips = base.skipped.get(move_id, 0)
        if skips >= SET_ASIDE or (skips == 1 and not skipped_ok):
            return False
        return holds(move.requires, state)

    def _route_hits(self, state, base=None, move: Optional[str] = None) -> List[List[bool]]:
        """Which items of each route hold; with `base`, only items mentioning `move` are re-checked."""
        hits = []
        for i, items in enumerate(self.route_items):
            if base is None:
                hits.append([holds(w, state) for w, _, _ in items])
            else:
                hits.append([holds(w, state) if move in ms else base[i][j] for j, (w, _, ms) in enumerate(items)])
        return hits

    def _routes_for(self, state, hits=None) -> RouteTable:
        hits = hits if hits is not None else self._route_hits(state)
        key = tuple(tuple(h) for h in hits)
        cached = self._route_cache.get(key)
        if cached is None:
            cached = self._route_cache[key] = self._build_routes(hits)
        return cached

    def _build_routes(self, hits) -> RouteTable:
        covers: List[Optional[Tuple[str, ...]]] = []
        for r, items, hit in zip(self.routes, self.route_items, hits):
            if r.covers == "all":
                covers.append(tuple(self.t.causes))
                continue
            names: List[str] = []
            for (_, causes, _), ok in zip(items, hit):
                if ok:
                    names.extend(c for c in causes if c not in names)
            covers.append(tuple(names) or None)
        # a person takes over only when no route of the guide's is open: the agent would take that
        # route anyway, after the customer waited
        if any(cov for r, cov in zip(self.routes, covers) if r.id != self.person):
            covers = [None if r.id == self.person else cov for r, cov in zip(self.routes, covers)]
        mask = np.zeros((len(self.routes), len(self.t.causes)))
        cost = np.full(len(self.routes), np.inf)
        for i, cov in enumerate(covers):
            if cov:
                cost[i] = self.route_costs[i]
                mask[i, [self.cause_pos[c] for c in cov]] = 1.0
        return mask, cost, covers

    # -- expected cost of repair -----------------------------------------------------------
    def ecr_batch(self, P: np.ndarray, act_mask: np.ndarray, cover: np.ndarray, rcost: np.ndarray) -> np.ndarray:
        """Greedy ECR for K evidence states at once.

        P (K, C) posteriors; act_mask (K, A) available repairs; cover (K, R, C); rcost (K, R).
        """
        F = self.t.action_fixes[None, :, :] * act_mask[:, :, None]  # (K, A, C)
        costs = self.t.action_costs[None, :] * act_mask  # (K, A)
        eff = np.einsum("kac,kc->ka", F, P) / self.t.action_costs[None, :]
        eff[~act_mask.astype(bool)] = -1.0
        order = np.argsort(-eff, axis=1, kind="stable")
        Fs = np.take_along_axis(F, order[:, :, None], axis=1)
        cs = np.take_along_axis(costs, order, axis=1)
        survive = np.cumprod(1.0 - Fs, axis=1)
        B = np.concatenate([P[:, None, :], P[:, None, :] * survive], axis=1)  # (K, A+1, C)
        mass = B.sum(axis=2)
        spent = np.concatenate([np.zeros((P.shape[0], 1)), np.cumsum(mass[:, :-1] * cs, axis=1)], axis=1)
        Bn = B / np.maximum(mass, 1e-12)[:, :, None]
        named = (Bn[:, :, None, :] * cover[:, None, :, :]).max(axis=3)  # (K, A+1, R)
        handover = np.einsum("kac,rc->kar", Bn, self._row_handover)
        ending = (rcost[:, None, :] + (1.0 - named) * self.t.rework + handover).min(axis=2)
        return (spent + mass * ending).min(axis=1)

    def _ask_then_end(
        self, P: np.ndarray, cover: np.ndarray, rcost: np.ndarray, questions: List[str], own: List[str]
    ) -> np.ndarray:
        """Per row (K posteriors): the expected cost of the best single question, then the best ending."""
        if not questions:
            return np.full(len(P), np.inf)
        t = self.t
        open_routes = np.isfinite(rcost).any(axis=0)  # most routes are closed to every row: leave them out
        cover, rcost, row_handover = cover[:, open_routes], rcost[:, open_routes], self._row_handover[open_routes]
        rows = [self._question_pos[q] for q in questions]
        L, qcost = self._question_likelihood[rows], self._question_cost[rows]
        J = L[None, :, :, :] * P[:, None, None, :]  # (K, Q, O, C): P(answer, cause)
        w = J.sum(axis=3)
        named = (J[:, :, :, None, :] * cover[:, None, None, :, :]).max(axis=4)  # (K, Q, O, R)
        handover = np.einsum("kqoc,rc->kqor", J, row_handover)
        open_cost = np.where(np.isfinite(rcost), rcost, CLOSED)[:, None, None, :]
        ending = (w[..., None] * open_cost + (w[..., None] - named) * t.rework + handover).min(axis=3)
        value = qcost[None, :] + ending.sum(axis=2)  # (K, Q)
        column = {q: j for j, q in enumerate(questions)}
        for k, move_id in enumerate(own):
            if move_id in column:
                value[k, column[move_id]] = np.inf  # its answer is the row's own
        return value.min(axis=1)

    # -- choosing ------------------------------------------------------------------------
    def choose(self, state: DiagnosisState, p: Optional[np.ndarray] = None) -> Choice:
        """The next move, or the ending, with the least expected cost that is not avoidable."""
        return min(self.choices(state, p), key=lambda c: c.value)

    def choices(self, state: DiagnosisState, p: Optional[np.ndarray] = None) -> List[Choice]:
        """What the planner may do now, scored; `choose` takes the cheapest. Endings are left out while
        a guide fix is untried (`avoidable`), and a postponed step comes back once before the case ends."""
        if p is None:
            p = posterior(self.t, state)
        found = self._choose(state, p, skipped_ok=False)
        if self.avoidable_fixes(state, p, skipped_ok=False):
            found = [c for c in found if c.kind == "move" or c.id not in self.held_back]
        first = self.steps_before_replacing(state, skipped_ok=False)
        if first and found:
            cheapest = min(found, key=lambda c: c.value)
            if cheapest.kind == "route" and cheapest.id in self.replacing:
                # the replacement is what the evidence calls for: the step that must come first, now
                return [Choice("move", first[0], cheapest.value)]
            found = [c for c in found if c.kind == "move" or c.id not in self.replacing]
        best = min(found, key=lambda c: c.value) if found else None
        postponed = [m for m, n in state.skipped.items() if n == 1]
        if postponed and (best is None or best.kind == "route"):
            # the customer may be able to do it now
            again = [c for c in self._choose(state, p, skipped_ok=True) if c.kind == "move" and c.id in postponed]
            if again:
                return again
        return found

    def endings(self, state: DiagnosisState, p: np.ndarray) -> List[Choice]:
        """The endings open now, scored, whether or not a fix is still untried."""
        return [c for c in self._choose(state, p, skipped_ok=False) if c.kind == "route"]

    def avoidable_fixes(self, state, p: np.ndarray, skipped_ok: bool = True) -> List[str]:
        """Available, untried repairs with a real chance of working for a still-likely cause: while one
        is left, ending the case (a replacement, a hand-off) is avoidable."""
        likely = (p >= self.rule.min_cause_belief) & self.rule_causes
        found = []
        for a in self.t.action_ids:
            if not self._move_available(a, state, skipped_ok, state):
                continue
            if np.any(likely & (self.t.moves[a].fixes >= self.rule.min_fix_chance)):
                found.append(a)
        return found

    def steps_before_replacing(self, state, skipped_ok: bool = True) -> List[str]:
        """The guide's steps that come before a replacement and are still open to this customer."""
        return [a for a in self.rule.before_replacing if self._move_available(a, state, skipped_ok, state)]

    def _choose(self, state: DiagnosisState, p: np.ndarray, skipped_ok: bool) -> List[Choice]:
        """Every open move, scored by one step of look-ahead, then every open ending, scored as it stands."""
        t = self.t
        self._row_handover = self.handover(state)
        base_actions = np.array([self._move_available(a, state, skipped_ok, state) for a in t.action_ids], dtype=float)
        questions = [
            m
            for m, tab in t.moves.items()
            if tab.move.kind == "question" and self._move_available(m, state, skipped_ok, state)
        ]
        actions = [a for a in t.action_ids if base_actions[self._action_pos[a]]]
        base_hits = self._route_hits(state)
        ahead = _LookAhead(state, skipped_ok, base_actions, base_hits, self._routes_for(state, base_hits))
        for q in questions:
            joint = t.moves[q].likelihood * p[None, :]
            self._add_outcomes(ahead, q, "answer", _outcomes(t.moves[q].option_ids, joint))
        for a in actions:
            tab = t.moves[a]
            joint = tab.likelihood * ((1.0 - tab.fixes) * p)[None, :]
            self._add_outcomes(ahead, a, "failed", _outcomes(tab.option_ids, joint))
        return self._score_moves(ahead, questions) + self._score_endings(p, ahead.base_routes)

    def _add_outcomes(
        self, ahead: _LookAhead, move_id: str, kind: str, outcomes: Iterable[Tuple[str, float, np.ndarray]]
    ) -> None:
        """One look-ahead row per outcome of the move: its posterior, and the repairs and routes open after it."""
        t = self.t
        weights = []
        for option, weight, post in outcomes:
            overlay = Overlay(ahead.state, move_id, kind, option)
            act = ahead.base_actions.copy()
            for a in t.action_ids:
                if move_id in self.action_moves[a]:
                    act[self._action_pos[a]] = float(self._move_available(a, overlay, ahead.skipped_ok, ahead.state))
            if move_id in self.route_moves:
                cover, rcost, _ = self._routes_for(overlay, self._route_hits(overlay, ahead.base_hits, move_id))
            else:
                cover, rcost, _ = ahead.base_routes
            ahead.P.append(post)
            ahead.act.append(act)
            ahead.cover.append(cover)
            ahead.cost.append(rcost)
            weights.append(weight)
        ahead.plan.append((move_id, t.moves[move_id].cost, weights))

    def _score_moves(self, ahead: _LookAhead, questions: List[str]) -> List[Choice]:
        """Each move: its own cost plus the expected cost of its outcomes' rows, all scored in one batch."""
        if not ahead.P:
            return []
        P_rows, cover_rows, cost_rows = np.array(ahead.P), np.array(ahead.cover), np.array(ahead.cost)
        leaf = self.ecr_batch(P_rows, np.array(ahead.act), cover_rows, cost_rows)
        # the repairs-then-end estimate misses what one question after a failed repair tells ("change the
        # sensitivity; if it fails, walk past it" beats "walk past it first"): each outcome also gets
        # that estimate, and keeps the cheaper one
        own_move = [move_id for move_id, _, weights in ahead.plan for _ in weights]
        leaf = np.minimum(leaf, self._ask_then_end(P_rows, cover_rows, cost_rows, questions, own_move))
        starts = np.cumsum([0] + [len(w) for _, _, w in ahead.plan])
        values = [own + float(np.dot(w, leaf[starts[i] : starts[i + 1]])) for i, (_, own, w) in enumerate(ahead.plan)]
        return [Choice("move", move_id, value) for (move_id, _, _), value in zip(ahead.plan, values)]

    def _score_endings(self, p: np.ndarray, routes: RouteTable) -> List[Choice]:
        """Each route open now: its costs, the rework when the cause it names is wrong, and the hand-off's share."""
        mask, rcost, covers = routes
        named = (p[None, :] * mask).max(axis=1)
        handover = self._row_handover @ p
        choices: List[Choice] = []
        for i, route in enumerate(self.routes):
            covered = covers[i]
            if covered:
                value = rcost[i] + (1 - named[i]) * self.t.rework + handover[i]
                choices.append(Choice("route", route.id, float(value), covered))
        return choices


def _outcomes(option_ids: List[str], joint: np.ndarray) -> List[Tuple[str, float, np.ndarray]]:
    """Per option (a row of `joint`, P(option, cause)): its probability, and the posterior given it."""
    probs = joint.sum(axis=1)
    return [(opt, float(w), joint[i] / max(w, 1e-12)) for i, (opt, w) in enumerate(zip(option_ids, probs))]

"""How a diagnosis ends: a confirmed fix (with the guide's scenario and post-fix checks) or an
escalation (with the thresholds met, what met them, and the guide's recommendation).

Typed, frozen objects; `to_dict`/`outcome_from_dict` turn them into JSON only at the edges (the
stored diagnosis state, the ticket).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from bot.engine.conditions import holds, witnesses
from bot.engine.evidence import LineHeld, confirmed, disproved, later_lines
from bot.engine.posterior import evidence_against
from bot.engine.state import ASSUMED, OBSERVED, DiagnosisState, Observation
from bot.engine.tables import Tables
from bot.knowledge.escalation import THRESHOLD_GROUPS
from bot.knowledge.guide import Knowledge

FIXED = "fixed"
# A cause this much less likely than the named one is worth a line in "why the others were ruled out";
# only causes that were plausible for the symptom (at least this share of the belief) get one.
PLAUSIBLE = 0.05


@dataclass(frozen=True)
class Said:
    """One piece of evidence, as the customer gave it or a step showed it."""

    move: str
    option: Optional[str]
    label: str  # the answer in words
    prompt: str  # the question or step it answers
    source: str  # said | observed | assumed
    quote: Optional[str] = None  # the customer's own words

    def words(self, agent: bool = False) -> str:
        """The evidence in a short phrase, for the customer ("you said") or an agent ("the customer said")."""
        who = "the customer" if agent else "you"
        if self.source == OBSERVED:
            return f'the step showed: "{self.label}"'
        if self.quote and self.quote != self.label:
            return f'{who} said: "{self.quote}"'
        return f'{who} answered: "{self.label}"'


@dataclass(frozen=True)
class Reason:
    """A threshold met, or a "Confirms" line that holds, with what met it."""

    text: str
    group: str = ""
    id: str = ""
    evidence: Tuple[Said, ...] = ()


@dataclass(frozen=True)
class RankedCause:
    cause: str
    name: str
    probability: float


@dataclass(frozen=True)
class RuledOut:
    """Why another cause was not named: one plain sentence."""

    cause: str
    name: str
    sentence: str


@dataclass(frozen=True)
class Scenario:
    id: str
    symptom: str
    cause: str
    fix: str
    verification: str


@dataclass(frozen=True)
class Check:
    id: str
    name: str
    check: str


@dataclass(frozen=True)
class FixOutcome:
    action: str
    action_ref: str
    cause: str
    cause_name: str
    probability: float
    scenario: Optional[Scenario]
    expected: Optional[str]
    post_fix_checks: Tuple[Check, ...]
    safety: Tuple[str, ...] = ()
    confirmed: Tuple[Reason, ...] = ()
    later: Tuple[str, ...] = ()  # guide lines that only time can settle ("if reset permanently resolves")
    type: str = "fix"

    def to_dict(self) -> Dict[str, Any]:
        return plain(asdict(self))


@dataclass(frozen=True)
class EscalationOutcome:
    route: str
    recommendation: str
    text: str
    cause: str
    cause_name: str
    probability: float
    covers: Tuple[str, ...]
    ranking: Tuple[RankedCause, ...]
    ruled_out: Tuple[RuledOut, ...]
    thresholds: Tuple[Reason, ...]
    scenario: Optional[Scenario]
    safety: Tuple[str, ...] = ()
    tried: Tuple[str, ...] = ()
    warranty: Optional[str] = None
    warranty_hint: Optional[str] = None
    notes: Tuple[str, ...] = ()
    confirmed: Tuple[Reason, ...] = ()
    type: str = "escalation"

    def to_dict(self) -> Dict[str, Any]:
        return plain(asdict(self))

    def met(self, threshold_id: str) -> bool:
        return any(t.id == threshold_id for t in self.thresholds)


Outcome = Union[FixOutcome, EscalationOutcome]


def plain(value: Any) -> Any:
    """JSON's own shapes (lists, not tuples), so a stored outcome reads back equal."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


# -- reading stored outcomes back ---------------------------------------------------------
def _said(d: Dict[str, Any]) -> Said:
    return Said(**d)


def _reason(d: Dict[str, Any]) -> Reason:
    return Reason(**{**d, "evidence": tuple(_said(e) for e in d.get("evidence", ()))})


def outcome_from_dict(data: Optional[Dict[str, Any]]) -> Optional[Outcome]:
    """The typed outcome of a stored state; None for no outcome or a stored dict of an older shape."""
    if not isinstance(data, dict) or data.get("type") not in ("fix", "escalation"):
        return None
    try:
        common: Dict[str, Any] = {
            "scenario": Scenario(**data["scenario"]) if data.get("scenario") else None,
            "safety": tuple(data.get("safety", ())),
            "confirmed": tuple(_reason(r) for r in data.get("confirmed", ())),
        }
        plain: Tuple[str, ...]
        if data["type"] == "fix":
            plain = ("scenario", "safety", "confirmed", "post_fix_checks", "later")
            return FixOutcome(
                **{k: v for k, v in data.items() if k not in plain},
                **common,
                post_fix_checks=tuple(Check(**c) for c in data.get("post_fix_checks", ())),
                later=tuple(data.get("later", ())),
            )
        plain = ("scenario", "safety", "confirmed", "ranking", "ruled_out", "thresholds", "covers", "tried", "notes")
        return EscalationOutcome(
            **{k: v for k, v in data.items() if k not in plain},
            **common,
            covers=tuple(data.get("covers", ())),
            ranking=tuple(RankedCause(**r) for r in data.get("ranking", ())),
            ruled_out=tuple(RuledOut(**r) for r in data.get("ruled_out", ())),
            thresholds=tuple(_reason(r) for r in data.get("thresholds", ())),
            tried=tuple(data.get("tried", ())),
            notes=tuple(data.get("notes", ())),
        )
    except (TypeError, KeyError):
        return None


# -- building outcomes ----------------------------------------------------------------------
def said(k: Knowledge, obs: Observation) -> Said:
    move = k.move(obs.move)
    if obs.kind == "fixed":
        label = "It works now"
    elif obs.relapsed:
        label = "It seemed to work, then the problem came back at the checks"
    elif obs.option is None:
        label = "Tried it before; it did not help" if obs.before else "It did not help"
    else:
        option = move.option(obs.option)
        label = option.label if option else obs.option
    source = OBSERVED if obs.kind in ("failed", "fixed") and not obs.before else obs.source
    return Said(obs.move, obs.option, label, move.prompt, source, obs.quote)


def _reason_from(k: Knowledge, held: LineHeld) -> Reason:
    return Reason(held.line.text, evidence=tuple(said(k, o) for o in held.observations))


def _post_fix_checks(k: Knowledge, state: DiagnosisState, cause: str) -> Tuple[Check, ...]:
    checks = []
    for check in k.post_fix_checks:
        if check.only_if and not (set(check.only_if.symptoms) & set(state.symptoms) or cause in check.only_if.causes):
            continue
        checks.append(Check(check.id, check.name, check.check))
    return tuple(checks)


def _scenario(k: Knowledge, cause: str, move: Optional[str] = None, route: Optional[str] = None) -> Optional[Scenario]:
    for sc in k.fix_scenarios:
        if sc.cause != cause:
            continue
        if (move and sc.realised_by.move == move) or (route and sc.realised_by.route == route):
            return Scenario(sc.id, sc.symptom, sc.cause_detail or k.cause(sc.cause).name, sc.fix, sc.verification)
    return None


def fix_outcome(k: Knowledge, t: Tables, state: DiagnosisState, action_id: str, p: np.ndarray) -> FixOutcome:
    """The cause a working repair points to: the likeliest under "this repair fixed it"."""
    fixes = t.moves[action_id].fixes
    given_fixed = p * fixes
    if given_fixed.sum() > 0:
        index, prob = int(np.argmax(given_fixed)), float(given_fixed.max() / given_fixed.sum())
    else:
        index, prob = int(np.argmax(p)), float(p.max())
    cause = t.causes[index]
    step = next((s for s in k.steps if s.move.id == action_id), None)
    return FixOutcome(
        action=action_id,
        action_ref=k.move_section(action_id),
        cause=cause,
        cause_name=k.cause(cause).name,
        probability=round(prob, 4),
        scenario=_scenario(k, cause, move=action_id),
        expected=step.expected if step else None,
        post_fix_checks=_post_fix_checks(k, state, cause),
        safety=tuple(state.safety),
        confirmed=tuple(_reason_from(k, h) for h in confirmed(k, state, cause)),
        later=tuple(later_lines(k, cause)),
    )


def thresholds_met(k: Knowledge, state: DiagnosisState, named: str, recommendation: str) -> List[Reason]:
    """The guide's thresholds this ending rests on, each with the evidence that met it. Conditions
    read only what the customer said and the steps showed, so no threshold rests on an assumption."""
    met = []
    for group in THRESHOLD_GROUPS:
        for th in getattr(k.thresholds, group):
            if group == "no_repair_possible":
                applies = (
                    named in th.causes
                    and recommendation in ("replace", "contact_support")
                    and (th.when is None or holds(th.when, state))
                )
            elif th.annotation or group == "return_recommended":
                applies = th.when is not None and holds(th.when, state) and (not th.causes or named in th.causes)
            else:
                applies = th.when is not None and holds(th.when, state) and named in th.causes
            if applies:
                evidence = tuple(said(k, o) for o in witnesses(th.when, state) or ()) if th.when else ()
                met.append(Reason(th.text, group, th.id, evidence))
    return met


def _ruled_out(k: Knowledge, t: Tables, state: DiagnosisState, named: str, p: np.ndarray, prior: np.ndarray):
    """One plain sentence per other cause that was plausible for the symptom."""
    against = evidence_against(t, state, named)
    gone = disproved(k, state)
    by_move = {(o.move, o.option or o.kind): o for o in state.observations if o.counts}
    lines = []
    for i, cause in enumerate(t.causes):
        if cause == named or prior[i] < PLAUSIBLE:
            continue
        name = k.cause(cause).name
        if cause in gone:
            held = gone[cause]
            why = "; ".join(said(k, o).words(agent=True) for o in held.observations)
            sentence = f'Ruled out by the guide ("{held.line.text}")' + (f": {why}." if why else ".")
        elif against.get(cause):
            move, _, option = str(against[cause][0]["evidence"]).partition("=")
            obs = by_move.get((move, option))
            if obs is None:
                continue
            sentence = f"Less likely: {said(k, obs).words(agent=True)}."
        elif p[i] < 0.5 * p[t.causes.index(named)]:
            sentence = "Less likely for this problem, though nothing ruled it out."
        else:
            continue
        lines.append(RuledOut(cause, name, sentence))
    return tuple(lines)


def escalation_outcome(
    k: Knowledge,
    t: Tables,
    state: DiagnosisState,
    route_id: str,
    covers: Sequence[str],
    p: np.ndarray,
    prior: Optional[np.ndarray] = None,
) -> EscalationOutcome:
    """`p` already gives disproved causes no belief: the named cause is the likeliest of `covers`."""
    route = k.route(route_id)
    gone = disproved(k, state)
    candidates = [t.cause_index(c) for c in covers if c not in gone] or [
        i for i, c in enumerate(t.causes) if c not in gone
    ]
    named_index = max(candidates, key=lambda i: p[i])
    named = t.causes[named_index]
    recommendation = route.recommendation
    met = thresholds_met(k, state, named, recommendation)
    if recommendation == "replace" and any(m.group == "return_recommended" for m in met):
        recommendation = "return"
    cloud = k.cause(k.roles.cloud_cause)
    notes: Tuple[str, ...] = ()
    if named == cloud.id or any(s in state.symptoms for s in _symptoms_of(k, cloud.id)):
        notes = tuple(k.cloud_dependency)
    first_month = next((m for m in met if m.id == k.roles.first_month_threshold), None)
    return EscalationOutcome(
        route=route_id,
        recommendation=recommendation,
        text=route.text,
        cause=named,
        cause_name=k.cause(named).name,
        probability=round(float(p[named_index]), 4),
        covers=tuple(covers),
        ranking=tuple(
            RankedCause(c, k.cause(c).name, round(float(p[i]), 4))
            for i, c in sorted(enumerate(t.causes), key=lambda x: -p[x[0]])
        ),
        ruled_out=_ruled_out(k, t, state, named, p, prior if prior is not None else p),
        thresholds=tuple(met),
        scenario=_scenario(k, named, route=route_id),
        safety=tuple(state.safety),
        tried=_tried(k, state),
        warranty=state.evidence_answer(k.roles.warranty_question),
        warranty_hint=first_month.text if first_month else None,
        notes=notes,
        confirmed=tuple(_reason_from(k, h) for h in confirmed(k, state, named)),
    )


def _tried(k: Knowledge, state: DiagnosisState) -> Tuple[str, ...]:
    """Repair steps done: in this conversation, or before it by what the customer said."""
    done = [o.move for o in state.observations if o.kind in ("failed", "fixed")]
    done += [
        m.id for m in k.moves if m.kind == "action" and m.tried_if is not None and holds(m.tried_if, state, asked=True)
    ]
    return tuple(dict.fromkeys(done))


def _symptoms_of(k: Knowledge, cause_id: str) -> List[str]:
    """The symptoms of the patterns a cause's "Confirms" line names (Pattern J for the cloud)."""
    patterns = set(k.cause(cause_id).patterns)
    return [s.id for s in k.symptoms if s.pattern in patterns]


def rests_on_assumption(outcome: Outcome) -> bool:
    """Whether any threshold of an ending is met by an answer merely assumed from the symptom."""
    if not isinstance(outcome, EscalationOutcome):
        return False
    return any(e.source == ASSUMED for r in outcome.thresholds for e in r.evidence)


__all__ = [
    "FIXED",
    "Check",
    "EscalationOutcome",
    "FixOutcome",
    "Outcome",
    "RankedCause",
    "Reason",
    "RuledOut",
    "Said",
    "Scenario",
    "escalation_outcome",
    "field",
    "fix_outcome",
    "outcome_from_dict",
    "rests_on_assumption",
    "said",
    "thresholds_met",
]

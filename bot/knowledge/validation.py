"""Cross-reference and probability checks that no single item can make on its own."""

from __future__ import annotations

from typing import Iterable, List, NoReturn, Optional, Set

from bot.knowledge.conditions import AnswerAtom, Condition, SymptomAtom, action_of
from bot.knowledge.errors import KnowledgeError
from bot.knowledge.guide import Knowledge
from bot.knowledge.moves import Move, Option

TOLERANCE = 1e-6


def _fail(file: str, where: str, message: str) -> NoReturn:
    raise KnowledgeError(f"{file}: {where}: {message}")


def _move_file(k: Knowledge, move_id: str) -> str:
    section = k.move_section(move_id)
    if section.startswith("Step"):
        return "diagnostic_steps.yml"
    if section.startswith("Triage"):
        return "triage_tests.yml"
    if section.startswith("Fix scenario"):
        return "fix_scenarios.yml"
    return section.replace(" ", "_") + ".yml"


def _check_condition(k: Knowledge, cond: Optional[Condition], file: str, where: str) -> None:
    if cond is None:
        return
    moves = {mv.id: mv for mv in k.moves}
    symptoms = {s.id for s in k.symptoms}
    for clause in cond:
        if not clause:
            _fail(file, where, "an empty condition clause")
        for atom in clause:
            if isinstance(atom, AnswerAtom):
                mv = moves.get(atom.answer)
                if mv is None:
                    _fail(file, where, f"condition names unknown move {atom.answer!r}")
                known = {o.id for o in mv.answer_options}
                for opt in atom.in_:
                    if opt not in known:
                        _fail(file, where, f"condition names unknown option {opt!r} of {atom.answer!r}")
            elif isinstance(atom, SymptomAtom):
                if atom.symptom not in symptoms:
                    _fail(file, where, f"condition names unknown symptom {atom.symptom!r}")
            else:
                action = action_of(atom)
                mv = moves.get(action)
                if mv is None or mv.kind != "action":
                    _fail(file, where, f"condition names {action!r}, which is not an action")


def _check_distribution(options: Iterable[Option], causes: List[str], file: str, where: str) -> None:
    options = list(options)
    for opt in options:
        for key in opt.likelihood:
            if key != "default" and key not in causes:
                _fail(file, where, f"option {opt.id!r} names unknown cause {key!r}")
    for cause in causes:
        total = 0.0
        for opt in options:
            p = opt.likelihood.get(cause, opt.likelihood.get("default"))
            if p is None:
                _fail(file, where, f"option {opt.id!r} gives no likelihood for {cause!r} and no default")
            total += p
        if abs(total - 1.0) > TOLERANCE:
            _fail(file, where, f"answer likelihoods under cause {cause!r} sum to {total:.4f}, not 1")


def validate(k: Knowledge) -> None:
    """Every cross-check, in this order: the first problem found stops the load with its message."""
    _check_causes(k)
    _check_symptoms(k)
    _check_symptom_likelihoods(k)
    _check_moves(k)
    _check_symptom_answers(k)
    _check_false_fixes(k)
    _check_reset_behaviours(k)
    _check_avoidable(k)
    _check_roles(k)
    _check_fix_scenarios(k)
    _check_post_fix_checks(k)
    _check_thresholds(k)
    _check_routes(k)


def _check_causes(k: Knowledge) -> None:
    """Unique ids, one 'other', frequencies that sum to 100%, small reserves, and sound evidence lines."""
    cause_ids = [c.id for c in k.causes]
    if len(set(cause_ids)) != len(cause_ids):
        _fail("causes.yml", "causes", "duplicate cause ids")
    others = [c for c in k.causes if c.id == "other"]
    if len(others) != 1 or others[0].frequency != 0:
        _fail("causes.yml", "causes", "needs exactly one 'other' cause with frequency 0")
    total = sum(c.frequency for c in k.causes)
    if abs(total - 100) > TOLERANCE:
        _fail("causes.yml", "causes", f"field frequencies sum to {total}%, not 100%")
    reserved = sum(c.reserve or 0.0 for c in k.causes)
    if not 0 < reserved < 0.5:
        _fail("causes.yml", "causes", f"the reserves of causes outside the ranking sum to {reserved}, not in (0, 0.5)")
    for c in k.causes:
        for line in c.confirms + c.disproves:
            _check_condition(k, line.when, "causes.yml", f"{c.id}: {line.text!r}")


def _check_symptoms(k: Knowledge) -> None:
    symptom_ids = [s.id for s in k.symptoms]
    if len(set(symptom_ids)) != len(symptom_ids):
        _fail("symptoms.yml", "symptoms", "duplicate symptom ids")
    pattern_ids = {p.id for p in k.patterns}
    for s in k.symptoms:
        if s.pattern is not None and s.pattern not in pattern_ids:
            _fail("symptoms.yml", s.id, f"unknown pattern {s.pattern!r}")


def _check_symptom_likelihoods(k: Knowledge) -> None:
    """Each cause's patterns are known and its symptom likelihoods are a distribution over known symptoms;
    every symptom has a cause that produces it."""
    symptom_ids = [s.id for s in k.symptoms]
    pattern_ids = {p.id for p in k.patterns}
    for c in k.causes:
        for p in c.patterns:
            if p not in pattern_ids:
                _fail("causes.yml", c.id, f"unknown pattern {p!r}")
        for symptom, p in c.symptom_likelihood.items():
            if symptom not in symptom_ids:
                _fail("causes.yml", c.id, f"symptom_likelihood names unknown symptom {symptom!r}")
            if not 0 <= p <= 1:
                _fail("causes.yml", c.id, f"symptom_likelihood for {symptom!r} is not a probability")
        row = sum(c.symptom_likelihood.values())
        if abs(row - 1) > TOLERANCE:
            _fail("causes.yml", c.id, f"symptom_likelihood sums to {row:.4f}, not 1")
    for s in symptom_ids:
        if not any(c.symptom_likelihood.get(s, 0) > 0 for c in k.causes):
            _fail("causes.yml", "causes", f"no cause ever produces symptom {s!r}")


def _check_moves(k: Knowledge) -> None:
    cause_ids = [c.id for c in k.causes]
    move_ids = [mv.id for mv in k.moves]
    dupes = {x for x in move_ids if move_ids.count(x) > 1}
    if dupes:
        _fail("knowledge", "moves", f"duplicate move ids {sorted(dupes)}")
    behaviours = {b.id for b in k.reset_behaviours}
    for mv in k.moves:
        file = _move_file(k, mv.id)
        where = f"move {mv.id}"
        _check_distribution(mv.answer_options, cause_ids, file, where)
        _check_fixes_and_relapses(mv, cause_ids, file, where)
        for stale in mv.stales:
            if stale not in move_ids:
                _fail(file, where, f"stales names unknown move {stale!r}")
        _check_condition(k, mv.requires, file, where)
        _check_condition(k, mv.tried_if, file, where)
        _check_condition(k, mv.unless, file, where)
        for preface in mv.preface:
            _check_condition(k, preface.when, file, where)
        _check_option_references(mv, behaviours, file, where)


def _check_fixes_and_relapses(mv: Move, cause_ids: List[str], file: str, where: str) -> None:
    """Probabilities per known cause, and a fix and a relapse never more likely together than 1."""
    for cause, p in mv.fixes.items():
        if cause not in cause_ids:
            _fail(file, where, f"fixes names unknown cause {cause!r}")
        if not 0 <= p <= 1:
            _fail(file, where, f"fixes for {cause!r} is not a probability")
    for cause, p in mv.relapses.items():
        if cause != "default" and cause not in cause_ids:
            _fail(file, where, f"relapses names unknown cause {cause!r}")
        if not 0 <= p <= 1:
            _fail(file, where, f"relapses for {cause!r} is not a probability")
    for cause in cause_ids:
        if mv.fixes.get(cause, 0.0) + mv.relapses.get(cause, mv.relapses.get("default", 0.0)) > 1 + TOLERANCE:
            _fail(file, where, f"fixes and relapses for {cause!r} add up to more than 1")


def _check_option_references(mv: Move, behaviours: Set[str], file: str, where: str) -> None:
    """What the move's entity rules map to and the reset behaviours its options name exist."""
    if mv.from_entity is not None:
        known = {o.id for o in mv.answer_options}
        for rule in list(mv.from_entity.ranges) + list(mv.from_entity.map):
            if rule.option not in known:
                _fail(file, where, f"from_entity maps to unknown option {rule.option!r}")
    for opt in mv.answer_options:
        if opt.reset_behaviour is not None and opt.reset_behaviour not in behaviours:
            _fail(file, where, f"option {opt.id!r} names unknown reset behaviour {opt.reset_behaviour!r}")


def _check_symptom_answers(k: Knowledge) -> None:
    """The answers a symptom states or implies, and the move it checks first, exist."""
    move_ids = [mv.id for mv in k.moves]
    for s in k.symptoms:
        for key, items in (("states", s.states), ("implies", s.implies)):
            for imp in items:
                if imp.move not in move_ids or k.move(imp.move).option(imp.option) is None:
                    _fail("symptoms.yml", s.id, f"{key} unknown answer {imp.move}={imp.option}")
    for s in k.symptoms:
        if s.check_first is not None and s.check_first not in move_ids:
            _fail("symptoms.yml", s.id, f"check_first names unknown move {s.check_first!r}")


def _check_false_fixes(k: Knowledge) -> None:
    symptom_ids = [s.id for s in k.symptoms]
    for ff in k.false_fixes:
        for s_id in ff.not_for:
            if s_id not in symptom_ids:
                _fail("false_fixes.yml", ff.id, f"not_for names unknown symptom {s_id!r}")


def _check_reset_behaviours(k: Knowledge) -> None:
    move_ids = [mv.id for mv in k.moves]
    reset = k.move("factory_reset") if "factory_reset" in move_ids else None
    for b in k.reset_behaviours:
        for opt_id in b.factory_reset_options:
            if reset is None or reset.option(opt_id) is None:
                _fail("reset_behaviour.yml", b.id, f"unknown factory_reset option {opt_id!r}")


def _check_avoidable(k: Knowledge) -> None:
    cause_ids = [c.id for c in k.causes]
    move_ids = [mv.id for mv in k.moves]
    for step in k.avoidable.before_replacing:
        if step not in move_ids:
            _fail("escalation.yml", "avoidable", f"before_replacing names unknown move {step!r}")
    if k.avoidable.before_replacing and not k.avoidable.before_replacing_reason:
        _fail("escalation.yml", "avoidable", "before_replacing needs its reason")
    for c in k.avoidable.not_for:
        if c not in cause_ids:
            _fail("escalation.yml", "avoidable", f"not_for names unknown cause {c!r}")


def _check_roles(k: Knowledge) -> None:
    """Each role names an item of the right kind, and the safety notice question has its notice."""
    roles = k.roles
    cause_ids = {c.id for c in k.causes}
    actions = {mv.id for mv in k.moves if mv.kind == "action"}
    questions = {mv.id for mv in k.moves if mv.kind == "question"}
    threshold_ids = {t.id for t in k.thresholds.all()}
    named = [
        ("safety_action", roles.safety_action, actions),
        ("safety_notice_question", roles.safety_notice_question, questions),
        ("age_question", roles.age_question, questions),
        ("warranty_question", roles.warranty_question, questions),
        ("cloud_cause", roles.cloud_cause, cause_ids),
        ("first_month_threshold", roles.first_month_threshold, threshold_ids),
        ("unknown_cause", roles.unknown_cause, cause_ids),
    ] + [("safety_stop_causes", c, cause_ids) for c in roles.safety_stop_causes]
    for role, item, known in named:
        if item not in known:
            _fail("roles.yml", role, f"names {item!r}, which the knowledge does not have in that kind")
    if k.move(roles.safety_notice_question).safety is None:
        _fail("roles.yml", "safety_notice_question", "that question has no safety notice")


def _check_fix_scenarios(k: Knowledge) -> None:
    cause_ids = [c.id for c in k.causes]
    move_ids = [mv.id for mv in k.moves]
    route_ids = [r.id for r in k.routes]
    for sc in k.fix_scenarios:
        if sc.cause not in cause_ids:
            _fail("fix_scenarios.yml", f"scenario {sc.id}", f"unknown cause {sc.cause!r}")
        if sc.realised_by.move and sc.realised_by.move not in move_ids:
            _fail("fix_scenarios.yml", f"scenario {sc.id}", f"realised_by unknown move {sc.realised_by.move!r}")
        if sc.realised_by.route and sc.realised_by.route not in route_ids:
            _fail("fix_scenarios.yml", f"scenario {sc.id}", f"realised_by unknown route {sc.realised_by.route!r}")


def _check_post_fix_checks(k: Knowledge) -> None:
    cause_ids = [c.id for c in k.causes]
    symptom_ids = [s.id for s in k.symptoms]
    move_ids = [mv.id for mv in k.moves]
    for check in k.post_fix_checks:
        if check.failed_means is not None:
            means = check.failed_means
            if means.move not in move_ids or k.move(means.move).option(means.option) is None:
                _fail("post_fix_checks.yml", check.id, f"failed_means names no answer {means.move}={means.option}")
        if check.only_if:
            for symptom in check.only_if.symptoms:
                if symptom not in symptom_ids:
                    _fail("post_fix_checks.yml", check.id, f"unknown symptom {symptom!r}")
            for c in check.only_if.causes:
                if c not in cause_ids:
                    _fail("post_fix_checks.yml", check.id, f"unknown cause {c!r}")


def _check_thresholds(k: Knowledge) -> None:
    cause_ids = [c.id for c in k.causes]
    threshold_ids = [t.id for t in k.thresholds.all()]
    if len(set(threshold_ids)) != len(threshold_ids):
        _fail("escalation.yml", "thresholds", "duplicate threshold ids")
    for t in k.thresholds.all():
        for c in t.causes:
            if c not in cause_ids:
                _fail("escalation.yml", f"threshold {t.id}", f"unknown cause {c!r}")
        _check_condition(k, t.when, "escalation.yml", f"threshold {t.id}")


def _check_routes(k: Knowledge) -> None:
    """Each route names known thresholds, causes and closing questions, and says when it applies;
    the routes roles.yml names exist."""
    cause_ids = [c.id for c in k.causes]
    threshold_ids = [t.id for t in k.thresholds.all()]
    for r in k.routes:
        for tid in r.thresholds:
            if tid not in threshold_ids:
                _fail("escalation.yml", f"route {r.id}", f"unknown threshold {tid!r}")
        if r.covers != "all":
            for c in r.covers:
                if c not in cause_ids:
                    _fail("escalation.yml", f"route {r.id}", f"covers unknown cause {c!r}")
        if not r.thresholds and not r.when and r.covers != "all" and not r.safety_only:
            _fail("escalation.yml", f"route {r.id}", "needs thresholds, when, or covers: all")
        _check_condition(k, r.when, "escalation.yml", f"route {r.id}")
        for q in r.closing_questions:
            if q not in k.closing_move_ids:
                _fail("escalation.yml", f"route {r.id}", f"closing question {q!r} is not a closing question")
    # the routes roles.yml names (the hand-off to a person, the safety stop)
    for route in (k.roles.person_route, k.roles.safety_stop_route):
        if route not in [r.id for r in k.routes]:
            _fail("escalation.yml", "routes", f"needs a {route} route")

"""Customer wording kept beside the guide: typed answers per option (answer_phrases.yml) and
statements that answer a question before it is asked (statements.yml).

Kept apart from the guide's model (bot/knowledge/guide.py): these files describe how people
write, not what the guide says, and the engine never reads them. Every error names the file
and the entry.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

from bot.knowledge.guide import Knowledge
from bot.knowledge.loader import DEFAULT_DIR, KnowledgeError

ANSWER_FILE = "answer_phrases.yml"
FIXED = "fixed"  # the engine's id of "Yes, it works now" (bot.engine.FIXED; no engine import here)
FIXED_LABEL = "Yes, it works now"  # the button every repair step has (the engine offers it by this name)
POLARITIES = ("yes", "no")
# Files of data/knowledge/ about customers' wording, loaded here and by bot/language/scope.py, not
# by the guide's loader.
WORDING_FILES = (ANSWER_FILE, "statements.yml", "scope.yml")


@dataclass(frozen=True)
class OptionPhrases:
    polarity: Optional[str]
    phrases: Tuple[str, ...]
    bare: bool = False  # what a bare "yes"/"no" means when several options share its polarity
    unsure: bool = False  # an "I don't know" answer
    never_with: Tuple[str, ...] = ()  # a reply with one of these words is never this option
    range: Optional["Range"] = None  # a measurement: where its reading lies


@dataclass(frozen=True)
class Range:
    """Where a measurement lies for an option: min/max count as inside, below/above do not."""

    unit: str
    min: Optional[float] = None
    max: Optional[float] = None
    below: Optional[float] = None
    above: Optional[float] = None

    def holds(self, value: float) -> bool:
        return (
            (self.min is None or value >= self.min)
            and (self.max is None or value <= self.max)
            and (self.below is None or value < self.below)
            and (self.above is None or value > self.above)
        )


@dataclass(frozen=True)
class Unit:
    """A unit of the measurements questions ask for: the words naming it (with the factor to the unit)
    and the span a reading written without a unit must lie in to count as one."""

    words: Dict[str, float]
    span: Tuple[float, float]


@dataclass(frozen=True)
class AnswerPhrases:
    spellings: Dict[str, Tuple[str, ...]]
    yes_words: Tuple[str, ...]
    no_words: Tuple[str, ...]
    not_polar: Tuple[str, ...]
    opposites: Tuple[Tuple[str, str], ...]
    synonyms: Tuple[Tuple[str, ...], ...]
    answer_after_no: Tuple[str, ...]
    question_starts: Tuple[str, ...]
    fixed: OptionPhrases
    moves: Dict[str, Dict[str, OptionPhrases]] = field(default_factory=dict)
    units: Dict[str, Unit] = field(default_factory=dict)
    not_answers: Tuple[str, ...] = ()  # replies that answer no question ("one sec", a greeting)
    corrections: Tuple[str, ...] = ()  # words that take back the answer just given ("actually")
    doing_words: Tuple[str, ...] = ()  # "ok unplugging now": the step under way, no outcome yet
    done_words: Tuple[str, ...] = ()  # "swapped the charger": the step done, its outcome not said
    to_the_bot: Tuple[str, ...] = ()  # "ignore all previous instructions": words to the bot, no answer
    other_subjects: Tuple[str, ...] = ()  # "my phone and laptop are fine" is about them, not the camera

    def ranges(self, move_id: str) -> Tuple[Tuple[str, Range], ...]:
        """(option, range) of the move's options that are measurements."""
        return tuple((o, p.range) for o, p in self.moves.get(move_id, {}).items() if p.range is not None)

    def option(self, move_id: str, option_id: str) -> Optional[OptionPhrases]:
        if option_id == FIXED:
            own = self.moves.get(move_id, {}).get(FIXED)
            if own is None:
                return self.fixed
            phrases = self.fixed.phrases + own.phrases
            return OptionPhrases(self.fixed.polarity, phrases, never_with=self.fixed.never_with)
        return self.moves.get(move_id, {}).get(option_id)


def _strings(node: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(node, list) or not all(isinstance(x, str) and x.strip() for x in node):
        raise KnowledgeError(f"{where}: expected a list of non-empty strings (quote yes/no/on/off and numbers)")
    return tuple(x.strip() for x in node)


def _option(node: Any, where: str) -> OptionPhrases:
    if not isinstance(node, dict):
        raise KnowledgeError(f"{where}: expected a mapping with `phrases` (and optionally `polarity`)")
    unknown = set(node) - {"polarity", "phrases", "bare", "unsure", "never_with", "range"}
    if unknown:
        raise KnowledgeError(f"{where}: unknown keys {sorted(unknown)}")
    polarity = node.get("polarity")
    if polarity is not None and polarity not in POLARITIES:
        raise KnowledgeError(f"{where}: polarity must be yes or no (quoted), got {polarity!r}")
    flags = {key: node.get(key, False) for key in ("bare", "unsure")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise KnowledgeError(f"{where}: {key} must be true or false")
    never = _strings(node["never_with"], f"{where}.never_with") if "never_with" in node else ()
    reading = _range(node["range"], f"{where}.range") if "range" in node else None
    phrases = _strings(node.get("phrases"), f"{where}.phrases")
    return OptionPhrases(polarity, phrases, never_with=never, range=reading, **flags)


def _number(node: Any, where: str) -> Optional[float]:
    if node is None:
        return None
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise KnowledgeError(f"{where}: expected a number, got {node!r}")
    return float(node)


def _range(node: Any, where: str) -> Range:
    bounds = ("min", "max", "below", "above")
    if not isinstance(node, dict) or set(node) - {"unit", *bounds} or not isinstance(node.get("unit"), str):
        raise KnowledgeError(f"{where}: expected unit and min, max, below or above")
    found = {b: _number(node.get(b), f"{where}.{b}") for b in bounds}
    if all(v is None for v in found.values()):
        raise KnowledgeError(f"{where}: needs min, max, below or above")
    reading = Range(node["unit"], **found)
    lows = [v for v in (reading.min, reading.above) if v is not None]
    highs = [v for v in (reading.max, reading.below) if v is not None]
    if lows and highs and max(lows) >= min(highs):
        raise KnowledgeError(f"{where}: holds no number")
    return reading


def _units(node: Any, where: str) -> Dict[str, Unit]:
    if not isinstance(node, dict):
        raise KnowledgeError(f"{where}: expected a mapping of unit names")
    units = {}
    for name, spec in node.items():
        here = f"{where}.{name}"
        if not isinstance(spec, dict) or set(spec) != {"words", "span"}:
            raise KnowledgeError(f"{here}: expected words and span")
        words = spec["words"]
        if not isinstance(words, dict) or not words:
            raise KnowledgeError(f"{here}.words: expected a mapping of words to factors")
        factors = {str(w).lower(): _number(f, f"{here}.words.{w}") for w, f in words.items()}
        span = spec["span"]
        if not (isinstance(span, list) and len(span) == 2):
            raise KnowledgeError(f"{here}.span: expected [lowest, highest]")
        low, high = (_number(x, f"{here}.span") for x in span)
        if low is None or high is None or low >= high:
            raise KnowledgeError(f"{here}.span: expected [lowest, highest]")
        units[str(name)] = Unit({w: f for w, f in factors.items() if f is not None}, (low, high))
    return units


def parse_answer_phrases(data: Any, knowledge: Optional[Knowledge], file: str = ANSWER_FILE) -> AnswerPhrases:
    _check_top_level(data, file)
    spellings = _spellings(data, file)
    moves = _moves(data, file)
    phrases = AnswerPhrases(
        spellings=spellings,
        yes_words=_strings(data.get("yes_words"), f"{file}: yes_words"),
        no_words=_strings(data.get("no_words"), f"{file}: no_words"),
        not_polar=_strings(data.get("not_polar"), f"{file}: not_polar"),
        opposites=_pairs(data.get("opposites") or [], f"{file}: opposites"),
        synonyms=tuple(
            tuple(w.lower() for w in _strings(g, f"{file}: synonyms[{i}]"))
            for i, g in enumerate(data.get("synonyms") or [])
        ),
        answer_after_no=_strings(data.get("answer_after_no") or ["it"], f"{file}: answer_after_no"),
        question_starts=_strings(data.get("question_starts") or ["what"], f"{file}: question_starts"),
        fixed=_option(data.get("fixed"), f"{file}: fixed"),
        moves=moves,
        units=_units(data.get("units") or {}, f"{file}: units"),
        not_answers=_strings(data["not_answers"], f"{file}: not_answers") if "not_answers" in data else (),
        corrections=_strings(data["corrections"], f"{file}: corrections") if "corrections" in data else (),
        doing_words=_strings(data["doing_words"], f"{file}: doing_words") if "doing_words" in data else (),
        done_words=_strings(data["done_words"], f"{file}: done_words") if "done_words" in data else (),
        to_the_bot=_strings(data["to_the_bot"], f"{file}: to_the_bot") if "to_the_bot" in data else (),
        other_subjects=_strings(data["other_subjects"], f"{file}: other_subjects") if "other_subjects" in data else (),
    )
    _check_range_units(moves, phrases.units, file)
    if knowledge is not None:
        _check_options_in_guide(moves, knowledge, file)
    return phrases


def _check_top_level(data: Any, file: str) -> None:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{file}: expected a mapping at the top level")
    known = {"version", "spellings", "yes_words", "no_words", "not_polar", "opposites", "question_starts"}
    known |= {"fixed", "moves", "synonyms", "answer_after_no", "units", "not_answers", "corrections"}
    known |= {"doing_words", "done_words", "to_the_bot", "other_subjects"}
    unknown = set(data) - known
    if unknown:
        raise KnowledgeError(f"{file}: unknown top-level keys {sorted(unknown)}")


def _spellings(data: Dict[str, Any], file: str) -> Dict[str, Tuple[str, ...]]:
    spellings_raw = data.get("spellings") or {}
    if not isinstance(spellings_raw, dict):
        raise KnowledgeError(f"{file}: spellings: expected a mapping")
    return {str(k): _strings(v, f"{file}: spellings.{k}") for k, v in spellings_raw.items()}


def _moves(data: Dict[str, Any], file: str) -> Dict[str, Dict[str, OptionPhrases]]:
    moves_raw = data.get("moves")
    if not isinstance(moves_raw, dict) or not moves_raw:
        raise KnowledgeError(f"{file}: moves: expected a non-empty mapping")
    moves: Dict[str, Dict[str, OptionPhrases]] = {}
    for move_id, options in moves_raw.items():
        if not isinstance(options, dict):
            raise KnowledgeError(f"{file}: moves.{move_id}: expected a mapping of option ids")
        moves[str(move_id)] = {str(o): _option(n, f"{file}: moves.{move_id}.{o}") for o, n in options.items()}
    return moves


def _check_range_units(moves: Dict[str, Dict[str, OptionPhrases]], units: Dict[str, Unit], file: str) -> None:
    for move_id, options in moves.items():
        for option_id, option in options.items():
            if option.range is not None and option.range.unit not in units:
                where = f"{file}: moves.{move_id}.{option_id}.range"
                raise KnowledgeError(f"{where}: unknown unit {option.range.unit!r} (units: {sorted(units)})")


def _check_options_in_guide(moves: Dict[str, Dict[str, OptionPhrases]], knowledge: Knowledge, file: str) -> None:
    for move_id, options in moves.items():
        try:
            move = knowledge.move(move_id)
        except KeyError:
            raise KnowledgeError(f"{file}: moves.{move_id}: no such move in the guide") from None
        known = {o.id for o in move.answer_options} | ({FIXED} if move.kind == "action" else set())
        for option_id in options:
            if option_id not in known:
                raise KnowledgeError(
                    f"{file}: moves.{move_id}.{option_id}: not an option of {move_id} (options: {sorted(known)})"
                )


def _pairs(node: Any, where: str) -> Tuple[Tuple[str, str], ...]:
    if not isinstance(node, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(w, str) for w in p) for p in node
    ):
        raise KnowledgeError(f"{where}: expected a list of [word, word] pairs")
    return tuple((a.lower(), b.lower()) for a, b in node)


def missing_answer_phrases(phrases: AnswerPhrases, knowledge: Knowledge) -> List[str]:
    """`move.option` of every option the guide offers that has no phrases: it could only be tapped."""
    return [
        f"{m.id}.{o.id}"
        for m in knowledge.moves
        for o in m.answer_options
        if not getattr(phrases.option(m.id, o.id), "phrases", None)
    ]


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KnowledgeError(f"{path.name}: missing from {path.parent}") from None
    except yaml.YAMLError as error:
        raise KnowledgeError(f"{path.name}: not valid YAML: {error}") from None


@lru_cache(maxsize=4)
def _answer_phrases_cached(directory: str) -> AnswerPhrases:
    from bot.knowledge import load_knowledge

    path = Path(directory) / ANSWER_FILE
    return parse_answer_phrases(_read(path), load_knowledge(Path(directory)))


def load_answer_phrases(directory: Optional[Path] = None) -> AnswerPhrases:
    return _answer_phrases_cached(str(Path(directory or DEFAULT_DIR).resolve()))


STATEMENTS_FILE = "statements.yml"


@dataclass(frozen=True)
class Statement:
    move: str
    option: Optional[str]  # None: the step was tried, its outcome not said
    patterns: Tuple[str, ...]  # regular expressions, macros expanded


@dataclass(frozen=True)
class Statements:
    hedges: Tuple[str, ...]
    negations: Tuple[str, ...]
    statements: Tuple[Statement, ...]
    # the customer lacks what the open step needs ("I don't have a spare charger"): it is set aside
    lacking: Tuple[str, ...] = ()
    # what the customer lacks, named: the steps that need it are set aside whenever it is said
    lacks: Tuple["Lack", ...] = ()


@dataclass(frozen=True)
class Lack:
    moves: Tuple[str, ...]  # the steps that need what is lacked
    patterns: Tuple[str, ...]
    found: Tuple[str, ...] = ()  # it turned up after all ("found an old card in a drawer"): the steps come back


def parse_statements(data: Any, knowledge: Optional[Knowledge], file: str = STATEMENTS_FILE) -> Statements:
    if not isinstance(data, dict):
        raise KnowledgeError(f"{file}: expected a mapping at the top level")
    unknown = set(data) - {"version", "macros", "hedges", "negations", "statements", "lacking", "lacks"}
    if unknown:
        raise KnowledgeError(f"{file}: unknown top-level keys {sorted(unknown)}")
    macros = data.get("macros") or {}
    if not isinstance(macros, dict) or not all(isinstance(v, str) for v in macros.values()):
        raise KnowledgeError(f"{file}: macros: expected a mapping of names to strings")
    items = data.get("statements")
    if not isinstance(items, list) or not items:
        raise KnowledgeError(f"{file}: statements: expected a non-empty list")
    found = []
    for index, item in enumerate(items):
        where = f"{file}: statements[{index}]"
        if not isinstance(item, dict) or set(item) - {"move", "option", "patterns"} or "move" not in item:
            raise KnowledgeError(f"{where}: expected move, option and patterns")
        move_id, option = str(item["move"]), item.get("option")
        option = None if option is None else str(option)
        if knowledge is not None:
            try:
                move = knowledge.move(move_id)
            except KeyError:
                raise KnowledgeError(f"{where}: no such move {move_id!r} in the guide") from None
            known = [o.id for o in move.answer_options] + (["fixed"] if move.kind == "action" else [])
            if option is not None and option not in known:
                raise KnowledgeError(f"{where}: {option!r} is not an option of {move_id} (options: {known})")
        patterns = _patterns(item.get("patterns"), macros, where, f"{where}.patterns")
        found.append(Statement(move_id, option, tuple(patterns)))
    lacking = _patterns(data["lacking"], macros, f"{file}: lacking", f"{file}: lacking") if "lacking" in data else []
    lacks = []
    for index, item in enumerate(data.get("lacks") or []):
        where = f"{file}: lacks[{index}]"
        if not isinstance(item, dict) or not {"moves", "patterns"} <= set(item) <= {"moves", "patterns", "found"}:
            raise KnowledgeError(f"{where}: expected moves, patterns and maybe found")
        moves = _strings(item["moves"], f"{where}.moves")
        if knowledge is not None:
            for move_id in moves:
                try:
                    knowledge.move(move_id)
                except KeyError:
                    raise KnowledgeError(f"{where}: no such move {move_id!r} in the guide") from None
        found_again = _patterns(item["found"], macros, where, f"{where}.found") if "found" in item else []
        lacks.append(
            Lack(moves, tuple(_patterns(item["patterns"], macros, where, f"{where}.patterns")), tuple(found_again))
        )
    return Statements(
        hedges=_strings(data.get("hedges"), f"{file}: hedges"),
        negations=_strings(data.get("negations"), f"{file}: negations"),
        statements=tuple(found),
        lacking=tuple(lacking),
        lacks=tuple(lacks),
    )


def _patterns(items: Any, macros: Dict[str, str], where: str, label: str) -> List[str]:
    """Regular expressions with their macros expanded, each checked to compile."""
    patterns = []
    for pattern in _strings(items, label):
        expanded = re.sub(r"\{([A-Z_]+)\}", functools.partial(_expand, macros, where), pattern)
        try:
            re.compile(expanded)
        except re.error as error:
            bad = f"{where}: pattern {pattern!r} is not a valid regular expression: {error}"
            raise KnowledgeError(bad) from None
        patterns.append(expanded)
    return patterns


def _macro(macros: Dict[str, str], name: str, where: str) -> str:
    if name not in macros:
        raise KnowledgeError(f"{where}: unknown macro {{{name}}}")
    return "(?:" + macros[name] + ")"


def _expand(macros: Dict[str, str], where: str, match: "re.Match[str]") -> str:
    return _macro(macros, match.group(1), where)


@lru_cache(maxsize=4)
def _statements_cached(directory: str) -> Statements:
    from bot.knowledge import load_knowledge

    return parse_statements(_read(Path(directory) / STATEMENTS_FILE), load_knowledge(Path(directory)))


def load_statements(directory: Optional[Path] = None) -> Statements:
    return _statements_cached(str(Path(directory or DEFAULT_DIR).resolve()))

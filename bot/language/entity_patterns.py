"""The spaCy pipeline the entity extractor runs, built from the vocabulary.

``build_pipeline`` starts from ``spacy.blank("en")`` and adds:

* one tokenizer infix that splits a number from a unit written against it ("4.6V", "2months",
  "5ghz"), for the vocabulary's units, and one that splits "5V/2A",
* an ``EntityRuler`` with token patterns for every camera model spelling (separators, digit
  typos, plurals), the LED colour/mode words and "no light" phrases, and the numeric sections'
  templates ("number + unit"); the ruler resolves overlapping matches (longest wins, then
  leftmost).

The LED words get internal labels (``LED_LABELS``): bot/language/led_states.py combines them into
``led_state`` entities.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

import spacy
from spacy.language import Language
from spacy.util import compile_infix_regex

from bot.language.entity_types import CAMERA_MODEL, NUMERIC_SECTIONS
from bot.language.entity_vocabulary import (
    EntityVocabulary,
    Unit,
    VocabularyError,
    read_mapping,
    read_words,
)

# Internal EntityRuler labels for the LED building blocks.
LED_COLOUR = "_led_colour"
LED_MODE = "_led_mode"
LED_NONE = "_led_none"
LED_LABELS = frozenset({LED_COLOUR, LED_MODE, LED_NONE})
# The id suffix of a mode word that only counts before a colour, punctuation or an allowed word.
GUARDED = "#guarded"

DIGITS_PATTERN = r"[+-]?\d+(?:[.,]\d+)?"
_MODEL_ID_RE = re.compile(r"^([a-z]+)[\s._-]*(\d+)[\s._-]*([a-z]*)$")

Pattern = List[Dict[str, Any]]


@dataclass(frozen=True)
class Pipeline:
    """The built pipeline, with the camera models (id -> vocabulary entry) its patterns know."""

    nlp: Language
    models: Dict[str, Dict[str, Any]]
    pattern_count: int


class PatternBuilder:
    """Turns vocabulary words and templates into EntityRuler token patterns."""

    def __init__(self, nlp: Language, number_words: Iterable[str]) -> None:
        self._tokenizer = nlp.tokenizer
        words = sorted(number_words, key=len, reverse=True)
        alternatives = [DIGITS_PATTERN] + [re.escape(word) for word in words]
        self.number_token = {"LOWER": {"REGEX": "^(?:" + "|".join(alternatives) + ")$"}}

    def token_sequences(self, phrase: str) -> Set[Tuple[str, ...]]:
        """How the tokenizer splits a phrase (in a few casings), lower-cased."""
        sequences: Set[Tuple[str, ...]] = set()
        for form in {phrase, phrase.lower(), phrase.upper(), phrase.title()}:
            tokens = tuple(token.lower_ for token in self._tokenizer(form) if not token.is_space)
            if tokens:
                sequences.add(tokens)
            # A phrase ending a sentence may swallow the full stop ("5G.").
            tokens = tuple(token.lower_ for token in self._tokenizer(form + ".") if not token.is_space)
            if tokens and tokens[-1] != "." and tokens[-1].endswith("."):
                sequences.add(tokens)
        return sequences

    def phrase_alternatives(self, phrases: Iterable[str]) -> List[Pattern]:
        single: Set[str] = set()
        multi: Set[Tuple[str, ...]] = set()
        for phrase in phrases:
            for sequence in self.token_sequences(phrase):
                if len(sequence) == 1:
                    single.add(sequence[0])
                else:
                    multi.add(sequence)
        alternatives: List[Pattern] = []
        if single:
            alternatives.append([{"LOWER": {"IN": sorted(single)}}])
        for sequence in sorted(multi):
            alternatives.append([{"LOWER": token} for token in sequence])
        return alternatives

    def template_patterns(
        self,
        template: Sequence[str],
        slots: Mapping[str, List[str]],
        unit: Optional[Unit],
        where: str,
    ) -> List[Pattern]:
        choices: List[List[Pattern]] = []
        for element in template:
            if not isinstance(element, str) or not element:
                raise VocabularyError(f"{where}: template element {element!r}")
            optional = element.endswith("?") and len(element) > 1
            name = element[:-1] if optional else element
            if name == "NUM":
                alternatives = [[dict(self.number_token)]]
            elif name in ("UNIT", "UNIT_SG", "UNIT_PL"):
                if unit is None:
                    raise VocabularyError(f"{where}: {name} used without units")
                alternatives = self.phrase_alternatives(unit.words(name))
            elif name.startswith("@"):
                if name[1:] not in slots:
                    raise VocabularyError(f"{where}: unknown slot {name}")
                alternatives = self.phrase_alternatives(slots[name[1:]])
            else:
                alternatives = self.phrase_alternatives(word for word in name.lower().split("|") if word)
            if not alternatives:
                raise VocabularyError(f"{where}: element {element!r} matches nothing")
            if optional:
                alternatives = alternatives + [[]]
            choices.append(alternatives)
        patterns = []
        for combination in itertools.product(*choices):
            pattern = [token for part in combination for token in part]
            if pattern:
                patterns.append(pattern)
        return patterns


def build_pipeline(vocabulary: EntityVocabulary) -> Pipeline:
    """A blank English pipeline with the vocabulary's tokenizer rules and EntityRuler patterns."""
    nlp = spacy.blank("en")
    unit_words = [word for units in vocabulary.units.values() for unit in units.values() for word in unit.all]
    infixes = list(nlp.Defaults.infixes or ())
    unit_infix = _unit_infix(unit_words)
    if unit_infix:
        infixes.append(unit_infix)
    # "5V/2A", "2.4/5GHz", "on/off"
    infixes.append(r"(?<=[0-9A-Za-z])/(?=[0-9A-Za-z])")
    nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]

    builder = PatternBuilder(nlp, vocabulary.number_words.keys())
    patterns: List[Dict[str, Any]] = []
    model_patterns, models = _model_patterns(builder, read_mapping(vocabulary.data["camera_models"], "camera_models"))
    patterns += model_patterns
    patterns += _led_patterns(builder, vocabulary)
    patterns += _numeric_patterns(builder, vocabulary)

    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True, "validate": False})
    ruler.add_patterns(patterns)  # type: ignore[attr-defined]
    return Pipeline(nlp, models, len(patterns))


def _unit_infix(unit_words: Iterable[str]) -> Optional[str]:
    """Zero-width infix splitting "4.6V" -> "4.6" "V" for the vocabulary's units."""
    words = sorted(
        {word for word in unit_words if re.fullmatch(r"[^\W\d_]+|[°º][^\W\d_]*", word)},
        key=len,
        reverse=True,
    )
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in words)
    return rf"(?<=[0-9])(?=(?i:{alternatives})(?![a-zA-Z]))"


class _ModelSpellings:
    """The ways a model id may be written: with each separator, digit typos, a plural "s"."""

    def __init__(self, section: Mapping[str, Any]) -> None:
        separators = section.get("separators", [""])
        if not isinstance(separators, list) or not all(isinstance(s, str) for s in separators):
            raise VocabularyError("camera_models.separators must be a list of strings")
        self.separators: List[str] = separators
        self.typos = {
            str(digit): read_words(letters, f"camera_models.digit_typos.{digit}")
            for digit, letters in read_mapping(
                section.get("digit_typos"), "camera_models.digit_typos", required=False
            ).items()
        }
        self.accept_plural = bool(section.get("accept_plural", False))

    def of(self, names: Iterable[str], where: str) -> Set[str]:
        """Every spelling of the model ids ``names`` (a model's id and its aliases)."""
        spellings: Set[str] = set()
        for name in names:
            match = _MODEL_ID_RE.match(name.lower())
            if not match:
                raise VocabularyError(f"{where}: alias {name!r} is not a model id")
            prefix, number, suffix = match.groups()
            for num, separator in itertools.product(self._numbers(number), self.separators):
                spellings.add(f"{prefix}{separator}{num}{suffix}")
                if suffix:
                    spellings.add(f"{prefix}{separator}{num} {suffix}")
                elif self.accept_plural:
                    spellings.add(f"{prefix}{separator}{num}s")
        return spellings

    def _numbers(self, number: str) -> Set[str]:
        numbers = {number}
        for position, digit in enumerate(number):
            for letter in self.typos.get(digit, []):
                numbers |= {n[:position] + letter + n[position + 1 :] for n in numbers}
        return numbers


def _model_patterns(
    builder: PatternBuilder, section: Mapping[str, Any]
) -> Tuple[List[Dict[str, Any]], Dict[str, Dict[str, Any]]]:
    """The camera model patterns, and the models by id; a spelling shared by two models is an error."""
    spellings = _ModelSpellings(section)
    entries = section.get("models")
    if not isinstance(entries, list) or not entries:
        raise VocabularyError("camera_models.models must be a non-empty list")

    models: Dict[str, Dict[str, Any]] = {}
    owner: Dict[Tuple[str, ...], str] = {}
    patterns: List[Dict[str, Any]] = []
    for index, model in enumerate(entries):
        where = f"camera_models.models[{index}]"
        model = read_mapping(model, where)
        model_id = model.get("id")
        if not isinstance(model_id, str) or not _MODEL_ID_RE.match(model_id.lower()):
            raise VocabularyError(f"{where}.id: {model_id!r} is not a model id")
        models[model_id] = model
        names = [model_id] + read_words(model.get("aliases"), f"{where}.aliases")
        patterns += _spelling_patterns(builder, model_id, spellings.of(names, where), owner, where)
    return patterns, models


def _spelling_patterns(
    builder: PatternBuilder,
    model_id: str,
    spellings: Set[str],
    owner: Dict[Tuple[str, ...], str],
    where: str,
) -> List[Dict[str, Any]]:
    """Patterns for one model's spellings; ``owner`` records which model each token sequence is."""
    patterns: List[Dict[str, Any]] = []
    single: Set[str] = set()
    for spelling in spellings:
        for sequence in builder.token_sequences(spelling):
            previous = owner.setdefault(sequence, model_id)
            if previous != model_id:
                raise VocabularyError(f"{where}: spelling {' '.join(sequence)!r} is used by {previous} and {model_id}")
            if len(sequence) == 1:
                single.add(sequence[0])
            else:
                patterns.append(
                    {
                        "label": CAMERA_MODEL,
                        "id": model_id,
                        "pattern": [{"LOWER": token} for token in sequence],
                    }
                )
    if single:
        patterns.append(
            {
                "label": CAMERA_MODEL,
                "id": model_id,
                "pattern": [{"LOWER": {"IN": sorted(single)}}],
            }
        )
    return patterns


def _led_patterns(builder: PatternBuilder, vocabulary: EntityVocabulary) -> List[Dict[str, Any]]:
    patterns: List[Dict[str, Any]] = []

    def add(label: str, ident: str, alternatives: List[Pattern]) -> None:
        for pattern in alternatives:
            patterns.append({"label": label, "id": ident, "pattern": pattern})

    for colour, words in vocabulary.colours.items():
        add(LED_COLOUR, colour, builder.phrase_alternatives(words))
    for mode, node in vocabulary.modes.items():
        add(LED_MODE, mode, builder.phrase_alternatives(node["variants"]))
        if node["guarded"]:
            add(LED_MODE, mode + GUARDED, builder.phrase_alternatives(node["guarded"]))
    for index, template in enumerate(vocabulary.none_templates):
        where = f"led.none.templates[{index}]"
        if not isinstance(template, list):
            raise VocabularyError(f"{where}: a template is a list")
        add(
            LED_NONE,
            vocabulary.none_colour,
            builder.template_patterns(template, vocabulary.none_slots, None, where),
        )
    return patterns


def _numeric_patterns(builder: PatternBuilder, vocabulary: EntityVocabulary) -> List[Dict[str, Any]]:
    patterns: List[Dict[str, Any]] = []
    for name in NUMERIC_SECTIONS:
        section = read_mapping(vocabulary.data[name], name)
        templates = section.get("templates")
        if not isinstance(templates, list) or not templates:
            raise VocabularyError(f"{name}.templates must be a non-empty list")
        for index, template in enumerate(templates):
            where = f"{name}.templates[{index}]"
            units: Optional[List[str]] = None
            if isinstance(template, Mapping):
                units = read_words(template.get("units"), f"{where}.units")
                template = template.get("pattern")
            if not isinstance(template, list):
                raise VocabularyError(f"{where}: a template is a list")
            uses_unit = any(isinstance(e, str) and e.rstrip("?") in ("UNIT", "UNIT_SG", "UNIT_PL") for e in template)
            if uses_unit:
                selected = [
                    unit for unit in vocabulary.units[name].values() if units is None or unit.name.lower() in units
                ]
                if not selected:
                    raise VocabularyError(f"{where}: no such units {units}")
            else:
                selected = [None]  # type: ignore[list-item]
            for unit in selected:
                for pattern in builder.template_patterns(template, vocabulary.slots[name], unit, where):
                    patterns.append(
                        {
                            "label": name,
                            "id": unit.name if unit else "",
                            "pattern": pattern,
                        }
                    )
    return patterns

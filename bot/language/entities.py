"""Rule-based entity extraction for the Kasa camera troubleshooter.

Pure Python + spaCy (no Rasa import). The pipeline is built from
``spacy.blank("en")``; everything language-specific comes from
``data/knowledge/vocabulary.yml`` at load time:

* the tokenizer gets one extra infix rule that splits a number from a unit
  written against it ("4.6V", "2months", "5ghz"); the units are the ones in the
  vocabulary,
* an ``EntityRuler`` gets token patterns generated from the vocabulary (camera
  model spellings, LED colour/mode words, "number + unit" templates, ...); it
  resolves overlapping matches (longest wins, then leftmost),
* a small post-processing step turns the ruler's matches into normalised
  values and combines LED colour and mode words into one ``led_state``.

Public API::

    extractor = load_extractor()            # cached per vocabulary path
    extractor.extract("kc105 blinking green for 2 months")
    -> [Entity(entity="camera_model", value="KC105", start=0, end=5, text="kc105"),
        Entity(entity="led_state", value={"colour": "green", "mode": "blinking"}, ...),
        Entity(entity="duration", value=60.0, ...)]

Entity values:

* ``camera_model``: canonical model id, e.g. ``"KC105"``
* ``led_state``: ``{"colour": "green"|"amber"|"red"|"none"|None,
  "mode": "solid"|"blinking"|None}``
* ``duration``: float days
* ``temperature``: float degrees Celsius
* ``voltage``: float volts
* ``wifi_band``: ``"2.4"`` or ``"5"``
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import (
    Any,
    Dict,
    FrozenSet,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
    Union,
)

import spacy
import yaml
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex

logger = logging.getLogger(__name__)

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "vocabulary.yml"

# Public entity names.
CAMERA_MODEL = "camera_model"
LED_STATE = "led_state"
DURATION = "duration"
TEMPERATURE = "temperature"
VOLTAGE = "voltage"
WIFI_BAND = "wifi_band"
ENTITY_TYPES: Tuple[str, ...] = (
    CAMERA_MODEL,
    LED_STATE,
    DURATION,
    TEMPERATURE,
    VOLTAGE,
    WIFI_BAND,
)

# Internal EntityRuler labels for the LED building blocks.
_LED_COLOUR = "_led_colour"
_LED_MODE = "_led_mode"
_LED_NONE = "_led_none"
_LED_LABELS = frozenset({_LED_COLOUR, _LED_MODE, _LED_NONE})
_GUARDED = "#guarded"

_NUMERIC_SECTIONS = (DURATION, TEMPERATURE, VOLTAGE, WIFI_BAND)
_DIGITS_PATTERN = r"[+-]?\d+(?:[.,]\d+)?"
_DIGITS_RE = re.compile(_DIGITS_PATTERN)
_MODEL_ID_RE = re.compile(r"^([a-z]+)[\s._-]*(\d+)[\s._-]*([a-z]*)$")
# Longer texts are processed in chunks of at most this many characters.
_CHUNK_CHARS = 100_000
_SENTENCE_BREAKS = frozenset({".", "!", "?", ";", "\n"})

Value = Union[str, float, Dict[str, Optional[str]]]


class VocabularyError(ValueError):
    """The vocabulary file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Entity:
    """One extracted entity; ``text == message[start:end]``."""

    entity: str
    value: Value
    start: int
    end: int
    text: str

    def as_dict(self) -> Dict[str, Any]:
        """The entity as a plain dict (a fresh copy of dict values)."""
        value = dict(self.value) if isinstance(self.value, dict) else self.value
        return {
            "entity": self.entity,
            "value": value,
            "start": self.start,
            "end": self.end,
        }


# ---------------------------------------------------------------------------
# Vocabulary loading and validation


def _section(node: Any, where: str, required: bool = True) -> Dict[str, Any]:
    if node is None and not required:
        return {}
    if not isinstance(node, Mapping):
        raise VocabularyError(f"{where}: expected a mapping, got {type(node).__name__}")
    return dict(node)


def _words(node: Any, where: str) -> List[str]:
    """A list of lower-cased words; a mapping contributes its keys."""
    if node is None:
        return []
    if isinstance(node, Mapping):
        items = list(node.keys())
    elif isinstance(node, (list, tuple)):
        items = list(node)
    else:
        raise VocabularyError(f"{where}: expected a list of words, got {type(node).__name__}")
    words: List[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise VocabularyError(
                f"{where}[{index}]: {item!r} is a {type(item).__name__}, not a word (quote it in the YAML file)"
            )
        word = item.strip().lower()
        if word and word not in words:
            words.append(word)
    return words


def _number(node: Any, where: str) -> float:
    """A number; strings like "1/1440" are read as fractions."""
    if isinstance(node, bool):
        raise VocabularyError(f"{where}: {node!r} is not a number")
    if isinstance(node, (int, float)):
        return float(node)
    if isinstance(node, str):
        try:
            return float(Fraction(node.strip()))
        except (ValueError, ZeroDivisionError) as error:
            raise VocabularyError(f"{where}: {node!r} is not a number") from error
    raise VocabularyError(f"{where}: {node!r} is not a number")


def _value_map(node: Any, where: str) -> Dict[str, float]:
    mapping = _section(node, where)
    _words(mapping, where)  # validates the keys
    return {key.strip().lower(): _number(value, f"{where}.{key}") for key, value in mapping.items() if key.strip()}


def _read_vocabulary(path: Path) -> Dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise VocabularyError(f"vocabulary file not found: {path}") from error
    except yaml.YAMLError as error:
        raise VocabularyError(f"{path}: invalid YAML: {error}") from error
    data = _section(data, str(path))
    for key in ("numbers", "camera_models", "led", *_NUMERIC_SECTIONS):
        if key not in data:
            raise VocabularyError(f"{path}: missing section '{key}'")
    return data


# ---------------------------------------------------------------------------
# Pattern generation


class _Unit:
    """A unit of a numeric section (duration, temperature, ...)."""

    def __init__(self, name: str, node: Mapping[str, Any], where: str) -> None:
        self.name = name
        self.config = dict(node)
        self.singular = _words(node.get("singular"), f"{where}.singular")
        self.plural = _words(node.get("plural"), f"{where}.plural")
        self.variants = _words(node.get("variants"), f"{where}.variants")
        self.all = list(dict.fromkeys(self.variants + self.singular + self.plural))
        if not self.all:
            raise VocabularyError(f"{where}: a unit needs variants")

    def words(self, element: str) -> List[str]:
        if element == "UNIT_SG":
            return self.singular or self.all
        if element == "UNIT_PL":
            return self.plural or self.all
        return self.all


class _PatternBuilder:
    """Turns vocabulary words and templates into EntityRuler token patterns."""

    def __init__(self, nlp: Language, number_words: Iterable[str]) -> None:
        self._tokenizer = nlp.tokenizer
        words = sorted(number_words, key=len, reverse=True)
        alternatives = [_DIGITS_PATTERN] + [re.escape(word) for word in words]
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

    def phrase_alternatives(self, phrases: Iterable[str]) -> List[List[Dict[str, Any]]]:
        single: Set[str] = set()
        multi: Set[Tuple[str, ...]] = set()
        for phrase in phrases:
            for sequence in self.token_sequences(phrase):
                if len(sequence) == 1:
                    single.add(sequence[0])
                else:
                    multi.add(sequence)
        alternatives: List[List[Dict[str, Any]]] = []
        if single:
            alternatives.append([{"LOWER": {"IN": sorted(single)}}])
        for sequence in sorted(multi):
            alternatives.append([{"LOWER": token} for token in sequence])
        return alternatives

    def template_patterns(
        self,
        template: Sequence[str],
        slots: Mapping[str, List[str]],
        unit: Optional[_Unit],
        where: str,
    ) -> List[List[Dict[str, Any]]]:
        choices: List[List[List[Dict[str, Any]]]] = []
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


# ---------------------------------------------------------------------------
# The extractor


@dataclass(frozen=True)
class _Atom:
    """An LED building block found by the ruler (token offsets)."""

    kind: str  # _LED_COLOUR / _LED_MODE / _LED_NONE
    value: Optional[str]
    start: int
    end: int


class EntityExtractor:
    """Extracts Kasa troubleshooting entities from text. Create with load_extractor()."""

    def __init__(self, vocabulary_path: Path) -> None:
        self.vocabulary_path = vocabulary_path
        data = _read_vocabulary(vocabulary_path)
        self._data = data
        self._load_numbers(data["numbers"])
        self._load_numeric_sections(data)
        self._load_led(_section(data["led"], "led"))
        self.nlp = self._build_pipeline(data)

    # -- loading ------------------------------------------------------------

    def _load_numbers(self, node: Any) -> None:
        numbers = _section(node, "numbers")
        self.number_words = _value_map(numbers.get("words", {}), "numbers.words")

    def _load_numeric_sections(self, data: Mapping[str, Any]) -> None:
        self.units: Dict[str, Dict[str, _Unit]] = {}
        self.slots: Dict[str, Dict[str, List[str]]] = {}
        for name in _NUMERIC_SECTIONS:
            section = _section(data[name], name)
            units = _section(section.get("units"), f"{name}.units")
            self.units[name] = {
                unit_name: _Unit(
                    unit_name,
                    _section(unit, f"{name}.units.{unit_name}"),
                    f"{name}.units.{unit_name}",
                )
                for unit_name, unit in units.items()
            }
            slots = _section(section.get("slots"), f"{name}.slots", required=False)
            self.slots[name] = {slot: _words(words, f"{name}.slots.{slot}") for slot, words in slots.items()}

        duration = _section(data[DURATION], DURATION)
        self.duration_days = {
            unit.name: _number(unit.config.get("days"), f"duration.units.{unit.name}.days")
            for unit in self.units[DURATION].values()
        }
        duration_slots = _section(duration.get("slots"), "duration.slots")
        self.quantifiers = _value_map(duration_slots.get("quantifier", {}), "duration.slots.quantifier")
        self.articles = frozenset(self.slots[DURATION].get("article", []))
        self.triggers = frozenset(self.slots[DURATION].get("trigger", []))
        self.bare_plural_quantity = _number(duration.get("bare_plural_quantity", 2), "duration.bare_plural_quantity")
        self.frequency_markers = frozenset(_words(duration.get("frequency_markers"), "duration.frequency_markers"))
        self.needs_trigger = frozenset(_words(duration.get("needs_trigger"), "duration.needs_trigger"))

        temperature = _section(data[TEMPERATURE], TEMPERATURE)
        self.angle_context = frozenset(_words(temperature.get("angle_context"), "temperature.angle_context"))
        self.angle_window = int(temperature.get("angle_window", 5))
        self.temperature_digits = int(temperature.get("round_digits", 1))
        for unit in self.units[TEMPERATURE].values():
            scale = unit.config.get("scale")
            if scale not in ("celsius", "fahrenheit"):
                raise VocabularyError(f"temperature.units.{unit.name}.scale must be celsius or fahrenheit")

        voltage = _section(data[VOLTAGE], VOLTAGE)
        self.voltage_factor = {
            unit.name: _number(unit.config.get("volts"), f"voltage.units.{unit.name}.volts")
            for unit in self.units[VOLTAGE].values()
        }
        self.voltage_digits = int(voltage.get("round_digits", 3))

        wifi = _section(data[WIFI_BAND], WIFI_BAND)
        bands = _section(wifi.get("bands"), "wifi_band.bands")
        self.wifi_bands: List[Tuple[str, float, float]] = []
        for band, limits in bands.items():
            limits = _section(limits, f"wifi_band.bands.{band}")
            self.wifi_bands.append(
                (
                    str(band),
                    _number(limits.get("min"), f"wifi_band.bands.{band}.min"),
                    _number(limits.get("max"), f"wifi_band.bands.{band}.max"),
                )
            )
        self.wifi_context = frozenset(self.slots[WIFI_BAND].get("context", []))

    def _load_led(self, led: Mapping[str, Any]) -> None:
        self.led_nouns = _words(led.get("nouns"), "led.nouns")
        self.led_noun_tokens = frozenset(word for word in self.led_nouns if re.fullmatch(r"[a-z]+", word))
        colours = _section(led.get("colours"), "led.colours")
        self.colours = {
            colour: list(dict.fromkeys([colour.lower()] + _words(words, f"led.colours.{colour}")))
            for colour, words in colours.items()
        }
        self.colour_words = frozenset(w for words in self.colours.values() for w in words)
        self.modes: Dict[str, Dict[str, Any]] = {}
        self.guard_allow_next: Dict[str, FrozenSet[str]] = {}
        for mode, node in _section(led.get("modes"), "led.modes").items():
            node = _section(node, f"led.modes.{mode}")
            guarded = _section(node.get("guarded"), f"led.modes.{mode}.guarded", required=False)
            self.modes[mode] = {
                "variants": list(
                    dict.fromkeys([mode.lower()] + _words(node.get("variants"), f"led.modes.{mode}.variants"))
                ),
                "guarded": _words(guarded.get("variants"), f"led.modes.{mode}.guarded.variants"),
            }
            self.guard_allow_next[mode] = frozenset(
                _words(guarded.get("allow_next"), f"led.modes.{mode}.guarded.allow_next")
            )
        self.negations = frozenset(_words(led.get("negations"), "led.negations"))
        none_colour = led.get("none_colour", "none")
        if not isinstance(none_colour, str):
            raise VocabularyError("led.none_colour must be a quoted string")
        self.none_colour = none_colour
        none = _section(led.get("none"), "led.none")
        self.none_slots = {
            slot: _words(words, f"led.none.slots.{slot}")
            for slot, words in _section(none.get("slots"), "led.none.slots").items()
        }
        self.none_slots.setdefault("noun", self.led_nouns)
        self.none_slots.setdefault("colour", sorted(self.colour_words))
        self.none_templates = list(none.get("templates") or [])
        pairing = _section(led.get("pairing"), "led.pairing")
        self.max_gap = int(pairing.get("max_gap_tokens", 3))
        self.barriers = frozenset(_words(pairing.get("barriers"), "led.pairing.barriers"))
        self.colour_joiners = frozenset(_words(pairing.get("colour_joiners"), "led.pairing.colour_joiners"))
        self.lone_mode_window = int(pairing.get("lone_mode_window", 4))
        self.lone_mode_subjects = frozenset(_words(pairing.get("lone_mode_subjects"), "led.pairing.lone_mode_subjects"))

    def _build_pipeline(self, data: Mapping[str, Any]) -> Language:
        nlp = spacy.blank("en")
        unit_words = [word for units in self.units.values() for unit in units.values() for word in unit.all]
        infixes = list(nlp.Defaults.infixes or ())
        unit_infix = _unit_infix(unit_words)
        if unit_infix:
            infixes.append(unit_infix)
        # "5V/2A", "2.4/5GHz", "on/off"
        infixes.append(r"(?<=[0-9A-Za-z])/(?=[0-9A-Za-z])")
        nlp.tokenizer.infix_finditer = compile_infix_regex(infixes).finditer  # type: ignore[union-attr]

        builder = _PatternBuilder(nlp, self.number_words.keys())
        patterns: List[Dict[str, Any]] = []
        patterns += self._model_patterns(builder, _section(data["camera_models"], "camera_models"))
        patterns += self._led_patterns(builder)
        patterns += self._numeric_patterns(builder, data)

        ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": True, "validate": False})
        ruler.add_patterns(patterns)  # type: ignore[attr-defined]
        self.pattern_count = len(patterns)
        return nlp

    def _model_patterns(self, builder: _PatternBuilder, section: Mapping[str, Any]) -> List[Dict[str, Any]]:
        separators = section.get("separators", [""])
        if not isinstance(separators, list) or not all(isinstance(s, str) for s in separators):
            raise VocabularyError("camera_models.separators must be a list of strings")
        typos = {
            str(digit): _words(letters, f"camera_models.digit_typos.{digit}")
            for digit, letters in _section(
                section.get("digit_typos"), "camera_models.digit_typos", required=False
            ).items()
        }
        accept_plural = bool(section.get("accept_plural", False))
        models = section.get("models")
        if not isinstance(models, list) or not models:
            raise VocabularyError("camera_models.models must be a non-empty list")

        self.models: Dict[str, Dict[str, Any]] = {}
        owner: Dict[Tuple[str, ...], str] = {}
        patterns: List[Dict[str, Any]] = []
        for index, model in enumerate(models):
            where = f"camera_models.models[{index}]"
            model = _section(model, where)
            model_id = model.get("id")
            if not isinstance(model_id, str) or not _MODEL_ID_RE.match(model_id.lower()):
                raise VocabularyError(f"{where}.id: {model_id!r} is not a model id")
            self.models[model_id] = model
            spellings: Set[str] = set()
            for name in [model_id] + _words(model.get("aliases"), f"{where}.aliases"):
                match = _MODEL_ID_RE.match(name.lower())
                if not match:
                    raise VocabularyError(f"{where}: alias {name!r} is not a model id")
                prefix, number, suffix = match.groups()
                numbers = {number}
                for position, digit in enumerate(number):
                    for letter in typos.get(digit, []):
                        numbers |= {n[:position] + letter + n[position + 1 :] for n in numbers}
                for num, separator in itertools.product(numbers, separators):
                    spellings.add(f"{prefix}{separator}{num}{suffix}")
                    if suffix:
                        spellings.add(f"{prefix}{separator}{num} {suffix}")
                    elif accept_plural:
                        spellings.add(f"{prefix}{separator}{num}s")
            single: Set[str] = set()
            for spelling in spellings:
                for sequence in builder.token_sequences(spelling):
                    previous = owner.setdefault(sequence, model_id)
                    if previous != model_id:
                        raise VocabularyError(
                            f"{where}: spelling {' '.join(sequence)!r} is used by {previous} and {model_id}"
                        )
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

    def _led_patterns(self, builder: _PatternBuilder) -> List[Dict[str, Any]]:
        patterns: List[Dict[str, Any]] = []

        def add(label: str, ident: str, alternatives: List[List[Dict[str, Any]]]) -> None:
            for pattern in alternatives:
                patterns.append({"label": label, "id": ident, "pattern": pattern})

        for colour, words in self.colours.items():
            add(_LED_COLOUR, colour, builder.phrase_alternatives(words))
        for mode, node in self.modes.items():
            add(_LED_MODE, mode, builder.phrase_alternatives(node["variants"]))
            if node["guarded"]:
                add(_LED_MODE, mode + _GUARDED, builder.phrase_alternatives(node["guarded"]))
        for index, template in enumerate(self.none_templates):
            where = f"led.none.templates[{index}]"
            if not isinstance(template, list):
                raise VocabularyError(f"{where}: a template is a list")
            add(
                _LED_NONE,
                self.none_colour,
                builder.template_patterns(template, self.none_slots, None, where),
            )
        return patterns

    def _numeric_patterns(self, builder: _PatternBuilder, data: Mapping[str, Any]) -> List[Dict[str, Any]]:
        patterns: List[Dict[str, Any]] = []
        for name in _NUMERIC_SECTIONS:
            section = _section(data[name], name)
            templates = section.get("templates")
            if not isinstance(templates, list) or not templates:
                raise VocabularyError(f"{name}.templates must be a non-empty list")
            for index, template in enumerate(templates):
                where = f"{name}.templates[{index}]"
                units: Optional[List[str]] = None
                if isinstance(template, Mapping):
                    units = _words(template.get("units"), f"{where}.units")
                    template = template.get("pattern")
                if not isinstance(template, list):
                    raise VocabularyError(f"{where}: a template is a list")
                uses_unit = any(
                    isinstance(e, str) and e.rstrip("?") in ("UNIT", "UNIT_SG", "UNIT_PL") for e in template
                )
                if uses_unit:
                    selected = [
                        unit for unit in self.units[name].values() if units is None or unit.name.lower() in units
                    ]
                    if not selected:
                        raise VocabularyError(f"{where}: no such units {units}")
                else:
                    selected = [None]  # type: ignore[list-item]
                for unit in selected:
                    for pattern in builder.template_patterns(template, self.slots[name], unit, where):
                        patterns.append(
                            {
                                "label": name,
                                "id": unit.name if unit else "",
                                "pattern": pattern,
                            }
                        )
        return patterns

    # -- extraction ---------------------------------------------------------

    def extract(self, text: Any) -> List[Entity]:
        """All entities in ``text``, sorted by position. Never raises."""
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        if not isinstance(text, str) or not text.strip():
            return []
        try:
            return self._extract(text)
        except Exception:  # robustness: a message must never break the bot
            logger.exception("Entity extraction failed for a %d-character text", len(text))
            return []

    def _extract(self, text: str) -> List[Entity]:
        entities: List[Entity] = []
        for offset, chunk in _chunks(text, _CHUNK_CHARS):
            doc = self.nlp(chunk)
            for entity in self._entities(doc):
                if offset:
                    entity = Entity(
                        entity.entity,
                        entity.value,
                        entity.start + offset,
                        entity.end + offset,
                        entity.text,
                    )
                entities.append(entity)
        return entities

    def _entities(self, doc: Doc) -> List[Entity]:
        results: List[Entity] = []
        atoms: List[_Atom] = []
        occupied: Set[int] = set()  # tokens of non-LED matches
        for ent in doc.ents:
            if ent.label_ in _LED_LABELS:
                atoms.append(_Atom(ent.label_, ent.ent_id_ or None, ent.start, ent.end))
                continue
            occupied.update(range(ent.start, ent.end))
            if ent.label_ == CAMERA_MODEL:
                results.append(_entity(CAMERA_MODEL, ent.ent_id_, ent))
            elif ent.label_ == DURATION:
                results.extend(self._duration(ent))
            elif ent.label_ == TEMPERATURE:
                results.extend(self._temperature(ent))
            elif ent.label_ == VOLTAGE:
                results.extend(self._voltage(ent))
            elif ent.label_ == WIFI_BAND:
                results.extend(self._wifi(ent))
        results.extend(self._led_states(doc, atoms, occupied))
        results.sort(key=lambda e: (e.start, e.end))
        return results

    # -- numbers ------------------------------------------------------------

    def _parse_number(self, text: str) -> Optional[float]:
        lower = text.lower()
        if lower in self.number_words:
            return self.number_words[lower]
        if not _DIGITS_RE.fullmatch(lower):
            return None
        if "," in lower:
            whole, fraction = lower.split(",", 1)
            # "1,000" is a thousands separator, "4,6" a decimal comma
            lower = whole + fraction if len(fraction) == 3 else f"{whole}.{fraction}"
        try:
            return float(lower)
        except ValueError:
            return None

    def _numbers(self, span: Span) -> List[Tuple[int, float]]:
        found = []
        for token in span:
            value = self._parse_number(token.text)
            if value is not None:
                found.append((token.i, value))
        return found

    def _duration(self, ent: Span) -> List[Entity]:
        doc = ent.doc
        start = ent.start
        # "for weeks": the trigger word is context, not part of the duration
        while start < ent.end - 1 and doc[start].lower_ in self.triggers:
            start += 1
        span = doc[start : ent.end]
        previous = doc[start - 1].lower_ if start > 0 else ""
        if previous in self.frequency_markers:
            return []
        if span.text.lower() in self.needs_trigger and previous not in self.triggers:
            return []
        days_per_unit = self.duration_days.get(ent.ent_id_)
        if days_per_unit is None:
            return []
        words = [token.lower_ for token in span]
        values: List[float] = []
        quantity: Optional[float] = None
        skip_article = -1
        if "half" in words:
            half = words.index("half")
            if half == 0:
                quantity = 0.5  # "half a day"
            else:
                skip_article = half - 1  # "... and a half"
        for index, word in enumerate(words):
            if word in self.quantifiers:
                quantity = self.quantifiers[word]
            elif word in self.articles and index != skip_article:
                values.append(1.0)
            else:
                number = self._parse_number(span[index].text)
                if number is not None:
                    values.append(number)
        if quantity is None:
            if len(values) >= 2:
                quantity = (values[0] + values[1]) / 2  # a range: "2-3 weeks"
            elif values:
                quantity = values[0]
            elif skip_article >= 0:
                quantity = 1.0  # "year and a half"
            else:
                quantity = self.bare_plural_quantity  # "for weeks"
            if skip_article >= 0:
                quantity += 0.5
        if quantity < 0:
            return []
        return [_entity(DURATION, float(quantity * days_per_unit), span)]

    def _temperature(self, ent: Span) -> List[Entity]:
        unit = self.units[TEMPERATURE].get(ent.ent_id_)
        numbers = self._numbers(ent)
        if unit is None or not numbers:
            return []
        if unit.config.get("angle_check") and self._near(
            ent.doc, ent.start, self.angle_context, self.angle_window, before_only=True
        ):
            return []
        value = numbers[0][1]
        if unit.config.get("scale") == "fahrenheit":
            value = round((value - 32.0) * 5.0 / 9.0, self.temperature_digits)
        return [_entity(TEMPERATURE, float(value), ent)]

    def _voltage(self, ent: Span) -> List[Entity]:
        factor = self.voltage_factor.get(ent.ent_id_)
        numbers = self._numbers(ent)
        if factor is None or not numbers:
            return []
        value = round(numbers[0][1] * factor, self.voltage_digits)
        if value < 0:
            return []
        return [_entity(VOLTAGE, float(value), ent)]

    def _band(self, number: float) -> Optional[str]:
        for band, low, high in self.wifi_bands:
            if low <= number <= high:
                return band
        return None

    def _wifi(self, ent: Span) -> List[Entity]:
        doc = ent.doc
        end = ent.end
        while end > ent.start + 1 and doc[end - 1].lower_ in self.wifi_context:
            end -= 1
        numbers = [(i, v) for i, v in self._numbers(ent) if i < end]
        results = []
        for position, (index, number) in enumerate(numbers):
            band = self._band(number)
            if band is None:
                continue
            last = position == len(numbers) - 1
            span = doc[index:end] if last else doc[index : index + 1]
            results.append(_entity(WIFI_BAND, band, span))
        return results

    # -- LED ----------------------------------------------------------------

    def _near(
        self,
        doc: Doc,
        index: int,
        words: FrozenSet[str],
        window: int,
        before_only: bool = False,
        end: Optional[int] = None,
    ) -> bool:
        """Whether one of ``words`` is within ``window`` tokens, in the same sentence."""
        for step in range(1, window + 1):
            position = index - step
            if position < 0 or doc[position].text in _SENTENCE_BREAKS or "\n" in doc[position].text:
                break
            if doc[position].lower_ in words:
                return True
        if before_only:
            return False
        after = index if end is None else end - 1
        for step in range(1, window + 1):
            position = after + step
            if position >= len(doc) or doc[position].text in _SENTENCE_BREAKS or "\n" in doc[position].text:
                break
            if doc[position].lower_ in words:
                return True
        return False

    def _led_states(self, doc: Doc, atoms: List[_Atom], occupied: Set[int]) -> List[Entity]:
        kept: List[_Atom] = []
        for atom in atoms:
            if atom.kind == _LED_MODE and atom.value and atom.value.endswith(_GUARDED):
                guarded = atom.value[: -len(_GUARDED)]
                if atom.end < len(doc):
                    following = doc[atom.end]
                    allowed = self.guard_allow_next.get(guarded, frozenset())
                    if not (
                        following.is_punct
                        or following.is_space
                        or following.lower_ in allowed
                        or following.lower_ in self.colour_words
                    ):
                        continue
                atom = _Atom(atom.kind, guarded, atom.start, atom.end)
            if (
                atom.kind in (_LED_COLOUR, _LED_MODE)
                and atom.start > 0
                and doc[atom.start - 1].lower_ in self.negations
            ):
                continue  # "blinks green, not amber", "never blinks"
            if (
                kept
                and atom.kind == _LED_MODE
                and kept[-1].kind == _LED_MODE
                and kept[-1].value == atom.value
                and kept[-1].end == atom.start
            ):
                # "blink blink"
                kept[-1] = _Atom(atom.kind, atom.value, kept[-1].start, atom.end)
                continue
            kept.append(atom)

        results: List[Entity] = []
        index = 0
        while index < len(kept):
            atom = kept[index]
            if atom.kind == _LED_NONE:
                results.append(self._led_entity(doc, atom.start, atom.end, self.none_colour, None))
                index += 1
                continue
            partner = kept[index + 1] if index + 1 < len(kept) else None
            if (
                partner is not None
                and {atom.kind, partner.kind} == {_LED_COLOUR, _LED_MODE}
                and self._can_pair(doc, atom.end, partner.start, occupied)
            ):
                colour, mode = (atom.value, partner.value) if atom.kind == _LED_COLOUR else (partner.value, atom.value)
                results.append(self._led_entity(doc, atom.start, partner.end, colour, mode))
                index += 2
                # "blinks amber and green": the mode carries over to the next colour
                end = partner.end
                while index < len(kept) and kept[index].kind == _LED_COLOUR:
                    between = doc[end : kept[index].start]
                    if not (1 <= len(between) <= 2 and all(t.lower_ in self.colour_joiners for t in between)):
                        break
                    results.append(self._led_entity(doc, kept[index].start, kept[index].end, kept[index].value, mode))
                    end = kept[index].end
                    index += 1
                continue
            if atom.kind == _LED_COLOUR:
                results.append(self._led_entity(doc, atom.start, atom.end, atom.value, None))
            elif self._near(doc, atom.start, self.led_noun_tokens, self.lone_mode_window, end=atom.end) or self._near(
                doc, atom.start, self.lone_mode_subjects, 2, before_only=True
            ):
                results.append(self._led_entity(doc, atom.start, atom.end, None, atom.value))
            index += 1
        return results

    def _can_pair(self, doc: Doc, start: int, end: int, occupied: Set[int]) -> bool:
        if end - start > self.max_gap:
            return False
        for token in doc[start:end]:
            if token.i in occupied or token.lower_ in self.barriers or "\n" in token.text:
                return False
        return True

    @staticmethod
    def _led_entity(doc: Doc, start: int, end: int, colour: Optional[str], mode: Optional[str]) -> Entity:
        return _entity(LED_STATE, {"colour": colour, "mode": mode}, doc[start:end])


def _entity(name: str, value: Value, span: Span) -> Entity:
    start, end = span.start_char, span.end_char
    text = span.text
    # a unit that swallowed the full stop ("5G.")
    if name != LED_STATE and len(text) > 1 and text.endswith(".") and not text[-2].isdigit():
        end -= 1
        text = text[:-1]
    return Entity(name, value, start, end, text)


def _chunks(text: str, size: int) -> Iterator[Tuple[int, str]]:
    """Split a very long text at whitespace into pieces of at most ``size`` characters."""
    start = 0
    while len(text) - start > size:
        cut = max(text.rfind(" ", start, start + size), text.rfind("\n", start, start + size))
        if cut <= start:
            cut = start + size
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


_LOCK = threading.Lock()


@functools.lru_cache(maxsize=None)
def _load_cached(path: str) -> EntityExtractor:
    return EntityExtractor(Path(path))


def load_extractor(vocabulary_path: Optional[Union[Path, str]] = None) -> EntityExtractor:
    """The extractor for a vocabulary file (default: data/knowledge/vocabulary.yml).

    Built once per (resolved) path and cached; raises VocabularyError when the
    vocabulary is missing or malformed.
    """
    path = Path(vocabulary_path) if vocabulary_path is not None else DEFAULT_VOCABULARY_PATH
    path = path.expanduser().resolve()
    with _LOCK:
        return _load_cached(str(path))


__all__ = [
    "CAMERA_MODEL",
    "DEFAULT_VOCABULARY_PATH",
    "DURATION",
    "ENTITY_TYPES",
    "Entity",
    "EntityExtractor",
    "LED_STATE",
    "TEMPERATURE",
    "VOLTAGE",
    "VocabularyError",
    "WIFI_BAND",
    "load_extractor",
]

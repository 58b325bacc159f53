"""Reading ``data/knowledge/vocabulary.yml``: every word and setting the entity extractor knows.

``read_vocabulary`` loads and checks the file's sections; ``EntityVocabulary`` turns the
numbers, the numeric sections (duration, temperature, voltage, Wi-Fi band) and the LED section
into the tables the extractor reads matches with. The camera models and the templates are read
when the pipeline's patterns are built (bot/language/entity_patterns.py). Every error is a
``VocabularyError`` naming the entry.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple

import yaml

from bot.language.entity_types import DURATION, NUMERIC_SECTIONS, TEMPERATURE, VOLTAGE, WIFI_BAND

DEFAULT_VOCABULARY_PATH = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "vocabulary.yml"


class VocabularyError(ValueError):
    """The vocabulary file is missing, malformed or inconsistent."""


def read_mapping(node: Any, where: str, required: bool = True) -> Dict[str, Any]:
    if node is None and not required:
        return {}
    if not isinstance(node, Mapping):
        raise VocabularyError(f"{where}: expected a mapping, got {type(node).__name__}")
    return dict(node)


def read_words(node: Any, where: str) -> List[str]:
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


def read_number(node: Any, where: str) -> float:
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


def read_value_map(node: Any, where: str) -> Dict[str, float]:
    mapping = read_mapping(node, where)
    read_words(mapping, where)  # validates the keys
    return {key.strip().lower(): read_number(value, f"{where}.{key}") for key, value in mapping.items() if key.strip()}


def read_vocabulary(path: Path) -> Dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except FileNotFoundError as error:
        raise VocabularyError(f"vocabulary file not found: {path}") from error
    except yaml.YAMLError as error:
        raise VocabularyError(f"{path}: invalid YAML: {error}") from error
    data = read_mapping(data, str(path))
    for key in ("numbers", "camera_models", "led", *NUMERIC_SECTIONS):
        if key not in data:
            raise VocabularyError(f"{path}: missing section '{key}'")
    return data


class Unit:
    """A unit of a numeric section (duration, temperature, ...)."""

    def __init__(self, name: str, node: Mapping[str, Any], where: str) -> None:
        self.name = name
        self.config = dict(node)
        self.singular = read_words(node.get("singular"), f"{where}.singular")
        self.plural = read_words(node.get("plural"), f"{where}.plural")
        self.variants = read_words(node.get("variants"), f"{where}.variants")
        self.all = list(dict.fromkeys(self.variants + self.singular + self.plural))
        if not self.all:
            raise VocabularyError(f"{where}: a unit needs variants")

    def words(self, element: str) -> List[str]:
        if element == "UNIT_SG":
            return self.singular or self.all
        if element == "UNIT_PL":
            return self.plural or self.all
        return self.all


class EntityVocabulary:
    """The vocabulary file's words and settings, checked, in the shapes the extractor reads."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self._load_numbers(data["numbers"])
        self._load_numeric_sections(data)
        self._load_led(read_mapping(data["led"], "led"))

    def _load_numbers(self, node: Any) -> None:
        numbers = read_mapping(node, "numbers")
        self.number_words = read_value_map(numbers.get("words", {}), "numbers.words")

    def _load_numeric_sections(self, data: Mapping[str, Any]) -> None:
        self.units: Dict[str, Dict[str, Unit]] = {}
        self.slots: Dict[str, Dict[str, List[str]]] = {}
        for name in NUMERIC_SECTIONS:
            section = read_mapping(data[name], name)
            units = read_mapping(section.get("units"), f"{name}.units")
            self.units[name] = {
                unit_name: Unit(
                    unit_name,
                    read_mapping(unit, f"{name}.units.{unit_name}"),
                    f"{name}.units.{unit_name}",
                )
                for unit_name, unit in units.items()
            }
            slots = read_mapping(section.get("slots"), f"{name}.slots", required=False)
            self.slots[name] = {slot: read_words(words, f"{name}.slots.{slot}") for slot, words in slots.items()}
        self._load_duration(read_mapping(data[DURATION], DURATION))
        self._load_temperature(read_mapping(data[TEMPERATURE], TEMPERATURE))
        self._load_voltage(read_mapping(data[VOLTAGE], VOLTAGE))
        self._load_wifi(read_mapping(data[WIFI_BAND], WIFI_BAND))

    def _load_duration(self, duration: Mapping[str, Any]) -> None:
        self.duration_days = {
            unit.name: read_number(unit.config.get("days"), f"duration.units.{unit.name}.days")
            for unit in self.units[DURATION].values()
        }
        duration_slots = read_mapping(duration.get("slots"), "duration.slots")
        self.quantifiers = read_value_map(duration_slots.get("quantifier", {}), "duration.slots.quantifier")
        self.articles = frozenset(self.slots[DURATION].get("article", []))
        self.triggers = frozenset(self.slots[DURATION].get("trigger", []))
        self.bare_plural_quantity = read_number(
            duration.get("bare_plural_quantity", 2), "duration.bare_plural_quantity"
        )
        self.frequency_markers = frozenset(read_words(duration.get("frequency_markers"), "duration.frequency_markers"))
        self.needs_trigger = frozenset(read_words(duration.get("needs_trigger"), "duration.needs_trigger"))

    def _load_temperature(self, temperature: Mapping[str, Any]) -> None:
        self.angle_context = frozenset(read_words(temperature.get("angle_context"), "temperature.angle_context"))
        self.angle_window = int(temperature.get("angle_window", 5))
        self.temperature_digits = int(temperature.get("round_digits", 1))
        for unit in self.units[TEMPERATURE].values():
            scale = unit.config.get("scale")
            if scale not in ("celsius", "fahrenheit"):
                raise VocabularyError(f"temperature.units.{unit.name}.scale must be celsius or fahrenheit")

    def _load_voltage(self, voltage: Mapping[str, Any]) -> None:
        self.voltage_factor = {
            unit.name: read_number(unit.config.get("volts"), f"voltage.units.{unit.name}.volts")
            for unit in self.units[VOLTAGE].values()
        }
        self.voltage_digits = int(voltage.get("round_digits", 3))

    def _load_wifi(self, wifi: Mapping[str, Any]) -> None:
        bands = read_mapping(wifi.get("bands"), "wifi_band.bands")
        self.wifi_bands: List[Tuple[str, float, float]] = []
        for band, limits in bands.items():
            limits = read_mapping(limits, f"wifi_band.bands.{band}")
            self.wifi_bands.append(
                (
                    str(band),
                    read_number(limits.get("min"), f"wifi_band.bands.{band}.min"),
                    read_number(limits.get("max"), f"wifi_band.bands.{band}.max"),
                )
            )
        self.wifi_context = frozenset(self.slots[WIFI_BAND].get("context", []))

    def _load_led(self, led: Mapping[str, Any]) -> None:
        self.led_nouns = read_words(led.get("nouns"), "led.nouns")
        self.led_noun_tokens = frozenset(word for word in self.led_nouns if re.fullmatch(r"[a-z]+", word))
        colours = read_mapping(led.get("colours"), "led.colours")
        self.colours = {
            colour: list(dict.fromkeys([colour.lower()] + read_words(words, f"led.colours.{colour}")))
            for colour, words in colours.items()
        }
        self.colour_words = frozenset(w for words in self.colours.values() for w in words)
        self._load_led_modes(read_mapping(led.get("modes"), "led.modes"))
        self.negations = frozenset(read_words(led.get("negations"), "led.negations"))
        self._load_led_none(led)
        self._load_led_pairing(read_mapping(led.get("pairing"), "led.pairing"))

    def _load_led_modes(self, modes: Mapping[str, Any]) -> None:
        self.modes: Dict[str, Dict[str, Any]] = {}
        self.guard_allow_next: Dict[str, FrozenSet[str]] = {}
        for mode, node in modes.items():
            node = read_mapping(node, f"led.modes.{mode}")
            guarded = read_mapping(node.get("guarded"), f"led.modes.{mode}.guarded", required=False)
            self.modes[mode] = {
                "variants": list(
                    dict.fromkeys([mode.lower()] + read_words(node.get("variants"), f"led.modes.{mode}.variants"))
                ),
                "guarded": read_words(guarded.get("variants"), f"led.modes.{mode}.guarded.variants"),
            }
            self.guard_allow_next[mode] = frozenset(
                read_words(guarded.get("allow_next"), f"led.modes.{mode}.guarded.allow_next")
            )

    def _load_led_none(self, led: Mapping[str, Any]) -> None:
        none_colour = led.get("none_colour", "none")
        if not isinstance(none_colour, str):
            raise VocabularyError("led.none_colour must be a quoted string")
        self.none_colour = none_colour
        none = read_mapping(led.get("none"), "led.none")
        self.none_slots = {
            slot: read_words(words, f"led.none.slots.{slot}")
            for slot, words in read_mapping(none.get("slots"), "led.none.slots").items()
        }
        self.none_slots.setdefault("noun", self.led_nouns)
        self.none_slots.setdefault("colour", sorted(self.colour_words))
        self.none_templates = list(none.get("templates") or [])

    def _load_led_pairing(self, pairing: Mapping[str, Any]) -> None:
        self.max_gap = int(pairing.get("max_gap_tokens", 3))
        self.barriers = frozenset(read_words(pairing.get("barriers"), "led.pairing.barriers"))
        self.colour_joiners = frozenset(read_words(pairing.get("colour_joiners"), "led.pairing.colour_joiners"))
        self.lone_mode_window = int(pairing.get("lone_mode_window", 4))
        self.lone_mode_subjects = frozenset(
            read_words(pairing.get("lone_mode_subjects"), "led.pairing.lone_mode_subjects")
        )

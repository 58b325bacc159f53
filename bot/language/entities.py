"""Rule-based entity extraction for the Kasa camera troubleshooter.

Pure Python + spaCy (no Rasa import). Everything language-specific comes from
``data/knowledge/vocabulary.yml`` at load time (bot/language/entity_vocabulary.py), which
builds the spaCy pipeline (bot/language/entity_patterns.py). This module reads a text with it:
each ruler match becomes a normalised value (a camera model id, days, degrees Celsius, volts,
a Wi-Fi band), and the LED colour and mode words are combined into one ``led_state``
(bot/language/led_states.py).

Public API::

    extractor = load_extractor()            # cached per vocabulary path
    extractor.extract("kc105 blinking green for 2 months")
    -> [Entity(entity="camera_model", value="KC105", start=0, end=5, text="kc105"),
        Entity(entity="led_state", value={"colour": "green", "mode": "blinking"}, ...),
        Entity(entity="duration", value=60.0, ...)]

The entity names, values and the ``Entity`` record are in bot/language/entity_types.py.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path
from typing import Any, Iterator, List, Optional, Set, Tuple, Union

from spacy.tokens import Doc, Span

from bot.language.entity_patterns import DIGITS_PATTERN, LED_LABELS, build_pipeline
from bot.language.entity_types import (
    CAMERA_MODEL,
    DURATION,
    TEMPERATURE,
    VOLTAGE,
    WIFI_BAND,
    Entity,
    span_entity,
)
from bot.language.entity_vocabulary import DEFAULT_VOCABULARY_PATH, EntityVocabulary, read_vocabulary
from bot.language.led_states import LedAtom, led_states
from bot.language.nearby_words import words_nearby

logger = logging.getLogger(__name__)

_DIGITS_RE = re.compile(DIGITS_PATTERN)
# Longer texts are processed in chunks of at most this many characters.
_CHUNK_CHARS = 100_000


class EntityExtractor:
    """Extracts Kasa troubleshooting entities from text. Create with load_extractor()."""

    def __init__(self, vocabulary_path: Path) -> None:
        self.vocabulary_path = vocabulary_path
        data = read_vocabulary(vocabulary_path)
        self._data = data
        self.vocabulary = EntityVocabulary(data)
        pipeline = build_pipeline(self.vocabulary)
        self.nlp = pipeline.nlp
        self.models = pipeline.models
        self.pattern_count = pipeline.pattern_count

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
        atoms: List[LedAtom] = []
        occupied: Set[int] = set()  # tokens of non-LED matches
        for ent in doc.ents:
            if ent.label_ in LED_LABELS:
                atoms.append(LedAtom(ent.label_, ent.ent_id_ or None, ent.start, ent.end))
                continue
            occupied.update(range(ent.start, ent.end))
            if ent.label_ == CAMERA_MODEL:
                results.append(span_entity(CAMERA_MODEL, ent.ent_id_, ent))
            elif ent.label_ == DURATION:
                results.extend(self._duration(ent))
            elif ent.label_ == TEMPERATURE:
                results.extend(self._temperature(ent))
            elif ent.label_ == VOLTAGE:
                results.extend(self._voltage(ent))
            elif ent.label_ == WIFI_BAND:
                results.extend(self._wifi(ent))
        results.extend(led_states(self.vocabulary, doc, atoms, occupied))
        results.sort(key=lambda e: (e.start, e.end))
        return results

    # -- numbers ------------------------------------------------------------

    def _parse_number(self, text: str) -> Optional[float]:
        lower = text.lower()
        if lower in self.vocabulary.number_words:
            return self.vocabulary.number_words[lower]
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
        while start < ent.end - 1 and doc[start].lower_ in self.vocabulary.triggers:
            start += 1
        span = doc[start : ent.end]
        previous = doc[start - 1].lower_ if start > 0 else ""
        if previous in self.vocabulary.frequency_markers:
            return []
        if span.text.lower() in self.vocabulary.needs_trigger and previous not in self.vocabulary.triggers:
            return []
        days_per_unit = self.vocabulary.duration_days.get(ent.ent_id_)
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
            if word in self.vocabulary.quantifiers:
                quantity = self.vocabulary.quantifiers[word]
            elif word in self.vocabulary.articles and index != skip_article:
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
                quantity = self.vocabulary.bare_plural_quantity  # "for weeks"
            if skip_article >= 0:
                quantity += 0.5
        if quantity < 0:
            return []
        return [span_entity(DURATION, float(quantity * days_per_unit), span)]

    def _temperature(self, ent: Span) -> List[Entity]:
        unit = self.vocabulary.units[TEMPERATURE].get(ent.ent_id_)
        numbers = self._numbers(ent)
        if unit is None or not numbers:
            return []
        if unit.config.get("angle_check") and words_nearby(
            ent.doc, ent.start, self.vocabulary.angle_context, self.vocabulary.angle_window, before_only=True
        ):
            return []
        value = numbers[0][1]
        if unit.config.get("scale") == "fahrenheit":
            value = round((value - 32.0) * 5.0 / 9.0, self.vocabulary.temperature_digits)
        return [span_entity(TEMPERATURE, float(value), ent)]

    def _voltage(self, ent: Span) -> List[Entity]:
        factor = self.vocabulary.voltage_factor.get(ent.ent_id_)
        numbers = self._numbers(ent)
        if factor is None or not numbers:
            return []
        value = round(numbers[0][1] * factor, self.vocabulary.voltage_digits)
        if value < 0:
            return []
        return [span_entity(VOLTAGE, float(value), ent)]

    def _band(self, number: float) -> Optional[str]:
        for band, low, high in self.vocabulary.wifi_bands:
            if low <= number <= high:
                return band
        return None

    def _wifi(self, ent: Span) -> List[Entity]:
        doc = ent.doc
        end = ent.end
        while end > ent.start + 1 and doc[end - 1].lower_ in self.vocabulary.wifi_context:
            end -= 1
        numbers = [(i, v) for i, v in self._numbers(ent) if i < end]
        results = []
        for position, (index, number) in enumerate(numbers):
            band = self._band(number)
            if band is None:
                continue
            last = position == len(numbers) - 1
            span = doc[index:end] if last else doc[index : index + 1]
            results.append(span_entity(WIFI_BAND, band, span))
        return results


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
    "EntityExtractor",
    "load_extractor",
]

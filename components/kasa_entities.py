"""Rasa 3.6 NLU component: rule-based Kasa camera entities.

Use in config.yml::

    pipeline:
      - name: components.kasa_entities.KasaEntityExtractor
        # optional:
        # vocabulary_path: data/knowledge/vocabulary.yml
        # dimensions: [camera_model, led_state, duration]

It wraps :mod:`bot.language.entities` (spaCy from ``spacy.blank("en")`` plus
rules generated from ``data/knowledge/vocabulary.yml``) and needs no training
and no other pipeline component. Entities are added in Rasa's format::

    {"entity": "duration", "value": 60.0, "start": 21, "end": 29,
     "confidence": 1.0, "extractor": "KasaEntityExtractor"}

``led_state`` values are dicts: ``{"colour": "green", "mode": "blinking"}``.
Every entity carries ``text`` (the words matched); ``duration`` a ``role`` (age, problem,
since_event or None), ``voltage`` ``measured`` (a reading, not a label); ``fact`` entities
({"move", "option"}) come from data/knowledge/statements.yml (see bot/language/context.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_CONFIDENCE,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TEXT,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.language.context import annotate
from bot.language.entities import EntityExtractor, load_extractor
from bot.language.entity_types import ENTITY_TYPES
from bot.language.entity_vocabulary import VocabularyError

# Entities this component adds beyond the vocabulary's (bot/language/context.py).
FACT = "fact"
ALL_TYPES = (*ENTITY_TYPES, FACT)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class KasaEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Extracts camera models, LED states, durations, temperatures, voltages, Wi-Fi bands."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config (see parent class for full docstring)."""
        return {
            # vocabulary file; None = data/knowledge/vocabulary.yml of this project
            "vocabulary_path": None,
            # entity types to return; None = all of them
            "dimensions": None,
        }

    @staticmethod
    def required_packages() -> List[Text]:
        """Lists required dependencies (see parent class for full docstring)."""
        return ["spacy", "yaml"]

    def __init__(
        self,
        config: Dict[Text, Any],
        extractor: Optional[EntityExtractor] = None,
        clock: Callable[[], datetime.date] = datetime.date.today,
    ) -> None:
        """Creates the component; loads (or reuses) the cached extractor. `clock` gives the date that
        "since March" counts from (the real one; tests pass their own)."""
        self._clock = clock
        self._config = {**self.get_default_config(), **(config or {})}
        dimensions = self._config.get("dimensions")
        if dimensions is not None:
            unknown = set(dimensions) - set(ALL_TYPES)
            if unknown:
                raise InvalidConfigException(
                    f"{self.__class__.__name__}: unknown dimensions {sorted(unknown)}; known: {list(ALL_TYPES)}"
                )
        if extractor is None:
            path = self._config.get("vocabulary_path")
            try:
                extractor = load_extractor(Path(path) if path else None)
            except VocabularyError as error:
                raise InvalidConfigException(
                    f"{self.__class__.__name__}: cannot load the vocabulary: {error}"
                ) from error
        self._extractor = extractor

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KasaEntityExtractor:
        """Creates a new component (see parent class for full docstring)."""
        return cls(config)

    def process(self, messages: List[Message]) -> List[Message]:
        """Adds the extracted entities to each message's ``entities``."""
        for message in messages:
            extracted = self.add_extractor_name(self._extract_entities(message))
            extracted = self.filter_irrelevant_entities(extracted, self._config.get("dimensions"))
            message.set(ENTITIES, message.get(ENTITIES, []) + extracted, add_to_output=True)
        return messages

    def _extract_entities(self, message: Message) -> List[Dict[Text, Any]]:
        text = message.get(TEXT)
        if not isinstance(text, str) or not text:
            return []
        found = [
            {
                ENTITY_ATTRIBUTE_TYPE: entity.entity,
                ENTITY_ATTRIBUTE_VALUE: entity.as_dict()["value"],
                ENTITY_ATTRIBUTE_START: entity.start,
                ENTITY_ATTRIBUTE_END: entity.end,
                ENTITY_ATTRIBUTE_CONFIDENCE: 1.0,
                ENTITY_ATTRIBUTE_TEXT: entity.text,
            }
            for entity in self._extractor.extract(text)
        ]
        return [{ENTITY_ATTRIBUTE_CONFIDENCE: 1.0, **e} for e in annotate(text, found, now=self._clock())]

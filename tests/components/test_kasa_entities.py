"""Tests for the Rasa component components.kasa_entities.KasaEntityExtractor."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.kasa_entities import KasaEntityExtractor


@pytest.fixture
def model_storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


@pytest.fixture
def execution_context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), uuid.uuid4().hex)


@pytest.fixture
def create(model_storage: LocalModelStorage, execution_context: ExecutionContext):
    def _create(config: Dict[str, Any] | None = None) -> KasaEntityExtractor:
        return KasaEntityExtractor.create(
            {**KasaEntityExtractor.get_default_config(), **(config or {})},
            model_storage,
            Resource("kasa_entities"),
            execution_context,
        )

    return _create


def entities_of(component: KasaEntityExtractor, text: str) -> List[Dict[str, Any]]:
    message = Message(data={TEXT: text})
    component.process([message])
    return message.get(ENTITIES)


def test_registered_as_untrainable_entity_extractor() -> None:
    registered = DefaultV1Recipe._registered_components["KasaEntityExtractor"]
    assert registered.clazz is KasaEntityExtractor
    assert registered.types == {DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR}
    assert registered.is_trainable is False


def test_create_with_empty_config(model_storage: LocalModelStorage, execution_context: ExecutionContext) -> None:
    component = KasaEntityExtractor.create({}, model_storage, Resource("x"), execution_context)
    assert entities_of(component, "my kc105")[0]["value"] == "KC105"


def test_create_with_none_storage() -> None:
    component = KasaEntityExtractor.create({}, None, None, None)  # type: ignore[arg-type]
    assert entities_of(component, "ec 70")[0]["value"] == "EC70"


def test_entities_in_rasa_format(create) -> None:
    component = create()
    text = "my kc-105 has been blinking green for 2 months, adapter 150 F at 4.6V on 5ghz"
    entities = entities_of(component, text)
    assert entities == [
        {
            "entity": "camera_model",
            "value": "KC105",
            "start": 3,
            "end": 9,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "kc-105",
        },
        {
            "entity": "led_state",
            "value": {"colour": "green", "mode": "blinking"},
            "start": 19,
            "end": 33,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "blinking green",
        },
        {
            "entity": "duration",
            "value": 60.0,
            "start": 38,
            "end": 46,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "2 months",
            "role": "problem",
        },
        {
            "entity": "temperature",
            "value": 65.6,
            "start": 56,
            "end": 61,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "150 F",
        },
        {
            "entity": "voltage",
            "value": 4.6,
            "start": 65,
            "end": 69,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "4.6V",
            "measured": True,
        },
        {
            "entity": "wifi_band",
            "value": "5",
            "start": 73,
            "end": 77,
            "confidence": 1.0,
            "extractor": "KasaEntityExtractor",
            "text": "5ghz",
        },
    ]
    for entity in entities:
        assert text[entity["start"] : entity["end"]]
    json.dumps(entities)  # serialisable for trackers and the HTTP API


def test_entities_are_output_properties(create) -> None:
    message = Message(data={TEXT: "no light at all"})
    create().process([message])
    assert ENTITIES in message.output_properties
    assert message.as_dict_nlu()[ENTITIES][0]["value"] == {"colour": "none", "mode": None}


def test_appends_to_existing_entities(create) -> None:
    existing = {"entity": "other", "value": "x", "start": 0, "end": 2, "extractor": "Other"}
    message = Message(data={TEXT: "ec70 is offline", ENTITIES: [existing]})
    create().process([message])
    entities = message.get(ENTITIES)
    assert entities[0] == existing
    assert entities[1]["entity"] == "camera_model"
    assert entities[1]["extractor"] == "KasaEntityExtractor"


def test_several_messages(create) -> None:
    messages = [
        Message(data={TEXT: "offline after 2 months"}),
        Message(data={TEXT: "hello there"}),
        Message(data={TEXT: "the led is solid amber"}),
    ]
    create().process(messages)
    assert [e["value"] for e in messages[0].get(ENTITIES)] == [60.0]
    assert messages[1].get(ENTITIES) == []
    assert [e["value"] for e in messages[2].get(ENTITIES)] == [{"colour": "amber", "mode": "solid"}]


@pytest.mark.parametrize("text", ["", "   ", "🙂", "x" * 10_000])
def test_degenerate_text(create, text: str) -> None:
    assert entities_of(create(), text) == []


def test_message_without_text(create) -> None:
    message = Message(data={})
    create().process([message])
    assert message.get(ENTITIES) == []


def test_dimensions_filter(create) -> None:
    component = create({"dimensions": ["duration"]})
    entities = entities_of(component, "kc105 blinking green for 3 days")
    assert [(e["entity"], e["value"]) for e in entities] == [("duration", 3.0)]


def test_unknown_dimension_is_a_config_error(create) -> None:
    with pytest.raises(InvalidConfigException):
        create({"dimensions": ["colour"]})


def test_vocabulary_path_config(create, tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigException):
        create({"vocabulary_path": str(tmp_path / "missing.yml")})


def test_led_values_are_not_shared_between_messages(create) -> None:
    component = create()
    first = entities_of(component, "blinking green")[0]["value"]
    first["colour"] = "red"
    assert entities_of(component, "blinking green")[0]["value"] == {"colour": "green", "mode": "blinking"}

"""MiniLMFeaturizer: Rasa feature layout, alignment to tokens, and use by classifiers."""

from pathlib import Path
from typing import List

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ACTION_TEXT, INTENT, RESPONSE, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.sentence_encoder import SentenceEncoder, TokenStates
from components.minilm_featurizer import MiniLMFeaturizer, align_to_tokens

DIM = 384


@pytest.fixture(scope="module")
def model_storage(tmp_path_factory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("model_storage"))


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


@pytest.fixture(scope="module")
def tokenizer(model_storage) -> WhitespaceTokenizer:
    return WhitespaceTokenizer.create(
        WhitespaceTokenizer.get_default_config(), model_storage, Resource("tok"), context("tok")
    )


@pytest.fixture(scope="module")
def featurizer(model_storage) -> MiniLMFeaturizer:
    return MiniLMFeaturizer.create(
        MiniLMFeaturizer.get_default_config(), model_storage, Resource("minilm"), context("minilm")
    )


def tokenized(tokenizer: WhitespaceTokenizer, text: str, **data) -> Message:
    message = Message(data={TEXT: text, **data})
    tokenizer.process([message])
    return message


def test_registered_as_untrainable_message_featurizer():
    registered = DefaultV1Recipe._registered_components[MiniLMFeaturizer.__name__]
    assert registered.clazz is MiniLMFeaturizer
    assert DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER in registered.types
    assert registered.is_trainable is False


def test_process_sets_sequence_and_sentence_features(tokenizer, featurizer):
    text = "my KC120 went offline after 3 months!"
    message = tokenized(tokenizer, text)
    featurizer.process([message])

    sequence, sentence = message.get_dense_features(TEXT)
    tokens = message.get(TOKENS_NAMES[TEXT])
    assert sequence.features.shape == (len(tokens), DIM)
    assert sentence.features.shape == (1, DIM)
    assert sequence.is_dense() and sentence.is_dense()
    assert sequence.type == "sequence" and sentence.type == "sentence"
    assert {f.origin for f in message.features} == {"minilm"}
    # The sentence feature is the sentence-transformers embedding of the raw text.
    expected = SentenceEncoder.load().encode([text])[0]
    np.testing.assert_allclose(sentence.features[0], expected, atol=1e-6)
    assert np.all(np.abs(sequence.features).sum(axis=1) > 0)  # every token got a vector
    assert message.get_sparse_features(TEXT) == (None, None)


def test_process_training_data_featurizes_text_and_responses_not_intents(tokenizer, featurizer):
    examples = [
        Message(data={TEXT: "sd card not recognized", INTENT: "sd_card_not_recognized"}),
        Message(data={TEXT: "the adapter is very hot", INTENT: "adapter_overheating"}),
        Message(data={TEXT: "x", RESPONSE: "try another card", INTENT: "faq"}),
    ]
    data = TrainingData(training_examples=examples)
    tokenizer.process_training_data(data)
    featurizer.process_training_data(data)

    for example in examples:
        sequence, sentence = example.get_dense_features(TEXT)
        assert sequence.features.shape == (len(example.get(TOKENS_NAMES[TEXT])), DIM)
        assert sentence.features.shape == (1, DIM)
        assert example.get_dense_features(INTENT) == (None, None)
    sequence, sentence = examples[2].get_dense_features(RESPONSE)
    assert sequence.features.shape == (3, DIM) and sentence.features.shape == (1, DIM)
    # Batched training featurization equals one-by-one inference featurization.
    single = tokenized(tokenizer, "the adapter is very hot")
    featurizer.process([single])
    for batched, alone in zip(examples[1].get_dense_features(TEXT), single.get_dense_features(TEXT)):
        np.testing.assert_allclose(batched.features, alone.features, atol=1e-5)


def test_action_text_is_featurized_at_inference(featurizer):
    message = Message(data={ACTION_TEXT: "Please unplug the camera"})
    message.set(
        TOKENS_NAMES[ACTION_TEXT],
        [Token("Please", 0), Token("unplug", 7), Token("the", 14), Token("camera", 18)],
    )
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(ACTION_TEXT)
    assert sequence.features.shape == (4, DIM) and sentence.features.shape == (1, DIM)


def test_message_without_tokens_is_skipped(featurizer):
    untokenized = Message(data={TEXT: "camera offline"})
    featurizer.process([untokenized])
    assert untokenized.features == []


def test_empty_message_gets_features_like_the_sparse_featurizers(tokenizer, featurizer):
    # The tokenizer gives "" one empty token; without dense features here a
    # classifier trained on sparse+dense columns would get too few columns.
    empty = tokenized(tokenizer, "")
    featurizer.process([empty])
    sequence, sentence = empty.get_dense_features(TEXT)
    assert sequence.features.shape == (1, DIM) and sentence.features.shape == (1, DIM)
    np.testing.assert_allclose(np.linalg.norm(sentence.features), 1.0, atol=1e-5)


def test_empty_message_is_classified_not_crashing(tokenizer, featurizer, model_storage):
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )

    examples = [
        Message(data={TEXT: t, INTENT: i})
        for t, i in [
            ("sd card missing", "sd"),
            ("card not found", "sd"),
            ("adapter hot", "heat"),
            ("plug overheating", "heat"),
        ]
    ]
    data = TrainingData(training_examples=examples)
    counts = CountVectorsFeaturizer.create(
        CountVectorsFeaturizer.get_default_config(), model_storage, Resource("cv"), context("cv")
    )
    tokenizer.process_training_data(data)
    counts.train(data)
    counts.process_training_data(data)
    featurizer.process_training_data(data)
    classifier = LogisticRegressionClassifier.create(
        LogisticRegressionClassifier.get_default_config(), model_storage, Resource("lr2"), context("lr2")
    )
    classifier.train(data)

    empty = tokenized(tokenizer, "")
    counts.process([empty])
    featurizer.process([empty])
    classifier.process([empty])
    assert empty.get(INTENT)["name"] in {"sd", "heat"}


def test_very_long_message_keeps_one_row_per_token(tokenizer, featurizer):
    text = " ".join(["camera"] * 2000)  # far beyond the 128 word-piece window
    message = tokenized(tokenizer, text)
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence.features.shape == (2000, DIM)
    assert np.all(sequence.features[126:] == 0)  # past the cut-off: zero rows
    assert np.all(np.abs(sequence.features[:126]).sum(axis=1) > 0)
    assert np.isfinite(sentence.features).all()


def test_align_to_tokens_averages_overlapping_word_pieces():
    states = TokenStates(
        vectors=np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 5.0]], dtype=np.float32),
        offsets=((0, 3), (3, 6), (7, 9)),  # "overheat" split in two, then "ok"
    )
    tokens = [Token("overheat", 0, 6), Token("ok", 7, 9), Token("gone", 20, 24)]
    out = align_to_tokens(tokens, states)
    np.testing.assert_allclose(out, [[2.0, 1.0], [0.0, 5.0], [0.0, 0.0]])
    assert align_to_tokens(tokens, TokenStates(np.zeros((0, 2), np.float32), ())).shape == (3, 2)


def test_features_train_a_rasa_classifier(tokenizer, featurizer, model_storage):
    examples: List[Message] = []
    for intent, texts in {
        "sd_card_not_recognized": [
            "sd card not recognized",
            "camera does not see the memory card",
            "micro sd card is not detected",
            "it says no sd card inserted",
        ],
        "adapter_overheating": [
            "the power adapter is very hot",
            "plug is burning hot",
            "charger overheats",
            "the power supply gets too hot to touch",
        ],
        "pet_not_detected": [
            "my dog does not trigger motion",
            "no alerts when the cat walks by",
            "pets are not detected",
            "it ignores my dog completely",
        ],
    }.items():
        examples += [Message(data={TEXT: t, INTENT: intent}) for t in texts]
    data = TrainingData(training_examples=examples)
    tokenizer.process_training_data(data)
    featurizer.process_training_data(data)

    classifier = LogisticRegressionClassifier.create(
        LogisticRegressionClassifier.get_default_config(), model_storage, Resource("lr"), context("lr")
    )
    classifier.train(data)
    tests = {
        "my microSD is not showing up in the camera": "sd_card_not_recognized",
        "the power brick is scorching": "adapter_overheating",
        "my puppy walks past and nothing is recorded": "pet_not_detected",
    }
    messages = [tokenized(tokenizer, t) for t in tests]
    featurizer.process(messages)
    classifier.process(messages)
    assert [m.get(INTENT)["name"] for m in messages] == list(tests.values())


def test_invalid_config_is_rejected():
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        MiniLMFeaturizer({**MiniLMFeaturizer.get_default_config(), "batch_size": 0}, "bad")
    with pytest.raises(InvalidConfigException):
        MiniLMFeaturizer({**MiniLMFeaturizer.get_default_config(), "max_length": 1000}, "bad")


def test_custom_model_dir_is_used(tmp_path: Path):
    with pytest.raises(FileNotFoundError):
        MiniLMFeaturizer({**MiniLMFeaturizer.get_default_config(), "model_dir": str(tmp_path)}, "x")


def test_fingerprint_addon_tracks_model_directory(tmp_path: Path):
    config = MiniLMFeaturizer.get_default_config()
    packaged = MiniLMFeaturizer.fingerprint_addon(config)
    assert packaged == MiniLMFeaturizer.fingerprint_addon(dict(config))
    other = MiniLMFeaturizer.fingerprint_addon({**config, "model_dir": str(tmp_path)})
    assert other != packaged


@pytest.mark.parametrize("payload", ['/choose{"option":"factory_reset|fixed"}', "/human_handoff", "/skip"])
def test_button_payload_gets_zero_features_without_encoding(tokenizer, featurizer, payload, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a button payload must not be encoded")

    message = tokenized(tokenizer, payload)
    monkeypatch.setattr(featurizer._encoder, "encode_with_tokens", refuse)
    featurizer.process([message])
    seq, sentence = message.get_dense_features(TEXT, [])
    assert sentence.features.shape == (1, featurizer._encoder.dim) and not sentence.features.any()
    assert seq.features.shape == (len(message.get(TOKENS_NAMES[TEXT])), featurizer._encoder.dim)


def test_text_that_only_starts_with_a_slash_is_encoded(tokenizer, featurizer):
    message = tokenized(tokenizer, "/ my camera is offline")
    featurizer.process([message])
    _, sentence = message.get_dense_features(TEXT, [])
    assert sentence.features.any()

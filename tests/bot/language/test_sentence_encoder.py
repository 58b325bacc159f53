"""Sanity checks of the numpy all-MiniLM-L6-v2 encoder against known behaviour."""

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.language.sentence_encoder import (
    EMBEDDING_DIM,
    SentenceEncoder,
    default_model_dir,
)


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load()


def cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_matches_reference_embedding_of_sentence_transformers(encoder):
    # First five dimensions of SentenceTransformer("all-MiniLM-L6-v2").encode("hello world"),
    # the canonical value also asserted by qdrant/fastembed's test suite.
    reference = np.array([-0.034478, 0.03102, 0.00673, 0.02611, -0.039362])
    got = encoder.encode(["hello world"])[0, :5]
    np.testing.assert_allclose(got, reference, atol=1e-4)


def test_shape_dtype_and_unit_norm(encoder):
    texts = ["camera offline", "the SD card is not detected", "", "x" * 10]
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), EMBEDDING_DIM)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_empty_list_gives_empty_matrix(encoder):
    assert encoder.encode([]).shape == (0, EMBEDDING_DIM)


@pytest.mark.parametrize(
    "anchor, paraphrase, unrelated",
    [
        ("A man is playing a guitar.", "A person plays the guitar.", "The new movie is awesome."),
        (
            "my camera stopped connecting to the wifi",
            "the camera can no longer get on the wireless network",
            "the power adapter is very hot to the touch",
        ),
        (
            "the memory card is not recognized",
            "the camera does not detect the micro SD card",
            "the app freezes when I open the settings",
        ),
        (
            "the camera no longer pans or tilts",
            "pan and tilt stopped working",
            "night vision takes a long time to switch on",
        ),
    ],
)
def test_paraphrases_are_closer_than_unrelated_sentences(encoder, anchor, paraphrase, unrelated):
    a, p, u = encoder.encode([anchor, paraphrase, unrelated])
    assert cos(a, p) > 0.6
    assert cos(a, p) > cos(a, u) + 0.3


def test_empty_and_very_long_inputs_do_not_crash(encoder):
    long_text = ("my kasa camera keeps dropping offline " * 200)[:5000]
    assert len(long_text) == 5000
    vectors = encoder.encode(["", long_text, "   ", "\x00\u200b\ufeff"])
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_long_input_is_truncated_to_128_word_pieces(encoder):
    head = "camera offline " * 100  # well over 128 word pieces
    _, tokens = encoder.encode_with_tokens([head + " adapter overheating"])
    assert len(tokens[0].vectors) == 126  # 128 minus [CLS] and [SEP]
    # Text after the cut-off cannot change the embedding.
    a, b = encoder.encode([head, head + " adapter overheating"])
    np.testing.assert_allclose(a, b, atol=1e-6)


def test_deterministic_and_independent_of_batching(encoder):
    texts = ["green light blinking but no cloud", "clips not saving", "a", "pet not detected " * 5]
    first = encoder.encode(texts, batch_size=32)
    second = encoder.encode(texts, batch_size=32)
    np.testing.assert_array_equal(first, second)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    np.testing.assert_allclose(first, one_by_one, atol=1e-5)
    np.testing.assert_allclose(encoder.encode(texts, batch_size=1), one_by_one, atol=1e-6)


def test_token_states_carry_character_offsets(encoder):
    text = "Kasa camera overheating"
    sentence, tokens = encoder.encode_with_tokens([text])
    np.testing.assert_allclose(sentence, encoder.encode([text]), atol=1e-6)
    states = tokens[0]
    assert states.vectors.shape == (len(states.offsets), EMBEDDING_DIM)
    pieces = [text[s:e].lower() for s, e in states.offsets]
    assert "".join(pieces) == text.replace(" ", "").lower()


def test_load_is_cached_and_locates_packaged_model(encoder):
    assert SentenceEncoder.load() is encoder
    assert SentenceEncoder.load(default_model_dir()) is encoder
    assert (default_model_dir() / "model.safetensors").is_file()


def test_missing_model_directory_is_a_clear_error(tmp_path: Path):
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        SentenceEncoder.load(tmp_path)


def test_rejects_single_string_and_non_strings(encoder):
    with pytest.raises(TypeError):
        encoder.encode("not a list")
    with pytest.raises(TypeError):
        encoder.encode(["ok", None])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(max_size=300), min_size=1, max_size=4))
def test_any_unicode_text_gives_finite_unit_vectors(encoder, texts):
    vectors = encoder.encode(texts)
    assert vectors.shape == (len(texts), EMBEDDING_DIM)
    assert np.all(np.isfinite(vectors))
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)

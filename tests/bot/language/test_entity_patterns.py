"""Tests for bot.language.entity_patterns: the pipeline and patterns built from the vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.language.entities import load_extractor
from bot.language.entity_vocabulary import DEFAULT_VOCABULARY_PATH, VocabularyError


def test_pipeline_is_built_from_a_blank_english_model() -> None:
    extractor = load_extractor()
    assert extractor.nlp.lang == "en"
    assert extractor.nlp.pipe_names == ["entity_ruler"]
    assert extractor.nlp.meta.get("name") in ("pipeline", "", None)


def test_ambiguous_model_spelling_is_rejected(tmp_path: Path) -> None:
    data = yaml.safe_load(DEFAULT_VOCABULARY_PATH.read_text(encoding="utf-8"))
    data["camera_models"]["models"][0]["aliases"] = ["KC105"]
    path = tmp_path / "vocabulary.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(VocabularyError, match="KC105"):
        load_extractor(path)

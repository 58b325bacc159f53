"""Tests for bot.language.entity_vocabulary: a broken vocabulary file is refused with a VocabularyError."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.language.entities import load_extractor
from bot.language.entity_vocabulary import DEFAULT_VOCABULARY_PATH, VocabularyError


def test_unquoted_yaml_boolean_is_rejected(tmp_path: Path) -> None:
    text = DEFAULT_VOCABULARY_PATH.read_text(encoding="utf-8")
    assert '"stays on",' in text
    path = tmp_path / "vocabulary.yml"
    path.write_text(text.replace('negation: ["no",', "negation: [no,"), encoding="utf-8")
    with pytest.raises(VocabularyError, match="quote"):
        load_extractor(path)


def test_missing_vocabulary_file(tmp_path: Path) -> None:
    with pytest.raises(VocabularyError, match="not found"):
        load_extractor(tmp_path / "nope.yml")

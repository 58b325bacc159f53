"""The answer phrases (data/knowledge/answer_phrases.yml) are training data too: every evaluation
text (bench/data/*.jsonl, ../shared/eval/nlu_dev.jsonl) stays below 0.8 similarity to each of them,
as tests/data/test_eval_apart.py requires of data/nlu."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.knowledge.phrases import load_answer_phrases
from tests.data.test_eval_apart import TrainingIndex

ROOT = Path(__file__).resolve().parents[2]
EVAL_FILES = sorted((ROOT / "bench" / "data").glob("*.jsonl")) + [ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"]
THRESHOLD = 0.8


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _phrases():
    p = load_answer_phrases()
    found = [("fixed", t) for t in p.fixed.phrases] + [("not_answers", t) for t in p.not_answers]
    for move, options in p.moves.items():
        for option, written in options.items():
            found += [(f"{move}.{option}", t) for t in written.phrases]
    return [(where, _norm(t)) for where, t in found]


def test_evaluation_texts_are_apart_from_answer_phrases():
    index = TrainingIndex(_phrases())  # the length and character bounds first: a few seconds, not a minute
    close = []
    for path in EVAL_FILES:
        if not path.is_file():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            hits = index.near(json.loads(line).get("text", ""), THRESHOLD)
            if hits:
                close.append(f"{path.name}:{number} is {hits[0][0]:.2f} similar to a phrase of {hits[0][1]}")
    if not any(p.is_file() for p in EVAL_FILES):
        pytest.skip("no evaluation files")
    assert not close, "\n".join(close)

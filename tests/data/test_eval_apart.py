"""Evaluation data stays apart from the training data, and its files are well formed.

The evaluation sets (``bench/data/*.jsonl`` and the shared dev set
``../shared/eval/nlu_dev.jsonl``) measure how the model understands messages it
has never seen. A text that is a near copy of a training example would measure
memory instead, so every evaluation text must stay below 0.8 similarity
(``difflib.SequenceMatcher`` ratio on lower-cased, whitespace-normalised text)
to every training example in ``data/nlu/*.yml``.

The comparison is made fast with the two upper bounds of the ratio that
``SequenceMatcher`` itself offers, checked before the real one: the length
bound (``real_quick_ratio``) and the character multiset bound
(``quick_ratio``), computed with numpy for one evaluation text against all
training examples at once, so most pairs never reach ``SequenceMatcher.ratio``.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "data" / "nlu"
BENCH_DIR = ROOT / "bench" / "data"
SYMPTOMS_FILE = ROOT / "data" / "knowledge" / "symptoms.yml"
# the typed-answer reader's own phrases are training data for the typed answers (bench/data/answers.jsonl)
ANSWER_PHRASES_FILE = ROOT / "data" / "knowledge" / "answer_phrases.yml"
SHARED_EVAL_DIR = ROOT.parent / "shared" / "eval"
DEV_FILE = SHARED_EVAL_DIR / "nlu_dev.jsonl"

THRESHOLD = 0.8
# a ratio this close under the threshold is also read the other way round (b against a)
ASYMMETRY_MARGIN = 0.1
EXTRA_LABELS = frozenset({"out_of_scope", "vague"})
# keys every line of a file must have (files not listed need text and label)
REQUIRED_KEYS = {
    "complaints_real_style.jsonl": ("text", "label", "note"),
    "short_generic.jsonl": ("text", "label"),
    "answers.jsonl": ("move", "text", "label"),
    "answers_unseen.jsonl": ("move", "text", "label"),
}
# the typed answers are labelled with an option of their move, `fixed` (a repair step worked) or `none`
ANSWERS = "answers.jsonl"
# a second set of typed answers, written later by a writer who saw only the questions, to check the
# reader on replies nobody tuned it against
UNSEEN_ANSWERS = "answers_unseen.jsonl"
ANSWER_EXTRA_LABELS = frozenset({"none"})
MINIMUM_PER_OPTION = 5
DEFAULT_KEYS = ("text", "label")
MINIMUM_LINES = {"complaints_real_style.jsonl": 150, "short_generic.jsonl": 60, ANSWERS: 500, UNSEEN_ANSWERS: 300}
MINIMUM_PER_SYMPTOM = {"complaints_real_style.jsonl": 3}
SHORT_WORDS = (2, 6)

# Rasa entity markup: [text](entity), [text]{"entity": ...}; keep the text.
ENTITY_MARKUP = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
PUNCTUATION = str.maketrans({ch: " " for ch in string.punctuation})


def normalise(text: str) -> str:
    """Lower-cased, whitespace-normalised text: what similarity is measured on."""
    return " ".join(text.lower().split())


def dedup_key(text: str) -> str:
    """Two texts that differ only in case, punctuation or spacing share this key."""
    return " ".join(text.lower().translate(PUNCTUATION).split())


# ------------------------------------------------------------------ loading


def training_examples() -> list[tuple[str, str]]:
    """(where, text) for every example of every ``examples`` block of every ``nlu`` item in data/nlu/*.yml.

    ``where`` names the file and the item ("symptoms.yml, intent foo"), never the text: a failure
    message must not show training sentences to the people who write evaluation data.
    """
    examples = []
    for path in sorted(NLU_DIR.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            block = item.get("examples") if isinstance(item, dict) else None
            if not isinstance(block, str):
                continue
            kind = next((k for k in ("intent", "synonym", "regex", "lookup") if k in item), "item")
            where = f"data/nlu/{path.name}, {kind} {item.get(kind, '?')}"
            for line in block.splitlines():
                line = line.strip()
                if not line.startswith("- "):
                    continue
                text = ENTITY_MARKUP.sub(r"\1", line[2:].strip())
                if text:
                    examples.append((where, text))
    return examples


def answer_phrases() -> list[tuple[str, str]]:
    """(where, text) for every phrase the typed-answer reader compares a reply with, and every option label.

    A typed reply in the evaluation set that is a near copy of a phrase or a button label measures memory.
    """
    from bot.knowledge import load_knowledge

    found = []
    doc = yaml.safe_load(ANSWER_PHRASES_FILE.read_text(encoding="utf-8")) or {}
    for text in (doc.get("fixed") or {}).get("phrases") or []:
        found.append(("answer_phrases.yml, fixed", str(text)))
    for text in doc.get("not_answers") or []:  # the reader's "no answer yet" class is trained on these
        found.append(("answer_phrases.yml, not_answers", str(text)))
    for move_id, options in (doc.get("moves") or {}).items():
        for option_id, spec in (options or {}).items():
            spec = spec or {}
            for key in ("phrases", "fixed"):
                for text in spec.get(key) or [] if isinstance(spec, dict) else []:
                    found.append((f"answer_phrases.yml, {move_id}.{option_id}", str(text)))
    for move in load_knowledge().moves:
        for option in move.answer_options:
            found.append((f"the button label of {move.id}.{option.id}", option.label))
    return found


def read_jsonl(path: Path) -> list[tuple[int, dict]]:
    """(line number, object) per non-blank line; a malformed line fails the calling test."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            pytest.fail(f"{path.name}:{number}: not valid JSON ({exc.msg})")
        if not isinstance(obj, dict):
            pytest.fail(f"{path.name}:{number}: a line must be a JSON object")
        items.append((number, obj))
    return items


def bench_files() -> list[Path]:
    return sorted(BENCH_DIR.glob("*.jsonl"))


def symptom_ids() -> frozenset[str]:
    doc = yaml.safe_load(SYMPTOMS_FILE.read_text(encoding="utf-8"))
    return frozenset(s["id"] for s in doc["symptoms"])


def texts_of(path: Path) -> list[tuple[str, str]]:
    """(where, text) for every line of a JSONL file that has a string text."""
    return [
        (f"{path.name}:{number}", obj["text"]) for number, obj in read_jsonl(path) if isinstance(obj.get("text"), str)
    ]


# ------------------------------------------------------------------ similarity


class TrainingIndex:
    """Training examples with what the two upper bounds of the ratio need, as numpy arrays.

    For texts a and b, ``SequenceMatcher.ratio`` is 2*M/(len(a)+len(b)) with M the matched characters.
    M is at most min(len(a), len(b)) (``real_quick_ratio``) and at most the size of the intersection of
    the two character multisets (``quick_ratio``). Both bounds are computed for one evaluation text
    against all training examples at once; only examples that pass both get the real ratio.
    """

    def __init__(self, examples: list[tuple[str, str]]):
        places: dict[str, str] = {}
        for where, text in examples:
            places.setdefault(normalise(text), where)
        self.texts = sorted(places)
        self.places = [places[t] for t in self.texts]
        self.lengths = np.array([len(t) for t in self.texts], dtype=np.int64)
        alphabet = sorted({ch for t in self.texts for ch in t})
        self.column = {ch: i for i, ch in enumerate(alphabet)}
        self.counts = np.zeros((len(self.texts), len(alphabet)), dtype=np.int64)
        for row, text in enumerate(self.texts):
            for ch, n in Counter(text).items():
                self.counts[row, self.column[ch]] = n

    def bounds(self, a: str) -> tuple[np.ndarray, np.ndarray]:
        """``real_quick_ratio`` and ``quick_ratio`` of normalised text ``a`` against every training example."""
        vector = np.zeros(self.counts.shape[1], dtype=np.int64)
        for ch, n in Counter(a).items():
            if ch in self.column:  # a character no training text has matches nothing
                vector[self.column[ch]] = n
        total = np.maximum(self.lengths + len(a), 1)
        real_quick = 2.0 * np.minimum(self.lengths, len(a)) / total
        quick = 2.0 * np.minimum(self.counts, vector).sum(axis=1) / total
        return real_quick, quick

    def near(self, text: str, threshold: float = THRESHOLD) -> list[tuple[float, str]]:
        """(ratio, where) of the training examples at least ``threshold`` similar to ``text``, best first."""
        a = normalise(text)
        if not self.texts or not a:
            return []
        real_quick, quick = self.bounds(a)
        possible = (real_quick >= threshold) & (quick >= threshold)
        hits = []
        matcher = SequenceMatcher(None)
        matcher.set_seq2(a)  # seq2 is the side SequenceMatcher caches
        for row in np.flatnonzero(possible):
            b = self.texts[row]
            matcher.set_seq1(b)
            ratio = matcher.ratio()
            if threshold - ASYMMETRY_MARGIN <= ratio < threshold:
                # the ratio is not symmetric (its matching is greedy): near the line, read it both ways
                ratio = max(ratio, SequenceMatcher(None, b, a).ratio())
            if ratio >= threshold:
                hits.append((ratio, self.places[row]))
        return sorted(hits, reverse=True)


@pytest.fixture(scope="module")
def index() -> TrainingIndex:
    examples = training_examples()
    assert examples, f"no training examples found under {NLU_DIR}"
    return TrainingIndex(examples)


def too_close(index: TrainingIndex, items: list[tuple[str, str]]) -> list[str]:
    found = []
    for where, text in items:
        hits = index.near(text)
        if hits:
            ratio, place = hits[0]
            more = f" (and {len(hits) - 1} more)" if len(hits) > 1 else ""
            found.append(f"{where}: {text!r} is {ratio:.2f} similar to an example in {place}{more}")
    return found


def test_bench_texts_are_apart_from_training(index):
    files = bench_files()
    assert files, f"no *.jsonl files in {BENCH_DIR}"
    items = [item for path in files for item in texts_of(path)]
    found = too_close(index, items)
    assert not found, (
        f"{len(found)} evaluation text(s) within {THRESHOLD} of training data; rewrite the evaluation line "
        "in new words (never move it into data/nlu/):\n" + "\n".join(found)
    )


@pytest.fixture(scope="module")
def answer_index() -> TrainingIndex:
    return TrainingIndex(training_examples() + answer_phrases())


@pytest.mark.parametrize("name", [ANSWERS, UNSEEN_ANSWERS])
def test_typed_answers_are_apart_from_the_answer_phrases(answer_index, name):
    path = BENCH_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    found = too_close(answer_index, texts_of(path))
    assert not found, (
        f"{len(found)} typed answer(s) within {THRESHOLD} of an answer phrase, a button label or a training "
        "example; rewrite the evaluation line in new words (never move it into the phrases):\n" + "\n".join(found)
    )


def test_answer_phrases_are_read(answer_index):
    assert any("fixed" in where for where in answer_index.places)
    assert any("not_answers" in where for where in answer_index.places)
    assert any(where.startswith("the button label of led_check") for where in answer_index.places)


def test_shared_dev_texts_are_apart_from_training(index):
    if not DEV_FILE.is_file():
        pytest.skip(f"shared dev set not present at {DEV_FILE} (it lives outside the repository)")
    found = too_close(index, texts_of(DEV_FILE))
    assert not found, (
        f"{len(found)} text(s) of the shared dev set within {THRESHOLD} of training data; the dev set is fixed "
        "and shared, so rewrite the training example(s) named below in other words:\n" + "\n".join(found)
    )


def test_near_duplicate_check_finds_what_it_should():
    """The pre-filters never hide a pair that SequenceMatcher itself rates as close."""
    idx = TrainingIndex([("a", "the sd card is not recognized by my camera"), ("b", "adapter gets hot")])
    assert idx.near("The SD card is not  recognised by my camera")  # spelling + spacing
    assert idx.near("the sd card is not recognized by my camera!")
    assert not idx.near("my camera went offline after two months")
    ratio = SequenceMatcher(None, "adapter gets hot", "adapter get hot").ratio()
    assert ratio >= THRESHOLD and idx.near("adapter get hot") == [(pytest.approx(ratio), "b")]


def test_bounds_are_the_ones_difflib_computes():
    texts = ["sd card not detected", "adapter gets hot", "kc120 offline since tuesday", "x"]
    idx = TrainingIndex([(str(i), t) for i, t in enumerate(texts)])
    for a in ["sd card not detected!", "hot adapter", "zzz \u00e9\u00e9", "offline kc120 since tues."]:
        real_quick, quick = idx.bounds(a)
        for row, b in enumerate(idx.texts):
            matcher = SequenceMatcher(None, a, b)
            assert real_quick[row] == pytest.approx(matcher.real_quick_ratio())
            assert quick[row] == pytest.approx(matcher.quick_ratio())


def test_entity_markup_is_reduced_to_its_text():
    assert ENTITY_MARKUP.sub(r"\1", 'my [KC120](camera_model) is [blinking green]{"entity": "led"}') == (
        "my KC120 is blinking green"
    )


# ------------------------------------------------------------------ format


@pytest.mark.parametrize("name", sorted(REQUIRED_KEYS))
def test_expected_files_exist(name):
    assert (BENCH_DIR / name).is_file(), f"{BENCH_DIR / name} is missing"


@pytest.mark.parametrize("path", bench_files(), ids=lambda p: p.name)
def test_lines_are_well_formed(path):
    allowed = symptom_ids() | EXTRA_LABELS
    options = answer_labels()
    keys = REQUIRED_KEYS.get(path.name, DEFAULT_KEYS)
    problems = []
    items = read_jsonl(path)
    assert items, f"{path.name} is empty"
    for number, obj in items:
        where = f"{path.name}:{number}"
        missing = [k for k in keys if k not in obj]
        if missing:
            problems.append(f"{where}: missing key(s) {missing}")
            continue
        for key in keys:
            if not isinstance(obj[key], str) or not obj[key].strip():
                problems.append(f"{where}: {key} must be a non-empty string")
        if is_answers(path):
            if obj["move"] not in options:
                problems.append(f"{where}: unknown move {obj['move']!r}")
            elif obj["label"] not in options[obj["move"]]:
                problems.append(f"{where}: {obj['label']!r} is no answer to {obj['move']}")
        elif obj["label"] not in allowed:
            problems.append(f"{where}: unknown label {obj['label']!r}")
        if "\n" in obj["text"] or "\n" in obj.get("note", ""):
            problems.append(f"{where}: text and note are one line each")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(MINIMUM_LINES))
def test_files_have_enough_lines(name):
    path = BENCH_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    count = len(read_jsonl(path))
    assert count >= MINIMUM_LINES[name], f"{name} has {count} lines, needs {MINIMUM_LINES[name]}"


@pytest.mark.parametrize("name", sorted(MINIMUM_PER_SYMPTOM))
def test_every_symptom_is_covered(name):
    path = BENCH_DIR / name
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    counts = Counter(obj.get("label") for _, obj in read_jsonl(path))
    minimum = MINIMUM_PER_SYMPTOM[name]
    short = {s: counts[s] for s in sorted(symptom_ids()) if counts[s] < minimum}
    assert not short, f"{name}: symptoms with fewer than {minimum} lines: {short}"


def test_short_generic_lines_are_short():
    path = BENCH_DIR / "short_generic.jsonl"
    if not path.is_file():
        pytest.fail(f"{path} is missing")
    low, high = SHORT_WORDS
    bad = [
        f"{path.name}:{number}: {obj['text']!r}"
        for number, obj in read_jsonl(path)
        if not low <= len(str(obj.get("text", "")).split()) <= high
    ]
    assert not bad, f"lines outside {low}-{high} words:\n" + "\n".join(bad)


def test_every_option_has_typed_answers():
    """At least five typed replies for every option of every question, and replies that fit none."""
    counts = Counter((obj.get("move"), obj.get("label")) for _, obj in read_jsonl(BENCH_DIR / ANSWERS))
    short = [
        f"{move}.{label}: {counts[(move, label)]}"
        for move, labels in sorted(answer_labels().items())
        for label in sorted(labels)
        if counts[(move, label)] < MINIMUM_PER_OPTION
    ]
    assert not short, f"{ANSWERS}: fewer than {MINIMUM_PER_OPTION} replies for:\n" + "\n".join(short)


def is_answers(path: Path) -> bool:
    return path.name in (ANSWERS, UNSEEN_ANSWERS)


def answer_labels() -> dict[str, frozenset[str]]:
    """Every question and repair step with options, and the labels a typed reply to it may have."""
    from bot.knowledge import load_knowledge

    found = {}
    for move in load_knowledge().moves:
        if move.answer_options:
            extra = {"fixed"} if move.kind == "action" else set()
            found[move.id] = frozenset({o.id for o in move.answer_options} | extra | ANSWER_EXTRA_LABELS)
    return found


def test_no_duplicates_within_or_across_files():
    """No two evaluation texts (bench files and the shared dev set) differ only in case, punctuation or spacing.

    A typed answer is a reply to one question: the same "nope" may answer two questions.
    """
    sources = bench_files() + ([DEV_FILE] if DEV_FILE.is_file() else [])
    seen: dict[str, str] = {}
    clashes = []
    for path in sources:
        moves = [obj.get("move", "") for _, obj in read_jsonl(path)] if is_answers(path) else None
        for i, (where, text) in enumerate(texts_of(path)):
            key = dedup_key(text) if moves is None else f"{moves[i]}: {dedup_key(text)}"
            if key in seen:
                clashes.append(f"{where}: {text!r} repeats {seen[key]}")
            else:
                seen[key] = where
    assert not clashes, "\n".join(clashes)

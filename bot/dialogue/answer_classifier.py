"""A classifier per move, trained on all of its phrases: logistic regression on their sentence vectors and
their negation-marked words, the written non-answers a class of their own. The phrase vectors it is
trained on can be kept in a file between starts (`warm`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.dialogue.phrase_book import Embed, PhraseBook
from bot.dialogue.word_matching import negated, stem
from bot.knowledge.moves import Move
from bot.knowledge.phrases import AnswerPhrases

NOT_AN_ANSWER = "<not an answer>"  # the classifier's class of the written non-answers
# replies whose sentence vectors are kept for the classifier (a reading asks for one at most twice)
REPLY_VECTORS = 8


class AnswerClassifier(PhraseBook):
    """The phrase book with each move's classifier, fitted on first use (or all at once by `warm`)."""

    def __init__(self, phrases: Optional[AnswerPhrases] = None, embed: Optional[Embed] = None):
        super().__init__(phrases, embed)
        self._classifiers: Dict[str, Optional[Tuple[Any, Dict[str, int]]]] = {}
        self._reply_vectors: Dict[str, np.ndarray] = {}  # the last few replies' vectors (REPLY_VECTORS)
        self._not_answers: Optional[Tuple[Optional[np.ndarray]]] = None

    def warm(self, moves: Sequence[Move], cache: Optional[Path] = None, fingerprint: str = "") -> None:
        """Embed every phrase and fit every move's classifier now, so no customer's first typed reply to
        a question waits for it. The vectors take about half a minute on two cores; with `cache` (a
        file) they are kept for the next start while `fingerprint` (the encoder's) and the texts match."""
        texts = self._phrase_texts(moves)
        if cache is not None:
            self._memo.update(_read_vectors(cache, fingerprint))
        known = len([t for t in texts if t in self._memo])
        self.vectors(texts)
        if cache is not None and known < len(texts):
            _write_vectors(cache, fingerprint, {t: self._memo[t] for t in texts})
        for move in moves:
            self._classifier(move)

    def _phrase_texts(self, moves: Sequence[Move]) -> List[str]:
        texts: List[str] = [self.norm.fold(t) for t in self.phrases.not_answers]
        for move in moves:
            for option, label in self._answers_of(move):
                written = self.phrases.option(move.id, option)
                texts.extend(self._phrase_key(t) for t in [label] + list(written.phrases if written else ()))
        return list(dict.fromkeys(texts))

    def _probabilities(self, move: Move, vector: np.ndarray, marks: Sequence[str] = ()) -> Dict[str, float]:
        """What the move's classifier gives each of its options for the reply (its sentence vector, and
        its words marked with their negation: `_marks`)."""
        trained = self._classifier(move)
        if trained is None:
            return {}
        model, vocabulary = trained
        row = np.concatenate([vector, _bag(marks, vocabulary)])
        return dict(zip(model.classes_, model.predict_proba(row[None, :])[0]))

    def _opinion(self, move: Move, folded: str, negated_: bool) -> Dict[str, float]:
        """The classifier's probabilities for a folded reply. Settling and the second opinion may both
        ask within one reading: the reply's vector is computed once."""
        vector = self._reply_vectors.get(folded)
        if vector is None:
            if len(self._reply_vectors) >= REPLY_VECTORS:
                self._reply_vectors.pop(next(iter(self._reply_vectors)))  # oldest first
            vector = self._reply_vectors[folded] = self.embed([folded])[0]
        asserted, denied = self.norm.words(folded)
        return self._probabilities(move, vector, _marks(asserted, denied, negated_))

    def _classifier(self, move: Move) -> Optional[Tuple[Any, Dict[str, int]]]:
        if move.id not in self._classifiers:
            self._classifiers[move.id] = self._train(move)
        return self._classifiers[move.id]

    def _train(self, move: Move) -> Optional[Tuple[Any, Dict[str, int]]]:
        # The sentence vector hears topic, not valence ("clips are there" / "clips still missing"); the
        # phrases' own words, marked with their negation, teach the classifier which words tell the
        # options apart ("still", "missing", "now") without a word list in code.
        vectors, bags, labels = [], [], []
        for option, label in self._answers_of(move):
            for p in self._option_phrases(move, option, label)[1]:
                if p.vector is not None:
                    vectors.append(p.vector)
                    bags.append(_marks(p.asserted, p.denied, p.negated))
                    labels.append(option)
        if len(set(labels)) < 2:
            return None
        not_answers = self._not_answer_matrix()
        if not_answers is not None:
            # non-answers are a class of their own, so a "one sec" takes probability from every option
            for text, vector in zip(self._not_answer_texts(), not_answers):
                asserted, denied = self.norm.words(text)
                vectors.append(vector)
                bags.append(_marks(asserted, denied, negated(text)))
                labels.append(NOT_AN_ANSWER)
        vocabulary = {w: i for i, w in enumerate(sorted({w for bag in bags for w in bag}))}
        rows = np.array([np.concatenate([v, _bag(b, vocabulary)]) for v, b in zip(vectors, bags)])
        from sklearn.linear_model import LogisticRegression  # only when a typed reply is read

        return LogisticRegression(C=10.0, max_iter=3000).fit(rows, labels), vocabulary

    def _not_answer_texts(self) -> List[str]:
        return [self.norm.fold(t) for t in self.phrases.not_answers]

    def _not_answer_matrix(self) -> Optional[np.ndarray]:
        """The vectors of the written non-answers (None when there are none)."""
        if self._not_answers is None:
            texts = self._not_answer_texts()
            self._not_answers = (self.vectors(texts),) if texts else (None,)
        return self._not_answers[0]

    def _not_answer(self, vector: np.ndarray) -> float:
        """How close a reply is to the nearest written non-answer (cosine)."""
        matrix = self._not_answer_matrix()
        return 0.0 if matrix is None else float(np.max(matrix @ vector))


def _marks(asserted: Sequence[str], denied: Sequence[str], negated_: bool) -> List[str]:
    """A text's words for the classifier: stems, a denied one marked ("not click"), and whether it is
    negated at all."""
    marks = [stem(w) for w in asserted] + ["not " + stem(w) for w in denied]
    return marks + ["<negated>"] if negated_ else marks


def _bag(marks: Sequence[str], vocabulary: Dict[str, int]) -> np.ndarray:
    """The marks as a unit-length vector over the move's vocabulary (unknown words count nowhere)."""
    row = np.zeros(len(vocabulary))
    for m in marks:
        if m in vocabulary:
            row[vocabulary[m]] = 1.0
    total = row.sum()
    return row / np.sqrt(total) if total else row


def _read_vectors(path: Path, fingerprint: str) -> Dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["fingerprint"]) != fingerprint:
                return {}
            return dict(zip((str(t) for t in data["texts"]), data["vectors"]))
    except (OSError, KeyError, ValueError):  # missing, foreign or torn: computed again
        return {}


def _write_vectors(path: Path, fingerprint: str, vectors: Dict[str, np.ndarray]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        with open(partial, "wb") as out:
            np.savez(
                out, fingerprint=fingerprint, texts=np.array(list(vectors)), vectors=np.array(list(vectors.values()))
            )
        os.replace(partial, path)  # whole or not at all, whichever process writes last
    except OSError:  # a read-only tree: the next start computes them again
        pass


def encoder_fingerprint() -> str:
    """What the phrase vectors depend on: the encoder's weights file (path, size, time)."""
    from bot.language.sentence_encoder import default_model_dir

    weights = default_model_dir() / "model.safetensors"
    stat = weights.stat()
    return f"{weights.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"

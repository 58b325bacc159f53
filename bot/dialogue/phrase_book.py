"""Each answer a move takes, with its written phrases as they are compared: folded, split into asserted
and denied words, and embedded once (data/knowledge/answer_phrases.yml)."""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from bot.dialogue.reply_normaliser import Normaliser
from bot.dialogue.word_matching import Phrase, negated, stem
from bot.knowledge.moves import Move
from bot.knowledge.phrases import FIXED, FIXED_LABEL, AnswerPhrases, OptionPhrases, load_answer_phrases

NO_PHRASES = OptionPhrases(None, ())
Embed = Callable[[Sequence[str]], np.ndarray]


class PhraseBook:
    """The moves' answers and their phrases, read with the normaliser and embedded by `embed`, which maps
    texts to L2-normalised vectors (default: the MiniLM encoder of the NLU pipeline)."""

    def __init__(self, phrases: Optional[AnswerPhrases] = None, embed: Optional[Embed] = None):
        self.phrases = phrases or load_answer_phrases()
        self.norm = Normaliser(self.phrases)
        self._embed = embed
        self._cache: Dict[Tuple[str, str, str], Tuple[Optional[str], Tuple[Phrase, ...]]] = {}
        self._memo: Dict[str, np.ndarray] = {}
        self._against: Dict[Tuple[str, str, str], frozenset] = {}  # per option of a step, read once

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if self._embed is None:
            self._embed = _default_embed()
        return self._embed(list(texts))

    def polarity_of(self, move: Move, option: str, label: str) -> Optional[str]:
        written = self.phrases.option(move.id, option)
        if written is not None and written.polarity:
            return written.polarity
        first = self.norm.fold(label).split(" ", 1)[0].strip(",")
        return {"yes": "yes", "no": "no"}.get(first)

    def _option_phrases(self, move: Move, option: str, label: str) -> Tuple[Optional[str], Tuple[Phrase, ...]]:
        key = (move.id, option, label)
        if key not in self._cache:
            written = self.phrases.option(move.id, option)
            texts = [label] + list(written.phrases if written else ())
            found: Dict[str, Phrase] = {}
            for t in texts:
                pol, _ = self.norm.lead(self.norm.fold(t))
                rest = self._phrase_key(t)
                if rest not in found:
                    found[rest] = Phrase(rest, *self.norm.words(self.norm.fold(t)), negated(rest) or pol == "no", None)
            vectors = self.vectors(list(found))
            phrases = tuple(Phrase(p.text, p.asserted, p.denied, p.negated, v) for p, v in zip(found.values(), vectors))
            self._cache[key] = (self.polarity_of(move, option, label), phrases)
        return self._cache[key]

    def _phrase_key(self, text: str) -> str:
        """A phrase as it is compared: folded, without its opening yes/no."""
        folded = self.norm.fold(text)
        return self.norm.lead(folded)[1] or folded

    @staticmethod
    def _answers_of(move: Move) -> List[Tuple[str, str]]:
        """Every answer a move takes: its options, and "it works now" on a repair step."""
        options = [(o.id, o.label) for o in move.answer_options]
        return options + [(FIXED, FIXED_LABEL)] if options and move.kind == "action" else options

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """The sentence vectors of phrase texts, each computed once (or read from the warm-up's file)."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._memo]
        if missing:
            for text, vector in zip(missing, self.embed(missing)):
                self._memo[text] = vector
        return np.array([self._memo[t] for t in texts])

    def _telling_against(self, move: Move, option: str) -> frozenset:
        """The stems of words the move's other answers are written with and this option's are not."""
        key = (move.id, move.prompt, option)
        cached = self._against.get(key)
        if cached is None:
            own: set = set()
            others: set = set()
            for o, label in self._answers_of(move):
                words = {stem(w) for p in self._option_phrases(move, o, label)[1] for w in p.words}
                (own if o == option else others).update(words)
            cached = self._against[key] = frozenset(others - own)
        return cached

    def is_unsure(self, move: Move, option: str) -> bool:
        return (self.phrases.option(move.id, option) or NO_PHRASES).unsure

    def bare_option(self, move: Move, options: Sequence[str], polarity: str) -> Optional[str]:
        """The option a bare "yes"/"no" means when several options share that polarity."""
        marked = [o for o in options if (self.phrases.option(move.id, o) or NO_PHRASES).bare]
        return marked[0] if len(marked) == 1 else None


@lru_cache(maxsize=1)
def _default_embed() -> Embed:
    from bot.language.sentence_encoder import SentenceEncoder

    encoder = SentenceEncoder.load()

    def embed(texts: Sequence[str]) -> np.ndarray:
        return encoder.encode(list(texts))

    return embed

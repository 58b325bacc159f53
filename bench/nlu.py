"""Intent-classification benchmark for a trained Rasa model.

    python bench/nlu.py [FILE.jsonl] [--model PATH]

FILE: one JSON object per line, {"text": ..., "label": ...}; the label
``out_of_scope`` marks a message that describes none of the documented symptoms.
Default: ../shared/eval/nlu_dev.jsonl relative to the repository root.
--model: a trained model archive; default: the newest models/*.tar.gz.

Reports, over the in-scope items (label != out_of_scope):
  top1  share whose top intent (after FallbackClassifier) is the label;
        a message sent to nlu_fallback counts as a miss;
  top3  share whose label is among the 3 highest-ranked intents of
        intent_ranking, nlu_fallback left out (it is a verdict, not a reading);
and over the out_of_scope items:
  out_of_scope_rejected  share whose top intent is not one of the 14 symptom
        intents (out_of_scope, nlu_fallback, greet, ...).
Human-readable lines first (with every miss); the LAST line is one JSON object
with keys top1, top3, out_of_scope_rejected, n (null when undefined).

Exit status: 0 after reporting (targets are judged by people), 2 on a
malformed input file (the message names the line), on a missing model, or on
bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = REPO_ROOT.parent / "shared" / "eval" / "nlu_dev.jsonl"
DEFAULT_MODELS = REPO_ROOT / "models"
if str(REPO_ROOT) not in sys.path:  # custom components (components.*) live in the repo
    sys.path.insert(0, str(REPO_ROOT))

from bot.knowledge import load_knowledge  # noqa: E402

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
# the 14 documented symptoms, as the guide's data names them (one intent each)
SYMPTOM_INTENTS = frozenset(s.id for s in load_knowledge().symptoms)


class BenchError(Exception):
    """A problem with the inputs: reported in one line, exit status 2."""


def read_items(path: Path) -> List[Tuple[str, str]]:
    """(text, label) per non-blank line; BenchError naming the line otherwise."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise BenchError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BenchError(f"{path}: cannot read: {exc}") from exc
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BenchError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise BenchError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        for key in ("text", "label"):
            if key not in obj:
                raise BenchError(f"{where}: missing key {key!r}")
            if not isinstance(obj[key], str):
                raise BenchError(f"{where}: {key!r} must be a string")
        if not obj["label"].strip():
            raise BenchError(f"{where}: empty label")
        items.append((obj["text"], obj["label"].strip()))
    if not items:
        raise BenchError(f"{path}: no items")
    return items


def newest_model(directory: Path) -> Path:
    models = sorted(directory.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise BenchError(f"no trained model in {directory}/ (run `rasa train` or pass --model)")
    return models[-1]


def ranked_intents(parse: Dict[str, Any]) -> List[str]:
    """Intent names best first, nlu_fallback left out."""
    ranking = parse.get("intent_ranking") or [parse.get("intent") or {}]
    return [r.get("name") for r in ranking if r.get("name") and r.get("name") != FALLBACK]


def score(items: Sequence[Tuple[str, str]], parses: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """Metrics and the list of misses for parsed items."""
    in_scope = top1 = top3 = oos = rejected = 0
    misses = []
    for (text, label), parse in zip(items, parses):
        intent = parse.get("intent") or {}
        top = intent.get("name")
        confidence = float(intent.get("confidence") or 0.0)
        ranking = ranked_intents(parse)
        if label == OUT_OF_SCOPE:
            oos += 1
            if top not in SYMPTOM_INTENTS:
                rejected += 1
            else:
                misses.append(("out_of_scope accepted", text, label, top, confidence, ranking[:3]))
            continue
        in_scope += 1
        top1 += top == label
        top3 += label in ranking[:3]
        if top != label:
            kind = "in top 3" if label in ranking[:3] else "not in top 3"
            misses.append((f"top-1 miss, {kind}", text, label, top, confidence, ranking[:3]))
    return {
        "top1": round(top1 / in_scope, 4) if in_scope else None,
        "top3": round(top3 / in_scope, 4) if in_scope else None,
        "out_of_scope_rejected": round(rejected / oos, 4) if oos else None,
        "n": len(items),
        "counts": {"in_scope": in_scope, "top1": top1, "top3": top3, "oos": oos, "rejected": rejected},
        "misses": misses,
    }


def quiet_rasa() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("LOG_LEVEL", "ERROR")
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    # Rasa's structlog messages (one per parsed message) would otherwise go to stdout.
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.ERROR)


async def parse_all(model: Path, texts: Sequence[str]) -> Tuple[List[Dict[str, Any]], float, float]:
    """Parses of all texts with one loaded agent; (parses, load seconds, parse seconds)."""
    from rasa.core.agent import Agent

    started = time.perf_counter()
    try:
        agent = Agent.load(str(model))
    except Exception as exc:  # Rasa raises many types for a bad or foreign archive
        raise BenchError(f"{model}: could not be loaded as a Rasa model: {exc}") from exc
    loaded = time.perf_counter()
    if not agent.is_ready():
        raise BenchError(f"{model}: could not be loaded as a Rasa model")
    parses = [await agent.parse_message(text) for text in texts]
    return parses, loaded - started, time.perf_counter() - loaded


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE, help="JSONL with text and label")
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: newest models/*.tar.gz)")
    args = parser.parse_args(argv)

    try:
        items = read_items(args.file)
        model = args.model or newest_model(DEFAULT_MODELS)
        if not model.is_file():
            raise BenchError(f"{model}: no such model file")
        quiet_rasa()
        parses, load_s, parse_s = asyncio.run(parse_all(model, [t for t, _ in items]))
    except BenchError as exc:
        print(f"bench/nlu.py: error: {exc}", file=sys.stderr)
        return 2

    result = score(items, parses)
    c = result["counts"]
    print(f"model: {model}")
    print(f"file:  {args.file} ({result['n']} items: {c['in_scope']} in scope, {c['oos']} out_of_scope)")
    print(f"load {load_s:.1f} s; parse {1000 * parse_s / len(items):.1f} ms per message")
    unknown = sorted({label for _, label in items} - SYMPTOM_INTENTS - {OUT_OF_SCOPE})
    if unknown:
        print(f"note: labels outside the 14 symptom intents, scored as in scope: {', '.join(unknown)}")
    print(f"misses ({len(result['misses'])}):")
    for kind, text, label, top, confidence, ranking in result["misses"]:
        print(f"  [{kind}] label={label} predicted={top} ({confidence:.2f}) top3={ranking}")
        print(f"      {text!r}")

    def pct(x: Optional[float]) -> str:
        return "n/a" if x is None else f"{100 * x:.1f}%"

    print(f"top-1 accuracy (in scope):   {pct(result['top1'])}  ({c['top1']}/{c['in_scope']})")
    print(f"top-3 accuracy (in scope):   {pct(result['top3'])}  ({c['top3']}/{c['in_scope']})")
    print(f"out_of_scope rejected:       {pct(result['out_of_scope_rejected'])}  ({c['rejected']}/{c['oos']})")
    print(json.dumps({k: result[k] for k in ("top1", "top3", "out_of_scope_rejected", "n")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

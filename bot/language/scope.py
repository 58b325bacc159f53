"""Whether a first message is about a Kasa camera fault at all (data/knowledge/scope.yml).

The intent classifier reads what a message says; this reads what it is about. A plug that goes
offline uses the same words as a camera that goes offline, and an integration's error mentions
the camera's model. Plain word lists, no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

_KASA = re.compile(r"\b(?:kasa|kc\d+\w*|ec\d+\w*)\b")
# a brand named only to be denied: "not tapo", "it isn't a wyze"
_DENIED = re.compile(r"\b(?:not|isn'?t|isnt|no|never|wasn'?t)\s+(?:an?\s+|the\s+|my\s+)?$")
_ASKS = re.compile(r"^\s*(?:hi,?\s*|hello,?\s*)?(?:can|could|does|do|is|are|will|how|what|which|where|why)\b")
SCOPE_FILE = Path(__file__).resolve().parents[2] / "data" / "knowledge" / "scope.yml"


def _pattern(words: List[str]) -> "re.Pattern[str]":
    parts = []
    for w in sorted({str(w).lower() for w in words}, key=len, reverse=True):
        if w.endswith("*"):
            parts.append(re.escape(w[:-1]) + r"[\w-]*")
        else:
            parts.append(re.escape(w))
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])")


@dataclass(frozen=True)
class Scope:
    camera: "re.Pattern[str]"
    other: Tuple[Tuple[str, "re.Pattern[str]"], ...]
    integrations: "re.Pattern[str]"
    failures: "re.Pattern[str]"
    camera_signs: "re.Pattern[str]"
    faults: "re.Pattern[str]"
    parts: "re.Pattern[str]"
    other_language: Optional["re.Pattern[str]"] = None
    camera_fine: Tuple["re.Pattern[str]", ...] = ()

    def not_a_camera_fault(self, text: str) -> Optional[str]:
        """Why a message is not about a Kasa camera fault ("devices", "brands", "account", "wishes",
        "integration"), or None."""
        lower = (text or "").lower().replace("\u2019", "'")
        camera = bool(self.camera.search(lower))
        for kind, pattern in self.other:
            if pattern.search(lower) and (kind in ("account", "wishes", "brands") or not camera):
                signs = bool(self.camera_signs.search(lower))
                fault = (camera or signs) and (signs or bool(self.faults.search(lower)))
                if kind in ("account", "wishes") and fault:
                    continue  # "the camera went offline after I changed my password": still a fault
                kasa = bool(_KASA.search(lower))
                if kind == "brands" and fault and kasa:
                    continue  # "my tapo... sorry, kasa camera blinks green"
                if (
                    kind == "brands"
                    and kasa
                    and all(_DENIED.search(lower[max(0, m.start() - 14) : m.start()]) for m in pattern.finditer(lower))
                ):
                    continue  # "sorry its a kasa kc100 not tapo"
                return kind
        asks = lower.rstrip().endswith("?") or bool(_ASKS.match(lower))
        # "... but the camera is fine in the kasa app": that app is named as working, not as a sign
        signs_of = lower
        for fine in self.camera_fine:  # one by one, longest first: the phrases overlap
            signs_of = fine.sub(" ", signs_of)
        if self.integrations.search(lower) and not self.camera_signs.search(signs_of):
            if self.failures.search(lower) or (asks and not self.faults.search(lower)):
                return "integration"  # its error, or a question about it ("can I use this camera with alexa")
        return None

    def in_another_language(self, text: str) -> bool:
        """Mostly words of another language ("mi cámara no funciona"): at least two of them, and at
        least a third of the words, so a Spanish model name in an English sentence does not count."""
        if self.other_language is None:
            return False
        words = re.findall(r"[^\W\d_]+", (text or "").lower())
        foreign = [w for w in words if self.other_language.fullmatch(w)]
        return len(set(foreign)) >= 2 and 3 * len(foreign) >= len(words)

    def names_kasa(self, text: str) -> bool:
        """The message names Kasa or a Kasa model ("kc100", "ec70")."""
        return bool(_KASA.search((text or "").lower()))

    def mentions_camera(self, text: str) -> bool:
        """The camera, or a part of it ("sd card problem", "call timed out", "tilt is broken")."""
        lower = (text or "").lower().replace("\u2019", "'")
        return bool(self.camera.search(lower) or self.parts.search(lower))


def parse_scope(data: Dict[str, Any]) -> Scope:
    if not isinstance(data, dict):
        raise ValueError("scope.yml: expected a mapping")
    other = data.get("other_subjects") or {}
    return Scope(
        camera=_pattern(data["camera"]),
        other=tuple((kind, _pattern(words)) for kind, words in other.items()),
        integrations=_pattern(data["integrations"]),
        failures=_pattern(data["integration_failures"]),
        camera_signs=_pattern(data["camera_signs"]),
        faults=_pattern(data["fault_words"]),
        parts=_pattern(data["camera_parts"]),
        other_language=_pattern(data["other_language"]) if data.get("other_language") else None,
        camera_fine=tuple(_pattern([w]) for w in sorted(data.get("camera_fine") or [], key=len, reverse=True)),
    )


@lru_cache(maxsize=2)
def load_scope(path: Optional[str] = None) -> Scope:
    return parse_scope(yaml.safe_load(Path(path or SCOPE_FILE).read_text(encoding="utf-8")))

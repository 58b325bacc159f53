"""Combining the LED words the EntityRuler found into ``led_state`` entities.

The ruler marks colour words, mode words and "no light" phrases separately (the ``LED_*`` labels
of bot/language/entity_patterns.py). Here a mode word guarded by the vocabulary counts only
before a colour, punctuation or an allowed word, a negated word ("not amber") is dropped, a
colour and a mode close together in one clause become one state, and a mode carries over to the
colours listed after it ("blinks amber and green").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Set, Tuple

from spacy.tokens import Doc

from bot.language.entity_patterns import GUARDED, LED_COLOUR, LED_MODE, LED_NONE
from bot.language.entity_types import LED_STATE, Entity, span_entity
from bot.language.entity_vocabulary import EntityVocabulary
from bot.language.nearby_words import words_nearby


@dataclass(frozen=True)
class LedAtom:
    """An LED building block found by the ruler (token offsets)."""

    kind: str  # LED_COLOUR / LED_MODE / LED_NONE
    value: Optional[str]
    start: int
    end: int


def led_states(vocabulary: EntityVocabulary, doc: Doc, atoms: List[LedAtom], occupied: Set[int]) -> List[Entity]:
    """The LED states the atoms describe; ``occupied`` holds the tokens of the doc's other entities."""
    kept = _kept_atoms(vocabulary, doc, atoms)
    results: List[Entity] = []
    index = 0
    while index < len(kept):
        atom = kept[index]
        if atom.kind == LED_NONE:
            results.append(_led_entity(doc, atom.start, atom.end, vocabulary.none_colour, None))
            index += 1
            continue
        partner = kept[index + 1] if index + 1 < len(kept) else None
        if (
            partner is not None
            and {atom.kind, partner.kind} == {LED_COLOUR, LED_MODE}
            and _can_pair(vocabulary, doc, atom.end, partner.start, occupied)
        ):
            paired, index = _pair_and_carried_mode(vocabulary, doc, kept, index)
            results.extend(paired)
            continue
        lone = _lone_atom(vocabulary, doc, atom)
        if lone is not None:
            results.append(lone)
        index += 1
    return results


def _kept_atoms(vocabulary: EntityVocabulary, doc: Doc, atoms: List[LedAtom]) -> List[LedAtom]:
    """The atoms that describe the LED: guards checked, negated words dropped, repeats merged."""
    kept: List[LedAtom] = []
    for atom in atoms:
        if atom.kind == LED_MODE and atom.value and atom.value.endswith(GUARDED):
            guarded = atom.value[: -len(GUARDED)]
            if not _guard_allows(vocabulary, doc, guarded, atom.end):
                continue
            atom = LedAtom(atom.kind, guarded, atom.start, atom.end)
        if (
            atom.kind in (LED_COLOUR, LED_MODE)
            and atom.start > 0
            and doc[atom.start - 1].lower_ in vocabulary.negations
        ):
            continue  # "blinks green, not amber", "never blinks"
        if (
            kept
            and atom.kind == LED_MODE
            and kept[-1].kind == LED_MODE
            and kept[-1].value == atom.value
            and kept[-1].end == atom.start
        ):
            # "blink blink"
            kept[-1] = LedAtom(atom.kind, atom.value, kept[-1].start, atom.end)
            continue
        kept.append(atom)
    return kept


def _guard_allows(vocabulary: EntityVocabulary, doc: Doc, mode: str, end: int) -> bool:
    """Whether the token after a guarded mode word (ending at ``end``) lets it count as ``mode``."""
    if end >= len(doc):
        return True
    following = doc[end]
    allowed = vocabulary.guard_allow_next.get(mode, frozenset())
    return (
        following.is_punct
        or following.is_space
        or following.lower_ in allowed
        or following.lower_ in vocabulary.colour_words
    )


def _pair_and_carried_mode(
    vocabulary: EntityVocabulary, doc: Doc, kept: List[LedAtom], index: int
) -> Tuple[List[Entity], int]:
    """The state of ``kept[index]`` and its partner, then of the colours its mode carries over to;
    with the index of the first atom after them."""
    atom, partner = kept[index], kept[index + 1]
    colour, mode = (atom.value, partner.value) if atom.kind == LED_COLOUR else (partner.value, atom.value)
    results = [_led_entity(doc, atom.start, partner.end, colour, mode)]
    index += 2
    # "blinks amber and green": the mode carries over to the next colour
    end = partner.end
    while index < len(kept) and kept[index].kind == LED_COLOUR:
        between = doc[end : kept[index].start]
        if not (1 <= len(between) <= 2 and all(t.lower_ in vocabulary.colour_joiners for t in between)):
            break
        results.append(_led_entity(doc, kept[index].start, kept[index].end, kept[index].value, mode))
        end = kept[index].end
        index += 1
    return results, index


def _lone_atom(vocabulary: EntityVocabulary, doc: Doc, atom: LedAtom) -> Optional[Entity]:
    """A colour on its own is a state; a mode on its own only near an LED noun or after a subject it describes."""
    if atom.kind == LED_COLOUR:
        return _led_entity(doc, atom.start, atom.end, atom.value, None)
    if words_nearby(
        doc, atom.start, vocabulary.led_noun_tokens, vocabulary.lone_mode_window, end=atom.end
    ) or words_nearby(doc, atom.start, vocabulary.lone_mode_subjects, 2, before_only=True):
        return _led_entity(doc, atom.start, atom.end, None, atom.value)
    return None


def _can_pair(vocabulary: EntityVocabulary, doc: Doc, start: int, end: int, occupied: Set[int]) -> bool:
    if end - start > vocabulary.max_gap:
        return False
    for token in doc[start:end]:
        if token.i in occupied or token.lower_ in vocabulary.barriers or "\n" in token.text:
            return False
    return True


def _led_entity(doc: Doc, start: int, end: int, colour: Optional[str], mode: Optional[str]) -> Entity:
    return span_entity(LED_STATE, {"colour": colour, "mode": mode}, doc[start:end])

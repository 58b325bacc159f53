"""The language model's parse read again, in the light of what the conversation knows: a payload
says only what its button carries, noise says nothing, a typed "choose" or a first message read as an
answer is read by the rest of the ranking, and a command it guesses counts only when it is clear."""

from __future__ import annotations

from dataclasses import replace
from typing import Optional

from bot.dialogue.messages import ASK_ENTITY, Incoming
from bot.dialogue.thresholds import CLARIFY_FLOOR, CLEAR_ANSWER, CLEAR_COMMAND, COMMAND_CONFIDENCE
from bot.dialogue.understanding import (
    asks_to_go_back,
    asks_to_start_over,
    is_payload,
    looks_like_noise,
    normalise,
    ordinal_from_text,
)

# A message mistaken for "choose" is re-read from the other intents only when one of them is this clear.
REINTERPRET_CONFIDENCE = 0.6
# ... and had at least this much of the model's own confidence before
LEFTOVER_FLOOR = 0.1
# Intents that answer the bot; a first message that reads as one is read again without them.
ANSWER_INTENTS = ("affirm", "deny", "not_sure", "skip", "go_back", "how_to", "start_over")


def only_what_was_said(msg: Incoming) -> Incoming:
    """The message without what its sender did not say: a typed payload keeps only a button's own
    entities, noise keeps no reading at all."""
    if is_payload(msg.text):
        # a typed payload's entities are no statement of the customer's; a button carries only these
        return replace(msg, entities=tuple(e for e in msg.entities if e.get("entity") in ("option", ASK_ENTITY)))
    if looks_like_noise(msg.text):
        # the language model gives noise an intent too ("aaaa..." reads as asking for a person)
        return replace(msg, intent="nlu_fallback", confidence=0.0, ranking=(), entities=())
    return msg


def reinterpret(msg: Incoming) -> Incoming:
    """A typed `choose` is only a pick when the text is a short number or ordinal
    ("2", "the first one"); otherwise read the message by the rest of the ranking."""
    if msg.intent != "choose" or msg.choice() is not None:
        return msg
    words = normalise(msg.text).split()
    if len(words) <= 3 and ordinal_from_text(msg.text, 9) is not None:
        return msg
    rest = [(i, c) for i, c in msg.ranking if i not in ("choose", "nlu_fallback")]
    total = sum(c for _, c in rest) or 1.0
    rest = [(i, c / total) for i, c in rest]
    if not rest or rest[0][1] < REINTERPRET_CONFIDENCE:
        return replace(msg, intent="nlu_fallback", confidence=0.0, ranking=tuple(rest))
    return replace(msg, intent=rest[0][0], confidence=rest[0][1], ranking=tuple(rest))


def as_first_message(msg: Incoming) -> Incoming:
    """A first message is a complaint, not an answer: "clips not saving" is no "deny", "wont connect
    after reset" no "start over". Read it by the rest of the ranking unless it clearly is one."""
    if msg.intent not in ANSWER_INTENTS or msg.choice() is not None:
        return msg
    rest = [(i, c) for i, c in msg.ranking if i not in ANSWER_INTENTS and i != "nlu_fallback"]
    if msg.confidence >= CLEAR_ANSWER and not any(c >= CLARIFY_FLOOR for _, c in rest):
        return msg
    # a leftover the model itself barely considered is no reading ("dont have a spare charger": skip
    # 0.85, goodbye 0.07 would become "Bye!")
    considered = bool(rest) and rest[0][1] >= LEFTOVER_FLOOR
    total = sum(c for _, c in rest) or 1.0
    rest = [(i, c / total) for i, c in rest]
    if not rest or rest[0][1] < REINTERPRET_CONFIDENCE or not considered:
        return replace(msg, intent="nlu_fallback", confidence=0.0, ranking=tuple(rest))
    return replace(msg, intent=rest[0][0], confidence=rest[0][1], ranking=tuple(rest))


def top_intent(msg: Incoming) -> Optional[str]:
    """The intent, or under a low-confidence fallback the best guess behind it."""
    if msg.intent != "nlu_fallback":
        return msg.intent
    return next((i for i, _ in msg.ranking if i != "nlu_fallback"), None)


def without_unasked_commands(msg: Incoming) -> Incoming:
    """A "go back" or "start over" guessed from words that ask for neither is no command."""
    payload = is_payload(msg.text)
    if msg.intent == "go_back" and not payload and not asks_to_go_back(msg.text):
        msg = replace(msg, intent="nlu_fallback")  # "yep back to normal" takes nothing back
    if msg.intent == "start_over" and not payload and not asks_to_start_over(msg.text):
        msg = replace(msg, intent="nlu_fallback")  # "perfect, like new" drops nothing
    return msg


def clear_commands_only(msg: Incoming) -> Incoming:
    """A command that changes the diagnosis counts only when the model is clear about it, and clearer
    still beside a statement of fact."""
    if msg.intent in ("skip", "go_back", "start_over", "not_sure") and msg.confidence < COMMAND_CONFIDENCE:
        msg = replace(msg, intent="nlu_fallback")
    states_a_fact = any(e.get("entity") == "fact" for e in msg.entities)
    if msg.intent in ("go_back", "start_over") and states_a_fact and msg.confidence < CLEAR_COMMAND:
        msg = replace(msg, intent="nlu_fallback")  # "no, never reset it before" reports; it is no command
    return msg

"""Which question a button answers: each question instance gets a token, and its buttons carry it.

A button pressed after its question has changed (answered, undone, asked again after a repair) or a
button of another conversation is told apart from a button of the question open now.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import List, Optional

from bot.dialogue.conversation import Conversation
from bot.dialogue.messages import QUESTION_COMMANDS, Incoming, Reply, stamped


def _option_of(payload: str) -> Optional[str]:
    """The option value ("move|option") of a /choose payload, None for other payloads."""
    if not payload.startswith("/choose{"):
        return None
    try:
        value = json.loads(payload[len("/choose") :]).get("option")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _diagnosis_key(conv: Conversation) -> str:
    """Where the diagnosis stands: an answer, a skip or an undo changes it; a fact the customer
    volunteers for another question does not (the buttons of the open one still work)."""
    engine = conv.engine or {}
    observations = [o for o in engine.get("observations") or [] if isinstance(o, dict)]
    volunteered = [o for o in observations if o.get("before") or (o.get("kind") == "answer" and not o.get("asked"))]
    return json.dumps(
        [
            engine.get("symptoms"),
            len(observations) - len(volunteered),
            len(engine.get("history") or []),
            engine.get("pending"),
            engine.get("status"),
            sorted(engine.get("skipped") or {}),
        ],
        default=str,
    )


def _question_key(conv: Conversation) -> str:
    """What is open now: buttons shown at one key are stale once it changes, even when the same
    question is asked again later (the instance number counts the diagnosis' changes, so an undo
    back to an earlier state is a new instance all the same)."""
    asked = conv.asked if isinstance(conv.asked, dict) else {}
    n = asked.get("n")
    instance = n if isinstance(n, int) else 0
    if asked.get("diagnosis") != _diagnosis_key(conv):
        instance += 1
    handoff = conv.handoff or {}
    return json.dumps(
        [instance, conv.phase, _diagnosis_key(conv), conv.candidates, conv.offer, conv.queue, handoff.get("reference")],
        default=str,
    )


def _ask_token(salt: str, key: str) -> str:
    """The token of a question instance: the same instance always gets the same one (its buttons work
    again after a hand-back), another conversation cannot make it. Short: Telegram's callback data
    holds 64 bytes."""
    return hashlib.sha256(f"{salt}\x1f{key}".encode()).hexdigest()[:6]


def stamp(conv: Conversation, replies: List[Reply]) -> None:
    """Give the buttons of this turn the token of the open question instance (kept while the
    question stays the same, so a button shown twice for it works either time)."""
    options = []
    for reply in replies:
        for _, payload in reply.buttons:
            value = _option_of(payload)
            if value is not None:
                options.append(value)
    if not options:
        return
    key = _question_key(conv)
    asked = conv.asked if isinstance(conv.asked, dict) else {}
    given = asked.get("salt")
    salt = given if isinstance(given, str) else uuid.uuid4().hex
    token = _ask_token(salt, str(key))
    shown = [o for o in asked.get("options") or [] if isinstance(o, str)] if asked.get("key") == key else []
    conv.asked = {
        "salt": salt,
        "key": key,
        "options": list(dict.fromkeys(shown + options)),
        "n": json.loads(key)[0],
        "diagnosis": _diagnosis_key(conv),
    }
    for reply in replies:
        reply.buttons = [(title, stamped(payload, token)) for title, payload in reply.buttons]


def is_stale(conv: Conversation, msg: Incoming) -> bool:
    """A button that does not belong to the question now open. A button names its question
    instance; a button without one (typed, or from before tokens) is judged by whether it is one
    of the buttons now open, and where nothing is known, by the phase as before."""
    choice = msg.choice()
    asked = conv.asked if isinstance(conv.asked, dict) else {}
    key = _question_key(conv)
    salt = asked.get("salt")
    token = msg.ask() if choice is not None or msg.intent in QUESTION_COMMANDS else None
    if token is not None:
        # "Skip for now" of an earlier question must not skip this one; typed "/skip" still does
        return not (isinstance(salt, str) and token == _ask_token(salt, key))
    if choice is None:
        return False
    shown = asked.get("options") or []
    option = f"{choice[0]}|{choice[1]}"
    if asked.get("key") != key:
        return False
    if choice[0] == "meta":
        return option not in shown  # "meta" holds unrelated commands: "resume" is no "restart"
    # the open question's own kind: an option it does not have is refused by the question itself
    return choice[0] not in {o.partition("|")[0] for o in shown}

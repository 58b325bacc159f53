"""Rasa's bot messages (``{"text", "buttons": [{"title", "payload"}]}``) as Telegram messages."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Tuple

from bot.clients.telegram.splitting import MAX_MESSAGE_LENGTH, utf16_len

logger = logging.getLogger(__name__)

#: Telegram's limit on the buttons under one message.
MAX_BUTTONS = 100


@dataclass(frozen=True)
class Outgoing:
    """One Telegram message to send: plain text and (title, payload) buttons."""

    text: str
    buttons: Tuple[Tuple[str, str], ...] = ()


def _buttons_of(message: Dict[str, Any]) -> Tuple[Tuple[str, str], ...]:
    out = []
    for button in list(message.get("buttons") or []) + list(message.get("quick_replies") or []):
        if not isinstance(button, dict):
            continue
        payload = button.get("payload")
        title = str(button.get("title") or payload or "").strip()
        if payload is None or str(payload) == "" or not title:
            continue  # url buttons and the like: nothing to send back
        out.append((title, str(payload)))
    return tuple(out[:MAX_BUTTONS])


def _text_of(message: Dict[str, Any]) -> str:
    parts = [str(message.get("text") or "").strip()]
    for key in ("image", "attachment"):
        value = message.get(key)
        if isinstance(value, str) and value.strip():
            parts.append(value.strip())
        elif isinstance(value, dict) and isinstance(value.get("payload"), dict) and value["payload"].get("src"):
            parts.append(str(value["payload"]["src"]))
    return "\n".join(p for p in parts if p)


def outgoing_messages(
    messages: Iterable[Dict[str, Any]], merge: bool = True, limit: int = MAX_MESSAGE_LENGTH
) -> List[Outgoing]:
    """Rasa's bot messages as Telegram messages.

    Text, image and attachment URLs become the text; buttons and quick
    replies with a payload become buttons (``custom`` payloads are not shown).
    With ``merge``, consecutive text-only messages are joined with the message
    that follows them (blank line between) as long as the result fits in one
    Telegram message, so a turn reads as one message with its keyboard.
    Texts are not split here (see :func:`split_text`).
    """
    result: List[Outgoing] = []
    for message in messages:
        if not isinstance(message, dict):
            continue
        text, buttons = _text_of(message), _buttons_of(message)
        if not text and not buttons:
            if message.get("custom") is not None:
                logger.debug("custom message not shown on Telegram: %r", message.get("custom"))
            continue
        if merge and result and not result[-1].buttons and result[-1].text and text:
            joined = f"{result[-1].text}\n\n{text}"
            if utf16_len(joined) <= limit:
                result[-1] = Outgoing(joined, buttons)
                continue
        result.append(Outgoing(text, buttons))
    return result

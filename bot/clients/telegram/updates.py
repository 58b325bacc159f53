"""Update reading: what a Telegram update asks of the bot (:func:`interpret`), and the update
itself from Telegram's JSON even when python-telegram-bot cannot read all of it
(:func:`parse_update`)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

from telegram import Bot, CallbackQuery, Message, Update

from bot.clients.telegram.replies import ATTACHMENT_REPLIES, EDITED, HELP_TEXT, NOT_TEXT, welcome_text

logger = logging.getLogger(__name__)

START_OVER_PAYLOAD = "/start_over"
HUMAN_PAYLOAD = "/human_handoff"


@dataclass(frozen=True)
class Inbound:
    """What an update asks for.

    ``action``: ``rasa`` (send ``text`` to Rasa), ``button`` (a pressed
    button: ``text`` is its callback data), ``reply`` (answer ``text``
    without Rasa) or ``ignore``. ``kind`` says why, for logs and tests.
    """

    action: str
    kind: str
    chat_id: Optional[int] = None
    text: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    callback_query: Optional[CallbackQuery] = None
    file_id: Optional[str] = None  # a photo (the largest size), for an agent during a hand-off
    caption: Optional[str] = None

    @property
    def sender_id(self) -> str:
        return str(self.chat_id)


def _metadata(update: Update, message: Optional[Message]) -> Dict[str, Any]:
    user, chat = update.effective_user, update.effective_chat
    info: Dict[str, Any] = {"update_id": update.update_id}
    if chat is not None:
        info.update(chat_id=chat.id, chat_type=chat.type)
    if user is not None:
        info["user_id"] = user.id
        if user.full_name:
            info["name"] = user.full_name  # the ticket shows the customer's name
        if user.language_code:
            info["language_code"] = user.language_code
    if message is not None:
        info["message_id"] = message.message_id
    return {"telegram": info}


def parse_command(text: str, bot_username: Optional[str] = None) -> Optional[Tuple[str, str]]:
    """``/name@bot args`` -> (name, args); None if not a command, or one for another bot."""
    if not text.startswith("/"):
        return None
    head, _, args = text[1:].partition(" ")
    name, _, target = head.partition("@")
    if not re.fullmatch(r"[A-Za-z0-9_]{1,32}", name):
        return None  # e.g. /choose{"option": ...}: a typed payload, not a command
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    return name.lower(), args.strip()


def _command(name: str) -> Optional[Tuple[str, str]]:
    if name == "start":
        return "reply", welcome_text()
    if name == "help":
        return "reply", HELP_TEXT
    if name in ("restart", "startover", "start_over", "reset"):
        return "rasa", START_OVER_PAYLOAD
    if name in ("human", "agent", "support"):
        return "rasa", HUMAN_PAYLOAD
    return None


_SLIM_MESSAGE_KEYS = ("message_id", "date", "chat", "from", "text", "caption", "edit_date", "message_thread_id")


def _slim_message(message: Any) -> Optional[Dict[str, Any]]:
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    slim = {key: message[key] for key in _SLIM_MESSAGE_KEYS if key in message}
    rest = sorted(key for key in message if key not in _SLIM_MESSAGE_KEYS)
    if rest:
        slim["unreadable_content"] = rest  # lands in Message.api_kwargs
    return slim


def parse_update(data: Dict[str, Any], bot: Optional[Bot] = None) -> Optional[Update]:
    """``Update.de_json``, falling back to what the bot needs when PTB cannot read an update.

    PTB refuses whole updates over one field it does not expect (a newer or
    older Bot API than it was built for). Then the update keeps its id, and
    a message keeps its chat, sender, text and caption (the rest is named in
    ``api_kwargs["unreadable_content"]``), so the user still gets an answer.
    None if not even that can be read.
    """
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        return Update.de_json(data, bot)
    except Exception as error:
        logger.warning("Telegram update %s not readable by PTB (%s); reading the essentials", update_id, error)
    slim: Dict[str, Any] = {"update_id": update_id}
    for key in ("message", "edited_message"):
        message = _slim_message(data.get(key))
        if message is not None:
            slim[key] = message
            break
    query = data.get("callback_query")
    if isinstance(query, dict) and isinstance(query.get("from"), dict) and "id" in query:
        slim["callback_query"] = {k: query[k] for k in ("id", "from", "data", "chat_instance") if k in query}
        slim["callback_query"].setdefault("chat_instance", "")
        message = _slim_message(query.get("message"))
        if message is not None:
            slim["callback_query"]["message"] = message
    try:
        return Update.de_json(slim, bot)
    except Exception as error:
        logger.warning("Telegram update %s dropped: %s", update_id, error)
        return Update(update_id)


#: Updates that carry no message for the bot, in the order they are checked: the first one present names it.
_UPDATES_WITHOUT_A_MESSAGE = (
    "channel_post",
    "edited_channel_post",
    "inline_query",
    "chosen_inline_result",
    "shipping_query",
    "pre_checkout_query",
    "poll",
    "poll_answer",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
    "message_reaction",
    "message_reaction_count",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "purchased_paid_media",
)


def interpret(update: Update, bot_username: Optional[str] = None) -> Inbound:
    """Decide what to do with an update (pure: no network)."""
    if update.callback_query is not None:
        return _button_press(update, update.callback_query)

    if update.my_chat_member is not None:
        status = update.my_chat_member.new_chat_member.status
        kind = "blocked" if status in ("kicked", "left") else f"member:{status}"
        return Inbound("ignore", kind, update.my_chat_member.chat.id)

    if update.edited_message is not None:
        edited = update.edited_message
        if _from_bot_or_channel(edited):
            return Inbound("ignore", "edited")
        return Inbound("reply", "edited", edited.chat.id, EDITED)

    message = update.message
    if message is None:
        kind = next((name for name in _UPDATES_WITHOUT_A_MESSAGE if getattr(update, name, None) is not None), "other")
        return Inbound("ignore", kind)

    chat_id = message.chat.id
    if _from_bot_or_channel(message):
        return Inbound("ignore", "from_bot_or_channel", chat_id)
    metadata = _metadata(update, message)
    if message.text is not None:
        return _typed(message.text, chat_id, metadata, bot_username)
    return _not_text(message, chat_id, metadata)


def _button_press(update: Update, query: CallbackQuery) -> Inbound:
    message = query.message if isinstance(query.message, Message) else None
    chat = query.message.chat if query.message is not None else None
    chat_id = chat.id if chat is not None else query.from_user.id
    return Inbound("button", "button", chat_id, query.data, _metadata(update, message), query)


def _from_bot_or_channel(message: Message) -> bool:
    return message.chat.type == "channel" or (message.from_user is not None and message.from_user.is_bot)


def _typed(typed: str, chat_id: int, metadata: Dict[str, Any], bot_username: Optional[str]) -> Inbound:
    """A text message: a command the bot knows, else words for Rasa."""
    text = typed.strip()
    if not text:
        return Inbound("ignore", "empty", chat_id)
    command = parse_command(text, bot_username)
    if command is not None:
        known = _command(command[0])
        if known is not None:
            action, value = known
            return Inbound(action, f"command:{command[0]}", chat_id, value, metadata)
    return Inbound("rasa", "text", chat_id, text, metadata)


def _not_text(message: Message, chat_id: int, metadata: Dict[str, Any]) -> Inbound:
    """A message without text: its caption for Rasa, else what the bot says to what it cannot read."""
    caption = (message.caption or "").strip()
    photo = message.photo[-1].file_id if message.photo else None
    for name, reply in ATTACHMENT_REPLIES:
        if getattr(message, name, None):
            if caption and reply is NOT_TEXT:
                return Inbound("rasa", f"caption:{name}", chat_id, caption, metadata, file_id=photo, caption=caption)
            return Inbound("reply", name, chat_id, reply, metadata, file_id=photo, caption=caption or None)
    unknown = [
        key
        for key, value in (message.api_kwargs or {}).items()
        if key == "unreadable_content" or isinstance(value, (dict, list))
    ]
    if unknown and message.chat.type == "private":
        # content this version of PTB does not know (a newer Bot API; content comes as objects,
        # new flags as plain values), or could not read
        if caption:
            return Inbound("rasa", "caption:unknown", chat_id, caption, metadata)
        return Inbound("reply", "unknown", chat_id, NOT_TEXT, metadata)
    # service messages: members joining, pinned messages, chat photo changes, ...
    return Inbound("ignore", "service", chat_id)

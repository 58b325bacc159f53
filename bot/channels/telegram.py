"""Telegram for the assistant, on python-telegram-bot 22 (no Rasa import).

Shared by the two ways Telegram reaches the bot:

* webhook: the Rasa input channel ``channels/telegram_channel.py`` receives the
  updates and asks Rasa through its own output channel;
* polling: ``python -m bot.channels.telegram_polling`` long-polls ``getUpdates``
  and asks Rasa over its REST webhook.

Both hand every :class:`telegram.Update` to :class:`TelegramBridge`, which

* drops updates it has already seen (bounded LRU of ``update_id``);
* turns the update into a user message for Rasa (:func:`interpret`): text,
  a photo's caption, a pressed button's payload, the commands ``/restart``
  (``/start_over``) and ``/human`` (``/human_handoff``); answers ``/start``,
  ``/help`` and non-text messages (photos, stickers, voice, ...) itself; and
  ignores what needs no answer (the user blocking the bot, channel posts, ...);
* shows "typing..." while Rasa thinks;
* sends Rasa's bot messages (``{"text", "buttons": [{"title", "payload"}]}``)
  as plain text (no ``parse_mode``, so no markup can ever break), split on line
  boundaries at Telegram's 4096 characters, buttons as an inline keyboard under
  the last part. Payloads longer than ``callback_data``'s 64 bytes travel as
  short tokens (:class:`CallbackData`, per chat, bounded) and come back exact;
* once the customer answers, by a button or by typing, takes the keyboards
  of the questions they answered off their messages (``editMessageReplyMarkup``),
  and answers a tap on a button of an answered question
  (``answerCallbackQuery``) without telling Rasa, so an old question cannot be
  answered again.

Which updates were seen, the long payloads' tokens and which keyboards are
still open are kept by a :class:`TelegramState`: :class:`MemoryState` (this
process) by default, :class:`bot.channels.telegram_state.SQLState` when several
bot processes share one bot token.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
import secrets
import warnings
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

logger = logging.getLogger(__name__)

#: Telegram's limits (https://core.telegram.org/bots/api#sendmessage, #inlinekeyboardbutton).
MAX_MESSAGE_LENGTH = 4096
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
#: Updates the bot asks Telegram for (setWebhook / getUpdates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
#: Telegram accepts 1-256 of these characters as a webhook secret token.
SECRET_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
#: callback_data that starts with this is a token for a longer payload.
TOKEN_PREFIX = "~"

START_OVER_PAYLOAD = "/start_over"
HUMAN_PAYLOAD = "/human_handoff"

HELP_TEXT = (
    "I troubleshoot Kasa security cameras. Tell me in your own words what your camera is doing "
    '(for example: "offline since last week" or "the SD card isn\'t recognised"). I\'ll walk you '
    "through the checks of Kasa's troubleshooting guide, one question at a time, find the likely "
    "cause and tell you the fix, or pass your case to our support team with everything we found. "
    "Tap the buttons under my questions to answer, or type.\n"
    "\n"
    "/restart - start over\n"
    "/human - talk to a person\n"
    "/help - this message"
)
COMMANDS = (
    ("restart", "Start over"),
    ("human", "Talk to a person"),
    ("help", "What this bot does"),
)
FALLBACK_WELCOME = "Hi! I help with Kasa security cameras that misbehave. What is your camera doing?"
NOT_TEXT = (
    "I can only read text, so I can't look at pictures, videos, stickers or files. "
    'Please describe it in words, for example "the LED blinks orange" or '
    '"the app says the camera is offline".'
)
NOT_VOICE = "I can't listen to voice or audio messages. Please type what the camera is doing, in a sentence or two."
NOT_LOCATION = "Thanks, but I don't need a location. Please tell me in words what the camera is doing."
NOT_CONTACT = "Thanks, but I can't use contacts. To talk to a person from our support team, send /human."
EDITED = (
    "I only read new messages, not edits. If you changed something that matters, please send it again as a new message."
)
SORRY = "Sorry, something went wrong on my side. Please try again in a moment, or send /human to talk to a person."
BUTTON_EXPIRED = "This button has expired. Please type your answer, or /restart."
BUTTON_USED = "You already answered this one."
KEYBOARD_TEXT = "Please choose:"  # a keyboard needs a text to hang under

#: Non-text message contents, in the order they are checked, and what the bot says to them.
ATTACHMENT_REPLIES = (
    ("venue", NOT_LOCATION),
    ("location", NOT_LOCATION),
    ("contact", NOT_CONTACT),
    ("voice", NOT_VOICE),
    ("audio", NOT_VOICE),
    ("photo", NOT_TEXT),
    ("sticker", NOT_TEXT),
    ("animation", NOT_TEXT),
    ("video", NOT_TEXT),
    ("video_note", NOT_TEXT),
    ("document", NOT_TEXT),
    ("paid_media", NOT_TEXT),
    ("story", NOT_TEXT),
    ("poll", NOT_TEXT),
    ("dice", NOT_TEXT),
    ("game", NOT_TEXT),
    ("invoice", NOT_TEXT),
)


def welcome_text() -> str:
    """The bot's greeting (bot/dialogue/replies.yml) and a pointer to /help."""
    try:
        from bot.dialogue.messages import fixed_replies

        greeting = fixed_replies()["greet"]
    except Exception:  # the greeting is a nicety; /start must always answer
        greeting = FALLBACK_WELCOME
    return f"{greeting}\n\n(/help shows what I can do; /restart starts over; /human gets you a person.)"


# --------------------------------------------------------------------------- #
# Text
# --------------------------------------------------------------------------- #


def utf16_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units; an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """The largest i such that text[:i] is at most ``limit`` UTF-16 units."""
    units = 0
    for i, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return i
    return len(text)


_JOINERS = {"\u200d", "\ufe0f", "\ufe0e"}  # keep an emoji together with its joiner/variation selector


def _cut(line: str, limit: int) -> int:
    """Where to cut a line longer than ``limit``: the last space in the second half, else at the limit."""
    end = _prefix_within(line, limit)
    space = line.rfind(" ", 0, end + 1)
    if space > end // 2:
        return space
    while 1 < end < len(line) and line[end] in _JOINERS:
        end -= 1
    return max(end, 1)


def split_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> List[str]:
    """Split ``text`` into messages of at most ``limit`` characters (UTF-16 units).

    Cuts between lines where it can, packing as many whole lines into a
    message as fit; a single line longer than the limit is cut at its last
    space before the limit (or at the limit when there is none). Blank parts
    are dropped; '' gives [].
    """
    if limit < 2:
        raise ValueError("limit must be at least 2")
    text = (text or "").strip()
    if not text:
        return []
    if utf16_len(text) <= limit:
        return [text]
    chunks: List[str] = []
    current: Optional[str] = None
    for line in text.split("\n"):
        candidate = line if current is None else f"{current}\n{line}"
        if utf16_len(candidate) <= limit:
            current = candidate
            continue
        if current is not None:
            chunks.append(current)
            current = None
        while utf16_len(line) > limit:
            at = _cut(line, limit)
            chunks.append(line[:at])
            line = line[at:].lstrip(" ")
        current = line
    if current is not None:
        chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


# --------------------------------------------------------------------------- #
# Rasa bot messages -> Telegram messages
# --------------------------------------------------------------------------- #


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


# --------------------------------------------------------------------------- #
# Bounded stores
# --------------------------------------------------------------------------- #


class SeenUpdates:
    """The last ``size`` update ids (an LRU set): Telegram may deliver an update twice."""

    def __init__(self, size: int = 4096):
        self.size = size
        self._ids: "OrderedDict[Hashable, None]" = OrderedDict()

    def add(self, key: Hashable) -> bool:
        """Remember ``key``; False if it was already there (a duplicate)."""
        if key in self._ids:
            self._ids.move_to_end(key)
            return False
        self._ids[key] = None
        while len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, key: Hashable) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)


class CallbackData:
    """Button payloads as ``callback_data`` (at most 64 bytes), per chat.

    A payload that fits (and does not start with :data:`TOKEN_PREFIX`) is used
    as it is, so its button keeps working after a restart. A longer one gets a
    short random token, kept for the last ``per_chat`` payloads of each of the
    last ``chats`` chats; the same payload in the same chat reuses its token.
    """

    def __init__(self, per_chat: int = 64, chats: int = 10_000):
        self.per_chat = per_chat
        self.chats = chats
        self._by_chat: "OrderedDict[Hashable, OrderedDict[str, str]]" = OrderedDict()

    @staticmethod
    def fits(payload: str) -> bool:
        return 0 < len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA and not payload.startswith(TOKEN_PREFIX)

    def _tokens(self, chat_id: Hashable, create: bool) -> Optional["OrderedDict[str, str]"]:
        tokens = self._by_chat.get(chat_id)
        if tokens is None and create:
            tokens = self._by_chat[chat_id] = OrderedDict()
            while len(self._by_chat) > self.chats:
                self._by_chat.popitem(last=False)
        if tokens is not None:
            self._by_chat.move_to_end(chat_id)
        return tokens

    def data_for(self, chat_id: Hashable, payload: str) -> str:
        """The callback_data for ``payload`` in this chat."""
        if self.fits(payload):
            return payload
        tokens = self._tokens(chat_id, create=True)
        assert tokens is not None
        for token, known in tokens.items():
            if known == payload:
                tokens.move_to_end(token)
                return token
        token = TOKEN_PREFIX + secrets.token_urlsafe(9)
        while token in tokens:  # pragma: no cover - 72 random bits
            token = TOKEN_PREFIX + secrets.token_urlsafe(9)
        tokens[token] = payload
        while len(tokens) > self.per_chat:
            tokens.popitem(last=False)
        return token

    def payload_for(self, chat_id: Hashable, data: Optional[str]) -> Optional[str]:
        """The payload behind a pressed button's callback_data; None if unknown or expired."""
        if not data:
            return None
        if not data.startswith(TOKEN_PREFIX):
            return data
        tokens = self._tokens(chat_id, create=False)
        return tokens.get(data) if tokens is not None else None


class Keyboards:
    """Which of the bot's messages in a chat still carry a keyboard that may be answered.

    Questions are answered in order: once the customer answers (a button of
    message M, or typed text), every keyboard sent so far in that chat is
    closed, and so is any message up to the newest closed one (a keyboard sent
    before a restart of a process that kept this in memory is accepted once).
    """

    def __init__(self, chats: int = 10_000, per_chat: int = 32):
        self.chats = chats
        self.per_chat = per_chat
        self._open: "OrderedDict[Hashable, List[int]]" = OrderedDict()
        self._closed_upto: "OrderedDict[Hashable, int]" = OrderedDict()

    @staticmethod
    def _touch(table: "OrderedDict[Hashable, Any]", chat_id: Hashable, default: Any, limit: int) -> Any:
        if chat_id not in table:
            table[chat_id] = default
            while len(table) > limit:
                table.popitem(last=False)
        table.move_to_end(chat_id)
        return table[chat_id]

    def sent(self, chat_id: Hashable, message_id: int) -> None:
        ids = self._touch(self._open, chat_id, [], self.chats)
        ids.append(message_id)
        del ids[: -self.per_chat]

    def is_closed(self, chat_id: Hashable, message_id: int) -> bool:
        return message_id <= self._closed_upto.get(chat_id, 0)

    def close(self, chat_id: Hashable, pressed: Optional[int] = None) -> Optional[List[int]]:
        """The customer answered: close the chat's keyboards; the message ids to strip.

        ``pressed``: the message whose button was tapped; None (nothing closed) if it was already closed.
        """
        if pressed is not None and self.is_closed(chat_id, pressed):
            return None
        ids = self._open.pop(chat_id, [])
        if pressed is not None and pressed not in ids:
            ids.append(pressed)
        if ids:
            upto = self._touch(self._closed_upto, chat_id, 0, self.chats)
            self._closed_upto[chat_id] = max([upto, *ids])
        return sorted(ids)


class TelegramState:
    """What the bridge must remember between updates (async, so a database or Redis can serve it)."""

    async def first_sight(self, update_id: int) -> bool:
        """Remember an update; False if it was seen before (Telegram may deliver one twice)."""
        raise NotImplementedError

    async def data_for(self, chat_id: int, payload: str) -> str:
        """The ``callback_data`` for a button payload (a token when the payload is too long)."""
        raise NotImplementedError

    async def payload_for(self, chat_id: int, data: Optional[str]) -> Optional[str]:
        """The payload behind a pressed button's ``callback_data``; None if unknown or expired."""
        raise NotImplementedError

    async def keyboard_sent(self, chat_id: int, message_id: int) -> None:
        raise NotImplementedError

    async def keyboard_closed(self, chat_id: int, message_id: int) -> bool:
        """Whether the question of this message was answered already."""
        raise NotImplementedError

    async def close_keyboards(self, chat_id: int, pressed: Optional[int] = None) -> Optional[List[int]]:
        """See :meth:`Keyboards.close`; atomic, so of two taps on one keyboard only one wins."""
        raise NotImplementedError

    async def close(self) -> None:
        pass


class MemoryState(TelegramState):
    """This process's memory: enough for one bot process; lost on restart."""

    def __init__(
        self,
        seen: Optional[SeenUpdates] = None,
        callbacks: Optional[CallbackData] = None,
        keyboards: Optional[Keyboards] = None,
    ):
        self.seen = seen or SeenUpdates()
        self.callbacks = callbacks or CallbackData()
        self.keyboards = keyboards or Keyboards()

    async def first_sight(self, update_id: int) -> bool:
        return self.seen.add(update_id)

    async def data_for(self, chat_id: int, payload: str) -> str:
        return self.callbacks.data_for(chat_id, payload)

    async def payload_for(self, chat_id: int, data: Optional[str]) -> Optional[str]:
        return self.callbacks.payload_for(chat_id, data)

    async def keyboard_sent(self, chat_id: int, message_id: int) -> None:
        self.keyboards.sent(chat_id, message_id)

    async def keyboard_closed(self, chat_id: int, message_id: int) -> bool:
        return self.keyboards.is_closed(chat_id, message_id)

    async def close_keyboards(self, chat_id: int, pressed: Optional[int] = None) -> Optional[List[int]]:
        return self.keyboards.close(chat_id, pressed)


def keyboard(
    buttons: Sequence[Tuple[str, str]], chat_id: Hashable, store: CallbackData
) -> Optional[InlineKeyboardMarkup]:
    """One button per row (answers are sentences), callback data from ``store``."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(title, callback_data=store.data_for(chat_id, payload))]
        for title, payload in buttons[:MAX_BUTTONS]
    ]
    return InlineKeyboardMarkup(rows)


# --------------------------------------------------------------------------- #
# Updates -> what to do
# --------------------------------------------------------------------------- #


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


def interpret(update: Update, bot_username: Optional[str] = None) -> Inbound:
    """Decide what to do with an update (pure: no network)."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message if isinstance(query.message, Message) else None
        chat = query.message.chat if query.message is not None else None
        chat_id = chat.id if chat is not None else query.from_user.id
        return Inbound("button", "button", chat_id, query.data, _metadata(update, message), query)

    if update.my_chat_member is not None:
        status = update.my_chat_member.new_chat_member.status
        kind = "blocked" if status in ("kicked", "left") else f"member:{status}"
        return Inbound("ignore", kind, update.my_chat_member.chat.id)

    if update.edited_message is not None:
        edited = update.edited_message
        if edited.chat.type == "channel" or (edited.from_user is not None and edited.from_user.is_bot):
            return Inbound("ignore", "edited")
        return Inbound("reply", "edited", edited.chat.id, EDITED)

    message = update.message
    if message is None:
        # channel posts, inline queries, polls, reactions, payments, business messages, ...
        kind = next(
            (
                name
                for name in (
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
                if getattr(update, name, None) is not None
            ),
            "other",
        )
        return Inbound("ignore", kind)

    chat_id = message.chat.id
    if message.chat.type == "channel" or (message.from_user is not None and message.from_user.is_bot):
        return Inbound("ignore", "from_bot_or_channel", chat_id)
    metadata = _metadata(update, message)

    if message.text is not None:
        text = message.text.strip()
        if not text:
            return Inbound("ignore", "empty", chat_id)
        command = parse_command(text, bot_username)
        if command is not None:
            known = _command(command[0])
            if known is not None:
                action, value = known
                return Inbound(action, f"command:{command[0]}", chat_id, value, metadata)
        return Inbound("rasa", "text", chat_id, text, metadata)

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


# --------------------------------------------------------------------------- #
# The bridge
# --------------------------------------------------------------------------- #

#: (sender_id, text, metadata) -> Rasa's bot messages for that user message.
AskRasa = Callable[[str, str, Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]


class ChatUnavailable(Exception):
    """The chat cannot be written to (the user blocked the bot, the chat is gone)."""


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta later
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


def make_bot(token: str, base_url: Optional[str] = None) -> Bot:
    """A :class:`telegram.Bot`; ``base_url`` is a Bot API server root (``http://host:port``)
    for a local Bot API server or the tests' fake one, default api.telegram.org."""
    if not base_url:
        return Bot(token)
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        root = root[: -len("/bot")]
    return Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")


class TelegramBridge:
    """Handles Telegram updates: asks Rasa through ``ask`` and sends the answers with ``bot``."""

    def __init__(
        self,
        bot: Bot,
        ask: AskRasa,
        *,
        seen: Optional[SeenUpdates] = None,
        callbacks: Optional[CallbackData] = None,
        state: Optional[TelegramState] = None,
        typing_interval: float = 4.0,
        max_retry_after: float = 30.0,
        handoff: Any = None,
    ):
        self.bot = bot
        self.ask = ask
        # the live hand-off (bot.channels.telegram_handoff.TelegramHandoff), when the ticket database is there
        self.handoff = handoff
        self.state = state or MemoryState(seen, callbacks)
        self.typing_interval = typing_interval
        self.max_retry_after = max_retry_after
        self._init_lock: Optional[asyncio.Lock] = None
        self._initialized = False
        self._locks: Dict[Hashable, asyncio.Lock] = {}
        self._lock_users: Counter = Counter()

    # -- life cycle ------------------------------------------------------------------- #

    async def initialize(self) -> bool:
        """``getMe`` once (PTB's Bot.initialize); later calls return at once. False on failure."""
        if self._initialized:
            return True
        if self._init_lock is None:
            self._init_lock = asyncio.Lock()
        async with self._init_lock:
            if not self._initialized:
                try:
                    await self.bot.initialize()
                    self._initialized = True
                    logger.info("Telegram bot @%s ready", self.bot_username)
                except TelegramError as error:
                    logger.error("Telegram getMe failed (will retry on the next update): %s", error)
        return self._initialized

    @property
    def bot_username(self) -> Optional[str]:
        try:
            return self.bot.username
        except RuntimeError:  # not initialized
            return None

    async def set_commands(self) -> None:
        """The command menu shown in Telegram clients (best effort)."""
        try:
            await self.bot.set_my_commands(list(COMMANDS))
        except TelegramError as error:
            logger.warning("Telegram setMyCommands failed: %s", error)

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await self.bot.shutdown()
        with contextlib.suppress(Exception):
            await self.state.close()
        self._initialized = False

    # -- updates ---------------------------------------------------------------------- #

    async def handle_update(self, update: Update) -> str:
        """Handle one update; returns what it was (``duplicate``, ``text``, ``button``, ...).

        Never raises for a bad update or a failing Telegram/Rasa: those are logged.
        """
        if not await self.state.first_sight(update.update_id):
            logger.info("Telegram update %s already handled; ignored", update.update_id)
            return "duplicate"
        await self.initialize()
        support = getattr(self.handoff, "support", None)
        chat = update.effective_chat
        if support is not None and chat is not None and support.is_support_chat(chat.id):
            return "support:" + await support.handle_update(update)
        inbound = interpret(update, self.bot_username)
        if inbound.action == "ignore" or inbound.chat_id is None:
            logger.debug("Telegram update %s ignored (%s)", update.update_id, inbound.kind)
            return inbound.kind
        try:
            async with self._chat_lock(inbound.chat_id):
                await self._handle(inbound)
        except ChatUnavailable as error:
            logger.info("Telegram chat %s unavailable: %s", inbound.chat_id, error)
        return inbound.kind

    async def _handle(self, inbound: Inbound) -> None:
        assert inbound.chat_id is not None
        text = inbound.text
        if inbound.action == "button":
            text = await self._press(inbound)
            if text is None:
                return
        if inbound.file_id and self.handoff is not None:
            if await self.handoff.keep_photo(inbound.chat_id, inbound.file_id, inbound.caption):
                return  # a person has the case: the photo is theirs (the support group shows it)
        if inbound.action == "reply":
            await self.send(inbound.chat_id, [{"text": inbound.text}])
            return
        assert text is not None
        if inbound.action == "rasa":
            # typed: the customer answered (or left) the open questions; their buttons would
            # otherwise answer them a second time
            await self._strip_keyboards(inbound.chat_id, await self.state.close_keyboards(inbound.chat_id) or [])
        # while a person has the case the bot says nothing: no "typing..." that leads nowhere
        typing = self.handoff is None or not await self.handoff.active(inbound.chat_id)
        messages = await self._ask_while_typing(
            inbound.chat_id, inbound.sender_id, text, inbound.metadata, typing=typing
        )
        await self.send(inbound.chat_id, messages)

    async def deliver(self, conversation_id: str) -> None:
        """Ask the bot for the conversation's hand-off news (bot.handoff.outbox) and send it, in turn with
        the customer's own messages."""
        from bot.handoff.live import HANDOFF_EVENT_TEXT

        chat_id = int(conversation_id)
        async with self._chat_lock(chat_id):
            messages = list(await self.ask(str(chat_id), HANDOFF_EVENT_TEXT, {}) or [])
            await self.send(chat_id, messages)

    async def _press(self, inbound: Inbound) -> Optional[str]:
        """Answer the callback query and take the answered keyboards away; the payload, or None
        if the button belongs to a question already answered (or its token expired)."""
        query = inbound.callback_query
        assert query is not None and inbound.chat_id is not None
        chat_id = inbound.chat_id
        # an InaccessibleMessage (older than 48 h) still names the message
        message_id = query.message.message_id if query.message is not None else None
        payload = await self.state.payload_for(chat_id, query.data)
        if payload is None:
            closed = message_id is not None and await self.state.keyboard_closed(chat_id, message_id)
            await self._answer_query(query, BUTTON_USED if closed else BUTTON_EXPIRED)
            if not closed and message_id is not None:
                await self._strip_keyboards(chat_id, [message_id])
            return None
        stripped = await self.state.close_keyboards(chat_id, message_id)
        if stripped is None:
            # answered before (by a tap, possibly on another instance, or by typing): changes nothing
            await self._answer_query(query, BUTTON_USED)
            return None
        await self._answer_query(query, None)
        await self._strip_keyboards(chat_id, stripped)
        return payload

    async def _answer_query(self, query: CallbackQuery, notice: Optional[str]) -> None:
        await self._call("answerCallbackQuery", self.bot.answer_callback_query, query.id, text=notice)

    async def _strip_keyboards(self, chat_id: int, message_ids: Iterable[int]) -> None:
        for message_id in message_ids:
            await self._call(
                "editMessageReplyMarkup",
                self.bot.edit_message_reply_markup,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=None,
            )

    async def _ask_while_typing(
        self, chat_id: int, sender_id: str, text: str, metadata: Dict[str, Any], typing: bool = True
    ) -> List[Dict[str, Any]]:
        if not typing:
            try:
                return list(await self.ask(sender_id, text, metadata) or [])
            except Exception:
                logger.exception("asking Rasa failed for Telegram chat %s", chat_id)
                return [{"text": SORRY}]
        await self._typing(chat_id)
        keep_typing = asyncio.ensure_future(self._keep_typing(chat_id))
        try:
            return list(await self.ask(sender_id, text, metadata) or [])
        except Exception:
            logger.exception("asking Rasa failed for Telegram chat %s", chat_id)
            return [{"text": SORRY}]
        finally:
            keep_typing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await keep_typing

    async def _typing(self, chat_id: int) -> None:
        await self._call("sendChatAction", self.bot.send_chat_action, chat_id=chat_id, action=ChatAction.TYPING)

    async def _keep_typing(self, chat_id: int) -> None:
        """Telegram shows "typing..." for 5 s; repeat it while Rasa is busy."""
        while True:
            await asyncio.sleep(self.typing_interval)
            await self._typing(chat_id)

    # -- sending ---------------------------------------------------------------------- #

    async def send(self, chat_id: int, messages: Iterable[Dict[str, Any]]) -> List[Message]:
        """Send Rasa's bot messages to a chat; returns the Telegram messages sent.

        Raises :class:`ChatUnavailable` if the chat cannot be written to.
        """
        sent: List[Message] = []
        for out in outgoing_messages(messages):
            parts = split_text(out.text) or ([KEYBOARD_TEXT] if out.buttons else [])
            for i, part in enumerate(parts):
                markup = await self._keyboard(chat_id, out.buttons) if i == len(parts) - 1 else None
                result = await self._call(
                    "sendMessage", self.bot.send_message, chat_id=chat_id, text=part, reply_markup=markup
                )
                if isinstance(result, Message):
                    sent.append(result)
                    if markup is not None:
                        await self.state.keyboard_sent(chat_id, result.message_id)
        return sent

    async def _keyboard(self, chat_id: int, buttons: Sequence[Tuple[str, str]]) -> Optional[InlineKeyboardMarkup]:
        """As :func:`keyboard`, with the callback data from the state."""
        if not buttons:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(title, callback_data=await self.state.data_for(chat_id, payload))]
                for title, payload in buttons[:MAX_BUTTONS]
            ]
        )

    async def _call(self, name: str, method: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any) -> Any:
        """Call a Bot API method; retry after flood control, log other errors (None).

        Raises :class:`ChatUnavailable` on 403 (blocked, kicked, deactivated).
        """
        for attempt in range(3):
            try:
                return await method(*args, **kwargs)
            except RetryAfter as error:
                wait = _retry_seconds(error)
                if wait > self.max_retry_after or attempt == 2:
                    logger.warning("Telegram %s: flood control (%ss); giving up", name, wait)
                    return None
                await asyncio.sleep(wait)
            except Forbidden as error:
                raise ChatUnavailable(f"{name}: {error}") from error
            except BadRequest as error:
                if "not modified" not in str(error).lower():
                    logger.warning("Telegram %s refused: %s", name, error)
                return None
            except TelegramError as error:
                logger.warning("Telegram %s failed: %s", name, error)
                return None
        return None  # pragma: no cover

    @contextlib.asynccontextmanager
    async def _chat_lock(self, chat_id: Hashable) -> AsyncIterator[None]:
        """One update per chat at a time, in arrival order (asyncio.Lock is FIFO)."""
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._lock_users[chat_id] += 1
        try:
            async with lock:
                yield
        finally:
            self._lock_users[chat_id] -= 1
            if self._lock_users[chat_id] <= 0:
                del self._lock_users[chat_id]
                self._locks.pop(chat_id, None)

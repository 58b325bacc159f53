"""Conversation ids per channel, so that no channel can name another channel's conversation.

Rasa keys a conversation by the sender id its input channel hands over. Each channel used to
pass the customer's own identifier as it was (a Telegram chat id, a web chat session id, a REST
``sender``), so a REST request with ``"sender": "81234567"`` continued that Telegram chat. Here
every channel's ids live in their own namespace: the conversation id is ``<prefix>:<raw id>``.

The prefix of a channel is in :data:`PREFIXES`. A channel that adopts the scheme
(``rasa_channels/rest_channel.py`` does) calls :func:`conversation_id` on the way in and
:func:`raw_id` in its output channel, where it needs the customer's own id back (e.g. the chat id
to send a Telegram message to). Adopting it in another channel is two small changes:

1. where the channel builds ``UserMessage(text, output, sender_id, ...)``, pass
   ``conversation_id(<channel name>, sender_id)`` instead of ``sender_id``;
2. where its output channel sends to ``recipient_id``, send to ``raw_id(recipient_id)``
   (for socket.io: emit to the room ``raw_id(recipient_id)``).

and, so that existing conversations continue, the channel's entry in :data:`LEGACY_BARE` goes
(see :func:`is_foreign`). Until a channel adopts it, its ids stay bare; REST ids always carry
``rest:``, so a REST request can never reach a bare Telegram or web chat conversation.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Optional, Tuple

SEPARATOR = ":"
#: Channel name (InputChannel.name()) -> prefix of its conversation ids.
PREFIXES = {
    "rest": "rest",
    "telegram": "tg",
    "socketio": "web",
}
#: Channels whose conversation ids are still bare (not adopted yet): their raw id is the
#: conversation id. Listed so that tools can tell which namespace a bare id belongs to.
LEGACY_BARE = frozenset({"telegram", "socketio"})

MAX_RAW_ID = 128
#: What a raw id may contain: printable, no separators that logs or SQL LIKE patterns trip on.
RAW_ID = re.compile(r"^[A-Za-z0-9_.@+=-]{1,%d}$" % MAX_RAW_ID)


class BadSenderId(ValueError):
    """A sender id that no conversation can have."""


def check_raw_id(raw: object) -> str:
    """The raw id if it is acceptable; :class:`BadSenderId` with the reason otherwise."""
    if not isinstance(raw, str):
        raise BadSenderId("sender must be a string")
    if not raw:
        raise BadSenderId("sender must not be empty")
    if len(raw) > MAX_RAW_ID:
        raise BadSenderId(f"sender is longer than {MAX_RAW_ID} characters")
    if not RAW_ID.match(raw):
        bad = next((c for c in raw if not RAW_ID.match(c)), "")
        name = unicodedata.name(bad, f"U+{ord(bad):04X}") if bad else "?"
        raise BadSenderId(f"sender may only contain letters, digits and _ . @ + = - (not {name})")
    return raw


def conversation_id(channel: str, raw: str) -> str:
    """The conversation id of ``raw`` on ``channel`` (``rest`` + ``alice`` -> ``rest:alice``)."""
    prefix = PREFIXES.get(channel)
    if prefix is None:
        raise BadSenderId(f"unknown channel {channel!r}")
    check_raw_id(raw)
    if channel in LEGACY_BARE:
        return raw
    return f"{prefix}{SEPARATOR}{raw}"


def split(conversation: str) -> Tuple[Optional[str], str]:
    """(channel, raw id) of a conversation id; (None, id) for a bare id."""
    prefix, sep, raw = conversation.partition(SEPARATOR)
    if sep:
        for channel, known in PREFIXES.items():
            if known == prefix and channel not in LEGACY_BARE:
                return channel, raw
    return None, conversation


def raw_id(conversation: str) -> str:
    """The customer's own id inside a conversation id (what the channel sends replies to)."""
    return split(conversation)[1]


def is_foreign(channel: str, conversation: str) -> bool:
    """Whether ``conversation`` belongs to a channel other than ``channel``."""
    owner, _ = split(conversation)
    if owner is not None:
        return owner != channel
    return channel not in LEGACY_BARE

"""Callback tokens: button payloads as Telegram ``callback_data`` (64 bytes at most), and the
inline keyboard that carries them."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from typing import Hashable, Optional, Sequence, Tuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.clients.telegram.outgoing import MAX_BUTTONS

#: Telegram's limit (https://core.telegram.org/bots/api#inlinekeyboardbutton).
MAX_CALLBACK_DATA = 64
#: callback_data that starts with this is a token for a longer payload.
TOKEN_PREFIX = "~"


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

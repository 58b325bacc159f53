"""What the bridge remembers between updates (:class:`TelegramState`), and :class:`MemoryState`,
which keeps it in this process (:class:`bot.clients.telegram_state.SQLState` keeps it in a
database, for several bot processes on one bot token)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Hashable, List, Optional

from bot.clients.telegram.callbacks import CallbackData


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

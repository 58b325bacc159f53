"""The live hand-off on the customers' Telegram bot (webhook channel and polling alike).

* what agents do reaches the customer: the chat is registered with the process's outbox worker
  (bot.handoff.outbox), which asks the bot for the news and sends it, in turn with the customer's
  own messages;
* a photo the customer sends while a person has the case is kept for that person (by file id);
* no "typing..." while a person has the case (the bot stays quiet then);
* the support group (bot.handoff.support_group) when ``TELEGRAM_SUPPORT_CHAT_ID`` is set: this bot
  is in the group, so updates from there are the agents'.

Everything is optional: without the ticket database the bridge works as before.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

logger = logging.getLogger(__name__)

ACTIVE = ("open", "claimed")


class TelegramHandoff:
    def __init__(self, store: Any, support: Any = None):
        self.store = store
        self.support = support

    @classmethod
    def create(cls, bot: Any, support_chat_id: Optional[str] = None) -> Optional["TelegramHandoff"]:
        """With the ticket database (HANDOFF_DB_URL), and the support group if a chat id is given or
        TELEGRAM_SUPPORT_CHAT_ID is set; None when the database cannot be opened."""
        try:
            from bot.handoff.store import TicketStore
            from bot.handoff.support_group import SupportGroup
            from bot.handoff.support_group import support_chat_id as configured

            store = TicketStore()
        except Exception:
            logger.exception("Telegram: the ticket database cannot be opened; no live hand-off")
            return None
        chat = support_chat_id or configured()
        support = SupportGroup(bot, store, chat) if chat else None
        return cls(store, support)

    async def _db(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call = getattr(self.store, method)
        return await asyncio.get_running_loop().run_in_executor(None, lambda: call(*args, **kwargs))

    async def active(self, chat_id: int) -> Optional[str]:
        """The reference of the chat's open or claimed ticket, if any."""
        try:
            ticket = await self._db("open_for", str(chat_id))
        except Exception:
            logger.exception("Telegram: cannot look up the hand-off of %s", chat_id)
            return None
        return ticket.reference if ticket is not None and ticket.status in ACTIVE else None

    async def keep_photo(self, chat_id: int, file_id: str, caption: Optional[str]) -> bool:
        """Keep a photo for the agent when a person has the case; False otherwise."""
        reference = await self.active(chat_id)
        if reference is None:
            return False
        try:
            await self._db("add_customer_message", reference, caption or "", kind="photo", file_id=file_id)
        except Exception:
            logger.exception("Telegram: could not keep a photo for %s", reference)
            return False
        return True

    def start(self, bridge: Any) -> None:
        """Deliver hand-off news through ``bridge`` and run the support group (inside a running loop)."""
        from bot.handoff.outbox import process_worker

        worker = process_worker(lambda: self.store)
        if worker is not None:
            worker.register("telegram", bridge.deliver)
        if self.support is not None:
            self.support.start()

    async def stop(self) -> None:
        if self.support is not None:
            await self.support.stop()

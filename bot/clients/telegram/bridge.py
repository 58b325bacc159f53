"""The bridge between python-telegram-bot 22 and Rasa: handles each Telegram update, asks Rasa
(through the webhook channel or over REST) and sends its answers back."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections import Counter
from typing import Any, AsyncIterator, Awaitable, Callable, Dict, Hashable, Iterable, List, Optional, Sequence, Tuple

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.clients.telegram.bridge_state import MemoryState, SeenUpdates, TelegramState
from bot.clients.telegram.callbacks import CallbackData
from bot.clients.telegram.outgoing import MAX_BUTTONS, outgoing_messages
from bot.clients.telegram.replies import BUTTON_EXPIRED, BUTTON_USED, COMMANDS, KEYBOARD_TEXT, SORRY
from bot.clients.telegram.splitting import split_text
from bot.clients.telegram.updates import Inbound, interpret

logger = logging.getLogger(__name__)

#: (sender_id, text, metadata) -> Rasa's bot messages for that user message.
AskRasa = Callable[[str, str, Dict[str, Any]], Awaitable[List[Dict[str, Any]]]]


class ChatUnavailable(Exception):
    """The chat cannot be written to (the user blocked the bot, the chat is gone)."""


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns that retry_after becomes a timedelta later
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


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
        # the live hand-off (bot.clients.telegram_handoff.TelegramHandoff), when the ticket database is there
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

"""The support group on Telegram: where agents take cases and talk with customers.

Each ticket gets a forum topic in the group (``createForumTopic``), or, in a group without topics,
a message that starts a reply thread. Its first message is the summary with the buttons **Claim**,
**Hand back** and **Resolve**. Then, in the topic (or in reply to any message of the thread):

* what an agent writes goes to the customer, on the customer's channel, with the agent's name; the
  first to write claims an open case, and nobody else can write for a claimed case;
* ``/claim``, ``/handback``, ``/resolve [closing note]`` do what the buttons do (the note reaches the
  customer);
* what the customer writes appears there (text, and photos sent on by file id); so do messages
  agents sent through the CLI or the API, and every change of status.

Before a case is claimed the topic is an unassigned place: e-mail addresses and phone numbers are
redacted there. Once claimed, the topic is the assigned agent's view: the contact details the
customer typed are shown (passwords never are).

It runs where the bot that is in the group runs:

* inside the Telegram channel (webhook: the Rasa server; polling: ``bot.clients.telegram_polling``)
  when ``TELEGRAM_SUPPORT_CHAT_ID`` is set: the customers' bot is also the group's bot, so customers'
  photos can be sent on by file id;
* on its own, ``python -m bot.handoff.support_group``, for a shop whose customers use only the web
  chat (or a separate support bot, ``TELEGRAM_SUPPORT_BOT_TOKEN``; photos from Telegram customers
  then come as a note, since a file id only works for the bot that received it).

Environment: ``TELEGRAM_SUPPORT_CHAT_ID`` (the group, e.g. -1001234567890), the token
(``TELEGRAM_SUPPORT_BOT_TOKEN``, else ``TELEGRAM_TOKEN``), ``TELEGRAM_BASE_URL`` (a local Bot API
server), ``HANDOFF_DB_URL``, ``HANDOFF_SUPPORT_POLL`` (seconds between looks at the database, 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from typing import Any, Awaitable, Callable, Dict, List, Optional

from telegram import Bot, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import settings
from bot.handoff.redact import contact_details, redact
from bot.handoff.render import summary_text
from bot.handoff.store import (
    CLAIMED,
    HandoffError,
    Ticket,
    TicketNotFound,
    TicketStateError,
    TicketStore,
)
from bot.handoff.tasks import cancel
from bot.handoff.ticket_wording import CHANNEL_LABELS

logger = logging.getLogger(__name__)

CHAT_ENV = "TELEGRAM_SUPPORT_CHAT_ID"
TOKEN_ENVS = ("TELEGRAM_SUPPORT_BOT_TOKEN", "TELEGRAM_TOKEN")
POLL_ENV = "HANDOFF_SUPPORT_POLL"
CALLBACK_PREFIX = "hs:"
MAX_TEXT = 4096
MAX_BACKOFF = 60.0
LEASE_S = 30.0  # a server that stopped hands the group to another one after this
TOPIC_NAME_MAX = 128
HELP = (
    "Write here to answer the customer (the first to write takes the case). "
    "/claim takes it, /handback gives it back to the bot, /resolve <closing note> closes it."
)
STATUS_WORDS = {
    "claimed": "{agent} has the case.",
    "handed_back": "Handed back to the bot by {agent}; the diagnosis resumes with the customer.",
    "resolved": "Resolved by {agent}.",
    "cancelled": "The customer cancelled: they are back with the bot.",
    "open": "Open again.",
}


def support_chat_id() -> Optional[str]:
    return settings.support_chat_id()


def _agent_name(user: Any) -> str:
    name = " ".join(str(getattr(user, "full_name", "") or "").split())
    return name or (f"@{user.username}" if getattr(user, "username", None) else f"agent {user.id}")


def _agent_id(user: Any) -> str:
    return f"tg:{user.id}"


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def buttons(reference: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("Claim", callback_data=f"{CALLBACK_PREFIX}claim:{reference}"),
                InlineKeyboardButton("Hand back", callback_data=f"{CALLBACK_PREFIX}back:{reference}"),
                InlineKeyboardButton("Resolve", callback_data=f"{CALLBACK_PREFIX}resolve:{reference}"),
            ]
        ]
    )


def topic_name(ticket: Ticket) -> str:
    what = ticket.camera_model or (ticket.symptoms[0].replace("Kasa camera ", "") if ticket.symptoms else "")
    who = ticket.customer_name or CHANNEL_LABELS.get(ticket.channel or "", ticket.channel or "customer")
    name = " · ".join(p for p in (ticket.reference, redact(who) or "", what) if p)
    return name[:TOPIC_NAME_MAX]


class SupportGroup:
    """One support group: posts tickets, relays messages, takes agents' updates."""

    def __init__(self, bot: Bot, store: TicketStore, chat_id: Any, *, relay_photos: bool = True):
        self.bot = bot
        self.store = store
        self.chat_id = int(chat_id) if str(chat_id).lstrip("-").isdigit() else chat_id
        self.key = str(chat_id)
        self.relay_photos = relay_photos  # False: a separate bot, which cannot use the customers' file ids
        self.forum: Optional[bool] = None  # learnt from the first createForumTopic
        self._sync_lock = asyncio.Lock()
        self._task: Optional["asyncio.Task[None]"] = None
        # with several servers (each with the channel) one posts to the group at a time
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # -- plumbing ----------------------------------------------------------------------------
    async def _db(self, method: str, *args: Any, **kwargs: Any) -> Any:
        call = getattr(self.store, method)
        return await asyncio.get_running_loop().run_in_executor(None, lambda: call(*args, **kwargs))

    async def _call(self, api: str, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        for attempt in range(3):
            try:
                return await method(**kwargs)
            except RetryAfter as error:
                wait = error.retry_after
                seconds = wait.total_seconds() if hasattr(wait, "total_seconds") else float(wait)
                if attempt == 2 or seconds > 30:
                    raise
                await asyncio.sleep(seconds)
        return None  # pragma: no cover

    def is_support_chat(self, chat_id: Any) -> bool:
        return chat_id is not None and str(chat_id) == self.key

    async def post(self, ticket: Ticket, text: str, **kwargs: Any) -> Optional[Message]:
        """A message in the ticket's topic (or thread), remembered so that replies to it find the ticket."""
        where: Dict[str, Any] = {}
        if ticket.support_thread_id:
            where["message_thread_id"] = ticket.support_thread_id
        elif ticket.support_message_id:
            where["reply_to_message_id"] = ticket.support_message_id
        message = await self._call(
            "sendMessage", self.bot.send_message, chat_id=self.chat_id, text=_clip(text), **where, **kwargs
        )
        if isinstance(message, Message):
            await self._db("set_support_post", ticket.reference, self.key, message.message_id)
        return message

    # -- database -> group ------------------------------------------------------------------
    def start(self, every: Optional[float] = None) -> None:
        every = every if every is not None else settings.support_poll_s()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run(max(0.1, every)))

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def _run(self, every: float) -> None:
        delay = every
        while True:
            try:
                await self.sync()
                delay = every
            except asyncio.CancelledError:
                raise
            except Exception as error:  # Telegram or the database away (or the bot not in the group): back off
                delay = min(delay * 2, MAX_BACKOFF)
                logger.warning("support group: %s: %s (next try in %.0f s)", type(error).__name__, error, delay)
            await asyncio.sleep(delay)

    async def sync(self) -> None:
        """Post new tickets, the messages not shown yet, and status changes (if this process holds the
        group's lease; another server may)."""
        async with self._sync_lock:
            if not await self._db("hold_lease", f"support-group:{self.key}", self.holder, LEASE_S):
                return
            for ticket in await self._db("unposted"):
                await self.open_topic(ticket)
            for ticket in await self._db("status_unannounced", self.key):
                await self.announce(ticket)
            relayed: List[int] = []
            try:
                for ticket, message in await self._db("unrelayed", self.key):
                    await self.relay(ticket, message)
                    relayed.append(message["id"])
            finally:
                await self._db("mark_relayed", relayed)

    async def open_topic(self, ticket: Ticket) -> None:
        thread_id = None
        if self.forum is not False:
            try:
                topic = await self._call(
                    "createForumTopic", self.bot.create_forum_topic, chat_id=self.chat_id, name=topic_name(ticket)
                )
                thread_id = topic.message_thread_id
                self.forum = True
            except BadRequest as error:  # not a forum (or no right to manage topics): reply threads
                logger.info("support group %s has no topics (%s); using reply threads", self.key, error)
                self.forum = False
        header = summary_text(ticket)
        if ticket.customer_name:
            header += f"\nCustomer: {redact(ticket.customer_name)}"
        message = await self._call(
            "sendMessage",
            self.bot.send_message,
            chat_id=self.chat_id,
            text=_clip(f"{header}\n\n{HELP}"),
            message_thread_id=thread_id,
            reply_markup=buttons(ticket.reference),
        )
        if isinstance(message, Message):
            await self._db(
                "set_support_post", ticket.reference, self.key, message.message_id, thread_id=thread_id, root=True
            )
            logger.info("support group: ticket %s posted (topic %s)", ticket.reference, thread_id)

    async def announce(self, ticket: Ticket) -> None:
        words = STATUS_WORDS.get(ticket.status, f"Status: {ticket.status}.")
        text = words.format(agent=ticket.claimed_by or "an agent")
        if ticket.status == "resolved" and ticket.resolution_note:
            text += f" Closing note to the customer: {redact(ticket.resolution_note, contacts=False)}"
        if ticket.status == CLAIMED:
            found = contact_details(m.get("text") for m in ticket.messages if m.get("who") == "customer")
            found += [
                c
                for c in contact_details(e.get("text") for e in ticket.transcript if e.get("who") == "customer")
                if c not in found
            ]
            if found:
                text += "\nContact details the customer typed: " + ", ".join(found)
        await self.post(ticket, text)
        await self._db("set_support_status", ticket.reference, ticket.status)

    async def relay(self, ticket: Ticket, message: Dict[str, Any]) -> None:
        assigned = ticket.status == CLAIMED  # the topic is the assigned agent's view from the claim on
        text = redact(message.get("text") or "", contacts=not assigned) or ""
        if message.get("who") == "agent":
            await self.post(ticket, f"{message.get('agent') or 'Agent'} (to the customer, not from here): {text}")
            return
        who = redact(ticket.customer_name) if ticket.customer_name else "Customer"
        if message.get("kind") == "photo" and message.get("file_id"):
            if self.relay_photos:
                sent = await self._send_photo(ticket, message["file_id"], f"{who}: {text}" if text else str(who))
                if sent:
                    return
            await self.post(ticket, f"{who} sent a photo{': ' + text if text else ''} (it cannot be shown here).")
            return
        if message.get("kind") == "contact":
            shown = text if assigned else "(shown to the agent who claims the case)"
            await self.post(ticket, f"{who} left a contact for a follow-up: {shown}")
            return
        await self.post(ticket, f"{who}: {text}")

    async def _send_photo(self, ticket: Ticket, file_id: str, caption: str) -> bool:
        where: Dict[str, Any] = {}
        if ticket.support_thread_id:
            where["message_thread_id"] = ticket.support_thread_id
        elif ticket.support_message_id:
            where["reply_to_message_id"] = ticket.support_message_id
        try:
            sent = await self._call(
                "sendPhoto",
                self.bot.send_photo,
                chat_id=self.chat_id,
                photo=file_id,
                caption=_clip(caption, 1024),
                **where,
            )
        except BadRequest as error:
            logger.warning("support group: photo for %s not sent by file id: %s", ticket.reference, error)
            return False
        if isinstance(sent, Message):
            await self._db("set_support_post", ticket.reference, self.key, sent.message_id)
        return True

    # -- group -> customers -----------------------------------------------------------------
    async def handle_update(self, update: Update) -> str:
        """An update from the support group; never raises for bad input (the agent is told)."""
        try:
            if update.callback_query is not None:
                return await self._button(update.callback_query)
            message = update.message
            if message is None or message.from_user is None or message.from_user.is_bot:
                return "ignored"
            return await self._message(message)
        except (Forbidden, TelegramError) as error:
            logger.warning("support group update %s: %s", update.update_id, error)
            return "error"

    async def _ticket_of(self, message: Message) -> Optional[Ticket]:
        thread = message.message_thread_id if message.is_topic_message else None
        reply = message.reply_to_message.message_id if message.reply_to_message is not None else None
        if thread is None and reply is None:
            return None
        return await self._db("ticket_in_support", self.key, thread, reply)

    async def _answer(self, message: Message, text: str) -> None:
        kwargs: Dict[str, Any] = {"chat_id": message.chat_id, "text": _clip(text)}
        if message.is_topic_message and message.message_thread_id:
            kwargs["message_thread_id"] = message.message_thread_id
        kwargs["reply_to_message_id"] = message.message_id
        with contextlib.suppress(BadRequest):
            await self._call("sendMessage", self.bot.send_message, **kwargs)

    async def _message(self, message: Message) -> str:
        ticket = await self._ticket_of(message)
        text = (message.text or message.caption or "").strip()
        if ticket is None:
            if text.startswith("/"):
                await self._answer(message, "Use the commands in a case's topic (or in reply to its messages).")
                return "no_ticket"
            return "chatter"  # the group's own talk
        user = message.from_user
        agent, agent_id = _agent_name(user), _agent_id(user)
        if text.startswith("/"):
            command, _, rest = text[1:].partition(" ")
            command = command.split("@", 1)[0].lower()
            return await self._act(ticket.reference, command, rest.strip(), agent, agent_id, reply=message)
        if message.photo or message.document or message.sticker or message.voice or message.video:
            await self._answer(message, "Only text reaches the customer for now; please say it in words.")
            return "not_text"
        if not text:
            return "empty"
        try:
            await self._db("add_agent_message", ticket.reference, agent, text, agent_id=agent_id, relayed=True)
        except TicketStateError as error:
            await self._answer(message, f"Not sent to the customer: {_refusal(error)}")
            return "refused"
        return "agent_message"

    async def _button(self, query: CallbackQuery) -> str:
        data = query.data or ""
        if not data.startswith(CALLBACK_PREFIX) or ":" not in data[len(CALLBACK_PREFIX) :]:
            with contextlib.suppress(TelegramError):
                await self.bot.answer_callback_query(query.id, text="This button is not for me.")
            return "ignored"
        action, _, reference = data[len(CALLBACK_PREFIX) :].partition(":")
        command = {"claim": "claim", "back": "handback", "resolve": "resolve"}.get(action, action)
        user = query.from_user
        kind, answer = await self._do(reference, command, "", _agent_name(user), _agent_id(user))
        with contextlib.suppress(TelegramError):
            await self.bot.answer_callback_query(query.id, text=_clip(answer, 200), show_alert=kind == "refused")
        await self.sync()  # the topic shows the change at once
        return kind

    async def _act(self, reference: str, command: str, rest: str, agent: str, agent_id: str, reply: Message) -> str:
        kind, answer = await self._do(reference, command, rest, agent, agent_id)
        if kind in ("refused", "help", "unknown"):
            await self._answer(reply, answer)
        await self.sync()
        return kind

    async def _do(self, reference: str, command: str, rest: str, agent: str, agent_id: str) -> tuple:
        """(what happened, the words for the agent)."""
        try:
            if command in ("claim", "take"):
                await self._db("claim", reference, agent, agent_id=agent_id)
                return "claim", f"You have case {reference}; the customer is told."
            if command in ("handback", "hand_back", "back"):
                await self._db("hand_back", reference, agent_id=agent_id)
                return "handback", f"Case {reference} is back with the bot."
            if command in ("resolve", "close", "done"):
                await self._db("resolve", reference, note=rest or None, agent_id=agent_id)
                return "resolve", f"Case {reference} is resolved; the customer is told."
            if command in ("help", "start"):
                return "help", HELP
            return "unknown", f"Unknown command /{command}. {HELP}"
        except (TicketStateError, TicketNotFound) as error:
            return "refused", f"Not done: {_refusal(error)}"
        except (HandoffError, ValueError) as error:
            return "refused", f"Not done: {error}"


def _refusal(error: Exception) -> str:
    if isinstance(error, TicketNotFound):
        return f"there is no case {error.reference}."
    if isinstance(error, TicketStateError):
        text = str(error)
        return text[:1].upper() + text[1:] + "."
    return str(error)


# --------------------------------------------------------------------------------------------
# On its own: python -m bot.handoff.support_group
# --------------------------------------------------------------------------------------------


async def _serve(token: str, chat_id: str, base_url: Optional[str], stopping: asyncio.Event) -> None:
    from bot.clients.telegram.bot_api import make_bot
    from bot.clients.telegram.updates import parse_update

    bot = make_bot(token, base_url)
    await bot.initialize()
    await bot.delete_webhook(drop_pending_updates=False)
    same_bot = settings.telegram_token() == token
    group = SupportGroup(bot, TicketStore(), chat_id, relay_photos=same_bot)
    group.start()
    offset = None
    logger.info("support group %s served by @%s", chat_id, bot.username)
    try:
        while not stopping.is_set():
            params = {"timeout": 20, "allowed_updates": ["message", "callback_query"]}
            if offset is not None:
                params["offset"] = offset
            try:
                raw = await bot._post("getUpdates", params, read_timeout=30)
            except TelegramError as error:
                logger.warning("support group getUpdates: %s", error)
                await asyncio.sleep(2)
                continue
            for item in raw or []:
                offset = max(offset or 0, int(item.get("update_id", 0)) + 1)
                update = parse_update(item, bot)
                chat = update.effective_chat if update is not None else None
                if update is not None and chat is not None and group.is_support_chat(chat.id):
                    await group.handle_update(update)
    finally:
        await group.stop()
        await bot.shutdown()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.handoff.support_group", description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default=settings.telegram_base_url())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the token is in the URLs
    token = settings.support_bot_token() or ""
    chat = support_chat_id()
    if not token or not chat:
        print(f"support_group: set {CHAT_ENV} and {TOKEN_ENVS[0]} (or {TOKEN_ENVS[1]})", file=sys.stderr)
        return 2
    stopping = asyncio.Event()

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stopping.set)
        await _serve(token, chat, args.base_url, stopping)

    asyncio.run(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())

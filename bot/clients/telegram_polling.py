"""Telegram without a public HTTPS address: long-poll getUpdates, ask Rasa over REST.

    TELEGRAM_TOKEN=123:abc python -m bot.clients.telegram_polling [--rasa-url URL] [--base-url URL]

Each update goes through the same :class:`bot.clients.telegram.bridge.TelegramBridge`
as the webhook channel (commands, buttons, non-text messages, duplicates,
typing), except that Rasa is asked through its REST channel
(``POST <rasa-url>/webhooks/rest/webhook`` with the chat id as sender), so the
Rasa server needs nothing but ``rest:`` in its credentials. Conversations are
the same as over the webhook (the sender id is the chat id), so switching
between the two modes keeps them.

On start the webhook is deleted (Telegram refuses getUpdates while one is set;
pending updates are kept). Updates of different chats are handled side by
side, those of one chat in order. Ctrl-C / SIGTERM stops after the updates in
hand are answered. scripts/run starts this when TELEGRAM_TOKEN is set and
TELEGRAM_WEBHOOK_URL is not.

The live hand-off runs here too (bot.clients.telegram_handoff): agents'
messages are delivered to Telegram customers, and with
TELEGRAM_SUPPORT_CHAT_ID the support group is served by this process (the bot
must be a member of the group, with topics: an administrator who may manage
topics).

Environment: TELEGRAM_TOKEN (required), HANDOFF_DB_URL, TELEGRAM_SUPPORT_CHAT_ID, RASA_URL (default
http://localhost:$RASA_PORT, port 5005), TELEGRAM_BASE_URL (a local Bot API
server; default api.telegram.org), TELEGRAM_POLL_TIMEOUT (seconds, default 30).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any, Dict, List, Optional, Set

import httpx
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken

from bot import settings
from bot.clients.telegram.bot_api import ALLOWED_UPDATES, make_bot
from bot.clients.telegram.bridge import TelegramBridge
from bot.clients.telegram.updates import parse_update

logger = logging.getLogger(__name__)

REST_PATH = "/webhooks/rest/webhook"
RASA_TIMEOUT = 120.0  # seconds for one turn (the action server included)
MAX_BACKOFF = 30.0


class RasaRest:
    """Asks the Rasa server over its REST channel; the bridge's ``ask``."""

    def __init__(self, rasa_url: str, timeout: float = RASA_TIMEOUT):
        self.url = rasa_url.rstrip("/") + REST_PATH
        self.client = httpx.AsyncClient(timeout=timeout, trust_env=False)

    async def __call__(self, sender_id: str, text: str, metadata: Dict[str, Any]) -> List[Dict[str, Any]]:
        answer = await self.client.post(self.url, json={"sender": sender_id, "message": text, "metadata": metadata})
        answer.raise_for_status()
        messages = answer.json()
        if not isinstance(messages, list):
            raise ValueError(f"unexpected answer from {self.url}: {messages!r:.200}")
        return messages

    async def close(self) -> None:
        await self.client.aclose()


class Poller:
    """getUpdates in a loop, each update handed to the bridge."""

    def __init__(self, bot: Bot, rasa: RasaRest, *, poll_timeout: int = 30, concurrency: int = 8):
        from bot.clients.telegram_handoff import TelegramHandoff

        self.bot = bot
        self.rasa = rasa
        from bot.clients.telegram_state import state_from_setting

        self.handoff = TelegramHandoff.create(bot)
        self.bridge = TelegramBridge(bot, rasa, handoff=self.handoff, state=state_from_setting())
        self.poll_timeout = poll_timeout
        self.offset: Optional[int] = None
        self._slots = asyncio.Semaphore(concurrency)
        self._tasks: Set["asyncio.Task[Any]"] = set()
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """getMe, drop the webhook (getUpdates needs that), set the command menu."""
        await self.bot.initialize()  # raises InvalidToken for a wrong token
        await self.bridge.initialize()
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.bridge.set_commands()
        if self.handoff is not None:
            self.handoff.start(self.bridge)  # agents' messages, the support group
        logger.info("Telegram polling as @%s; Rasa at %s", self.bridge.bot_username, self.rasa.url)

    async def poll_once(self, timeout: Optional[int] = None) -> int:
        """One getUpdates call; handling of what came is started, not awaited. Returns the count."""
        wait = self.poll_timeout if timeout is None else timeout
        # The raw getUpdates (not Bot.get_updates): PTB drops the whole batch when it cannot read
        # one update; parse_update reads each on its own.
        data = {"offset": self.offset, "timeout": wait, "allowed_updates": list(ALLOWED_UPDATES)}
        raw = await self.bot._post(
            "getUpdates", {k: v for k, v in data.items() if v is not None}, read_timeout=wait + 10
        )
        count = 0
        for item in raw or []:
            update_id = item.get("update_id") if isinstance(item, dict) else None
            if not isinstance(update_id, int):
                continue
            # Advance first: an update that breaks the handler must not come back forever.
            self.offset = max(self.offset or 0, update_id + 1)
            update = parse_update(item, self.bot)
            if update is None:
                continue
            count += 1
            await self._slots.acquire()
            task = asyncio.ensure_future(self._handle(update))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return count

    async def _handle(self, update: Update) -> None:
        try:
            await self.bridge.handle_update(update)
        except Exception:
            logger.exception("Telegram update %s failed", update.update_id)
        finally:
            self._slots.release()

    async def drain(self, timeout: float = 60.0) -> None:
        """Wait for the updates in hand."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Poll until :meth:`stop`; network trouble backs off and retries."""
        backoff = 1.0
        while not self._stopping.is_set():
            poll = asyncio.ensure_future(self.poll_once())
            stopping = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({poll, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if poll not in done:
                poll.cancel()
                await asyncio.gather(poll, return_exceptions=True)
                break
            stopping.cancel()
            try:
                poll.result()
                backoff = 1.0
            except InvalidToken:
                raise
            except Conflict as error:
                logger.error("Telegram getUpdates conflict (another poller, or a webhook was set again): %s", error)
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
            except Exception as error:  # network trouble, Telegram down, an update PTB cannot read
                logger.warning("Telegram getUpdates failed (%s); retrying in %.0fs", error, backoff)
                await self._pause(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
        await self.drain()

    async def _pause(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except asyncio.TimeoutError:
            pass

    async def close(self) -> None:
        if self.handoff is not None:
            await self.handoff.stop()
        await self.bridge.shutdown()
        await self.rasa.close()


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bot.clients.telegram_polling",
        description="Telegram long polling for the Rasa bot (REST channel).",
    )
    parser.add_argument(
        "--rasa-url",
        default=settings.rasa_url(),
        help="Rasa server (default: $RASA_URL or http://localhost:$RASA_PORT)",
    )
    parser.add_argument(
        "--base-url",
        default=settings.telegram_base_url(),
        help="Bot API server root, e.g. a local one (default: api.telegram.org)",
    )
    parser.add_argument(
        "--poll-timeout",
        type=int,
        default=settings.telegram_poll_timeout(),
        help="long-polling timeout in seconds (default 30)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


async def amain(args: argparse.Namespace, token: str) -> int:
    poller = Poller(make_bot(token, args.base_url), RasaRest(args.rasa_url), poll_timeout=args.poll_timeout)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, poller.stop)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on Linux
            pass
    try:
        await poller.start()
        await poller.run()
    except InvalidToken as error:
        logger.error("Telegram rejected the token (TELEGRAM_TOKEN): %s", error)
        return 2
    finally:
        await poller.close()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    try:
        args = parse_args(argv)
    except settings.SettingError as error:
        print(f"telegram_polling: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request, token in the URL
    token = settings.telegram_token()
    if not token:
        print("telegram_polling: set TELEGRAM_TOKEN to the bot token from BotFather", file=sys.stderr)
        return 2
    return asyncio.run(amain(args, token))


if __name__ == "__main__":
    sys.exit(main())

"""Telegram input channel for Rasa 3.6, on python-telegram-bot 22 (not Rasa's aiogram one).

Register it in a credentials file (see credentials.telegram.yml and docs/telegram.md)::

    rasa_channels.telegram_channel.TelegramInput:
      access_token: ${TELEGRAM_TOKEN}          # from BotFather
      secret_token: ${TELEGRAM_SECRET_TOKEN}   # 1-256 of A-Z a-z 0-9 _ -
      webhook_url: ${TELEGRAM_WEBHOOK_URL}     # https://.../webhooks/telegram/webhook, or empty
      # base_url: http://127.0.0.1:8081        # a local Bot API server (tests: the fake one)
      # support_chat_id: -1001234567890        # the support group (else env TELEGRAM_SUPPORT_CHAT_ID)
      # state: database                        # memory (default) | database | a SQLAlchemy URL (else env
                                               # TELEGRAM_STATE); not memory when several servers share the bot

Routes (under ``/webhooks/telegram``):

* ``POST /webhook``: Telegram's updates. A request without the right
  ``X-Telegram-Bot-Api-Secret-Token`` header gets 403 before its body is read.
  The update is handled while Telegram waits (so replies go out in order) and
  answered 200 whatever it contained; only a body that is not a JSON object
  gets 400.
* ``GET /``: ``{"status": "ok"}``.

At server start the bot is initialized once (``getMe``), the command menu is
set and, when ``webhook_url`` is given, the webhook is registered with
``setWebhook(secret_token=...)``; if Telegram cannot be reached then, this is
retried in the background (5 s, doubling up to 5 min) without holding up the
server. Everything else (rendering, buttons,
commands, non-text messages, duplicates) is in :mod:`bot.clients.telegram`,
shared with the polling mode; the live hand-off (agents' messages delivered,
photos kept for the agent, the support group) in
:mod:`bot.clients.telegram_handoff`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram.error import BadRequest, InvalidToken, TelegramError

from bot.clients.telegram.bot_api import ALLOWED_UPDATES, SECRET_TOKEN_PATTERN, make_bot
from bot.clients.telegram.bridge import ChatUnavailable, TelegramBridge
from bot.clients.telegram.updates import parse_update

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: Seconds before retrying getMe/setWebhook when Telegram is unreachable at start; doubles up to RETRY_MAX.
RETRY_FIRST = 5.0
RETRY_MAX = 300.0


class TelegramOutput(CollectingOutputChannel):
    """Collects the bot's messages of one turn (sent by the channel once Rasa is done);
    with ``collecting=False`` (proactive messages, after the turn) sends each at once."""

    def __init__(self, bridge: TelegramBridge, collecting: bool = True) -> None:
        super().__init__()
        self.bridge = bridge
        self.collecting = collecting

    @classmethod
    def name(cls) -> Text:
        return TelegramInput.name()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        message = dict(message)
        if self.collecting:
            self.messages.append({"recipient_id": recipient_id, **message})
            return
        try:
            await self.bridge.send(int(recipient_id), [message])
        except (ChatUnavailable, ValueError) as error:
            logger.info("Telegram message to %s not sent: %s", recipient_id, error)


def _setting(credentials: Dict[Text, Any], key: Text) -> Optional[Text]:
    value = credentials.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


class TelegramInput(InputChannel):
    """Telegram webhook channel."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        if not credentials:
            cls.raise_missing_credentials_exception()
        token = _setting(credentials, "access_token")
        secret = _setting(credentials, "secret_token")
        if not token:
            raise RasaException("Telegram channel: access_token (the token from BotFather) is empty.")
        if not secret or not SECRET_TOKEN_PATTERN.match(secret):
            raise RasaException(
                "Telegram channel: secret_token must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`); without it "
                "anyone could post forged updates to the webhook."
            )
        return cls(
            access_token=token,
            secret_token=secret,
            webhook_url=_setting(credentials, "webhook_url"),
            base_url=_setting(credentials, "base_url"),
            support_chat_id=_setting(credentials, "support_chat_id"),
            state=_setting(credentials, "state"),
        )

    def __init__(
        self,
        access_token: Text,
        secret_token: Text,
        webhook_url: Optional[Text] = None,
        base_url: Optional[Text] = None,
        support_chat_id: Optional[Text] = None,
        state: Optional[Text] = None,
    ) -> None:
        self.secret_token = secret_token
        self.state_setting = state
        self.support_chat_id = support_chat_id
        self.webhook_url = webhook_url
        self.bot = make_bot(access_token, base_url)  # created once; getMe once at start
        self.bridge: Optional[TelegramBridge] = None
        self._commands_set = False
        self._retry: Optional["asyncio.Future[None]"] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        return TelegramOutput(self.bridge, collecting=False) if self.bridge is not None else None

    def _authorized(self, request: Request) -> bool:
        given = request.headers.get(SECRET_HEADER)
        if not given:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.secret_token.encode("utf-8"))

    async def _register(self, bridge: TelegramBridge) -> bool:
        """getMe, the command menu and setWebhook; False if worth retrying later."""
        if not await bridge.initialize():
            return False
        if not self._commands_set:
            await bridge.set_commands()
            self._commands_set = True
        if not self.webhook_url:
            logger.info("Telegram: no webhook_url; not registering a webhook")
            return True
        if not self.webhook_url.startswith("https://"):
            logger.warning(
                "Telegram only delivers to https:// webhooks; %s will not work with api.telegram.org", self.webhook_url
            )
        try:
            await self.bot.set_webhook(
                url=self.webhook_url, secret_token=self.secret_token, allowed_updates=list(ALLOWED_UPDATES)
            )
        except (BadRequest, InvalidToken) as error:  # a wrong URL or token: retrying will not help
            logger.error("Telegram refused setWebhook(%s): %s", self.webhook_url, error)
            return True
        except TelegramError as error:
            logger.error("Telegram setWebhook(%s) failed: %s", self.webhook_url, error)
            return False
        logger.info("Telegram webhook set to %s", self.webhook_url)
        return True

    async def _start(self, bridge: TelegramBridge) -> None:
        """Register now; if Telegram cannot be reached, keep trying in the background
        (until then no update arrives, so the lazy getMe on updates would never run)."""
        if await self._register(bridge):
            return

        async def retry() -> None:
            delay = RETRY_FIRST
            while True:
                await asyncio.sleep(delay)
                if await self._register(bridge):
                    return
                delay = min(delay * 2, RETRY_MAX)

        self._retry = asyncio.ensure_future(retry())

    async def _stop(self, bridge: TelegramBridge) -> None:
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._retry
        await bridge.shutdown()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        channel = self

        async def ask(sender_id: Text, text: Text, metadata: Dict[Text, Any]) -> List[Dict[Text, Any]]:
            assert channel.bridge is not None
            collector = TelegramOutput(channel.bridge)
            await on_new_message(
                UserMessage(text, collector, sender_id, input_channel=channel.name(), metadata=metadata)
            )
            collector.collecting = False  # later (proactive) messages go out at once
            return collector.messages

        from bot.clients.telegram_handoff import TelegramHandoff

        handoff = TelegramHandoff.create(self.bot, self.support_chat_id)
        from bot.clients.telegram_state import state_from_setting

        self.bridge = TelegramBridge(self.bot, ask, handoff=handoff, state=state_from_setting(self.state_setting))
        bridge = self.bridge
        telegram_webhook = Blueprint("telegram_webhook", __name__)

        @telegram_webhook.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            await channel._start(bridge)
            if handoff is not None:
                handoff.start(bridge)

        @telegram_webhook.listener("after_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            if handoff is not None:
                await handoff.stop()
            await channel._stop(bridge)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not channel._authorized(request):
                return response.json({"error": "forbidden"}, status=403)
            try:
                data = json.loads(request.body or b"")
            except (ValueError, UnicodeDecodeError):
                return response.json({"error": "the body is not JSON"}, status=400)
            if not isinstance(data, dict):
                return response.json({"error": "the body is not a JSON object"}, status=400)
            update = parse_update(data, channel.bot)
            if update is None:
                return response.json({"status": "ignored"})
            try:
                kind = await bridge.handle_update(update)
            except Exception:  # Telegram would resend it forever; the log has the bug
                logger.exception("Telegram update %s failed", data.get("update_id"))
                kind = "error"
            return response.json({"status": "ok", "handled_as": kind})

        return telegram_webhook

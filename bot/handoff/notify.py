"""Optional notice to the support group on Telegram when a ticket is opened.

Sent only when a bot token and a chat id are known: the arguments, else
``TELEGRAM_SUPPORT_BOT_TOKEN`` (or ``TELEGRAM_TOKEN``, the channel's token) and
``TELEGRAM_SUPPORT_CHAT_ID``. The text is the redacted ticket summary (bot.handoff.render).
A failed notice is logged and never breaks the hand-off.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Optional

from bot import settings
from bot.handoff.render import summary_text
from bot.handoff.store import Ticket

logger = logging.getLogger(__name__)

CHAT_ID_ENV = "TELEGRAM_SUPPORT_CHAT_ID"
TOKEN_ENVS = ("TELEGRAM_SUPPORT_BOT_TOKEN", "TELEGRAM_TOKEN")
TICKETS_URL_ENV = "HANDOFF_TICKETS_URL"  # where agents open tickets (the API), for a link in the notice
MAX_TEXT = 4096  # Telegram's limit for one message
TIMEOUT_S = 10.0


def support_config(bot_token: Optional[str] = None, chat_id: Optional[str] = None):
    """(token, chat_id) from the arguments or the environment; either may be None."""
    token = bot_token or settings.support_bot_token()
    chat = chat_id if chat_id not in (None, "") else settings.support_chat_id()
    return token, chat


async def send_support_notice(
    ticket: Ticket,
    bot_token: Optional[str] = None,
    chat_id: Optional[str] = None,
    base_url: Optional[str] = None,
    tickets_url: Optional[str] = None,
) -> Optional[int]:
    """Send the notice; the Telegram message id, or None when not configured or it failed."""
    token, chat = support_config(bot_token, chat_id)
    if not token or not chat:
        return None
    from telegram import Bot
    from telegram.request import HTTPXRequest

    text = summary_text(ticket, tickets_url or settings.handoff_tickets_url())
    if len(text) > MAX_TEXT:
        text = text[: MAX_TEXT - 1] + "…"
    kwargs: dict[str, Any] = {
        "request": HTTPXRequest(connect_timeout=TIMEOUT_S, read_timeout=TIMEOUT_S, write_timeout=TIMEOUT_S),
    }
    if base_url:
        kwargs["base_url"] = base_url
    try:
        async with Bot(token, **kwargs) as bot:
            message = await bot.send_message(chat_id=chat, text=text, disable_web_page_preview=True)
        logger.info("support notified of ticket %s", ticket.reference)
        return message.message_id
    except Exception as error:  # TelegramError, network errors, anything: the hand-off goes on
        logger.warning("could not notify support of ticket %s: %s", ticket.reference, error)
        return None


def notify_support(
    ticket: Ticket,
    bot_token: Optional[str] = None,
    chat_id: Optional[str] = None,
    base_url: Optional[str] = None,
) -> Optional[int]:
    """Blocking form of :func:`send_support_notice`; callable from plain code and from inside a
    running event loop (it then runs in a helper thread). ``base_url``: the Bot API prefix,
    default ``https://api.telegram.org/bot`` (the token is appended)."""
    token, chat = support_config(bot_token, chat_id)
    if not token or not chat:
        return None
    coroutine_args = (ticket, token, chat, base_url)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(send_support_notice(*coroutine_args))
    result: dict = {}

    def runner() -> None:
        try:
            result["value"] = asyncio.run(send_support_notice(*coroutine_args))
        except Exception as error:  # pragma: no cover - send_support_notice handles its own errors
            logger.warning("could not notify support of ticket %s: %s", ticket.reference, error)

    thread = threading.Thread(target=runner, name="handoff-notify", daemon=True)
    thread.start()
    thread.join(TIMEOUT_S * 4)
    return result.get("value")


__all__ = ["notify_support", "send_support_notice", "support_config"]

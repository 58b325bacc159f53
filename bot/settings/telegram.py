"""The variables of the Telegram bot and of the agents' support group on Telegram."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import TELEGRAM, Variable

VARIABLES: Tuple[Variable, ...] = (
    Variable("TELEGRAM_TOKEN", TELEGRAM, str, None, "bot token from @BotFather: scripts/run also talks on Telegram"),
    Variable(
        "TELEGRAM_WEBHOOK_URL",
        TELEGRAM,
        str,
        None,
        "public HTTPS address of the webhook (unset: the bot long-polls Telegram)",
        read_by="scripts",
    ),
    Variable(
        "TELEGRAM_SECRET_TOKEN",
        TELEGRAM,
        str,
        None,
        "secret Telegram sends with every webhook update (unset: random per scripts/run)",
        read_by="scripts",
    ),
    Variable("TELEGRAM_BASE_URL", TELEGRAM, str, None, "root of a local Bot API server (unset: api.telegram.org)"),
    Variable("TELEGRAM_POLL_TIMEOUT", TELEGRAM, int, 30, "long-polling timeout of the Telegram poller, in seconds"),
    Variable(
        "TELEGRAM_STATE",
        TELEGRAM,
        str,
        "memory",
        "where updates, button tokens and keyboards are kept: memory, database (HANDOFF_DB_URL) or a URL",
    ),
    Variable(
        "TELEGRAM_SUPPORT_CHAT_ID",
        TELEGRAM,
        str,
        None,
        "the agents' support group, e.g. -1001234567890 (unset: no group)",
    ),
    Variable(
        "TELEGRAM_SUPPORT_BOT_TOKEN",
        TELEGRAM,
        str,
        None,
        "a separate bot for the support group (unset: TELEGRAM_TOKEN)",
    ),
)

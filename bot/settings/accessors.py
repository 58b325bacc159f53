"""The variables the Python code reads, one accessor each, with the floors and fall-backs they apply."""

from __future__ import annotations

from typing import Optional

from bot.settings.reading import integer, number, text
from bot.settings.storage import DEFAULT_DB_URL


def rasa_port() -> int:
    return integer("RASA_PORT")


def rasa_url() -> str:
    """The Rasa server's root for the Telegram poller."""
    return text("RASA_URL") or f"http://localhost:{rasa_port()}"


def rasa_rest_url() -> str:
    """The REST webhook for the terminal chat."""
    return text("RASA_REST_URL") or f"http://localhost:{rasa_port()}/webhooks/rest/webhook"


def relay_token() -> Optional[str]:
    return text("KASA_RELAY_TOKEN")


def actions_keep_alive_s() -> int:
    return max(5, integer("KASA_ACTIONS_KEEP_ALIVE_S"))


def action_retry_delay_s() -> float:
    return max(0.0, number("KASA_ACTION_RETRY_DELAY_S"))


def turn_workers() -> int:
    return max(1, integer("KASA_TURN_WORKERS"))


def store_threads() -> int:
    return integer("KASA_STORE_THREADS")


def max_session_events() -> int:
    return integer("KASA_MAX_SESSION_EVENTS")


def sqlite_busy_timeout_s() -> float:
    return number("KASA_SQLITE_BUSY_TIMEOUT_S")


def handoff_db_url() -> str:
    return text("HANDOFF_DB_URL") or DEFAULT_DB_URL


def redis_url() -> Optional[str]:
    return text("KASA_REDIS_URL")


def telegram_token() -> Optional[str]:
    return text("TELEGRAM_TOKEN")


def telegram_base_url() -> Optional[str]:
    return text("TELEGRAM_BASE_URL")


def telegram_poll_timeout() -> int:
    return integer("TELEGRAM_POLL_TIMEOUT")


def telegram_state() -> str:
    return text("TELEGRAM_STATE") or "memory"


def support_chat_id() -> Optional[str]:
    return text("TELEGRAM_SUPPORT_CHAT_ID")


def support_bot_token() -> Optional[str]:
    """The support group's bot: its own token, else the customers' bot's."""
    return text("TELEGRAM_SUPPORT_BOT_TOKEN") or telegram_token()


def handoff_agent() -> Optional[str]:
    return text("HANDOFF_AGENT")


def handoff_api_token() -> Optional[str]:
    return text("HANDOFF_API_TOKEN")


def handoff_tickets_url() -> Optional[str]:
    return text("HANDOFF_TICKETS_URL")


def claim_timeout_s() -> float:
    return number("HANDOFF_CLAIM_TIMEOUT")


def outbox_poll_s() -> float:
    return max(0.05, number("HANDOFF_OUTBOX_POLL"))


def outbox_lease_s() -> float:
    return number("HANDOFF_OUTBOX_LEASE")


def support_poll_s() -> float:
    return number("HANDOFF_SUPPORT_POLL")


def webchat_allowed_origins() -> Optional[str]:
    return text("WEBCHAT_ALLOWED_ORIGINS")


def max_message_chars() -> int:
    return integer("KASA_MAX_MESSAGE_CHARS")


def max_body_bytes() -> int:
    return integer("KASA_MAX_BODY_BYTES")


def max_metadata_bytes() -> int:
    return integer("KASA_MAX_METADATA_BYTES")

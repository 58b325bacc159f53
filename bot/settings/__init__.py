"""Every environment variable of the project: its name, default, type and meaning, in one place.

The Python code reads the environment only through this package (tests/bot/test_settings.py checks
it), and reads it when asked, not at import, so a test's ``monkeypatch.setenv`` counts. A blank value
is the same as an unset one. A value that is not a number where one is needed either stops with
:class:`SettingError` naming the variable, or, for the variables whose ``on_invalid`` is
``"default"``, logs a warning and uses the default.

:data:`VARIABLES` also lists the variables only the shell scripts read (``read_by="scripts"``:
ports, the HTTP API, Telegram's webhook); ``.env.example`` is :func:`env_example` of this list
(``python -m bot.settings`` prints it), and ``scripts/run`` loads a ``.env`` at the top of the
repository before its own defaults.

The variables are declared by area (:mod:`.servers`, :mod:`.storage`, :mod:`.telegram`,
:mod:`.handoff`, :mod:`.web_chat`, :mod:`.limits`), read by name in :mod:`.reading`, and read one
accessor each in :mod:`.accessors`; everything is importable from ``bot.settings``.
"""

from bot.settings.accessors import (
    action_retry_delay_s,
    actions_keep_alive_s,
    claim_timeout_s,
    handoff_agent,
    handoff_api_token,
    handoff_db_url,
    handoff_tickets_url,
    max_body_bytes,
    max_message_chars,
    max_metadata_bytes,
    max_session_events,
    outbox_lease_s,
    outbox_poll_s,
    rasa_port,
    rasa_rest_url,
    rasa_url,
    redis_url,
    relay_token,
    sqlite_busy_timeout_s,
    store_threads,
    support_bot_token,
    support_chat_id,
    support_poll_s,
    telegram_base_url,
    telegram_poll_timeout,
    telegram_state,
    telegram_token,
    turn_workers,
    webchat_allowed_origins,
)
from bot.settings.env_example import env_example
from bot.settings.reading import BY_NAME, VARIABLES, default_number, integer, number, raw, text
from bot.settings.storage import DEFAULT_DB_URL
from bot.settings.variable import GROUPS, SettingError, Variable

__all__ = [
    "BY_NAME",
    "DEFAULT_DB_URL",
    "GROUPS",
    "SettingError",
    "VARIABLES",
    "Variable",
    "env_example",
    "integer",
    "default_number",
    "number",
    "raw",
    "text",
    # one accessor per variable the Python code reads
    "action_retry_delay_s",
    "actions_keep_alive_s",
    "claim_timeout_s",
    "handoff_agent",
    "handoff_api_token",
    "handoff_db_url",
    "handoff_tickets_url",
    "max_body_bytes",
    "max_message_chars",
    "max_metadata_bytes",
    "max_session_events",
    "outbox_lease_s",
    "outbox_poll_s",
    "rasa_port",
    "rasa_rest_url",
    "rasa_url",
    "redis_url",
    "relay_token",
    "sqlite_busy_timeout_s",
    "store_threads",
    "support_bot_token",
    "support_chat_id",
    "support_poll_s",
    "telegram_base_url",
    "telegram_poll_timeout",
    "telegram_state",
    "telegram_token",
    "turn_workers",
    "webchat_allowed_origins",
]

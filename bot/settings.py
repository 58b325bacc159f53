"""Every environment variable of the project: its name, default, type and meaning, in one place.

The Python code reads the environment only through the accessors below (tests/bot/test_settings.py
checks it), and reads it when asked, not at import, so a test's ``monkeypatch.setenv`` counts.
A blank value is the same as an unset one. A value that is not a number where one is needed either
stops with :class:`SettingError` naming the variable, or, for the variables whose ``on_invalid`` is
``"default"``, logs a warning and uses the default.

:data:`VARIABLES` also lists the variables only the shell scripts read (``read_by="scripts"``:
ports, the HTTP API, Telegram's webhook); ``.env.example`` is :func:`env_example` of this list
(``python -m bot.settings`` prints it), and ``scripts/run`` loads a ``.env`` at the top of the
repository before its own defaults.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

logger = logging.getLogger(__name__)

Value = Union[str, int, float, None]

#: Where tickets live (and, by default, Rasa's tracker store: endpoints.yml ``db: var/tracker.db``).
DEFAULT_DB_URL = "sqlite:///var/tracker.db"

SERVERS, DATABASE, REDIS, TELEGRAM, HANDOFF, WEBCHAT, LIMITS = (
    "Rasa and the servers",
    "Database",
    "Redis",
    "Telegram",
    "Hand-off to a person",
    "Web chat",
    "Limits",
)
GROUPS = (SERVERS, DATABASE, REDIS, TELEGRAM, HANDOFF, WEBCHAT, LIMITS)


class SettingError(ValueError):
    """An environment variable has a value the project cannot use; the message names it."""


@dataclass(frozen=True)
class Variable:
    name: str
    group: str
    type: type  # str, int or float
    default: Value  # None: unset (nothing, or what the help says)
    help: str
    #: "python": read through this module; "scripts": only by scripts/ (and the YAML they feed Rasa)
    read_by: str = "python"
    #: a number below this is invalid
    minimum: Optional[float] = None
    #: what an invalid number does: "error" (SettingError) or "default" (a warning, then the default)
    on_invalid: str = "error"


VARIABLES: Tuple[Variable, ...] = (
    # ---- Rasa and the servers -------------------------------------------------------------------
    Variable(
        "RASA_PORT",
        SERVERS,
        int,
        5005,
        "port of the Rasa server (scripts/run, scripts/chat, the Telegram poller)",
        minimum=1,
    ),
    Variable("ACTIONS_PORT", SERVERS, int, 5055, "port of the action server", read_by="scripts"),
    Variable("RASA_INTERFACE", SERVERS, str, "127.0.0.1", "address the Rasa server listens on", read_by="scripts"),
    Variable("SANIC_HOST", SERVERS, str, "127.0.0.1", "address the action server listens on", read_by="scripts"),
    Variable(
        "RASA_API",
        SERVERS,
        str,
        "off",
        "on: serve Rasa's HTTP API (trackers, events, models), only with a token",
        read_by="scripts",
    ),
    Variable(
        "RASA_API_TOKEN",
        SERVERS,
        str,
        None,
        "token of the HTTP API (unset: generated once, kept in var/secrets/rasa-api-token)",
        read_by="scripts",
    ),
    Variable(
        "RASA_URL", SERVERS, str, None, "Rasa server the Telegram poller talks to (unset: http://localhost:$RASA_PORT)"
    ),
    Variable(
        "RASA_REST_URL",
        SERVERS,
        str,
        None,
        "REST webhook scripts/chat talks to (unset: http://localhost:$RASA_PORT/webhooks/rest/webhook)",
    ),
    Variable(
        "KASA_RELAY_TOKEN",
        SERVERS,
        str,
        None,
        "secret of a trusted relay posting for another channel over REST (unset: random per scripts/run)",
    ),
    Variable(
        "KASA_VAR_DIR",
        SERVERS,
        str,
        "var",
        "where logs, the SQLite database, secrets and pid files go (relative to the repository)",
        read_by="scripts",
    ),
    Variable(
        "STARTUP_TIMEOUT", SERVERS, int, 300, "seconds scripts/run waits for both servers to answer", read_by="scripts"
    ),
    Variable(
        "AGENT_API_PORT",
        SERVERS,
        int,
        5056,
        "port of the agents' API (served when HANDOFF_API_TOKEN is set)",
        read_by="scripts",
    ),
    Variable("SANIC_BACKLOG", SERVERS, int, 1024, "connections the Rasa server's socket queues", read_by="scripts"),
    Variable(
        "KASA_ACTIONS_KEEP_ALIVE_S",
        SERVERS,
        int,
        75,
        "seconds the action server keeps an idle connection open (at least 5)",
        on_invalid="default",
    ),
    Variable(
        "KASA_ACTION_RETRY_DELAY_S",
        SERVERS,
        float,
        0.5,
        "seconds before the Rasa server calls a failed action server again",
        on_invalid="default",
    ),
    Variable(
        "KASA_TURN_WORKERS", SERVERS, int, 4, "threads of the action server that run conversation turns (at least 1)"
    ),
    Variable(
        "KASA_STORE_THREADS",
        SERVERS,
        int,
        8,
        "threads of the tracker store (unless endpoints.yml sets threads)",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_MAX_SESSION_EVENTS",
        SERVERS,
        int,
        300,
        "events of a session before the tracker store checkpoints it (unless endpoints.yml says)",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_SQLITE_BUSY_TIMEOUT_S",
        SERVERS,
        float,
        5.0,
        "seconds a SQLite write of the tracker store waits for another writer (unless endpoints.yml says)",
    ),
    Variable(
        "RASA_TELEMETRY_ENABLED",
        SERVERS,
        str,
        "false",
        "Rasa's usage telemetry (scripts turn it off)",
        read_by="scripts",
    ),
    Variable("TF_CPP_MIN_LOG_LEVEL", SERVERS, int, 2, "TensorFlow's log level (2: errors only)", read_by="scripts"),
    Variable(
        "TRAIN_FORCE",
        SERVERS,
        str,
        None,
        "any value: scripts/train trains even when the model is up to date",
        read_by="scripts",
    ),
    Variable(
        "SETUP_FORCE",
        SERVERS,
        str,
        None,
        "any value: scripts/setup reinstalls .venv even when it is up to date",
        read_by="scripts",
    ),
    # ---- Database --------------------------------------------------------------------------------
    Variable(
        "HANDOFF_DB_URL",
        DATABASE,
        str,
        DEFAULT_DB_URL,
        "SQLAlchemy URL of the tickets (scripts/run: $KASA_VAR_DIR/tracker.db, beside the conversations)",
    ),
    # ---- Redis -----------------------------------------------------------------------------------
    Variable(
        "KASA_REDIS_URL",
        REDIS,
        str,
        None,
        "Redis shared by several servers: web chat replies reach all, retried turns are seen (unset: one server)",
    ),
    # ---- Telegram --------------------------------------------------------------------------------
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
    # ---- Hand-off --------------------------------------------------------------------------------
    Variable("HANDOFF_AGENT", HANDOFF, str, None, "your name as an agent: the default of the CLI's --agent"),
    Variable("HANDOFF_API_TOKEN", HANDOFF, str, None, "bearer token of the agents' API (unset: no API)"),
    Variable(
        "HANDOFF_TICKETS_URL", HANDOFF, str, None, "where agents open tickets, linked from the support group's notice"
    ),
    Variable(
        "HANDOFF_CLAIM_TIMEOUT",
        HANDOFF,
        float,
        600.0,
        "seconds an open ticket waits for an agent before the customer is told (0: never)",
        minimum=0,
        on_invalid="default",
    ),
    Variable(
        "HANDOFF_OUTBOX_POLL",
        HANDOFF,
        float,
        0.25,
        "seconds between a channel's looks at the outbox (at least 0.05)",
        minimum=0,
        on_invalid="default",
    ),
    Variable(
        "HANDOFF_OUTBOX_LEASE",
        HANDOFF,
        float,
        20.0,
        "seconds a worker waits for the bot to deliver an outbox message before it asks again",
    ),
    Variable(
        "HANDOFF_SUPPORT_POLL",
        HANDOFF,
        float,
        1.0,
        "seconds between the support group's looks at the database (at least 0.1)",
    ),
    # ---- Web chat --------------------------------------------------------------------------------
    Variable(
        "WEBCHAT_ALLOWED_ORIGINS",
        WEBCHAT,
        str,
        None,
        "comma-separated origins allowed to embed the web chat, * any (unset: credentials.yml, else own + localhost)",
    ),
    # ---- Limits ----------------------------------------------------------------------------------
    Variable(
        "KASA_MAX_MESSAGE_CHARS",
        LIMITS,
        int,
        4000,
        "characters of one customer message; a longer one is answered without being read",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_MAX_BODY_BYTES", LIMITS, int, 64 * 1024, "bytes of one REST request body", minimum=1, on_invalid="default"
    ),
    Variable(
        "KASA_MAX_METADATA_BYTES",
        LIMITS,
        int,
        8 * 1024,
        "bytes of the JSON of a message's metadata",
        minimum=1,
        on_invalid="default",
    ),
    Variable(
        "KASA_MAX_REQUEST_BYTES",
        LIMITS,
        int,
        1048576,
        "bytes of any request to the Rasa server (Sanic's REQUEST_MAX_SIZE)",
        read_by="scripts",
    ),
)

BY_NAME: Dict[str, Variable] = {v.name: v for v in VARIABLES}


# ---- reading ------------------------------------------------------------------------------------


def raw(name: str) -> Optional[str]:
    """The variable's value, stripped; None when unset or blank."""
    if name not in BY_NAME:
        raise KeyError(f"{name} is not in bot.settings.VARIABLES")
    value = os.environ.get(name, "").strip()
    return value or None


def text(name: str) -> Optional[str]:
    """A text variable: its value, else its default (None when it has none)."""
    value = raw(name)
    if value is not None:
        return value
    default = BY_NAME[name].default
    return None if default is None else str(default)


def number(name: str) -> float:
    """A number variable (int or float, as :data:`VARIABLES` says): its value, else its default."""
    var = BY_NAME[name]
    default = default_number(name)
    value = raw(name)
    if value is None:
        return default
    kind = "a whole number" if var.type is int else "a number"
    try:
        parsed = var.type(value)
    except ValueError:
        problem = f"{name} must be {kind}, not {value!r}"
    else:
        if var.minimum is None or parsed >= var.minimum:
            return parsed
        problem = f"{name} must be {kind} of at least {_show(var.minimum)}, not {value!r}"
    if var.on_invalid == "default":
        logger.warning("%s; using the default %s", problem, _show(default))
        return default
    raise SettingError(problem)


def default_number(name: str) -> float:
    """A number variable's default (what it is when unset)."""
    var = BY_NAME[name]
    if var.type not in (int, float) or var.default is None:
        raise TypeError(f"{name} is not a number variable")
    return var.type(var.default)


def integer(name: str) -> int:
    return int(number(name))


def _show(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---- the variables, one accessor each -----------------------------------------------------------


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


# ---- .env.example -------------------------------------------------------------------------------

_EXAMPLE_HEADER = """\
# The environment of the Kasa camera assistant: every variable the code and scripts/ read.
# Copy this file to .env (not in git) and uncomment what you change; scripts/run loads .env
# before its own defaults, and a variable set in the shell wins over .env.
# Generated from bot/settings.py (python -m bot.settings > .env.example); edit it there.
"""


def env_example() -> str:
    """The text of .env.example: every variable, commented, with its default and meaning, by group."""
    lines = [_EXAMPLE_HEADER.rstrip("\n")]
    for group in GROUPS:
        lines += ["", f"# ---- {group} " + "-" * max(3, 94 - len(group))]
        for var in (v for v in VARIABLES if v.group == group):
            kind = {str: "text", int: "whole number", float: "number"}[var.type]
            where = "" if var.read_by == "python" else "; read by scripts/"
            lines.append(f"# {var.help} ({kind}{where})")
            lines.append(f"# {var.name}={_show(var.default)}")
    return "\n".join(lines) + "\n"


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
]


if __name__ == "__main__":  # pragma: no cover
    print(env_example(), end="")

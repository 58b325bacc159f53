"""The variables of Rasa, the action server and the scripts that start them: ports, tokens, threads."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import SERVERS, Variable

VARIABLES: Tuple[Variable, ...] = (
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
)

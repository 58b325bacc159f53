"""The action server's own additions, through rasa_sdk's plugin hook.

rasa_sdk (3.6) imports a top-level package named ``rasa_sdk_plugins`` when it exists and calls
its ``init_hooks(manager)``; the project root is on the action server's PYTHONPATH, so
``rasa run actions`` picks this up with no other change. It

* keeps idle connections open for ``KASA_ACTIONS_KEEP_ALIVE_S`` (75 s) instead of Sanic's 5 s.
  Sanic closes a connection that has not sent a request within that time, counted from the
  connect; when the Rasa server's event loop stalled 5 s between connecting and sending (a busy
  machine, 200 conversations at once), the call was dropped and the customer got no answer;
* answers ``GET /health`` with the ticket store's state: 200 ``{"status": "ok", ...}`` when a
  ticket could be written now, 503 ``{"status": "fail", ...}`` when not (locked, read-only, down),
  instead of rasa_sdk's unconditional "ok" (server/health.py);
* builds the typed-answer reader (phrase vectors, one classifier per question) in the background.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pluggy

from bot import settings

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")

DEFAULT_KEEP_ALIVE_S = int(settings.default_number("KASA_ACTIONS_KEEP_ALIVE_S"))


def keep_alive_s() -> int:
    return settings.actions_keep_alive_s()


async def action_server_health() -> dict:
    from bot.handoff.gateway import db_url
    from server.health import probe_url, redacted_url

    check = await probe_url(db_url())
    check["url"] = redacted_url(db_url())
    return {"status": "ok" if check["ok"] else "fail", "ticket_store": check}


# phrase vectors kept between starts (var/ is the tree's own, untracked)
VECTORS_FILE = Path(__file__).resolve().parent.parent / "var" / "cache" / "answer_vectors.npz"


def warm_answer_reader() -> None:
    """Typed replies are read against every question's phrases and classifier: build them once, in the
    background, instead of on a customer's first reply to each question."""
    try:
        from bot.dialogue.answer_classifier import encoder_fingerprint
        from bot.dialogue.answers import default_reader
        from bot.knowledge import load_knowledge

        default_reader().warm(load_knowledge().moves, cache=VECTORS_FILE, fingerprint=encoder_fingerprint())
        logger.info("action server: typed-answer reader ready")
    except Exception:  # a failed warm-up only means the first replies build it themselves
        logger.exception("warming the typed-answer reader failed")


class ActionServerPlugin:
    @hookimpl
    def attach_sanic_app_extensions(self, app) -> None:
        from sanic import response

        app.config.KEEP_ALIVE_TIMEOUT = keep_alive_s()

        async def health_with_stores(request):
            # rasa_sdk registers its own /health ("ok" whatever the stores do); a request
            # middleware that answers first replaces it without touching rasa_sdk.
            if request.path.rstrip("/") == "/health" and request.method == "GET":
                report = await action_server_health()
                return response.json(report, status=200 if report["status"] == "ok" else 503)
            return None

        app.register_middleware(health_with_stores, "request")
        threading.Thread(target=warm_answer_reader, name="warm-answers", daemon=True).start()
        logger.info("action server: keep-alive %ss; /health checks the ticket store", app.config.KEEP_ALIVE_TIMEOUT)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerPlugin())

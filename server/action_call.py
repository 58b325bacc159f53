"""The call from the Rasa server to the action server: one retry, then an apology, never silence.

Rasa 3.6's ``RemoteAction.run`` raises when the action server cannot be reached (refused, reset,
closed before the answer) or answers 5xx; the processor then logs "the actions events are lost"
and the customer gets no answer at all (``[]`` over REST). Two things go wrong that way:

* The action server closes a connection that saw no request for ``KEEP_ALIVE_TIMEOUT`` (Sanic's
  5 s); when the Rasa event loop stalls that long between connecting and sending, the request is
  refused although the action server is fine. The action server now waits 75 s
  (rasa_sdk_plugins/), and the call is retried once here.
* The action server is down (crashed, restarting under scripts/run, a deploy): the retry waits
  ``KASA_ACTION_RETRY_DELAY_S`` (0.5 s) first; if that fails too, the action's result is one bot
  message, :data:`server.texts.ACTIONS_DOWN`, and no other event. The conversation slot is not
  touched, so the customer's answer, sent again, is applied to the same question.

A retry can reach an action server that already ran the turn (the answer was lost on the way
back). action_turn recognises a repeated turn by its key (conversation, latest user message id,
number of events; actions/turn_ledger.py) and returns the result it gave the first time without
running the conversation again, so an answer is never applied twice.

Rejections (HTTP 400, ``ActionExecutionRejection``) are the action's own answer and pass through.
Importing this module patches nothing: :func:`install` is called by the Rasa server's launcher
(server/rasa_main.py) before Rasa's CLI runs.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, List

import aiohttp
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered, Event

from bot import settings
from server.texts import ACTIONS_DOWN

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = {502, 503, 504}  # a proxy in front of the action servers could not reach one
_original_run = RemoteAction.run


def retry_delay() -> float:
    return settings.action_retry_delay_s()


def is_retryable(error: BaseException) -> bool:
    """Whether the call failed on the way (connection, proxy), not in the action."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, aiohttp.ClientConnectionError):
            return True
        status = getattr(error, "status", None)
        if isinstance(status, int) and status in RETRYABLE_STATUS:
            return True
        error = error.__cause__ or error.__context__
    return False


async def run(self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> List[Event]:
    try:
        return await _original_run(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception as error:
        if is_retryable(error):
            logger.warning(
                "action %s for %s failed on the way (%s); retrying once", self.name(), tracker.sender_id, error
            )
            await asyncio.sleep(retry_delay())
            try:
                return await _original_run(self, output_channel, nlg, tracker, domain)
            except ActionExecutionRejection:
                raise
            except Exception as second:
                error = second
        logger.error(
            "action %s for %s failed (%s); the customer is asked to send the message again",
            self.name(),
            tracker.sender_id,
            error,
            exc_info=error,
        )
    return [BotUttered(ACTIONS_DOWN, metadata={"kasa_fallback": "action_failed"})]


def install() -> None:
    """Make Rasa's ``RemoteAction.run`` retry once, then apologise (see the module's docstring)."""
    RemoteAction.run = run

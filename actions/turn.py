"""action_turn: every customer message goes through the conversation controller in bot/."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_io import dispatch, incoming
from actions.turn_ledger import ledger
from bot.dialogue.controller import Controller, Conversation
from bot.dialogue.messages import Reply

logger = logging.getLogger(__name__)
SLOT = "conversation"


# Turns run on worker threads: a ticket store that waits for a lock (up to its timeout) holds one
# worker, never the action server's event loop, its health check or the other customers' turns.
TURN_WORKERS = int(os.environ.get("KASA_TURN_WORKERS", "4") or 4)
_pool = ThreadPoolExecutor(max_workers=max(1, TURN_WORKERS), thread_name_prefix="turn")
_local = threading.local()


@lru_cache(maxsize=1)
def _tickets() -> Any:
    try:
        from bot.handoff.gateway import default_tickets

        return default_tickets()
    except Exception:  # no database: hand-offs still reach a person, without a stored ticket
        logger.exception("ticket store unavailable; hand-offs are not stored")
        return None


_generation = [0]


def controller() -> Controller:
    """This thread's controller: it keeps the message of the turn it is on, and the planner its
    working arrays, so threads do not share one (the knowledge and the ticket store they share)."""
    found = getattr(_local, "controller", None)
    if found is None or found[0] != _generation[0]:
        found = _local.controller = (_generation[0], Controller(tickets=_tickets()))
    return found[1]


def reset_controllers() -> None:
    """Every thread builds its controller again, with the ticket store as configured now (tests)."""
    _tickets.cache_clear()
    _generation[0] += 1


class ActionTurn(Action):
    def name(self) -> Text:
        return "action_turn"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(_pool, self._once, dispatcher, tracker)

    def _once(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        # A retried call of a turn that already ran gets that turn's result (actions/turn_ledger.py).
        return ledger().once(tracker.sender_id, tracker.events, dispatcher, lambda: self._run(dispatcher, tracker))

    def _run(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        conv = Conversation.from_dict(tracker.get_slot(SLOT))
        try:
            replies = controller().handle(
                conv,
                incoming(tracker.latest_message, tracker.sender_id, tracker.get_latest_input_channel(), tracker.events),
            )
        except Exception:  # a bug must not cost the customer the conversation
            logger.exception("action_turn failed for %s", tracker.sender_id)
            replies = [
                Reply(
                    text="Sorry, something went wrong on my side. Let's try that again, "
                    'or say "talk to a person" and our support team takes over.'
                )
            ]
            dispatch(dispatcher, replies)
            return []
        dispatch(dispatcher, replies)
        return [SlotSet(SLOT, conv.to_dict())]

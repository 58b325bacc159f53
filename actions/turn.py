"""action_turn: every customer message goes through the conversation controller in bot/."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_io import dispatch, incoming
from actions.turn_ledger import ledger
from bot import settings
from bot.dialogue.controller import Controller
from bot.dialogue.conversation import Conversation
from bot.dialogue.messages import Incoming, Reply

logger = logging.getLogger(__name__)
SLOT = "conversation"


# Turns run on worker threads: a ticket store that waits for a lock (up to its timeout) holds one
# worker, never the action server's event loop, its health check or the other customers' turns.
TURN_WORKERS = settings.turn_workers()
_pool = ThreadPoolExecutor(max_workers=TURN_WORKERS, thread_name_prefix="turn")
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
    command = ""  # a typed Rasa command this action stands for (ActionRestart, ActionBack)

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

    def _incoming(self, tracker: Tracker) -> Incoming:
        typed = incoming(tracker.latest_message, tracker.sender_id, tracker.get_latest_input_channel(), tracker.events)
        if not self.command:
            return typed
        return replace(typed, intent=self.command, confidence=1.0, ranking=((self.command, 1.0),), entities=())

    def _run(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        conv = Conversation.from_dict(tracker.get_slot(SLOT))
        # no rule follows Rasa's default intents: without this its fallback would run action_turn next
        after = [FollowupAction("action_listen")] if self.command else []
        try:
            replies = controller().handle(conv, self._incoming(tracker))
        except Exception:  # a bug must not cost the customer the conversation
            logger.exception("action_turn failed for %s", tracker.sender_id)
            replies = [
                Reply(
                    text="Sorry, something went wrong on my side. Let's try that again, "
                    'or say "talk to a person" and our support team takes over.'
                )
            ]
            dispatch(dispatcher, replies)
            return after
        dispatch(dispatcher, replies)
        return [SlotSet(SLOT, conv.to_dict())] + after


# Rasa's own /restart and /back wipe or rewind the tracker without a word (the customer's diagnosis
# gone, or two turns silently undone). Overridden here (domain.yml lists them), they are the
# customer's "start over" and "go back": a diagnosis is only discarded after a confirmation.
class ActionRestart(ActionTurn):
    command = "start_over"

    def name(self) -> Text:
        return "action_restart"


class ActionBack(ActionTurn):
    command = "go_back"

    def name(self) -> Text:
        return "action_back"

"""action_turn: every customer message goes through the conversation controller in bot/."""

from __future__ import annotations

import logging
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


@lru_cache(maxsize=1)
def controller() -> Controller:
    try:
        from bot.handoff.gateway import default_tickets

        tickets = default_tickets()
    except Exception:  # no database: hand-offs still reach a person, without a stored ticket
        logger.exception("ticket store unavailable; hand-offs are not stored")
        tickets = None
    return Controller(tickets=tickets)


class ActionTurn(Action):
    def name(self) -> Text:
        return "action_turn"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
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

"""action_turn: every customer message goes through the conversation controller in bot/."""
from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_io import dispatch, incoming
from bot.dialogue.controller import Controller, Conversation
from bot.dialogue.messages import Reply

logger = logging.getLogger(__name__)
SLOT = "conversation"


@lru_cache(maxsize=1)
def controller() -> Controller:
    return Controller()


class ActionTurn(Action):
    def name(self) -> Text:
        return "action_turn"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        conv = Conversation.from_dict(tracker.get_slot(SLOT))
        try:
            replies = controller().handle(conv, incoming(tracker.latest_message))
        except Exception:  # a bug must not cost the customer the conversation
            logger.exception("action_turn failed for %s", tracker.sender_id)
            replies = [Reply(text="Sorry, something went wrong on my side. Let's try that again, "
                                  "or say \"talk to a person\" and our support team takes over.")]
            dispatch(dispatcher, replies)
            return []
        dispatch(dispatcher, replies)
        return [SlotSet(SLOT, conv.to_dict())]

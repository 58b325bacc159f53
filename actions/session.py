"""action_session_start: keep the conversation slot and offer to continue an open diagnosis."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tracker_io import dispatch
from actions.turn import SLOT, controller
from bot.dialogue.conversation import Conversation


class ActionSessionStart(Action):
    def name(self) -> Text:
        return "action_session_start"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        events: List[Dict[Text, Any]] = [SessionStarted()]
        conv = Conversation.from_dict(tracker.get_slot(SLOT))
        replies = controller().session_started(conv)
        dispatch(dispatcher, replies)
        events.append(SlotSet(SLOT, conv.to_dict()))
        events.append(ActionExecuted("action_listen"))
        return events

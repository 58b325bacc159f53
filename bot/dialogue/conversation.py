"""The conversation's state: where it is (its phase) and what it holds between messages.

The whole conversation state is one JSON-able dict, stored by the caller (a Rasa slot), so a
conversation resumes after a restart or days later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any, Dict, List, Optional

from bot.engine import DiagnosisState

CONVERSATION_VERSION = 1


class Phase(str, Enum):
    """Where the conversation is: what the next message is read against."""

    IDLE = "idle"  # no problem yet
    CLARIFY = "clarify"  # "did you mean...?" or "what is the camera doing?"
    DIAGNOSING = "diagnosing"  # a question or step of the diagnosis is open
    FINISHED = "finished"  # an ending was given; an offer may be open
    RESUME_OFFER = "resume_offer"  # a returning customer: continue or start over?
    HANDOFF = "handoff"  # with our support team


@dataclass
class Conversation:
    phase: Phase = Phase.IDLE
    engine: Optional[Dict[str, Any]] = None
    queue: List[str] = field(default_factory=list)  # further symptoms to look at afterwards
    candidates: List[str] = field(default_factory=list)
    misunderstood: int = 0
    context: Dict[str, Any] = field(default_factory=dict)
    handoff: Optional[Dict[str, Any]] = None
    recorded: bool = False  # the outcome of the current diagnosis went to the report
    offer: Optional[str] = None  # the yes/no question that ended the last reply: "handoff" | "symptom:<id>"
    same_ask: List[Any] = field(default_factory=list)  # [move id, times asked in a row without an answer]
    noted: List[str] = field(default_factory=list)  # symptoms named mid-diagnosis and already acknowledged
    # the buttons last shown (bot.dialogue.question_tokens): {"salt": this conversation's token secret,
    # "key": _question_key then, "options": their option values, "n": the question instance,
    # "diagnosis": _diagnosis_key then}
    asked: Optional[Dict[str, Any]] = None
    sender: str = ""  # whose conversation: the tickets and the report are filed under it
    version: int = CONVERSATION_VERSION

    @classmethod
    def from_dict(cls, data: Optional[Dict[str, Any]]) -> "Conversation":
        if not isinstance(data, dict) or data.get("version") != CONVERSATION_VERSION:
            return cls()
        known = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in data.items() if k in known}
        context = fields.get("context")
        if isinstance(context, dict) and "_sender" in context:
            # stored before the sender had a field of its own
            context = dict(context)
            old_sender = str(context.pop("_sender") or "")
            fields["sender"] = fields.get("sender") or old_sender
            fields["context"] = context
        try:
            return cls(**fields)
        except ValueError:
            return cls()  # a phase this version does not know: start afresh rather than guess

    def __post_init__(self) -> None:
        self.phase = Phase(self.phase)  # "diagnosing" as stored in the slot, or given by a caller

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["phase"] = self.phase.value  # plain JSON in the tracker slot
        return data


def state_of(conv: Conversation) -> DiagnosisState:
    """The diagnosis of a conversation in a phase that has one."""
    if conv.engine is None:
        raise ValueError("this conversation has no diagnosis")
    return DiagnosisState.from_dict(conv.engine)

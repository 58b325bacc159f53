"""The ticket as callers see it: every field of the case the agent needs, and its messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional

from bot.handoff.store.statuses import ACTIVE, CLAIMED

#: Recommendation of a hand-off without an escalation outcome (the customer asked for a person).
HUMAN = "human_support"


@dataclass(frozen=True)
class Ticket:
    reference: str
    conversation_id: str
    channel: Optional[str]
    customer_ref: Optional[str]
    status: str
    reason: Optional[str]
    camera_model: Optional[str]
    in_use_for: Optional[str]  # human words, e.g. "3 weeks"
    in_use_days: Optional[float]
    context: Dict[str, Any]
    symptoms: List[str]  # the guide's words
    questions: List[Dict[str, Any]]  # {ref, asked, answer, source, note?}
    steps_tried: List[Dict[str, Any]]  # {ref, asked, answer, source, note?}
    skipped: List[str]
    ranking: List[Dict[str, Any]]  # {cause, name, probability}, likeliest first
    cause: Optional[str]
    cause_name: Optional[str]
    probability: Optional[float]
    ruled_out: List[Dict[str, Any]]  # {cause, name, sentence}: why each plausible other cause is not named
    thresholds: List[Dict[str, Any]]  # {group, id, text, evidence: [what met it, in words]}
    recommendation: str  # replace | return | contact_support | wait_for_outage | safety | human_support
    recommendation_text: Optional[str]
    route: Optional[str]
    scenario: Optional[Dict[str, Any]]
    notes: List[str]
    safety: List[str]
    warranty_hint: Optional[str]
    warranty: Optional[str]
    case: Dict[str, Any]
    transcript: List[Dict[str, Any]]  # {who, text, buttons, timestamp, intent?}
    created_at: datetime
    updated_at: datetime
    claimed_at: Optional[datetime] = None
    claimed_by: Optional[str] = None
    resolved_at: Optional[datetime] = None
    resolution_note: Optional[str] = None
    cancelled_at: Optional[datetime] = None
    handed_back_at: Optional[datetime] = None
    messages: List[Dict[str, Any]] = field(default_factory=list)  # {id, who, text, at, agent?, kind?} both ways
    cause_labels: Dict[str, str] = field(default_factory=dict)  # cause id -> the guide's name
    customer_name: Optional[str] = None
    claimed_by_id: Optional[str] = None
    support_chat_id: Optional[str] = None
    support_thread_id: Optional[int] = None
    support_message_id: Optional[int] = None
    support_status: Optional[str] = None
    unclaimed_notice_at: Optional[datetime] = None

    def assigned_to(self, agent_id: Optional[str]) -> bool:
        """Whether ``agent_id`` (or name) is the agent who has the case."""
        return bool(agent_id) and self.status == CLAIMED and agent_id in (self.claimed_by_id, self.claimed_by)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def cause_names(self) -> Dict[str, str]:
        names = dict(self.cause_labels)
        names.update({r["cause"]: r["name"] for r in self.ranking if r.get("cause") and r.get("name")})
        if self.cause and self.cause_name:
            names.setdefault(self.cause, self.cause_name)
        return names

"""The sections of the agent's ticket page, in the order every format lays them out.

A format (bot.handoff.ticket_markdown, bot.handoff.ticket_html) only says how a piece looks;
which pieces there are, when one is left out and in what order is decided here once, so the
formats cannot drift apart.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from bot.handoff.store import Ticket
from bot.handoff.ticket_document import redaction_note, ticket_document
from bot.handoff.ticket_wording import overview, warranty_lines

Item = Dict[str, Any]


class TicketFormat(ABC):
    """One format of the ticket page; every method but :meth:`render` returns one piece's lines."""

    def render(self, ticket: Ticket, agent: Optional[str] = None) -> str:
        """``agent``: who reads it; the agent who has the case sees the contact details the customer typed."""
        doc = ticket_document(ticket, agent=agent)
        out = self.head(doc["reference"]) + self.overview(overview(doc))
        if doc["safety"]:
            out += self.safety(doc["safety"])
        out += self.symptoms(doc["symptoms"]) + self._recommendation(doc["assessment"])
        warranty = warranty_lines(doc)
        if warranty:
            out += self.warranty(warranty)
        out += self.ranking(doc["assessment"]["ranking"])
        if doc["assessment"]["ruled_out"]:
            out += self.ruled_out(doc["assessment"]["ruled_out"])
        out += self.entries("Questions asked", doc["questions"], "No questions asked.")
        out += self.entries("Steps tried", doc["steps_tried"], "No steps tried.")
        if doc["skipped"]:
            out += self.skipped(doc["skipped"])
        if doc["customer_messages"]:
            out += self.messages(doc["customer_messages"])
        out += self.transcript(doc["transcript"]) + self.foot(redaction_note(ticket, agent))
        return "\n".join(out) + "\n"

    def _recommendation(self, assessment: Item) -> List[str]:
        """The recommendation with the thresholds that led to it, the guide's scenario and notes."""
        out = self.recommendation(assessment["recommendation_label"], assessment.get("recommendation_text"))
        if assessment["thresholds"]:
            out += self.thresholds(assessment["thresholds"])
        if assessment.get("scenario"):
            out += self.scenario(assessment["scenario"])
        if assessment["notes"]:
            out += self.notes(assessment["notes"])
        return out

    @abstractmethod
    def head(self, reference: str) -> List[str]:
        """From the start of the page to its heading, which names the ticket's ``reference``."""

    @abstractmethod
    def overview(self, rows: List[tuple]) -> List[str]:
        """The head rows of bot.handoff.ticket_wording.overview: (label, value, emphasised)."""

    @abstractmethod
    def safety(self, warnings: List[str]) -> List[str]:
        """The safety warnings, first after the overview; only called when there are some."""

    @abstractmethod
    def symptoms(self, symptoms: List[str]) -> List[str]:
        """The symptoms in the guide's words; say so when none were recorded."""

    @abstractmethod
    def recommendation(self, label: Optional[str], text: Optional[str]) -> List[str]:
        """What the agent should do (``label``) and, when there is one, the sentence behind it."""

    @abstractmethod
    def thresholds(self, thresholds: List[Item]) -> List[str]:
        """The guide's escalation thresholds that were met, each with what met it
        (bot.handoff.ticket_wording.threshold_met)."""

    @abstractmethod
    def scenario(self, scenario: Item) -> List[str]:
        """The guide's fix scenario: its id, the fix and how to verify it."""

    @abstractmethod
    def notes(self, notes: List[str]) -> List[str]: ...

    @abstractmethod
    def warranty(self, lines: List[tuple]) -> List[str]:
        """(label, text) pairs of bot.handoff.ticket_wording.warranty_lines; the labels are ours, the
        texts free text."""

    @abstractmethod
    def ranking(self, ranking: List[Item]) -> List[str]:
        """The likely causes with their probabilities, or that there is no diagnosis yet."""

    @abstractmethod
    def ruled_out(self, ruled_out: List[Item]) -> List[str]:
        """Why not the other plausible causes: a name and a sentence each, either may be missing."""

    @abstractmethod
    def entries(self, title: str, entries: List[Item], empty: str) -> List[str]:
        """Questions asked or steps tried, numbered, with their answers; ``empty`` when there are none."""

    @abstractmethod
    def skipped(self, steps: List[str]) -> List[str]: ...

    @abstractmethod
    def messages(self, messages: List[Item]) -> List[str]:
        """The messages exchanged since the hand-off, both ways, each with its time."""

    @abstractmethod
    def transcript(self, events: List[Item]) -> List[str]:
        """The whole conversation with the bot, buttons included; say so when there is none."""

    @abstractmethod
    def foot(self, note: str) -> List[str]:
        """The schema version and what the reader's view redacts (``note``), to the end of the page."""

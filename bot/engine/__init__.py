"""Decision-theoretic troubleshooting over the field guide (no Rasa imports)."""

from bot.engine.engine import FIXED, Ask, DiagnosisEngine, Finished, InvalidAnswer, Verify
from bot.engine.state import DiagnosisState

__all__ = ["Ask", "DiagnosisEngine", "DiagnosisState", "FIXED", "Finished", "InvalidAnswer", "Verify"]

"""The field guide as typed, validated data (loaded from data/knowledge/*.yml)."""

from bot.knowledge.loader import KnowledgeError, load_knowledge
from bot.knowledge.model import Knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]

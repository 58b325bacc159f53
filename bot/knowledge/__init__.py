"""The field guide as typed, validated data (loaded from data/knowledge/*.yml)."""

from bot.knowledge.guide import Knowledge
from bot.knowledge.loader import KnowledgeError, load_knowledge

__all__ = ["Knowledge", "KnowledgeError", "load_knowledge"]

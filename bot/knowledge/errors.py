"""The error the field guide's loader and its cross-checks raise (imported by both, one way)."""

from __future__ import annotations


class KnowledgeError(ValueError):
    """The guide data is malformed; the message says where and why."""


__all__ = ["KnowledgeError"]

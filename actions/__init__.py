"""Rasa custom actions: translate between the tracker and bot/ (no dialogue logic here)."""

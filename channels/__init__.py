"""Rasa input channels of the assistant (the Rasa side; the channel logic lives in bot/channels)."""

"""Clients that talk to the Rasa server from outside, free of Rasa (Rasa's input channels: rasa_channels)."""

"""Rasa input channels, loaded by Rasa from credentials.yml (the clients that talk to it from outside: bot/clients)."""

"""Ways for people to reach the bot from outside Rasa (clients, not Rasa channels)."""

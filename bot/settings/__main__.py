"""``python -m bot.settings`` prints .env.example."""

from bot.settings.env_example import env_example

print(env_example(), end="")

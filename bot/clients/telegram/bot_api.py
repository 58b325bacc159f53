"""The Bot API side of the connection: which updates the bot asks for, the webhook's secret
token, and a :class:`telegram.Bot` for Telegram's servers or another Bot API server."""

from __future__ import annotations

import re
from typing import Optional

from telegram import Bot

#: Updates the bot asks Telegram for (setWebhook / getUpdates).
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
#: Telegram accepts 1-256 of these characters as a webhook secret token.
SECRET_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def make_bot(token: str, base_url: Optional[str] = None) -> Bot:
    """A :class:`telegram.Bot`; ``base_url`` is a Bot API server root (``http://host:port``)
    for a local Bot API server or the tests' fake one, default api.telegram.org."""
    if not base_url:
        return Bot(token)
    root = base_url.rstrip("/")
    if root.endswith("/bot"):
        root = root[: -len("/bot")]
    return Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")

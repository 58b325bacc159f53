"""The variable of the web chat: which sites may embed it."""

from __future__ import annotations

from typing import Tuple

from bot.settings.variable import WEBCHAT, Variable

VARIABLES: Tuple[Variable, ...] = (
    Variable(
        "WEBCHAT_ALLOWED_ORIGINS",
        WEBCHAT,
        str,
        None,
        "comma-separated origins allowed to embed the web chat, * any (unset: credentials.yml, else own + localhost)",
    ),
)

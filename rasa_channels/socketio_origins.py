"""Which browser origins may open a socket.io connection to the channel.

``cors_allowed_origins`` in the credentials (list, or comma separated string), overridden by
the environment variable ``WEBCHAT_ALLOWED_ORIGINS``; ``*`` allows any. Without either, only
the bot's own origin and localhost/127.0.0.1 (any port) may connect.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Union
from urllib.parse import urlsplit

ORIGINS_ENV = "WEBCHAT_ALLOWED_ORIGINS"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def parse_origins(value: Union[None, str, Iterable[str]]) -> Optional[List[str]]:
    """``"a, b"`` or ``["a", "b"]`` -> ``["a", "b"]`` (no trailing slashes); None/empty -> None."""
    if value is None:
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    origins = [str(item).strip().rstrip("/") for item in items if str(item).strip()]
    return origins or None


class OriginPolicy:
    """Which browser origins may open a socket.io connection.

    Called by engine.io as ``policy(origin, environ)`` for requests that carry
    an Origin header (browsers send one on every websocket and cross-origin
    request). The bot's own origin (Host / X-Forwarded-Host) is always allowed.
    """

    def __init__(self, allowed: Optional[List[str]]) -> None:
        self.allow_all = bool(allowed) and "*" in allowed
        self.allowed = {o.lower() for o in allowed or []}
        self.localhost_default = allowed is None

    def __call__(self, origin: Optional[str], environ: Optional[Dict[str, Any]] = None) -> bool:
        if not origin:
            return True
        origin = origin.strip().rstrip("/").lower()
        if self.allow_all or origin in self.allowed:
            return True
        try:
            parts = urlsplit(origin)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        if parts.scheme not in ("http", "https"):
            return False
        environ = environ or {}
        own_hosts = {
            environ.get(key, "").split(",")[0].strip().lower() for key in ("HTTP_HOST", "HTTP_X_FORWARDED_HOST")
        } - {""}
        if parts.netloc.lower() in own_hosts:
            return True
        return self.localhost_default and (host in LOCAL_HOSTS or f"[{host}]" in LOCAL_HOSTS)

    def describe(self) -> str:
        if self.allow_all:
            return "any origin"
        extra = sorted(self.allowed) if not self.localhost_default else ["localhost", "127.0.0.1"]
        return "same origin, " + ", ".join(extra)

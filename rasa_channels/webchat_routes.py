"""The web chat's routes: ``GET <path>`` (a full-page chat), ``<path>/widget.js`` (the embeddable
launcher, see docs/webchat.md) and ``<path>/static/...``, served from ``bot/clients/webchat/``."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

WEBCHAT_DIR = Path(__file__).resolve().parents[1] / "bot" / "clients" / "webchat"
HOST_HEADER = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
DEFAULT_TITLE = "Kasa camera help"

# Files the web chat serves: URL path under the chat path -> (file, content type).
STATIC_FILES = {
    "widget.js": ("widget.js", "application/javascript; charset=utf-8"),
    "static/webchat.js": ("webchat.js", "application/javascript; charset=utf-8"),
    "static/webchat.css": ("webchat.css", "text/css; charset=utf-8"),
    "static/vendor/socket.io.min.js": ("vendor/socket.io.min.js", "application/javascript; charset=utf-8"),
}


def webchat_blueprint(path: Text, title: Text, socketio_path: Text) -> Blueprint:
    """GET <path> (the chat page), <path>/widget.js and <path>/static/...; files from WEBCHAT_DIR."""
    path = "/" + path.strip("/")
    blueprint = Blueprint("kasa_webchat", url_prefix=path)
    page_template = (WEBCHAT_DIR / "index.html").read_text(encoding="utf-8")

    @blueprint.route("", methods=["GET"], strict_slashes=True)
    async def chat_page(request: Request) -> HTTPResponse:
        page = (
            page_template.replace("{{title}}", html.escape(title))
            .replace("{{base}}", html.escape(path + "/"))
            .replace("{{socket_path}}", html.escape(socketio_path))
        )
        # 'self' covers ws(s): to the same host in current browsers; older ones need it spelled out
        host = request.headers.get("host", "")
        sockets = f" ws://{host} wss://{host}" if HOST_HEADER.match(host) else ""
        return response.html(
            page,
            headers={
                "Content-Security-Policy": (
                    "default-src 'self'; script-src 'self'; style-src 'self'; "
                    f"connect-src 'self'{sockets}; img-src 'self' data:; base-uri 'none'; "
                    "form-action 'none'; frame-ancestors 'self'"
                ),
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-cache",
            },
        )

    @blueprint.route("/<name:path>", methods=["GET"])
    async def static_file(_: Request, name: Text) -> HTTPResponse:
        entry = STATIC_FILES.get(name)
        if entry is None:
            return response.text("not found", status=404)
        filename, content_type = entry
        return await response.file(
            WEBCHAT_DIR / filename,
            mime_type=content_type,
            headers={
                "Cache-Control": "public, max-age=300",
                "X-Content-Type-Options": "nosniff",
                # widget.js and its files are loaded by other sites.
                "Cross-Origin-Resource-Policy": "cross-origin",
            },
        )

    return blueprint

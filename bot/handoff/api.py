"""HTTP API for support agents (aiohttp), bearer-token protected.

    GET  /tickets[?status=open]                  the queue (JSON summaries, oldest first)
    GET  /tickets/{ref}[?format=json|md|html]    one ticket, rendered (default json)
    POST /tickets/{ref}/claim     {"agent": "alice"}
    POST /tickets/{ref}/resolve   {"note": "..."} (optional body)
    POST /tickets/{ref}/hand_back

Every request needs ``Authorization: Bearer <token>`` (``HANDOFF_API_TOKEN``); a missing or
wrong token is 401. Unknown reference 404, a status that does not allow it 409, bad input 400.
All output is redacted (bot.handoff.render).

    HANDOFF_API_TOKEN=... python -m bot.handoff.api --port 5056 [--host 127.0.0.1] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hmac
import json
import logging
import os
import sys
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from bot.handoff.render import render, summary_document, ticket_document
from bot.handoff.store import STATUSES, TicketNotFound, TicketStateError, TicketStore

logger = logging.getLogger(__name__)

TOKEN_ENV = "HANDOFF_API_TOKEN"
STORE_KEY = web.AppKey("handoff_store", TicketStore)
TOKEN_KEY = web.AppKey("handoff_token", str)
CONTENT_TYPES = {"md": "text/markdown", "html": "text/html", "json": "application/json"}
MAX_BODY = 64 * 1024


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


def token_matches(given: Optional[str], expected: Optional[str]) -> bool:
    """Constant-time comparison; no configured token means nobody gets in."""
    if not expected or given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@web.middleware
async def _auth_and_errors(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not token_matches(given.strip(), request.app[TOKEN_KEY]):
        return _error(401, "missing or invalid bearer token", **{"WWW-Authenticate": 'Bearer realm="handoff"'})
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except TicketNotFound as error:
        return _error(404, f"no ticket with reference {error.reference!r}")
    except TicketStateError as error:
        return _error(409, str(error))
    except ValueError as error:
        return _error(400, str(error))
    except Exception:  # pragma: no cover - logged, never shown
        logger.exception("hand-off API request failed: %s %s", request.method, request.path)
        return _error(500, "internal error")


async def _call(request: web.Request, method: str, *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking) store method in a worker thread."""
    store = request.app[STORE_KEY]
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(getattr(store, method), *args, **kwargs))


async def _body(request: web.Request) -> dict:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


async def list_tickets(request: web.Request) -> web.Response:
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
    tickets = await _call(request, "list", status=status)
    return web.json_response({"tickets": [summary_document(t) for t in tickets], "count": len(tickets)})


async def show_ticket(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "json")
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(CONTENT_TYPES)}")
    reference = request.match_info["reference"]
    ticket = await _call(request, "get", reference)
    if ticket is None:
        raise TicketNotFound(reference)
    return web.Response(text=render(ticket, fmt), content_type=CONTENT_TYPES[fmt], charset="utf-8")


async def claim_ticket(request: web.Request) -> web.Response:
    body = await _body(request)
    agent = body.get("agent")
    if not isinstance(agent, str) or not agent.strip():
        raise ValueError('the body must name the agent: {"agent": "..."}')
    ticket = await _call(request, "claim", request.match_info["reference"], agent.strip())
    return web.json_response(ticket_document(ticket))


async def resolve_ticket(request: web.Request) -> web.Response:
    body = await _body(request)
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise ValueError("note must be text")
    ticket = await _call(request, "resolve", request.match_info["reference"], note=note)
    return web.json_response(ticket_document(ticket))


async def hand_back_ticket(request: web.Request) -> web.Response:
    ticket = await _call(request, "hand_back", request.match_info["reference"])
    return web.json_response(ticket_document(ticket))


def create_app(store: TicketStore, token: Optional[str]) -> web.Application:
    """The API over ``store``; requests must carry ``Authorization: Bearer <token>``.
    An empty token locks everything (401), it never opens the API."""
    app = web.Application(middlewares=[_auth_and_errors], client_max_size=MAX_BODY)
    app[STORE_KEY] = store
    app[TOKEN_KEY] = token or ""
    app.router.add_get("/tickets", list_tickets)
    app.router.add_get("/tickets/{reference}", show_ticket)
    app.router.add_post("/tickets/{reference}/claim", claim_ticket)
    app.router.add_post("/tickets/{reference}/resolve", resolve_ticket)
    app.router.add_post("/tickets/{reference}/hand_back", hand_back_ticket)
    return app


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.handoff.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument(
        "--db", metavar="URL", help="database URL (default $HANDOFF_DB_URL or sqlite:///var/tracker.db)"
    )
    args = parser.parse_args(argv)
    token = os.environ.get(TOKEN_ENV, "")
    if not token.strip():
        print(f"error: set {TOKEN_ENV} to the bearer token agents must send", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        store = TicketStore(args.db)
    except Exception as error:
        print(f"error: cannot open the ticket database: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    app = create_app(store, token.strip())
    app.on_cleanup.append(lambda _app: asyncio.get_running_loop().run_in_executor(None, store.close))
    web.run_app(app, host=args.host, port=args.port, print=lambda msg: print(msg, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

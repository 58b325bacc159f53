"""HTTP API for support agents (aiohttp), bearer-token protected.

    GET  /tickets[?status=open]                  the queue (JSON summaries, oldest first)
    GET  /tickets/{ref}[?format=json|md|html][&agent=alice]    one ticket, rendered (default json)
    POST /tickets/{ref}/claim     {"agent": "alice"}
    GET  /tickets/{ref}/messages[?agent=alice]   the hand-off's messages, both ways
    POST /tickets/{ref}/messages  {"agent": "alice", "text": "..."}   to the customer (201)
    POST /tickets/{ref}/resolve   {"note": "...", "agent": "alice"} (both optional)
    POST /tickets/{ref}/hand_back {"agent": "alice"} (optional)

Every request needs ``Authorization: Bearer <token>`` (``HANDOFF_API_TOKEN``); a missing or
wrong token is 401. Unknown reference 404, a status that does not allow it 409 (e.g. another
agent has the case), bad input 400. All output is redacted (bot.handoff.ticket_document), except the
contact details the customer typed, for the agent who has the case (``agent``: the query
parameter, or the ``X-Handoff-Agent`` header). A message to the customer reaches them on their
channel within a second (web chat, Telegram), or with their next message (REST); writing to an
open ticket claims it.

    HANDOFF_API_TOKEN=... python -m bot.handoff.api --port 5056 [--host 127.0.0.1] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hmac
import json
import logging
import sys
from typing import Any, Awaitable, Callable, Optional

from aiohttp import web

from bot import settings
from bot.handoff.render import render
from bot.handoff.store import STATUSES, TicketNotFound, TicketStateError, TicketStore
from bot.handoff.ticket_document import summary_document, ticket_document

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


def _reader(request: web.Request) -> Optional[str]:
    """Who reads: the agent who has the case sees the contact details the customer typed."""
    agent = request.query.get("agent") or request.headers.get("X-Handoff-Agent") or ""
    return agent.strip() or None


async def show_ticket(request: web.Request) -> web.Response:
    fmt = request.query.get("format", "json")
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(CONTENT_TYPES)}")
    reference = request.match_info["reference"]
    ticket = await _call(request, "get", reference)
    if ticket is None:
        raise TicketNotFound(reference)
    text = render(ticket, fmt, agent=_reader(request))
    return web.Response(text=text, content_type=CONTENT_TYPES[fmt], charset="utf-8")


async def list_messages(request: web.Request) -> web.Response:
    reference = request.match_info["reference"]
    ticket = await _call(request, "get", reference)
    if ticket is None:
        raise TicketNotFound(reference)
    doc = ticket_document(ticket, agent=_reader(request))
    return web.json_response(
        {"reference": ticket.reference, "status": ticket.status, "messages": doc["customer_messages"]}
    )


async def send_message(request: web.Request) -> web.Response:
    body = await _body(request)
    agent, text = body.get("agent"), body.get("text")
    if not isinstance(agent, str) or not agent.strip():
        raise ValueError('the body must name the agent: {"agent": "...", "text": "..."}')
    if not isinstance(text, str) or not text.strip():
        raise ValueError('the body must carry the message: {"agent": "...", "text": "..."}')
    if len(text) > 4000:
        raise ValueError("the message is longer than 4000 characters; send it in parts")
    message = await _call(request, "add_agent_message", request.match_info["reference"], agent.strip(), text)
    return web.json_response({"reference": request.match_info["reference"].upper(), "message": message}, status=201)


def _agent_in(body: dict) -> Optional[str]:
    agent = body.get("agent")
    if agent is not None and not isinstance(agent, str):
        raise ValueError("agent must be text")
    return (agent or "").strip() or None


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
    ticket = await _call(request, "resolve", request.match_info["reference"], note=note, agent_id=_agent_in(body))
    return web.json_response(ticket_document(ticket))


async def hand_back_ticket(request: web.Request) -> web.Response:
    body = await _body(request)
    ticket = await _call(request, "hand_back", request.match_info["reference"], agent_id=_agent_in(body))
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
    app.router.add_get("/tickets/{reference}/messages", list_messages)
    app.router.add_post("/tickets/{reference}/messages", send_message)
    app.router.add_post("/tickets/{reference}/resolve", resolve_ticket)
    app.router.add_post("/tickets/{reference}/hand_back", hand_back_ticket)
    return app


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.handoff.api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5056)
    parser.add_argument(
        "--db", metavar="URL", help=f"database URL (default $HANDOFF_DB_URL or {settings.DEFAULT_DB_URL})"
    )
    args = parser.parse_args(argv)
    token = settings.handoff_api_token()
    if not token:
        print(f"error: set {TOKEN_ENV} to the bearer token agents must send", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        store = TicketStore(args.db)
    except Exception as error:
        print(f"error: cannot open the ticket database: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    app = create_app(store, token)
    app.on_cleanup.append(lambda _app: asyncio.get_running_loop().run_in_executor(None, store.close))
    web.run_app(app, host=args.host, port=args.port, print=lambda msg: print(msg, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

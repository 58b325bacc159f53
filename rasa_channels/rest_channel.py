"""The REST channel, validated: the same URL and protocol as Rasa's ``rest:``, safe to expose.

Register it in credentials.yml instead of ``rest:``::

    rasa_channels.rest_channel.RestInput:

``POST /webhooks/rest/webhook`` with ``{"sender": "alice", "message": "hi"}`` answers as Rasa's
channel does, a JSON list of ``{"recipient_id", "text", "buttons"?, ...}``. What differs:

* **Validated** (400 with ``{"error": ...}``): the body must be a JSON object (not empty, not a
  list, string or null) with a string ``sender`` (1-128 letters, digits, ``_ . @ + = -``) and a
  string ``message`` that is not blank; ``metadata``, if any, an object of at most 8 KiB;
  ``message_id``, if any, a string of at most 64 such characters. Rasa's ``input_channel`` field,
  with which a client could claim to be another channel, is refused.
* **Capped before anything reads it**: a body over 64 KiB is refused (413) while it is being
  received; a message over 4,000 characters gets a short answer saying so and reaches neither the
  language model nor the tracker (rasa_channels/limits.py).
* **Namespaced**: the conversation of ``"sender": "alice"`` is ``rest:alice``, so no REST request
  can reach a Telegram or web chat conversation (rasa_channels/senders.py). Replies carry the sender as
  the client sent it. A trusted relay of another channel (the Telegram poller) may post for that
  channel with ``"channel": "telegram"`` and the header ``X-Kasa-Relay-Token: $KASA_RELAY_TOKEN``,
  or to ``/webhooks/rest/relay/telegram/$KASA_RELAY_TOKEN/webhooks/rest/webhook`` (what
  scripts/run gives the poller as its RASA_URL); without the token (or when the variable is unset)
  ``channel`` is refused with 403 and the relay path is 404.
* **Nothing lost, or the customer is told**: when the conversation cannot be read or saved (a
  locked or read-only database, a lost lock store), the reply is only
  "Sorry, something went wrong on our side, please send that again." with the header
  ``X-Kasa-Turn: not-saved``, never the answer to a turn that did not count.
* **Safe to retry**: with a ``message_id``, a request sent again after a lost answer (a proxy
  error, a server killed mid-turn) is answered with the replies the turn got the first time, and
  the message is not applied twice. The check runs under the conversation's lock.

``GET /webhooks/rest/`` answers ``{"status": "ok"}`` like Rasa's; ``GET /health`` (at the root) is
the server's health (server/health.py): 503 when the tracker store cannot be written.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels import rest as rasa_rest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from rasa_channels import limits
from rasa_channels.senders import PREFIXES, BadSenderId, conversation_id
from server.texts import NOT_SAVED, too_long

logger = logging.getLogger(__name__)

RELAY_HEADER = "X-Kasa-Relay-Token"
RELAY_TOKEN_ENV = "KASA_RELAY_TOKEN"
TURN_HEADER = "X-Kasa-Turn"
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
KNOWN_FIELDS = {"sender", "message", "metadata", "message_id", "channel"}
#: How far back a repeated message_id is looked for (events of the current session).
REPLAY_WINDOW_EVENTS = 200


class BadRequest(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def error(message: str, status: int = 400) -> HTTPResponse:
    return response.json({"error": message}, status=status)


def parse_body(raw: bytes) -> Dict[str, Any]:
    if not raw.strip():
        raise BadRequest('the body is empty; send a JSON object like {"sender": "me", "message": "hi"}')
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest(f"the body must be a JSON object, not {type(body).__name__}")
    return body


def validate(body: Dict[str, Any], relay_ok: bool) -> Tuple[str, str, str, Dict[str, Any], Optional[str]]:
    """(channel, raw sender, message, metadata, message_id) of a valid body; BadRequest otherwise."""
    if "input_channel" in body:
        raise BadRequest("input_channel is not accepted; the channel is the one the request came through")
    unknown = sorted(set(body) - KNOWN_FIELDS)
    if unknown:
        raise BadRequest(f"unknown field(s): {', '.join(unknown)[:200]}")
    if "sender" not in body:
        raise BadRequest("sender is missing: every conversation needs its own sender id")
    try:
        sender = body["sender"]
        if isinstance(sender, int) and not isinstance(sender, bool):
            sender = str(sender)
        from rasa_channels.senders import check_raw_id

        check_raw_id(sender)
    except BadSenderId as bad:
        raise BadRequest(str(bad)) from None
    if "message" not in body:
        raise BadRequest("message is missing")
    message = body["message"]
    if not isinstance(message, str):
        raise BadRequest(f"message must be a string, not {type(message).__name__}")
    if not message.strip():
        raise BadRequest("message is empty")
    metadata = body.get("metadata")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise BadRequest("metadata must be a JSON object")
    if len(json.dumps(metadata, default=str)) > limits.MAX_METADATA_BYTES:
        raise BadRequest(f"metadata is larger than {limits.MAX_METADATA_BYTES} bytes")
    message_id = body.get("message_id")
    if message_id is not None and not (isinstance(message_id, str) and MESSAGE_ID.match(message_id)):
        raise BadRequest("message_id must be a string of at most 64 letters, digits or _ . : -")
    channel = body.get("channel", RestInput.name())
    if channel != RestInput.name():
        if channel not in PREFIXES:
            raise BadRequest(f"unknown channel {str(channel)[:40]!r}")
        if not relay_ok:
            raise BadRequest(f"only a trusted relay may post for the {channel} channel", status=403)
    return channel, sender, message, metadata, message_id


def relay_allowed(request: Request) -> bool:
    expected = settings.relay_token() or ""
    given = request.headers.get(RELAY_HEADER, "")
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def replies_after(events: List[Any], message_id: str, recipient: str) -> Optional[List[Dict[str, Any]]]:
    """The bot messages that answered the user message ``message_id``, if it is in ``events``."""
    recent = events[-REPLAY_WINDOW_EVENTS:]
    for index in range(len(recent) - 1, -1, -1):
        event = recent[index]
        if isinstance(event, UserUttered) and event.message_id == message_id:
            out = []
            for later in recent[index + 1 :]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    out.append(CollectingOutputChannel._message(recipient, **bot_fields(later)))
            return out
    return None


def bot_fields(event: BotUttered) -> Dict[str, Any]:
    data = event.message()
    fields: Dict[str, Any] = {"text": data.get("text")}
    for key in ("image", "buttons", "attachment", "custom"):
        if data.get(key):
            fields[key] = data[key]
    return fields


class RestInput(rasa_rest.RestInput):
    """Rasa's REST channel with its own blueprint (what it reads, how it answers)."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = HealthRegisteringBlueprint("kasa_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def status(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, relay_allowed(request), None)

        # The same for a relay that cannot send a header: the Telegram poller posts to
        # <RASA_URL>/webhooks/rest/webhook, so scripts/run gives it a RASA_URL ending in
        # /webhooks/rest/relay/telegram/<KASA_RELAY_TOKEN>. Only loopback reaches it (nginx
        # forwards /webhooks/rest/webhook alone).
        @webhook.route("/relay/<channel>/<token>/webhooks/rest/webhook", methods=["POST"], stream=True)
        async def relayed(request: Request, channel: str, token: str) -> HTTPResponse:
            expected = settings.relay_token() or ""
            if not (expected and hmac.compare_digest(expected.encode(), token.encode())):
                return error("not found", 404)
            if channel not in PREFIXES or channel == self.name():
                return error("not found", 404)
            return await self.receive(request, True, channel)

        return webhook

    async def receive(self, request: Request, relay_ok: bool, relay_channel: Optional[str]) -> HTTPResponse:
        try:
            raw = await read_body(request, limits.MAX_BODY_BYTES)
        except PayloadTooLarge:
            return error(f"the body is larger than {limits.MAX_BODY_BYTES} bytes", 413)
        try:
            body = parse_body(raw)
            if relay_channel is not None:
                body.setdefault("channel", relay_channel)
                if body["channel"] != relay_channel:
                    raise BadRequest("channel does not match the relay's")
            channel, sender, text, metadata, message_id = validate(body, relay_ok)
        except BadRequest as bad:
            return error(bad.message, bad.status)
        if len(text) > limits.MAX_MESSAGE_CHARS:
            logger.info("message of %d characters from %s not read", len(text), sender)
            return response.json(
                [{"recipient_id": sender, "text": too_long(limits.MAX_MESSAGE_CHARS)}],
                headers={TURN_HEADER: "too-long"},
            )
        return await self.turn(request.app, channel, sender, text, metadata, message_id)

    async def turn(
        self,
        app: Sanic,
        channel: str,
        sender: str,
        text: str,
        metadata: Dict[str, Any],
        message_id: Optional[str],
    ) -> HTTPResponse:
        agent = getattr(app.ctx, "agent", None)
        if agent is None or not agent.is_ready():
            return response.json(
                [{"recipient_id": sender, "text": NOT_SAVED}], status=503, headers={TURN_HEADER: "not-ready"}
            )
        conversation = conversation_id(channel, sender)
        collector = CollectingOutputChannel()
        kwargs: Dict[str, Any] = {"input_channel": channel, "metadata": metadata}
        if message_id:
            kwargs["message_id"] = message_id
        message = UserMessage(text, collector, conversation, **kwargs)
        try:
            async with agent.lock_store.lock(conversation):
                if message_id:
                    tracker = await agent.tracker_store.retrieve(conversation)
                    earlier = replies_after(list(tracker.events), message_id, sender) if tracker else None
                    if earlier is not None:
                        logger.info("message %s of %s was answered before; replaying", message_id, conversation)
                        return response.json(earlier, headers={TURN_HEADER: "replayed"})
                await agent.processor.handle_message(message)
        except Exception:
            logger.exception("the turn of %s did not count: the conversation could not be read or saved", conversation)
            return response.json([{"recipient_id": sender, "text": NOT_SAVED}], headers={TURN_HEADER: "not-saved"})
        for reply in collector.messages:
            reply["recipient_id"] = sender
        return response.json(collector.messages, headers={TURN_HEADER: "saved"})


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused (PayloadTooLarge) as soon as it passes ``limit`` bytes."""
    stream = request.stream
    if stream is None:  # a non-streaming request object (tests)
        body = request.body or b""
        if len(body) > limit:
            raise PayloadTooLarge("too large")
        return body
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        stream.keep_alive = False
        raise PayloadTooLarge("too large")
    stream.request_max_size = min(stream.request_max_size, limit)
    chunks = bytearray()
    while True:
        chunk = await stream.read()
        if chunk is None:
            break
        chunks += chunk
        if len(chunks) > limit:
            stream.keep_alive = False
            raise PayloadTooLarge("too large")
    return bytes(chunks)


class HealthRegisteringBlueprint(Blueprint):
    """The channel's blueprint, plus ``GET /health`` at the server's root."""

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        if getattr(app.ctx, "kasa_health", False):
            return
        app.ctx.kasa_health = True

        async def health(request: Request) -> HTTPResponse:
            from server.health import rasa_health

            report = await rasa_health(request.app)
            return response.json(report, status=200 if report["status"] == "ok" else 503)

        app.add_route(health, "/health", methods=["GET"], name="kasa_health")

"""Rasa's socket.io channel, fixed for python-socketio 5.10+, plus the web chat page.

Register it in credentials.yml instead of ``socketio:``::

    rasa_channels.socketio_channel.SocketIOInput:
      user_message_evt: user_uttered
      bot_message_evt: bot_uttered
      session_persistence: true
      # cors_allowed_origins: ["https://shop.example"]   # or env WEBCHAT_ALLOWED_ORIGINS

The protocol is Rasa's (``session_request`` -> ``session_confirm``,
``user_uttered`` -> ``bot_uttered``), so rasa-webchat and other Rasa socket.io
clients work against it unchanged. What differs from Rasa 3.6's channel:

* The bug: with ``session_persistence: true`` Rasa calls
  ``sio.enter_room(sid, session_id)`` without ``await``. Since python-socketio
  5.10 ``AsyncServer.enter_room`` is a coroutine, so the client never joins the
  room named after its session id, and every bot reply (emitted to that room)
  is dropped. Here the call is awaited, and a message whose sender is not in
  its session's room yet (a client that reconnected with a new socket id and
  sent its message before a new ``session_request``) joins it first
  (:mod:`rasa_channels.socketio_sessions`).
* Emits use the configured ``namespace`` (Rasa's always used ``/``).
* Origins are checked: ``cors_allowed_origins`` (list, or comma separated
  string), overridden by the environment variable ``WEBCHAT_ALLOWED_ORIGINS``;
  ``*`` allows any. Without either, only the bot's own origin and
  localhost/127.0.0.1 (any port) may connect. Rasa disabled the check.
* A malformed ``session_id`` (not a short printable string) gets a new one.
* A ``user_uttered`` without a message (what rasa-webchat sends when its panel
  opens and no ``initPayload`` is set), with a blank one or with
  ``/get_started`` means "the chat was opened", not a customer message: a new
  conversation gets the greeting, an existing one nothing. It never reaches
  Rasa, so it is neither an answer nor a line of the transcript.
* Bot text goes out as Markdown that renders to exactly the bot's plain text
  (:func:`rasa_channels.socketio_markdown.markdown_safe`): rasa-webchat renders ``text`` as Markdown, where
  single line breaks would vanish and ``*``, ``_``, ``[..](..)`` or ``<..>``
  would become formatting, links or HTML. The project's own web chat undoes
  the escaping (``plainText`` in webchat.js); Telegram gets plain text anyway.
* The web chat: ``GET /chat`` (a full-page chat), ``GET /chat/widget.js``
  (embeddable launcher, see docs/webchat.md) and ``GET /chat/static/...``,
  served from ``bot/clients/webchat/``. ``webchat_path`` moves it
  (``webchat_path: false`` turns it off); ``webchat_title`` names it.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Text

import rasa.core.channels.channel
from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

from bot import settings
from rasa_channels.socketio_origins import OriginPolicy, parse_origins
from rasa_channels.socketio_output import SocketIOOutput
from rasa_channels.socketio_sessions import message_session, requested_session, session_sockets
from rasa_channels.webchat_routes import DEFAULT_TITLE, webchat_blueprint

logger = logging.getLogger(__name__)

REDIS_ENV = "KASA_REDIS_URL"
#: Emitted to the customer's socket when the bot is done with their message, whether it answered or
#: not (while a person has the case it stays quiet): the web chat stops its typing dots then.
TURN_END_EVT = "kasa_turn_end"
#: Emitted to the customer's other sockets of the session (other tabs) when they send a message: it
#: answers the open question, so those tabs disable its buttons too (they never see the message).
ANSWERED_EVT = "kasa_answered"
# What rasa-webchat (and Rasa tutorials) send when the chat opens, besides no message at all.
INIT_PAYLOADS = frozenset({"/get_started"})

# sanic_cors (Rasa's --cors) adds its own Access-Control-Allow-Origin to every
# response; on the socket.io path engine.io already sets one for an allowed
# origin, and two such headers make browsers reject the response. This flag on
# request.ctx tells sanic_cors that CORS was handled.
try:
    from sanic_cors.core import SANIC_CORS_EVALUATED
except ImportError:  # pragma: no cover - sanic_cors is a Rasa dependency
    SANIC_CORS_EVALUATED = "_sanic_cors_e"


def is_chat_opening(message: Any) -> bool:
    """``user_uttered`` data["message"] that means "the chat was opened", not a customer message."""
    return message is None or (isinstance(message, str) and (not message.strip() or message.strip() in INIT_PAYLOADS))


def greeting() -> str:
    """The bot's greeting (bot/dialogue/replies.yml), for a chat opened without a message."""
    from bot.dialogue.messages import fixed_replies

    return fixed_replies()["greet"]


class SocketBlueprint(rasa_socketio.SocketBlueprint):
    """Attaches socket.io (and, if given, the web chat routes) to the Sanic app."""

    def __init__(
        self,
        sio: AsyncServer,
        socketio_path: Text,
        *args: Any,
        extra_blueprints: Iterable[Blueprint] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(sio, socketio_path, *args, **kwargs)
        self.ctx.extra_blueprints = list(extra_blueprints)

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        super().register(app, options)
        self.ctx.app = app  # the channel looks up conversations in app.ctx.agent's tracker store
        prefix = "/" + self.ctx.socketio_path.strip("/") + "/"

        async def engineio_handles_cors(request: Request) -> None:
            if request.path.startswith(prefix) and request.method != "OPTIONS":
                setattr(request.ctx, SANIC_CORS_EVALUATED, True)

        app.register_middleware(engineio_handles_cors, "request")
        for blueprint in self.ctx.extra_blueprints:
            app.blueprint(blueprint)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """Rasa's socket.io input channel with working session persistence and the web chat."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "SocketIOInput":
        credentials = credentials or {}
        origins = settings.webchat_allowed_origins() or credentials.get("cors_allowed_origins")
        webchat_path = credentials.get("webchat_path", "/chat")
        return cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            credentials.get("session_persistence", False),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
            cors_allowed_origins=parse_origins(origins),
            webchat_path=webchat_path or None,
            webchat_title=credentials.get("webchat_title") or DEFAULT_TITLE,
        )

    def __init__(
        self,
        user_message_evt: Text = "user_uttered",
        bot_message_evt: Text = "bot_uttered",
        namespace: Optional[Text] = None,
        session_persistence: bool = False,
        socketio_path: Optional[Text] = "/socket.io",
        jwt_key: Optional[Text] = None,
        jwt_method: Optional[Text] = "HS256",
        metadata_key: Optional[Text] = "metadata",
        *,
        cors_allowed_origins: Optional[List[Text]] = None,
        webchat_path: Optional[Text] = "/chat",
        webchat_title: Text = DEFAULT_TITLE,
    ) -> None:
        super().__init__(
            user_message_evt,
            bot_message_evt,
            namespace,
            session_persistence,
            socketio_path,
            jwt_key,
            jwt_method,
            metadata_key,
        )
        self.origin_policy = OriginPolicy(cors_allowed_origins)
        self.webchat_path = webchat_path
        self.webchat_title = webchat_title
        self.socketio_webhook: Optional[SocketBlueprint] = None
        self.outbox: Any = None

    def start_outbox(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Deliver support agents' messages (bot.handoff.outbox) to web chat customers as they come."""
        from bot.handoff.live import HANDOFF_EVENT_TEXT
        from bot.handoff.outbox import process_worker

        worker = process_worker()
        if worker is None or self.sio is None:
            return
        sio, namespace = self.sio, self.namespace or "/"

        def connected(session_id: Text) -> bool:
            # with session persistence the customer's sockets are in the room named after the session
            return bool(session_sockets(sio, namespace, session_id))

        async def deliver(session_id: Text) -> None:
            output = SocketIOOutput(sio, self.bot_message_evt, namespace)
            await on_new_message(UserMessage(HANDOFF_EVENT_TEXT, output, session_id, input_channel=self.name()))

        worker.register(self.name(), deliver, connected)
        self.outbox = worker

    async def conversation_started(self, sender_id: Text) -> bool:
        """Whether the customer has written in this conversation before (Rasa's tracker store)."""
        app = getattr(self.socketio_webhook.ctx, "app", None) if self.socketio_webhook else None
        store = getattr(getattr(getattr(app, "ctx", None), "agent", None), "tracker_store", None)
        if store is None:
            return False
        try:
            tracker = await store.retrieve(sender_id)
        except Exception:  # a store that cannot answer: greeting twice is the lesser harm
            logger.exception("could not read the conversation %s", sender_id)
            return False
        return tracker is not None and any(isinstance(event, UserUttered) for event in tracker.events)

    async def chat_opened(self, sender_id: Text, output_channel: "SocketIOOutput") -> None:
        """A client opened the chat (no message, or an init payload): greet a new conversation."""
        if await self.conversation_started(sender_id):
            logger.debug("Chat of %s opened again; nothing to say.", sender_id)
            return
        await output_channel.send_text_message(sender_id, greeting())

    def get_output_channel(self) -> Optional[rasa.core.channels.channel.OutputChannel]:
        if self.sio is None:
            return super().get_output_channel()  # warns and returns None
        return SocketIOOutput(self.sio, self.bot_message_evt, self.namespace)

    def _other_tabs(self, sid: Text, session_id: Text) -> bool:
        """Whether other sockets of this server are in the session (tabs of the same browser, which
        the load balancer keeps on one server)."""
        if self.sio is None:
            return False
        members = session_sockets(self.sio, self.namespace or "/", session_id)
        return any(member != sid for member in members)

    # -- the socket.io server and its events ------------------------------------------- #

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sio = self._socketio_server()
        namespace = self.namespace or "/"
        extra = []
        if self.webchat_path:
            extra.append(webchat_blueprint(self.webchat_path, self.webchat_title, self.socketio_path or "/socket.io"))
        socketio_webhook = SocketBlueprint(
            sio, self.socketio_path, "socketio_webhook", __name__, extra_blueprints=extra
        )
        self.sio = sio
        self.socketio_webhook = socketio_webhook
        logger.info(
            "socket.io channel at %s (session persistence %s; origins: %s)%s",
            self.socketio_path,
            "on" if self.session_persistence else "off",
            self.origin_policy.describe(),
            f"; web chat at {self.webchat_path}" if self.webchat_path else "",
        )

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @socketio_webhook.listener("after_server_start")
        async def start_outbox(app: Any, loop: Any) -> None:
            self.start_outbox(on_new_message)

        sio.on("connect", namespace=namespace)(self._connect)
        sio.on("disconnect", namespace=namespace)(self._disconnect)

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            await self._session_request(sio, sid, data)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Optional[Dict] = None) -> None:
            await self._handle_message(sio, on_new_message, sid, data)

        return socketio_webhook

    def _socketio_server(self) -> AsyncServer:
        redis_url = settings.redis_url()
        # Behind a load balancer a customer's socket lives on one Rasa server while their reply (or an
        # agent's message) may be produced on another: with Redis, every emit reaches every server.
        manager = AsyncRedisManager(redis_url, channel="kasa-socketio") if redis_url else None
        return AsyncServer(async_mode="sanic", cors_allowed_origins=self.origin_policy, client_manager=manager)

    async def _connect(self, sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
        if self.jwt_key:
            jwt_payload = None
            if isinstance(auth, dict) and auth.get("token"):
                jwt_payload = rasa.core.channels.channel.decode_bearer_token(
                    auth.get("token"), self.jwt_key, self.jwt_algorithm
                )
            if not jwt_payload:
                return False
        logger.debug("User %s connected to socketIO endpoint.", sid)
        return True

    async def _disconnect(self, sid: Text, *_: Any) -> None:
        logger.debug("User %s disconnected from socketIO endpoint.", sid)

    async def _session_request(self, sio: AsyncServer, sid: Text, data: Optional[Dict]) -> None:
        namespace = self.namespace or "/"
        session_id = requested_session(data if isinstance(data, dict) else {})
        if self.session_persistence:
            await sio.enter_room(sid, session_id, namespace=namespace)
        await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
        logger.debug("User %s started session %s.", sid, session_id)
        if self.outbox is not None:
            self.outbox.wake()  # what an agent wrote while the customer was away

    async def _handle_message(
        self,
        sio: AsyncServer,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        sid: Text,
        data: Optional[Dict],
    ) -> None:
        """A customer's ``user_uttered``: to Rasa, unless it only says that the chat was opened."""
        data = data if isinstance(data, dict) else {}
        namespace = self.namespace or "/"
        output_channel = SocketIOOutput(sio, self.bot_message_evt, namespace)
        sender_id = await message_session(sio, sid, data, namespace) if self.session_persistence else sid
        if sender_id is None:
            return
        text = data.get("message")
        if is_chat_opening(text):
            await self.chat_opened(sender_id, output_channel)
            return
        message = UserMessage(
            _message_text(text),
            output_channel,
            sender_id,
            input_channel=self.name(),
            metadata=_message_metadata(data.get(self.metadata_key) or {}),
        )
        if self.session_persistence and message.text and self._other_tabs(sid, sender_id):
            await sio.emit(ANSWERED_EVT, {}, room=sender_id, skip_sid=sid, namespace=namespace)
        try:
            await on_new_message(message)
        finally:
            await sio.emit(TURN_END_EVT, {}, room=sid, namespace=namespace)


def _message_text(text: Any) -> Text:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return str(text)
    # anything else that is not text gets the bot's "I didn't get any text" answer
    return text if isinstance(text, str) else ""


def _message_metadata(metadata: Any) -> Dict[Text, Any]:
    """The message's metadata: a dict, or JSON of one; anything else is none."""
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = {}
    return metadata if isinstance(metadata, dict) else {}

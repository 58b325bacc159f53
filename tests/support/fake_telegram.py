"""A fake Telegram Bot API server on loopback, for tests (stdlib only).

    with FakeTelegram(token="123:TEST") as tg:
        bot = telegram.Bot(tg.token, base_url=tg.bot_base_url)
        ...
        tg.calls_of("sendMessage")             # every call, with its parameters
        tg.push_update({...})                  # served by getUpdates

Serves ``/bot<token>/<method>`` (GET or POST; JSON, form or query parameters)
for the methods the bot uses: getMe, setWebhook, deleteWebhook, setMyCommands,
sendMessage, sendChatAction, answerCallbackQuery, editMessageReplyMarkup,
getUpdates (long polling, capped at ``max_poll`` seconds), and for a support
group sendPhoto (by file id) and createForumTopic (chats listed in ``forums``
have topics; any other chat answers 400 "the chat is not a forum", as
Telegram does). Messages sent to a chat with a negative id are in a
supergroup; with ``message_thread_id`` they are topic messages. Other methods get
404 and a wrong token 401, as Telegram answers. Every call is recorded
(:class:`Call`); :meth:`FakeTelegram.fail` makes the next calls of a method
fail (e.g. 403 "bot was blocked by the user", 429 with retry_after).
Messages get increasing ids; sendMessage checks Telegram's limits (text 1-4096
UTF-16 units, callback_data 1-64 bytes, parse_mode entities are not checked)
and answers 400 like Telegram when they are broken. The fake remembers the
messages it sent: :meth:`FakeTelegram.keyboard` is a message's keyboard as a
client shows it now (after editMessageReplyMarkup), and taking the keyboard off a
message that has none answers 400 "message is not modified", as Telegram does.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

JSON_PARAMS = {"reply_markup", "allowed_updates", "commands", "scope", "reply_parameters", "link_preview_options"}
INT_PARAMS = {
    "chat_id",
    "message_id",
    "offset",
    "limit",
    "timeout",
    "max_connections",
    "message_thread_id",
    "reply_to_message_id",
}
BOT_USER = {
    "id": 700000001,
    "is_bot": True,
    "first_name": "Kasa Helper",
    "username": "kasa_helper_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: Dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 200
    result: Any = None  # what the fake answered (e.g. the Message a sendMessage created)


def _decode(params: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str) and key in JSON_PARAMS:
            try:
                value = json.loads(value)
            except ValueError:
                pass
        elif isinstance(value, str) and key in INT_PARAMS:
            try:
                value = int(value)
            except ValueError:
                pass
        out[key] = value
    return out


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class FakeTelegram:
    def __init__(
        self, token: str = "123456:TEST-token", host: str = "127.0.0.1", max_poll: float = 2.0, forums: Any = ()
    ):
        self.token = token
        self.forums = {int(f) for f in forums}
        self._next_thread_id = 50
        self.host = host
        self.max_poll = max_poll
        self.calls: List[Call] = []
        self._lock = threading.Condition()
        self._updates: List[Dict[str, Any]] = []
        self._next_message_id = 1000
        self._sent: Dict[Tuple[Any, int], Dict[str, Any]] = {}  # (chat_id, message_id) -> the message
        self._failures: Dict[str, List[Tuple[int, str, Optional[Dict[str, Any]]]]] = {}
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- life cycle ------------------------------------------------------------------- #

    def start(self) -> "FakeTelegram":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                fake._serve(self)

            def do_POST(self) -> None:
                fake._serve(self)

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-telegram", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeTelegram":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """Server root, for a ``base_url`` setting."""
        return f"http://{self.host}:{self.port}"

    @property
    def bot_base_url(self) -> str:
        """For ``telegram.Bot(token, base_url=...)``."""
        return f"{self.url}/bot"

    # -- test helpers ----------------------------------------------------------------- #

    def calls_of(self, method: str, **match: Any) -> List[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and all(c.params.get(k) == v for k, v in match.items())]

    def sent_messages(self, chat_id: Optional[int] = None) -> List[Dict[str, Any]]:
        """Parameters of the successful sendMessage calls (to ``chat_id``)."""
        return [
            c.params
            for c in self.calls_of("sendMessage")
            if c.status == 200 and (chat_id is None or c.params.get("chat_id") == chat_id)
        ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s; calls: {[c.method for c in self.calls]}")
            time.sleep(0.05)

    def keyboard(self, chat_id: Any, message_id: int) -> List[Dict[str, Any]]:
        """The buttons under a message the bot sent, as the customer sees them now ([] if none)."""
        with self._lock:
            sent = self._sent.get((chat_id, message_id))
        if sent is None:
            raise KeyError(f"no message {message_id} was sent to {chat_id}")
        return [b for row in (sent.get("reply_markup") or {}).get("inline_keyboard", []) for b in row]

    def clear(self) -> None:
        with self._lock:
            self.calls.clear()

    def push_update(self, update: Dict[str, Any]) -> None:
        """Queue an update for getUpdates."""
        with self._lock:
            self._updates.append(update)
            self._lock.notify_all()

    def fail(
        self,
        method: str,
        status: int = 403,
        description: str = "Forbidden: bot was blocked by the user",
        times: int = 1,
        parameters: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, description, parameters)] * times)

    # -- serving ---------------------------------------------------------------------- #

    def _params(self, handler: BaseHTTPRequestHandler) -> Dict[str, Any]:
        parsed = urllib.parse.urlsplit(handler.path)
        params: Dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        ctype = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if body and ctype == "application/json":
            params.update(json.loads(body))
        elif body and ctype == "application/x-www-form-urlencoded":
            params.update(
                {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
            )
        elif body:
            raise ValueError(f"unsupported content type {ctype!r}")
        return _decode(params)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        path = urllib.parse.urlsplit(handler.path).path
        prefix, _, method = path.rpartition("/")
        try:
            params = self._params(handler)
        except ValueError as error:
            self._reply(handler, 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"})
            return
        if prefix != f"/bot{self.token}":
            self._reply(
                handler,
                401 if prefix.startswith("/bot") else 404,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
            return
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        if failure is not None:
            status, description, parameters = failure
            call.status = status
            body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
            if parameters:
                body["parameters"] = parameters
            self._reply(handler, status, body)
            return
        status, body = self._answer(method, params)
        call.status, call.result = status, body.get("result")
        self._reply(handler, status, body)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: Dict[str, Any]) -> None:
        data = json.dumps(body).encode("utf-8")
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _message(self, chat_id: Any, **extra: Any) -> Dict[str, Any]:
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        if isinstance(chat_id, int) and chat_id < 0:
            chat = {"id": chat_id, "type": "supergroup", "title": "Support", "is_forum": chat_id in self.forums}
        else:
            chat = {"id": chat_id, "type": "private", "first_name": "Test"}
        return {"message_id": message_id, "date": int(time.time()), "chat": chat, "from": BOT_USER, **extra}

    def _placed(self, params: Dict[str, Any]) -> Dict[str, Any]:
        """Where a message went: its topic, the message it replies to."""
        extra: Dict[str, Any] = {}
        if params.get("message_thread_id"):
            extra.update(message_thread_id=params["message_thread_id"], is_topic_message=True)
        reply = params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get("message_id")
        if reply:
            extra["reply_to_message"] = {
                "message_id": reply,
                "date": int(time.time()),
                "chat": self._message(params.get("chat_id"))["chat"],
            }
        return extra

    def _answer(self, method: str, params: Dict[str, Any]) -> Tuple[int, Dict[str, Any]]:
        def ok(result: Any) -> Tuple[int, Dict[str, Any]]:
            return 200, {"ok": True, "result": result}

        def bad(description: str) -> Tuple[int, Dict[str, Any]]:
            return 400, {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}

        if method == "getMe":
            return ok(BOT_USER)
        if method in ("setWebhook", "deleteWebhook", "setMyCommands", "answerCallbackQuery"):
            return ok(True)
        if method == "sendChatAction":
            return ok(True) if params.get("chat_id") and params.get("action") else bad("bad chat action")
        if method == "sendMessage":
            text = params.get("text") or ""
            if not text.strip():
                return bad("message text is empty")
            if _utf16_len(text) > 4096:
                return bad("message is too long")
            markup = params.get("reply_markup")
            if markup is not None:
                for row in markup.get("inline_keyboard", []):
                    for button in row:
                        data = button.get("callback_data")
                        if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                            return bad("BUTTON_DATA_INVALID")
            extra = {"text": text, **self._placed(params)}
            if markup is not None:
                extra["reply_markup"] = markup
            message = self._message(params.get("chat_id"), **extra)
            with self._lock:
                self._sent[(params.get("chat_id"), message["message_id"])] = json.loads(json.dumps(message))
            return ok(message)
        if method == "sendPhoto":
            photo = params.get("photo")
            if not isinstance(photo, str) or not photo:
                return bad("there is no photo in the request")
            sizes = [{"file_id": photo, "file_unique_id": photo[-8:], "width": 1280, "height": 720}]
            extra = {"photo": sizes, **self._placed(params)}
            if params.get("caption"):
                extra["caption"] = params["caption"]
            return ok(self._message(params.get("chat_id"), **extra))
        if method == "createForumTopic":
            if params.get("chat_id") not in self.forums:
                return bad("the chat is not a forum")
            name = params.get("name") or ""
            if not 1 <= len(name) <= 128:
                return bad("TOPIC_NAME_INVALID")
            with self._lock:
                self._next_thread_id += 1
                thread = self._next_thread_id
            return ok({"message_thread_id": thread, "name": name, "icon_color": 7322096})
        if method == "editMessageReplyMarkup":
            if not params.get("chat_id") or not params.get("message_id"):
                return bad("message identifier is not specified")
            markup = params.get("reply_markup") or None
            with self._lock:
                known = self._sent.get((params["chat_id"], params["message_id"]))
                if known is not None:
                    if (known.get("reply_markup") or None) == markup:
                        return bad(
                            "message is not modified: specified new message content and reply markup are "
                            "exactly the same as a current content and reply markup of the message"
                        )
                    known.pop("reply_markup", None)
                    if markup:
                        known["reply_markup"] = markup
            result = dict(known) if known is not None else self._message(params["chat_id"], text="(edited)")
            result["message_id"] = params["message_id"]
            if markup:
                result["reply_markup"] = markup
            return ok(result)
        if method == "getUpdates":
            return ok(self._get_updates(params))
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}

    def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = params.get("offset")
        timeout = min(float(params.get("timeout") or 0), self.max_poll)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if offset is not None:
                    self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
                if self._updates or time.monotonic() >= deadline or self._server is None:
                    return list(self._updates[:100])
                self._lock.wait(timeout=max(0.0, deadline - time.monotonic()))

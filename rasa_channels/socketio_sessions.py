"""Session persistence for the socket.io channel: a conversation that outlives its socket.

With ``session_persistence: true`` the client names its session (``session_request``,
then ``session_id`` in every message); its sockets join a room named after the session
and the bot's replies go to that room, so a reconnected socket or another tab of the
same browser still gets them. Rasa 3.6 calls ``sio.enter_room`` without ``await``, which
since python-socketio 5.10 leaves the room empty and drops every reply; here it is awaited.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Dict, Optional, Text

import rasa.shared.utils.io
from socketio import AsyncServer

# A session id the browser may bring back. Never all digits (a Telegram chat id is one) and never a
# namespaced id with ":" ("rest:alice"): a web page must not continue another channel's conversation.
SESSION_ID = re.compile(r"^(?!-?[0-9]+$)[A-Za-z0-9_.@-]{1,128}$")


def is_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(SESSION_ID.match(value))


def requested_session(data: Dict) -> Text:
    """The session a ``session_request`` asks for; a new one if it names none, or a malformed one."""
    session_id = data.get("session_id")
    return session_id if is_session_id(session_id) else uuid.uuid4().hex


async def message_session(sio: AsyncServer, sid: Text, data: Dict, namespace: Text) -> Optional[Text]:
    """The session of a customer's message, its socket in the session's room; None (the message is
    ignored) if the message names no valid session."""
    session_id = data.get("session_id")
    if not is_session_id(session_id):
        rasa.shared.utils.io.raise_warning(
            "A message without a valid session_id was received. This "
            "message will be ignored. Make sure to set a proper session "
            "id using the `session_request` socketIO event."
        )
        return None
    if session_id not in sio.rooms(sid, namespace=namespace):
        # e.g. reconnected with a new sid and sent before session_request
        await sio.enter_room(sid, session_id, namespace=namespace)
    return session_id


def session_sockets(sio: AsyncServer, namespace: Text, session_id: Text) -> Any:
    """This server's sockets in the session's room (none when the customer is not connected here)."""
    return sio.manager.rooms.get(namespace, {}).get(session_id) or {}

"""The socket.io channel's output: the bot's messages to the customer's socket or session room."""

from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.channels import socketio as rasa_socketio
from socketio import AsyncServer

from rasa_channels.socketio_markdown import markdown_safe


class SocketIOOutput(rasa_socketio.SocketIOOutput):
    """Rasa's socket.io output, emitting in the channel's namespace. A support agent's message
    carries the agent's name (``"agent": "Alice"``), which the web chat shows; other clients see
    it in the text."""

    def __init__(self, sio: AsyncServer, bot_message_evt: Text, namespace: Optional[Text] = None) -> None:
        super().__init__(sio, bot_message_evt)
        self.namespace = namespace
        self._agent: Optional[Text] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        agent = message.pop("agent", None) if isinstance(message, dict) else None
        self._agent = agent if isinstance(agent, str) and agent.strip() else None
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._agent = None

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if isinstance(response, dict) and isinstance(response.get("text"), str):
            # Rasa split the text at blank lines already; each part is one bubble
            response = {**response, "text": markdown_safe(response["text"].strip("\n"))}
        if isinstance(response, dict) and self._agent:
            response = {**response, "agent": self._agent}
        await self.sio.emit(self.bot_message_evt, response, room=socket_id, namespace=self.namespace)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        json_message.setdefault("room", recipient_id)
        json_message.setdefault("namespace", self.namespace)
        await self.sio.emit(self.bot_message_evt, **json_message)

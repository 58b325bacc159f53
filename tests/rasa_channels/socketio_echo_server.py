"""A Sanic app with a socket.io channel and a fake agent that echoes, for channel tests.

    python -m tests.rasa_channels.socketio_echo_server --port 5123 --channel fixed|rasa [--no-persistence]

It is wired like `rasa run` wires a channel (rasa.server.configure_cors with
"*", then rasa.core.channels.channel.register), but instead of a model the
"agent" answers every message with ``echo <sender id>: <text>`` plus one button, sent
through the channel's output channel to the message's sender id: exactly the
path Rasa's replies take. No training needed, starts in a few seconds.

Like Rasa's agent it keeps every message in a tracker store (in memory), so the
channel can tell a new conversation from one the customer has written in. A
message ``/say <JSON string>`` is answered with exactly that string (no echo
prefix, no button): bot text chosen by a test, sent as Rasa sends text.
"""

from __future__ import annotations

import argparse
import json
import logging

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import UserMessage, register
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.server import configure_cors
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered
from sanic import Sanic

from rasa_channels import socketio_channel

SAY = "/say "


class EchoAgent:
    def __init__(self) -> None:
        self.tracker_store = InMemoryTrackerStore(Domain.empty())

    async def handle_message(self, message: UserMessage) -> None:
        tracker = await self.tracker_store.get_or_create_tracker(message.sender_id)
        tracker.update(UserUttered(message.text, input_channel=message.input_channel))
        await self.tracker_store.save(tracker)
        if message.text and message.text.startswith(SAY):
            await message.output_channel.send_text_message(message.sender_id, json.loads(message.text[len(SAY) :]))
            return
        await message.output_channel.send_text_with_buttons(
            message.sender_id,
            f"echo {message.sender_id}: {message.text}",
            [{"title": "Again", "payload": "/again"}],
        )


def build_app(channel_kind: str, persistence: bool, cors: str = "*") -> Sanic:
    credentials = {
        "user_message_evt": "user_uttered",
        "bot_message_evt": "bot_uttered",
        "session_persistence": persistence,
    }
    if channel_kind == "rasa":
        channel = rasa_socketio.SocketIOInput.from_credentials(credentials)
    else:
        channel = socketio_channel.SocketIOInput.from_credentials(credentials)
    app = Sanic(f"socketio_echo_{channel_kind}")
    app.ctx.agent = EchoAgent()
    configure_cors(app, cors)
    register([channel], app, route="/webhooks/")
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--channel", choices=["fixed", "rasa"], default="fixed")
    parser.add_argument("--no-persistence", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    app = build_app(args.channel, not args.no_persistence)
    app.run(host=args.host, port=args.port, access_log=False, workers=1)


if __name__ == "__main__":
    main()

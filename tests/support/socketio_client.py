"""A socket.io client speaking Rasa's protocol, for the channel tests.

async with client(url, origin="http://localhost:3000") as chat:
    session_id = await chat.session()
    await chat.say("hello", session_id)
    reply = await chat.reply()           # the next bot_uttered data
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List, Optional

import socketio

REPLY_TIMEOUT = 10.0
NO_REPLY_WAIT = 3.0


class ChatClient:
    """A socket.io client speaking Rasa's protocol; collects what the server emits.

    It uses the HTTP long-polling transport: python-engineio 4.15's websocket
    client needs aiohttp >= 3.10 (ClientWSTimeout) and Rasa 3.6 pins an older
    aiohttp. The browser tests (tests/e2e/test_webchat.py) use websockets.
    """

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.bot: "asyncio.Queue[Dict[str, Any]]" = asyncio.Queue()
        self.confirms: "asyncio.Queue[Any]" = asyncio.Queue()
        self.sio.on("bot_uttered", self.bot.put_nowait)
        self.sio.on("session_confirm", self.confirms.put_nowait)
        self.answered: "asyncio.Queue[Any]" = asyncio.Queue()  # kasa_answered: another tab sent a message
        self.sio.on("kasa_answered", self.answered.put_nowait)

    async def connect(self, url: str, origin: Optional[str] = None, transport: str = "polling") -> None:
        headers = {"Origin": origin} if origin else {}
        await self.sio.connect(url, headers=headers, transports=[transport], wait_timeout=10)

    async def session(self, session_id: Optional[str] = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirms.get(), REPLY_TIMEOUT)

    async def say(self, text: str, session_id: Optional[str]) -> None:
        data: Dict[str, Any] = {"message": text}
        if session_id is not None:
            data["session_id"] = session_id
        await self.sio.emit("user_uttered", data)

    async def reply(self, timeout: float = REPLY_TIMEOUT) -> Dict[str, Any]:
        return await asyncio.wait_for(self.bot.get(), timeout)

    async def replies_until(self, predicate, timeout: float = 60) -> List[Dict[str, Any]]:
        """Bot messages until one satisfies ``predicate`` (and any that follow within 1.5s)."""
        got: List[Dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while not got or not predicate(got[-1]):
            got.append(await asyncio.wait_for(self.bot.get(), max(0.1, deadline - time.monotonic())))
        while True:
            try:
                got.append(await asyncio.wait_for(self.bot.get(), 1.5))
            except asyncio.TimeoutError:
                return got

    async def no_reply(self, wait: float = NO_REPLY_WAIT) -> bool:
        try:
            await asyncio.wait_for(self.bot.get(), wait)
        except asyncio.TimeoutError:
            return True
        return False

    async def close(self) -> None:
        """Disconnect without waiting for the pending long-poll (up to pingInterval, 25 s)."""
        eio = self.sio.eio
        if self.sio.connected:
            await eio.disconnect(abort=True)
        for task in (getattr(eio, "read_loop_task", None), getattr(eio, "write_loop_task", None)):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        if eio.http is not None and not eio.http.closed:
            await eio.http.close()


@asynccontextmanager
async def client(url: str, origin: Optional[str] = None, transport: str = "polling") -> AsyncIterator[ChatClient]:
    chat = ChatClient()
    await chat.connect(url, origin=origin, transport=transport)
    try:
        yield chat
    finally:
        await chat.close()

"""Telegram Update JSON as the Bot API sends it (https://core.telegram.org/bots/api#update).

Plain dicts, so tests can post them to the webhook, queue them on the fake
server for getUpdates, or parse them with ``telegram.Update.de_json``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

from tests.support.fake_telegram import BOT_USER

_update_ids = itertools.count(500_000_000)
_message_ids = itertools.count(1)


def next_update_id() -> int:
    return next(_update_ids)


def user(user_id: int, first_name: str = "Dana") -> Dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "en"}


def private_chat(chat_id: int, first_name: str = "Dana") -> Dict[str, Any]:
    return {"id": chat_id, "first_name": first_name, "type": "private"}


def message(chat_id: int, **content: Any) -> Dict[str, Any]:
    """A message from the user ``chat_id`` in their private chat with the bot."""
    return {
        "message_id": next(_message_ids),
        "from": user(chat_id),
        "chat": private_chat(chat_id),
        "date": int(time.time()),
        **content,
    }


def update(**content: Any) -> Dict[str, Any]:
    return {"update_id": next_update_id(), **content}


def text_update(chat_id: int, text: str) -> Dict[str, Any]:
    content: Dict[str, Any] = {"text": text}
    if text.startswith("/"):
        length = len(text.split(" ", 1)[0])
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return update(message=message(chat_id, **content))


def callback_update(chat_id: int, sent: Dict[str, Any], data: str) -> Dict[str, Any]:
    """The user pressed a button with ``data`` under ``sent`` (a message the bot sent, as the
    Bot API returned it: message_id, chat, from, text, reply_markup)."""
    return update(
        callback_query={
            "id": str(next_update_id() * 7),
            "from": user(chat_id),
            "message": sent,
            "chat_instance": f"-{chat_id}42",
            "data": data,
        }
    )


def photo_update(chat_id: int, file_id: str, caption: Optional[str] = None) -> Dict[str, Any]:
    """The user sent a photo (Telegram sends several sizes; the last is the largest)."""
    sizes = [
        {"file_id": file_id + "-small", "file_unique_id": file_id[-6:] + "s", "width": 90, "height": 60},
        {"file_id": file_id, "file_unique_id": file_id[-6:], "width": 1280, "height": 853},
    ]
    content: Dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return update(message=message(chat_id, **content))


def group_chat(chat_id: int, forum: bool = True) -> Dict[str, Any]:
    return {"id": chat_id, "title": "Kasa support", "type": "supergroup", "is_forum": forum}


def group_message(
    chat_id: int,
    agent_id: int,
    text: str,
    *,
    agent_name: str = "Alice",
    thread_id: Optional[int] = None,
    reply_to: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """An agent wrote ``text`` in the support group: in topic ``thread_id``, or in reply to ``reply_to``
    (a message as the Bot API returned it)."""
    content: Dict[str, Any] = {
        "message_id": next(_message_ids),
        "from": user(agent_id, agent_name),
        "chat": group_chat(chat_id, forum=thread_id is not None),
        "date": int(time.time()),
        "text": text,
    }
    if text.startswith("/"):
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split(" ", 1)[0])}]
    if thread_id is not None:
        content.update(message_thread_id=thread_id, is_topic_message=True)
    if reply_to is not None:
        content["reply_to_message"] = reply_to
    return update(message=content)


def group_callback(chat_id: int, agent_id: int, sent: Dict[str, Any], data: str, agent_name: str = "Alice"):
    """An agent pressed a button with ``data`` under ``sent`` in the support group."""
    return update(
        callback_query={
            "id": str(next_update_id() * 7),
            "from": user(agent_id, agent_name),
            "message": sent,
            "chat_instance": f"{chat_id}99",
            "data": data,
        }
    )


def bot_message(
    chat_id: int, message_id: int, text: str, reply_markup: Optional[Dict[str, Any]] = None
) -> Dict[str, Any]:
    """A message of the bot as a callback query carries it."""
    sent = {
        "message_id": message_id,
        "from": BOT_USER,
        "chat": private_chat(chat_id),
        "date": int(time.time()),
        "text": text,
    }
    if reply_markup:
        sent["reply_markup"] = reply_markup
    return sent


def _file(prefix: str, **extra: Any) -> Dict[str, Any]:
    return {"file_id": f"{prefix}-file-id", "file_unique_id": f"{prefix}-unique", **extra}


def _member(status: str, who: Dict[str, Any]) -> Dict[str, Any]:
    member = {"user": who, "status": status}
    if status == "kicked":
        member["until_date"] = 0
    return member


def _poll(api_9_6: bool = True) -> Dict[str, Any]:
    """A poll; ``api_9_6=False`` leaves out the options' persistent_id (older Bot API), which PTB 22.8
    refuses to read."""
    options = [{"text": "KC120", "voter_count": 0}, {"text": "KC110", "voter_count": 0}]
    poll = {
        "id": "5512",
        "question": "Which camera?",
        "options": options,
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
    }
    if api_9_6:
        for i, option in enumerate(options):
            option["persistent_id"] = f"opt{i}"
        poll.update(allows_revoting=False, members_only=False)
    return poll


def non_text_updates(chat_id: int) -> List[Tuple[str, Dict[str, Any], Optional[str]]]:
    """(name, update, what the bot should say) for updates that are not plain text messages.

    The expected answer is a substring of the reply, or None when the bot
    must send nothing.
    """
    u, chat = user(chat_id), private_chat(chat_id)
    channel = {"id": -1001234567890, "title": "Shop news", "type": "channel"}
    now = int(time.time())
    cases: List[Tuple[str, Callable[[], Dict[str, Any]], Optional[str]]] = [
        (
            "photo",
            lambda: update(
                message=message(
                    chat_id,
                    photo=[
                        _file("p1", width=90, height=67, file_size=1000),
                        _file("p2", width=1280, height=960, file_size=90000),
                    ],
                )
            ),
            "only read text",
        ),
        (
            "sticker",
            lambda: update(
                message=message(
                    chat_id,
                    sticker=_file(
                        "s", type="regular", width=512, height=512, is_animated=False, is_video=False, emoji="👍"
                    ),
                )
            ),
            "only read text",
        ),
        (
            "voice",
            lambda: update(message=message(chat_id, voice=_file("v", duration=3, mime_type="audio/ogg"))),
            "can't listen",
        ),
        (
            "audio",
            lambda: update(message=message(chat_id, audio=_file("a", duration=100, title="beep"))),
            "can't listen",
        ),
        (
            "video",
            lambda: update(message=message(chat_id, video=_file("vd", width=640, height=480, duration=7))),
            "only read text",
        ),
        (
            "video_note",
            lambda: update(message=message(chat_id, video_note=_file("vn", length=240, duration=5))),
            "only read text",
        ),
        (
            "animation",
            lambda: update(
                message=message(
                    chat_id,
                    animation=_file("an", width=320, height=240, duration=2),
                    document=_file("an", file_name="blink.gif.mp4", mime_type="video/mp4"),
                )
            ),
            "only read text",
        ),
        (
            "document",
            lambda: update(
                message=message(
                    chat_id, document=_file("d", file_name="camera-log.txt", mime_type="text/plain", file_size=2048)
                )
            ),
            "only read text",
        ),
        (
            "location",
            lambda: update(message=message(chat_id, location={"latitude": 52.52, "longitude": 13.405})),
            "don't need a location",
        ),
        (
            "venue",
            lambda: update(
                message=message(
                    chat_id,
                    location={"latitude": 52.52, "longitude": 13.405},
                    venue={
                        "location": {"latitude": 52.52, "longitude": 13.405},
                        "title": "Shop",
                        "address": "Main St 1",
                    },
                )
            ),
            "don't need a location",
        ),
        (
            "contact",
            lambda: update(
                message=message(
                    chat_id, contact={"phone_number": "+4915112345678", "first_name": "Dana", "user_id": chat_id}
                )
            ),
            "can't use contacts",
        ),
        ("poll message", lambda: update(message=message(chat_id, poll=_poll())), "only read text"),
        (
            "poll message PTB cannot read",
            lambda: update(message=message(chat_id, poll=_poll(api_9_6=False))),
            "only read text",
        ),
        ("dice", lambda: update(message=message(chat_id, dice={"emoji": "🎲", "value": 3})), "only read text"),
        (
            "edited_message",
            lambda: update(
                edited_message={**message(chat_id, text="my camera is offline since yesterday"), "edit_date": now}
            ),
            "not edits",
        ),
        (
            "my_chat_member: user blocked the bot",
            lambda: update(
                my_chat_member={
                    "chat": chat,
                    "from": u,
                    "date": now,
                    "old_chat_member": _member("member", BOT_USER),
                    "new_chat_member": _member("kicked", BOT_USER),
                }
            ),
            None,
        ),
        (
            "my_chat_member: user unblocked the bot",
            lambda: update(
                my_chat_member={
                    "chat": chat,
                    "from": u,
                    "date": now,
                    "old_chat_member": _member("kicked", BOT_USER),
                    "new_chat_member": _member("member", BOT_USER),
                }
            ),
            None,
        ),
        (
            "channel_post",
            lambda: update(
                channel_post={
                    "message_id": 7,
                    "sender_chat": channel,
                    "chat": channel,
                    "date": now,
                    "text": "New cameras in stock",
                }
            ),
            None,
        ),
        (
            "edited_channel_post",
            lambda: update(
                edited_channel_post={
                    "message_id": 7,
                    "sender_chat": channel,
                    "chat": channel,
                    "date": now,
                    "edit_date": now,
                    "text": "New cameras in stock!",
                }
            ),
            None,
        ),
        ("poll", lambda: update(poll=_poll()), None),
        ("poll PTB cannot read", lambda: update(poll=_poll(api_9_6=False)), None),
        (
            "poll_answer",
            lambda: update(
                poll_answer={"poll_id": "5512", "user": u, "option_ids": [0], "option_persistent_ids": ["opt0"]}
            ),
            None,
        ),
        ("inline_query", lambda: update(inline_query={"id": "881", "from": u, "query": "kc120", "offset": ""}), None),
        (
            "chat_member",
            lambda: update(
                chat_member={
                    "chat": {"id": -100555, "title": "Kasa owners", "type": "supergroup"},
                    "from": u,
                    "date": now,
                    "old_chat_member": _member("left", u),
                    "new_chat_member": _member("member", u),
                }
            ),
            None,
        ),
        (
            "chat_join_request",
            lambda: update(
                chat_join_request={
                    "chat": {"id": -100555, "title": "Kasa owners", "type": "supergroup"},
                    "from": u,
                    "user_chat_id": chat_id,
                    "date": now,
                }
            ),
            None,
        ),
        (
            "message_reaction",
            lambda: update(
                message_reaction={
                    "chat": chat,
                    "message_id": 5,
                    "user": u,
                    "date": now,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                }
            ),
            None,
        ),
        (
            "service: pinned message",
            lambda: update(message=message(chat_id, pinned_message=bot_message(chat_id, 5, "Hi!"))),
            None,
        ),
        ("unknown update type", lambda: update(some_future_update={"id": 1, "what": "not in the Bot API yet"}), None),
    ]
    return [(name, make(), expected) for name, make, expected in cases]

"""A small terminal chat client for the Rasa REST channel (stdlib only).

    python -m bot.clients.terminal_chat [--url URL] [--sender ID]

Each line typed is posted to the REST webhook as ``{"sender", "message"}``;
the bot's answers are printed, and buttons are numbered across the whole
answer so that typing a number sends that button's payload. ``/quit`` (or
end of input) leaves. Anything else starting with ``/`` is sent as is, which
Rasa reads as an intent (``/greet``).
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, List, Optional, Sequence, TextIO, Tuple

from bot import settings

QUIT_COMMANDS = frozenset({"/quit", "/exit"})
BOT_PREFIX = "Bot: "
PROMPT = "You: "


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass
class BotMessage:
    """One message of the bot, as the REST channel returns it."""

    text: Optional[str] = None
    buttons: List[Button] = field(default_factory=list)
    image: Optional[str] = None
    attachment: Any = None
    custom: Any = None


@dataclass(frozen=True)
class Send:
    """The user's input resolved to a message to post."""

    message: str
    echo: Optional[str] = None  # what to show, e.g. the pressed button's title


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Complaint:
    """The input cannot be sent as it is; tell the user why."""

    reason: str


Action = Any  # Send | Quit | Complaint | None (nothing to do)


class ChatError(RuntimeError):
    """The Rasa server could not be reached or answered nonsense."""


# --------------------------------------------------------------------------- #
# Parsing and formatting
# --------------------------------------------------------------------------- #


def build_payload(sender: str, message: str) -> dict:
    return {"sender": sender, "message": message}


def _parse_buttons(raw: Any) -> List[Button]:
    buttons = []
    for item in raw or []:
        if not isinstance(item, dict):
            continue
        title = str(item.get("title") or item.get("payload") or "").strip()
        payload = item.get("payload")
        if payload is None:
            payload = title
        if title or payload:
            buttons.append(Button(title=title or str(payload), payload=str(payload)))
    return buttons


def parse_reply(data: Any) -> List[BotMessage]:
    """Turn the REST channel's JSON answer (a list of dicts) into messages."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ChatError(f"unexpected answer from the REST channel: {data!r}")
    messages = []
    for item in data:
        if not isinstance(item, dict):
            continue
        messages.append(
            BotMessage(
                text=item.get("text"),
                buttons=_parse_buttons(item.get("buttons")),
                image=item.get("image"),
                attachment=item.get("attachment"),
                custom=item.get("custom"),
            )
        )
    return messages


def format_reply(messages: Sequence[BotMessage]) -> Tuple[str, List[Button]]:
    """Render messages as text; return it and the buttons in numbering order.

    Buttons are numbered from 1 across all messages of one answer.
    """
    lines: List[str] = []
    buttons: List[Button] = []
    for message in messages:
        if message.text:
            text_lines = str(message.text).splitlines() or [""]
            lines.append(BOT_PREFIX + text_lines[0])
            lines.extend(" " * len(BOT_PREFIX) + line for line in text_lines[1:])
        if message.image:
            lines.append(f"{BOT_PREFIX}[image] {message.image}")
        if message.attachment:
            lines.append(f"{BOT_PREFIX}[attachment] {_compact(message.attachment)}")
        if message.custom:
            lines.append(f"{BOT_PREFIX}[custom] {_compact(message.custom)}")
        for button in message.buttons:
            buttons.append(button)
            lines.append(f"  [{len(buttons)}] {button.title}")
    if buttons:
        lines.append(f"  (type 1-{len(buttons)} to choose)" if len(buttons) > 1 else "  (type 1 to choose)")
    return "\n".join(lines), buttons


def _compact(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def resolve_input(line: str, buttons: Sequence[Button]) -> Action:
    """Decide what a typed line means given the buttons currently offered."""
    text = line.strip()
    if not text:
        return None
    if text.lower() in QUIT_COMMANDS:
        return Quit()
    if text.isdigit() and buttons:
        index = int(text)
        if 1 <= index <= len(buttons):
            button = buttons[index - 1]
            return Send(message=button.payload, echo=button.title)
        return Complaint(f"there is no button {index}; choose 1-{len(buttons)} or type a message")
    return Send(message=text)


# --------------------------------------------------------------------------- #
# Talking to the server
# --------------------------------------------------------------------------- #


def post_message(url: str, sender: str, message: str, timeout: float = 60.0) -> List[BotMessage]:
    """Post one message to the REST webhook and return the bot's answer."""
    body = json.dumps(build_payload(sender, message)).encode("utf-8")
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise ChatError(f"the server answered HTTP {error.code} at {url}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ChatError(f"cannot reach the Rasa server at {url} ({reason}); is scripts/run running?") from error
    try:
        data = json.loads(raw) if raw.strip() else []
    except ValueError as error:
        raise ChatError(f"the server did not answer JSON: {raw[:200]!r}") from error
    return parse_reply(data)


Poster = Callable[[str, str, str], List[BotMessage]]


def chat(
    url: str,
    sender: str,
    lines: Iterable[str],
    out: TextIO,
    post: Poster = post_message,
) -> int:
    """The chat loop; ``lines`` is the user's input, one message per line."""
    buttons: List[Button] = []
    for line in lines:
        action = resolve_input(line, buttons)
        if isinstance(action, Quit):
            break
        if isinstance(action, Complaint):
            print(action.reason, file=out)
        elif isinstance(action, Send):
            if action.echo:
                print(f"> {action.echo}", file=out)
            try:
                messages = post(url, sender, action.message)
            except ChatError as error:
                print(f"error: {error}", file=out)
            else:
                text, buttons = format_reply(messages)
                print(text if text else "(no answer)", file=out)
        out.flush()
    return 0


def _stdin_lines(interactive: bool) -> Iterable[str]:
    while True:
        try:
            line = input(PROMPT) if interactive else sys.stdin.readline()
        except EOFError:
            return
        if not interactive and line == "":
            return
        yield line


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        url = settings.rasa_rest_url()
    except settings.SettingError as error:
        print(f"chat: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(
        prog="scripts/chat", description="Chat with the bot through the Rasa REST channel."
    )
    parser.add_argument(
        "--url",
        default=url,
        help="REST webhook URL (default: %(default)s)",
    )
    parser.add_argument(
        "--sender",
        default=None,
        help="conversation id; reuse one to continue a conversation (default: a new one)",
    )
    args = parser.parse_args(argv)
    sender = args.sender or f"terminal-{uuid.uuid4().hex[:8]}"
    interactive = sys.stdin.isatty()
    if interactive:
        try:
            import readline  # noqa: F401  (line editing and history for input())
        except ImportError:
            pass
        print(f"Chatting with {args.url} as '{sender}'. Type /quit to leave.")
    try:
        return chat(args.url, sender, _stdin_lines(interactive), sys.stdout)
    except KeyboardInterrupt:
        print()
        return 0
    finally:
        if interactive:
            print("Bye.")


if __name__ == "__main__":
    sys.exit(main())

"""Tests of the terminal chat client: parsing, formatting, input, and HTTP."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Iterator, List, Tuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.clients.terminal_chat import (
    BotMessage,
    Button,
    ChatError,
    Complaint,
    Quit,
    Send,
    build_payload,
    chat,
    format_reply,
    main,
    parse_reply,
    post_message,
    resolve_input,
)

CAMERA_REPLY = [
    {"recipient_id": "u1", "text": "Which light does the camera show?"},
    {
        "recipient_id": "u1",
        "text": "Pick one:",
        "buttons": [
            {"title": "Solid red", "payload": '/inform{"led":"red"}'},
            {"title": "Blinking green", "payload": '/inform{"led":"green_blink"}'},
        ],
    },
]


# --------------------------------------------------------------------------- #
# Parsing
# --------------------------------------------------------------------------- #


def test_build_payload() -> None:
    assert build_payload("u1", "hi") == {"sender": "u1", "message": "hi"}


def test_parse_reply_reads_texts_and_buttons() -> None:
    messages = parse_reply(CAMERA_REPLY)
    assert [m.text for m in messages] == ["Which light does the camera show?", "Pick one:"]
    assert messages[0].buttons == []
    assert messages[1].buttons == [
        Button("Solid red", '/inform{"led":"red"}'),
        Button("Blinking green", '/inform{"led":"green_blink"}'),
    ]


def test_parse_reply_reads_images_attachments_and_custom() -> None:
    (message,) = parse_reply([{"recipient_id": "u", "image": "http://x/y.png", "custom": {"kind": "ticket", "id": 7}}])
    assert message.text is None
    assert message.image == "http://x/y.png"
    assert message.custom == {"kind": "ticket", "id": 7}


def test_parse_reply_tolerates_odd_buttons_and_items() -> None:
    messages = parse_reply(
        [
            "not a dict",
            {
                "text": "x",
                "buttons": [
                    {"title": "No payload"},
                    {"payload": "/only_payload"},
                    {},
                    "junk",
                ],
            },
        ]
    )
    assert len(messages) == 1
    assert messages[0].buttons == [
        Button("No payload", "No payload"),
        Button("/only_payload", "/only_payload"),
    ]


@pytest.mark.parametrize("data", [None, []])
def test_parse_reply_empty(data) -> None:
    assert parse_reply(data) == []


def test_parse_reply_rejects_non_list() -> None:
    with pytest.raises(ChatError):
        parse_reply({"error": "nope"})


# --------------------------------------------------------------------------- #
# Formatting
# --------------------------------------------------------------------------- #


def test_format_reply_numbers_buttons_across_messages() -> None:
    messages = [
        BotMessage(text="First", buttons=[Button("A", "/a")]),
        BotMessage(text="Second\nline two", buttons=[Button("B", "/b"), Button("C", "/c")]),
    ]
    text, buttons = format_reply(messages)
    assert text.splitlines() == [
        "Bot: First",
        "  [1] A",
        "Bot: Second",
        "     line two",
        "  [2] B",
        "  [3] C",
        "  (type 1-3 to choose)",
    ]
    assert [b.payload for b in buttons] == ["/a", "/b", "/c"]


def test_format_reply_single_button_hint_and_extras() -> None:
    text, buttons = format_reply(
        [BotMessage(image="http://img", custom={"b": 1, "a": 2}, buttons=[Button("Go", "/go")])]
    )
    assert text.splitlines() == [
        "Bot: [image] http://img",
        'Bot: [custom] {"a": 2, "b": 1}',
        "  [1] Go",
        "  (type 1 to choose)",
    ]
    assert buttons == [Button("Go", "/go")]


def test_format_reply_without_messages() -> None:
    assert format_reply([]) == ("", [])


@given(st.lists(st.lists(st.text(min_size=1, max_size=5), max_size=4), max_size=4))
def test_format_reply_numbering_matches_button_order(titles_per_message) -> None:
    messages = [
        BotMessage(text="t", buttons=[Button(t, f"/p{i}-{j}") for j, t in enumerate(titles)])
        for i, titles in enumerate(titles_per_message)
    ]
    _, buttons = format_reply(messages)
    assert buttons == [b for m in messages for b in m.buttons]
    for number, button in enumerate(buttons, start=1):
        assert resolve_input(str(number), buttons) == Send(button.payload, echo=button.title)


# --------------------------------------------------------------------------- #
# Input
# --------------------------------------------------------------------------- #

BUTTONS = [Button("Solid red", "/red"), Button("Blinking green", "/green")]


@pytest.mark.parametrize(
    "line, buttons, expected",
    [
        ("2", BUTTONS, Send("/green", echo="Blinking green")),
        (" 1 \n", BUTTONS, Send("/red", echo="Solid red")),
        ("3", BUTTONS, Complaint("there is no button 3; choose 1-2 or type a message")),
        ("0", BUTTONS, Complaint("there is no button 0; choose 1-2 or type a message")),
        ("2", [], Send("2")),  # no buttons offered: a number is just text
        ("my camera is offline", BUTTONS, Send("my camera is offline")),
        ("/greet", BUTTONS, Send("/greet")),
        ("/quit", BUTTONS, Quit()),
        ("/QUIT", [], Quit()),
        ("/exit", [], Quit()),
        ("   ", BUTTONS, None),
        ("", [], None),
    ],
)
def test_resolve_input(line, buttons, expected) -> None:
    assert resolve_input(line, buttons) == expected


# --------------------------------------------------------------------------- #
# The chat loop (fake server)
# --------------------------------------------------------------------------- #


class FakeServer:
    def __init__(self, replies: List[List[BotMessage]]):
        self.replies = list(replies)
        self.sent: List[Tuple[str, str, str]] = []

    def __call__(self, url: str, sender: str, message: str) -> List[BotMessage]:
        self.sent.append((url, sender, message))
        return self.replies.pop(0) if self.replies else []


def test_chat_presses_buttons_by_number_and_quits() -> None:
    server = FakeServer(
        [
            [BotMessage(text="Which light?", buttons=BUTTONS)],
            [BotMessage(text="Solid red means no power.")],
        ]
    )
    out = io.StringIO()
    status = chat("http://bot", "u1", ["my camera is dead\n", "1\n", "/quit\n", "never sent\n"], out, post=server)

    assert status == 0
    assert server.sent == [("http://bot", "u1", "my camera is dead"), ("http://bot", "u1", "/red")]
    assert out.getvalue().splitlines() == [
        "Bot: Which light?",
        "  [1] Solid red",
        "  [2] Blinking green",
        "  (type 1-2 to choose)",
        "> Solid red",
        "Bot: Solid red means no power.",
    ]


def test_chat_complains_about_bad_numbers_and_reports_errors() -> None:
    def failing(url, sender, message):
        raise ChatError("cannot reach the Rasa server")

    server = FakeServer([[BotMessage(text="Pick", buttons=BUTTONS)], []])
    out = io.StringIO()
    chat("u", "s", ["hi", "9", "2"], out, post=server)
    assert [m for _, _, m in server.sent] == ["hi", "/green"]
    lines = out.getvalue().splitlines()
    assert "there is no button 9; choose 1-2 or type a message" in lines
    assert lines[-1] == "(no answer)"

    out = io.StringIO()
    chat("u", "s", ["hi"], out, post=failing)
    assert out.getvalue() == "error: cannot reach the Rasa server\n"


# --------------------------------------------------------------------------- #
# HTTP against a local stub of the REST channel
# --------------------------------------------------------------------------- #


@pytest.fixture
def stub_rest_server() -> Iterator[Tuple[str, list]]:
    received: list = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length", 0))
            payload = json.loads(self.rfile.read(length))
            received.append((self.path, self.headers.get("Content-Type"), payload))
            if payload["message"] == "boom":
                self.send_response(500)
                self.end_headers()
                return
            body = json.dumps(CAMERA_REPLY).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/webhooks/rest/webhook", received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_post_message_round_trip(stub_rest_server) -> None:
    url, received = stub_rest_server
    messages = post_message(url, "u1", "camera offline")
    assert received == [("/webhooks/rest/webhook", "application/json", {"sender": "u1", "message": "camera offline"})]
    assert messages == parse_reply(CAMERA_REPLY)


def test_post_message_http_error(stub_rest_server) -> None:
    url, _ = stub_rest_server
    with pytest.raises(ChatError, match="HTTP 500"):
        post_message(url, "u1", "boom")


def test_post_message_unreachable_server_says_what_to_do() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(ChatError, match="is scripts/run running"):
        post_message(f"http://127.0.0.1:{port}/webhooks/rest/webhook", "u1", "hi", timeout=5)


def test_main_reads_piped_stdin(stub_rest_server, monkeypatch, capsys) -> None:
    url, received = stub_rest_server
    monkeypatch.setattr("sys.stdin", io.StringIO("hello\n2\n/quit\n"))
    assert main(["--url", url, "--sender", "pipe"]) == 0
    assert [p["message"] for _, _, p in received] == ["hello", '/inform{"led":"green_blink"}']
    out = capsys.readouterr().out
    assert "Bot: Which light does the camera show?" in out
    assert "> Blinking green" in out

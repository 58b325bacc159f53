"""Rasa's bot messages as Telegram messages (bot/clients/telegram/outgoing.py): plain text, buttons. No network."""

from bot.clients.telegram.outgoing import Outgoing, outgoing_messages


def test_texts_before_a_question_join_its_message():
    messages = [
        {"recipient_id": "1", "text": "Understood: SD card not recognized."},
        {
            "recipient_id": "1",
            "text": "Does the camera detect the card?",
            "buttons": [
                {"title": "Yes", "payload": '/choose{"option":"sd|yes"}'},
                {"title": "Skip for now", "payload": "/skip"},
            ],
        },
        {"recipient_id": "1", "text": "Anything else?"},
    ]
    out = outgoing_messages(messages)
    assert out == [
        Outgoing(
            "Understood: SD card not recognized.\n\nDoes the camera detect the card?",
            (("Yes", '/choose{"option":"sd|yes"}'), ("Skip for now", "/skip")),
        ),
        Outgoing("Anything else?"),
    ]
    assert outgoing_messages(messages, merge=False)[0] == Outgoing("Understood: SD card not recognized.")


def test_messages_are_not_joined_beyond_the_limit():
    out = outgoing_messages([{"text": "a" * 3000}, {"text": "b" * 3000}])
    assert [len(o.text) for o in out] == [3000, 3000]


def test_images_attachments_quick_replies_and_custom():
    out = outgoing_messages(
        [
            {"text": "See:", "image": "https://example.com/led.png"},
            {"attachment": "https://example.com/manual.pdf"},
            {"custom": {"anything": 1}},
            {
                "text": "Pick",
                "quick_replies": [{"title": "A", "payload": "/a"}],
                "buttons": [{"title": "Open", "url": "https://kasa"}, {"title": "", "payload": "/b"}],
            },
        ],
        merge=False,
    )
    assert out == [
        Outgoing("See:\nhttps://example.com/led.png"),
        Outgoing("https://example.com/manual.pdf"),
        Outgoing("Pick", (("/b", "/b"), ("A", "/a"))),
    ]


def test_special_characters_are_sent_verbatim():
    """Plain text, no parse_mode: nothing to escape, nothing that can break."""
    text = 'About "factory reset": *not* [yet] (50%) _x_ `y` ~z~ > # + - = | { } . ! \\'
    assert outgoing_messages([{"text": text}]) == [Outgoing(text)]

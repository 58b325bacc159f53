"""Bot texts that Markdown would change, for the "renders the same everywhere" tests.

Each case is plain text as the dialogue writes it (one bubble: no blank lines). The web chat,
rasa-webchat (Markdown) and Telegram (plain text) must all show it as it is: same lines,
same characters, no formatting, and no link except a plain http(s) URL.
"""

from __future__ import annotations

from typing import Dict

CASES: Dict[str, str] = {
    "checklist": (
        "Before we call it fixed, please run these checks:\n"
        "• Live view: it opens within 10 seconds\n"
        "• Recording: a new clip appears in the app\n"
        "Did everything pass?"
    ),
    "settings_path": "Open Camera Settings > Storage, then set the DNS to 8.8.8.8 and press #.",
    "stars_and_underscores": "Press * twice (not *once*), keep snake_case_names and __init__, 2*3*4 = 24.",
    "line_starts": (
        "# not a heading\n"
        "- not a list item\n"
        "+ nor this\n"
        "1. not a numbered list\n"
        "2) nor this\n"
        "8.8.8.8 is a DNS server\n"
        "> not a quote\n"
        "===\n"
        "---\n"
        "***\n"
        "___"
    ),
    "injection": (
        "[click me](javascript:alert(1)) ![x](http://127.0.0.1:9/x.png) [ref]\n"
        "[ref]: javascript:alert(2)\n"
        "<b>bold</b> <img src=x onerror=window.__pwned=1> <javascript://%0aalert(3)>\n"
        "&lt;tag&gt; &amp; &#60; a\\b \\* `code` ~~struck~~ **strong** __strong__\n"
        "| a | b |\n"
        "|---|---|"
    ),
    "url": "Details: https://www.kasa.example/help_centre?a=1&b=2. Or https://kasa.example/x_y_z",
    "indented": "Steps:\n    four spaces in\n\tand a tab",
}

#: The only links the cases may produce: plain http(s) URLs, linked to themselves.
URLS = {
    "url": ["https://www.kasa.example/help_centre?a=1&b=2", "https://kasa.example/x_y_z"],
    "injection": ["http://127.0.0.1:9/x.png"],  # a bare URL inside the image syntax
}


def lines(text: str) -> list:
    """Text as a browser shows it, line by line: no-break spaces as spaces, no edge whitespace."""
    return [line.strip() for line in text.replace("\u00a0", " ").split("\n") if line.strip()]

"""Bot text as Markdown that renders to the same plain text (rasa_channels/socketio_markdown.py). The clients
that render it: tests/rasa_channels/test_socketio_webchat_clients.py, tests/e2e/test_rasa_webchat.py."""

import re

import pytest

from rasa_channels.socketio_markdown import MD_BACKSLASH, markdown_safe
from tests.support.bot_text_cases import CASES

UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*[`*_\[\]~|]")


def _without_urls(markdown: str) -> str:
    return re.sub(r"https?://\S+", "", markdown)


@pytest.mark.parametrize("name", sorted(CASES))
def test_markdown_safe_leaves_no_markdown_syntax(name):
    markdown = markdown_safe(CASES[name])
    assert "<" not in markdown, "no HTML or autolinks"
    assert not re.search(r"&(?!lt;|amp;|#61;)", markdown), "no character references but ours"
    assert not UNESCAPED.search(_without_urls(markdown)), markdown
    for line in markdown.split("\n"):
        body = line.lstrip("\u00a0")
        assert not re.match(r"[#>+=-]|\d+[.)]|[ \t]", body), f"block syntax at the start of {line!r}"
    # a line break inside a bubble is a hard break; text lines stay as they were
    plain_lines = CASES[name].split("\n")
    md_lines = markdown.split("\n")
    assert len(md_lines) == len(plain_lines)
    assert all(line.endswith("  ") for line in md_lines[:-1])


def test_markdown_safe_examples():
    assert markdown_safe("Camera Settings > Storage, 8.8.8.8") == "Camera Settings > Storage, 8.8.8.8"
    assert markdown_safe("a\nb\n\nc") == "a  \nb\n\nc"
    assert markdown_safe("# 1. *x* _y_ [z](javascript:q) <b> & \\") == (
        "\\# 1. \\*x\\* \\_y\\_ \\[z\\](javascript:q) &lt;b> &amp; \\\\"
    )
    assert markdown_safe("8.8.8.8\n=\n1) x") == "8\\.8.8.8  \n&#61;  \n1\\) x"
    assert markdown_safe("see https://a.example/x_y?p=1&q=2.") == "see https://a.example/x_y?p=1&amp;q=2."
    assert markdown_safe("  two\r\n\tthree  ") == "\u00a0\u00a0two  \n\u00a0\u00a0\u00a0\u00a0three"
    assert markdown_safe("") == ""
    # the escapes used are the ones remark-parse 5 (rasa-webchat's parser) knows
    assert set(re.findall(r"\\(.)", markdown_safe("".join(CASES.values())))) <= set(MD_BACKSLASH)

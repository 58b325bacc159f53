"""Bot text as Markdown that renders to the same plain text, for the socket.io channel's clients.

rasa-webchat renders a bot message's ``text`` as Markdown, where single line breaks would
vanish and ``*``, ``_``, ``[..](..)`` or ``<..>`` would become formatting, links or HTML.
"""

from __future__ import annotations

import re

# rasa-webchat 1.0.1 renders bot text with react-markdown 4 (remark-parse 5, gfm on,
# commonmark off) and no link sanitising (transformLinkUri: null). In that parser a
# backslash escapes only these characters; "<" and "&" need character references.
MD_BACKSLASH = "\\`*{}[]()#+-.!_>~|"
_ALWAYS = {"\\": "\\\\", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "~": "\\~", "|": "\\|"}
_ALWAYS.update({"<": "&lt;", "&": "&amp;"})
_INLINE = re.compile("[" + re.escape("".join(_ALWAYS)) + "]")
# Block syntax that only counts at the start of a line: headings, quotes, list items,
# thematic breaks and setext underlines ("=" has no backslash escape there).
_LINE_START = re.compile(r"^(?:([#>+-])|(=)|(\d{1,9})([.)]))")
# The links the web chat itself makes (webchat.js URL_RE); kept as they are, so
# rasa-webchat links them with the same address. They cannot hold "<", ">",
# ")", "]" or whitespace, so no link or HTML can be built from them.
_URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")
NBSP = "\u00a0"


def _escape_inline(text: str) -> str:
    out, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0)
        if "\\" in url:  # not worth keeping verbatim: escape it like the rest
            continue
        out.append(_INLINE.sub(lambda m: _ALWAYS[m.group(0)], text[last : match.start()]))
        out.append(url.replace("&", "&amp;"))
        last = match.end()
    out.append(_INLINE.sub(lambda m: _ALWAYS[m.group(0)], text[last:]))
    return "".join(out)


def _escape_line(line: str) -> str:
    body = line.lstrip(" \t")
    indent = line[: len(line) - len(body)].replace("\t", "    ")
    body = _escape_inline(body)
    start = _LINE_START.match(body)
    if start:
        if start.group(1):
            body = "\\" + body
        elif start.group(2):
            body = "&#61;" + body[1:]
        else:
            digits = start.group(3)
            body = digits + "\\" + body[len(digits) :]
    # leading spaces would make an indented code block; no-break spaces look the same
    return NBSP * len(indent) + body


def markdown_safe(text: str) -> str:
    """Plain bot text -> Markdown that renders as the same text, line breaks included.

    Every Markdown character is escaped (backslash, or ``&lt;`` / ``&amp;`` / ``&#61;``
    where remark-parse 5 has no backslash escape), leading spaces become no-break
    spaces, and a single line break becomes a hard break (two spaces before it);
    an empty line stays a paragraph break. http(s) URLs stay as they are. The result
    holds no link, image or HTML that was not a plain URL in ``text``, whoever wrote it.
    webchat.js ``plainText`` is the exact inverse (apart from the no-break spaces).
    """
    lines = [_escape_line(line.rstrip()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out = []
    for index, line in enumerate(lines):
        last = index == len(lines) - 1
        if last or not line or not lines[index + 1]:
            out.append(line + ("" if last else "\n"))
        else:
            out.append(line + "  \n")
    return "".join(out)

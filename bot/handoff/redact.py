"""Redaction of what a customer should not have typed into a chat: e-mail addresses, phone
numbers and Wi-Fi (or other) passwords.

The store keeps the raw text; every rendering (Markdown, HTML, JSON, the API, the CLI, the
Telegram notice) goes through :func:`redact` / :func:`redact_data`.

Rules (applied in this order):

* credentials in URLs: ``rtsp://admin:hunter2@192.168.1.5`` -> ``rtsp://admin:[redacted-password]@...``;
* a network name followed by a pass word: ``SSID Home pass Secret123``, ``wifi: Home, key: x``;
* a password keyword (password, passwd, passcode, passphrase, pass key, pwd, pw, psk, pass:,
  wifi/network/WPA/security key) followed by ``:``, ``=``, ``is``, ``was``, ``'s`` - possibly
  after "for my home wifi" - then the secret: one word, or a quoted phrase;
* the same keyword directly followed by a word that is not ordinary English ("my wifi password
  hunter2" is redacted, "I changed my wifi password and now..." is not);
* e-mail addresses;
* phone numbers: 7 or more digits written as one number (``+44 7700 900123``, ``(555) 123-4567``,
  ``0612345678``), but not IPv4 addresses or dates;
* PINs and codes: "pin 4821", "PIN code: 004821" (a bent pin of the SD slot is no PIN: digits needed);
* serial numbers after their keyword: "S/N 2231A1234567", "serial number is 22312345";
* MAC addresses: ``50:C7:BF:12:34:56``, ``50-c7-bf-12-34-56``;
* street addresses: a house number, a name and a street word ("12 Baker Street", "221b baker st"),
  and UK postcodes.

Serials, MACs and street addresses identify the customer like an e-mail does: the agent who has the
case sees them; PINs are secrets, redacted for everyone like passwords.

Control characters (terminal escape sequences, bidirectional overrides) are removed from every text
first, so nothing a customer types can clear an agent's screen or reorder what a ticket shows.

Markers are single tokens (``[redacted-password]``, ``[redacted-email]``, ``[redacted-phone]``), so
redacting twice changes nothing.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable, List, Optional

PASSWORD_MARK = "[redacted-password]"
EMAIL_MARK = "[redacted-email]"
PHONE_MARK = "[redacted-phone]"
PIN_MARK = "[redacted-pin]"
SERIAL_MARK = "[redacted-serial]"
MAC_MARK = "[redacted-mac]"
ADDRESS_MARK = "[redacted-address]"
MARK_PREFIX = "[redacted-"

# The secret itself: a quoted phrase, or one whitespace-delimited token.
_SECRET = r"(?P<secret>\"[^\"\n]{1,200}\"|'[^'\n]{1,200}'|“[^”\n]{1,200}”|«[^»\n]{1,200}»|\S+)"
_KEYWORD = (
    r"(?:"
    r"\bpass[\s_-]?words?\b|\bpasswd\b|\bpasscodes?\b|\bpassphrases?\b|\bpass[\s_-]?keys?\b|\bpwd\b|\bpw\b|\bpsk\b"
    r"|\b(?:wi-?fi|wlan|wireless|network|router|wpa[23]?|wep|security|ssid)[\s_-]*(?:key|pass|code)\b"
    r"|\bpass\b(?=\s*[:=])"
    r")"
)
# "for my home wifi", "of the network", "to the router": up to four words before the connector.
_QUALIFIER = r"(?:\s+(?:for|of|to|on|at)\b(?:\s+[^\s:=]+){1,4}?)?"
_CONNECTOR = r"(?:\s*(?:[:=]+|->|=>)|\s+(?:is|was|are|were)\b:?(?:\s+(?:now|still|just|set\s+to))?|['’]s\b)"

URL_CREDENTIALS = re.compile(
    r"(?P<lead>(?<![a-z0-9+.-])[a-z][a-z0-9+.-]{0,30}://[^\s:/@]+:)(?P<secret>[^\s@/]+)(?=@)", re.I
)
SSID_THEN_PASS = re.compile(
    r"(?P<lead>(?:\bssid\b|\b(?:wi-?fi|wlan|network)\b(?:\s+name)?\s*[:=])\s*(?:[:=]|\bis\b)?\s*"
    r"(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;]+)[\s,;/|]+(?:and\s+)?(?:the\s+|its\s+)?"
    r"(?:pass|pw|pwd|psk|key|code|pass[\s_-]?word|passwd|passcode|passphrase)\b" + _CONNECTOR + r"?\s*)" + _SECRET,
    re.I,
)
KEYWORD_CONNECTOR = re.compile(r"(?P<lead>" + _KEYWORD + _QUALIFIER + _CONNECTOR + r"\s*)" + _SECRET, re.I)
KEYWORD_WORD = re.compile(r"(?P<lead>" + _KEYWORD + r"[ \t]+)" + _SECRET, re.I)

# Words that follow "password" in ordinary sentences; after a bare keyword they are not a secret.
ORDINARY = frozenset(
    """
a about above after again against all also always an and any anymore app are as at back be because been before
being below bit box but by can can't cannot change changed changes changing check checked correct correctly could
did didn't does doesn't doing done during each either else entered even ever every field fine for forgot
forgotten from had has hasn't have haven't having he her here how i i'm if in into is isn't it it's its just
keeps last later like manager may maybe me might more most my never new no nor not now of off ok okay old on
once only or other our out over page please prompt protected recently reset right same screen second set
settings she should since so some stage step still such than thanks that the their them then there these they this
those though through to today too twice under until up us used using very via was wasn't we were weren't what
when where which while who why will with without won't would wrong yes yesterday yet you your
""".split()
)
PLACEHOLDERS = frozenset(
    {"password", "pass", "pwd", "pw", "<password>", "[password]", "xxx", "xxxx", "***", "****", "..."}
)

EMAIL = re.compile(
    r"(?<![A-Za-z0-9!#$%&'*+/=?^_`{|}~.-])"
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\.?"
    r"@"
    r"(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)",
)
# A run of digits with the separators people write phone numbers with (one at a time).
PHONE = re.compile(r"(?<![\w+@.])(?:\+[ \t]?)?(?:\(\d{1,5}\)|\d)(?:[ \t.\-/]?(?:\(\d{1,5}\)|\d))*(?![\w@])")
IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
PIN = re.compile(
    r"(?P<lead>\b(?:pin|pin[\s_-]*code|pin[\s_-]*number|unlock[\s_-]*code|access[\s_-]*code)\b"
    r"(?:\s*(?:[:=#]|is|was|->)\s*|\s+))(?P<secret>\d{4,10})\b",
    re.I,
)
SERIAL = re.compile(
    r"(?P<lead>\b(?:serial(?:[\s_-]*(?:number|no\.?|num|#))?|s/?n)\b(?:\s*(?:[:=#]|is|was)\s*|\s+))"
    r"(?P<secret>(?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9-]{5,30})\b",
    re.I,
)
MAC = re.compile(r"(?<![0-9A-Fa-f:-])(?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![0-9A-Fa-f:-])")
_STREET_WORDS = (
    r"street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|place|pl|terrace|crescent|close|"
    r"way|square|sq|parkway|pkwy|highway|hwy|strasse|straße|straat|rue|calle|via"
)
STREET = re.compile(
    r"\b\d{1,5}[a-z]?,?\s+(?P<name>(?:[A-Za-zÀ-ÿ'’.-]+\s+){1,3}?)(?:" + _STREET_WORDS + r")\b\.?",
    re.I,
)
UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[ABD-HJLNP-UW-Z]{2}\b")
# escape sequences (CSI, OSC, and two-byte ones), then C0/C1 controls but tab and newline, and the
# bidirectional overrides and isolates
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without terminal escape sequences, control characters (but tab and newline) and
    bidirectional overrides; a carriage return becomes a newline."""
    if not isinstance(text, str):
        return text
    text = _ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", text)


def _street_or_not(match: "re.Match[str]") -> str:
    words = match.group("name").split()
    # "2 cameras on the drive", "after 3 days of the way": ordinary words are no street name
    if not words or all(w.lower().strip(".,'’") in ORDINARY for w in words):
        return match.group(0)
    if any(w.lower() in ("cameras", "camera", "times", "days", "weeks", "months", "hours", "minutes") for w in words):
        return match.group(0)
    return ADDRESS_MARK


def _ordinary(secret: str) -> bool:
    return secret.lower().strip(".,;:!?()[]{}\"'") in ORDINARY


def _is_marker(secret: str) -> bool:
    return secret.startswith(MARK_PREFIX)


def _replace_secret(match: "re.Match[str]", check_ordinary: bool = False) -> str:
    secret = match.group("secret")
    if _is_marker(secret) or secret.lower() in PLACEHOLDERS:
        return match.group(0)
    if check_ordinary and (_ordinary(secret) or secret[0] in ":=-–—>|"):
        return match.group(0)
    return match.group("lead") + PASSWORD_MARK


def _looks_like_date(text: str) -> bool:
    """2024-05-01, 01/05/2024, 5.1.24: day and month of 1-2 digits, a year of 2 or 4."""
    parts = re.split(r"[-/.]", text)
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return False
    for y, m, d in ((parts[0], parts[1], parts[2]), (parts[2], parts[1], parts[0]), (parts[2], parts[0], parts[1])):
        if len(y) not in (2, 4) or len(m) > 2 or len(d) > 2:
            continue
        year = int(y)
        try:
            date(2000 + year if len(y) == 2 else year, int(m), int(d))
            return True
        except ValueError:
            continue
    return False


def _phone_or_not(text: str) -> str:
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7:
        return text
    core = text.strip("()")
    if IPV4.fullmatch(core) or _looks_like_date(core) or re.fullmatch(r"\d+\.\d+", core):
        return text  # an address, a date or a decimal number, not a phone
    return PHONE_MARK


def _replace_phone(match: "re.Match[str]") -> str:
    text = match.group(0)
    pieces = re.split(r"([ \t]+)", text)
    if not any(IPV4.fullmatch(p.strip("()")) or _looks_like_date(p.strip("()")) for p in pieces[::2]):
        return _phone_or_not(text)
    # An IP address or a date inside the run: judge the numbers between them on their own.
    out: List[str] = []
    run: List[str] = []

    def flush() -> None:
        if run:
            joined = "".join(run)
            stripped = joined.rstrip(" \t")
            out.append(_phone_or_not(stripped) + joined[len(stripped) :])
            run.clear()

    for i, piece in enumerate(pieces):
        if i % 2 == 0 and (IPV4.fullmatch(piece.strip("()")) or _looks_like_date(piece.strip("()"))):
            flush()
            out.append(piece)
        elif i % 2 == 1 and not run:
            out.append(piece)
        else:
            run.append(piece)
    flush()
    return "".join(out)


def _redact_once(text: str, contacts: bool = True) -> str:
    text = URL_CREDENTIALS.sub(_replace_secret, text)
    text = SSID_THEN_PASS.sub(lambda m: _replace_secret(m, check_ordinary=True), text)
    text = KEYWORD_CONNECTOR.sub(_replace_secret, text)
    text = KEYWORD_WORD.sub(lambda m: _replace_secret(m, check_ordinary=True), text)
    text = PIN.sub(lambda m: m.group("lead") + PIN_MARK, text)
    if contacts:
        text = EMAIL.sub(EMAIL_MARK, text)
        text = SERIAL.sub(lambda m: m.group("lead") + SERIAL_MARK, text)
        text = MAC.sub(MAC_MARK, text)
        text = STREET.sub(_street_or_not, text)
        text = UK_POSTCODE.sub(ADDRESS_MARK, text)
        text = PHONE.sub(_replace_phone, text)
    return text


def redact(text: Optional[str], contacts: bool = True) -> Optional[str]:
    """``text`` with e-mail addresses, phone numbers and passwords replaced by markers.

    ``contacts=False`` keeps e-mail addresses and phone numbers (the view of the agent who has the
    case: the customer typed them for that agent); passwords are always redacted.
    The rules run until nothing changes (a marker can complete another rule's pattern), so
    redacting an already redacted text changes nothing.
    """
    if not text or not isinstance(text, str):
        return text
    text = strip_controls(text)
    for _ in range(8):
        redacted = _redact_once(text, contacts)
        if redacted == text:
            break
        text = redacted
    return text


def contact_details(texts: Iterable[Optional[str]]) -> list:
    """The e-mail addresses and phone numbers in ``texts`` (once each, in order), as typed."""
    found: dict = {}
    for text in texts:
        if not text or not isinstance(text, str):
            continue
        for match in EMAIL.finditer(text):
            found.setdefault(match.group(0).rstrip("."), None)
        for match in PHONE.finditer(text):
            if _replace_phone(match) == PHONE_MARK:
                found.setdefault(match.group(0).strip(), None)
    return list(found)


def redact_data(value: Any, keep: Iterable[str] = (), contacts: bool = True) -> Any:
    """A deep copy of JSON-like data with every string redacted, except under keys in ``keep``."""
    keep = frozenset(keep)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return redact(item, contacts)
        if isinstance(item, dict):
            return {k: (v if k in keep else walk(v)) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(value)


__all__ = [
    "ADDRESS_MARK",
    "EMAIL_MARK",
    "MAC_MARK",
    "PASSWORD_MARK",
    "PHONE_MARK",
    "PIN_MARK",
    "SERIAL_MARK",
    "contact_details",
    "redact",
    "redact_data",
    "strip_controls",
]

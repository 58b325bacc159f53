"""rasa-webchat 1.0.1, the widget site owners already run, against our bot in headless Chromium.

The package comes from the npm registry (tests/support/npm.py: installed once per machine
into ~/.cache/kasa-bot, ignore-scripts, no browser download); the test is skipped, saying
why, only when it is not cached and the registry cannot be reached. The page is the
rasa-webchat snippet of docs/webchat.md exactly as the docs show it, with the bot's address
filled in, served from loopback; its script URL (jsDelivr) is answered with the installed
package's ``lib/index.js``, and every other request off this machine is refused (rasa-webchat
asks Google Fonts for "Inter"), so nothing but npm needs the network.

* the real bot (trained model, action server): the greeting on opening, a complaint, a
  button, a reload that keeps the session and the conversation, the post-fix checklist and
  the outage explanation with their lines apart; nothing error-like before typing; the
  opening is not in the tracker;
* the echo server (tests/rasa_channels/socketio_echo_server.py): bot texts full of Markdown
  characters read the same in rasa-webchat, in our own chat and on Telegram, and what a
  customer types cannot become a link, an image or HTML;
* a refused origin (rasa-webchat shows nothing), and the pre-1.0 ``WebChat.default.init``.

Screenshot: test-artifacts/rasa-webchat-checklist.png.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator, List

import pytest

from bot.dialogue.messages import fixed_replies
from tests.support.bot_text_cases import CASES, URLS, lines
from tests.support.browser import static_site
from tests.support.echo_server import EchoServer
from tests.support.npm import NpmError, RegistryUnreachable, install_npm_package
from tests.support.servers import REPO_ROOT

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

RASA_WEBCHAT = "rasa-webchat@1.0.1"
CDN_BUNDLE = "https://cdn.jsdelivr.net/npm/rasa-webchat@1.0.1/lib/index.js"
DOCS = REPO_ROOT / "docs" / "webchat.md"
DOCS_BOT = "https://bot.example"
ARTIFACTS = REPO_ROOT / "test-artifacts"
BOT_TIMEOUT = 60_000  # ms: the first turn loads the NLU pipeline; rasa-webchat delays each message 0.8-3 s
GREETING = fixed_replies()["greet"]
COMPLAINT = "the kasa app freezes every time i open the camera settings"
OUTAGE = "my camera blinks green but the app cannot reach it"
ERROR_LIKE = re.compile(r"didn't get any text|outside what I can diagnose|didn't understand|went wrong", re.I)

pytestmark = [pytest.mark.timeout(600), pytest.mark.e2e]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kasa shop</title></head>
<body>
<h1>Kasa shop</h1>
{snippet}
</body></html>
"""


# --------------------------------------------------------------------------- #
# The package, the docs snippet, the site
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def bundle() -> Path:
    """rasa-webchat 1.0.1's lib/index.js from the npm registry (cached between runs)."""
    try:
        package = install_npm_package(RASA_WEBCHAT)
    except RegistryUnreachable as error:
        pytest.skip(f"npm registry unreachable: {error}")
    except NpmError as error:
        pytest.fail(str(error))
    assert json.loads((package / "package.json").read_text())["version"] == "1.0.1"
    path = package / "lib" / "index.js"
    assert path.is_file(), f"{path} missing from the installed package"
    return path


def docs_snippet() -> str:
    """The rasa-webchat snippet of docs/webchat.md, as it is written there."""
    blocks = [b for b in re.findall(r"```html\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S) if CDN_BUNDLE in b]
    assert len(blocks) == 1, f"docs/webchat.md should show one snippet loading {CDN_BUNDLE}"
    snippet = blocks[0]
    assert snippet.count(DOCS_BOT) == 1, "the snippet names the bot once, as socketUrl"
    return snippet


def snippet_for(bot_url: str, extra_props: str = "", init_payload: bool = True) -> str:
    """The docs snippet for ``bot_url``; ``extra_props`` added, or without its initPayload."""
    snippet = docs_snippet().replace(DOCS_BOT, bot_url)
    if not init_payload:
        snippet, found = re.subn(r"\n\s*initPayload: [^\n]*,", "", snippet)
        assert found == 1
    if extra_props:
        snippet = snippet.replace('socketPath: "/socket.io/",', f'socketPath: "/socket.io/", {extra_props}', 1)
        assert extra_props in snippet
    return snippet


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple]:
    """A loopback web site of the shop: (directory for pages, port)."""
    root = tmp_path_factory.mktemp("rasa-webchat-site")
    with static_site(root) as port:
        yield root, port


def shop_page(site, name: str, snippet: str, host: str = "localhost") -> str:
    root, port = site
    (root / f"{name}.html").write_text(PAGE.format(snippet=snippet), encoding="utf-8")
    return f"http://{host}:{port}/{name}.html"


@pytest.fixture
def visit(new_page, bundle):
    """Factory: a page (fresh context) that gets the bundle for the CDN URL and nothing else from outside."""

    def make(url: str, **context_options):
        page = new_page(**context_options)
        page.refused = []  # type: ignore[attr-defined]
        page.console_errors = []  # type: ignore[attr-defined]

        def route(request_route):
            address = request_route.request.url
            if address == CDN_BUNDLE:
                return request_route.fulfill(path=str(bundle), content_type="application/javascript; charset=utf-8")
            if re.match(r"https?://(127\.0\.0\.1|localhost|shop\.example)[:/]", address):
                return request_route.continue_()
            page.refused.append(address)
            return request_route.abort()

        page.context.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
        page.goto(url)
        return page

    return make


# --------------------------------------------------------------------------- #
# rasa-webchat's page
# --------------------------------------------------------------------------- #


def launcher(page):
    return page.locator("button.rw-launcher")


def bot_bubbles(page):
    return page.locator(".rw-response .rw-markdown")


def bot_says(page, text: str, timeout: int = BOT_TIMEOUT):
    bubble = bot_bubbles(page).filter(has_text=text).last
    expect(bubble).to_be_visible(timeout=timeout)
    return bubble


def quick_reply(page, title_start: str):
    return page.locator(".rw-replies .rw-reply").filter(has_text=re.compile("^" + re.escape(title_start))).last


def send(page, text: str) -> None:
    box = page.locator("textarea.rw-new-message")
    box.fill(text)
    box.press("Enter")
    expect(page.locator(".rw-client").filter(has_text=text).last).to_be_visible()


def stored_session(page) -> str:
    session = page.evaluate("() => JSON.parse(localStorage.getItem('chat_session') || '{}').session_id")
    assert session, "rasa-webchat keeps the session id in localStorage (params.storage: local)"
    return session


def rendered_lines(bubble) -> List[str]:
    return lines(bubble.inner_text())


def pressed(option: str) -> str:
    """The text Rasa stores for a pressed button of ``option``: the payload as the bot sent it, which
    also names the question it belongs to (a token the bot made: bot/dialogue/question_tokens.py)."""
    return "/choose" + json.dumps({"option": option, "ask": "<token>"}, separators=(",", ":"))


def as_pressed(text: str) -> str:
    """A stored /choose payload with its question token, if it has a well-formed one, shown as <token>."""
    match = re.fullmatch(r'(/choose\{"option":"[^"]*","ask":")([0-9a-f]{6})("\})', text or "")
    return f"{match.group(1)}<token>{match.group(3)}" if match else text


def tracker_events(bot_servers, sender: str, kind: str, users: int = 0) -> List[dict]:
    """Events of one kind, once ``users`` customer messages are stored (see RasaServers.stored_tracker)."""
    return [e for e in bot_servers.stored_tracker(sender, users)["events"] if e["event"] == kind]


def assert_nothing_error_like(page) -> None:
    for text in bot_bubbles(page).all_inner_texts():
        assert not ERROR_LIKE.search(text), text


# --------------------------------------------------------------------------- #
# Against the real bot
# --------------------------------------------------------------------------- #


def test_the_docs_snippet_runs_a_diagnosis_with_a_reload(visit, site, bot_servers):
    page = visit(
        shop_page(site, "diagnosis", snippet_for(bot_servers.rasa_url)), viewport={"width": 1100, "height": 900}
    )
    expect(launcher(page)).to_be_visible(timeout=20_000)
    assert page.evaluate("() => typeof window.React") == "undefined", "lib/index.js carries its own React"
    launcher(page).click()
    expect(page.locator(".rw-header .rw-title")).to_have_text("Kasa help")
    expect(page.locator("textarea.rw-new-message")).to_have_attribute("placeholder", "Describe the problem...")

    # opening: the greeting, and nothing error-like before the customer types
    greeting = bot_says(page, "What is your camera doing?")
    assert rendered_lines(greeting) == [GREETING]
    page.wait_for_timeout(3_000)  # anything else the opening caused would have arrived by now
    expect(bot_bubbles(page)).to_have_count(1)
    assert_nothing_error_like(page)
    session = stored_session(page)

    send(page, COMPLAINT)
    bot_says(page, "Update the Kasa app")
    expect(quick_reply(page, "Yes, it works now")).to_be_visible(timeout=BOT_TIMEOUT)
    assert_nothing_error_like(page)

    # a reload keeps the session and the conversation, buttons included
    page.reload()
    expect(bot_says(page, "Update the Kasa app", timeout=20_000)).to_be_visible()
    expect(page.locator(".rw-client").filter(has_text=COMPLAINT)).to_have_count(1)
    expect(bot_bubbles(page).filter(has_text="What is your camera doing?")).to_have_count(1)
    assert stored_session(page) == session
    page.wait_for_timeout(2_000)
    expect(bot_bubbles(page).filter(has_text="What is your camera doing?")).to_have_count(1), "no second greeting"

    quick_reply(page, "Yes, it works now").click()
    expect(page.locator(".rw-client").filter(has_text="Yes, it works now")).to_be_visible()
    checklist = bot_says(page, "Before we call it fixed")

    # the checklist keeps its lines apart, exactly as the bot wrote them
    said = [
        e["text"]
        for e in tracker_events(bot_servers, session, "bot", users=2)
        if "Before we call it fixed" in (e["text"] or "")
    ]
    assert len(said) == 1
    expected = lines(said[0])
    assert len(expected) >= 4 and sum(line.startswith("• ") for line in expected) >= 2, said[0]
    assert rendered_lines(checklist) == expected
    assert checklist.locator("br").count() == len(expected) - 1
    assert checklist.locator("ul, ol, li, em, strong, a, h1, h2, h3, code").count() == 0
    expect(quick_reply(page, "Yes, all good")).to_be_visible(timeout=BOT_TIMEOUT)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "rasa-webchat-checklist.png"))

    # one conversation across the reload; the opening is not a customer message
    users = tracker_events(bot_servers, session, "user")
    assert [as_pressed(e["text"]) for e in users] == [COMPLAINT, pressed("update_app|fixed")]
    assert {e["input_channel"] for e in users} == {"socketio"}
    assert_nothing_error_like(page)
    assert not page.errors, page.errors
    assert all("fonts.googleapis.com" in url for url in page.refused), page.refused


def test_the_outage_explanation_keeps_its_lines(visit, site, bot_servers):
    # without initPayload, as the docs used to show it: rasa-webchat opens with no message at all
    page = visit(shop_page(site, "outage", snippet_for(bot_servers.rasa_url, init_payload=False)))
    launcher(page).click(timeout=20_000)
    assert rendered_lines(bot_says(page, "What is your camera doing?")) == [GREETING]
    page.wait_for_timeout(2_000)
    expect(bot_bubbles(page)).to_have_count(1)
    assert_nothing_error_like(page)
    send(page, OUTAGE)
    quick_reply(page, "Yes, an outage is reported").click(timeout=BOT_TIMEOUT)
    explanation = bot_says(page, "outage on Kasa's side")
    session = stored_session(page)
    [said] = [
        e["text"] for e in tracker_events(bot_servers, session, "bot", users=2) if "outage on Kasa's side" in e["text"]
    ]
    assert len(lines(said)) >= 3, said
    assert rendered_lines(explanation) == lines(said)
    assert explanation.locator("br").count() == len(lines(said)) - 1
    assert_nothing_error_like(page)
    assert [as_pressed(e["text"]) for e in tracker_events(bot_servers, session, "user")] == [
        OUTAGE,
        pressed("cloud_status|outage_reported"),
    ]
    assert not page.errors, page.errors


# --------------------------------------------------------------------------- #
# Bot text: the same in rasa-webchat, in our chat and on Telegram (echo server)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def echo(tmp_path_factory) -> Iterator[EchoServer]:
    server = EchoServer("rasa-webchat-echo", ["--channel", "fixed"], tmp_path_factory.mktemp("echo"))
    server.process.start()
    try:
        yield server.wait()
    finally:
        server.process.stop()


NO_MARKUP = "ul, ol, li, em, strong, del, code, pre, blockquote, hr, table, img, h1, h2, h3, h4, h5, h6, b, i, script"


def test_bot_text_reads_the_same_in_rasa_webchat(visit, site, echo):
    page = visit(shop_page(site, "echo", snippet_for(echo.url)))
    launcher(page).click(timeout=20_000)
    bot_says(page, "What is your camera doing?", timeout=20_000)
    for name, text in CASES.items():
        marker = f"case {name}"
        send(page, f"/say {json.dumps(marker + chr(10) + text)}")
        bubble = bot_says(page, marker, timeout=20_000)
        assert rendered_lines(bubble) == lines(marker + "\n" + text), name
        assert bubble.locator(NO_MARKUP).count() == 0, (name, bubble.inner_html())
        links = bubble.locator("a").evaluate_all("links => links.map(a => [a.getAttribute('href'), a.textContent])")
        assert links == [[url, url] for url in URLS.get(name, [])], (name, links)
    assert page.evaluate("() => window.__pwned") is None
    assert not page.errors, page.errors


def test_what_a_customer_types_cannot_become_markup_in_rasa_webchat(visit, site, echo):
    page = visit(shop_page(site, "typed", snippet_for(echo.url)))
    launcher(page).click(timeout=20_000)
    bot_says(page, "What is your camera doing?", timeout=20_000)
    evil = (
        "[prize](javascript:window.__pwned=1) <javascript://%0awindow.__pwned=2> "
        '<img src=x onerror="window.__pwned=3"> **loud** # _hi_'
    )
    send(page, evil)
    echoed = bot_says(page, "[prize]")  # the bot repeats it (the echo server does)
    assert rendered_lines(echoed)[0].endswith(evil)
    assert echoed.locator(NO_MARKUP + ", a").count() == 0, echoed.inner_html()
    assert page.evaluate("() => window.__pwned") is None
    # the customer's own bubble is plain text in rasa-webchat anyway
    assert page.locator(".rw-client").filter(has_text=evil).locator("a, img, strong").count() == 0


def test_bot_text_reads_the_same_in_our_chat(new_page, echo):
    page = new_page()
    page.goto(f"{echo.url}/chat")
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    for name, text in CASES.items():
        marker = f"case {name}"
        box.fill(f"/say {json.dumps(marker + chr(10) + text)}")
        box.press("Enter")
        bubble = page.locator(".kc-msg-bot .kc-bubble", has_text=marker).last
        expect(bubble).to_be_visible(timeout=20_000)
        shown = bubble.evaluate("b => b.textContent").replace("\u00a0", " ")
        if name == "indented":
            assert lines(shown) == lines(marker + "\n" + text)
        else:
            assert shown == marker + "\n" + text, name
        links = bubble.locator("a").evaluate_all("links => links.map(a => [a.getAttribute('href'), a.textContent])")
        assert links == [[url, url] for url in URLS.get(name, [])], (name, links)
    # the stored transcript holds the plain text too (a reload shows the same)
    page.reload()
    expect(page.locator(".kc-msg-bot .kc-bubble", has_text="case checklist")).to_have_text(
        "case checklist\n" + CASES["checklist"]
    )
    assert page.evaluate("() => window.__pwned") is None
    assert not page.errors, page.errors


# --------------------------------------------------------------------------- #
# Setting it up wrong
# --------------------------------------------------------------------------- #


def test_a_refused_origin_shows_no_launcher(visit, site, echo):
    # shop.example resolves to 127.0.0.1 (--host-resolver-rules) and is not an allowed origin
    page = visit(shop_page(site, "refused", snippet_for(echo.url), host="shop.example"))
    page.wait_for_timeout(6_000)
    expect(launcher(page)).not_to_be_visible()
    assert page.locator("#rasaWebchatPro").count() == 1, "rasa-webchat is mounted, but hidden"
    assert any("blocked by CORS policy" in error for error in page.console_errors), page.console_errors

    # what docs/webchat.md suggests while setting up: a launcher that waits for the server
    page = visit(
        shop_page(
            site,
            "refused-visible",
            snippet_for(echo.url, "withRules: false, hideWhenNotConnected: false,"),
            host="shop.example",
        )
    )
    launcher(page).click(timeout=20_000)
    expect(page.locator(".rw-conversation-container")).to_contain_text("Waiting for server...")
    page.wait_for_timeout(3_000)
    expect(bot_bubbles(page)).to_have_count(0)


def test_the_pre_1_0_init_call_throws(visit, site, echo):
    old = f"""<div id="webchat"></div>
<script src="{CDN_BUNDLE}"></script>
<script>
  WebChat.default.init({{selector: "#webchat", socketUrl: "{echo.url}", socketPath: "/socket.io/"}});
</script>"""
    page = visit(shop_page(site, "old-init", old))
    page.wait_for_timeout(1_000)
    assert any("WebChat.default.init is not a function" in error for error in page.errors), page.errors
    assert page.locator(".rw-launcher, .rw-conversation-container").count() == 0

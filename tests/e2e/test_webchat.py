"""The web chat in a real browser (headless Chromium via Playwright) against the real bot.

The Rasa server of the harness (tests/support/servers.py) runs the project's
socket.io channel, so it serves the chat page at /chat and the widget at
/chat/widget.js. Chromium is Debian's (/usr/bin/chromium; installed with apt-get
by the `chromium` fixture of tests/e2e/conftest.py when missing), not a Playwright download.

Screenshots go to test-artifacts/ (git-ignored): webchat-finished.png (the
finished diagnosis), webchat-phone.png, webchat-widget.png.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.browser import static_site
from tests.support.servers import REPO_ROOT

playwright_sync = pytest.importorskip("playwright.sync_api")
expect = playwright_sync.expect

ARTIFACTS = REPO_ROOT / "test-artifacts"
BOT_TIMEOUT = 60_000  # ms for one bot reply (first turn loads the NLU pipeline)
COMPLAINT = "the sd card in my kc120 is not recognized anymore"

pytestmark = pytest.mark.timeout(600)


# --------------------------------------------------------------------------- #
# Browser (fixtures chromium, browser, new_page: tests/e2e/conftest.py)
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def chat_url(bot_servers) -> str:
    return f"{bot_servers.rasa_url}/chat"


# --------------------------------------------------------------------------- #
# Helpers
# --------------------------------------------------------------------------- #


def bot_says(page, text: str, timeout: int = BOT_TIMEOUT):
    message = page.locator(".kc-msg-bot", has_text=text).last
    expect(message).to_be_visible(timeout=timeout)
    return message


def choice(page, title_start: str):
    """The enabled answer button whose title starts with ``title_start``."""
    return (
        page.locator("button.kc-choice:enabled")
        .filter(has_text=re.compile("^" + re.escape(title_start), re.IGNORECASE))
        .last
    )


# The first question for COMPLAINT is the slot inspection (a bent pin is seen there; the second card
# is part of it); the answers that lead on to the replacement:
FIRST = "Pins look fine"
TOWARDS_REPLACEMENT = (FIRST, "Evenly spaced", "No, it is not recognized either", "Still not detected")


def to_warranty(page) -> int:
    """Answer the SD card questions the way a customer with a dead slot would, until the warranty
    question comes (the engine decides how many there are); returns how many answers it gave."""
    given = 0
    for _ in range(6):
        warranty = choice(page, "Under warranty")
        try:
            expect(warranty).to_be_visible(timeout=2_000)
            return given
        except AssertionError:
            pass
        expect(page.locator("button.kc-choice:enabled").first).to_be_visible(timeout=BOT_TIMEOUT)
        titles = page.locator("button.kc-choice:enabled").all_inner_texts()
        title = next((t for want in TOWARDS_REPLACEMENT for t in titles if t.startswith(want)), None)
        assert title is not None, f"no answer towards a replacement among {titles}"
        choice(page, title).click()
        expect(user_said(page, title).last).to_be_visible(timeout=BOT_TIMEOUT)
        given += 1
    raise AssertionError("the warranty question never came")


def user_said(page, text: str):
    return page.locator(".kc-msg-user .kc-bubble").filter(has_text=re.compile("^" + re.escape(text)))


def session_id(page) -> str:
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter(k => k.startsWith('kasa-webchat:'))"
        ".map(k => JSON.parse(localStorage.getItem(k)).sessionId)"
    )
    assert len(stored) == 1 and stored[0], stored
    return stored[0]


def transport(page) -> str:
    return page.evaluate("() => document.querySelector('#kasa-webchat').kasaWebchat.socket.io.engine.transport.name")


def focused(page) -> dict:
    """What has the keyboard focus, looking into the chat's shadow root."""
    return page.evaluate("""() => {
        let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        if (!el) return {};
        const style = getComputedStyle(el);
        return {tag: el.tagName.toLowerCase(), text: (el.textContent || '').trim(),
                cls: el.className || '', disabled: !!el.disabled,
                outline: style.outlineStyle + ' ' + style.outlineWidth};
    }""")


def tab_to(page, predicate, key: str = "Tab", limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if predicate(now):
            return now
    raise AssertionError(f"{key} never reached the wanted element; last: {focused(page)}")


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=False)
    return path


def tracker_user_texts(bot_servers, sender: str, at_least: int = 0):
    """The customer's messages, once at least ``at_least`` are stored (see RasaServers.stored_tracker)."""
    events = bot_servers.stored_tracker(sender, at_least, timeout=BOT_TIMEOUT / 1000)["events"]
    return [e.get("text") for e in events if e["event"] == "user"]


# --------------------------------------------------------------------------- #
# The chat page
# --------------------------------------------------------------------------- #


def test_diagnosis_in_the_chat_page_survives_a_reload(new_page, chat_url, bot_servers):
    page = new_page(viewport={"width": 1100, "height": 900})
    page.goto(chat_url)

    log = page.locator("[role=log]")
    expect(log).to_have_attribute("aria-live", "polite")
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    expect(box).to_be_focused()

    box.fill(COMPLAINT)
    box.press("Enter")
    expect(user_said(page, COMPLAINT)).to_be_visible()
    bot_says(page, "SD card is not recognized")

    still = choice(page, FIRST)
    still_title = still.inner_text()
    still.click()
    expect(user_said(page, still_title)).to_be_visible()
    answered = page.locator(".kc-msg-bot .kc-choices").filter(has_text=still_title)
    for button in answered.locator("button").all():
        expect(button).to_be_disabled()
    expect(answered.locator("button.kc-chosen")).to_have_text(still_title)
    more = to_warranty(page)

    assert transport(page) == "websocket"
    sid = session_id(page)
    before = tracker_user_texts(bot_servers, sid, at_least=2 + more)
    assert before[0] == COMPLAINT and len(before) == 2 + more

    # mid-diagnosis reload: the conversation is shown again and continues
    page.reload()
    expect(user_said(page, COMPLAINT)).to_be_visible()
    expect(user_said(page, still_title)).to_be_visible()
    expect(page.locator(".kc-msg-bot", has_text="SD card is not recognized")).to_have_count(1)
    for button in answered.locator("button").all():
        expect(button).to_be_disabled()
    assert session_id(page) == sid

    choice(page, "Under warranty").click()
    final = bot_says(page, "warranty replacement")
    expect(final).to_contain_text("replac")
    bot_says(page, "pass this to our support team")
    expect(page.locator(".kc-typing")).to_be_hidden()

    after = tracker_user_texts(bot_servers, sid, at_least=len(before) + 1)
    assert after[: len(before)] == before  # one conversation across the reload
    assert len(after) == len(before) + 1
    assert not page.errors, page.errors
    path = screenshot(page, "webchat-finished.png")
    assert path.stat().st_size > 10_000


def test_keyboard_only(new_page, chat_url):
    page = new_page(viewport={"width": 1000, "height": 800})
    page.goto(chat_url)
    assert focused(page)["tag"] == "input", "the message box has the focus on load"

    page.keyboard.type(COMPLAINT)
    page.keyboard.press("Enter")
    bot_says(page, "SD card is not recognized")
    expect(choice(page, FIRST)).to_be_visible()

    # Shift+Tab from the message box walks back through the newest answers
    now = tab_to(page, lambda f: f.get("text", "").startswith(FIRST), key="Shift+Tab")
    assert "kc-choice" in now["cls"]
    assert now["outline"].split()[0] != "none", "the focused button shows a focus ring"
    page.keyboard.press("Enter")

    # after an answer, the focus lands on the first answer of the next question
    expect(user_said(page, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)
    page.wait_for_function(
        """() => { const r = document.querySelector('#kasa-webchat').shadowRoot;
                   const a = r.activeElement; return a && a.classList.contains('kc-choice') && !a.disabled; }"""
    )
    to_warranty(page)
    page.wait_for_function(
        """() => { const r = document.querySelector('#kasa-webchat').shadowRoot;
                   const a = r.activeElement; return a && a.classList.contains('kc-choice') && !a.disabled; }"""
    )
    now = focused(page)
    if not now["text"].startswith("Under warranty"):
        now = tab_to(page, lambda f: f.get("text", "").startswith("Under warranty"))
    page.keyboard.press("Enter")
    bot_says(page, "warranty replacement")
    bot_says(page, "pass this to our support team")

    # Tab order after the last answers: the message box, then Send
    tab_to(page, lambda f: f.get("tag") == "input")
    page.keyboard.type("no thanks, bye")
    now = tab_to(page, lambda f: f.get("text") == "Send")
    page.keyboard.press("Enter")
    expect(user_said(page, "no thanks, bye")).to_be_visible()
    assert not page.errors, page.errors


def test_phone_sized_screen(new_page, chat_url):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(chat_url)
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(COMPLAINT)
    page.get_by_role("button", name="Send").tap()
    bot_says(page, "SD card is not recognized")
    expect(choice(page, FIRST)).to_be_visible()

    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 360, f"horizontal scrolling: page is {width}px wide"
    for element in [box, page.get_by_role("button", name="Send"), *page.locator("button.kc-choice:enabled").all()]:
        rect = element.bounding_box()
        assert rect and rect["x"] >= 0 and rect["x"] + rect["width"] <= 360, rect
        assert rect["height"] >= 40, f"touch target too small: {rect}"
    send = page.get_by_role("button", name="Send").bounding_box()
    assert send["y"] + send["height"] <= 740, "the message box is on screen"

    choice(page, FIRST).tap()
    to_warranty(page)
    expect(choice(page, "Under warranty")).to_be_visible(timeout=BOT_TIMEOUT)
    screenshot(page, "webchat-phone.png")
    assert not page.errors, page.errors


def test_text_is_never_html(new_page, chat_url):
    page = new_page()
    page.goto(chat_url)
    evil = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(evil)
    box.press("Enter")
    expect(user_said(page, evil)).to_be_visible()
    # the bot's answer must have landed: the page saves its transcript when it does
    expect(page.locator(".kc-msg-bot:not(.kc-intro)")).not_to_have_count(0, timeout=BOT_TIMEOUT)
    expect(page.locator(".kc-typing")).to_be_hidden()
    # a bot message with markup, as if the server had sent it (through the stored transcript).
    # Written by the reloaded document before the chat's script runs, so no save of the old
    # page (a late reply) can overwrite it.
    page.add_init_script(
        """(evil => {
        if (sessionStorage.getItem('injected')) return;
        sessionStorage.setItem('injected', '1');
        const key = Object.keys(localStorage).find(k => k.startsWith('kasa-webchat:'));
        const data = JSON.parse(localStorage.getItem(key));
        data.messages.push({from: 'bot', text: evil,
                            buttons: [{title: evil, payload: '/how_to'}], chosen: null});
        localStorage.setItem(key, JSON.stringify(data));
    })(%s)"""
        % json.dumps(evil)
    )
    page.reload()
    expect(page.locator(".kc-msg-bot .kc-bubble").filter(has_text=evil)).to_be_visible()
    expect(page.locator("button.kc-choice", has_text=evil)).to_be_visible()
    assert page.locator("#kasa-webchat").evaluate("h => h.shadowRoot.querySelectorAll('img, b').length") == 0
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None


def test_new_chat_starts_a_new_session(new_page, chat_url, bot_servers):
    page = new_page()
    page.goto(chat_url)
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(COMPLAINT)
    box.press("Enter")
    expect(choice(page, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)
    first = session_id(page)

    page.get_by_role("button", name="Start a new conversation").click()
    expect(page.locator(".kc-msg-user")).to_have_count(0)
    expect(page.locator(".kc-intro")).to_be_visible()
    expect(box).to_be_focused()
    page.wait_for_function(
        """() => { const k = Object.keys(localStorage).find(k => k.startsWith('kasa-webchat:'));
                                     const id = JSON.parse(localStorage.getItem(k)).sessionId;
                                     return id && id !== %s; }"""
        % json.dumps(first)
    )
    second = session_id(page)
    box.fill("my camera keeps going offline after a few months")
    box.press("Enter")
    expect(page.locator(".kc-msg-bot")).not_to_have_count(0, timeout=BOT_TIMEOUT)
    # the new session's greeting can be the bot message seen above, before the message is stored
    tracker_user_texts(bot_servers, second, at_least=1)
    assert tracker_user_texts(bot_servers, first) == [COMPLAINT]
    assert tracker_user_texts(bot_servers, second) == ["my camera keeps going offline after a few months"]
    page.reload()
    expect(user_said(page, COMPLAINT)).to_have_count(0)
    expect(user_said(page, "my camera keeps going offline")).to_be_visible()


def first_question(page):
    """The answers of the first question for COMPLAINT (the SD card test)."""
    return page.locator(".kc-msg-bot .kc-choices").filter(has_text=FIRST).first


def test_a_typed_answer_disables_the_buttons_also_after_a_reload(new_page, chat_url, bot_servers):
    page = new_page()
    page.goto(chat_url)
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(COMPLAINT)
    box.press("Enter")
    expect(choice(page, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)
    question = first_question(page)
    assert question.locator("button").count() >= 2
    replies = page.locator(".kc-msg-bot").count()

    box.fill("no, a different card is not recognized either")
    box.press("Enter")
    for button in question.locator("button").all():
        expect(button).to_be_disabled()
    expect(question.locator("button.kc-chosen")).to_have_count(0)  # none was tapped
    # the bot's answer has landed (the page saves its transcript then)
    expect(page.locator(".kc-msg-bot").nth(replies)).to_be_visible(timeout=BOT_TIMEOUT)
    expect(page.locator(".kc-typing")).to_be_hidden()

    page.reload()
    expect(user_said(page, "no, a different card")).to_be_visible()
    question = first_question(page)
    expect(question).to_be_visible()
    for button in question.locator("button").all():
        expect(button).to_be_disabled()
    assert tracker_user_texts(bot_servers, session_id(page), at_least=2) == [
        COMPLAINT,
        "no, a different card is not recognized either",
    ]
    assert not page.errors, page.errors


def test_an_answer_in_one_tab_disables_the_buttons_in_the_other(new_page, chat_url, bot_servers):
    tab1 = new_page()
    tab1.goto(chat_url)
    box = tab1.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(COMPLAINT)
    box.press("Enter")
    expect(choice(tab1, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)
    tab2 = tab1.context.new_page()  # same localStorage: the same session
    tab2.errors = []
    tab2.on("pageerror", lambda error: tab2.errors.append(str(error)))
    tab2.goto(chat_url)
    expect(choice(tab2, FIRST)).to_be_visible()
    assert session_id(tab2) == session_id(tab1)
    tab2.wait_for_function(
        "() => document.querySelector('#kasa-webchat').kasaWebchat.ready === true", timeout=BOT_TIMEOUT
    )

    replies = tab2.locator(".kc-msg-bot").count()
    box.fill("no, a different card is not recognized either")
    box.press("Enter")
    for button in first_question(tab2).locator("button").all():
        expect(button).to_be_disabled()
    # the bot's reply reaches both tabs; the one that saves last must not bring the buttons back
    expect(tab2.locator(".kc-msg-bot").nth(replies)).to_be_visible(timeout=BOT_TIMEOUT)
    expect(tab1.locator(".kc-typing")).to_be_hidden()
    tab2.reload()
    expect(first_question(tab2)).to_be_visible()
    for button in first_question(tab2).locator("button").all():
        expect(button).to_be_disabled()
    assert not tab1.errors and not tab2.errors, (tab1.errors, tab2.errors)


# --------------------------------------------------------------------------- #
# The embeddable widget on another site
# --------------------------------------------------------------------------- #

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop</title>
<style>button {{ background: red !important; font-size: 40px; }} * {{ color: green; }}</style>
<script>window.io = "the shop's own io";</script>
</head><body>
<h1>Kasa shop</h1><a href="#top">A link of the shop</a>
<script src="{bot}/chat/widget.js" data-title="Kasa help" async></script>
</body></html>
"""


@pytest.fixture(scope="module")
def shop_site(bot_servers, tmp_path_factory) -> Iterator[int]:
    """A page of another site (other origin) embedding the widget with the one-line snippet."""
    root = tmp_path_factory.mktemp("shop")
    (root / "index.html").write_text(HOST_PAGE.format(bot=bot_servers.rasa_url), encoding="utf-8")
    with static_site(root) as port:
        yield port


def test_widget_on_another_site(new_page, shop_site):
    page = new_page(viewport={"width": 1200, "height": 820})
    page.goto(f"http://localhost:{shop_site}/index.html")  # another origin than the bot's
    launcher = page.get_by_role("button", name="Kasa help")
    expect(launcher).to_have_attribute("aria-expanded", "false")

    # keyboard: from the shop's link to the launcher
    page.get_by_role("link", name="A link of the shop").focus()
    tab_to(page, lambda f: f.get("cls") == "kc-launcher")
    page.keyboard.press("Enter")
    expect(launcher).to_have_attribute("aria-expanded", "true")
    dialog = page.get_by_role("dialog", name="Kasa help")
    expect(dialog).to_be_visible()
    assert focused(page)["tag"] == "input"

    page.keyboard.type(COMPLAINT)
    page.keyboard.press("Enter")
    bot_says(page, "SD card is not recognized")
    expect(choice(page, FIRST)).to_be_visible()
    assert page.evaluate("() => window.io") == "the shop's own io"
    # the shop's CSS does not reach into the widget
    color = choice(page, FIRST).evaluate("b => getComputedStyle(b).backgroundColor")
    assert color == "rgb(255, 255, 255)", color
    color = bot_says(page, "SD card is not recognized").evaluate("m => getComputedStyle(m).color")
    assert color == "rgb(27, 31, 36)", color
    screenshot(page, "webchat-widget.png")

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_focused()

    page.reload()
    expect(page.get_by_role("dialog", name="Kasa help")).to_be_hidden()
    page.get_by_role("button", name="Kasa help").click()
    expect(user_said(page, COMPLAINT)).to_be_visible()
    choice(page, FIRST).click()
    to_warranty(page)
    expect(choice(page, "Under warranty")).to_be_visible(timeout=BOT_TIMEOUT)
    assert not page.errors, page.errors


def test_widget_on_a_site_that_is_not_allowed(new_page, shop_site):
    page = new_page()
    # shop.example resolves to 127.0.0.1 (--host-resolver-rules) but is not an allowed origin
    page.goto(f"http://shop.example:{shop_site}/index.html")
    page.get_by_role("button", name="Kasa help").click()
    status = page.locator(".kc-status")
    expect(status).to_have_text(re.compile("Cannot reach the chat server"), timeout=20_000)


def test_widget_on_a_phone(new_page, shop_site):
    page = new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(f"http://localhost:{shop_site}/index.html")
    launcher = page.get_by_role("button", name="Kasa help")
    launcher.tap()
    dialog = page.get_by_role("dialog", name="Kasa help")
    expect(dialog).to_be_visible()
    assert dialog.bounding_box() == {"x": 0, "y": 0, "width": 360, "height": 740}
    expect(launcher).to_be_hidden()  # the panel covers the screen; it has its own close button
    page.get_by_role("textbox", name="Message to Kasa help").fill(COMPLAINT)
    page.get_by_role("button", name="Send").tap()
    expect(choice(page, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Close chat").tap()
    expect(dialog).to_be_hidden()
    expect(launcher).to_be_visible()


# --------------------------------------------------------------------------- #
# Last (it restarts the module's Rasa server)
# --------------------------------------------------------------------------- #


def test_an_open_page_reconnects_after_a_server_restart(new_page, chat_url, bot_servers):
    page = new_page()
    page.goto(chat_url)
    box = page.get_by_role("textbox", name="Message to Kasa camera help")
    box.fill(COMPLAINT)
    box.press("Enter")
    expect(choice(page, FIRST)).to_be_visible(timeout=BOT_TIMEOUT)

    bot_servers.restart()  # same port, same tracker store
    status = page.locator(".kc-status")
    expect(status).to_have_text("", timeout=30_000)  # reconnected (it said "Connection lost...")
    choice(page, FIRST).click()
    more = to_warranty(page)
    choice(page, "Under warranty").click(timeout=BOT_TIMEOUT)
    bot_says(page, "warranty replacement")
    assert len(tracker_user_texts(bot_servers, session_id(page), at_least=3 + more)) == 3 + more

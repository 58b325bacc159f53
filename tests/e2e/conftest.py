"""Browser fixtures for the end-to-end tests (headless Debian Chromium through Playwright)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM_ARGS, ChromiumMissing, ensure_chromium


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium (installed with apt-get when missing and running as root)."""
    try:
        return ensure_chromium()
    except ChromiumMissing as error:
        pytest.fail(str(error))


@pytest.fixture(scope="module")
def browser(chromium: Path):
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        # Playwright gives every launch a new empty profile (user data dir).
        browser = p.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(browser):
    """Factory: a page in a fresh context (own localStorage); uncaught page errors collected."""
    contexts = []

    def make(**context_options):
        context = browser.new_context(**context_options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield make
    for context in contexts:
        context.close()

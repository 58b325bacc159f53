"""Headless Chromium for the browser tests, and small loopback web sites for them to visit.

Chromium is Debian's (``/usr/bin/chromium``, or ``KASA_CHROMIUM``), driven by Playwright; it
is never a Playwright download. :func:`ensure_chromium` installs it with apt-get when it is
missing and the tests run as root (as in CI). The fixtures built on this are in
tests/e2e/conftest.py.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import Iterator

from deploy.services import APT_WAIT, apt_lock
from tests.support.servers import HOST, free_port

CHROMIUM = Path(os.environ.get("KASA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a foreign site for the origin tests; everything else resolves normally
    "--host-resolver-rules=MAP shop.example 127.0.0.1",
]


class ChromiumMissing(RuntimeError):
    pass


def ensure_chromium() -> Path:
    """Debian's Chromium; ``apt-get install -y chromium`` when it is missing (root only)."""
    if not CHROMIUM.exists():
        apt = shutil.which("apt-get")
        if apt is None or os.geteuid() != 0:
            raise ChromiumMissing(f"{CHROMIUM} is missing; install Debian's chromium (apt-get install -y chromium)")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        with apt_lock():
            for cmd in (
                [apt, *APT_WAIT, "update"],
                [apt, *APT_WAIT, "install", "-y", "--no-install-recommends", "chromium"],
            ):
                result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
                if result.returncode != 0:
                    raise ChromiumMissing(f"{' '.join(cmd)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    if not CHROMIUM.exists():
        raise ChromiumMissing(f"{CHROMIUM} still missing after apt-get install chromium")
    return CHROMIUM


@contextlib.contextmanager
def static_site(root: Path) -> Iterator[int]:
    """Serve the files under ``root`` on 127.0.0.1 (any host name that maps there); yields the port."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[assignment]
    server = http.server.ThreadingHTTPServer((HOST, free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()

"""Start tests/rasa_channels/socketio_echo_server.py (the socket.io channel with an echoing agent).

    server = EchoServer("fixed", ["--channel", "fixed"], tmp_dir)
    server.process.start(); server.wait()     # then server.url; server.process.stop()

No model and no action server: it starts in a few seconds. WEBCHAT_ALLOWED_ORIGINS is
cleared, so the channel's default origins apply (its own, localhost, 127.0.0.1).
"""

from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

from rasa_channels.socketio_origins import ORIGINS_ENV
from tests.support.servers import HOST, REPO_ROOT, HarnessError, ManagedProcess, free_port, server_env


class EchoServer:
    def __init__(self, name: str, args: List[str], workdir: Path, env: Optional[Dict[str, str]] = None) -> None:
        self.port = free_port()
        self.process = ManagedProcess(
            name=name,
            args=[sys.executable, "-m", "tests.rasa_channels.socketio_echo_server", "--port", str(self.port), *args],
            cwd=REPO_ROOT,
            env=server_env(REPO_ROOT, {ORIGINS_ENV: "", **(env or {})}),
            log_path=workdir / f"{name}.log",
        )

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def wait(self, timeout: float = 120) -> "EchoServer":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.process.running:
                raise HarnessError(f"{self.process.name} exited:\n{self.process.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/webhooks/socketio/", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.2)
        raise HarnessError(f"{self.process.name} did not start:\n{self.process.log_tail()}")

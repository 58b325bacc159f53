"""Keep one server running: restart it when it dies, stop it cleanly when told to.

    python -m server.supervise --name "action server" --log var/log/actions.log \\
        [--pidfile var/run/actions.pid] -- rasa run actions ...

scripts/run starts every server through this, so that one dead process (a crash, the OOM killer,
a kill -9) no longer stops the whole bot: it is started again after 1 s, then 2, 4, ... up to
30 s while it keeps dying, and the back-off starts over once it has run for a minute. After
``--give-up`` (5) exits within a minute without ever coming up, the supervisor gives up and exits
with status 1 (a configuration error does not get better by retrying).

While the action server is down, the Rasa server answers every message with an apology
(server/action_call.py); while the Rasa server is down, clients get a connection error (the
Telegram poller retries, the web chat reconnects). In production systemd does this job
(deploy/systemd/, ``Restart=on-failure``).

The child runs in its own session (process group) with its output appended to ``--log``;
``--pidfile`` holds the child's pid while it runs (tests kill it there). SIGTERM or SIGINT stops
the child (SIGTERM to its group, SIGKILL after 10 s) and then the supervisor, with status 0.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional

MIN_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
STABLE_AFTER_S = 60.0
STOP_TIMEOUT_S = 10.0


def note(log: Path, name: str, text: str) -> None:
    line = f"===== {time.strftime('%F %T')} supervise: {name} {text}\n"
    with open(log, "a", encoding="utf-8") as out:
        out.write(line)
    print(f"==> run: {name} {text}", file=sys.stderr, flush=True)


class Supervisor:
    def __init__(self, name: str, command: List[str], log: Path, pidfile: Optional[Path], give_up: int):
        self.name, self.command, self.log, self.pidfile, self.give_up = name, command, log, pidfile, give_up
        self.child: Optional[subprocess.Popen] = None
        self.stopping = False

    def start_child(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            out.write(f"\n===== {time.strftime('%F %T')} $ {' '.join(self.command)}\n".encode())
            out.flush()
            self.child = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        if self.pidfile:
            self.pidfile.write_text(f"{self.child.pid}\n", encoding="utf-8")

    def stop(self, *_: object) -> None:
        self.stopping = True
        child = self.child
        if child is None or child.poll() is not None:
            return
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + STOP_TIMEOUT_S
        while child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if child.poll() is None:
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            child.wait()

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        backoff = MIN_BACKOFF_S
        quick_exits: List[float] = []
        while not self.stopping:
            started = time.monotonic()
            self.start_child()
            assert self.child is not None
            while self.child.poll() is None:
                try:
                    self.child.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass
            if self.stopping:
                break
            code = self.child.returncode
            ran = time.monotonic() - started
            if ran >= STABLE_AFTER_S:
                backoff, quick_exits = MIN_BACKOFF_S, []
            else:
                quick_exits = [t for t in quick_exits if time.monotonic() - t < STABLE_AFTER_S] + [time.monotonic()]
            if len(quick_exits) >= self.give_up:
                note(self.log, self.name, f"exited {len(quick_exits)} times within a minute (last: {code}); giving up")
                self._clear_pidfile()
                return 1
            note(self.log, self.name, f"exited with status {code} after {ran:.0f}s; restarting in {backoff:.0f}s")
            deadline = time.monotonic() + backoff
            while time.monotonic() < deadline and not self.stopping:
                time.sleep(0.1)
            backoff = min(MAX_BACKOFF_S, backoff * 2)
        self.stop()
        self._clear_pidfile()
        return 0

    def _clear_pidfile(self) -> None:
        if self.pidfile:
            try:
                self.pidfile.unlink()
            except FileNotFoundError:
                pass


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--name", required=True)
    parser.add_argument("--log", required=True, type=Path)
    parser.add_argument("--pidfile", type=Path)
    parser.add_argument("--give-up", type=int, default=5, help="quick exits within a minute before giving up")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command to supervise (put it after --)")
    return Supervisor(args.name, command, args.log, args.pidfile, args.give_up).run()


if __name__ == "__main__":
    sys.exit(main())

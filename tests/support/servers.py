"""Run real Rasa servers from tests.

Plain functions and a small class, so they work from pytest fixtures
(tests/conftest.py), from benchmarks or from a REPL alike::

    model = train_model()                      # scripts/train, skips if up to date
    with start_servers(REPO_ROOT, model, tmp_dir) as servers:
        servers.send("alice", "hello")         # -> [{"recipient_id": ..., "text": ...}]
        servers.restart()                      # same ports, same SQLite tracker store
        servers.tracker("alice")["events"]

Every server runs as a subprocess in its own session (process group) with its
output in a log file under the work dir. Stopping sends SIGTERM to the group,
then SIGKILL after a timeout; the children also get SIGTERM if the test process
dies (PR_SET_PDEATHSIG) and an atexit hook stops whatever is still running, so
no server outlives the test run.

Servers bind to 127.0.0.1 on free ports, use a generated endpoints file
(action server on its port, SQL tracker store on ``<workdir>/tracker.db``) and a
generated credentials file with the REST channel, the web chat's socket.io
channel when the project has one (``rasa_channels/socketio_channel.py``; page at
``/chat``), plus any ``extra_credentials``, e.g. the Telegram channel pointed
at a fake Bot API server.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence

from deploy import services

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_NAME = "kasa"
HOST = "127.0.0.1"

#: Seconds allowed for `scripts/train` (a full training of the real project).
TRAIN_TIMEOUT = float(os.environ.get("KASA_TRAIN_TIMEOUT", "1800"))
#: Seconds allowed for a server to answer after it was started.
START_TIMEOUT = float(os.environ.get("KASA_SERVER_START_TIMEOUT", "240"))
#: Seconds a server gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 20.0
#: Seconds allowed for one HTTP request to a running server.
REQUEST_TIMEOUT = 60.0
#: Lines of server log quoted in error messages.
LOG_TAIL_LINES = 40


class HarnessError(RuntimeError):
    """A server could not be trained, started or reached."""


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #


def venv_executable(name: str) -> Path:
    """Path of a console script (e.g. ``rasa``) of the project's environment."""
    for candidate in (REPO_ROOT / ".venv" / "bin" / name, Path(sys.executable).parent / name):
        if candidate.exists():
            return candidate
    raise HarnessError(f"'{name}' not found in {REPO_ROOT / '.venv'}; run scripts/setup first")


def free_port(exclude: Sequence[int] = ()) -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        if port not in exclude:
            return port
    raise HarnessError("could not find a free TCP port")


def port_is_open(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def server_env(project_dir: Path, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """Environment for Rasa subprocesses: quiet, offline, the project importable before whatever
    this process imports from (deploy.services.server_env)."""
    pythonpath = os.pathsep.join(p for p in (str(project_dir), os.environ.get("PYTHONPATH", "")) if p)
    return services.server_env(pythonpath, extra)


def http_json(method: str, url: str, payload: Any = None, timeout: float = REQUEST_TIMEOUT) -> Any:
    """Send a JSON request and decode the JSON answer (stdlib only)."""
    data = None if payload is None else json.dumps(payload).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", errors="replace")[:2000]
        raise HarnessError(f"{method} {url} -> HTTP {error.code}: {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        raise HarnessError(f"{method} {url} failed: {error}") from error
    return json.loads(body) if body.strip() else None


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #


def run_train(
    project_dir: Path = REPO_ROOT,
    *,
    force: bool = False,
    timeout: float = TRAIN_TIMEOUT,
) -> subprocess.CompletedProcess:
    """Run ``scripts/train --project DIR``; raise HarnessError if it fails."""
    project_dir = Path(project_dir).resolve()
    cmd = [str(REPO_ROOT / "scripts" / "train"), "--project", str(project_dir)]
    if force:
        cmd.append("--force")
    try:
        result = subprocess.run(
            cmd,
            cwd=REPO_ROOT,
            env=server_env(project_dir),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        log = project_dir / "var" / "log" / "train.log"
        raise HarnessError(
            f"scripts/train did not finish within {timeout:.0f}s "
            f"(KASA_TRAIN_TIMEOUT); last lines of {log}:\n{tail(log)}"
        ) from error
    if result.returncode != 0:
        raise HarnessError(
            f"scripts/train failed with exit code {result.returncode}:\n"
            + "\n".join(result.stdout.splitlines()[-LOG_TAIL_LINES:])
        )
    return result


def train_model(project_dir: Path = REPO_ROOT, *, force: bool = False, timeout: float = TRAIN_TIMEOUT) -> Path:
    """Make sure ``<project>/models/kasa.tar.gz`` is trained from the current inputs."""
    run_train(project_dir, force=force, timeout=timeout)
    model = Path(project_dir).resolve() / "models" / f"{MODEL_NAME}.tar.gz"
    if not model.is_file():
        raise HarnessError(f"scripts/train succeeded but {model} does not exist")
    return model


# --------------------------------------------------------------------------- #
# Config files
# --------------------------------------------------------------------------- #


def has_strict_store(project_dir: Path) -> bool:
    """Whether the project has our tracker store (server/tracker_store.py)."""
    return (Path(project_dir) / "server" / "tracker_store.py").is_file()


def rasa_server_command(project_dir: Path) -> List[str]:
    """How the project starts its Rasa server: its launcher (server/rasa_main.py: `rasa run` with the
    project's patches to Rasa installed first) when it has one, else Rasa's own ``rasa``."""
    if (Path(project_dir) / "server" / "rasa_main.py").is_file():
        return [str(venv_executable("python")), "-m", "server.rasa_main"]
    return [str(venv_executable("rasa"))]


def has_rest_channel(project_dir: Path) -> bool:
    """Whether the project has our validated REST channel (rasa_channels/rest_channel.py)."""
    return (Path(project_dir) / "rasa_channels" / "rest_channel.py").is_file()


def write_endpoints(
    path: Path,
    *,
    db_path: Optional[Path] = None,
    actions_url: Optional[str],
    db_url: Optional[str] = None,
    strict_store: bool = False,
    redis_url: Optional[str] = None,
    extra: str = "",
) -> Path:
    """Write an endpoints file: action server URL, a SQL tracker store (an SQLite file, or
    ``db_url``), and a Redis lock store when ``redis_url`` is given.

    ``strict_store`` names the project's server.tracker_store.KasaTrackerStore (no silent
    in-memory fallback) instead of Rasa's SQL store."""
    lines = []
    if actions_url:
        lines += ["action_endpoint:", f'  url: "{actions_url}"', ""]
    lines += ["tracker_store:", f"  type: {'server.tracker_store.KasaTrackerStore' if strict_store else 'SQL'}"]
    if db_url:
        lines += [f"  url: {json.dumps(db_url)}"]
    else:
        assert db_path is not None, "an SQLite path or a db_url is needed"
        lines += ["  dialect: sqlite", f"  db: {json.dumps(str(db_path))}"]
    lines.append("")
    if redis_url:
        parsed = urllib.parse.urlsplit(redis_url)
        lines += [
            "lock_store:",
            "  type: server.lock_store.KasaRedisLockStore",
            f"  url: {json.dumps(parsed.hostname or HOST)}",
            f"  port: {parsed.port or 6379}",
            f"  db: {int((parsed.path or '/0').strip('/') or 0)}",
            "  key_prefix: kasa",
            "",
        ]
    if extra:
        lines.append(extra)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


#: The web chat's channel (rasa_channels/socketio_channel.py, serves /chat), as in credentials.yml.
SOCKETIO_CREDENTIALS = """\
rasa_channels.socketio_channel.SocketIOInput:
  user_message_evt: user_uttered
  bot_message_evt: bot_uttered
  session_persistence: true
"""


def socketio_credentials(project_dir: Path, extra: str = "") -> str:
    """SOCKETIO_CREDENTIALS if ``project_dir`` has the channel (and ``extra`` does not set it)."""
    if "rasa_channels.socketio_channel." in extra:
        return ""
    has_channel = (Path(project_dir) / "rasa_channels" / "socketio_channel.py").is_file()
    return SOCKETIO_CREDENTIALS if has_channel else ""


#: Our validated REST channel (rasa_channels/rest_channel.py), as in credentials.yml.
REST_CREDENTIALS = "rasa_channels.rest_channel.RestInput:\n"


def write_credentials(path: Path, extra: str = "", rest: str = "rest:\n") -> Path:
    """Write a credentials file that enables the REST channel (``rest``: Rasa's by default, or
    REST_CREDENTIALS), plus ``extra`` (YAML of more channels)."""
    text = rest + extra
    if extra and not extra.endswith("\n"):
        text += "\n"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- #
# Processes
# --------------------------------------------------------------------------- #

_LIVE: "set[ManagedProcess]" = set()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to SIGTERM this child when the test process dies."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


@dataclass(eq=False)
class ManagedProcess:
    """A server subprocess in its own process group, logging to a file."""

    name: str
    args: List[str]
    cwd: Path
    env: Dict[str, str]
    log_path: Path
    popen: Optional[subprocess.Popen] = None
    _log: Optional[IO[bytes]] = field(default=None, repr=False)

    def start(self) -> "ManagedProcess":
        if self.running:
            raise HarnessError(f"{self.name} is already running (pid {self.pid})")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== {time.strftime('%H:%M:%S')} $ {' '.join(self.args)}\n".encode())
        self._log.flush()
        self.popen = subprocess.Popen(
            self.args,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        _LIVE.add(self)
        return self

    @property
    def pid(self) -> Optional[int]:
        return self.popen.pid if self.popen else None

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    @property
    def returncode(self) -> Optional[int]:
        return self.popen.poll() if self.popen else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return tail(self.log_path, lines)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """SIGTERM the process group, SIGKILL it if it is still there after ``timeout``, then
        whatever is left in it (deploy.services.stop_group)."""
        if self.popen is not None:
            services.stop_group(self.popen, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
        _LIVE.discard(self)


@atexit.register
def _stop_leftovers() -> None:
    for process in list(_LIVE):
        process.stop(timeout=5)


# --------------------------------------------------------------------------- #
# The servers
# --------------------------------------------------------------------------- #


@dataclass(eq=False)
class RasaServers:
    """A Rasa server (REST channel, HTTP API) and optionally an action server.

    Build it with :func:`start_servers`; use it as a context manager or call
    :meth:`stop`.
    """

    project_dir: Path
    model_path: Path
    workdir: Path
    actions_module: Optional[str] = "actions"
    rasa_port: int = 0
    actions_port: int = 0
    start_timeout: float = START_TIMEOUT
    #: YAML appended to the generated credentials file (channels besides REST).
    extra_credentials: str = ""
    #: The HTTP API's --auth-token (random when empty); tracker() and status() send it.
    api_token: str = ""
    #: A tracker (and ticket) database URL instead of ``<workdir>/tracker.db``, e.g. PostgreSQL.
    db_url: Optional[str] = None
    #: A Redis lock store (redis://host:port/db) instead of Rasa's in-memory one.
    redis_url: Optional[str] = None
    #: --cors origins of the Rasa server (none: no CORS headers at all).
    cors: Sequence[str] = ()
    #: More environment variables for both servers (e.g. the hand-off's timings).
    extra_env: Dict[str, str] = field(default_factory=dict)
    rasa: Optional[ManagedProcess] = None
    actions: Optional[ManagedProcess] = None

    def __post_init__(self) -> None:
        self.project_dir = Path(self.project_dir).resolve()
        self.model_path = Path(self.model_path).resolve()
        self.workdir = Path(self.workdir).resolve()
        self.workdir.mkdir(parents=True, exist_ok=True)
        if not self.rasa_port:
            self.rasa_port = free_port()
        if self.actions_module and not self.actions_port:
            self.actions_port = free_port(exclude=[self.rasa_port])
        if not self.api_token:
            self.api_token = secrets.token_urlsafe(24)
        self.strict = has_strict_store(self.project_dir)
        self.rest_namespaced = has_rest_channel(self.project_dir)
        self.endpoints_path = write_endpoints(
            self.workdir / "endpoints.yml",
            db_path=self.db_path,
            db_url=self.db_url,
            actions_url=f"{self.actions_url}/webhook" if self.actions_module else None,
            strict_store=self.strict,
            redis_url=self.redis_url,
        )
        self.credentials_path = write_credentials(
            self.workdir / "credentials.yml",
            socketio_credentials(self.project_dir, self.extra_credentials) + self.extra_credentials,
            rest=REST_CREDENTIALS if self.rest_namespaced else "rest:\n",
        )
        # hand-off tickets live in the same (temporary) database as the conversations
        env = server_env(self.project_dir, {"HANDOFF_DB_URL": self.tickets_url, **self.extra_env})
        rasa_bin = str(venv_executable("rasa"))
        self.rasa = ManagedProcess(
            name="rasa server",
            args=[
                *rasa_server_command(self.project_dir),
                "run",
                "--enable-api",
                # one argument: a token starting with "-" would be read as an option
                f"--auth-token={self.api_token}",
                "--interface",
                HOST,
                "--port",
                str(self.rasa_port),
                "--model",
                str(self.model_path),
                "--endpoints",
                str(self.endpoints_path),
                "--credentials",
                str(self.credentials_path),
                *(["--cors", *self.cors] if self.cors else []),
            ],
            cwd=self.project_dir,
            env=env,
            log_path=self.workdir / "rasa.log",
        )
        if self.actions_module:
            self.actions = ManagedProcess(
                name="action server",
                args=[
                    rasa_bin,
                    "run",
                    "actions",
                    "--port",
                    str(self.actions_port),
                    "--actions",
                    self.actions_module,
                ],
                cwd=self.project_dir,
                env=env,
                log_path=self.workdir / "actions.log",
            )

    # -- addresses ---------------------------------------------------------- #

    @property
    def rasa_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{HOST}:{self.actions_port}"

    @property
    def webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def db_path(self) -> Path:
        return self.workdir / "tracker.db"

    @property
    def tickets_url(self) -> str:
        return self.db_url or f"sqlite:///{self.db_path}"

    def rest_id(self, sender: str) -> str:
        """The conversation id of a REST sender (``rest:<sender>`` with our REST channel)."""
        return f"rest:{sender}" if self.rest_namespaced else sender

    @property
    def processes(self) -> List[ManagedProcess]:
        return [p for p in (self.actions, self.rasa) if p is not None]

    # -- lifecycle ---------------------------------------------------------- #

    def start(self) -> "RasaServers":
        """Start the servers and wait until they answer; stop them all on failure."""
        try:
            for process in self.processes:
                process.start()
            if self.actions is not None:
                self._wait_ready(self.actions, f"{self.actions_url}/health")
            self._wait_rasa_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server (idempotent)."""
        for process in self.processes:
            process.stop()

    def restart(self) -> "RasaServers":
        """Restart the Rasa server on the same port with the same tracker database."""
        assert self.rasa is not None
        self.rasa.stop()
        deadline = time.monotonic() + 10
        while port_is_open(self.rasa_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            self.rasa.start()
            self._wait_rasa_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def restart_actions(self) -> "RasaServers":
        """Restart the action server on the same port."""
        assert self.actions is not None
        self.actions.stop()
        deadline = time.monotonic() + 10
        while port_is_open(self.actions_port) and time.monotonic() < deadline:
            time.sleep(0.1)
        try:
            self.actions.start()
            self._wait_ready(self.actions, f"{self.actions_url}/health")
        except BaseException:
            self.stop()
            raise
        return self

    def __enter__(self) -> "RasaServers":
        if not (self.rasa and self.rasa.running):
            self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    def _wait_rasa_ready(self) -> None:
        assert self.rasa is not None
        self._wait_ready(self.rasa, f"{self.rasa_url}/")
        # With --enable-api, /status answers only once the model is loaded.
        self._wait_ready(self.rasa, f"{self.rasa_url}/status?token={self.api_token}")

    def _wait_ready(self, process: ManagedProcess, url: str) -> None:
        deadline = time.monotonic() + self.start_timeout
        while True:
            for other in self.processes:
                if other.popen is not None and not other.running:
                    raise HarnessError(
                        f"{other.name} exited with code {other.returncode} while "
                        f"waiting for {url}\n{self.describe_logs()}"
                    )
            if _answers(url):
                return
            if time.monotonic() > deadline:
                raise HarnessError(
                    f"{process.name} did not answer {url} within "
                    f"{self.start_timeout:.0f}s (KASA_SERVER_START_TIMEOUT)\n"
                    f"{self.describe_logs()}"
                )
            time.sleep(0.25)

    def describe_logs(self, lines: int = LOG_TAIL_LINES) -> str:
        parts = []
        for process in self.processes:
            parts.append(
                f"---- last {lines} lines of {process.name} log ({process.log_path}) ----\n{process.log_tail(lines)}"
            )
        return "\n".join(parts)

    # -- talking to the bot ------------------------------------------------- #

    def send(self, sender: str, text: str) -> List[Dict[str, Any]]:
        """Send one user message through the REST channel; return the bot messages."""
        try:
            answer = http_json("POST", self.webhook_url, {"sender": sender, "message": text})
        except HarnessError as error:
            raise HarnessError(f"{error}\n{self.describe_logs()}") from error
        return list(answer or [])

    def texts(self, sender: str, text: str) -> List[str]:
        """Like :meth:`send`, but only the bot's texts."""
        return [m["text"] for m in self.send(sender, text) if m.get("text")]

    def tracker(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation tracker (HTTP API) of ``conversation_id`` (a REST sender's is
        :meth:`rest_id`; a web chat session id or Telegram chat id is its own)."""
        # Sanic does not decode path parameters: keep ":" (rest:alice) as it is.
        quoted = urllib.parse.quote(conversation_id, safe=":@")
        return http_json("GET", f"{self.rasa_url}/conversations/{quoted}/tracker?token={self.api_token}")

    def stored_tracker(self, conversation_id: str, user_messages: int, timeout: float = 60.0) -> Dict[str, Any]:
        """The tracker once it holds ``user_messages`` customer messages. Rasa sends a turn's replies
        before it stores the turn, so a test that has just seen a reply would otherwise race the store.
        After ``timeout`` it returns what is stored (the test's assertion then says what is missing)."""
        deadline = time.monotonic() + timeout
        while True:
            tracker = self.tracker(conversation_id)
            users = [e for e in tracker.get("events") or [] if e.get("event") == "user"]
            if len(users) >= user_messages or time.monotonic() > deadline:
                return tracker
            time.sleep(0.1)

    def status(self) -> Dict[str, Any]:
        return http_json("GET", f"{self.rasa_url}/status?token={self.api_token}")


def start_servers(
    project_dir: Path,
    model_path: Path,
    workdir: Path,
    *,
    actions_module: Optional[str] = "actions",
    start_timeout: float = START_TIMEOUT,
) -> RasaServers:
    """Start a Rasa server (and an action server unless ``actions_module`` is None).

    ``project_dir`` is the working directory of both servers (the action
    server imports ``actions_module`` from it); ``workdir`` receives the
    generated endpoints/credentials files, the SQLite tracker database and the
    server logs. Returns the started :class:`RasaServers`; on failure raises
    :class:`HarnessError` with the tail of the server logs, leaving nothing
    running.
    """
    return RasaServers(
        project_dir=project_dir,
        model_path=model_path,
        workdir=workdir,
        actions_module=actions_module,
        start_timeout=start_timeout,
    ).start()

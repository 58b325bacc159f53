"""Several Rasa servers and action servers behind nginx, on PostgreSQL and Redis, on this machine.

    .venv/bin/python -m deploy.cluster [--rasa 2] [--actions 2] [--dir DIR]

starts PostgreSQL, Redis (installed from Debian's packages when missing), the action servers and
the Rasa servers (tracker and ticket store in PostgreSQL, lock store and turn ledger in Redis),
and nginx in front of them with only the channel paths open (deploy/nginx/kasa.conf.template),
everything on 127.0.0.1; prints the addresses and serves until Ctrl-C, then stops it all. The
tests (tests/e2e/test_cluster.py) and bench/load.py use :class:`Cluster` the same way. The guide
for several machines is deploy/README.md.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from deploy.services import (  # noqa: E402
    HOST,
    Nginx,
    Postgres,
    Process,
    Redis,
    ServiceError,
    free_port,
    server_env,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def venv_bin(name: str) -> str:
    for candidate in (REPO_ROOT / ".venv" / "bin" / name, Path(sys.executable).parent / name):
        if candidate.exists():
            return str(candidate)
    raise ServiceError(f"{name} not found; run scripts/setup")


def healthy(url: str, timeout: float = 3) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Node:
    name: str
    port: int
    args: List[str]
    env: Dict[str, str]
    log: Path
    process: Optional[Process] = None

    def start(self) -> "Node":
        self.process = Process(self.args, self.log, cwd=REPO_ROOT, env=self.env).start()
        return self

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running


@dataclass
class Cluster:
    directory: Path
    model: Path = REPO_ROOT / "models" / "kasa.tar.gz"
    rasa_count: int = 2
    actions_count: int = 2
    api_token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_env: Dict[str, str] = field(default_factory=dict)
    start_timeout: float = 300.0
    postgres: Optional[Postgres] = None
    redis: Optional[Redis] = None
    nginx: Optional[Nginx] = None
    rasa: List[Node] = field(default_factory=list)
    actions: List[Node] = field(default_factory=list)

    @property
    def db_url(self) -> str:
        assert self.postgres is not None
        return self.postgres.url("kasa")

    @property
    def url(self) -> str:
        assert self.nginx is not None
        return self.nginx.url

    def env(self, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        return server_env(
            str(REPO_ROOT),
            {
                "HANDOFF_DB_URL": self.db_url,
                "KASA_REDIS_URL": self.redis.url if self.redis else "",
                "SANIC_REQUEST_MAX_SIZE": "1048576",
                "TICKET_LOCK_LIFETIME": "30",
                # Rasa listens with a backlog of 100: 200 customers at once overflowed it, and nginx's
                # connects timed out. Idle connections stay open longer than nginx keeps them.
                "SANIC_BACKLOG": "1024",
                "SANIC_KEEP_ALIVE_TIMEOUT": "75",
                "WEBCHAT_ALLOWED_ORIGINS": "",
                **self.extra_env,
                **(extra or {}),
            },
        )

    def start(self) -> "Cluster":
        self.directory = Path(self.directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            self.postgres = Postgres(self.directory / "postgres").start()
            self.redis = Redis(self.directory / "redis").start()
            rasa_ports = [free_port() for _ in range(self.rasa_count)]
            actions_ports = [free_port() for _ in range(self.actions_count)]
            self.nginx = Nginx(self.directory / "nginx", rasa_ports, actions_ports).start()
            self._write_config()
            for index, port in enumerate(actions_ports):
                node = Node(
                    f"actions-{index + 1}",
                    port,
                    [venv_bin("rasa"), "run", "actions", "--port", str(port), "--actions", "actions"],
                    self.env(),
                    self.directory / f"actions-{index + 1}.log",
                )
                self.actions.append(node.start())
            for index, port in enumerate(rasa_ports):
                node = Node(
                    f"rasa-{index + 1}",
                    port,
                    self._rasa_args(port),
                    self.env(),
                    self.directory / f"rasa-{index + 1}.log",
                )
                self.rasa.append(node.start())
            self.wait_healthy(self.actions + self.rasa)
        except BaseException:
            self.stop()
            raise
        return self

    def _write_config(self) -> None:
        assert self.nginx and self.redis
        (self.directory / "endpoints.yml").write_text(
            "\n".join(
                [
                    "action_endpoint:",
                    f'  url: "{self.nginx.actions_url}/webhook"',
                    "tracker_store:",
                    "  type: server.tracker_store.KasaTrackerStore",
                    f"  url: {json.dumps(self.db_url)}",
                    "lock_store:",
                    "  type: server.lock_store.KasaRedisLockStore",
                    f"  url: {HOST}",
                    f"  port: {self.redis.port}",
                    "  db: 0",
                    "  key_prefix: kasa",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        (self.directory / "credentials.yml").write_text(
            "rasa_channels.rest_channel.RestInput:\n"
            "rasa_channels.socketio_channel.SocketIOInput:\n"
            "  user_message_evt: user_uttered\n"
            "  bot_message_evt: bot_uttered\n"
            "  session_persistence: true\n",
            encoding="utf-8",
        )

    def _rasa_args(self, port: int) -> List[str]:
        return [
            # `rasa run` with the project's patches to Rasa installed first (server/rasa_main.py)
            venv_bin("python"), "-m", "server.rasa_main", "run",
            "--interface", HOST, "--port", str(port), "--model", str(self.model),
            "--endpoints", str(self.directory / "endpoints.yml"),
            "--credentials", str(self.directory / "credentials.yml"),
            # Internal only (nginx does not forward it): the tests and the benchmark read trackers.
            # "--auth-token=…" in one argument: a token that starts with "-" (token_urlsafe's first
            # character is one of 64) was read as an option and the server did not start.
            "--enable-api", f"--auth-token={self.api_token}",
        ]  # fmt: skip

    def wait_healthy(self, nodes: List[Node], timeout: Optional[float] = None) -> None:
        deadline = time.monotonic() + (timeout or self.start_timeout)
        waiting = list(nodes)
        while waiting:
            for node in list(waiting):
                if not node.running:
                    raise ServiceError(f"{node.name} exited:\n{node.log.read_text(errors='replace')[-3000:]}")
                if healthy(f"{node.url}/health"):
                    waiting.remove(node)
            if waiting and time.monotonic() > deadline:
                raise ServiceError(f"not healthy in time: {', '.join(n.name for n in waiting)}")
            time.sleep(0.5)

    def kill(self, node: Node) -> None:
        """kill -9, as a crash would."""
        assert node.process is not None
        node.process.kill(signal.SIGKILL)
        node.process.popen.wait(timeout=30)

    def restart(self, node: Node) -> None:
        if node.running:
            node.process.stop()
        node.start()
        self.wait_healthy([node])

    def tracker(self, conversation_id: str) -> dict:
        from urllib.parse import quote

        url = f"{self.rasa[0].url}/conversations/{quote(conversation_id, safe=':@')}/tracker?token={self.api_token}"
        for node in self.rasa:
            if node.running:
                url = f"{node.url}/conversations/{quote(conversation_id, safe=':@')}/tracker?token={self.api_token}"
                break
        with urllib.request.urlopen(url, timeout=30) as response:
            return json.loads(response.read())

    def stop(self) -> None:
        for node in self.rasa + self.actions:
            if node.process:
                node.process.stop()
        for service in (self.nginx, self.redis, self.postgres):
            if service is not None:
                try:
                    service.stop()
                except Exception as error:  # stop the rest regardless
                    print(f"cluster: stopping {type(service).__name__} failed: {error}", file=sys.stderr)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa", type=int, default=2)
    parser.add_argument("--actions", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None, help="where data and logs go (default: a temporary one)")
    args = parser.parse_args(argv)
    directory = args.dir or Path(tempfile.mkdtemp(prefix="kasa-cluster-"))
    cluster = Cluster(directory, rasa_count=args.rasa, actions_count=args.actions)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    try:
        cluster.start()
        print(f"==> cluster: up in {directory}")
        print(f"    channels (nginx)  {cluster.url}/webhooks/rest/webhook, {cluster.url}/chat")
        print(f"    Rasa servers      {', '.join(n.url for n in cluster.rasa)} (API token {cluster.api_token})")
        print(f"    action servers    {', '.join(n.url for n in cluster.actions)} via {cluster.nginx.actions_url}")
        print(f"    PostgreSQL        {cluster.db_url}")
        print(f"    Redis             {cluster.redis.url}")
        print("    Ctrl-C stops everything", flush=True)
        while not stop["now"]:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

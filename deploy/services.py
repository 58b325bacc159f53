"""PostgreSQL, Redis and nginx on this machine, on loopback, with their data in one directory.

Used by the tests (tests/support/services.py), by ``deploy/cluster.py`` (two Rasa servers and
two action servers behind nginx) and by ``bench/load.py``. Each service is installed from
Debian's packages when it is missing (as root: ``apt-get install -y postgresql redis-server
nginx``; ``apt-get update`` first when the package is unknown), started on a free port on
127.0.0.1 with its data under the given directory, and stopped with :meth:`stop`. Nothing
listens beyond loopback and nothing of the system's own services is used or changed.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional

HOST = "127.0.0.1"


class ServiceError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def server_env(pythonpath: str, extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment of a Rasa or action server started from here (deploy/cluster.py, the test
    harness): this process's own, quiet and offline (no telemetry, TensorFlow errors only, no
    SQLAlchemy 2.0 warning), unbuffered, importing ``pythonpath`` and binding the action server
    (rasa_sdk reads SANIC_HOST) to :data:`HOST`; then ``extra``."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": pythonpath,
            "SANIC_HOST": HOST,
        }
    )
    env.update(extra or {})
    return env


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((HOST, port)) == 0


def wait_port(port: int, timeout: float, what: str, log: Optional[Path] = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    detail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise ServiceError(f"{what} did not listen on {HOST}:{port} within {timeout:.0f}s\n{detail}")


_updated = False


APT_LOCK = Path(tempfile.gettempdir()) / "kasa-apt.lock"
# apt-get fails at once when another apt-get holds dpkg's lock; wait for it instead
APT_WAIT = ("-o", "DPkg::Lock::Timeout=900")


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock among processes, held while the block runs (released when it ends or fails)."""
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def apt_lock() -> "contextlib.AbstractContextManager[None]":
    """One apt-get at a time among our own processes (two test workers may want a package at once)."""
    return file_lock(APT_LOCK)


def apt_install(*packages: str) -> None:
    """Install Debian packages (idempotent); ServiceError when that is not possible here."""
    global _updated
    if os.geteuid() != 0:
        raise ServiceError(f"{' '.join(packages)} missing and not root: apt-get install -y {' '.join(packages)}")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    command = ["apt-get", *APT_WAIT, "install", "-y", "-q", "--no-install-recommends", *packages]
    with apt_lock():
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0 and not _updated:
            subprocess.run(["apt-get", *APT_WAIT, "update", "-q"], env=env, capture_output=True, timeout=900)
            _updated = True
            done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise ServiceError(f"apt-get install {' '.join(packages)} failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")


def _postgres_bin() -> Optional[Path]:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def ensure_postgres() -> Path:
    if _postgres_bin() is None:
        apt_install("postgresql")
    found = _postgres_bin()
    if found is None:
        raise ServiceError("postgresql installed but no /usr/lib/postgresql/*/bin/pg_ctl")
    return found


def ensure_redis() -> str:
    if shutil.which("redis-server") is None:
        apt_install("redis-server")
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def ensure_nginx() -> str:
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        apt_install("nginx")
    return shutil.which("nginx") or "/usr/sbin/nginx"


def _as_postgres(command: List[str], **kwargs):
    """Run as the postgres user when we are root (initdb and postgres refuse to run as root)."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


@dataclass
class Postgres:
    """A PostgreSQL cluster of its own in ``directory``; database ``kasa``, user ``kasa``."""

    directory: Path
    port: int = 0
    password: str = "kasa-test"
    bin: Optional[Path] = None

    def start(self) -> "Postgres":
        self.bin = ensure_postgres()
        self.directory = Path(self.directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        if os.geteuid() == 0:
            # The server runs as the postgres user, which cannot enter root's 0700 temporary
            # directories: its files go to a directory of its own, linked from ours.
            user = pwd.getpwnam("postgres")
            own = Path(tempfile.mkdtemp(prefix="kasa-pg-"))
            os.chmod(own, 0o700)
            os.chown(own, user.pw_uid, user.pw_gid)
            link = self.directory / "cluster"
            if link.is_symlink() or link.exists():
                link.unlink()
            link.symlink_to(own)
            self.directory = own
        data, sockets = self.directory / "data", self.directory / "sockets"
        sockets.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(sockets, user.pw_uid, user.pw_gid)
        if not (data / "PG_VERSION").exists():
            pwfile = self.directory / "pwfile"
            pwfile.write_text(self.password + "\n")
            if os.geteuid() == 0:
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            done = _as_postgres(
                [str(self.bin / "initdb"), "-D", str(data), "-U", "kasa", "--pwfile", str(pwfile), "-A", "md5",
                 "-E", "UTF8", "--no-instructions"],
                timeout=180,
            )  # fmt: skip
            if done.returncode != 0:
                raise ServiceError(f"initdb failed: {done.stdout}{done.stderr}")
        options = (
            f"-p {self.port} -k {sockets} -c listen_addresses={HOST} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300 -c shared_buffers=64MB"
        )
        done = _as_postgres(
            [str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.directory / "postgres.log"), "-o", options,
             "-w", "-t", "120", "start"],
            timeout=180,
        )  # fmt: skip
        if done.returncode != 0:
            raise ServiceError(f"pg_ctl start failed: {done.stdout}{done.stderr}\n{self.log_tail()}")
        self.execute("postgres", "SELECT 1")
        if "1" not in self.execute("postgres", "SELECT 1 FROM pg_database WHERE datname = 'kasa'"):
            self.execute("postgres", "CREATE DATABASE kasa")
        return self

    def log_tail(self) -> str:
        log = self.directory / "postgres.log"
        return log.read_text(errors="replace")[-3000:] if log.exists() else ""

    def url(self, database: str = "kasa") -> str:
        return f"postgresql://kasa:{self.password}@{HOST}:{self.port}/{database}"

    def execute(self, database: str, sql: str) -> str:
        """Run ``sql`` with psql as the cluster's superuser; its output."""
        psql = str((self.bin or ensure_postgres()) / "psql")
        done = subprocess.run(
            [psql, "-h", HOST, "-p", str(self.port), "-U", "kasa", "-d", database, "-tAc", sql],
            env={**os.environ, "PGPASSWORD": self.password},
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode != 0:
            raise ServiceError(f"psql {sql!r} failed: {done.stderr}")
        return done.stdout

    def create_database(self, name: str) -> str:
        self.execute("postgres", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        self.execute("postgres", f"CREATE DATABASE {name}")
        return self.url(name)

    def set_read_only(self, database: str, read_only: bool) -> None:
        """Make every new transaction of ``database`` read-only (a replica after a failover)
        and end the sessions open now, so the servers' pools reconnect into it."""
        self.execute(
            "postgres", f"ALTER DATABASE {database} SET default_transaction_read_only = {'on' if read_only else 'off'}"
        )
        self.execute(
            "postgres",
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE datname = '{database}' AND pid <> pg_backend_pid()",
        )

    def stop(self) -> None:
        if self.bin is None:
            return
        data = Path(self.directory) / "data"
        if (data / "postmaster.pid").exists():
            _as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], timeout=60)
        if os.geteuid() == 0 and Path(self.directory).name.startswith("kasa-pg-"):
            shutil.rmtree(self.directory, ignore_errors=True)


@dataclass
class Process:
    """A foreground service process in its own process group."""

    args: List[str]
    log: Path
    cwd: Optional[Path] = None
    env: Optional[dict] = None
    popen: Optional[subprocess.Popen] = field(default=None, repr=False)

    def start(self) -> "Process":
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.popen = subprocess.Popen(
            self.args, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        out.close()
        return self

    @property
    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.running:
            signal_group(self.popen.pid, sig)

    def stop(self, timeout: float = 15) -> None:
        if self.popen is not None:
            stop_group(self.popen, timeout)


def signal_group(pid: int, sig: int) -> None:
    """Send ``sig`` to the process group ``pid`` leads; a group that is gone is no error."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def stop_group(popen: subprocess.Popen, timeout: float) -> None:
    """SIGTERM the process group ``popen`` leads (started with ``start_new_session``), SIGKILL it if
    the leader is still there after ``timeout``; then SIGKILL whatever is left in the group (the
    children of a server)."""
    if popen.poll() is None:
        signal_group(popen.pid, signal.SIGTERM)
        try:
            popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            signal_group(popen.pid, signal.SIGKILL)
            popen.wait(timeout=timeout)
    try:
        os.killpg(popen.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Redis:
    directory: Path
    port: int = 0
    process: Optional[Process] = None

    def start(self) -> "Redis":
        binary = ensure_redis()
        self.directory = Path(self.directory).resolve()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.process = Process(
            [binary, "--port", str(self.port), "--bind", HOST, "--dir", str(self.directory), "--save", "",
             "--appendonly", "no", "--protected-mode", "yes", "--daemonize", "no"],
            self.directory / "redis.log",
        ).start()  # fmt: skip
        wait_port(self.port, 30, "redis-server", self.directory / "redis.log")
        return self

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def stop(self) -> None:
        if self.process:
            self.process.stop()


NGINX_TEMPLATE = Path(__file__).resolve().parent / "nginx" / "kasa.conf.template"


def render_nginx(template: Path, **values: str) -> str:
    """The template with every ``{{name}}`` replaced (a missing value is an error)."""
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", str(value))
    if "{{" in text:
        start = text.index("{{")
        raise ServiceError(f"{template}: no value for {text[start : text.index('}}', start) + 2]}")
    return text


@dataclass
class Nginx:
    """nginx in front of the Rasa servers (channel paths only) and of the action servers."""

    directory: Path
    rasa_ports: List[int]
    actions_ports: List[int]
    port: int = 0
    actions_port: int = 0
    process: Optional[Process] = None

    def start(self) -> "Nginx":
        binary = ensure_nginx()
        self.directory = Path(self.directory).resolve()
        for sub in ("logs", "tmp"):
            (self.directory / sub).mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.actions_port = self.actions_port or free_port()
        conf = render_nginx(
            NGINX_TEMPLATE,
            listen=f"{HOST}:{self.port}",
            actions_listen=f"{HOST}:{self.actions_port}",
            rasa_servers="\n".join(f"    server {HOST}:{p} max_fails=1 fail_timeout=5s;" for p in self.rasa_ports),
            actions_servers="\n".join(
                f"    server {HOST}:{p} max_fails=1 fail_timeout=5s;" for p in self.actions_ports
            ),
            prefix=str(self.directory),
            user_line="user root;" if os.geteuid() == 0 else "",
        )
        (self.directory / "nginx.conf").write_text(conf, encoding="utf-8")
        test = subprocess.run(
            [binary, "-t", "-c", str(self.directory / "nginx.conf"), "-p", str(self.directory)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        if test.returncode != 0:
            raise ServiceError(f"nginx -t failed:\n{test.stderr}")
        self.process = Process(
            [binary, "-c", str(self.directory / "nginx.conf"), "-p", str(self.directory), "-g", "daemon off;"],
            self.directory / "logs" / "nginx.out",
        ).start()
        wait_port(self.port, 30, "nginx", self.directory / "logs" / "error.log")
        return self

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def actions_url(self) -> str:
        return f"http://{HOST}:{self.actions_port}"

    def stop(self) -> None:
        if self.process:
            self.process.stop()

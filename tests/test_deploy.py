"""deploy/: the units restart what dies, nginx opens only the channel paths, the files agree."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from deploy.cluster import Cluster
from deploy.services import ensure_nginx, render_nginx, stop_group

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
CHANNEL_PATHS = {"= /webhooks/rest/webhook", "= /webhooks/telegram/webhook", "/socket.io/", "/chat", "/"}


def locations(conf: str, server_index: int = 0) -> set:
    server = conf.split("server {")[1 + server_index]
    return set(re.findall(r"location\s+([^{]+?)\s*\{", server))


@pytest.mark.parametrize("unit", ["kasa-rasa@.service", "kasa-actions@.service"])
def test_units_restart_on_failure_and_serve_on_loopback(unit):
    text = (DEPLOY / "systemd" / unit).read_text()
    assert "Restart=on-failure" in text and "EnvironmentFile=/etc/kasa/kasa.env" in text
    assert "--port %i" in text
    if unit.startswith("kasa-rasa"):
        assert "--interface 127.0.0.1" in text and "--enable-api" not in text
        # `rasa run` through the launcher that installs the project's patches to Rasa (server/rasa_main.py)
        assert "ExecStart=/opt/kasa/.venv/bin/python -m server.rasa_main run " in text
    else:
        assert "SANIC_HOST=127.0.0.1" in text


def test_the_cluster_starts_its_rasa_servers_through_the_projects_launcher(tmp_path):
    args = Cluster(tmp_path)._rasa_args(5005)
    assert Path(args[0]).name.startswith("python") and args[1:4] == ["-m", "server.rasa_main", "run"]


def test_the_public_server_forwards_only_the_channel_paths():
    site = (DEPLOY / "nginx" / "kasa-site.conf").read_text()
    template = (DEPLOY / "nginx" / "kasa.conf.template").read_text()
    assert locations(site) == CHANNEL_PATHS
    assert locations(template) == CHANNEL_PATHS
    assert "return 404;" in site.split("location / {")[1].split("}")[0]
    assert "client_max_body_size 64k;" in site and "client_max_body_size 64k;" in template


def test_the_generated_nginx_configuration_is_valid(tmp_path):
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        ensure_nginx()
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    for sub in ("logs", "tmp"):
        (tmp_path / sub).mkdir()
    conf = render_nginx(
        DEPLOY / "nginx" / "kasa.conf.template",
        listen="127.0.0.1:18080",
        actions_listen="127.0.0.1:18081",
        rasa_servers="    server 127.0.0.1:18082;",
        actions_servers="    server 127.0.0.1:18083;",
        prefix=str(tmp_path),
        user_line="",
    )
    (tmp_path / "nginx.conf").write_text(conf)
    done = subprocess.run([binary, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_the_site_file_is_valid_nginx(tmp_path):
    # kasa-site.conf is copied by hand onto real machines: a misplaced directive would only show there.
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        ensure_nginx()
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    (tmp_path / "logs").mkdir()
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=bot.example.com",
         "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr.decode()
    site = (DEPLOY / "nginx" / "kasa-site.conf").read_text()
    site = site.replace("/etc/letsencrypt/live/bot.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bot.example.com/privkey.pem", str(key))
    site = site.replace("listen 443 ", "listen 127.0.0.1:18443 ").replace("127.0.0.1:5050", "127.0.0.1:18050")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/logs/error.log;\nevents {{}}\n"
        f"http {{\n    include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run([binary, "-t", "-c", str(tmp_path / "nginx.conf"), "-p", str(tmp_path)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_endpoints_name_the_strict_store_postgres_and_redis():
    endpoints = yaml.safe_load((DEPLOY / "endpoints.yml").read_text())
    assert endpoints["tracker_store"]["type"] == "server.tracker_store.KasaTrackerStore"
    assert endpoints["lock_store"]["type"] == "server.lock_store.KasaRedisLockStore"
    env = (DEPLOY / "kasa.env.example").read_text()
    lines = [line for line in (DEPLOY / "endpoints.yml").read_text().splitlines() if not line.lstrip().startswith("#")]
    for name in re.findall(r"\$\{(\w+)\}", "\n".join(lines)):
        assert re.search(rf"^{name}=", env, re.M), f"{name} is not in kasa.env.example"
    credentials = yaml.safe_load((DEPLOY / "credentials.yml").read_text())
    assert "rasa_channels.rest_channel.RestInput" in credentials and "rest" not in credentials


def test_the_default_configuration_is_still_sqlite_in_one_process():
    root = DEPLOY.parent
    endpoints = yaml.safe_load((root / "endpoints.yml").read_text())
    assert endpoints["tracker_store"] == {
        "type": "server.tracker_store.KasaTrackerStore",
        "dialect": "sqlite",
        "db": "var/tracker.db",
    }
    assert "lock_store" not in endpoints
    readme = (root / "README.md").read_text()
    assert readme.index("scripts/run") < readme.index("deploy/")


def _gone(pid: int, timeout: float = 10) -> bool:
    """Whether process ``pid`` has ended (a zombie nobody reaped yet counts as ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def _group(script: str) -> "tuple[subprocess.Popen, int]":
    """A shell in its own process group, as the servers are started; its child's pid."""
    popen = subprocess.Popen(["sh", "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert popen.stdout is not None
    return popen, int(popen.stdout.readline())


def test_stopping_a_server_ends_it_though_it_ignores_sigterm_and_its_children_too():
    # stop_group stops the cluster's processes (deploy.services.Process) and the test harness's
    popen, child = _group('trap "" TERM; sleep 300 & echo $!; wait')
    stop_group(popen, timeout=0.5)
    assert popen.returncode == -9 and _gone(child)
    # a server that has exited already: what it left in its group goes
    popen, child = _group("sleep 300 & echo $!")
    assert popen.wait(timeout=10) == 0 and not _gone(child, timeout=0.2)
    stop_group(popen, timeout=5)
    assert _gone(child)

"""scripts/run: the HTTP API off or behind a token, CORS only for the web chat's origins, and a
supervisor that restarts a dead server while the customer is told to send the message again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator, Optional, Tuple

import pytest

from server.texts import ACTIONS_DOWN
from tests.support.servers import REPO_ROOT, free_port

RUN = REPO_ROOT / "scripts" / "run"


def dry_run(var: Path, **env: str) -> Tuple[int, str]:
    full = {**os.environ, "KASA_VAR_DIR": str(var), "KASA_ENV_FILE": str(var / "no.env"), **env}
    for name in ("RASA_API", "RASA_API_TOKEN", "WEBCHAT_ALLOWED_ORIGINS", "TELEGRAM_TOKEN"):
        if name not in env:
            full.pop(name, None)
    done = subprocess.run([str(RUN), "--dry-run"], cwd=REPO_ROOT, env=full, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout + done.stderr


def rasa_line(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("Rasa server: "))


def test_the_http_api_is_off_by_default(tmp_path):
    code, output = dry_run(tmp_path)
    assert code == 0, output
    line = rasa_line(output)
    assert "--enable-api" not in line and "--cors" not in line
    assert "HTTP API" not in output or "off" in output
    # `rasa run` through the launcher that installs the project's patches to Rasa (server/rasa_main.py)
    assert line.startswith("Rasa server: .venv/bin/python -m server.rasa_main run ")


def test_the_http_api_is_on_only_with_a_token_generated_once_and_kept_untracked(tmp_path):
    code, output = dry_run(tmp_path, RASA_API="on")
    assert code == 0, output
    token_file = tmp_path / "secrets" / "rasa-api-token"
    token = token_file.read_text().strip()
    assert len(token) >= 32 and (token_file.stat().st_mode & 0o777) == 0o600
    assert f"--enable-api --auth-token={token}" in rasa_line(output)
    assert "generated the HTTP API token" in output and token in output
    code, again = dry_run(tmp_path, RASA_API="on")
    assert f"--auth-token={token}" in rasa_line(again) and "generated" not in again
    code, given = dry_run(tmp_path, RASA_API="on", RASA_API_TOKEN="from-the-environment")
    assert "--auth-token=from-the-environment" in rasa_line(given)
    # one argument, so that argparse cannot take a token starting with "-" for an option
    code, dash = dry_run(tmp_path, RASA_API="on", RASA_API_TOKEN="-starts-with-a-dash")
    assert "--auth-token=-starts-with-a-dash" in rasa_line(dash)
    code, bad = dry_run(tmp_path, RASA_API="sometimes")
    assert code != 0 and "RASA_API must be on or off" in bad
    tracked = subprocess.run(["git", "ls-files", "var"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def test_cors_answers_only_the_web_chat_origins(tmp_path):
    code, output = dry_run(tmp_path, WEBCHAT_ALLOWED_ORIGINS="https://shop.example, https://help.example/")
    assert code == 0, output
    assert "--cors https://shop.example https://help.example --model" in rasa_line(output)
    code, output = dry_run(tmp_path, WEBCHAT_ALLOWED_ORIGINS="*")
    assert "--cors" not in rasa_line(output) and "any site" in output


def test_settings_come_from_the_env_file_and_the_shell_wins(tmp_path):
    env_file = tmp_path / "settings.env"
    env_file.write_text(
        "# a comment\nRASA_PORT=6123\nRASA_INTERFACE='0.0.0.0'\nRASA_API=on\nRASA_API_TOKEN=from-file\n"
    )
    code, output = dry_run(tmp_path, KASA_ENV_FILE=str(env_file))
    assert code == 0, output
    line = rasa_line(output)
    assert "--interface 0.0.0.0 --port 6123" in line and "--auth-token=from-file" in line
    code, output = dry_run(tmp_path, KASA_ENV_FILE=str(env_file), RASA_PORT="6200", RASA_API="on")
    assert code == 0, output
    assert "--interface 0.0.0.0 --port 6200" in rasa_line(output)


def test_a_missing_env_file_is_no_error(tmp_path):
    code, output = dry_run(tmp_path, KASA_ENV_FILE=str(tmp_path / "absent.env"))
    assert code == 0, output
    assert f"--port {os.environ.get('RASA_PORT') or 5005} " in rasa_line(output)


# --------------------------------------------------------------------------------------------
# The real thing, once per module
# --------------------------------------------------------------------------------------------


def get(url: str, timeout: float = 5) -> Tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return 0, b""


def say(port: int, sender: str, text: str):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        return [m.get("text") for m in json.loads(response.read())]


def wait_healthy(url: str, timeout: float, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "scripts/run exited"
        if get(url, 2)[0] == 200:
            return
        time.sleep(0.5)
    raise AssertionError(f"{url} not healthy within {timeout}s")


WEBCHAT_ORIGIN = "https://shop.example"


@pytest.fixture(scope="module")
def running_bot(trained_model, tmp_path_factory) -> Iterator[dict]:
    var = tmp_path_factory.mktemp("run-var")
    ports = {"rasa": free_port(), "actions": 0}
    ports["actions"] = free_port(exclude=[ports["rasa"]])
    env = {**os.environ, "KASA_VAR_DIR": str(var), "RASA_PORT": str(ports["rasa"])}
    env["ACTIONS_PORT"] = str(ports["actions"])
    env["WEBCHAT_ALLOWED_ORIGINS"] = WEBCHAT_ORIGIN
    for name in ("RASA_API", "RASA_API_TOKEN", "TELEGRAM_TOKEN", "HANDOFF_API_TOKEN", "HANDOFF_DB_URL"):
        env.pop(name, None)
    log = open(var / "run.out", "wb")
    process = subprocess.Popen(
        [str(RUN)],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{ports['rasa']}/health", 300, process)
        wait_healthy(f"http://127.0.0.1:{ports['actions']}/health", 60, process)
        yield {"process": process, "var": var, **ports}
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        log.close()


def child_pid(var: Path, name: str) -> int:
    return int((var / "run" / f"{name}.pid").read_text())


def test_the_rasa_server_runs_through_the_projects_launcher(running_bot):
    """The Rasa server process scripts/run started is server/rasa_main.py's (the patches to Rasa installed)."""
    cmdline = Path(f"/proc/{child_pid(running_bot['var'], 'rasa')}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1:4] == [b"-m", b"server.rasa_main", b"run"]


def test_no_http_api_without_asking_for_it(running_bot):
    port = running_bot["rasa"]
    say(port, "api-probe", "hi")
    for path in ("/status", "/conversations/rest:api-probe/tracker", "/model", "/version"):
        assert get(f"http://127.0.0.1:{port}{path}")[0] in (404, 405), path
    request = urllib.request.Request(f"http://127.0.0.1:{port}/model", method="DELETE")
    try:
        urllib.request.urlopen(request, timeout=5)
        status = 200
    except urllib.error.HTTPError as error:
        status = error.code
    assert status in (404, 405)
    assert say(port, "api-probe", "my camera has been offline for 2 months")


def cors_origin(port: int, method: str, origin: str) -> Optional[str]:
    """The Access-Control-Allow-Origin the Rasa server answers ``origin`` with (None: none)."""
    headers = {"Origin": origin, "Content-Type": "application/json"}
    data = None
    if method == "OPTIONS":
        headers.update({"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    else:
        data = json.dumps({"sender": "cors-probe", "message": "hi"}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/webhooks/rest/webhook", data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.headers.get("Access-Control-Allow-Origin")
    except urllib.error.HTTPError as error:
        return error.headers.get("Access-Control-Allow-Origin")


def test_cors_lets_only_the_web_chat_origin_read_answers(running_bot):
    port = running_bot["rasa"]
    for method in ("OPTIONS", "POST"):
        assert cors_origin(port, method, WEBCHAT_ORIGIN) == WEBCHAT_ORIGIN, method
        assert cors_origin(port, method, "https://evil.example") is None, method


def test_a_dead_action_server_gets_an_apology_and_is_restarted(running_bot):
    port, var = running_bot["rasa"], running_bot["var"]
    first = say(port, "sv-1", "my camera has been offline for 2 months")
    question = first[-1]
    old = child_pid(var, "actions")
    os.kill(old, signal.SIGKILL)
    assert say(port, "sv-1", "No, it stays offline") == [ACTIONS_DOWN]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if child_pid(var, "actions") != old and get(f"http://127.0.0.1:{running_bot['actions']}/health")[0] == 200:
                break
        except (FileNotFoundError, ValueError):
            pass
        time.sleep(0.5)
    else:
        raise AssertionError("the action server was not restarted")
    # The answer that got the apology did not count: sent again, it answers the same question.
    again = say(port, "sv-1", "No, it stays offline")
    assert again and again[-1] != question and ACTIONS_DOWN not in again
    assert running_bot["process"].poll() is None
    log = (var / "log" / "actions.log").read_text()
    assert "supervise: action server exited with status -9" in log


def test_a_dead_rasa_server_is_restarted_and_the_conversation_goes_on(running_bot):
    port, var = running_bot["rasa"], running_bot["var"]
    before = say(port, "sv-2", "sd card not recognized in my kc120")
    old = child_pid(var, "rasa")
    os.kill(old, signal.SIGKILL)
    time.sleep(1)
    wait_healthy(f"http://127.0.0.1:{port}/health", 240, running_bot["process"])
    assert child_pid(var, "rasa") != old
    after = say(port, "sv-2", "/skip")
    assert after and after != before

"""The Rasa server's launcher (server/rasa_main.py): `rasa run` with components.rasa_speedups installed
first. Where the server is started with it: tests/scripts/test_run.py (scripts/run),
tests/test_deploy.py (systemd, deploy/cluster.py), tests/support/test_servers.py (the test harness)."""

from __future__ import annotations

import subprocess
import sys

from rasa.core.actions.action import RemoteAction

from components.rasa_speedups import _validate_action_result
from server import rasa_main
from tests.support.servers import REPO_ROOT


def test_the_launcher_installs_the_patch_then_runs_rasas_cli_with_the_same_arguments(monkeypatch):
    # put back whatever was there when the test ends: other tests in this process see Rasa's own
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(sys, "argv", ["server/rasa_main.py", "run", "--port", "5005"])
    seen = []
    monkeypatch.setattr(
        rasa_main, "rasa_cli", lambda: seen.append((RemoteAction._validate_action_result, list(sys.argv)))
    )
    rasa_main.main()
    assert seen == [(_validate_action_result, ["server/rasa_main.py", "run", "--port", "5005"])]


# `python -m server.rasa_main` in a fresh interpreter, Rasa's real CLI included; what the process
# has installed when Rasa's CLI has finished is printed on the way out.
RUN_AS_MAIN = """
import atexit, runpy, sys
from rasa.core.actions.action import RemoteAction
atexit.register(lambda: print("validator:", RemoteAction._validate_action_result.__module__))
sys.argv = ["server/rasa_main.py", "--version"]
runpy.run_module("server.rasa_main", run_name="__main__", alter_sys=True)
"""


def test_python_m_server_rasa_main_runs_rasa_with_the_patch_installed():
    done = subprocess.run(
        [sys.executable, "-c", RUN_AS_MAIN], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Rasa Version" in done.stdout  # Rasa's own `rasa --version` ran
    assert done.stdout.strip().splitlines()[-1] == "validator: components.rasa_speedups"

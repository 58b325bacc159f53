"""The Rasa server's launcher (server/rasa_main.py): `rasa run` with the project's patches to Rasa
installed first (components.rasa_speedups, server.tracker_store's strict wrapper, server.action_call's
retry). Where the server is started with it: tests/scripts/test_run.py (scripts/run),
tests/test_deploy.py (systemd, deploy/cluster.py), tests/support/test_servers.py (the test harness)."""

from __future__ import annotations

import subprocess
import sys

import rasa.core.agent
from rasa.core.actions.action import RemoteAction

from components.rasa_speedups import _validate_action_result
from server import action_call, rasa_main
from server.tracker_store import StrictTrackerStore
from tests.support.servers import REPO_ROOT


def installed():
    """What the process has in place of each patched piece of Rasa."""
    return (RemoteAction._validate_action_result, rasa.core.agent.FailSafeTrackerStore, RemoteAction.run)


def test_the_launcher_installs_the_patches_then_runs_rasas_cli_with_the_same_arguments(monkeypatch):
    # put back whatever was there when the test ends: other tests in this process see Rasa's own
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    monkeypatch.setattr(rasa.core.agent, "FailSafeTrackerStore", rasa.core.agent.FailSafeTrackerStore)
    monkeypatch.setattr(RemoteAction, "run", RemoteAction.run)
    monkeypatch.setattr(sys, "argv", ["server/rasa_main.py", "run", "--port", "5005"])
    seen = []
    monkeypatch.setattr(rasa_main, "rasa_cli", lambda: seen.append((installed(), list(sys.argv))))
    rasa_main.main()
    patched = (_validate_action_result, StrictTrackerStore, action_call.run)
    assert seen == [(patched, ["server/rasa_main.py", "run", "--port", "5005"])]


# `python -m server.rasa_main` in a fresh interpreter, Rasa's real CLI included; what the process
# has installed when Rasa's CLI has finished is printed on the way out.
RUN_AS_MAIN = """
import atexit, runpy, sys
import rasa.core.agent
from rasa.core.actions.action import RemoteAction
atexit.register(lambda: print("patched:", RemoteAction._validate_action_result.__module__,
                              rasa.core.agent.FailSafeTrackerStore.__module__, RemoteAction.run.__module__))
sys.argv = ["server/rasa_main.py", "--version"]
runpy.run_module("server.rasa_main", run_name="__main__", alter_sys=True)
"""


def test_python_m_server_rasa_main_runs_rasa_with_the_patches_installed():
    done = subprocess.run(
        [sys.executable, "-c", RUN_AS_MAIN], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Rasa Version" in done.stdout  # Rasa's own `rasa --version` ran
    assert done.stdout.strip().splitlines()[-1] == (
        "patched: components.rasa_speedups server.tracker_store server.action_call"
    )


# In a fresh interpreter: the modules Rasa imports by name (endpoints.yml's tracker store, and what it
# and the health check import) and the action call's own module.
IMPORT_SERVER = """
import server.tracker_store, server.action_call, server.health
import rasa.core.agent
from rasa.core.actions.action import RemoteAction
print("patched:", rasa.core.agent.FailSafeTrackerStore.__module__, RemoteAction.run.__module__)
"""


def test_importing_the_tracker_store_or_the_action_call_patches_nothing():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_SERVER], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "patched: rasa.core.tracker_store rasa.core.actions.action"


def test_without_the_launcher_the_tracker_store_works_and_says_what_is_missing(tmp_path, monkeypatch, caplog):
    from rasa.core.tracker_store import FailSafeTrackerStore

    from server.tracker_store import KasaTrackerStore

    monkeypatch.setattr(rasa.core.agent, "FailSafeTrackerStore", FailSafeTrackerStore)  # Rasa's own, as without
    store = KasaTrackerStore(dialect="sqlite", db=str(tmp_path / "plain.db"))
    assert store.engine.dialect.name == "sqlite"
    assert "not started with its launcher" in caplog.text
    caplog.clear()
    rasa_main.tracker_store.install()
    KasaTrackerStore(dialect="sqlite", db=str(tmp_path / "launched.db"))
    assert "not started with its launcher" not in caplog.text

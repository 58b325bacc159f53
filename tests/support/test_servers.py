"""Tests of the server harness itself, on a tiny throw-away Rasa project.

The tiny project does not depend on the real bot: a greet intent answered by
utter_greet, a ping intent answered by a custom action (so the action server
and the generated action endpoint are exercised too), rules, and a minimal
pipeline. Messages are sent as "/intent" so the result does not depend on how
well 5 epochs of DIET learned.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from textwrap import dedent
from typing import Iterator

import pytest

from tests.support import servers as harness
from tests.support.servers import REPO_ROOT, HarnessError, RasaServers, rasa_server_command, start_servers, train_model


def e2e(test):
    """Mark a test that trains a model or starts servers."""
    return pytest.mark.e2e(pytest.mark.slow(test))


TINY_FILES = {
    "config.yml": """
        recipe: default.v1
        assistant_id: harness-selftest
        language: en
        pipeline:
          - name: WhitespaceTokenizer
          - name: CountVectorsFeaturizer
          - name: DIETClassifier
            epochs: 5
        policies:
          - name: RulePolicy
    """,
    "domain.yml": """
        version: "3.1"
        intents:
          - greet
          - ping
        responses:
          utter_greet:
            - text: "Hello from the tiny bot!"
        actions:
          - action_pong
        session_config:
          session_expiration_time: 60
          carry_over_slots_to_new_session: true
    """,
    "data/nlu.yml": """
        version: "3.1"
        nlu:
          - intent: greet
            examples: |
              - hello
              - hi
              - hey there
              - good morning
          - intent: ping
            examples: |
              - ping
              - are you alive
              - ping the action server
              - status check
    """,
    "data/rules.yml": """
        version: "3.1"
        rules:
          - rule: greet
            steps:
              - intent: greet
              - action: utter_greet
          - rule: ping
            steps:
              - intent: ping
              - action: action_pong
    """,
    "actions/__init__.py": "",
    "actions/pong.py": """
        from rasa_sdk import Action


        class ActionPong(Action):
            def name(self):
                return "action_pong"

            def run(self, dispatcher, tracker, domain):
                dispatcher.utter_message(text="pong")
                return []
    """,
}


def build_tiny_project(root: Path) -> Path:
    for relative, text in TINY_FILES.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def tiny_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_project(tmp_path_factory.mktemp("tiny-project"))


@pytest.fixture(scope="module")
def tiny_model(tiny_project: Path) -> Path:
    return train_model(tiny_project)


@pytest.fixture(scope="module")
def tiny_servers(
    tiny_project: Path, tiny_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RasaServers]:
    with start_servers(tiny_project, tiny_model, tmp_path_factory.mktemp("tiny-servers")) as s:
        yield s


# --------------------------------------------------------------------------- #
# Pieces that need no server
# --------------------------------------------------------------------------- #


def test_the_project_starts_its_rasa_server_through_its_launcher(tmp_path: Path) -> None:
    servers = RasaServers(project_dir=REPO_ROOT, model_path=tmp_path / "kasa.tar.gz", workdir=tmp_path)
    assert servers.rasa is not None and not servers.rasa.running
    assert servers.rasa.args[1:4] == ["-m", "server.rasa_main", "run"]
    # a project without one (the tiny one, the benchmark's stock bot) runs Rasa's own `rasa`
    assert [Path(arg).name for arg in rasa_server_command(tmp_path)] == ["rasa"]


def test_free_port_is_bindable_and_honours_exclude() -> None:
    first = harness.free_port()
    second = harness.free_port(exclude=[first])
    assert first != second
    assert not harness.port_is_open(first)


def test_generated_endpoints_are_read_by_rasa(tmp_path: Path) -> None:
    from rasa.utils.endpoints import read_endpoint_config

    db = tmp_path / "odd $dir" / "tracker.db"
    path = harness.write_endpoints(tmp_path / "endpoints.yml", db_path=db, actions_url="http://127.0.0.1:6055/webhook")
    action = read_endpoint_config(str(path), "action_endpoint")
    store = read_endpoint_config(str(path), "tracker_store")
    assert action.url == "http://127.0.0.1:6055/webhook"
    assert store.type == "SQL"
    assert store.kwargs == {"dialect": "sqlite", "db": str(db)}

    no_actions = harness.write_endpoints(tmp_path / "e2.yml", db_path=db, actions_url=None)
    assert read_endpoint_config(str(no_actions), "action_endpoint") is None


# --------------------------------------------------------------------------- #
# Training
# --------------------------------------------------------------------------- #


@e2e
def test_train_skips_when_inputs_unchanged(tiny_project: Path, tiny_model: Path) -> None:
    fingerprint = (tiny_project / "models" / ".fingerprint").read_text().strip()
    mtime = tiny_model.stat().st_mtime

    result = harness.run_train(tiny_project)

    assert "up to date" in result.stdout
    assert tiny_model.stat().st_mtime == mtime
    assert (tiny_project / "models" / ".fingerprint").read_text().strip() == fingerprint


@e2e
def test_train_failure_is_reported_with_the_log(tmp_path: Path) -> None:
    project = build_tiny_project(tmp_path / "broken")
    (project / "domain.yml").write_text("intents: [\n", encoding="utf-8")
    with pytest.raises(HarnessError, match="scripts/train failed"):
        train_model(project, timeout=300)


# --------------------------------------------------------------------------- #
# Running servers
# --------------------------------------------------------------------------- #


@e2e
def test_rest_round_trip(tiny_servers: RasaServers) -> None:
    assert tiny_servers.send("alice", "/greet") == [{"recipient_id": "alice", "text": "Hello from the tiny bot!"}]
    # Goes through the action server via the generated action endpoint.
    assert tiny_servers.texts("alice", "/ping") == ["pong"]
    assert tiny_servers.status()["model_file"] == "kasa.tar.gz"


@e2e
def test_restart_keeps_the_tracker(tiny_servers: RasaServers) -> None:
    assert tiny_servers.texts("bob", "/greet") == ["Hello from the tiny bot!"]
    old_pid = tiny_servers.rasa.pid
    webhook = tiny_servers.webhook_url

    tiny_servers.restart()

    assert tiny_servers.rasa.pid != old_pid
    assert tiny_servers.webhook_url == webhook
    assert tiny_servers.db_path.is_file()
    events = tiny_servers.tracker("bob")["events"]
    assert [e.get("text") for e in events if e["event"] == "user"] == ["/greet"]
    # The conversation goes on after the restart.
    assert tiny_servers.texts("bob", "/ping") == ["pong"]
    events = tiny_servers.tracker("bob")["events"]
    assert [e.get("text") for e in events if e["event"] == "user"] == ["/greet", "/ping"]
    assert [e.get("text") for e in events if e["event"] == "bot"] == [
        "Hello from the tiny bot!",
        "pong",
    ]


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@e2e
def test_factory_stops_everything(tiny_project: Path, tiny_model: Path, start_rasa_servers) -> None:
    servers = start_rasa_servers(tiny_project, tiny_model, actions_module=None)
    assert servers.actions is None
    assert servers.texts("carol", "/greet") == ["Hello from the tiny bot!"]
    pid = servers.rasa.pid

    servers.stop()

    assert _gone(pid)
    assert not harness.port_is_open(servers.rasa_port)
    servers.stop()  # idempotent


@e2e
def test_start_failure_reports_logs_and_leaves_nothing_running(
    tiny_project: Path, tiny_model: Path, tmp_path: Path
) -> None:
    servers = RasaServers(
        project_dir=tiny_project,
        model_path=tiny_model,
        workdir=tmp_path,
        actions_module="no_such_actions_module",
    )
    with pytest.raises(HarnessError) as raised:
        servers.start()

    message = str(raised.value)
    assert "action server exited" in message
    assert "no_such_actions_module" in message  # from the log tail
    assert all(not p.running for p in servers.processes)
    assert _gone(servers.rasa.pid)

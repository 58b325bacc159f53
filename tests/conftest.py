"""Shared pytest fixtures.

Server harness (tests/support/servers.py):

* ``trained_model``      session: trains the project's model with scripts/train
                         (skipped when the fingerprint matches); returns its path.
* ``bot_servers``        module: action server + Rasa server for this project,
                         SQLite tracker store in a temporary dir; has ``send``,
                         ``tracker``, ``restart`` and the base URLs.
* ``start_rasa_servers`` function: factory ``start_rasa_servers(project_dir,
                         model_path, **kwargs)`` for other projects (e.g. a tiny
                         throw-away one); everything it started is stopped at
                         teardown.

Tests using these fixtures are marked ``e2e`` and ``slow`` automatically
(deselect them with ``-m "not e2e"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator, List

import pytest

# sanic (imported by Rasa) calls warnings.filterwarnings("once", DeprecationWarning)
# when it is first imported; inside a test that would override the filterwarnings
# of pyproject.toml for that test. Importing it here, before any test, avoids that.
import sanic  # noqa: F401,E402

from tests.support.servers import REPO_ROOT, RasaServers, start_servers, train_model

SERVER_FIXTURES = {"trained_model", "bot_servers", "start_rasa_servers"}


# Tests that start servers, install packages or train run one after another in one xdist worker
# (scripts/test runs `-n 2 --dist loadgroup`): they share the trained model and Debian's package
# manager, and two Rasa start-ups at once on CI's two cores gain nothing. The rest spread.
SERVER_PATHS = ("tests/e2e/", "tests/rasa_channels/", "tests/scripts/", "tests/server/", "tests/support/")
SERVER_FILES = ("tests/test_deploy.py", "tests/test_gates.py")


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        starts_servers = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if starts_servers:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.slow)
        path = item.nodeid.split("::", 1)[0]
        if starts_servers or path.startswith(SERVER_PATHS) or path in SERVER_FILES:
            item.add_marker(pytest.mark.xdist_group("servers"))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path of models/kasa.tar.gz, trained from the current inputs."""
    return train_model(REPO_ROOT)


@pytest.fixture(scope="module")
def bot_servers(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RasaServers]:
    """The project's action server and Rasa server, shared by one test module."""
    servers = start_servers(REPO_ROOT, trained_model, tmp_path_factory.mktemp("bot-servers"))
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def start_rasa_servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., RasaServers]]:
    """Factory that starts servers for any project dir; stops them at teardown."""
    started: List[RasaServers] = []

    def start(project_dir: Path, model_path: Path, **kwargs) -> RasaServers:
        workdir = kwargs.pop("workdir", None) or tmp_path_factory.mktemp("servers")
        servers = RasaServers(project_dir=project_dir, model_path=model_path, workdir=workdir, **kwargs)
        started.append(servers)
        return servers.start()

    yield start
    for servers in reversed(started):
        servers.stop()

"""The cached action-response validator accepts and rejects exactly what Rasa's own does, and
importing ``components`` (Rasa does, to load the model) patches nothing: the Rasa server's launcher
installs it (server/rasa_main.py, tests/server/test_rasa_main.py)."""

import subprocess
import sys

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from components.rasa_speedups import _validate_action_result
from tests.support.servers import REPO_ROOT

GOOD = [
    {"events": [], "responses": []},
    {
        "events": [{"event": "slot", "name": "conversation", "value": {"phase": "idle"}}],
        "responses": [{"text": "hi", "buttons": [{"title": "a", "payload": "/b"}]}],
    },
    {},
]
BAD = [
    {"events": "nope"},
    {"events": [{"name": "x"}]},
    {"responses": "text"},
]

# In a fresh interpreter: the package and every module in it imported, as loading the model does.
IMPORT_ALL = """
import importlib, pkgutil
import components
for module in pkgutil.iter_modules(components.__path__):
    importlib.import_module("components." + module.name)
from rasa.core.actions.action import RemoteAction
print(RemoteAction._validate_action_result.__module__)
"""


def test_importing_components_patches_nothing():
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "rasa.core.actions.action"


@pytest.mark.parametrize("result", GOOD)
def test_valid_responses_pass_as_before(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert _validate_action_result(None, result) is True


@pytest.mark.parametrize("result", BAD)
def test_invalid_responses_fail_as_before_with_rasas_message(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as err:
        _validate_action_result(None, result)
    assert "Failed to validate Action server response" in err.value.message

"""The cached action-response validator accepts and rejects exactly what Rasa's own does."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import components  # noqa: F401  (installs the patch)
from components.rasa_speedups import _validate_action_result

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


def test_patch_is_installed():
    assert RemoteAction._validate_action_result is _validate_action_result


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

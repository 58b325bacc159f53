"""tests/support/npm.py: cached installs, and "skip" only when the registry cannot be reached."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.support import npm
from tests.support.servers import free_port


def test_a_cached_package_needs_neither_npm_nor_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("KASA_TEST_CACHE", str(tmp_path))
    package = tmp_path / "npm" / "some-widget_2.0.1" / "node_modules" / "some-widget"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "some-widget", "version": "2.0.1"}))
    monkeypatch.setenv("PATH", "/nonexistent")  # no npm
    assert npm.install_npm_package("some-widget@2.0.1") == package


def test_versions_must_be_pinned():
    with pytest.raises(ValueError):
        npm.install_npm_package("rasa-webchat")


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_an_unreachable_registry_is_reported_as_such(tmp_path, monkeypatch):
    monkeypatch.setenv("KASA_TEST_CACHE", str(tmp_path))
    monkeypatch.setenv("npm_config_registry", f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    with pytest.raises(npm.RegistryUnreachable, match="cannot be reached"):
        npm.install_npm_package("rasa-webchat@1.0.1", timeout=120)
    assert not (tmp_path / "npm" / "rasa-webchat_1.0.1").exists(), "no half install is left behind"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_other_npm_failures_are_errors_not_skips(tmp_path, monkeypatch):
    monkeypatch.setenv("KASA_TEST_CACHE", str(tmp_path))
    try:
        npm.install_npm_package("rasa-webchat@0.0.0-no-such-version", timeout=120)
    except npm.RegistryUnreachable as error:
        pytest.skip(f"registry unreachable: {error}")
    except npm.NpmError as error:
        assert "ETARGET" in str(error) or "E404" in str(error) or "No matching version" in str(error), error
    else:
        raise AssertionError("installing a version that does not exist succeeded")

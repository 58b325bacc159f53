"""Install an npm package for the browser tests, once per machine.

    root = install_npm_package("rasa-webchat@1.0.1")   # .../node_modules/rasa-webchat

The package is installed with the ordinary npm client from the configured registry into a
directory that outlives the checkout: ``$KASA_TEST_CACHE`` or ``$XDG_CACHE_HOME/kasa-bot``
(``~/.cache/kasa-bot``), falling back to the repository's git-ignored ``var/cache``. A clean
clone on the same machine (CI) finds it there; the first run downloads it. npm's own cache
(tarballs) lives next to it, so a re-install needs no network either.

* ``--ignore-scripts``: no install scripts run, so nothing can fetch a browser or a binary.
* ``--legacy-peer-deps``: peer dependencies (React, webpack for a build) are not pulled in;
  the browser bundle the tests load (``lib/index.js`` for rasa-webchat) carries its own.
* Installs go to a temporary directory that is renamed into place when complete, under a
  file lock, so parallel runs (several worktrees) neither race nor see half an install.

:class:`RegistryUnreachable` is raised only when npm failed for network reasons (DNS,
refused or reset connections, time-outs, an offline proxy); any other failure is a
:class:`NpmError` with npm's output, and must fail the test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, Optional

from deploy.services import file_lock
from tests.support.servers import REPO_ROOT

INSTALL_TIMEOUT = float(os.environ.get("KASA_NPM_TIMEOUT", "600"))
# npm error codes (and messages) that mean "the registry cannot be reached".
NETWORK_ERRORS = re.compile(
    r"\b(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|ENETUNREACH|EHOSTUNREACH|"
    r"ENETDOWN|ERR_SOCKET_TIMEOUT|EPROTO|network (request|connectivity)|request to \S+ failed)",
    re.IGNORECASE,
)


class NpmError(RuntimeError):
    """npm is missing or the install failed for a reason other than the network."""


class RegistryUnreachable(NpmError):
    """The package is not cached and the npm registry cannot be reached."""


def cache_root() -> Path:
    """Where installed packages are kept between runs (created if needed)."""
    candidates = []
    if os.environ.get("KASA_TEST_CACHE"):
        candidates.append(Path(os.environ["KASA_TEST_CACHE"]))
    xdg = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    candidates.append(Path(xdg) / "kasa-bot")
    candidates.append(REPO_ROOT / "var" / "cache")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate
    raise NpmError(f"no writable cache directory among {', '.join(map(str, candidates))}")


def _split(spec: str) -> tuple:
    """'rasa-webchat@1.0.1' -> ('rasa-webchat', '1.0.1'); scoped names keep their '@'."""
    name, _, version = spec.rpartition("@") if spec.rfind("@") > 0 else (spec, "", "")
    if not name or not version:
        raise ValueError(f"pin an exact version: {spec!r}")
    return name, version


def _installed_version(node_modules: Path, name: str) -> Optional[str]:
    try:
        return json.loads((node_modules / name / "package.json").read_text(encoding="utf-8")).get("version")
    except (OSError, ValueError):
        return None


_locked = file_lock  # one npm install per cache directory among processes


def registry_url() -> str:
    npm = shutil.which("npm")
    if npm is None:
        return "the npm registry"
    try:
        out = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30)
        return out.stdout.strip() or "the npm registry"
    except (OSError, subprocess.SubprocessError):
        return "the npm registry"


def install_npm_package(spec: str, *, timeout: float = INSTALL_TIMEOUT) -> Path:
    """The directory of ``spec`` (``name@exact-version``) under a cached node_modules.

    Installs it when it is not cached yet. Records how long that took in
    ``<install dir>/.kasa-install.json`` (``seconds``), for the curious.
    """
    name, version = _split(spec)
    root = cache_root()
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec)
    target = root / "npm" / slug
    target.parent.mkdir(parents=True, exist_ok=True)
    node_modules = target / "node_modules"
    with _locked(target.parent / f"{slug}.lock"):
        if _installed_version(node_modules, name) == version:
            return node_modules / name
        npm = shutil.which("npm")
        if npm is None:
            raise NpmError("npm is not installed (Node.js 18+ with npm is needed to install " + spec + ")")
        staging = Path(tempfile.mkdtemp(prefix=f".{slug}-", dir=target.parent))
        try:
            (staging / "package.json").write_text(
                json.dumps({"name": "kasa-bot-test-deps", "private": True}) + "\n", encoding="utf-8"
            )
            env: Dict[str, str] = dict(
                os.environ,
                npm_config_update_notifier="false",
                npm_config_fund="false",
                npm_config_audit="false",
                PUPPETEER_SKIP_DOWNLOAD="1",
                PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1",
            )
            cmd = [
                npm,
                "install",
                "--ignore-scripts",
                "--legacy-peer-deps",
                "--no-audit",
                "--no-fund",
                "--no-progress",
                "--prefer-offline",
                "--fetch-retries=2",
                "--fetch-retry-mintimeout=2000",
                "--fetch-retry-maxtimeout=10000",
                "--cache",
                str(root / "npm" / "_npm-cache"),
                spec,
            ]
            started = time.monotonic()
            try:
                result = subprocess.run(
                    cmd, cwd=staging, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
                )
            except subprocess.TimeoutExpired as error:
                raise RegistryUnreachable(
                    f"npm install {spec} did not finish within {timeout:.0f}s (KASA_NPM_TIMEOUT), "
                    f"and it is not in {target}"
                ) from error
            seconds = time.monotonic() - started
            output = (result.stdout + "\n" + result.stderr)[-4000:]
            if result.returncode != 0:
                network = NETWORK_ERRORS.search(output)
                if network:
                    raise RegistryUnreachable(
                        f"{registry_url()} cannot be reached ({network.group(1)}), and {spec} is not in {target}"
                    )
                raise NpmError(f"npm install {spec} failed (exit {result.returncode}):\n{output}")
            if _installed_version(staging / "node_modules", name) != version:
                raise NpmError(f"npm install {spec} did not install {name} {version}:\n{output}")
            (staging / ".kasa-install.json").write_text(
                json.dumps({"spec": spec, "seconds": round(seconds, 1), "registry": registry_url()}) + "\n",
                encoding="utf-8",
            )
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return node_modules / name

"""bot/settings/: the one reader of the environment, .env.example its mirror, defaults and bad values."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from bot import settings
from bot.settings import BY_NAME, VARIABLES, SettingError

REPO = Path(__file__).resolve().parents[2]
#: The Python packages whose environment reads must go through bot/settings/.
CHECKED = ("bot", "actions", "rasa_channels", "server", "components", "rasa_sdk_plugins")
#: Files allowed to touch os.environ / getenv, and why.
ALLOWED = {
    "bot/settings/reading.py": "the one module that reads the environment",
}
ENV_READ = re.compile(r"\bos\.environ\b|\bgetenv\b|\bfrom\s+os\s+import\s+[^\n]*\benviron\b")
#: ${NAME:-...} / ${NAME:+...} in scripts/ that are not settings of the project, and why.
SCRIPT_NOT_SETTINGS = {
    "PYTHONPATH": "extended so the servers import the project; not a setting",
    "PYTHONDONTWRITEBYTECODE": "scripts/test keeps the tree free of .pyc files; not a setting",
    "PYENV_ROOT": "where scripts/setup looks for pyenv; the machine's, not the project's",
    "POLLER_PID": "scripts/run's own bookkeeping",
    "KASA_ENV_FILE": "names the .env file itself: set in the shell, meaningless inside .env",
    "KASA_TEST_WORKERS": "how many pytest workers scripts/test starts; the test run's, not the bot's",
}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for var in VARIABLES:
        monkeypatch.delenv(var.name, raising=False)
    yield monkeypatch


# ---- one reader ---------------------------------------------------------------------------------


def python_sources() -> Iterator[Path]:
    for package in CHECKED:
        for path in sorted((REPO / package).rglob("*.py")):
            if "vendor" not in path.parts:
                yield path


def test_only_bot_settings_reads_the_environment():
    offenders = []
    for path in python_sources():
        name = path.relative_to(REPO).as_posix()
        if name in ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ENV_READ.search(line):
                offenders.append(f"{name}:{number}: {line.strip()}")
    assert not offenders, "read the environment through bot/settings/ (or list the file in ALLOWED):\n" + "\n".join(
        offenders
    )


def test_the_allowed_exceptions_are_still_needed():
    for name, reason in ALLOWED.items():
        assert reason
        assert ENV_READ.search((REPO / name).read_text()), f"{name} no longer reads the environment: drop it"


def test_reading_an_unknown_variable_is_refused():
    with pytest.raises(KeyError, match="NOT_A_SETTING"):
        settings.raw("NOT_A_SETTING")


def test_the_database_url_default_is_written_once():
    """As a value in the code once (the docs may name it)."""
    literal = re.compile(r"""(["'])sqlite:///var/tracker\.db\1""")
    holders = [p for p in python_sources() if literal.search(p.read_text())]
    assert [p.relative_to(REPO).as_posix() for p in holders] == ["bot/settings/storage.py"]
    from bot.handoff import store

    assert store.DEFAULT_DB_URL is settings.DEFAULT_DB_URL


# ---- the list and .env.example ------------------------------------------------------------------


def test_every_variable_is_described_once():
    assert len(BY_NAME) == len(VARIABLES)
    for var in VARIABLES:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", var.name)
        assert var.group in settings.GROUPS and var.help.strip()
        assert var.type in (str, int, float) and var.read_by in ("python", "scripts")
        assert var.on_invalid in ("error", "default")
        if var.default is not None:
            assert isinstance(var.default, var.type), var.name


def example_names() -> list:
    text = (REPO / ".env.example").read_text()
    return re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.M)


def test_env_example_names_every_variable_and_nothing_else():
    names = example_names()
    assert len(names) == len(set(names)), "a variable twice in .env.example"
    assert set(names) == set(BY_NAME)


def test_env_example_is_generated_from_the_settings():
    assert (REPO / ".env.example").read_text() == settings.env_example(), "run: python -m bot.settings > .env.example"


def test_env_example_changes_nothing_when_copied():
    """Every line is a comment: a fresh .env is the defaults."""
    lines = [line for line in (REPO / ".env.example").read_text().splitlines() if line.strip()]
    assert all(line.startswith("#") for line in lines)


def test_env_example_shows_each_default():
    text = (REPO / ".env.example").read_text()
    assert "# HANDOFF_DB_URL=sqlite:///var/tracker.db\n" in text
    assert "# RASA_PORT=5005\n" in text
    assert "# HANDOFF_OUTBOX_POLL=0.25\n" in text
    assert "# TELEGRAM_TOKEN=\n" in text


def script_reads() -> set:
    names = set()
    for path in (REPO / "scripts").iterdir():
        if path.is_file():
            names |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):[-+]", path.read_text()))
    return names


def test_every_variable_the_scripts_read_is_a_setting():
    missing = script_reads() - set(BY_NAME) - set(SCRIPT_NOT_SETTINGS)
    assert not missing, f"add to bot/settings.VARIABLES (read_by='scripts') or SCRIPT_NOT_SETTINGS: {sorted(missing)}"


def test_every_variable_rasa_expands_in_the_credentials_is_a_setting():
    for name in ("credentials.yml", "credentials.telegram.yml", "endpoints.yml"):
        uncommented = "\n".join(line.split("#")[0] for line in (REPO / name).read_text().splitlines())
        assert set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)\}", uncommented)) <= set(BY_NAME), name


def test_every_script_variable_is_still_read_by_a_script():
    scripts = "\n".join(p.read_text() for p in (REPO / "scripts").iterdir() if p.is_file())
    for var in VARIABLES:
        if var.read_by == "scripts":
            assert var.name in scripts, f"{var.name} is not read by scripts/ any more"


def test_every_python_variable_has_an_accessor():
    source = "\n".join(p.read_text() for p in sorted((REPO / "bot" / "settings").glob("*.py")))
    for var in VARIABLES:
        if var.read_by == "python":
            assert source.count(f'"{var.name}"') >= 2, f"{var.name}: listed but read by no accessor"


# ---- defaults -----------------------------------------------------------------------------------

DEFAULTS: list = [
    (settings.rasa_port, 5005),
    (settings.rasa_url, "http://localhost:5005"),
    (settings.rasa_rest_url, "http://localhost:5005/webhooks/rest/webhook"),
    (settings.relay_token, None),
    (settings.actions_keep_alive_s, 75),
    (settings.action_retry_delay_s, 0.5),
    (settings.turn_workers, 4),
    (settings.store_threads, 8),
    (settings.max_session_events, 300),
    (settings.sqlite_busy_timeout_s, 5.0),
    (settings.handoff_db_url, "sqlite:///var/tracker.db"),
    (settings.redis_url, None),
    (settings.telegram_token, None),
    (settings.telegram_base_url, None),
    (settings.telegram_poll_timeout, 30),
    (settings.telegram_state, "memory"),
    (settings.support_chat_id, None),
    (settings.support_bot_token, None),
    (settings.handoff_agent, None),
    (settings.handoff_api_token, None),
    (settings.handoff_tickets_url, None),
    (settings.claim_timeout_s, 600.0),
    (settings.outbox_poll_s, 0.25),
    (settings.outbox_lease_s, 20.0),
    (settings.support_poll_s, 1.0),
    (settings.webchat_allowed_origins, None),
    (settings.max_message_chars, 4000),
    (settings.max_body_bytes, 65536),
    (settings.max_metadata_bytes, 8192),
]


@pytest.mark.parametrize("accessor,expected", DEFAULTS, ids=[a.__name__ for a, _ in DEFAULTS])
def test_defaults(clean_env, accessor: Callable[[], Any], expected: Any):
    assert accessor() == expected
    assert type(accessor()) is type(expected)


@pytest.mark.parametrize("accessor,expected", DEFAULTS[:3], ids=[a.__name__ for a, _ in DEFAULTS[:3]])
def test_a_blank_value_is_the_default(clean_env, accessor, expected):
    for var in VARIABLES:
        clean_env.setenv(var.name, "  ")
    assert accessor() == expected


def test_values_are_read_when_asked_not_at_import(clean_env):
    clean_env.setenv("HANDOFF_DB_URL", "  postgresql://db/tickets ")
    clean_env.setenv("RASA_PORT", "6005")
    clean_env.setenv("HANDOFF_CLAIM_TIMEOUT", "0")
    assert settings.handoff_db_url() == "postgresql://db/tickets"
    assert settings.rasa_rest_url() == "http://localhost:6005/webhooks/rest/webhook"
    assert settings.claim_timeout_s() == 0.0


def test_the_support_bot_is_the_customers_bot_unless_it_has_its_own(clean_env):
    clean_env.setenv("TELEGRAM_TOKEN", "1:customers")
    assert settings.support_bot_token() == "1:customers"
    clean_env.setenv("TELEGRAM_SUPPORT_BOT_TOKEN", "2:support")
    assert settings.support_bot_token() == "2:support"


def test_floors(clean_env):
    clean_env.setenv("KASA_ACTIONS_KEEP_ALIVE_S", "1")
    clean_env.setenv("KASA_ACTION_RETRY_DELAY_S", "-3")
    clean_env.setenv("KASA_TURN_WORKERS", "0")
    clean_env.setenv("HANDOFF_OUTBOX_POLL", "0.001")
    assert settings.actions_keep_alive_s() == 5
    assert settings.action_retry_delay_s() == 0.0
    assert settings.turn_workers() == 1
    assert settings.outbox_poll_s() == 0.05


# ---- bad values ---------------------------------------------------------------------------------

NUMBERS = [v for v in VARIABLES if v.read_by == "python" and v.type in (int, float)]


@pytest.mark.parametrize("var", [v for v in NUMBERS if v.on_invalid == "error"], ids=lambda v: v.name)
def test_a_bad_number_stops_with_the_variables_name(clean_env, var):
    clean_env.setenv(var.name, "soon")
    with pytest.raises(SettingError, match=rf"{var.name} must be a (whole )?number, not 'soon'"):
        settings.number(var.name)


@pytest.mark.parametrize("var", [v for v in NUMBERS if v.on_invalid == "default"], ids=lambda v: v.name)
def test_a_bad_number_falls_back_to_the_default_with_a_warning(clean_env, caplog, var):
    clean_env.setenv(var.name, "soon")
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        assert settings.number(var.name) == settings.default_number(var.name)
    assert var.name in caplog.text and "'soon'" in caplog.text


def test_a_fraction_where_a_whole_number_is_needed(clean_env):
    clean_env.setenv("TELEGRAM_POLL_TIMEOUT", "2.5")
    with pytest.raises(SettingError, match="TELEGRAM_POLL_TIMEOUT must be a whole number"):
        settings.telegram_poll_timeout()


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("KASA_MAX_MESSAGE_CHARS", "0", 4000),
        ("KASA_STORE_THREADS", "-2", 8),
        ("HANDOFF_CLAIM_TIMEOUT", "-1", 600.0),
    ],
)
def test_below_the_minimum_is_the_default_where_bad_values_are(clean_env, caplog, name, value, expected):
    clean_env.setenv(name, value)
    with caplog.at_level(logging.WARNING, logger="bot.settings"):
        assert settings.number(name) == expected
    assert f"{name} must be" in caplog.text and "at least" in caplog.text


def test_a_port_below_one_stops(clean_env):
    clean_env.setenv("RASA_PORT", "0")
    with pytest.raises(SettingError, match="RASA_PORT must be a whole number of at least 1, not '0'"):
        settings.rasa_port()


def test_cli_entry_points_report_a_bad_value_instead_of_a_traceback(clean_env, capsys):
    from bot.clients import telegram_polling, terminal_chat

    clean_env.setenv("RASA_PORT", "fifty")
    assert terminal_chat.main([]) == 2
    assert "RASA_PORT must be a whole number, not 'fifty'" in capsys.readouterr().err
    clean_env.setenv("TELEGRAM_TOKEN", "1:x")
    assert telegram_polling.main([]) == 2
    assert "RASA_PORT must be a whole number" in capsys.readouterr().err


def test_text_and_number_accessors_refuse_the_wrong_kind():
    with pytest.raises(TypeError):
        settings.number("HANDOFF_DB_URL")

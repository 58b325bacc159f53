import pytest


@pytest.fixture(autouse=True)
def ticket_db(tmp_path, monkeypatch):
    """Hand-off tickets of action tests go to a temporary database, never var/."""
    from actions.turn import reset_controllers
    from bot.handoff.gateway import default_tickets

    monkeypatch.setenv("HANDOFF_DB_URL", f"sqlite:///{tmp_path / 'tickets.db'}")
    reset_controllers()
    default_tickets.cache_clear()
    yield
    reset_controllers()
    default_tickets.cache_clear()

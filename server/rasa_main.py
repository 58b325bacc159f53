"""Start the Rasa server the project's way: ``python -m server.rasa_main run ...`` is ``rasa run ...``
(same arguments, same CLI) with the project's patches to Rasa installed first:

* ``components.rasa_speedups``: the action server's answer checked by a validator built once;
* ``server.tracker_store``: the agent wraps its tracker store in ``StrictTrackerStore`` (no silent
  fallback to memory when the conversation cannot be read or written);
* ``server.action_call``: a call to the action server that failed on the way is retried once, then
  the customer gets an apology instead of silence.

Every place that starts the Rasa server goes through here: scripts/run, deploy/systemd/kasa-rasa@.service,
deploy/cluster.py and the test harness (tests/support/servers.py). Importing ``components`` (Rasa does,
to load the model) or ``server.tracker_store`` (endpoints.yml names it) or ``server.action_call`` patches
nothing; the patches are this launcher's to install.

Started without the launcher (plain ``rasa run``), the server still works and
``server.tracker_store.KasaTrackerStore`` is still its tracker store (SQL off the event loop, a bound on
the session), but without these patches: action responses are validated Rasa's slow way, a failed
action call is neither retried nor apologised for, and a conversation that cannot be read or written
falls back to memory. The store logs a warning then, and the health check (server/health.py) fails.
"""

from __future__ import annotations

from rasa.__main__ import main as rasa_cli

from components import rasa_speedups
from server import action_call, tracker_store


def install() -> None:
    """Install every patch of the project to Rasa (idempotent)."""
    rasa_speedups.install()
    tracker_store.install()
    action_call.install()


def main() -> None:
    install()
    rasa_cli()  # reads sys.argv, as the `rasa` console script does


if __name__ == "__main__":
    main()

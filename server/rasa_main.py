"""Start the Rasa server the project's way: ``python -m server.rasa_main run ...`` is ``rasa run ...``
(same arguments, same CLI) with the project's patches to Rasa installed first.

Every place that starts the Rasa server goes through here: scripts/run, deploy/systemd/kasa-rasa@.service,
deploy/cluster.py and the test harness (tests/support/servers.py). Importing ``components`` (Rasa does,
to load the model) patches nothing; the patch is this launcher's to install.
"""

from __future__ import annotations

from rasa.__main__ import main as rasa_cli

from components import rasa_speedups


def main() -> None:
    rasa_speedups.install()
    rasa_cli()  # reads sys.argv, as the `rasa` console script does


if __name__ == "__main__":
    main()

"""What the Rasa server needs beyond its channels: a tracker store that never pretends, the
action call's retry and fallback, health checks, and the launcher the server is started with
(``python -m server.rasa_main run ...``), which installs the project's patches to Rasa. endpoints.yml
names the tracker store (``tracker_store: type: server.tracker_store.KasaTrackerStore``); importing
any module here patches nothing."""

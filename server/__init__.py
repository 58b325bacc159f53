"""What the Rasa server needs beyond its channels: a tracker store that never pretends, the
action call's retry and fallback, health checks, and the launcher the server is started with
(``python -m server.rasa_main run ...``). Named in endpoints.yml
(``tracker_store: type: server.tracker_store.KasaTrackerStore``), so the Rasa server imports it
before it builds its agent."""

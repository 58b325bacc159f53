"""Custom Rasa NLU components. Importing this package patches nothing: the Rasa server's patches
(components.rasa_speedups) are installed by its launcher, server/rasa_main.py."""

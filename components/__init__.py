"""Custom Rasa NLU components. Importing this package (Rasa does, to load the model) also
applies components.rasa_speedups to the Rasa server."""

from components.rasa_speedups import install as _install_speedups

_install_speedups()

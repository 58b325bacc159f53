"""Size limits at the edge, shared by the channels (and nginx's client_max_body_size in deploy/).

One customer's input must not slow every other conversation: the language model reads the whole
text of a message, and the tracker keeps it for good. So a message longer than
``MAX_MESSAGE_CHARS`` is answered without being parsed or stored, and a request body larger than
``MAX_BODY_BYTES`` is refused before it is read to the end.
"""

from __future__ import annotations

import os


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, ""))
    except ValueError:
        return default
    return value if value > 0 else default


#: Characters of one customer message (the diagnosis never needs more; actions/tracker_io.MAX_TEXT).
MAX_MESSAGE_CHARS = _env_int("KASA_MAX_MESSAGE_CHARS", 4000)
#: Bytes of one REST request body: the longest message, JSON-escaped, plus metadata.
MAX_BODY_BYTES = _env_int("KASA_MAX_BODY_BYTES", 64 * 1024)
#: Bytes of the JSON of a message's metadata.
MAX_METADATA_BYTES = _env_int("KASA_MAX_METADATA_BYTES", 8 * 1024)

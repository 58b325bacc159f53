"""Size limits at the edge, shared by the channels (and nginx's client_max_body_size in deploy/).

One customer's input must not slow every other conversation: the language model reads the whole
text of a message, and the tracker keeps it for good. So a message longer than
``MAX_MESSAGE_CHARS`` is answered without being parsed or stored, and a request body larger than
``MAX_BODY_BYTES`` is refused before it is read to the end.
"""

from __future__ import annotations

from bot import settings

#: Characters of one customer message (the diagnosis never needs more; actions/tracker_io.MAX_TEXT).
MAX_MESSAGE_CHARS = settings.max_message_chars()
#: Bytes of one REST request body: the longest message, JSON-escaped, plus metadata.
MAX_BODY_BYTES = settings.max_body_bytes()
#: Bytes of the JSON of a message's metadata.
MAX_METADATA_BYTES = settings.max_metadata_bytes()

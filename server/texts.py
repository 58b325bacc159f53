"""What the customer reads when the server, not the diagnosis, has something to say."""

#: A turn whose conversation could not be read or saved: nothing of it counts.
NOT_SAVED = "Sorry, something went wrong on our side, please send that again."
#: The action server could not be reached (twice): the conversation did not move on.
ACTIONS_DOWN = (
    "Sorry, something went wrong on our side, please send that again in a minute. Nothing you told me so far is lost."
)


def too_long(limit: int) -> str:
    return (
        f"That message is too long for me (more than {limit:,} characters), so I did not read it. "
        "Please send the main point in a shorter message."
    )

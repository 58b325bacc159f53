"""What the Telegram bot says by itself, without asking Rasa: /start, /help, the command menu,
answers to what it cannot read (photos, voice, locations, edits) and its notices on buttons."""

from __future__ import annotations

HELP_TEXT = (
    "I troubleshoot Kasa security cameras. Tell me in your own words what your camera is doing "
    '(for example: "offline since last week" or "the SD card isn\'t recognised"). I\'ll walk you '
    "through the checks of Kasa's troubleshooting guide, one question at a time, find the likely "
    "cause and tell you the fix, or pass your case to our support team with everything we found. "
    "Tap the buttons under my questions to answer, or type.\n"
    "\n"
    "/restart - start over\n"
    "/human - talk to a person\n"
    "/help - this message"
)
COMMANDS = (
    ("restart", "Start over"),
    ("human", "Talk to a person"),
    ("help", "What this bot does"),
)
FALLBACK_WELCOME = "Hi! I help with Kasa security cameras that misbehave. What is your camera doing?"
NOT_TEXT = (
    "I can only read text, so I can't look at pictures, videos, stickers or files. "
    'Please describe it in words, for example "the LED blinks orange" or '
    '"the app says the camera is offline".'
)
NOT_VOICE = "I can't listen to voice or audio messages. Please type what the camera is doing, in a sentence or two."
NOT_LOCATION = "Thanks, but I don't need a location. Please tell me in words what the camera is doing."
NOT_CONTACT = "Thanks, but I can't use contacts. To talk to a person from our support team, send /human."
EDITED = (
    "I only read new messages, not edits. If you changed something that matters, please send it again as a new message."
)
SORRY = "Sorry, something went wrong on my side. Please try again in a moment, or send /human to talk to a person."
BUTTON_EXPIRED = "This button has expired. Please type your answer, or /restart."
BUTTON_USED = "You already answered this one."
KEYBOARD_TEXT = "Please choose:"  # a keyboard needs a text to hang under

#: Non-text message contents, in the order they are checked, and what the bot says to them.
ATTACHMENT_REPLIES = (
    ("venue", NOT_LOCATION),
    ("location", NOT_LOCATION),
    ("contact", NOT_CONTACT),
    ("voice", NOT_VOICE),
    ("audio", NOT_VOICE),
    ("photo", NOT_TEXT),
    ("sticker", NOT_TEXT),
    ("animation", NOT_TEXT),
    ("video", NOT_TEXT),
    ("video_note", NOT_TEXT),
    ("document", NOT_TEXT),
    ("paid_media", NOT_TEXT),
    ("story", NOT_TEXT),
    ("poll", NOT_TEXT),
    ("dice", NOT_TEXT),
    ("game", NOT_TEXT),
    ("invoice", NOT_TEXT),
)


def welcome_text() -> str:
    """The bot's greeting (bot/dialogue/replies.yml) and a pointer to /help."""
    try:
        from bot.dialogue.messages import fixed_replies

        greeting = fixed_replies()["greet"]
    except Exception:  # the greeting is a nicety; /start must always answer
        greeting = FALLBACK_WELCOME
    return f"{greeting}\n\n(/help shows what I can do; /restart starts over; /human gets you a person.)"

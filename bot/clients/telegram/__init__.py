"""Telegram for the assistant, on python-telegram-bot 22 (no Rasa import).

Shared by the two ways Telegram reaches the bot:

* webhook: the Rasa input channel ``rasa_channels/telegram_channel.py`` receives the
  updates and asks Rasa through its own output channel;
* polling: ``python -m bot.clients.telegram_polling`` long-polls ``getUpdates``
  and asks Rasa over its REST webhook.

Both hand every :class:`telegram.Update` to the :class:`~.bridge.TelegramBridge`, which

* drops updates it has already seen (bounded LRU of ``update_id``);
* turns the update into a user message for Rasa (:func:`.updates.interpret`): text,
  a photo's caption, a pressed button's payload, the commands ``/restart``
  (``/start_over``) and ``/human`` (``/human_handoff``); answers ``/start``,
  ``/help`` and non-text messages (photos, stickers, voice, ...) itself
  (:mod:`.replies`); and ignores what needs no answer (the user blocking the
  bot, channel posts, ...);
* shows "typing..." while Rasa thinks;
* sends Rasa's bot messages (``{"text", "buttons": [{"title", "payload"}]}``,
  :mod:`.outgoing`) as plain text (no ``parse_mode``, so no markup can ever
  break), split on line boundaries at Telegram's 4096 characters
  (:mod:`.splitting`), buttons as an inline keyboard under the last part.
  Payloads longer than ``callback_data``'s 64 bytes travel as short tokens
  (:class:`~.callbacks.CallbackData`, per chat, bounded) and come back exact;
* once the customer answers, by a button or by typing, takes the keyboards
  of the questions they answered off their messages (``editMessageReplyMarkup``),
  and answers a tap on a button of an answered question
  (``answerCallbackQuery``) without telling Rasa, so an old question cannot be
  answered again.

Which updates were seen, the long payloads' tokens and which keyboards are
still open are kept by a :class:`~.bridge_state.TelegramState`:
:class:`~.bridge_state.MemoryState` (this process) by default,
:class:`bot.clients.telegram_state.SQLState` when several bot processes share
one bot token. :mod:`.bot_api` makes the :class:`telegram.Bot` and says which
updates to ask for.
"""

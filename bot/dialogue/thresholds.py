"""The thresholds more than one phase of the conversation reads by: how sure a reading of the language
model must be, and how many messages not understood are enough. A threshold only one phase uses stands
in that phase's module."""

# Below this the intent is confirmed with "Did you mean ...?" (tuned on our own data split, not the eval set).
SYMPTOM_CONFIDENCE = 0.55
# Below this a symptom is not even offered as "Did you mean ...?".
CLARIFY_FLOOR = 0.2
# Typed "skip" / "go back" change the diagnosis, so they must be clear.
COMMAND_CONFIDENCE = 0.6
# A reading this sure is taken as it reads, even where the context suggests otherwise: an answer as a
# first message, small talk while a problem is made out, a "no" to "Did you mean ...?", a second complaint.
CLEAR_ANSWER = 0.85
# After this many messages in a row that are not understood, a person is offered (a button); a ticket
# needs the customer's own request: noise repeated must not reach the support team.
MISUNDERSTOOD_LIMIT = 3
# A reply that opens with yes/no answers the question unless the command guessed is this clear
# ("no, my laptop drops too" is an answer; "no, I can't check right now" a skip).
CLEAR_COMMAND = 0.8

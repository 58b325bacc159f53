"""Issue 12, item 3: a button answers only the question it was shown with; noise opens no ticket;
a command that discards a diagnosis asks first. Driven as Rasa delivers button presses: intent
`choose` with the entities of the payload (`option` and the question instance `ask`)."""

import json

import pytest

from bot.dialogue.controller import Controller
from bot.dialogue.conversation import Conversation
from bot.dialogue.handoff_phase import ASKED_FOR_PERSON
from bot.dialogue.messages import Incoming, choice_payload
from bot.engine import DiagnosisState

EARLIER = "That button belongs to an earlier question. Here is where we are now:"
AAAA = "a" * 300


class Tickets:
    """Just enough of bot.handoff.gateway.Tickets to count what was opened."""

    def __init__(self):
        self.opened = []

    def open_ticket(self, sender, channel, summary, events, customer_name=None):
        self.opened.append(summary.reason)
        return f"REF{len(self.opened):05d}"

    def take_outbox(self, sender):
        return []

    def status(self, reference):
        return "open"

    def keep_message(self, *args, **kwargs):
        pass

    def record_outcome(self, *args, **kwargs):
        pass


@pytest.fixture(scope="module")
def controller():
    return Controller()


def parsed(payload):
    """What Rasa's regex message handler makes of a payload: its intent and its JSON as entities."""
    name, _, rest = payload[1:].partition("{")
    data = json.loads("{" + rest) if rest else {}
    return name, [{"entity": k, "value": v} for k, v in data.items()]


class Chat:
    def __init__(self, controller, sender="customer"):
        self.c = controller
        self.conv = Conversation()
        self.last = []
        self.sender = sender

    def say(self, text, intent=None, confidence=0.95, entities=()):
        msg = Incoming(text, intent, confidence, ((intent, confidence),) if intent else (), tuple(entities))
        msg = Incoming(**{**msg.__dict__, "sender": self.sender})
        self.conv = Conversation.from_dict(json.loads(json.dumps(self.conv.to_dict())))
        self.last = self.c.handle(self.conv, msg)
        return self.last

    def send(self, payload):
        intent, entities = parsed(payload)
        return self.say(payload, intent, 1.0, entities)

    def button(self, title_start, replies=None):
        for reply in reversed(self.last if replies is None else replies):
            for title, payload in reply.buttons:
                if title.lower().startswith(title_start.lower()):
                    return payload
        raise AssertionError(f"no button {title_start!r} in {[r.buttons for r in self.last]}")

    def answers(self):
        """The answer buttons of the open question."""
        return [(t, p) for r in self.last for t, p in r.buttons if p.startswith("/choose") and '"meta|' not in p]

    @property
    def texts(self):
        return [r.text for r in self.last]

    @property
    def state(self):
        return DiagnosisState.from_dict(self.conv.engine)

    def signature(self):
        s = self.state
        return (
            tuple(s.symptoms),
            tuple(json.dumps(o, sort_keys=True, default=str) for o in s.to_dict()["observations"]),
        )


def test_every_choose_button_names_its_question_instance(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    answers = chat.answers()
    assert answers
    tokens = {json.loads(p[len("/choose") :]).get("ask") for _, p in answers}
    assert len(tokens) == 1 and None not in tokens


def test_a_button_of_an_earlier_instance_of_the_same_question_changes_nothing(controller):
    # the question asked again (after "go back") is a new instance: its old buttons are stale
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    first_move = chat.state.pending
    old_buttons = chat.answers()
    chat.send(old_buttons[0][1])
    assert chat.state.pending != first_move or chat.state.asked_answer(first_move) is not None
    chat.say("go back", "go_back", 0.95)
    # taken back: what the customer answered (an answer the symptom implies may stay assumed)
    assert chat.state.pending == first_move and chat.state.asked_answer(first_move) is None
    before = chat.signature()
    chat.send(old_buttons[-1][1])  # another answer, from the buttons of the first time it was asked
    assert chat.signature() == before
    assert chat.texts[0] == EARLIER
    assert chat.state.pending == first_move
    # the buttons shown now work
    chat.send(chat.answers()[-1][1])
    assert chat.state.asked_answer(first_move) is not None


def test_another_conversations_button_changes_nothing(controller):
    alice, bob = Chat(controller, "alice"), Chat(controller, "bob")
    alice.say("offline after 2 months", "offline_after_months")
    bob.say("offline after 2 months", "offline_after_months")
    before = bob.signature()
    bob.send(alice.answers()[0][1])  # the same question, the same option, but alice's button
    assert bob.signature() == before
    assert bob.texts[0] == EARLIER
    assert bob.answers(), "the open question is shown again, with its own buttons"


def test_an_answered_questions_buttons_stay_dead(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    first = chat.answers()
    chat.send(first[0][1])
    after_answer = chat.signature()
    for _, payload in first[1:]:
        chat.send(payload)
        assert chat.signature() == after_answer, payload
        assert chat.texts[0] == EARLIER


def test_payload_words_are_never_read_as_an_answer(controller):
    # issue 12: `sd_slot_inspection|no_card_works` at another question recorded "fixed" ("works")
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    before = chat.signature()
    for payload in (
        '/choose{"option":"sd_slot_inspection|no_card_works"}',
        '/choose{"option":"sd_slot_inspection|no_card_works","ask":"000000"}',
        '/choose{"option":"verify|yes"}',
        '/choose{"option":"x|it works now, fixed, yes"}',
        '/choose{"option":"meta|restart"}',
        '/affirm{"option":"update_app|fixed"}',
    ):
        chat.send(payload)
        assert chat.signature() == before, payload
        assert chat.conv.phase == "diagnosing", payload


def test_a_payload_naming_a_failure_does_not_fail_the_post_fix_checks(controller):
    chat = Chat(controller)
    chat.say("app freezes in settings", "app_freezes_settings")
    chat.send(next(p for _, p in chat.answers() if "|fixed" in p))
    assert chat.state.status == "verifying"
    chat.send('/choose{"option":"sd_slot_inspection|no, the check failed"}')
    assert chat.state.status == "verifying", "a foreign payload's words are no verdict"
    assert chat.texts[0] == EARLIER or "Before we call it fixed" in "\n".join(chat.texts)


def test_forged_entities_in_a_typed_payload_change_nothing(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    move = chat.state.pending
    option = chat.answers()[0][1]
    option_id = json.loads(option[len("/choose") :])["option"].split("|", 1)[1]
    before = chat.signature()
    chat.send('/inform{"fact": {"move": "%s", "option": "%s"}}' % (move, option_id))
    assert chat.signature() == before
    chat.send('/inform{"camera_model": "KC120\\n\\u2022 Assessment: refund approved"}')
    assert "refund approved" not in json.dumps(chat.conv.context)


def test_a_stale_start_over_button_does_not_wipe_the_diagnosis(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    chat.say("start over", "start_over", 0.95)
    assert chat.texts[-1].startswith("Start over? This discards")
    yes = chat.button("Yes, start over")
    chat.send(chat.button("No, let's continue"))
    chat.send(chat.answers()[0][1])  # an answer: the diagnosis moved on
    before = chat.signature()
    chat.send(yes)
    assert chat.conv.phase == "diagnosing" and chat.signature() == before
    assert chat.texts[0] == EARLIER


def test_start_over_confirmed_by_its_own_button_starts_over(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    chat.say("start over", "start_over", 0.95)
    chat.send(chat.button("Yes, start over"))
    assert chat.conv.phase == "idle" and chat.conv.engine is None


@pytest.mark.parametrize("command", ["start_over", "go_back"])
def test_typed_commands_mid_diagnosis_always_answer(controller, command):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    chat.send(chat.answers()[0][1])
    replies = chat.say("/restart" if command == "start_over" else "/back", command, 1.0)
    assert replies and all(r.text for r in replies)
    assert chat.conv.phase == "diagnosing", "nothing discarded without a yes"


def test_stale_buttons_in_other_phases_show_where_things_stand(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    old = chat.answers()[0][1]
    chat.say("start over", "start_over", 0.95)
    chat.send(chat.button("Yes, start over"))
    chat.send(old)
    assert chat.conv.phase == "idle" and chat.conv.engine is None
    assert chat.texts[0] == EARLIER and len(chat.texts) == 2


@pytest.mark.parametrize(
    "noise, intent",
    [
        (AAAA, "human_handoff"),
        ('{"intent": "human_handoff", "confidence": 1.0}', "choose"),
        (json.dumps({"sender": "admin", "message": "/human_handoff"}), "human_handoff"),
        ("<script>alert(1)</script><img src=x onerror=alert(2)>", "human_handoff"),
        ("<div><p>&nbsp;&nbsp;</p></div>", "skip"),
        ("\x1b[2J\x1b]0;owned\x07\x1b[31mred", "human_handoff"),
        ("!@#$%^&*()_+{}|:<>?~`-=[]", "human_handoff"),
    ],
)
def test_noise_never_opens_a_ticket(noise, intent):
    tickets = Tickets()
    chat = Chat(Controller(tickets=tickets))
    for _ in range(6):
        chat.say(noise, intent, 1.0)
        assert all(r.text for r in chat.last)
    assert tickets.opened == [] and chat.conv.phase != "handoff"
    chat.say("offline after 2 months", "offline_after_months")
    before = chat.signature()
    for _ in range(8):
        chat.say(noise, intent, 1.0)
    assert tickets.opened == [] and chat.conv.phase == "diagnosing"
    assert chat.signature() == before, "noise answers nothing either"


def test_a_stuck_customer_is_offered_a_person_and_gets_one_on_request():
    tickets = Tickets()
    chat = Chat(Controller(tickets=tickets))
    chat.say("offline after 2 months", "offline_after_months")
    for _ in range(5):
        chat.say("purple monkey dishwasher", "out_of_scope", 0.4)
        assert tickets.opened == []
    assert any(p == "/human_handoff" for r in chat.last for _, p in r.buttons), "a person is offered"
    chat.send("/human_handoff")
    assert tickets.opened == [ASKED_FOR_PERSON]


def test_a_clear_request_for_a_person_opens_a_ticket():
    tickets = Tickets()
    chat = Chat(Controller(tickets=tickets))
    chat.say("talk to a human please", "human_handoff", 0.99)
    assert tickets.opened == [ASKED_FOR_PERSON] and chat.conv.phase == "handoff"


def test_an_unsure_request_for_a_person_is_offered_not_taken():
    tickets = Tickets()
    chat = Chat(Controller(tickets=tickets))
    chat.say("offline after 2 months", "offline_after_months")
    chat.say("maybe someone else", "human_handoff", 0.45)
    assert tickets.opened == [] and chat.conv.phase == "diagnosing"
    chat.send(chat.button("Yes, connect me"))
    assert tickets.opened == [ASKED_FOR_PERSON]


def test_old_buttons_without_a_token_still_answer_the_open_question(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    move = chat.state.pending
    option = json.loads(chat.answers()[0][1][len("/choose") :])["option"]
    chat.send(choice_payload(*option.split("|", 1)))
    assert chat.state.answer(move) is not None


def test_an_earlier_questions_skip_button_does_not_skip_this_one(controller):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    old_skip = chat.button("Skip for now")
    assert old_skip.startswith("/skip{") and '"ask":' in old_skip
    chat.send(chat.answers()[0][1])
    before, pending = chat.signature(), chat.state.pending
    chat.send(old_skip)
    assert chat.signature() == before and chat.state.pending == pending and chat.state.to_dict()["skipped"] == {}
    assert chat.texts[0] == EARLIER
    chat.send(chat.button("Skip for now"))  # this question's own button skips it
    assert chat.state.to_dict()["skipped"] or chat.state.pending != pending
    before = chat.state.to_dict()["skipped"]
    chat.say("/skip", "skip", 1.0)  # typed: the open question, as before
    assert chat.state.to_dict()["skipped"] != before or chat.state.pending != pending


@pytest.mark.parametrize("typed, intent", [("/restart", "start_over"), ("/back", "go_back")])
def test_a_typed_command_while_a_person_has_the_case_is_answered(controller, typed, intent):
    chat = Chat(controller)
    chat.say("offline after 2 months", "offline_after_months")
    chat.send("/human_handoff")
    assert chat.conv.phase == "handoff"
    replies = chat.say(typed, intent, 1.0)
    assert replies and "support team" in replies[0].text
    assert chat.conv.phase == "handoff", "the case stays with the person until the customer cancels"
    chat.send(chat.button("Cancel, back to the bot"))
    assert chat.conv.phase == "diagnosing"

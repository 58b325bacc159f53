"""Making out the complaint: a message while no problem is clear yet, "what is the camera doing?" and
"Did you mean ...?" with their answers, read together with what was said before, until a diagnosis
starts or the message is found outside what we diagnose."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, List, Optional, Tuple

from bot.dialogue.conversation import Conversation, Phase, state_of
from bot.dialogue.diagnosis_steps import DiagnosisSteps
from bot.dialogue.messages import Incoming, Reply, choice_payload, fixed_replies, unique_entities
from bot.dialogue.rereading import top_intent
from bot.dialogue.symptom_reading import SymptomReading
from bot.dialogue.thresholds import CLARIFY_FLOOR, CLEAR_ANSWER, MISUNDERSTOOD_LIMIT, SYMPTOM_CONFIDENCE
from bot.dialogue.understanding import is_payload, joins_clauses, looks_like_noise, normalise, ordinal_from_text
from bot.language.scope import Scope

# A second symptom this confident, in the same message, is queued as a second problem.
SECOND_SYMPTOM = 0.2
# While a complaint is being made out, an earlier reading this strong is the context: a later guess of
# another complaint, in no word of its own, is asked about beside it rather than taken.
EARLIER_LEAD = 0.4
# Two symptoms in one message split the confidence: each this high, together above
# SYMPTOM_CONFIDENCE, means two complaints rather than an unclear one.
SPLIT_SYMPTOM = 0.3
# Messages about the camera that name no fault: asked "what is it doing?", never "outside what I can diagnose".
DETAIL_INTENTS = ("vague_problem", "inform")
COMMON_SHOWN = 5
# An opening of at most this many words starts a diagnosis only when its symptom is this sure.
SHORT_WORDS = 4
SHORT_SURE = 0.85
# An out-of-scope reading this sure is answered as such, even with a weak symptom behind it
# ("my HS100 plug keeps dropping offline" is a plug, not a camera going offline).
OUT_OF_SCOPE_CONFIDENT = 0.6
# Greetings and goodbyes: read as such only when the model is clear about it while a problem is
# being made out ("cool to the touch" read as goodbye at 0.6 ended the conversation).
SMALL_TALK = ("greet", "thank", "goodbye", "bot_challenge")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


class Opening:
    def __init__(self, steps: DiagnosisSteps, symptoms: SymptomReading, scope: Scope):
        self.k = steps.k
        self.steps = steps
        self.symptoms = symptoms
        self.scope = scope

    def reply(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        """A message while no problem is clear yet: a diagnosis starts when it says clearly enough what
        the camera does; otherwise it is asked about, or why it is outside what we diagnose is said."""
        if msg.intent == "choose" and is_payload(msg.text):
            return self._stray_choice(conv, msg)  # a button, not words about a camera
        if not is_payload(msg.text) and looks_like_noise(msg.text):
            conv.misunderstood += 1
            return [Reply.fixed("unreadable")]  # "asdfghjkl" is no question outside what we diagnose
        found = self.symptoms.ranked(msg)
        replies = self.steps.false_fix_replies(msg, [s for s, _ in found[:1]])
        return replies + self._complaint(conv, msg, found)

    def _complaint(self, conv: Conversation, msg: Incoming, found: List[Tuple[str, float]]) -> List[Reply]:
        """What the message complains of: nothing we diagnose, a Kasa camera after all, one or two
        problems sure enough to start on, or a problem not clear yet."""
        subject = None if is_payload(msg.text) else self.scope.not_a_camera_fault(msg.text)
        earlier = conv.context.pop("_other_brand", None)
        if subject == "brands":
            # kept in case the customer says it is a Kasa after all ("sorry, it's a kasa kc100 not tapo")
            conv.context["_other_brand"] = [[s, c] for s, c in found[:2]]  # not its model: that was the other brand
        if subject:
            return self._out_of_scope(conv, subject)  # a plug, another brand, an integration's own error
        sure_now = found and found[0][1] >= SYMPTOM_CONFIDENCE and msg.intent != "nlu_fallback"
        if earlier and not sure_now and self.scope.names_kasa(msg.text):
            return self._kasa_after_all(conv, msg, earlier)
        short = len(normalise(msg.text).split()) <= SHORT_WORDS
        if short and found and SYMPTOM_CONFIDENCE <= found[0][1] < SHORT_SURE and msg.intent != "nlu_fallback":
            # "camera offline" fits several symptoms that each assume more than was said: ask, with the
            # likeliest first among the buttons
            return self._what_doing(conv, msg, found)
        if found and found[0][1] >= SYMPTOM_CONFIDENCE and msg.intent != "nlu_fallback":
            return self.steps.start(conv, [found[0][0]] + self._second_complaints(msg, found), msg)
        two = [s for s, c in found[:2] if c >= SPLIT_SYMPTOM]
        if len(two) == 2 and found[0][1] + found[1][1] >= SYMPTOM_CONFIDENCE + 0.15 and joins_clauses(msg.text):
            return self.steps.start(conv, two, msg)
        if msg.intent == "choose":
            return self._stray_choice(conv, msg)
        return self._unclear_complaint(conv, msg, found, short)

    def _kasa_after_all(self, conv: Conversation, msg: Incoming, earlier: List[Any]) -> List[Reply]:
        """A camera taken for another brand's is a Kasa after all: what was said of it before counts."""
        said = [(str(s), float(c)) for s, c in earlier if isinstance(s, str) and s in self.symptoms.ids]
        if said and said[0][1] >= SYMPTOM_CONFIDENCE:
            # what they said of it before stands: "wont record to the sd card"
            return [Reply.fixed("kasa_after_all")] + self.steps.start(conv, [said[0][0]], msg)
        # "my tapo c200 keeps going offline" (read as another brand, so no complaint was sure), then "oh
        # sorry its actually a kasa kc100": never "outside what I can diagnose"; what they said is asked about
        self._keep_entities(conv, msg)
        candidates = [s for s, c in said if c >= CLARIFY_FLOOR][:1]
        if candidates:
            return self.clarify(conv, candidates)
        return self._what_doing(conv, replace(msg, intent="inform"), said)

    def _second_complaints(self, msg: Incoming, found: List[Tuple[str, float]]) -> List[str]:
        """The problems the message complains of beside the first, sure one."""
        # a second problem needs its own clause: "blinking amber" is not also "blinking green"
        more: List[str] = []
        if joins_clauses(msg.text):
            more = [s for s, c in found[1:] if c >= SECOND_SYMPTOM]
            # "keeps dropping offline and the sd card isnt detected either": the model reads one complaint
            # (0.98); the other is named in so many words, and is of another kind
            kind = self.k.symptom(found[0][0]).kind
            more += [
                s
                for s in self.symptoms.named(msg)
                if s != found[0][0] and s not in more and (kind is None or self.k.symptom(s).kind != kind)
            ]
        return [s for s in more if not self.symptoms.contradicted(s, msg)]

    def _unclear_complaint(
        self, conv: Conversation, msg: Incoming, found: List[Tuple[str, float]], short: bool
    ) -> List[Reply]:
        """No problem sure enough to start on: small talk, "what is it doing?", "Did you mean ...?", or
        outside what we diagnose."""
        static = {"greet": "greet", "thank": "thank", "goodbye": "goodbye", "bot_challenge": "iamabot"}
        top = top_intent(msg)
        candidates = [s for s, c in found[:2] if c >= CLARIFY_FLOOR and not self.symptoms.contradicted(s, msg)]
        if top in DETAIL_INTENTS:
            # "camera not working", "it's a KC105, had it a year": a camera, no fault yet (the likeliest
            # symptoms come first among the buttons)
            return self._what_doing(conv, msg, found)
        about_camera = not is_payload(msg.text) and self.scope.mentions_camera(msg.text)
        if top in static and not candidates and msg.intent != "nlu_fallback" and not about_camera:
            return [Reply.fixed(static[top])]  # "night mode too late" is no "good night"
        if top == "out_of_scope":
            # sure, or not about the camera at all: out of scope; else what we can read of the camera
            sure = dict(msg.ranking).get("out_of_scope", msg.confidence) >= OUT_OF_SCOPE_CONFIDENT
            if not about_camera or (sure and not short):  # a few words about the camera are too few to be sure
                return self._out_of_scope(conv)
            if not candidates:
                return self._what_doing(conv, msg, found)
        if candidates and not about_camera and top in ("out_of_scope", None):
            return self._out_of_scope(conv)  # "who won the game last night" is no night vision
        if candidates and short:
            return self._what_doing(conv, msg, found)  # too few words for "did you mean"
        if candidates:
            conv.context["_ranking"] = dict(found[:2])
            self._keep_entities(conv, msg)
            return self.clarify(conv, candidates)
        if about_camera:
            return self._what_doing(conv, msg, found)
        if msg.intent == "out_of_scope" or msg.intent == "nlu_fallback":
            return self._out_of_scope(conv)
        return [Reply.fixed("ask_problem")]

    @staticmethod
    def _keep_entities(conv: Conversation, msg: Incoming) -> None:
        """Details given before the problem is clear (model, age, LED) still count once it is."""
        kept = list(conv.context.get("_entities") or [])
        conv.context["_entities"] = unique_entities(kept + [dict(e) for e in msg.entities])

    def _what_doing(self, conv: Conversation, msg: Incoming, found: List[Tuple[str, float]]) -> List[Reply]:
        """A camera problem without what the camera does: ask, with the likeliest and the most common
        symptoms as buttons, and keep what was said to read the answer with it."""
        if msg.intent != "inform":  # details are progress; only a repeated "it's broken" is not
            conv.misunderstood += 1
        said = dict(conv.context.get("_ranking") or {})
        for s, c in found:
            said[s] = max(said.get(s, 0.0), c)
        conv.context["_ranking"] = said
        self._keep_entities(conv, msg)
        likely = [s for s, c in sorted(said.items(), key=lambda x: -x[1]) if c >= CLARIFY_FLOOR][:2]
        shown = list(dict.fromkeys(likely + self.symptoms.common))[:COMMON_SHOWN]
        conv.phase, conv.candidates = Phase.CLARIFY, shown
        buttons = [(_capital(self.k.symptom(s).says), choice_payload("symptom", s)) for s in shown]
        buttons.append(("Something else", choice_payload("symptom", "none")))
        if conv.misunderstood >= MISUNDERSTOOD_LIMIT:
            buttons.append(("Talk to a person", "/human_handoff"))
            text = (
                "Sorry, I'm still not sure what the camera is doing. Pick the closest one below, describe it "
                "in other words, or talk to a person from our support team."
            )
            return [Reply(text=text, buttons=buttons)]
        name = "what_doing_again" if msg.intent == "inform" or conv.misunderstood > 1 else "what_doing"
        return [Reply.fixed(name, buttons)]

    def clarify(self, conv: Conversation, candidates: List[str]) -> List[Reply]:
        conv.phase, conv.candidates = Phase.CLARIFY, candidates
        buttons = [(_capital(self.k.symptom(s).says), choice_payload("symptom", s)) for s in candidates]
        buttons.append(("Something else", choice_payload("symptom", "none")))
        if len(candidates) == 1:
            # one guess is named in the question: "one of these" over a single button reads as a slip
            return [Reply(text=f"Did you mean: {self.k.symptom(candidates[0]).says}?", buttons=buttons)]
        return [Reply(text="Did you mean one of these?", buttons=buttons)]

    def clarify_answer(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        choice = msg.choice()
        if choice and choice[0] == "symptom":
            if choice[1] in self.symptoms.ids:
                return self.steps.start(conv, [choice[1]], msg)
            conv.phase, conv.candidates = Phase.IDLE, []
            return [Reply.fixed("describe_again")]
        if msg.intent == "affirm" and len(conv.candidates) == 1:
            return self.steps.start(conv, conv.candidates, msg)
        if len(conv.candidates) == 1 and self.symptoms.describes(conv.candidates[0], msg):
            return self.steps.start(conv, conv.candidates, msg)
        if choice is None and not is_payload(msg.text):
            # "the first one i guess": the buttons here are problems, so a position is read whatever the intent
            index = ordinal_from_text(msg.text, len(conv.candidates) + 1)
            if index is not None and index < len(conv.candidates):
                return self.steps.start(conv, [conv.candidates[index]], msg)
            if index is not None:
                conv.phase, conv.candidates = Phase.IDLE, []
                return [Reply.fixed("describe_again")]
        combined = self._with_what_was_said(conv, msg)
        if combined is not None:
            return combined
        conv.phase, conv.candidates = Phase.IDLE, []
        return self.reply(conv, msg)

    def _with_what_was_said(self, conv: Conversation, msg: Incoming) -> Optional[List[Reply]]:
        """A typed reply to a clarifying question, read together with the message before it: "it's a
        KC105, had it a year" adds details, and a weak hint now and one before can settle it."""
        found = dict(self.symptoms.ranked(msg))
        before = conv.context.get("_ranking") or {s: CLARIFY_FLOOR for s in conv.candidates}
        if found and max(found.values()) >= SYMPTOM_CONFIDENCE and msg.intent != "nlu_fallback":
            now = max(found, key=lambda s: found[s])
            lead = str(max(before, key=lambda s: before[s], default=""))
            switched = bool(lead) and before[lead] >= EARLIER_LEAD and before.get(now, 0.0) < CLARIFY_FLOOR
            if switched and now not in self.symptoms.named(msg) and not self.symptoms.contradicted(lead, msg):
                # "sd card gone after 2 days", then "pins look ok, blew in it, still not seen" read as live view
                # at 0.89: a guess that leaves the complaint the customer started with, in no word of its own,
                # is asked about beside it
                self._keep_entities(conv, msg)
                return self.clarify(conv, [now, lead])
            return None  # a clear complaint stands on its own
        together = {s: found.get(s, 0.0) + before.get(s, 0.0) for s in set(found) | set(before)}
        best = max(together.items(), key=lambda x: x[1], default=(None, 0.0))
        top = top_intent(msg)
        if best[0] is not None and best[1] >= SYMPTOM_CONFIDENCE and found.get(best[0], 0.0) >= CLARIFY_FLOOR:
            return self.steps.start(conv, [best[0]], msg)
        named = self.symptoms.named(msg) if not is_payload(msg.text) else []
        if len(named) == 1 and found.get(named[0], 0.0) < SYMPTOM_CONFIDENCE:
            # "the app says it's offline, but the light is solid green": the words name one complaint that
            # the language model could not settle; ask about that one, with its words
            self._keep_entities(conv, msg)
            return self.clarify(conv, named)
        shown = self.symptoms.shown_by(msg)
        if len(shown) == 1 and found.get(shown[0], 0.0) < SYMPTOM_CONFIDENCE:
            # "camera offline", then "its blinking green": the light is what one complaint is defined by
            self._keep_entities(conv, msg)
            return self.clarify(conv, shown)
        described = [s for s in conv.candidates if s in self.symptoms.ids and self.symptoms.describes(s, msg)]
        if len(described) == 1 and len(conv.candidates) > 1 and found.get(described[0], 0.0) < SYMPTOM_CONFIDENCE:
            # "clips arent saving", then "to the sd card": where the clips go is asked of one complaint only
            self._keep_entities(conv, msg)
            return self.clarify(conv, described)
        vague = top in DETAIL_INTENTS or top == "nlu_fallback" or (top == "out_of_scope" and msg.confidence < 0.8)
        weak_small_talk = top in SMALL_TALK and msg.confidence < CLEAR_ANSWER  # "cool to the touch" is no goodbye
        if (vague or weak_small_talk) and msg.entities:
            # "camera offline", then "blinking amber since yesterday": details, no complaint; the complaint
            # the first words leaned to, if nothing said now contradicts it, is asked about by name
            read = conv.context.get("_ranking") or {}  # what the model read before, not the buttons shown
            leading = [
                s
                for s, c in sorted(read.items(), key=lambda x: -x[1])
                if c >= CLARIFY_FLOOR and not self.symptoms.contradicted(s, msg)
            ]
            if len(leading) == 1 and list(conv.candidates) != leading:
                self._keep_entities(conv, msg)
                return self.clarify(conv, leading[:1])
        if vague or weak_small_talk:
            return self._what_doing(conv, msg, list(found.items()))
        return None

    def _stray_choice(self, conv: Conversation, msg: Incoming) -> List[Reply]:
        choice = msg.choice()
        if choice and choice[0] == "symptom" and choice[1] in self.symptoms.ids:
            if choice[1] in conv.queue:
                conv.queue.remove(choice[1])
            return self.steps.start(conv, [choice[1]], msg)
        if choice and choice[0] == "meta" and choice[1] in ("no_handoff", "no_next"):
            return [Reply.fixed("anything_else")]
        if choice and choice[0] == "meta" and choice[1] == "resume" and conv.engine:
            conv.phase = Phase.DIAGNOSING
            return self.steps.go_on(conv, state_of(conv))
        return [Reply.fixed("ask_problem")]

    def _out_of_scope(self, conv: Conversation, subject: Optional[str] = None) -> List[Reply]:
        """ "Outside what I can diagnose", in the words for what the message was about when we know it
        (another brand, a plug, the bill, an integration, a wish)."""
        conv.misunderstood += 1
        name = f"out_of_scope_{subject}" if subject and f"out_of_scope_{subject}" in fixed_replies() else "out_of_scope"
        return [Reply.fixed(name, [("Talk to a person", "/human_handoff")])]

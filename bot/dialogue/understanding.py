"""Reading a free-text reply against the question that is open, and spotting false fixes."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Iterable, List, Optional, Sequence, Tuple

from bot.dialogue.phrase_book import NO_PHRASES
from bot.engine import FIXED
from bot.knowledge.fixes import FalseFix, PostFixCheck
from bot.knowledge.guide import Knowledge
from bot.knowledge.moves import Move
from bot.knowledge.phrases import load_answer_phrases

YES_INTENTS = {"affirm"}
NO_INTENTS = {"deny"}
UNSURE_INTENTS = {"not_sure"}
_WORD = re.compile(r"[a-z0-9.]+")
_STOP = {
    "the",
    "a",
    "an",
    "it",
    "is",
    "i",
    "my",
    "to",
    "of",
    "and",
    "or",
    "but",
    "on",
    "in",
    "at",
    "for",
    "this",
    "that",
    "yes",
    "no",
    "its",
    "it's",
    "was",
    "be",
    "me",
    "do",
    "does",
    "all",
    # fillers that say nothing about which option is meant ("I can't do that right now")
    "now",
    "right",
    "just",
    "then",
    "so",
    "really",
    "very",
    "not",
}
_NEGATION = re.compile(
    r"\b(no|not|nope|nah|never|nothing|none|cannot|can'?t|don'?t|doesn'?t|didn'?t|won'?t|isn'?t|"
    r"aren'?t|wasn'?t|haven'?t|hasn'?t|hadn'?t|couldn'?t|wouldn'?t|without)\b",
    re.IGNORECASE,
)


def negated(text: str) -> bool:
    return bool(_NEGATION.search((text or "").replace("\u2019", "'")))


_TOKEN = re.compile(r"[a-z0-9']+")
_CLAUSE = re.compile(r"[,.;:!?]|\bbut\b|\band\b|\bthen\b")
_SCOPE = 2  # words after a negation, in the same clause, that it denies: "not under warranty"


def _denied_words(text: str) -> List[str]:
    denied: List[str] = []
    for clause in _CLAUSE.split((text or "").lower().replace("\u2019", "'")):
        tokens = _TOKEN.findall(clause)
        for i, token in enumerate(tokens):
            if _NEGATION.fullmatch(token):
                denied.extend(t for t in tokens[i + 1 : i + 1 + _SCOPE] if not _NEGATION.fullmatch(t))
    return denied


def _similar(a: str, b: str) -> bool:
    return a == b or SequenceMatcher(None, a, b).ratio() >= 0.85


def _matchable(text: str, options: Sequence[Tuple[str, str]]) -> List[Tuple[str, str]]:
    """Options a reply can mean, given its negations. A negated reply never means "it works" or a
    "yes" option ("I don't have another charger right now", "it is not working now"), nor an option
    whose words it denies ("not under warranty"); "set-up went fine, still no cloud" keeps the rest."""
    if not negated(text):
        return list(options)
    denied = _denied_words(text)
    keep = []
    for option, label in options:
        if not negated(label):
            if option == FIXED or label.lower().startswith("yes"):
                continue
            if any(_similar(w, d) for w in _words(label) for d in denied):
                continue
        keep.append((option, label))
    return keep


def normalise(text: str) -> str:
    return " ".join(_WORD.findall((text or "").lower()))


def _words(text: str) -> List[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP]


def _label_score(text: str, label: str) -> float:
    said, wanted = set(_words(text)), _words(label)
    if not wanted or not said:
        return 0.0
    hits = 0.0
    for w in wanted:
        if w in said:
            hits += 1
        elif any(SequenceMatcher(None, w, s).ratio() >= 0.85 for s in said):
            hits += 0.8  # typos: "recognised", "blinkng"
    return hits / len(wanted)


# words that ask for someone: a "human_handoff" intent without them ("give me a minute") hands nothing over
# "phone", "live", "call", "people" and "team" are everyday words here ("phone and laptop are fine", "live
# view loads", "it detects people"): they ask for a person only in these phrases
_PERSON = re.compile(
    r"\b(human|person|agent|someone|somebody|support|representative|rep|operator|staff|supervisor|"
    r"manager|technician|escalate|talk|speak)\b|\bcontact (me|us|you|someone|support)\b"
    r"|\b(call|phone|ring|email) (me|us)\b|\bon the phone\b|\bby phone\b|\bphone (number|call)\b"
    r"|\blive (chat|agent|person|support|help)\b|\breal (person|human|people|one)\b"
    r"|\b(customer|tech|technical) (service|care|team)\b|\bservice (desk|team)\b|\byour team\b"
    r"|\b(open|raise|file|a) ticket\b"
)


def _said(pattern: "re.Pattern[str]", text: str) -> bool:
    """The words of `pattern` are in the message (lower case, straight apostrophes)."""
    return bool(pattern.search((text or "").lower().replace("\u2019", "'")))


# "yep back to normal" is read as "go back" (0.82): taking an answer back needs words that say so
_GO_BACK = re.compile(
    r"^\s*back\s*[.!]*\s*$|\bgo(?:ing)? back\b|\bundo\b|\bprevious\b|\bmistake\b|\bmisclick|\bmisread\b"
    r"|\b(?:wrong|other) (?:answer|button|option|one)\b|\banswered wrong\b|\banswer was wrong\b"
    r"|\bchange (?:my |the )?(?:last )?answer\b"
    r"|^\s*back up\s*[.!]*\s*$|\bstep back\b|\btake (?:it |that |my answer )?back\b|\bmeant the other\b|\breturn to\b"
    r"|\bclicked wrong\b|\bpressed (?:the )?wrong\b"
)


def asks_to_go_back(text: str) -> bool:
    """The reply asks in so many words to take an answer back ("go back", "wrong button", "undo")."""
    return _said(_GO_BACK, text)


# "perfect, like new" is read as "start over" (0.69): starting over needs words that say so
_START_OVER = re.compile(
    r"\b(?:start|begin|starting) (?:over|again|afresh|fresh)\b|\brestart\b"
    r"|\bfrom (?:scratch|the top|the beginning|the start)\b"
    r"|\b(?:new|different|another|other) (?:problem|issue|question|conversation|chat|diagnosis|fault)\b"
    r"|\bsomething else\b|\breset (?:the |this )?(?:chat|conversation|bot)\b|\bclear (?:everything|it all|all)\b"
    r"|\bforget (?:all|everything|it all)\b|\bforget (?:about )?(?:that|this)\b|\banother camera\b"
)


def asks_to_start_over(text: str) -> bool:
    """The reply asks in so many words to drop the case and begin again ("start over", "new problem")."""
    return _said(_START_OVER, text)


# "havent done the hour one yet", "will let you know tomorrow": the post-fix checks are still running
_LATER = re.compile(
    r"\b(?:later|tomorrow|tonight|not yet|yet|in an? (?:hour|bit|while|day)|after work|when i get home"
    r"|let you know|get back to you|report back|(?:i'?ll|will|gonna|going to) (?:check|test|try|run|do|see|watch)"
    r"|haven'?t (?:done|tried|checked|run|tested|had time))\b"
)


def checks_pending(text: str) -> bool:
    """The reply says some post-fix checks are still to be run ("will let you know tomorrow")."""
    return _said(_LATER, text)


# a reply that reports things working ("live view and motion work") names no new problem, whatever the
# language model reads into the words it shares with one
_WORKS = re.compile(r"\b(?:works?|working|worked|fine|ok|okay|good|great|perfect|normal|passed|pass)\b")
_TROUBLE = re.compile(
    r"\b(?:not|no|never|n't|nt|still|again|fail\w*|broke\w*|stuck|freez\w*|froze|offline|drops?|dropp\w*|error"
    r"|won'?t|can'?t|doesn'?t|didn'?t|isn'?t|but|except|though|however)\b"
)


def reports_working(text: str) -> bool:
    """The reply only says things work: nothing in it is denied or going wrong."""
    folded = (text or "").lower().replace("\u2019", "'")
    return bool(_WORKS.search(folded)) and not _TROUBLE.search(folded)


def names_person(text: str) -> bool:
    """The reply asks for a person in so many words ("agent please", "can someone call me")."""
    return bool(_PERSON.search((text or "").lower()))


_YES_START = re.compile(r"^\s*(yes|yeah|yep|yup|ya|y|sure|correct|it does|it did)\b", re.IGNORECASE)
_NO_START = re.compile(r"^\s*(no|nope|nah|n|not really|it doesn't|it does not|it didn't|it did not)\b", re.IGNORECASE)


def yes_or_no(text: str, intent: Optional[str]) -> Optional[str]:
    """'affirm'/'deny' from the intent, or from how the reply starts ("yes it comes back for a bit")."""
    if intent in YES_INTENTS or intent in NO_INTENTS:
        return intent
    if _YES_START.match(text or ""):
        # "yes, still not working" is no clear yes
        return None if negated(_YES_START.sub("", text, count=1)) else "affirm"
    if _NO_START.match(text or ""):
        return "deny"
    return None


# words that report a post-fix check failing ("the power cycle one failed", "it froze again")
_CHECK_FAILED = re.compile(
    r"\b(fail\w*|froze|freez\w*|crash\w*|dropp?\w*|disconnect\w*|offline|stopp?\w*|still|error|same|"
    r"didn'?t|doesn'?t|won'?t|wouldn'?t|isn'?t|wasn'?t|not|never|no longer|except)\b"
)
# ... unless the reply says they passed ("no freezes, all good")
_CHECKS_PASSED = re.compile(
    r"\b(all (good|fine|passed|ok|okay)|(everything|all) (passed|works|worked|is fine)|passed|"
    r"nothing (failed|went wrong)|none (of them )?failed|no (problems?|issues?|failures?)|"
    r"(it )?works (again|fine|now))\b"
)


def failed_checks_named(checks: Sequence[PostFixCheck], text: str) -> List[PostFixCheck]:
    """The post-fix checks a reply says failed, by name and in the same clause as the failure ("the
    power cycle one failed, ..."); "unplugged it and it came back fine" names one that passed."""
    found = []
    for clause in re.split(r"[,.;!?]|\bbut\b", (text or "").lower().replace("\u2019", "'")):
        if not _CHECK_FAILED.search(clause):
            continue
        for check in checks:
            if check not in found and any(re.search(rf"\b{re.escape(w.lower())}", clause) for w in check.words):
                found.append(check)
    return found


def checks_said_passed(text: str) -> bool:
    """The reply says in words that the checks passed ("all good", "everything works")."""
    return _said(_CHECKS_PASSED, text)


def post_fix_verdict(text: str, intent: Optional[str]) -> Optional[str]:
    """'affirm' (every check passed) or 'deny' (one failed) for a typed reply to the post-fix checks:
    a reply that names a check and says it failed is a no, though it opens with neither."""
    folded = (text or "").lower().replace("\u2019", "'")
    # "nothing failed" passes; "all passed except the sd card" or "... but it froze" does not
    if _CHECKS_PASSED.search(folded) and not re.search(r"\b(fail|except|but)", _CHECKS_PASSED.sub(" ", folded)):
        return "affirm"
    verdict = yes_or_no(text, intent)
    if verdict:
        return verdict
    if _CHECK_FAILED.search(folded):
        return "deny"
    return None


# "how do i change the dns on my router?" asks for the how-to of the open step, whatever NLU read
_ASKS_HOW = re.compile(
    r"^\W*(?:(?:ok|okay|sorry|um+|hmm+|but|and|so)[\s,]+)*"
    r"(?:how\s+(?:do|can|should|would|will|to|does)\b|how\?|what\s+do\s+(?:i|you)\s+mean\b|where\s+(?:do|can|is)\b)",
)


def asks_how(text: str) -> bool:
    return bool(_ASKS_HOW.match((text or "").lower().replace("\u2019", "'")))


def exact_option(options: Sequence[Tuple[str, str]], text: str) -> Optional[str]:
    """The one option whose every word the reply contains ("under warranty", "no change")."""
    scored = sorted(((_label_score(text, label), o) for o, label in _matchable(text, options)), reverse=True)
    if scored and scored[0][0] >= 0.99 and (len(scored) == 1 or scored[1][0] < 0.99):
        return scored[0][1]
    return None


def option_from_text(move: Move, options: Sequence[Tuple[str, str]], text: str, intent: Optional[str]) -> Optional[str]:
    """The option a free-text reply means, or None when it is not clear enough to act on."""
    ids = [o for o, _ in options]
    exact = exact_option(options, text)
    if exact is not None:
        return exact
    scored = sorted(((_label_score(text, label), o) for o, label in _matchable(text, options)), reverse=True)
    intent = yes_or_no(text, intent) or intent
    if intent in YES_INTENTS:
        if move.kind == "action":
            return FIXED
        yes = [o for o, label in options if label.lower().startswith("yes") or o == "yes"]
        if len(yes) == 1:
            return yes[0]
    if intent in NO_INTENTS:
        if move.kind == "action":
            failures = [o for o in ids if o != FIXED]
            if len(failures) == 1:
                return failures[0]
            scored = [(score, o) for score, o in scored if o != FIXED]  # which failure: "nope, nothing changed"
        else:
            no = [o for o, label in options if label.lower().startswith("no") or o == "no"]
            if len(no) == 1:
                return no[0]
    if intent in UNSURE_INTENTS:
        # the options answer_phrases.yml marks `unsure` ("Not sure", "I can't do this test")
        phrases = load_answer_phrases()
        return next((o for o in ids if (phrases.option(move.id, o) or NO_PHRASES).unsure), None)
    if scored and scored[0][0] >= 0.5 and (len(scored) == 1 or scored[0][0] - scored[1][0] >= 0.2):
        return scored[0][1]
    return None


def false_fixes_mentioned(knowledge: Knowledge, text: str, symptoms: Iterable[str] = ()) -> List[FalseFix]:
    """The guide's false fixes the customer says they tried, except where one is part of the real fix
    for their problem ("reinstall the app" for an app that freezes)."""
    said = normalise(text)
    symptoms = set(symptoms)
    found = []
    for ff in knowledge.false_fixes:
        if any(_tried(said, normalise(p), ff.not_after) for p in ff.phrases) and not symptoms & set(ff.not_for):
            found.append(ff)
    return found


def _tried(said: str, phrase: str, not_after: Iterable[str]) -> bool:
    """The phrase is in the message, at least once not right after words that undo it ("turned off")."""
    start = said.find(phrase)
    while start != -1:
        before = said[:start].rstrip()
        if not any(before == w or before.endswith(" " + w) for w in (normalise(x) for x in not_after)):
            return True
        start = said.find(phrase, start + 1)
    return False


def symptoms_in(
    ranking: Iterable[Tuple[str, float]], symptom_ids: Iterable[str], floor: float
) -> List[Tuple[str, float]]:
    ids = set(symptom_ids)
    return [(i, c) for i, c in ranking if i in ids and c >= floor]


_ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
}


# words that may stand around a position without changing it ("the second one please", "option 2")
_AROUND_ORDINAL = frozenset(
    "the option options number no choice answer button one pls please thanks thx i think its it's is "
    "that this id i'd say take pick go with for guess probably maybe reckon suppose ok okay um hmm so yeah yep "
    "sure mine".split()
)


def ordinal_from_text(text: str, count: int) -> Optional[int]:
    """Position (0-based) a customer picked by typing "2", "the second one" or "the last one".

    The position must be all the reply says: "one sec" or "two cameras" picks nothing."""
    words = [w.strip(".") for w in _WORD.findall((text or "").lower().replace("#", " "))]
    positions = []
    for w in words:
        if w.isdigit() and 1 <= int(w) <= count:
            positions.append(int(w) - 1)
        elif w in _ORDINALS and _ORDINALS[w] <= count and not (w == "one" and positions):
            positions.append(_ORDINALS[w] - 1)
        elif w == "last" and count:
            positions.append(count - 1)
        elif w and w not in _AROUND_ORDINAL:
            return None
    return positions[0] if len(set(positions)) == 1 else None


_JOINERS = re.compile(r"(\band\b|\balso\b|\bplus\b|\btoo\b|\bas well\b|[,;&+]|[.!?]\s+\w)", re.IGNORECASE)


def joins_clauses(text: str) -> bool:
    """Whether a message strings several statements together (so it can name two problems)."""
    return bool(_JOINERS.search(text or ""))


# A button payload as Rasa parses it: "/intent", "/intent{...}", "/intent@0.9{...}".
_PAYLOAD = re.compile(r"^\s*/[A-Za-z_][\w-]*(?:@[0-9.]+)?(?:\{.*\})?\s*$", re.DOTALL)


def is_payload(text: str) -> bool:
    """Whether a message is a button payload (pressed or typed); its words are no answer:
    `/choose{"option":"sd_slot_inspection|no_card_works"}` does not say "works"."""
    return bool(_PAYLOAD.match(text or ""))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_MARKUP = re.compile(r"<\s*/?\s*[a-z][^>]*>|&[a-z]+;|&#\d+;", re.IGNORECASE)
_WORDS = re.compile(r"[^\W_]+")
_LONGEST_WORD = 20


_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _along_a_row(word: str) -> bool:
    """Four or more neighbouring keys of one keyboard row, either way ("asdf", "lkjh"): no English word."""
    return len(word) >= 4 and any(word in row or word in row[::-1] for row in _KEY_ROWS)


# A message of at least this many words, fewer than this share of them different, is one phrase
# repeated ("actually wait, actually wait, ..."); real messages that long vary their words.
REPEATED_WORDS = 30
REPEATED_SHARE = 0.15


def looks_like_noise(text: str) -> bool:
    """Keyboard mashing, markup, JSON and escape sequences: the language model still picks an intent
    for them ("aaaa..." reads as asking for a person), so they must not be able to act as one."""
    text = (text or "").strip()
    if not text or is_payload(text):
        return False
    if _CONTROL.search(text) or _MARKUP.search(text):
        return True
    if text[0] in "{[" and text[-1] in "}]":
        return True
    # "aaaa" is one key held down, "asdfghjkl" a hand run along a row; "hmmmm" and "nooo" are words,
    # and "2" picks an option
    words = [
        w
        for w in _WORDS.findall(text.lower())
        if len(w) <= _LONGEST_WORD and not (len(w) > 3 and len(set(w)) == 1) and not _along_a_row(w)
    ]
    if not words:
        return True
    if len(words) >= REPEATED_WORDS and len(set(words)) < REPEATED_SHARE * len(words):
        return True  # a phrase pasted over and over: the language model reads it with full confidence
    visible = len("".join(text.split()))
    # most of a real message is its words; symbol soup with a stray letter is not
    return sum(len(w) for w in words) < 0.4 * visible

"""Engine steps and outcomes as chat replies (plain text, buttons)."""

from __future__ import annotations

from typing import List

from bot.dialogue.messages import Reply, choice_payload, fixed_replies
from bot.engine import Ask, Finished, Verify
from bot.engine.outcome import FixOutcome, Reason
from bot.engine.state import ASSUMED
from bot.handoff.store import in_use_words
from bot.handoff.summary import CaseSummary
from bot.knowledge.guide import Knowledge

HOW_TO = ("How do I do that?", "/how_to")
SKIP = ("Skip for now", "/skip")
# what a replacement or return means for the customer, by their answer to the warranty question:
# replies.yml's `warranty_next_<option>`
WARRANTY_NEXT = "warranty_next_"
RECOMMENDATION_OPENERS = {
    "replace": "",
    "return": "The guide recommends returning the camera.",
    "contact_support": "This needs Kasa support.",
    "wait_for_outage": "This is an outage on Kasa's side.",
    "human_support": "The guide's checks for this are done, and what is left needs a person.",
    "safety": "For your safety, please stop here.",
}


def _note(step) -> List[Reply]:
    """The guide's reading of the customer's last answer ("a design flaw, not a failure"), said once."""
    return [Reply(text=step.note)] if getattr(step, "note", None) else []


def ask(step: Ask, repeat_note: bool = True, again: bool = False) -> List[Reply]:
    """The question or step. `again`: the open one shown once more, without its note on the answer
    before it (that note was said when the answer came)."""
    replies = [] if again else _note(step)
    if step.safety_stop:
        replies.append(Reply(text=f"⚠️ Safety first: {step.safety} Then let's replace it."))
    text = f"{step.preface} {step.move.prompt}" if step.preface else step.move.prompt
    if step.safety and step.closing:
        # a hazard reported after the adapter swap: the case is ending, the warning comes first
        replies.append(Reply(text=f"⚠️ Safety first: {step.safety}"))
    elif step.safety and not step.safety_stop:
        text += f" (Careful: {step.safety})"
    if step.repeat and repeat_note:
        text = "Let's come back to the step we skipped. " + text
    elif step.again and repeat_note:
        # asked before, and a step since (a reset, a restart) may have changed the answer
        text = "That step may have changed things, so once more: " + text
    buttons = [(label, choice_payload(step.move.id, option)) for option, label in step.options]
    buttons.append(HOW_TO)
    buttons.append(("I can't do that now", "/skip") if step.safety_stop else SKIP)
    replies.append(Reply(text=text, buttons=buttons))
    return replies


def verify(k: Knowledge, step: Verify) -> List[Reply]:
    out = step.outcome
    lines = [f"Good news. That points to: {out.cause_name}."]
    if out.scenario:
        lines.append(f"The guide's fix for this: {out.scenario.fix}")
    lines.append("Before we call it fixed, please run these checks:")
    lines.extend(f"• {c.name}: {c.check}" for c in out.post_fix_checks)
    lines.append("Did everything pass?")
    return _note(step) + [
        Reply(
            text="\n".join(lines),
            buttons=[
                ("Yes, all good", choice_payload("verify", "yes")),
                ("No, something failed", choice_payload("verify", "no")),
            ],
        )
    ]


def verify_again(step: Verify) -> List[Reply]:
    """The post-fix question once more, without the list the customer already has above."""
    return [
        Reply(
            text="Did every check on the list pass?",
            buttons=[
                ("Yes, all good", choice_payload("verify", "yes")),
                ("No, something failed", choice_payload("verify", "no")),
            ],
        )
    ]


def _why(k: Knowledge, reason: Reason) -> str:
    """A threshold or a guide line with what met it, in the customer's words where they gave any."""
    shown = [e.words() for e in reason.evidence if e.source != ASSUMED]
    text = reason.text
    if reason.id:
        text = next((t.says for t in k.thresholds.all() if t.id == reason.id and t.says), text)
    return text + (f" ({'; '.join(dict.fromkeys(shown))})" if shown else "")


def finished(k: Knowledge, step: Finished) -> List[Reply]:
    out = step.outcome
    if isinstance(out, FixOutcome):
        text = "Great, your camera is working again."
        if out.scenario:
            text += f" {out.scenario.verification}"
        if out.later:
            text += " " + " ".join(out.later)
        if out.safety:
            text += " Please do not use the old adapter again."
        return _note(step) + [Reply(text=text)]
    opener = RECOMMENDATION_OPENERS.get(out.recommendation, "")
    lines = [opener, out.text]
    if out.recommendation == "human_support":
        lines.append(f"What I found points most to: {out.cause_name} ({out.probability:.0%}).")
    else:
        lines.append(f"Most likely cause: {out.cause_name} ({out.probability:.0%}).")
    if out.scenario:
        lines.append(f"The guide's fix for this: {out.scenario.fix}")
    reasons = [_why(k, t) for t in out.thresholds if t.group != "no_repair_possible"]
    reasons += [t.text for t in out.thresholds if t.group == "no_repair_possible"]
    if reasons:
        lines.append("Why: " + " ".join(reasons))
    if out.warranty_hint:
        lines.append(out.warranty_hint)
    warranty_next = fixed_replies().get(f"{WARRANTY_NEXT}{out.warranty}")
    if out.recommendation in ("replace", "return") and warranty_next:
        lines.append(warranty_next)
    if out.notes:
        lines.append("Good to know: " + "; ".join(out.notes) + ".")
    hazards = [str(k.move(m).safety) for m in out.safety if k.move(m).safety]
    if hazards and out.recommendation != "safety":
        lines.append("⚠️ " + " ".join(dict.fromkeys(hazards)))
    return _note(step) + [
        Reply(text="\n".join(line for line in lines if line)),
        Reply(
            text="Would you like me to pass this to our support team now, with everything we found?",
            buttons=[
                ("Yes, connect me", "/human_handoff"),
                ("No, thanks", choice_payload("meta", "no_handoff")),
            ],
        ),
    ]


def how_to(step: Ask) -> List[Reply]:
    return [Reply(text=step.move.how_to)] + ask(step, repeat_note=False)


SOURCE_WORDS = {
    ASSUMED: " (assumed from the problem you described: tell the agent if that is wrong)",
}


def summary_text(summary: CaseSummary) -> str:
    """What the support team will see, as the customer reads it (no guide references or ids)."""
    lines = []
    symptoms = summary.symptoms_said or summary.symptoms
    if symptoms:
        lines.append("• Problem: " + "; ".join(symptoms))
    for key, value in summary.context.items():
        if key == "duration":
            lines.append(f"• Time you mentioned: {in_use_words(value)}")
            continue
        lines.append(f"• {key.replace('_', ' ').capitalize()}: {value}")
    for entry in summary.steps_tried:
        done = "Tried before we talked" if entry.before else "Tried"
        lines.append(f"• {done}: {entry.asked} → {entry.answer}")
    for entry in summary.questions:
        if entry.note:
            continue
        said = SOURCE_WORDS.get(entry.source, " (from what you wrote)" if entry.volunteered else "")
        lines.append(f"• {entry.asked}: {entry.answer}{said}")
    if summary.skipped:
        lines.append("• Skipped or not possible for you: " + "; ".join(summary.skipped))
    if summary.outcome is not None:
        lines.append(f"• Assessment: {summary.outcome.cause_name}")
    if not lines:
        lines.append("• Nothing yet: you asked for a person before we started, so the agent will begin with you.")
    return "\n".join(["Here is what our support team will see:", *dict.fromkeys(lines)])

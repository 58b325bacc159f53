"""Engine steps and outcomes as chat replies (plain text, buttons)."""

from __future__ import annotations

from typing import Dict, List

from bot.dialogue.messages import Reply, choice_payload
from bot.engine import Ask, Finished, Verify
from bot.handoff.store import in_use_words
from bot.knowledge.model import Knowledge

HOW_TO = ("How do I do that?", "/how_to")
SKIP = ("Skip for now", "/skip")
WARRANTY_NEXT = {
    "in_return_period": "As you are within the return period, you can return it to the seller.",
    "in_warranty": "As it is under warranty, our support team can arrange a warranty replacement.",
    "out_of_warranty": "As it is out of warranty, a repair is not economical: a new camera is the way forward.",
}
RECOMMENDATION_OPENERS = {
    "replace": "",
    "return": "The guide recommends returning the camera.",
    "contact_support": "This needs Kasa support.",
    "wait_for_outage": "This is an outage on Kasa's side.",
    "human_support": "I could not pin this down with the guide's checks.",
    "safety": "For your safety, please stop here.",
}


def ask(step: Ask, repeat_note: bool = True) -> List[Reply]:
    replies = []
    if step.safety_stop:
        replies.append(Reply(text=f"⚠️ Safety first: {step.safety} Then let's replace it."))
    text = step.move.prompt
    if step.safety and step.closing:
        # a hazard reported after the adapter swap: the case is ending, the warning comes first
        replies.append(Reply(text=f"⚠️ Safety first: {step.safety}"))
    elif step.safety and not step.safety_stop:
        text += f" (Careful: {step.safety})"
    if step.repeat and repeat_note:
        text = "Let's come back to the step we skipped. " + text
    buttons = [(label, choice_payload(step.move.id, option)) for option, label in step.options]
    buttons.append(HOW_TO)
    buttons.append(("I can't do that now", "/skip") if step.safety_stop else SKIP)
    replies.append(Reply(text=text, buttons=buttons))
    return replies


def verify(k: Knowledge, step: Verify) -> List[Reply]:
    out = step.outcome
    lines = [f"Good news. That points to: {out['cause_name']}."]
    if out.get("scenario"):
        sc = out["scenario"]
        lines.append(f"The guide's fix for this (scenario {sc['id']}): {sc['fix']}")
    lines.append("Before we call it fixed, please run these checks:")
    lines.extend(f"• {c['name']}: {c['check']}" for c in out["post_fix_checks"])
    lines.append("Did everything pass?")
    return [
        Reply(
            text="\n".join(lines),
            buttons=[
                ("Yes, all good", choice_payload("verify", "yes")),
                ("No, something failed", choice_payload("verify", "no")),
            ],
        )
    ]


# A hand-off mentions the guide's fix for a cause at least this likely.
LEAD_BELIEF = 0.5


def _lead(k: Knowledge, out):
    """For a hand-off to a person: the guide's fix scenario for the likely cause, when its step was not done."""
    if out["recommendation"] != "human_support" or (out.get("probability") or 0) < LEAD_BELIEF:
        return None
    return next(
        (
            sc
            for sc in k.fix_scenarios
            if sc.cause == out.get("cause")
            and sc.realised_by.move is not None
            and sc.realised_by.move not in out.get("tried", ())
        ),
        None,
    )


def finished(k: Knowledge, step: Finished) -> List[Reply]:
    out = step.outcome
    if out["type"] == "fix":
        text = "Great, your camera is working again."
        if out.get("scenario"):
            text += f" {out['scenario']['verification']}"
        if out.get("cause") == "config_corruption":
            text += " If it stops working again after a power cut, come back: the guide says this can recur."
        if out.get("safety"):
            text += " Please do not use the old adapter again."
        return [Reply(text=text)]
    opener = RECOMMENDATION_OPENERS.get(out["recommendation"], "")
    lead = _lead(k, out)
    if lead is not None:
        opener = (
            f"This looks most like {out['cause_name']} ({out['probability']:.0%}), but I can't settle it from here."
        )
    lines = [opener, out["text"]]
    if lead is not None:
        lines.append(f"The guide's fix for that (scenario {lead.id}): {lead.fix} You can try it while you wait.")
    if out["recommendation"] != "human_support":
        lines.append(f"Most likely cause: {out['cause_name']} ({out['probability']:.0%}).")
    if out.get("scenario"):
        lines.append(f"Guide fix scenario {out['scenario']['id']}: {out['scenario']['fix']}")
    reasons = [t["text"] for t in out.get("thresholds", [])]
    if reasons:
        lines.append("Why: " + " ".join(reasons))
    if out.get("warranty_hint"):
        lines.append(out["warranty_hint"])
    if out["recommendation"] in ("replace", "return") and out.get("warranty") in WARRANTY_NEXT:
        lines.append(WARRANTY_NEXT[out["warranty"]])
    if out.get("notes"):
        lines.append("Good to know: " + "; ".join(out["notes"]) + ".")
    hazards = [k.move(m).safety for m in out.get("safety", []) if k.move(m).safety]
    if hazards and out["recommendation"] != "safety":
        lines.append("⚠️ " + " ".join(dict.fromkeys(hazards)))
    return [
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


def step_replies(k: Knowledge, step) -> List[Reply]:
    if isinstance(step, Ask):
        return ask(step)
    if isinstance(step, Verify):
        return verify(k, step)
    return finished(k, step)


def summary_text(summary: Dict) -> str:
    lines = ["Here is what our support team will see:"]
    symptoms = summary.get("symptoms_said") or summary["symptoms"]
    if symptoms:
        lines.append("• Problem: " + "; ".join(symptoms))
    for key, value in summary["context"].items():
        if key.startswith("_"):
            continue
        if key == "duration":
            lines.append(f"• Time you mentioned: {in_use_words(value)}")
            continue
        lines.append(f"• {key.replace('_', ' ').capitalize()}: {value}")
    for s in summary["steps_tried"]:
        lines.append(f"• Tried: {s['ref']}: {s['answer']}")
    for q in summary["questions"]:
        said = {
            "symptom": " (assumed from the problem you described: tell the agent if that is wrong)",
            "entity": " (from what you wrote)",
        }.get(q.get("source"), "")
        lines.append(f"• {q['asked']} {q['answer']}{said}")
    if summary.get("outcome"):
        lines.append(f"• Assessment: {summary['outcome'].get('cause_name', '')}")
    return "\n".join(lines)

"""A small parser for the field guide text, so coverage tests compare the data with the guide itself.

`field_guide.txt` next to this file is a byte-for-byte copy of the guide the knowledge was written
from (/work/shared/seeds/000_d16a21bbe715a633.txt); a test checks the two stay identical when the
shared copy is present.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
VENDORED = HERE / "field_guide.txt"
SHARED = Path(os.environ.get("KASA_FIELD_GUIDE", "/work/shared/seeds/000_d16a21bbe715a633.txt"))

# Section headings, in the order the guide has them.
HEADINGS = [
    "Users commonly describe this as:",
    "Observed Failure Patterns",
    "Most Common Root Causes (Ranked by Field Frequency)",
    "Cloud Dependency Limitation",
    "Rapid Triage Checklist (2-Minute Tests)",
    "Step-by-Step Diagnostic Procedure",
    "Physical Layer Inspection",
    "Electrical / Signal Verification",
    "Reset and Recovery Behavior Mapping",
    "False Fixes That Do Not Work",
    "Confirmed Fix Scenarios",
    "Post-Fix Verification Checklist",
    "Escalation Threshold",
]
ESCALATION_GROUPS = {
    "Camera Replacement Required When:": "replacement_required",
    "No Repair Possible When:": "no_repair_possible",
    "Return Recommended When:": "return_recommended",
}


def normalise_quotes(text: str) -> str:
    return text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')


def words(text: str) -> List[str]:
    """Lower-case word tokens: punctuation, quotes and dashes do not count."""
    return re.findall(r"[a-z0-9]+", normalise_quotes(text).lower())


@dataclass
class Guide:
    phrases: List[str] = field(default_factory=list)
    patterns: Dict[str, Dict[str, str]] = field(default_factory=dict)
    causes: List[Dict[str, object]] = field(default_factory=list)
    cloud_dependency: List[str] = field(default_factory=list)
    triage_tests: List[Dict[str, object]] = field(default_factory=list)
    steps: List[Dict[str, object]] = field(default_factory=list)
    physical_inspection: List[Tuple[str, str]] = field(default_factory=list)
    electrical_checks: List[Tuple[str, str]] = field(default_factory=list)
    reset_behaviours: List[Tuple[str, str]] = field(default_factory=list)
    false_fixes: List[Tuple[str, str]] = field(default_factory=list)
    fix_scenarios: Dict[str, Dict[str, str]] = field(default_factory=dict)
    post_fix_checks: List[Tuple[str, str]] = field(default_factory=list)
    escalation: Dict[str, List[str]] = field(default_factory=dict)


def _sections(lines: List[str]) -> Dict[str, List[str]]:
    positions = []
    for heading in HEADINGS:
        matches = [i for i, line in enumerate(lines) if line == heading]
        assert len(matches) == 1, f"guide heading {heading!r} found {len(matches)} times"
        positions.append(matches[0])
    assert positions == sorted(positions), "guide headings out of order"
    bounds = positions + [len(lines)]
    return {h: [line for line in lines[bounds[i] + 1 : bounds[i + 1]] if line] for i, h in enumerate(HEADINGS)}


def _bullet(line: str) -> str:
    assert line.startswith("- "), line
    return line[2:].strip()


def _labelled(line: str) -> Tuple[str, str]:
    """'- Label: text' -> (label, text)."""
    label, _, text = _bullet(line).partition(": ")
    return label.strip(), text.strip()


def _title(line: str, pattern: str) -> re.Match:
    match = re.match(pattern, line)
    assert match, f"unexpected guide line {line!r}"
    return match


def parse(text: str) -> Guide:
    lines = [line.rstrip() for line in text.splitlines()]
    s = _sections(lines)
    g = Guide()

    g.phrases = [normalise_quotes(_bullet(line)) for line in s["Users commonly describe this as:"]]

    current = None
    for line in s["Observed Failure Patterns"]:
        if line.startswith("Pattern "):
            m = _title(line, r"Pattern ([A-Z]): (.*)$")
            current = g.patterns[m.group(1)] = {"name": m.group(2)}
        else:
            label, value = _labelled(line)
            current[label] = value

    for line in s["Most Common Root Causes (Ranked by Field Frequency)"]:
        m = re.match(r"(\d+)\. (.*) \u2014 (\d+)%$", line)
        if m:
            g.causes.append({"rank": int(m.group(1)), "name": m.group(2), "frequency": int(m.group(3))})
        else:
            label, value = _labelled(line)
            g.causes[-1][label] = value

    g.cloud_dependency = s["Cloud Dependency Limitation"]

    for line in s["Rapid Triage Checklist (2-Minute Tests)"]:
        m = re.match(r"(\d+)\. (.*)\.$", line)
        if m:
            g.triage_tests.append({"number": int(m.group(1)), "name": m.group(2), "results": []})
        elif line.startswith("- "):
            g.triage_tests[-1]["results"].append(_bullet(line))
        else:
            g.triage_tests[-1]["instruction"] = line

    for line in s["Step-by-Step Diagnostic Procedure"]:
        if line.startswith("Step "):
            m = _title(line, r"Step (\d+): (.*)\.$")
            g.steps.append({"number": int(m.group(1)), "name": m.group(2)})
        else:
            label, value = _labelled(line)
            g.steps[-1][label] = value

    g.physical_inspection = [_labelled(line) for line in s["Physical Layer Inspection"]]
    g.electrical_checks = [_labelled(line) for line in s["Electrical / Signal Verification"]]
    g.reset_behaviours = [_labelled(line) for line in s["Reset and Recovery Behavior Mapping"]]
    g.false_fixes = [_labelled(line) for line in s["False Fixes That Do Not Work"]]

    for line in s["Confirmed Fix Scenarios"]:
        if line.startswith("Scenario "):
            current = g.fix_scenarios[_title(line, r"Scenario ([A-Z]):$").group(1)] = {}
        else:
            label, value = _labelled(line)
            current[label] = value

    g.post_fix_checks = [_labelled(line) for line in s["Post-Fix Verification Checklist"]]

    group = None
    for line in s["Escalation Threshold"]:
        if line in ESCALATION_GROUPS:
            group = ESCALATION_GROUPS[line]
            g.escalation[group] = []
        else:
            g.escalation[group].append(_bullet(line))
    return g


@lru_cache(maxsize=1)
def load_guide() -> Guide:
    return parse(VENDORED.read_text(encoding="utf-8"))

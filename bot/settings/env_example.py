"""The text of .env.example, generated from the variables (``python -m bot.settings > .env.example``)."""

from __future__ import annotations

from bot.settings.reading import VARIABLES, show
from bot.settings.variable import GROUPS

_EXAMPLE_HEADER = """\
# The environment of the Kasa camera assistant: every variable the code and scripts/ read.
# Copy this file to .env (not in git) and uncomment what you change; scripts/run loads .env
# before its own defaults, and a variable set in the shell wins over .env.
# Generated from bot/settings/ (python -m bot.settings > .env.example); edit it there.
"""


def env_example() -> str:
    """The text of .env.example: every variable, commented, with its default and meaning, by group."""
    lines = [_EXAMPLE_HEADER.rstrip("\n")]
    for group in GROUPS:
        lines += ["", f"# ---- {group} " + "-" * max(3, 94 - len(group))]
        for var in (v for v in VARIABLES if v.group == group):
            kind = {str: "text", int: "whole number", float: "number"}[var.type]
            where = "" if var.read_by == "python" else "; read by scripts/"
            lines.append(f"# {var.help} ({kind}{where})")
            lines.append(f"# {var.name}={show(var.default)}")
    return "\n".join(lines) + "\n"

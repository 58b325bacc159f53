"""The team's outcome report: how diagnoses end, where customers give up, which causes get fixed.

Counted from the database: the outcomes the conversation records (``TicketStore.record_outcome``:
resolved / escalated / abandoned at a step) and the hand-off tickets. A ticket next to an
"escalated" outcome of the same conversation (nothing else in between) is that escalation; a
ticket without one (the customer asked for a person mid-diagnosis) is an escalation of its own.

``fix rate`` of a cause = resolved / all ended diagnoses naming that cause.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from bot.handoff.store import OUTCOMES, STATUSES, TicketStore

UNDETERMINED = "(undetermined)"
NOT_RECORDED = "(not recorded)"


@dataclass
class CauseRate:
    cause: str
    name: str
    resolved: int = 0
    escalated: int = 0
    abandoned: int = 0

    @property
    def total(self) -> int:
        return self.resolved + self.escalated + self.abandoned

    @property
    def fix_rate(self) -> float:
        return self.resolved / self.total if self.total else 0.0


@dataclass
class OutcomeReport:
    conversations: int = 0
    counts: Dict[str, int] = field(default_factory=lambda: {o: 0 for o in OUTCOMES})
    abandoned_steps: List[Tuple[str, int]] = field(default_factory=list)
    causes: List[CauseRate] = field(default_factory=list)
    tickets: int = 0
    ticket_status: Dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})

    @property
    def diagnoses(self) -> int:
        return sum(self.counts.values())

    def share(self, outcome: str) -> float:
        return self.counts[outcome] / self.diagnoses if self.diagnoses else 0.0

    def to_dict(self) -> Dict[str, Any]:
        return {
            "conversations": self.conversations,
            "diagnoses": self.diagnoses,
            "outcomes": dict(self.counts),
            "abandoned_steps": [{"step": s, "count": n} for s, n in self.abandoned_steps],
            "causes": [
                {
                    "cause": c.cause,
                    "name": c.name,
                    "resolved": c.resolved,
                    "escalated": c.escalated,
                    "abandoned": c.abandoned,
                    "fix_rate": round(c.fix_rate, 4),
                }
                for c in self.causes
            ],
            "tickets": self.tickets,
            "ticket_status": dict(self.ticket_status),
        }


def knowledge_cause_names() -> Dict[str, str]:
    """Cause names from the field guide's knowledge base, {} if it cannot be loaded."""
    from bot.handoff.store.records import guide_cause_names

    return guide_cause_names()


def build_report(store: TicketStore, cause_names: Optional[Dict[str, str]] = None) -> OutcomeReport:
    names = dict(knowledge_cause_names() if cause_names is None else cause_names)
    events: Dict[str, List[Tuple[Any, int, str, Dict[str, Any]]]] = defaultdict(list)
    for row in store.outcomes():
        events[row["conversation_id"]].append((row["at"], 0, "outcome", row))
    report = OutcomeReport()
    for row in store.ticket_events():
        events[row["conversation_id"]].append((row["at"], 1, "ticket", row))
        report.tickets += 1
        report.ticket_status[row["status"]] = report.ticket_status.get(row["status"], 0) + 1
        names.update({k: v for k, v in row.get("cause_names", {}).items() if k not in names})

    ended: List[Dict[str, Any]] = []  # {outcome, cause, step, via, merged}
    for items in events.values():
        items.sort(key=lambda item: (item[0], item[1]))
        last: Optional[Dict[str, Any]] = None
        for _, _, kind, row in items:
            if kind == "outcome":
                if (
                    row["outcome"] == "escalated"
                    and last is not None
                    and last["via"] == "ticket"
                    and not last["merged"]
                ):
                    last.update(merged=True, cause=row["cause"] or last["cause"], step=row["step"])
                    continue
                last = {
                    "outcome": row["outcome"],
                    "cause": row["cause"],
                    "step": row["step"],
                    "via": "outcome",
                    "merged": False,
                }
            else:
                if (
                    last is not None
                    and last["via"] == "outcome"
                    and last["outcome"] == "escalated"
                    and not last["merged"]
                ):
                    last.update(merged=True, cause=last["cause"] or row["cause"])
                    continue
                last = {"outcome": "escalated", "cause": row["cause"], "step": None, "via": "ticket", "merged": False}
            ended.append(last)
    report.conversations = len(events)

    steps: Counter = Counter()
    per_cause: Dict[str, CauseRate] = {}
    for item in ended:
        report.counts[item["outcome"]] += 1
        if item["outcome"] == "abandoned":
            steps[item["step"] or NOT_RECORDED] += 1
        cause = item["cause"] or UNDETERMINED
        rate = per_cause.setdefault(cause, CauseRate(cause, names.get(cause, cause)))
        setattr(rate, item["outcome"], getattr(rate, item["outcome"]) + 1)
    report.abandoned_steps = sorted(steps.items(), key=lambda kv: (-kv[1], kv[0]))
    report.causes = sorted(per_cause.values(), key=lambda c: (c.cause == UNDETERMINED, -c.total, c.cause))
    return report


def _table(header: List[str], rows: List[List[str]], right: Tuple[int, ...] = ()) -> List[str]:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)] if rows else [len(h) for h in header]
    lines = []
    for row in [header] + rows:
        cells = [str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def report_text(report: OutcomeReport) -> str:
    out = [
        f"Outcome report: {report.diagnoses} diagnoses in {report.conversations} conversations, "
        f"{report.tickets} hand-off tickets",
        "",
    ]
    out += _table(
        ["Outcome", "Count", "Share"],
        [[o, str(report.counts[o]), f"{report.share(o):.0%}"] for o in OUTCOMES],
        right=(1, 2),
    )
    out += ["", "Where abandoned conversations stopped"]
    if report.abandoned_steps:
        out += _table(["Step", "Count"], [[s, str(n)] for s, n in report.abandoned_steps], right=(1,))
    else:
        out.append("(none abandoned)")
    out += ["", "Fix rate per cause"]
    if report.causes:
        out += _table(
            ["Cause", "Resolved", "Escalated", "Abandoned", "Fix rate"],
            [
                [
                    c.name if c.name == c.cause else f"{c.name} ({c.cause})",
                    str(c.resolved),
                    str(c.escalated),
                    str(c.abandoned),
                    f"{c.fix_rate:.0%}",
                ]
                for c in report.causes
            ],
            right=(1, 2, 3, 4),
        )
    else:
        out.append("(no outcomes recorded yet)")
    if report.tickets:
        out += [
            "",
            "Tickets by status: "
            + ", ".join(f"{s.replace('_', ' ')} {n}" for s, n in report.ticket_status.items() if n),
        ]
    return "\n".join(out) + "\n"


#: one colour per outcome, the same in every panel
_COLOURS = {"resolved": "#2e7d32", "escalated": "#ef6c00", "abandoned": "#9e9e9e"}


def report_chart(report: OutcomeReport, path: Path | str) -> Path:
    """A PNG bar chart: outcomes, where abandoned conversations stopped, fix rate per cause."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(15, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.1, 1.3, 1.5]})
    _outcomes_panel(ax1, report)
    _abandoned_panel(ax2, report)
    _fix_rate_panel(ax3, report)
    fig.suptitle(
        f"Kasa camera assistant: {report.diagnoses} diagnoses in {report.conversations} conversations, "
        f"{report.tickets} hand-off tickets"
    )
    fig.savefig(path, format="png")
    return path


def _outcomes_panel(ax: Any, report: OutcomeReport) -> None:
    from matplotlib.ticker import MaxNLocator

    values = [report.counts[o] for o in OUTCOMES]
    bars = ax.bar(list(OUTCOMES), values, color=[_COLOURS[o] for o in OUTCOMES], width=0.6)
    ax.bar_label(bars, labels=[f"{v} ({report.share(o):.0%})" for o, v in zip(OUTCOMES, values)])
    ax.set_title("Diagnoses by outcome")
    ax.set_ylabel("diagnoses")
    ax.set_ylim(0, max(values + [1]) * 1.2)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _abandoned_panel(ax: Any, report: OutcomeReport) -> None:
    from matplotlib.ticker import MaxNLocator

    steps = report.abandoned_steps[:10]
    if steps:
        _rows(ax, [s for s, _ in steps], [n for _, n in steps], _COLOURS["abandoned"], [str(n) for _, n in steps])
        ax.set_xlim(0, max(n for _, n in steps) * 1.25)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        _nothing(ax, "none abandoned")
    ax.set_title("Where abandoned conversations stopped")
    ax.set_xlabel("conversations")


def _fix_rate_panel(ax: Any, report: OutcomeReport) -> None:
    causes = report.causes[:12]
    if causes:
        _rows(
            ax,
            [c.name for c in causes],
            [c.fix_rate * 100 for c in causes],
            _COLOURS["resolved"],
            [f"{c.fix_rate:.0%} of {c.total}" for c in causes],
        )
        ax.set_xlim(0, 130)
    else:
        _nothing(ax, "no outcomes yet")
    ax.set_title("Fix rate per cause")
    ax.set_xlabel("% of diagnoses resolved")


def _rows(ax: Any, labels: List[str], widths: List[Any], colour: str, bar_labels: List[str]) -> None:
    """Horizontal bars, one row per label, each with its value written beside it."""
    n = len(labels)
    bars = ax.barh(range(n), widths, color=colour, height=0.6, tick_label=labels)
    ax.bar_label(bars, labels=bar_labels, padding=3)
    ax.set_ylim(max(n, 4) - 0.3, -0.7)  # the first row on top, rows as thick with one as with four


def _nothing(ax: Any, text: str) -> None:
    """A panel with nothing to draw says so, without axis ticks."""
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_yticks([])


__all__ = ["CauseRate", "OutcomeReport", "build_report", "report_chart", "report_text"]

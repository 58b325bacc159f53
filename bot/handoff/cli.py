"""The support agent's command line.

    python -m bot.handoff.cli [--db URL] list [--status S]
    python -m bot.handoff.cli [--db URL] show REF [--agent NAME] [--format md|html|json] [--output FILE]
    python -m bot.handoff.cli [--db URL] claim REF --agent NAME
    python -m bot.handoff.cli [--db URL] reply REF "text" --agent NAME
    python -m bot.handoff.cli [--db URL] messages REF [--agent NAME]
    python -m bot.handoff.cli [--db URL] resolve REF [--note TEXT] [--agent NAME]
    python -m bot.handoff.cli [--db URL] hand-back REF [--agent NAME]
    python -m bot.handoff.cli [--db URL] report [--chart FILE.png] [--json]

The database is ``--db``, else ``$HANDOFF_DB_URL``, else ``sqlite:///var/tracker.db`` (run it
from the directory the Rasa server runs in). Everything printed is redacted, except the contact
details the customer typed, shown to the agent who has the case (``--agent`` names you; the
default is ``$HANDOFF_AGENT``). ``reply`` reaches the customer on their channel within a second
(web chat, Telegram) or with their next message (REST); replying to an open ticket claims it.

Exit codes: 0 done; 1 an unexpected error (database unreachable, ...); 2 unknown reference or
bad usage; 3 the ticket's status does not allow it (e.g. claimed by someone else).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional, Sequence, TextIO, cast

from bot import settings
from bot.handoff.redact import strip_controls
from bot.handoff.store import STATUSES, TicketNotFound, TicketStateError, TicketStore, normalize_reference

EXIT_OK, EXIT_ERROR, EXIT_UNKNOWN, EXIT_CONFLICT = 0, 1, 2, 3


class CliError(Exception):
    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    agent = settings.handoff_agent()
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=f"SQLAlchemy URL of the database (default: $HANDOFF_DB_URL or {settings.DEFAULT_DB_URL})",
    )
    parser = argparse.ArgumentParser(
        prog="python -m bot.handoff.cli",
        parents=[db],
        description="Hand-off tickets of the Kasa camera assistant: list, read, claim, resolve, hand back, report.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", parents=[db], help="the tickets, oldest first")
    p.add_argument("--status", choices=STATUSES, help="only tickets with this status")
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")

    p = sub.add_parser("show", parents=[db], help="one ticket in full")
    p.add_argument("reference")
    p.add_argument("--format", choices=("md", "html", "json"), default="md")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    p.add_argument("--agent", default=agent, help="you (the agent who has the case sees contacts)")

    p = sub.add_parser("claim", parents=[db], help="take a ticket (the customer is told your name)")
    p.add_argument("reference")
    p.add_argument("--agent", default=agent, help="your name, as the customer sees it")

    p = sub.add_parser("reply", parents=[db], help="write to the customer (claims an open ticket)")
    p.add_argument("reference")
    p.add_argument("text", help="the message; quote it")
    p.add_argument("--agent", default=agent, help="your name, as the customer sees it")

    p = sub.add_parser("messages", parents=[db], help="the messages of the hand-off, both ways")
    p.add_argument("reference")
    p.add_argument("--agent", default=agent, help="you (the agent who has the case sees contacts)")

    p = sub.add_parser("resolve", parents=[db], help="close a ticket as resolved (the customer gets the note)")
    p.add_argument("reference")
    p.add_argument("--note", help="what was done; the customer reads it")
    p.add_argument("--agent", default=agent, help="you; refused if someone else has the case")

    p = sub.add_parser("hand-back", parents=[db], help="hand the conversation back to the bot")
    p.add_argument("reference")
    p.add_argument("--agent", default=agent, help="you; refused if someone else has the case")

    p = sub.add_parser("report", parents=[db], help="outcomes: resolved, escalated, abandoned; fix rate per cause")
    p.add_argument("--chart", metavar="FILE.png", help="also draw a PNG bar chart")
    p.add_argument("--json", action="store_true", help="the numbers as JSON")
    return parser


def _list(store: TicketStore, args: argparse.Namespace, out: TextIO) -> None:
    from bot.handoff.ticket_document import summary_document

    docs = [summary_document(t) for t in store.list(status=args.status)]
    if args.json:
        for doc in docs:
            out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    if not docs:
        out.write("No tickets" + (f" with status {args.status}" if args.status else "") + ".\n")
        return
    from bot.handoff.ticket_wording import CHANNEL_LABELS

    header = [
        "REF",
        "STATUS",
        "OPENED (UTC)",
        "CHANNEL",
        "CUSTOMER",
        "CAMERA",
        "RECOMMENDATION",
        "AGENT",
        "MESSAGES",
        "PROBLEM",
    ]
    rows = []
    for d in docs:
        camera = d["camera_model"] or "-"
        if d["in_use_for"]:
            camera += f" ({d['in_use_for']})"
        rows.append(
            [
                d["reference"],
                d["status"],
                (d["created_at"] or "").replace("T", " ").rstrip("Z")[:16],
                CHANNEL_LABELS.get(d["channel"] or "", d["channel"] or "-"),
                _short(d.get("customer_name") or "-", 24),
                camera,
                ("⚠ " if d["safety"] else "") + (d["recommendation"] or "-"),
                d["claimed_by"] or "-",
                str(d["waiting_messages"]),
                _short("; ".join(s.replace("Kasa camera ", "") for s in d["symptoms"]) or "-", 48),
            ]
        )
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    for row in [header] + rows:
        out.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


def _short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _show(store: TicketStore, args: argparse.Namespace, out: TextIO) -> None:
    from bot.handoff.render import render

    ticket = store.get(args.reference)
    if ticket is None:
        raise TicketNotFound(args.reference)
    text = render(ticket, args.format, agent=args.agent)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
        out.write(f"Wrote ticket {ticket.reference} ({args.format}) to {args.output}\n")
    else:
        out.write(text)


def _messages(store: TicketStore, args: argparse.Namespace, out: TextIO) -> None:
    from bot.handoff.ticket_document import ticket_document

    ticket = store.get(args.reference)
    if ticket is None:
        raise TicketNotFound(args.reference)
    messages = ticket_document(ticket, agent=args.agent)["customer_messages"]
    if not messages:
        out.write(f"No messages in the hand-off of {ticket.reference} yet.\n")
    for m in messages:
        who = f"{m.get('agent') or 'agent'} (agent)" if m["who"] == "agent" else "customer"
        kind = f" [{m['kind']}]" if m.get("kind") else ""
        out.write(f"{(m['at'] or '').replace('T', ' ').rstrip('Z')[:19]}  {who}{kind}: {m['text']}\n")


def _agent(args: argparse.Namespace) -> str:
    agent = (args.agent or "").strip()
    if not agent:
        raise ValueError("say who you are: --agent NAME (or set HANDOFF_AGENT)")
    return agent


def _report(store: TicketStore, args: argparse.Namespace, out: TextIO) -> None:
    from bot.handoff.report import build_report, report_chart, report_text

    report = build_report(store)
    if args.json:
        out.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        out.write(report_text(report))
    if args.chart:
        path = report_chart(report, args.chart)
        (sys.stderr if args.json else out).write(f"Chart written to {path}\n")


class _Clean:
    """What the CLI prints, without control characters: a customer's text must not clear the agent's
    screen, set the terminal's title or hide a line (the renderings strip them too; this is the last gate)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(strip_controls(text))

    def flush(self) -> None:
        self._out.flush()


def run(argv: Optional[Sequence[str]] = None, out: TextIO = sys.stdout) -> int:
    out = cast(TextIO, _Clean(out))
    args = _parser().parse_args(argv)
    store = TicketStore(getattr(args, "db", None))
    try:
        if args.command == "list":
            _list(store, args, out)
        elif args.command == "show":
            _show(store, args, out)
        elif args.command == "claim":
            ticket = store.claim(args.reference, _agent(args))
            out.write(f"Ticket {ticket.reference} is claimed by {ticket.claimed_by}; the customer is told.\n")
        elif args.command == "reply":
            agent = _agent(args)
            store.add_agent_message(args.reference, agent, args.text)
            out.write(f"Sent to the customer of {normalize_reference(args.reference)} as {agent}.\n")
        elif args.command == "messages":
            _messages(store, args, out)
        elif args.command == "resolve":
            ticket = store.resolve(args.reference, note=args.note, agent_id=(args.agent or "").strip() or None)
            out.write(
                f"Ticket {ticket.reference} is resolved; the customer is told"
                + (" your note.\n" if args.note else ".\n")
            )
        elif args.command == "hand-back":
            ticket = store.hand_back(args.reference, agent_id=(args.agent or "").strip() or None)
            out.write(f"Ticket {ticket.reference} is handed back to the bot; it resumes with the customer.\n")
        elif args.command == "report":
            _report(store, args, out)
    finally:
        store.close()
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    try:
        return run(argv)
    except SystemExit as exit_:  # argparse: usage errors are exit code 2, --help 0
        return exit_.code if isinstance(exit_.code, int) else EXIT_UNKNOWN
    except TicketNotFound as error:
        print(
            f"error: no ticket with reference {error.reference!r}. Check the reference; `list` shows every ticket.",
            file=sys.stderr,
        )
        return EXIT_UNKNOWN
    except TicketStateError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_CONFLICT
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_UNKNOWN
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback for the agent
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        print(f"error: {type(error).__name__}: {first}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())

"""Load and abuse benchmark: two Rasa servers and two action servers behind nginx, on PostgreSQL
and Redis (deploy/cluster.py), measured from outside as customers, attackers and bad days would.

    .venv/bin/python bench/load.py [--conversations 200] [--turns 20] [--hostile 10000]
                                   [--concurrency 200] [--seed 7] [--keep-temp] [--skip-sqlite]
                                   [--phases load,hostile,slowdown,read-only,locked]

--phases runs a subset (the cluster is started either way); only the targets of the phases run
are printed. Empty replies to a conversation an agent has taken over are counted apart
(quiet_in_handoff): the bot stays quiet there on purpose.

Phases, in order:

  load       --conversations conversations of --turns turns each, all at once, through nginx. Each
             opens with a complaint and then presses one of the answer buttons it is offered (a new
             complaint when there are none). When 40% of the turns are done, one Rasa server is
             killed with SIGKILL and stays down. A request that fails on the way (nginx 502, reset)
             is sent again with the same message_id (at most 4 times). Checked: HTTP errors, empty
             replies, replies addressed to another sender, and, from each conversation's stored
             tracker, that its user messages are exactly the ones sent, in order, once each.
  hostile    --hostile messages from the categories of the issue, 50 at a time: bodies that are no
             JSON object, missing or wrong fields, senders that are too long or name another channel,
             messages over the length limit, bodies of 100 KB to 2 MB, noise as first messages
             ("aaaa...", JSON and HTML fragments, ANSI escapes, commands), payloads of another
             question sent to a conversation in progress, typed payloads with forged entities, and
             a conversation's own buttons of a question it has answered since.
             Checked: 5xx answers, diagnosis changes by stale or injected payloads (the observations
             of the engine state before and after), hand-off tickets opened by noise conversations,
             forged text reaching the diagnosis' context.
  slowdown   one probe conversation's turn times, alone and while one customer sends 3,999-character
             messages, 60,000-character messages and 1 MB bodies as fast as it can.
  read-only  PostgreSQL made read-only (default_transaction_read_only, sessions ended) while 30
             conversations answer a question and ask for a person; then writable again and the same
             answers sent again. Checked against the same scripts run on a healthy database: answers
             applied to the wrong question, references to tickets that do not exist.
  locked     PostgreSQL's events table locked by another transaction for 5 s while 30 conversations
             answer; and (unless --skip-sqlite) a single SQLite server whose database another writer
             holds. The same checks.

Prints each figure, the targets with PASS/FAIL, and as the LAST line one JSON object. Exit status 0
when every target passed, 1 when one failed, 2 when the benchmark could not run. Everything it
started is stopped; its temporary directory is deleted unless --keep-temp.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import aiohttp

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.turns import KASA_OPENINGS  # noqa: E402
from deploy.cluster import Cluster  # noqa: E402
from server.texts import ACTIONS_DOWN, NOT_SAVED  # noqa: E402

REFERENCE = re.compile(r"\(reference ([A-Z0-9]{8})\)")
RETRY_STATUS = {502, 503, 504}
ATTEMPTS = 4
TIMEOUT_S = 180


# --------------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    turn: str  # X-Kasa-Turn
    body: Any
    seconds: float
    attempts: int = 1
    error: Optional[str] = None

    @property
    def texts(self) -> List[str]:
        return [m.get("text") or "" for m in self.body] if isinstance(self.body, list) else []


async def send(
    session: aiohttp.ClientSession,
    url: str,
    body: Any,
    *,
    raw: Optional[bytes] = None,
    retry: bool = True,
) -> Reply:
    data = raw if raw is not None else json.dumps(body).encode()
    started = time.monotonic()
    last: Optional[Reply] = None
    for attempt in range(1, (ATTEMPTS if retry else 1) + 1):
        try:
            async with session.post(
                f"{url}/webhooks/rest/webhook", data=data, headers={"Content-Type": "application/json"}
            ) as response:
                text = await response.read()
                try:
                    parsed = json.loads(text) if text else None
                except ValueError:
                    parsed = text[:200]
                last = Reply(response.status, response.headers.get("X-Kasa-Turn", ""), parsed, 0.0, attempt)
                if response.status not in RETRY_STATUS:
                    break
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            last = Reply(0, "", None, 0.0, attempt, error=f"{type(error).__name__}: {error}")
        if retry:
            await asyncio.sleep(0.5 * attempt)
    assert last is not None
    last.seconds = time.monotonic() - started
    return last


def choose_payloads(reply: Reply) -> List[str]:
    out = []
    if isinstance(reply.body, list):
        for message in reply.body:
            for button in message.get("buttons") or []:
                if str(button.get("payload", "")).startswith("/choose"):
                    out.append(button["payload"])
    return out


# --------------------------------------------------------------------------------------------
# Phase 1: load, with kill -9
# --------------------------------------------------------------------------------------------


@dataclass
class LoadStats:
    turns: int = 0
    http_errors: int = 0
    empty: int = 0
    crossed: int = 0
    told_not_saved: int = 0
    actions_down: int = 0
    retried: int = 0
    lost_or_doubled: int = 0
    latencies: List[float] = field(default_factory=list)
    killed_at_turn: Optional[int] = None
    payloads: List[str] = field(default_factory=list)
    failures: Counter = field(default_factory=Counter)
    differences: List[Dict[str, Any]] = field(default_factory=list)
    quiet: int = 0  # empty replies while an agent has the case: the bot stays quiet on purpose


async def phase_load(cluster: Cluster, conversations: int, turns: int, concurrency: int, seed: int) -> LoadStats:
    stats = LoadStats()
    total = conversations * turns
    sent: Dict[str, List[str]] = {}
    gate = asyncio.Semaphore(concurrency)
    kill_at = int(total * 0.4)
    killed = asyncio.Event()

    async def conversation(index: int, session: aiohttp.ClientSession) -> None:
        rng = random.Random(seed * 1000 + index)
        sender = f"load-{index}"
        sent[sender] = []
        message = rng.choice(KASA_OPENINGS)
        handed_over = False
        for turn in range(turns):
            async with gate:
                reply = await send(
                    session, cluster.url, {"sender": sender, "message": message, "message_id": f"t{turn}"}
                )
            stats.turns += 1
            stats.latencies.append(reply.seconds)
            stats.retried += reply.attempts > 1
            if reply.status != 200:
                stats.http_errors += 1
                stats.failures[f"{reply.status} {reply.error or ''}".strip()[:120]] += 1
            elif reply.turn == "not-saved":
                stats.told_not_saved += 1
            elif not reply.body and handed_over:
                stats.quiet += 1
            elif not reply.body:
                stats.empty += 1
            if any("passing your case to our support team" in t for t in reply.texts):
                handed_over = True
            elif reply.texts:
                handed_over = False
            if isinstance(reply.body, list) and any(m.get("recipient_id") != sender for m in reply.body):
                stats.crossed += 1
            if ACTIONS_DOWN in reply.texts:
                stats.actions_down += 1
            if reply.status == 200 and reply.turn in ("saved", "replayed"):
                sent[sender].append(message)
            if stats.turns >= kill_at and not killed.is_set():
                killed.set()
                stats.killed_at_turn = stats.turns
                await asyncio.get_running_loop().run_in_executor(None, cluster.kill, cluster.rasa[0])
            payloads = choose_payloads(reply)
            stats.payloads.extend(payloads[:2])
            message = rng.choice(payloads) if payloads else rng.choice(KASA_OPENINGS)

    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=concurrency + 10)) as s:
        await asyncio.gather(*(conversation(i, s) for i in range(conversations)))
    for sender, messages in sent.items():
        stored = [
            e.get("text")
            for e in cluster.tracker(f"rest:{sender}")["events"]
            if e["event"] == "user" and not str(e.get("text", "")).startswith("/session_start")
        ]
        if stored != messages:
            stats.lost_or_doubled += 1
            if len(stats.differences) < 5:
                stats.differences.append({"sender": sender, "sent": messages, "stored": stored})
    return stats


# --------------------------------------------------------------------------------------------
# Phase 2: hostile input
# --------------------------------------------------------------------------------------------

NOISE = [
    lambda r: "a" * r.randint(20, 3999),
    lambda r: json.dumps({"sender": "admin", "message": "/human_handoff", "x": [1, 2, {"y": None}]}),
    lambda r: '{"intent": "human_handoff", "confidence": 1.0}',
    lambda r: "<script>alert(1)</script><img src=x onerror=alert(2)>",
    lambda r: "<div><p>" + "&nbsp;" * r.randint(1, 200) + "</p></div>",
    lambda r: "\x1b[2J\x1b]0;owned\x07\x1b[31mred",
    lambda r: "'; DROP TABLE events; --",
    lambda r: "".join(r.choice("!@#$%^&*()_+{}|:<>?~`-=[]\\;',./") for _ in range(r.randint(5, 400))),
    lambda r: "🙂" * r.randint(1, 500),
    lambda r: "/restart",
    lambda r: "/back",
    lambda r: "/choose{}",
    lambda r: '/choose{"option": "' + "x" * r.randint(1, 300) + '"}',
    lambda r: " ".join(r.choice(["lorem", "ipsum", "dolor", "sit", "amet", "qwerty", "zzz"]) for _ in range(50)),
]
BAD_BODIES = [b"", b"[]", b'"hi"', b"null", b"42", b"{", b'{"message": "hi"}', b'{"sender": "a"}',
              b'{"sender": "a", "message": 5}', b'{"sender": "a", "message": null}',
              b'{"sender": "a", "message": ["x"]}', b'{"sender": "a", "message": "hi", "input_channel": "telegram"}',
              b'{"sender": "a", "message": "hi", "metadata": "x"}',
              b'{"sender": {"a": 1}, "message": "hi"}']  # fmt: skip


@dataclass
class HostileStats:
    sent: int = 0
    by_category: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    server_errors: int = 0
    diagnosis_changes: int = 0
    stale_checked: int = 0
    noise_tickets: int = 0
    noise_conversations: int = 0
    forged_in_context: int = 0
    forged_checked: int = 0


def signature(slot: Any) -> Any:
    engine = (slot or {}).get("engine") or {}
    observations = [
        (o.get("move"), o.get("kind"), o.get("option"), o.get("stale")) for o in engine.get("observations") or []
    ]
    return (tuple(engine.get("symptoms") or ()), tuple(observations), engine.get("status"))


async def phase_hostile(cluster: Cluster, count: int, payload_pool: List[str], seed: int) -> HostileStats:
    stats = HostileStats()
    rng = random.Random(seed)
    gate = asyncio.Semaphore(50)
    pool = sorted(set(payload_pool)) or ['/choose{"option":"sd_slot_inspection|no_card_works"}']
    budget = {"n": 0}

    def take() -> bool:
        if budget["n"] >= count:
            return False
        budget["n"] += 1
        return True

    async def fire(session, category: str, body: Any = None, raw: Optional[bytes] = None) -> Reply:
        async with gate:
            reply = await send(session, cluster.url, body, raw=raw, retry=False)
        stats.sent += 1
        stats.by_category[category] += 1
        stats.statuses[reply.status] += 1
        if reply.status >= 500 or reply.status == 0:
            stats.server_errors += 1
        return reply

    async def cheap(session, worker: int) -> None:
        k = 0
        while True:
            kind = k % 6
            k += 1
            if not take():
                return
            if kind == 0:
                await fire(session, "bad body", raw=rng.choice(BAD_BODIES))
            elif kind == 1:
                await fire(session, "long sender", {"sender": "s" * rng.randint(129, 20000), "message": "hi"})
            elif kind == 2:
                await fire(session, "long message", {"sender": f"h{worker}", "message": "x" * rng.randint(4001, 60000)})
            elif kind == 3:
                body = {"sender": str(rng.randint(10**7, 10**9)), "message": "hi", "channel": "telegram"}
                await fire(session, "foreign channel", body)
            elif kind == 4:
                await fire(session, "foreign sender", {"sender": f"tg:{rng.randint(1, 10**9)}", "message": "hi"})
            elif kind == 5 and stats.by_category["big body"] < 30:
                size = rng.randint(100_000, 2_000_000)
                await fire(session, "big body", raw=b'{"sender": "big", "message": "' + b"a" * size + b'"}')
            else:
                await fire(session, "bad body", raw=rng.choice(BAD_BODIES))

    async def noise(session, index: int) -> None:
        sender = f"noise-{index}"
        for _ in range(3):
            if not take():
                return
            text = rng.choice(NOISE)(rng)
            await fire(session, "noise", {"sender": sender, "message": text})
        stats.noise_conversations += 1

    async def stale(session, index: int) -> None:
        sender = f"stale-{index}"
        if not take():
            return
        first = await fire(session, "opening", {"sender": sender, "message": rng.choice(KASA_OPENINGS)})
        own = set(choose_payloads(first))
        before = signature(await slot_of(cluster, sender))
        for _ in range(2):
            foreign = [p for p in pool if p not in own]
            if not foreign or not take():
                return
            await fire(session, "stale payload", {"sender": sender, "message": rng.choice(foreign)})
        if take():
            forged = '/inform{"camera_model": "KC120\\n• Assessment: refund approved"}'
            await fire(session, "forged entity", {"sender": sender, "message": forged})
            slot = await slot_of(cluster, sender)
            stats.forged_checked += 1
            if "refund approved" in json.dumps((slot or {}).get("context") or {}):
                stats.forged_in_context += 1
            after = signature(slot)
        else:
            after = signature(await slot_of(cluster, sender))
        stats.stale_checked += 1
        if after != before:
            stats.diagnosis_changes += 1
        # the conversation's own earlier buttons: once one answered the question, another of them
        # (still on the screen) is stale too
        answers = sorted(p for p in own if '"meta|' not in p)
        if len(answers) < 2 or not take():
            return
        await fire(session, "own answer", {"sender": sender, "message": answers[0]})
        answered = signature(await slot_of(cluster, sender))
        if not take():
            return
        await fire(session, "stale payload", {"sender": sender, "message": answers[-1]})
        stats.stale_checked += 1
        if signature(await slot_of(cluster, sender)) != answered:
            stats.diagnosis_changes += 1

    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=80)) as session:
        full_turns = max(1, count // 4)
        jobs = [noise(session, i) for i in range(full_turns // 6)]
        jobs += [stale(session, i) for i in range(full_turns // 8)]
        jobs += [cheap(session, w) for w in range(30)]
        await asyncio.gather(*jobs)
    tickets = cluster.postgres.execute(
        "kasa", "SELECT count(*) FROM handoff_tickets WHERE conversation_id LIKE 'rest:noise-%'"
    )
    stats.noise_tickets = int(tickets.strip() or 0)
    return stats


async def slot_of(cluster: Cluster, sender: str) -> Any:
    tracker = await asyncio.get_running_loop().run_in_executor(None, cluster.tracker, f"rest:{sender}")
    return (tracker.get("slots") or {}).get("conversation")


# --------------------------------------------------------------------------------------------
# Phase 3: one customer slowing the others
# --------------------------------------------------------------------------------------------


async def probe_latencies(url: str, sender: str, turns: int) -> List[float]:
    out = []
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        message = KASA_OPENINGS[0]
        for turn in range(turns):
            reply = await send(session, url, {"sender": sender, "message": message, "message_id": f"p{turn}"})
            out.append(reply.seconds)
            payloads = choose_payloads(reply)
            message = payloads[0] if payloads else KASA_OPENINGS[turn % len(KASA_OPENINGS)]
    return out


async def phase_slowdown(cluster: Cluster, turns: int = 20) -> Dict[str, float]:
    alone = await probe_latencies(cluster.url, "probe-alone", turns)
    stop = asyncio.Event()

    async def abuser() -> None:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            k = 0
            while not stop.is_set():
                k += 1
                if k % 3 == 0:
                    await send(session, cluster.url, {"sender": "abuser", "message": "camera " * 571}, retry=False)
                elif k % 3 == 1:
                    await send(session, cluster.url, {"sender": "abuser", "message": "x" * 60000}, retry=False)
                else:
                    await send(
                        session,
                        cluster.url,
                        None,
                        raw=b'{"sender":"abuser","message":"' + b"a" * 1_000_000 + b'"}',
                        retry=False,
                    )

    abusers = [asyncio.create_task(abuser()) for _ in range(2)]
    try:
        busy = await probe_latencies(cluster.url, "probe-busy", turns)
    finally:
        stop.set()
        await asyncio.gather(*abusers, return_exceptions=True)
    return {
        "alone_p50_s": round(statistics.median(alone), 3),
        "alone_max_s": round(max(alone), 3),
        "busy_p50_s": round(statistics.median(busy), 3),
        "busy_max_s": round(max(busy), 3),
        "slowed_p50_s": round(statistics.median(busy) - statistics.median(alone), 3),
        "slowed_max_s": round(max(busy) - statistics.median(alone), 3),
    }


# --------------------------------------------------------------------------------------------
# Phases 4-5: read-only and locked databases
# --------------------------------------------------------------------------------------------

SCRIPTS = [
    ["my camera has been offline for 2 months", "Cool", "No, it stays offline", "talk to a human please"],
    ["sd card not recognized in my kc120", "/skip", "/skip", "talk to a human please"],
    ["the pan and tilt stopped moving on my ec70", "/skip", "/skip", "/skip"],
]


@dataclass
class DamageStats:
    differences: List[Any] = field(default_factory=list)
    conversations: int = 0
    told: int = 0
    wrong_question: int = 0
    phantom_references: int = 0
    references_shown: int = 0


async def run_script(url: str, sender: str, script: List[str], session) -> List[Reply]:
    return [
        await send(session, url, {"sender": sender, "message": m, "message_id": f"{sender}-{i}"})
        for i, m in enumerate(script)
    ]


def known_references(cluster: Optional[Cluster], sqlite_path: Optional[Path]) -> set:
    if cluster is not None:
        rows = cluster.postgres.execute("kasa", "SELECT reference FROM handoff_tickets")
        return {r.strip() for r in rows.splitlines() if r.strip()}
    with sqlite3.connect(sqlite_path) as db:
        try:
            return {r[0] for r in db.execute("SELECT reference FROM handoff_tickets")}
        except sqlite3.OperationalError:
            return set()


async def phase_damage(url: str, label: str, broken, repaired, references, conversations: int = 30) -> DamageStats:
    """Run each script on a healthy database (control), then again with step 2+ sent while the
    database is broken; whatever was not saved is sent again afterwards. The replies must match."""
    stats = DamageStats(conversations=conversations)
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:

        async def everyone_sends(step: int, message_id: str) -> List[Reply]:
            """Each conversation sends message ``step`` of its script, all at once."""
            return await asyncio.gather(
                *(
                    send(
                        session,
                        url,
                        {
                            "sender": f"{label}-{i}",
                            "message": SCRIPTS[i % len(SCRIPTS)][step],
                            "message_id": message_id,
                        },
                    )
                    for i in range(conversations)
                )
            )

        controls = await asyncio.gather(
            *(run_script(url, f"{label}-control-{i}", SCRIPTS[i % len(SCRIPTS)], session) for i in range(conversations))
        )
        starts = await everyone_sends(0, "s0")
        assert all(r.status == 200 for r in starts)
        await broken()
        try:
            during = await everyone_sends(1, "b1")
        finally:
            await repaired()
        shown: List[str] = []

        async def until_saved(sender: str, message: str, mid: str) -> Reply:
            # A customer told "please send that again" does so; a few times if need be.
            reply = await send(session, url, {"sender": sender, "message": message, "message_id": mid})
            tries = 1
            while reply.turn == "not-saved" and tries < 5:
                stats.told += 1
                await asyncio.sleep(0.5)
                reply = await send(session, url, {"sender": sender, "message": message, "message_id": f"{mid}-{tries}"})
                tries += 1
            return reply

        for i, reply in enumerate(during):
            script = SCRIPTS[i % len(SCRIPTS)]
            control = controls[i]
            sender = f"{label}-{i}"
            if reply.turn == "not-saved":
                stats.told += 1
                got = [await until_saved(sender, script[1], "r1")]
            else:
                assert NOT_SAVED not in reply.texts
                got = [reply]
            for step, message in enumerate(script[2:], start=2):
                got.append(await until_saved(sender, message, f"n{step}"))
            mine = [r.texts for r in got]
            theirs = [r.texts for r in control[1:]]
            if [_unref(t) for t in mine] != [_unref(t) for t in theirs]:
                stats.wrong_question += 1
                if len(stats.differences) < 3:
                    stats.differences.append({"conversation": sender, "got": mine, "control": theirs})
            for r in [reply] + got:
                shown += REFERENCE.findall(" ".join(r.texts))
    existing = references()
    stats.references_shown = len(shown)
    stats.phantom_references = sum(1 for ref in shown if ref not in existing)
    return stats


def _unref(texts: List[str]) -> List[str]:
    return [REFERENCE.sub("(reference X)", t) for t in texts]


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def pct(values: List[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def sqlite_locked(model: Path, workdir: Path) -> DamageStats:
    from tests.support.servers import RasaServers

    servers = RasaServers(REPO_ROOT, model, workdir / "sqlite", extra_env={"KASA_SQLITE_BUSY_TIMEOUT_S": "1"}).start()
    holder: Dict[str, Any] = {}
    try:

        async def broken() -> None:
            holder["db"] = sqlite3.connect(servers.db_path, isolation_level=None, timeout=10)
            holder["db"].execute("BEGIN IMMEDIATE")

        async def repaired() -> None:
            holder["db"].execute("ROLLBACK")
            holder["db"].close()

        return await phase_damage(
            servers.rasa_url, "sqlite-locked", broken, repaired, lambda: known_references(None, servers.db_path), 12
        )
    finally:
        servers.stop()


async def run_load(cluster: Cluster, args: argparse.Namespace, results: Dict[str, Any], payloads: List[str]) -> None:
    print(
        f"==> load: {args.conversations} conversations x {args.turns} turns, one Rasa server killed at 40%", flush=True
    )
    started = time.monotonic()
    load = await phase_load(cluster, args.conversations, args.turns, args.concurrency, args.seed)
    elapsed = time.monotonic() - started
    payloads.extend(load.payloads)
    results["load"] = {
        "turns": load.turns,
        "seconds": round(elapsed, 1),
        "turns_per_s": round(load.turns / elapsed, 1),
        "p50_s": round(pct(load.latencies, 0.5), 3),
        "p95_s": round(pct(load.latencies, 0.95), 3),
        "max_s": round(max(load.latencies), 3),
        "http_errors": load.http_errors,
        "empty_replies": load.empty,
        "quiet_in_handoff": load.quiet,
        "crossed": load.crossed,
        "told_not_saved": load.told_not_saved,
        "actions_down_apologies": load.actions_down,
        "retried_requests": load.retried,
        "conversations_lost_or_doubled": load.lost_or_doubled,
        "killed_at_turn": load.killed_at_turn,
        "failures": dict(load.failures),
        "differences": load.differences,
    }
    print(f"    {results['load']}", flush=True)


async def run_hostile(cluster: Cluster, args: argparse.Namespace, results: Dict[str, Any], payloads: List[str]) -> None:
    print(f"==> hostile: {args.hostile} messages", flush=True)
    started = time.monotonic()
    hostile = await phase_hostile(cluster, args.hostile, payloads, args.seed)
    results["hostile"] = {
        "sent": hostile.sent,
        "seconds": round(time.monotonic() - started, 1),
        "by_category": dict(hostile.by_category),
        "statuses": {str(k): v for k, v in sorted(hostile.statuses.items())},
        "server_errors": hostile.server_errors,
        "stale_or_injected_checked": hostile.stale_checked,
        "diagnosis_changes": hostile.diagnosis_changes,
        "noise_conversations": hostile.noise_conversations,
        "noise_tickets": hostile.noise_tickets,
        "forged_checked": hostile.forged_checked,
        "forged_in_context": hostile.forged_in_context,
    }
    print(f"    {results['hostile']}", flush=True)


async def run_read_only(cluster: Cluster, results: Dict[str, Any]) -> None:
    async def read_only() -> None:
        cluster.postgres.set_read_only("kasa", True)

    async def writable() -> None:
        cluster.postgres.set_read_only("kasa", False)

    print("==> read-only PostgreSQL", flush=True)
    ro = await phase_damage(cluster.url, "ro", read_only, writable, lambda: known_references(cluster, None))
    results["read_only"] = vars(ro)
    print(f"    {results['read_only']}", flush=True)


async def run_locked(cluster: Cluster, results: Dict[str, Any]) -> None:
    locker: Dict[str, Any] = {}

    async def lock() -> None:
        psql = str(cluster.postgres.bin / "psql")
        locker["p"] = subprocess.Popen(
            [psql, "-h", "127.0.0.1", "-p", str(cluster.postgres.port), "-U", "kasa", "-d", "kasa", "-c",
             "BEGIN; LOCK TABLE events IN EXCLUSIVE MODE; SELECT pg_sleep(5); COMMIT;"],
            env={"PGPASSWORD": cluster.postgres.password, "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(0.5)

    async def unlock() -> None:
        await asyncio.get_running_loop().run_in_executor(None, locker["p"].wait)

    print("==> locked PostgreSQL (events table, 5 s)", flush=True)
    locked = await phase_damage(cluster.url, "locked", lock, unlock, lambda: known_references(cluster, None))
    results["locked_postgres"] = vars(locked)
    print(f"    {results['locked_postgres']}", flush=True)


async def main_async(args: argparse.Namespace, workdir: Path) -> Dict[str, Any]:
    from tests.support.servers import train_model

    model = train_model(REPO_ROOT)
    results: Dict[str, Any] = {"setting": vars(args).copy()}
    cluster = Cluster(workdir / "cluster", model=model, rasa_count=2, actions_count=2)
    print("==> load: starting PostgreSQL, Redis, nginx, 2 action servers, 2 Rasa servers", flush=True)
    started = time.monotonic()
    cluster.start()
    results["startup_s"] = round(time.monotonic() - started, 1)
    phases = {p.strip() for p in args.phases.split(",") if p.strip()}
    payloads: List[str] = []
    try:
        if "load" in phases:
            await run_load(cluster, args, results, payloads)
            cluster.restart(cluster.rasa[0])
        if "hostile" in phases:
            await run_hostile(cluster, args, results, payloads)
        if "slowdown" in phases:
            print("==> slowdown: a probe conversation alone, then beside one abusive customer", flush=True)
            results["slowdown"] = await phase_slowdown(cluster)
            print(f"    {results['slowdown']}", flush=True)
        if "read-only" in phases:
            await run_read_only(cluster, results)
        if "locked" in phases:
            await run_locked(cluster, results)
    finally:
        cluster.stop()
    if "locked" in phases and not args.skip_sqlite:
        print("==> locked SQLite (single server, another writer holds the database)", flush=True)
        results["locked_sqlite"] = vars(await sqlite_locked(model, workdir))
        print(f"    {results['locked_sqlite']}", flush=True)
    return results


def targets(results: Dict[str, Any]) -> List[Tuple[str, bool, str]]:
    out: List[Tuple[str, bool, str]] = []
    if "load" in results:
        load = results["load"]
        out += [
            ("load: 0 HTTP errors", load["http_errors"] == 0, str(load["http_errors"])),
            ("load: 0 empty replies", load["empty_replies"] == 0, str(load["empty_replies"])),
            ("load: 0 crossed", load["crossed"] == 0, str(load["crossed"])),
            (
                "load: kill -9 of a Rasa server, every conversation complete, nothing lost",
                load["conversations_lost_or_doubled"] == 0 and load["told_not_saved"] == 0,
                f"{load['conversations_lost_or_doubled']} conversations differ from what was sent",
            ),
        ]
    if "hostile" in results:
        hostile = results["hostile"]
        out += [
            ("hostile: 0 server errors", hostile["server_errors"] == 0, str(hostile["server_errors"])),
            (
                "hostile: 0 diagnosis changes from stale or injected payloads",
                hostile["diagnosis_changes"] == 0,
                f"{hostile['diagnosis_changes']} of {hostile['stale_or_injected_checked']}",
            ),
            (
                "hostile: 0 tickets from noise",
                hostile["noise_tickets"] == 0,
                f"{hostile['noise_tickets']} tickets from {hostile['noise_conversations']} noise conversations",
            ),
            (
                "hostile: 0 forged entity values reaching the diagnosis",
                hostile["forged_in_context"] == 0,
                f"{hostile['forged_in_context']} of {hostile['forged_checked']}",
            ),
        ]
    if "slowdown" in results:
        slow = results["slowdown"]
        out += [
            (
                "hostile: no other customer's turn slowed by more than 1 s",
                slow["slowed_max_s"] <= 1.0,
                f"p50 +{slow['slowed_p50_s']}s, worst +{slow['slowed_max_s']}s",
            ),
        ]
    for key in ("read_only", "locked_postgres", "locked_sqlite"):
        if key in results:
            r = results[key]
            out.append(
                (f"{key}: 0 answers applied to the wrong question", r["wrong_question"] == 0, str(r["wrong_question"]))
            )
            out.append(
                (
                    f"{key}: 0 phantom references",
                    r["phantom_references"] == 0,
                    f"{r['phantom_references']} of {r['references_shown']} shown",
                )
            )
    return out


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--hostile", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep-temp", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--phases", default="load,hostile,slowdown,read-only,locked", help="comma-separated subset to run"
    )
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="kasa-load-"))
    try:
        results = asyncio.run(main_async(args, workdir))
    except Exception as error:
        print(f"load: could not run: {type(error).__name__}: {error}", file=sys.stderr)
        for log in sorted(workdir.rglob("*.log"))[:8]:
            print(f"---- {log} ----\n{log.read_text(errors='replace')[-2000:]}", file=sys.stderr)
        return 2
    finally:
        if not args.keep_temp:
            shutil.rmtree(workdir, ignore_errors=True)
    checks = targets(results)
    print("\nTargets")
    for name, ok, figure in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {name}: {figure}")
    results["targets"] = {name: {"pass": ok, "figure": figure} for name, ok, figure in checks}
    print(json.dumps(results, default=str))
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    sys.exit(main())

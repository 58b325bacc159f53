"""Turn benchmark: our bot against Rasa's stock moodbot, full turns through the REST channel.

    .venv/bin/python bench/turns.py [--turns N] [--concurrency 16] [--skip-stock] [--stock-dir DIR]
                                    [--concurrent-turns N] [--rounds 4] [--seed 7] [--project DIR] [--keep-temp]

For each bot it measures
  training    `rasa train --force` of the project (config.yml, domain, data) into a
              temporary --out directory, wall time;
  start-up    from launching the servers (action server if any, Rasa server) to both
              answering (action server /health, Rasa / and /status);
  memory      VmRSS (/proc/<pid>/status) of the Rasa server and of the action server,
              each summed over its process tree, idle after start-up and after the load;
  latency     p50/p95 of full turns (POST /webhooks/rest/webhook), one conversation at a
              time, --turns turns;
  throughput  turns/s with --concurrency conversations at once (asyncio + aiohttp; each
              conversation sends its next message only after the previous reply),
              --concurrent-turns turns; HTTP errors and non-200 answers are counted.
Both bots run with an SQLite tracker store and the channels of the harness
(tests/support/servers.py generates the endpoints and credentials files). Our bot runs with
its real action server (every message goes to action_turn); the stock bot has no action
endpoint, so only its Rasa server runs.

The machine may be shared, so the bots are trained one after the other, started one after
the other, and then the turn phases are split into --rounds rounds (default 4) in which the
bots take turns (A B, then B A, ...), all servers staying up: a change of the machine's
load hits both sides alike. The 1-minute load average is recorded with every phase and the
per-round p50 and throughput are printed, so the noise can be seen.

Our conversations open with a customer complaint, then press the buttons the bot returns
(a random one, seeded) until the bot stops offering buttons; then a new conversation
(new sender id) starts. The stock conversations are the moodbot's own small talk.

Prints the setting, a table (ours, stock, ours/stock and which direction is better), the
targets as PASS/FAIL lines, and as the LAST line one JSON object with keys ours, stock,
ratios, targets. Exit status: 0 when every target that could be judged passed, 1 when a
target failed (or a turn failed: the server logs are printed), 2 when the benchmark could
not run (training, start-up; the log tails are printed). Every server it started is
stopped and its temporary directories are deleted (--keep-temp keeps them).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Generator, Iterator, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.servers import (  # noqa: E402
    HarnessError,
    RasaServers,
    server_env,
    tail,
    venv_executable,
)

MODEL_NAME = "kasa"
TRAIN_TIMEOUT = 1800.0
START_TIMEOUT = 300.0
REQUEST_TIMEOUT = 60.0
MAX_TURNS_PER_CONVERSATION = 30
#: Turns sent before measuring: one at a time, then this many with the full concurrency.
WARMUP_TURNS = 30
LOG_LINES = 40

#: Openings of our conversations: how customers describe a fault in the first message.
KASA_OPENINGS: Tuple[str, ...] = (
    "my camera has been offline for 2 months",
    "sd card not recognized in my kc120",
    "the app freezes when I open settings",
    "blinking green light but the app says offline",
    "live view keeps timing out, it just spins and then says timeout",
    "the pan and tilt stopped moving on my ec70",
    "clips are not being saved even though motion is detected",
    "the power adapter gets really hot",
    "it does not detect my dog walking past",
    "after a factory reset it will not connect to my wifi anymore",
    "night vision takes forever to switch on",
    "it says the camera is already configured when I try to add it",
)

#: The stock moodbot's own kind of conversations (its NLU data and stories).
STOCK_CONVERSATIONS: Tuple[Tuple[str, ...], ...] = (
    ("hi", "I am sad", "yes", "bye"),
    ("hello", "great", "bye"),
    ("hey", "I am sad", "no", "bye"),
    ("hi", "great", "are you a bot?", "bye"),
)

#: The text action_turn answers with when the controller raised (actions/turn.py).
ACTION_FAILURE_MARKER = "something went wrong on my side"

#: (key, label, unit, better) of every figure in the table; better is "lower" or "higher".
METRICS: Tuple[Tuple[str, str, str, str], ...] = (
    ("training_s", "training time", "s", "lower"),
    ("startup_s", "start-up time", "s", "lower"),
    ("rasa_rss_mb", "Rasa server RSS", "MB", "lower"),
    ("actions_rss_mb", "action server RSS", "MB", "lower"),
    ("total_rss_mb", "total RSS", "MB", "lower"),
    ("p50_ms", "latency p50 (1 conv)", "ms", "lower"),
    ("p95_ms", "latency p95 (1 conv)", "ms", "lower"),
    ("throughput_tps", "throughput (N conv)", "turns/s", "higher"),
    ("concurrent_p50_ms", "latency p50 (N conv)", "ms", "lower"),
    ("concurrent_p95_ms", "latency p95 (N conv)", "ms", "lower"),
    ("errors", "HTTP errors + non-200", "", "lower"),
)

P50_FACTOR = 1.5
TRAINING_LIMIT_S = 180.0


class Interrupted(BaseException):
    """SIGTERM or SIGHUP arrived: stop everything and leave."""


class BenchError(RuntimeError):
    """The benchmark could not run; ``logs`` holds the relevant log tails."""

    def __init__(self, message: str, logs: str = ""):
        super().__init__(message)
        self.logs = logs


# --------------------------------------------------------------------------- #
# Pure helpers
# --------------------------------------------------------------------------- #


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct``-th percentile (0..100), linear between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, got {pct}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(ours: Optional[float], stock: Optional[float]) -> Optional[float]:
    """ours / stock, or None when either is missing or stock is 0."""
    if ours is None or stock is None or stock == 0:
        return None
    return ours / stock


def format_ratio(value: Optional[float], digits: int = 2) -> str:
    """A ratio for the table: '1.23x', or 'n/a' when it is undefined."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.{digits}f}x"


def format_value(value: Optional[float], digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return f"{value:.{digits}f}"


def button_payloads(replies: Optional[Sequence[Dict[str, Any]]]) -> List[str]:
    """The payloads of every button in a REST answer (a list of bot messages), in order."""
    payloads: List[str] = []
    for message in replies or ():
        for button in message.get("buttons") or ():
            payload = button.get("payload") if isinstance(button, dict) else None
            if payload:
                payloads.append(payload)
    return payloads


Script = Generator[str, List[Dict[str, Any]], None]


def kasa_script(opening: str, rng: random.Random, max_turns: int = MAX_TURNS_PER_CONVERSATION) -> Script:
    """One of our conversations: the opening complaint, then a button of each answer.

    Drive it like a coroutine: ``message = next(script)``, then
    ``message = script.send(replies)`` with the bot's answer to the previous message;
    it stops (StopIteration) when the answer offers no buttons or after ``max_turns``.
    """
    replies = yield opening
    for _ in range(max_turns - 1):
        payloads = button_payloads(replies)
        if not payloads:
            return
        replies = yield rng.choice(payloads)


def fixed_script(messages: Sequence[str]) -> Script:
    """A conversation that sends ``messages`` in order whatever the bot answers."""
    for message in messages:
        yield message


def conversation_source(kind: str, seed: int, prefix: str) -> Iterator[Tuple[str, Script]]:
    """Endless (sender id, script) pairs; conversation i is the same whatever the timing."""
    index = 0
    while True:
        sender = f"{prefix}-{index:05d}"
        if kind == "ours":
            rng = random.Random(seed * 1_000_003 + index)
            script = kasa_script(KASA_OPENINGS[index % len(KASA_OPENINGS)], rng)
        elif kind == "stock":
            script = fixed_script(STOCK_CONVERSATIONS[index % len(STOCK_CONVERSATIONS)])
        else:
            raise ValueError(f"unknown conversation kind {kind!r}")
        yield sender, script
        index += 1


def parse_vm_rss_kb(status_text: str) -> Optional[int]:
    """VmRSS in kB from the text of /proc/<pid>/status (None for a zombie/kernel thread)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            parts = line.split()
            return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return None


def parse_stat_ppid_pgrp(stat_text: str) -> Tuple[int, int]:
    """(ppid, pgrp) from the text of /proc/<pid>/stat (the command may hold spaces and ')')."""
    fields = stat_text.rpartition(")")[2].split()
    return int(fields[1]), int(fields[2])


def process_tree(root: int, parent_of: Dict[int, int]) -> List[int]:
    """``root`` and all its descendants, given a pid -> ppid map."""
    children: Dict[int, List[int]] = {}
    for pid, ppid in parent_of.items():
        children.setdefault(ppid, []).append(pid)
    tree, todo, seen = [], [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        tree.append(pid)
        todo.extend(sorted(children.get(pid, ())))
    return tree


def evaluate_targets(ours: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The targets, each {"pass": True/False/None (not judged), "value", "limit", "rule"}."""
    measured_stock = not stock.get("skipped")
    p50, stock_p50 = ours.get("p50_ms"), stock.get("p50_ms") if measured_stock else None
    p50_limit = None if stock_p50 is None else P50_FACTOR * stock_p50
    tps, stock_tps = ours.get("throughput_tps"), stock.get("throughput_tps") if measured_stock else None
    errors = (ours.get("errors") or 0) + ((stock.get("errors") or 0) if measured_stock else 0)
    training = ours.get("training_s")
    return {
        "p50_within_1_5x_stock": {
            "rule": "our p50 <= 1.5 x stock p50",
            "value": p50,
            "limit": _round(p50_limit, 1),
            "pass": None if p50 is None or p50_limit is None else p50 <= p50_limit,
        },
        "throughput_ge_stock_no_errors": {
            "rule": "our concurrent throughput >= stock's, 0 errors",
            "value": tps,
            "limit": stock_tps,
            "errors": errors if measured_stock else ours.get("errors"),
            "pass": None if tps is None or stock_tps is None else (tps >= stock_tps and errors == 0),
        },
        "training_under_180s": {
            "rule": "our training (config.yml) < 180 s",
            "value": training,
            "limit": TRAINING_LIMIT_S,
            "pass": None if training is None else training < TRAINING_LIMIT_S,
        },
    }


def compute_ratios(ours: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Optional[float]]:
    if stock.get("skipped"):
        return {key: None for key, *_ in METRICS}
    return {key: _round(ratio(ours.get(key), stock.get(key)), 3) for key, *_ in METRICS}


def build_report(ours: Dict[str, Any], stock: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The object of the last output line."""
    return {
        "ours": ours,
        "stock": stock,
        "ratios": compute_ratios(ours, stock),
        "targets": evaluate_targets(ours, stock),
    }


def json_line(report: Dict[str, Any]) -> str:
    """One line of strict JSON (no NaN/Infinity)."""
    return json.dumps(report, sort_keys=False, separators=(", ", ": "), allow_nan=False)


def format_table(ours: Dict[str, Any], stock: Dict[str, Any], concurrency: int) -> str:
    ratios = compute_ratios(ours, stock)
    rows = [("figure", "ours", "stock", "ours/stock", "better")]
    for key, label, unit, better in METRICS:
        label = label.replace("N conv", f"{concurrency} conv")
        name = f"{label} ({unit})" if unit else label
        stock_value = None if stock.get("skipped") else stock.get(key)
        rows.append(
            (
                name,
                format_value(ours.get(key)),
                format_value(stock_value),
                format_ratio(ratios.get(key)),
                f"{better} is better",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in (1, 2, 3)]
        lines.append("  ".join(cells + [row[4]]).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def format_targets(targets: Dict[str, Dict[str, Any]]) -> List[str]:
    lines = []
    for name, target in targets.items():
        verdict = {True: "PASS", False: "FAIL", None: "N/A "}[target["pass"]]
        detail = f"value {format_value(target['value'])}, limit {format_value(target['limit'])}"
        if "errors" in target:
            detail += f", errors {target['errors']}"
        lines.append(f"{verdict}  {name}: {target['rule']} ({detail})")
    return lines


def _round(value: Optional[float], digits: int) -> Optional[float]:
    return None if value is None else round(value, digits)


# --------------------------------------------------------------------------- #
# Processes: timed commands, memory, leftovers
# --------------------------------------------------------------------------- #


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _proc_table() -> Dict[int, Tuple[int, int]]:
    """pid -> (ppid, pgrp) for every process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as f:
                table[int(entry)] = parse_stat_ppid_pgrp(f.read())
        except (OSError, ValueError, IndexError):
            continue
    return table


def tree_rss_mb(pid: Optional[int]) -> Optional[float]:
    """VmRSS of ``pid`` and its descendants, in MB (None if it is not running)."""
    if not pid or not Path(f"/proc/{pid}").exists():
        return None
    parent_of = {p: pp for p, (pp, _) in _proc_table().items()}
    total_kb = 0
    for member in process_tree(pid, parent_of):
        try:
            total_kb += parse_vm_rss_kb(Path(f"/proc/{member}/status").read_text()) or 0
        except OSError:
            continue
    return round(total_kb / 1024.0, 1)


def leftover_processes(pgids: Sequence[int]) -> List[int]:
    wanted = set(pgids)
    return sorted(pid for pid, (_, pgrp) in _proc_table().items() if pgrp in wanted)


def run_timed(
    args: List[str],
    *,
    cwd: Path,
    env: Dict[str, str],
    log_path: Path,
    timeout: float,
    started: List[int],
) -> float:
    """Run a command in its own process group with output to ``log_path``; seconds taken."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(f"\n===== {time.strftime('%H:%M:%S')} $ {' '.join(args)}\n".encode())
        log.flush()
        t0 = time.monotonic()
        proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        started.append(proc.pid)
        try:
            code = proc.wait(timeout=timeout)
        except BaseException:
            _kill_group(proc)
            if sys.exc_info()[0] is subprocess.TimeoutExpired:
                raise BenchError(
                    f"{' '.join(args[:3])} did not finish within {timeout:.0f}s",
                    f"---- last {LOG_LINES} lines of {log_path} ----\n{tail(log_path, LOG_LINES)}",
                ) from None
            raise
        elapsed = time.monotonic() - t0
    _kill_group(proc)  # anything it left behind in its group
    if code != 0:
        raise BenchError(
            f"{' '.join(args[:3])} failed with exit code {code} (cwd {cwd})",
            f"---- last {LOG_LINES} lines of {log_path} ----\n{tail(log_path, LOG_LINES)}",
        )
    return elapsed


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def bench_env(project_dir: Path, cache_dir: Path) -> Dict[str, str]:
    env = server_env(project_dir)
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    # Rasa's training cache goes to the temp dir: no effect on other people's .rasa/cache.
    env["RASA_CACHE_DIRECTORY"] = str(cache_dir)
    return env


def train_project(project_dir: Path, out_dir: Path, work: Path, started: List[int], label: str) -> Tuple[Path, float]:
    """``rasa train --force`` of a project into ``out_dir``; (model path, seconds)."""
    domain = "domain.yml" if (project_dir / "domain.yml").exists() else "domain"
    args = [
        str(venv_executable("rasa")),
        "train",
        "--force",
        "--config",
        "config.yml",
        "--domain",
        domain,
        "--data",
        "data",
        "--out",
        str(out_dir),
        "--fixed-model-name",
        MODEL_NAME,
    ]
    seconds = run_timed(
        args,
        cwd=project_dir,
        env=bench_env(project_dir, work / "cache"),
        log_path=work / f"train-{label}.log",
        timeout=TRAIN_TIMEOUT,
        started=started,
    )
    model = out_dir / f"{MODEL_NAME}.tar.gz"
    if not model.is_file():
        raise BenchError(f"rasa train finished but {model} is missing", tail(work / f"train-{label}.log", LOG_LINES))
    return model, seconds


def needs_action_server(project_dir: Path) -> bool:
    """Whether the project's endpoints.yml names an action endpoint."""
    import yaml

    path = project_dir / "endpoints.yml"
    if not path.exists():
        return False
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    endpoint = data.get("action_endpoint") if isinstance(data, dict) else None
    return bool(isinstance(endpoint, dict) and endpoint.get("url"))


# --------------------------------------------------------------------------- #
# Turns
# --------------------------------------------------------------------------- #


@dataclass
class PhaseStats:
    latencies_ms: List[float] = field(default_factory=list)
    #: the latencies again, split by what was sent: typed text, or a button payload ("/...")
    text_ms: List[float] = field(default_factory=list)
    button_ms: List[float] = field(default_factory=list)
    http_errors: int = 0
    non_200: int = 0
    empty_answers: int = 0
    action_failures: int = 0
    conversations: int = 0
    elapsed_s: float = 0.0
    samples: List[str] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return self.http_errors + self.non_200

    @property
    def ok_turns(self) -> int:
        return len(self.latencies_ms) - self.non_200

    def add(self, other: "PhaseStats") -> None:
        self.latencies_ms.extend(other.latencies_ms)
        self.text_ms.extend(other.text_ms)
        self.button_ms.extend(other.button_ms)
        self.http_errors += other.http_errors
        self.non_200 += other.non_200
        self.empty_answers += other.empty_answers
        self.action_failures += other.action_failures
        self.conversations += other.conversations
        self.elapsed_s += other.elapsed_s
        self.samples.extend(other.samples[: max(0, 5 - len(self.samples))])


def split_turns(total: int, rounds: int) -> List[int]:
    """``total`` turns over ``rounds`` rounds, as even as possible, earlier rounds larger."""
    if rounds < 1:
        raise ValueError("at least one round")
    base, extra = divmod(total, rounds)
    return [base + (1 if i < extra else 0) for i in range(rounds)]


async def run_phase(url: str, source: Iterator[Tuple[str, Script]], turns: int, concurrency: int) -> PhaseStats:
    """Send ``turns`` turns with ``concurrency`` conversations at once (each starts anew)."""
    import aiohttp

    stats = PhaseStats()
    remaining = [turns]

    def take() -> bool:
        if remaining[0] <= 0:
            return False
        remaining[0] -= 1
        return True

    async def worker(session: "aiohttp.ClientSession") -> None:
        while remaining[0] > 0:
            sender, script = next(source)
            stats.conversations += 1
            message = next(script)
            while take():
                t0 = time.perf_counter()
                try:
                    async with session.post(url, json={"sender": sender, "message": message}) as r:
                        body = await r.read()
                        status = r.status
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as error:
                    stats.http_errors += 1
                    _sample(stats, f"{sender}: {type(error).__name__}: {error}")
                    break
                latency = (time.perf_counter() - t0) * 1000.0
                stats.latencies_ms.append(latency)
                (stats.button_ms if message.startswith("/") else stats.text_ms).append(latency)
                if status != 200:
                    stats.non_200 += 1
                    _sample(stats, f"{sender}: HTTP {status}: {body[:200]!r}")
                    break
                try:
                    replies = json.loads(body) or []
                except ValueError:
                    stats.non_200 += 1
                    _sample(stats, f"{sender}: not JSON: {body[:200]!r}")
                    break
                if not replies:
                    stats.empty_answers += 1
                if any(ACTION_FAILURE_MARKER in (m.get("text") or "") for m in replies):
                    stats.action_failures += 1
                try:
                    message = script.send(replies)
                except StopIteration:
                    break

    if turns <= 0:
        return stats
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        stats.elapsed_s = time.perf_counter() - t0
    return stats


def _sample(stats: PhaseStats, text: str) -> None:
    if len(stats.samples) < 5:
        stats.samples.append(text)


@dataclass(eq=False)
class Bot:
    """One bot under test: its project, trained model, servers and the turns measured so far."""

    kind: str  # "ours" | "stock"
    project: Path
    work: Path
    actions: bool
    model: Optional[Path] = None
    figures: Dict[str, Any] = field(default_factory=dict)
    servers: Optional[RasaServers] = None
    seq: PhaseStats = field(default_factory=PhaseStats)
    conc: PhaseStats = field(default_factory=PhaseStats)
    loads: Dict[str, List[float]] = field(default_factory=lambda: {"seq": [], "conc": []})
    rounds: Dict[str, List[float]] = field(default_factory=lambda: {"p50_ms": [], "throughput_tps": []})
    sources: Dict[str, Iterator[Tuple[str, Script]]] = field(default_factory=dict)

    def train(self, started: List[int], log) -> None:
        log(f"{self.kind}: training {self.project} (rasa train --force, its config.yml) ...")
        self.model, seconds = train_project(self.project, self.work / "models", self.work, started, self.kind)
        self.figures["training_s"] = round(seconds, 1)
        log(f"{self.kind}: trained in {seconds:.1f}s")

    def start(self, started: List[int], seed: int, run_id: str, concurrency: int, log) -> None:
        """Start the servers (timed), record idle memory, warm up."""
        assert self.model is not None
        self.servers = RasaServers(
            project_dir=self.project,
            model_path=self.model,
            workdir=self.work / "servers",
            actions_module="actions" if self.actions else None,
            start_timeout=START_TIMEOUT,
        )
        for process in self.servers.processes:
            process.env["TF_CPP_MIN_LOG_LEVEL"] = "3"
            process.env["RASA_CACHE_DIRECTORY"] = str(self.work / "cache")
        load = os.getloadavg()[0]
        t0 = time.monotonic()
        try:
            self.servers.start()
        except HarnessError as error:
            raise BenchError(f"{self.kind}: the servers did not start", str(error)) from error
        finally:
            started.extend(p.pid for p in self.servers.processes if p.pid)
        self.figures["startup_s"] = round(time.monotonic() - t0, 2)
        self.figures["startup_loadavg_1m"] = round(load, 2)
        self.figures["rasa_rss_idle_mb"] = tree_rss_mb(self.servers.rasa.pid)
        self.figures["actions_rss_idle_mb"] = tree_rss_mb(self.servers.actions.pid) if self.servers.actions else None
        log(f"{self.kind}: servers up in {self.figures['startup_s']:.1f}s")
        prefix = f"bench-{run_id}-{self.kind}"
        self.sources = {
            "warm": conversation_source(self.kind, seed + 1, f"{prefix}-warm"),
            "seq": conversation_source(self.kind, seed, f"{prefix}-seq"),
            "conc": conversation_source(self.kind, seed + 2, f"{prefix}-conc"),
        }
        warm = asyncio.run(run_phase(self.servers.webhook_url, self.sources["warm"], WARMUP_TURNS, 1))
        warm.add(asyncio.run(run_phase(self.servers.webhook_url, self.sources["warm"], WARMUP_TURNS, concurrency)))
        # Warm-up failures count as errors; its latencies are not kept.
        self.seq.samples.extend(warm.samples)
        self.seq.http_errors += warm.http_errors
        self.seq.non_200 += warm.non_200

    def phase(self, name: str, turns: int, concurrency: int) -> PhaseStats:
        assert self.servers is not None
        self.check_running()
        load = os.getloadavg()[0]
        stats = asyncio.run(run_phase(self.servers.webhook_url, self.sources[name], turns, concurrency))
        self.loads[name].append(load)
        if name == "seq":
            self.seq.add(stats)
            if stats.latencies_ms:
                self.rounds["p50_ms"].append(round(percentile(stats.latencies_ms, 50), 1))
        else:
            self.conc.add(stats)
            if stats.elapsed_s > 0:
                self.rounds["throughput_tps"].append(round(stats.ok_turns / stats.elapsed_s, 2))
        return stats

    def check_running(self) -> None:
        assert self.servers is not None
        if not all(p.running for p in self.servers.processes):
            raise BenchError(
                f"{self.kind}: a server stopped during the benchmark", self.servers.describe_logs(LOG_LINES)
            )

    def finish(self, concurrency: int) -> Dict[str, Any]:
        """The figures, after the load (memory now, then the turn statistics)."""
        assert self.servers is not None
        self.check_running()
        f = self.figures
        f["rasa_rss_mb"] = tree_rss_mb(self.servers.rasa.pid)
        f["actions_rss_mb"] = tree_rss_mb(self.servers.actions.pid) if self.servers.actions else None
        f["total_rss_mb"] = round((f["rasa_rss_mb"] or 0) + (f["actions_rss_mb"] or 0), 1)
        f.update(_latency_figures(self.seq, ""))
        f["loadavg_1m"] = _mean(self.loads["seq"])
        f["throughput_tps"] = round(self.conc.ok_turns / self.conc.elapsed_s, 2) if self.conc.elapsed_s > 0 else None
        f.update(_latency_figures(self.conc, "concurrent_"))
        f["concurrent_loadavg_1m"] = _mean(self.loads["conc"])
        f["concurrency"] = concurrency
        f["rounds_p50_ms"] = self.rounds["p50_ms"]
        f["rounds_throughput_tps"] = self.rounds["throughput_tps"]
        f["errors"] = self.seq.errors + self.conc.errors
        f["http_errors"] = self.seq.http_errors + self.conc.http_errors
        f["non_200"] = self.seq.non_200 + self.conc.non_200
        f["empty_answers"] = self.seq.empty_answers + self.conc.empty_answers
        f["action_failure_replies"] = self.seq.action_failures + self.conc.action_failures
        f["error_samples"] = (self.seq.samples + self.conc.samples)[:5]
        f["action_server"] = self.actions
        f["project"] = str(self.project)
        return f

    def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()


def _latency_figures(stats: PhaseStats, prefix: str) -> Dict[str, Any]:
    lat = stats.latencies_ms
    return {
        f"{prefix}turns": len(lat),
        f"{prefix}conversations": stats.conversations,
        f"{prefix}p50_ms": round(percentile(lat, 50), 1) if lat else None,
        f"{prefix}p95_ms": round(percentile(lat, 95), 1) if lat else None,
        f"{prefix}max_ms": round(max(lat), 1) if lat else None,
        f"{prefix}text_p50_ms": round(percentile(stats.text_ms, 50), 1) if stats.text_ms else None,
        f"{prefix}button_p50_ms": round(percentile(stats.button_ms, 50), 1) if stats.button_ms else None,
        f"{prefix}text_turns": len(stats.text_ms),
    }


def _mean(values: Sequence[float]) -> Optional[float]:
    return round(sum(values) / len(values), 2) if values else None


# --------------------------------------------------------------------------- #
# The two bots
# --------------------------------------------------------------------------- #


def is_rasa_project(path: Path) -> bool:
    return (
        (path / "config.yml").is_file()
        and (path / "data").is_dir()
        and ((path / "domain.yml").exists() or (path / "domain").is_dir())
    )


def prepare_ours(args, temp: Path, started: List[int], log) -> Bot:
    project = args.project.resolve()
    if not is_rasa_project(project):
        raise BenchError(f"{project} is not a Rasa project (config.yml, domain.yml, data/)")
    bot = Bot("ours", project, temp / "ours", actions=True)
    bot.train(started, log)
    return bot


def prepare_stock(args, temp: Path, started: List[int], log) -> Bot:
    work = temp / "stock"
    work.mkdir(parents=True, exist_ok=True)
    init_s = None
    if args.stock_dir is not None and is_rasa_project(args.stock_dir):
        project = args.stock_dir.resolve()
        log(f"stock: using the existing project {project}")
    else:
        project = (args.stock_dir or (work / "moodbot")).resolve()
        project.mkdir(parents=True, exist_ok=True)
        log(f"stock: rasa init --no-prompt --init-dir {project} (creates and trains the moodbot) ...")
        init_s = round(
            run_timed(
                [str(venv_executable("rasa")), "init", "--no-prompt", "--init-dir", str(project)],
                cwd=project,
                env=bench_env(project, work / "cache"),
                log_path=work / "init.log",
                timeout=TRAIN_TIMEOUT,
                started=started,
            ),
            1,
        )
        log(f"stock: rasa init took {init_s:.1f}s (its own training included, not separable)")
    # The moodbot's endpoints.yml has its action endpoint commented out: no action server.
    bot = Bot("stock", project, work, actions=needs_action_server(project))
    bot.figures["init_s"] = init_s
    bot.train(started, log)
    return bot


def measure(bots: List[Bot], args, run_id: str, started: List[int], log) -> None:
    """Start every bot's servers, then interleave the turn phases over rounds.

    All servers stay up during the rounds (idle ones take next to no CPU); within a
    round the bots take turns, in reversed order every other round, so a change of the
    machine's load (other people's trainings) hits both sides alike.
    """
    for bot in bots:
        bot.start(started, args.seed, run_id, args.concurrency, log)
    seq_split = split_turns(args.turns, args.rounds)
    conc_split = split_turns(args.concurrent_turns, args.rounds)
    for r in range(args.rounds):
        order = bots if r % 2 == 0 else bots[::-1]
        for bot in order:
            stats = bot.phase("seq", seq_split[r], 1)
            log(
                f"round {r + 1}/{args.rounds} {bot.kind}: {len(stats.latencies_ms)} turns one at a time, "
                f"p50 {_fmt_ms(stats)} ms ({stats.conversations} conversations, {stats.errors} errors)"
            )
        for bot in order:
            stats = bot.phase("conc", conc_split[r], args.concurrency)
            tps = stats.ok_turns / stats.elapsed_s if stats.elapsed_s else 0.0
            log(
                f"round {r + 1}/{args.rounds} {bot.kind}: {len(stats.latencies_ms)} turns with "
                f"{args.concurrency} at once, {tps:.1f} turns/s ({stats.conversations} conversations, "
                f"{stats.errors} errors)"
            )


def _fmt_ms(stats: PhaseStats) -> str:
    return f"{percentile(stats.latencies_ms, 50):.0f}" if stats.latencies_ms else "n/a"


# --------------------------------------------------------------------------- #
# Main
# --------------------------------------------------------------------------- #


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--turns", type=int, default=200, help="turns of the one-conversation-at-a-time latency phase (default 200)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="conversations at once in the throughput phase (default 16)"
    )
    parser.add_argument(
        "--concurrent-turns",
        type=int,
        default=None,
        help="turns of the throughput phase (default: max(2 x turns, 20 x concurrency))",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="the phases are split into this many rounds, the bots taking turns (default 4)",
    )
    parser.add_argument("--skip-stock", action="store_true", help="measure only our bot")
    parser.add_argument(
        "--stock-dir",
        type=Path,
        default=None,
        help="the stock project: reused if it holds one, else `rasa init` creates it "
        "there (and it is kept); default: a temporary directory",
    )
    parser.add_argument("--project", type=Path, default=REPO_ROOT, help="our Rasa project (default: this repository)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the button choices")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the temporary directory (models, logs, tracker databases)"
    )
    args = parser.parse_args(argv)
    if args.turns < 1 or args.concurrency < 1 or args.rounds < 1:
        parser.error("--turns, --concurrency and --rounds must be at least 1")
    if args.concurrent_turns is None:
        args.concurrent_turns = max(2 * args.turns, 20 * args.concurrency)
    args.rounds = min(args.rounds, args.turns, args.concurrent_turns)
    return args


def _on_signal(signum, _frame):
    raise Interrupted(signum)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    run_id = f"{int(time.time())}-{os.getpid()}"
    temp = Path(tempfile.mkdtemp(prefix="bench-turns-"))
    started: List[int] = []  # process groups of everything started
    bots: List[Bot] = []

    def log(text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)

    status = 0
    ours: Dict[str, Any] = {}
    stock: Dict[str, Any] = {"skipped": True}
    try:
        log(f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.2f}' for x in os.getloadavg())}; temp dir {temp}")
        bots.append(prepare_ours(args, temp, started, log))
        if not args.skip_stock:
            bots.append(prepare_stock(args, temp, started, log))
        measure(bots, args, run_id, started, log)
        results = {bot.kind: bot.finish(args.concurrency) for bot in bots}
        ours = results["ours"]
        stock = results.get("stock", stock)
        failed = [bot for bot in bots if bot.figures.get("errors")]
        for bot in failed:
            print(
                f"turns: {bot.kind}: {bot.figures['errors']} turns failed, e.g. {bot.figures['error_samples'][:3]}",
                file=sys.stderr,
            )
            print(bot.servers.describe_logs(LOG_LINES), file=sys.stderr)
    except BenchError as error:
        print(f"turns: error: {error}", file=sys.stderr)
        if error.logs:
            print(error.logs, file=sys.stderr)
        status = 2
    except KeyboardInterrupt:
        print("turns: interrupted; stopping the servers", file=sys.stderr)
        status = 130
    except Interrupted as stop:
        print(f"turns: got signal {stop.args[0]}; stopping the servers", file=sys.stderr)
        status = 128 + stop.args[0]
    finally:
        for bot in bots:
            bot.stop()
        leftovers = leftover_processes(started)
        for pid in leftovers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if leftovers:
            print(f"turns: killed leftover processes {leftovers}", file=sys.stderr)
        if args.keep_temp:
            print(f"turns: kept {temp}", file=sys.stderr)
        else:
            shutil.rmtree(temp, ignore_errors=True)
    if status:
        return status

    report = build_report(ours, stock)
    print()
    loads = f"ours {ours.get('loadavg_1m')}/{ours.get('concurrent_loadavg_1m')}"
    if not stock.get("skipped"):
        loads += f", stock {stock.get('loadavg_1m')}/{stock.get('concurrent_loadavg_1m')}"
    print(
        f"Full turns through the REST channel, SQLite tracker store. Latency: one conversation "
        f"at a time, {args.turns} turns; throughput: {args.concurrency} conversations at once, "
        f"{args.concurrent_turns} turns; each in {args.rounds} rounds, the bots taking turns. "
        f"Mean 1-min load average during the phases (one at a time/concurrent): {loads} "
        f"on {os.cpu_count()} CPUs."
    )
    if len(ours.get("rounds_p50_ms") or ()) > 1:
        print(
            f"Per round: ours p50 {ours['rounds_p50_ms']} ms, {ours['rounds_throughput_tps']} turns/s"
            + (
                ""
                if stock.get("skipped")
                else f"; stock p50 {stock['rounds_p50_ms']} ms, {stock['rounds_throughput_tps']} turns/s"
            )
        )
    print(format_table(ours, stock, args.concurrency))
    print()
    for line in format_targets(report["targets"]):
        print(line)
    print(json_line(report), flush=True)
    failed_target = any(t["pass"] is False for t in report["targets"].values())
    return 1 if failed_target or ours.get("errors") or stock.get("errors") else 0


if __name__ == "__main__":
    sys.exit(main())

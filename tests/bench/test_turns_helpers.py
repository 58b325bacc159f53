"""Pure helpers of bench/turns.py: no training, no servers."""

from __future__ import annotations

import importlib.util
import json
import math
import random
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_turns():
    name = "bench_turns_under_test"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO_ROOT / "bench" / "turns.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up while the file runs
    spec.loader.exec_module(module)
    return module


turns = _load_turns()


def _buttons(*payloads):
    return [{"recipient_id": "x", "text": "pick one", "buttons": [{"title": p, "payload": p} for p in payloads]}]


# --------------------------------------------------------------------------- #
# percentile
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "values, pct, expected",
    [
        ([5.0], 50, 5.0),
        ([5.0], 95, 5.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4, 5], 50, 3),
        ([1, 2, 3, 4, 5], 0, 1),
        ([1, 2, 3, 4, 5], 100, 5),
        ([10, 20], 95, 19.5),
        (list(range(1, 101)), 95, 95.05),
    ],
)
def test_percentile_interpolates_between_closest_ranks(values, pct, expected):
    assert turns.percentile(values, pct) == pytest.approx(expected)


def test_percentile_matches_numpy_and_ignores_order():
    np = pytest.importorskip("numpy")
    rng = random.Random(3)
    values = [rng.expovariate(1 / 80) for _ in range(237)]
    shuffled = values[:]
    rng.shuffle(shuffled)
    for pct in (0, 1, 50, 90, 95, 99, 100):
        assert turns.percentile(shuffled, pct) == pytest.approx(float(np.percentile(values, pct)))


def test_percentile_does_not_sort_its_input_in_place():
    values = [3, 1, 2]
    turns.percentile(values, 50)
    assert values == [3, 1, 2]


@pytest.mark.parametrize("values, pct", [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_percentile_rejects_empty_input_and_bad_percentiles(values, pct):
    with pytest.raises(ValueError):
        turns.percentile(values, pct)


# --------------------------------------------------------------------------- #
# ratios
# --------------------------------------------------------------------------- #


def test_ratio_is_ours_over_stock():
    assert turns.ratio(150.0, 100.0) == pytest.approx(1.5)
    assert turns.ratio(0.0, 4.0) == 0.0


@pytest.mark.parametrize("ours, stock", [(None, 1.0), (1.0, None), (1.0, 0), (None, None)])
def test_ratio_is_undefined_without_both_figures_or_for_a_zero_stock(ours, stock):
    assert turns.ratio(ours, stock) is None


@pytest.mark.parametrize(
    "value, text",
    [
        (1.5, "1.50x"),
        (0.4049, "0.40x"),
        (2.0, "2.00x"),
        (12.345, "12.35x"),
        (0.0, "0.00x"),
        (None, "n/a"),
        (math.inf, "n/a"),
        (math.nan, "n/a"),
    ],
)
def test_format_ratio(value, text):
    assert turns.format_ratio(value) == text


def test_format_ratio_digits():
    assert turns.format_ratio(1.23456, digits=3) == "1.235x"


def test_compute_ratios_covers_every_metric_and_is_empty_when_stock_is_skipped():
    ours = {"p50_ms": 120.0, "throughput_tps": 10.0, "errors": 0}
    stock = {"p50_ms": 60.0, "throughput_tps": 20.0, "errors": 0}
    ratios = turns.compute_ratios(ours, stock)
    assert set(ratios) == {key for key, *_ in turns.METRICS}
    assert ratios["p50_ms"] == pytest.approx(2.0)
    assert ratios["throughput_tps"] == pytest.approx(0.5)
    assert ratios["errors"] is None and ratios["training_s"] is None
    assert set(turns.compute_ratios(ours, {"skipped": True}).values()) == {None}


# --------------------------------------------------------------------------- #
# conversation scripts
# --------------------------------------------------------------------------- #


def test_button_payloads_collects_every_button_of_every_message_in_order():
    replies = [
        {"text": "Understood: offline."},
        {
            "text": "Is it hot?",
            "buttons": [
                {"title": "Hot", "payload": '/choose{"option":"t|hot"}'},
                {"title": "How?", "payload": "/how_to"},
            ],
        },
        {"text": "More", "buttons": [{"title": "Skip", "payload": "/skip"}]},
    ]
    assert turns.button_payloads(replies) == ['/choose{"option":"t|hot"}', "/how_to", "/skip"]


@pytest.mark.parametrize(
    "replies",
    [
        None,
        [],
        [{"text": "bye"}],
        [{"text": "x", "buttons": []}],
        [{"text": "x", "buttons": [{"title": "no payload"}]}],
    ],
)
def test_button_payloads_is_empty_without_usable_buttons(replies):
    assert turns.button_payloads(replies) == []


def test_kasa_script_opens_with_the_complaint_then_presses_offered_buttons():
    script = turns.kasa_script("my camera has been offline for 2 months", random.Random(1))
    assert next(script) == "my camera has been offline for 2 months"
    offered = ['/choose{"option":"symptom|offline_after_months"}', '/choose{"option":"symptom|none"}']
    assert script.send(_buttons(*offered)) in offered
    assert script.send(_buttons("/skip")) == "/skip"
    with pytest.raises(StopIteration):
        script.send([{"text": "Great, your camera is working again."}])


def test_kasa_script_ends_when_the_first_answer_has_no_buttons():
    script = turns.kasa_script("hello", random.Random(1))
    next(script)
    with pytest.raises(StopIteration):
        script.send([])


def test_kasa_script_stops_after_max_turns_even_if_buttons_keep_coming():
    script = turns.kasa_script("opening", random.Random(1), max_turns=4)
    sent = [next(script)]
    with pytest.raises(StopIteration):
        while True:
            sent.append(script.send(_buttons("/how_to", "/skip")))
    assert len(sent) == 4


def _play(script, answers):
    """Drive a script with canned answers; the messages it sent."""
    sent = [next(script)]
    for answer in answers:
        try:
            sent.append(script.send(answer))
        except StopIteration:
            break
    return sent


def test_kasa_script_choices_are_reproducible_with_the_same_seed_and_vary_across_seeds():
    answers = [_buttons("/a", "/b", "/c", "/d", "/e")] * 10
    first = _play(turns.kasa_script("x", random.Random(42)), answers)
    again = _play(turns.kasa_script("x", random.Random(42)), answers)
    assert first == again
    others = {tuple(_play(turns.kasa_script("x", random.Random(s)), answers)) for s in range(5)}
    assert len(others) > 1


def test_fixed_script_ignores_the_answers():
    assert _play(turns.fixed_script(["hi", "I am sad", "yes", "bye"]), [[], _buttons("/x"), [], []]) == [
        "hi",
        "I am sad",
        "yes",
        "bye",
    ]


def test_conversation_source_gives_new_sender_ids_and_cycles_the_openings():
    source = turns.conversation_source("ours", seed=7, prefix="bench-t-ours")
    pairs = [next(source) for _ in range(2 * len(turns.KASA_OPENINGS))]
    senders = [sender for sender, _ in pairs]
    assert len(set(senders)) == len(senders)
    assert all(s.startswith("bench-t-ours-") for s in senders)
    openings = [next(script) for _, script in pairs]
    assert openings == list(turns.KASA_OPENINGS) * 2


def test_conversation_source_is_deterministic_per_conversation_index():
    answers = [_buttons("/a", "/b", "/c")] * 6

    def played(seed):
        source = turns.conversation_source("ours", seed=seed, prefix="p")
        return [(sender, _play(script, answers)) for sender, script in (next(source) for _ in range(5))]

    assert played(7) == played(7)
    assert played(7) != played(8)


def test_stock_conversations_are_the_moodbots_small_talk():
    source = turns.conversation_source("stock", seed=7, prefix="s")
    scripts = [_play(script, [[]] * 10) for _, script in (next(source) for _ in range(len(turns.STOCK_CONVERSATIONS)))]
    assert scripts == [list(c) for c in turns.STOCK_CONVERSATIONS]
    words = {m for c in scripts for m in c}
    assert {"hi", "I am sad", "yes", "great", "bye"} <= words


def test_conversation_source_rejects_an_unknown_kind():
    with pytest.raises(ValueError):
        next(turns.conversation_source("nobody", seed=1, prefix="p"))


# --------------------------------------------------------------------------- #
# /proc parsing
# --------------------------------------------------------------------------- #


def test_parse_vm_rss_kb():
    status = "Name:\trasa\nVmPeak:\t 2000 kB\nVmRSS:\t  812345 kB\nThreads:\t12\n"
    assert turns.parse_vm_rss_kb(status) == 812345
    assert turns.parse_vm_rss_kb("Name:\tkthreadd\nThreads:\t1\n") is None


def test_parse_stat_handles_commands_with_spaces_and_parentheses():
    assert turns.parse_stat_ppid_pgrp("4242 (rasa (main) x) S 17 4242 4242 0 -1") == (17, 4242)
    assert turns.parse_stat_ppid_pgrp("1 (init) S 0 1 1 0") == (0, 1)


def test_process_tree_finds_all_descendants_only():
    parent_of = {10: 1, 11: 10, 12: 10, 13: 11, 20: 1, 21: 20}
    assert sorted(turns.process_tree(10, parent_of)) == [10, 11, 12, 13]
    assert turns.process_tree(13, parent_of) == [13]
    assert turns.process_tree(99, parent_of) == [99]


def test_tree_rss_of_this_process_is_positive_and_none_for_a_missing_pid():
    assert turns.tree_rss_mb(__import__("os").getpid()) > 0
    assert turns.tree_rss_mb(None) is None


# --------------------------------------------------------------------------- #
# Report: targets, table and the JSON line
# --------------------------------------------------------------------------- #

OURS = {
    "training_s": 95.0,
    "startup_s": 30.0,
    "rasa_rss_mb": 800.0,
    "actions_rss_mb": 120.0,
    "total_rss_mb": 920.0,
    "p50_ms": 80.0,
    "p95_ms": 150.0,
    "throughput_tps": 25.0,
    "concurrent_p50_ms": 500.0,
    "concurrent_p95_ms": 900.0,
    "errors": 0,
    "error_samples": [],
}
STOCK = {
    "training_s": 60.0,
    "startup_s": 25.0,
    "rasa_rss_mb": 700.0,
    "actions_rss_mb": None,
    "total_rss_mb": 700.0,
    "p50_ms": 60.0,
    "p95_ms": 100.0,
    "throughput_tps": 20.0,
    "concurrent_p50_ms": 400.0,
    "concurrent_p95_ms": 700.0,
    "errors": 0,
    "error_samples": [],
}


def test_targets_pass_when_within_the_limits():
    targets = turns.evaluate_targets(OURS, STOCK)
    assert set(targets) == {"p50_within_1_5x_stock", "throughput_ge_stock_no_errors", "training_under_180s"}
    assert all(t["pass"] is True for t in targets.values())
    assert targets["p50_within_1_5x_stock"]["limit"] == pytest.approx(90.0)


@pytest.mark.parametrize(
    "change, failing",
    [
        ({"p50_ms": 90.1}, "p50_within_1_5x_stock"),
        ({"throughput_tps": 19.9}, "throughput_ge_stock_no_errors"),
        ({"errors": 1}, "throughput_ge_stock_no_errors"),
        ({"training_s": 180.0}, "training_under_180s"),
    ],
)
def test_each_target_fails_on_its_own(change, failing):
    targets = turns.evaluate_targets({**OURS, **change}, STOCK)
    assert {name for name, t in targets.items() if t["pass"] is False} == {failing}


def test_stock_errors_also_fail_the_throughput_target():
    targets = turns.evaluate_targets(OURS, {**STOCK, "errors": 2})
    assert targets["throughput_ge_stock_no_errors"]["pass"] is False


def test_targets_against_stock_are_not_judged_when_stock_is_skipped():
    targets = turns.evaluate_targets(OURS, {"skipped": True})
    assert targets["p50_within_1_5x_stock"]["pass"] is None
    assert targets["throughput_ge_stock_no_errors"]["pass"] is None
    assert targets["training_under_180s"]["pass"] is True


def test_json_line_shape():
    line = turns.json_line(turns.build_report(OURS, STOCK))
    assert "\n" not in line
    report = json.loads(line)
    assert set(report) == {"ours", "stock", "ratios", "targets"}
    assert all(isinstance(report[key], dict) for key in report)
    assert report["ours"]["p50_ms"] == 80.0
    assert report["ratios"]["throughput_tps"] == pytest.approx(1.25)
    for target in report["targets"].values():
        assert {"pass", "value", "limit", "rule"} <= set(target)
        assert target["pass"] in (True, False, None)


def test_json_line_with_stock_skipped_keeps_every_key_a_dict():
    report = json.loads(turns.json_line(turns.build_report(OURS, {"skipped": True})))
    assert report["stock"] == {"skipped": True}
    assert all(isinstance(report[key], dict) for key in ("ours", "stock", "ratios", "targets"))
    assert set(report["ratios"].values()) == {None}


def test_json_line_refuses_nan():
    with pytest.raises(ValueError):
        turns.json_line({"ours": {"p50_ms": math.nan}, "stock": {}, "ratios": {}, "targets": {}})


def test_table_has_a_row_per_figure_with_ratio_and_direction():
    table = turns.format_table(OURS, STOCK, concurrency=16)
    lines = table.splitlines()
    assert len(lines) == 2 + len(turns.METRICS)
    throughput = next(line for line in lines if line.startswith("throughput (16 conv)"))
    assert "25.0" in throughput and "20.0" in throughput and "1.25x" in throughput
    assert throughput.endswith("higher is better")
    p50 = next(line for line in lines if line.startswith("latency p50 (1 conv)"))
    assert "1.33x" in p50 and p50.endswith("lower is better")
    actions = next(line for line in lines if line.startswith("action server RSS"))
    assert "n/a" in actions


def test_target_lines_say_pass_or_fail():
    targets = turns.evaluate_targets({**OURS, "p50_ms": 200.0}, STOCK)
    lines = turns.format_targets(targets)
    assert len(lines) == 3
    assert lines[0].startswith("FAIL  p50_within_1_5x_stock")
    assert lines[1].startswith("PASS") and lines[2].startswith("PASS")


def test_default_arguments():
    args = turns.parse_args([])
    assert (args.turns, args.concurrency, args.skip_stock, args.stock_dir) == (200, 16, False, None)
    assert args.concurrent_turns == 400
    assert turns.parse_args(["--turns", "10", "--concurrency", "4"]).concurrent_turns == 80


# --------------------------------------------------------------------------- #
# Rounds and phase statistics
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    "total, rounds, expected",
    [(200, 4, [50, 50, 50, 50]), (10, 4, [3, 3, 2, 2]), (3, 1, [3]), (2, 3, [1, 1, 0])],
)
def test_split_turns_spreads_the_turns_evenly(total, rounds, expected):
    assert turns.split_turns(total, rounds) == expected
    assert sum(turns.split_turns(total, rounds)) == total


def test_split_turns_needs_a_round():
    with pytest.raises(ValueError):
        turns.split_turns(10, 0)


def test_phase_stats_add_pools_latencies_and_counts():
    a = turns.PhaseStats(
        latencies_ms=[10.0, 20.0],
        text_ms=[10.0],
        button_ms=[20.0],
        non_200=1,
        conversations=2,
        elapsed_s=1.5,
        samples=["a1", "a2", "a3"],
    )
    b = turns.PhaseStats(
        latencies_ms=[30.0],
        button_ms=[30.0],
        http_errors=2,
        conversations=1,
        elapsed_s=0.5,
        empty_answers=1,
        samples=["b1", "b2", "b3"],
    )
    a.add(b)
    assert a.latencies_ms == [10.0, 20.0, 30.0]
    assert (a.text_ms, a.button_ms) == ([10.0], [20.0, 30.0])
    assert (a.http_errors, a.non_200, a.errors) == (2, 1, 3)
    assert a.ok_turns == 2  # a non-200 answer has a latency but is no completed turn
    assert (a.conversations, a.elapsed_s, a.empty_answers) == (3, 2.0, 1)
    assert a.samples == ["a1", "a2", "a3", "b1", "b2"]  # at most 5 kept


def test_rounds_never_exceed_the_turns():
    args = turns.parse_args(["--turns", "2", "--concurrent-turns", "3", "--rounds", "4"])
    assert args.rounds == 2
    assert turns.parse_args([]).rounds == 4

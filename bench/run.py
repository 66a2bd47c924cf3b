"""Run the benchmarks, print every figure beside its target, and exit 1 when a target is missed.

    python -m bench.run            # full run: jobs at 1,000, 10,000 and 100,000 appeals
    python -m bench.run --quick    # CI size: jobs at 1,000 appeals, 3 import runs, no local stack

The output is Markdown, so a run can be pasted into docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from dataclasses import dataclass

from bench import scaling, startup, use_cases

WRITE_OPERATIONS = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
ONE_TRANSACTION_CASES = ("answer", "forward", "extension", "rating")
SCAN_RATIO_TARGET = 50
SCAN_RATIO_TARGET_APPEALS = 100_000
DEADLINE_READ_FACTOR = 1.1
COLD_START_FACTOR = 1.2
# Each breach is a transaction, and moto copies the whole appeals table in
# each one, so the whole deadline scan runs only up to this size.
MAX_APPEALS_FOR_WHOLE_DEADLINE_SCAN = 1_000
# moto needs minutes to Scan 100,000 items, so larger tables are not scanned.
MAX_APPEALS_FOR_TABLE_SCAN = 10_000


@dataclass
class Check:
    name: str
    figure: str
    target: str
    passed: bool | None  # None: not checked at the sizes of this run

    @property
    def result(self) -> str:
        return {True: "PASS", False: "MISS", None: "not checked"}[self.passed]


def _writes(summary: dict) -> dict[str, int]:
    return {operation: count for operation, count in summary["by_operation"].items()
            if operation in WRITE_OPERATIONS}


def _reads(summary: dict) -> dict[str, int]:
    return {operation: count for operation, count in summary["by_operation"].items()
            if operation not in WRITE_OPERATIONS}


def check_use_cases(results: dict[str, dict]) -> list[Check]:
    checks = []
    submit = results["submit"]
    sequence = submit["sequence"]
    meets = (len(sequence) == 2 and sequence[0] == "UpdateItem(captchas)"
             and sequence[1].startswith("TransactWriteItems("))
    checks.append(Check("submit", " + ".join(sequence), "captcha UpdateItem + one TransactWriteItems", meets))
    for name in ONE_TRANSACTION_CASES:
        summary = results[name]
        checks.append(Check(name, " + ".join(summary["sequence"]),
                            "one TransactWriteItems, no other write",
                            _writes(summary) == {"TransactWriteItems": 1}))
    view = results["citizen view"]
    checks.append(Check("citizen view", " + ".join(view["sequence"]), "one GetItem",
                        view["sequence"] == ["GetItem(appeals)"]))
    first_read = results["first read of an answer"]
    checks.append(Check("first read of an answer", " + ".join(first_read["sequence"]),
                        "one GetItem + one TransactWriteItems",
                        first_read["by_operation"] == {"GetItem": 1, "TransactWriteItems": 1}))
    return checks


def check_scaling(rows: list[dict]) -> list[Check]:
    checks = []
    for row in rows:
        appeals_read = row["deadline_scan"]["items_read_by_table"].get("appeals", 0)
        limit = DEADLINE_READ_FACTOR * row["overdue"]
        checks.append(Check(f"deadline_scan at {row['appeals']:,}", f"{appeals_read} appeals read, "
                            f"{row['overdue']} past due", f"≤ {DEADLINE_READ_FACTOR} × past due",
                            appeals_read <= limit))
    stats_reads = [row["stats_recompute"]["items_read"] for row in rows]
    checks.append(Check("stats_recompute items read", " / ".join(f"{count:,}" for count in stats_reads)
                        + " at " + " / ".join(f"{row['appeals']:,}" for row in rows) + " appeals",
                        "the same at every size", len(set(stats_reads)) == 1 if len(rows) > 1 else None))
    largest = rows[-1]
    ratio = largest["scan"]["items_read"] / max(1, largest["stats_recompute"]["items_read"])
    at_target_size = largest["appeals"] >= SCAN_RATIO_TARGET_APPEALS
    checks.append(Check(f"stats_recompute vs Scan at {largest['appeals']:,}", f"{ratio:.0f}× fewer items",
                        f"≥ {SCAN_RATIO_TARGET}× fewer at {SCAN_RATIO_TARGET_APPEALS:,} appeals",
                        ratio >= SCAN_RATIO_TARGET if at_target_size else None))
    return checks


def check_cold_start(cold: dict) -> Check:
    return Check("cold start", f"{cold['app']:.3f} s vs {cold['baseline']:.3f} s = {cold['ratio']:.2f}×",
                 f"≤ {COLD_START_FACTOR} × baseline", cold["ratio"] <= COLD_START_FACTOR)


# ---------------------------------------------------------------- output

def _units(value: float) -> str:
    return f"{value:g}"


def print_use_cases(results: dict[str, dict]) -> None:
    print("## DynamoDB requests per use case\n")
    print("| use case | requests | reads | writes | items read | RCU | WCU | moto's units | requests in order |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, summary in results.items():
        reads = ", ".join(f"{count} {operation}" for operation, count in _reads(summary).items()) or "—"
        writes = ", ".join(f"{count} {operation}" for operation, count in _writes(summary).items()) or "—"
        moto = _units(summary["moto_units"])
        if summary["moto_missing"]:
            moto += f" ({summary['moto_missing']} without)"
        print(f"| {name} | {summary['requests']} | {reads} | {writes} | {summary['items_read']} | "
              f"{_units(summary['read_units'])} | {_units(summary['write_units'])} | {moto} | "
              f"{' → '.join(summary['sequence'])} |")
    print()


def print_scaling(rows: list[dict]) -> None:
    print("## Scheduled jobs against a plain Scan\n")
    print("| appeals | past due | Scan items | deadline_scan | items read | requests | "
          "stats_recompute items read | requests | Scan ÷ stats | seconds (seed / scan / job / stats) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        deadline, stats = row["deadline_scan"], row["stats_recompute"]
        scan_items = row["scan"]["items_read"]
        scan_text = f"{scan_items:,}" + ("" if row["scan_kind"] == "measured" else " (item count, not run)")
        seconds = " / ".join("—" if value is None else f"{value:.1f}" for value in (
            row["seed_seconds"], row["scan_seconds"], row["deadline_scan_seconds"], row["stats_recompute_seconds"]))
        print(f"| {row['appeals']:,} | {row['overdue']:,} | {scan_text} | {row['deadline_scan_kind']} | "
              f"{deadline['items_read']:,} ({_by_table(deadline)}) | {deadline['requests']} | "
              f"{stats['items_read']:,} ({_by_table(stats)}) | {stats['requests']} | "
              f"{scan_items / max(1, stats['items_read']):.0f} | {seconds} |")
    print()


def _by_table(summary: dict) -> str:
    return ", ".join(f"{table} {count:,}" for table, count in sorted(summary["items_read_by_table"].items()))


def print_cold_start(cold: dict) -> None:
    print("## Cold start\n")
    print(f"Median of {cold['runs']} fresh interpreters with bytecode for every module: "
          f"`import app` {cold['app']:.3f} s; "
          f"`import chalice, pynamodb, boto3` {cold['baseline']:.3f} s (ratio {cold['ratio']:.2f}); "
          f"`import chalice, pynamodb.models, boto3` {cold['baseline_with_models']:.3f} s "
          f"(ratio {cold['ratio_with_models']:.2f}). "
          "For information, `import app` without the project's bytecode "
          f"(PYTHONDONTWRITEBYTECODE=1): {cold['app_without_bytecode']:.3f} s "
          f"(ratio {cold['ratio_without_bytecode']:.2f}).\n")


def print_throughput(throughput: dict) -> None:
    print("## Local stack over HTTP (information only)\n")
    print(f"{throughput['requests']} sequential requests each: "
          f"{throughput['submissions_per_second']:.1f} submissions/s (captcha + appeal), "
          f"{throughput['views_per_second']:.1f} citizen views/s.\n")


def print_checks(checks: list[Check]) -> None:
    print("## Targets\n")
    print("| check | figure | target | result |")
    print("|---|---|---|---|")
    for check in checks:
        print(f"| {check.name} | {check.figure} | {check.target} | {check.result} |")
    print()


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="jobs at 1,000 appeals only, 3 import runs and no local stack (under a minute)")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="APPEALS",
                        help="numbers of appeals for the job measurements (default 1000 10000 100000)")
    parser.add_argument("--import-runs", type=int, metavar="RUNS",
                        help="fresh interpreters per import measurement; the median is reported "
                             "(default 7, or 3 with --quick)")
    parser.add_argument("--skip-stack", action="store_true", help="do not start the local stack")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    sizes = arguments.sizes or ([1_000] if arguments.quick else [1_000, 10_000, 100_000])
    import_runs = arguments.import_runs or (3 if arguments.quick else 15)
    # The app's INFO lines for every request would bury the tables.
    logging.disable(logging.INFO)
    started = time.perf_counter()
    print(f"# Benchmark run\n\nPython {platform.python_version()}, {platform.machine()}, "
          f"{_cpu_count()} cores; moto in process.\n")

    results = use_cases.measure_use_cases()
    print_use_cases(results)

    rows = [scaling.measure_scaling(size,
                                    run_deadline_scan=size <= MAX_APPEALS_FOR_WHOLE_DEADLINE_SCAN,
                                    run_table_scan=size <= MAX_APPEALS_FOR_TABLE_SCAN)
            for size in sizes]
    print_scaling(rows)

    cold = startup.measure_cold_start(import_runs)
    print_cold_start(cold)

    if not (arguments.quick or arguments.skip_stack):
        print_throughput(startup.measure_throughput())

    checks = check_use_cases(results) + check_scaling(rows) + [check_cold_start(cold)]
    print_checks(checks)
    missed = [check.name for check in checks if check.passed is False]
    print(f"Finished in {time.perf_counter() - started:.0f} s; "
          + (f"missed: {', '.join(missed)}." if missed else "every target met."))
    return 1 if missed else 0


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 0


if __name__ == "__main__":
    sys.exit(main())

"""How many inbound messages a second the engine acknowledges, durably, and in how much memory.

Usage: python -m bench.engine_throughput [--backend postgresql|sqlite|both]
    [--flow synthetic|consumer|both] [--messages 20000] [--conversations 1000]
    [--batch 500] [--runs 3] [--postgres-server postgresql://postgres@127.0.0.1:5432]

Each run gets a throwaway database (created, migrated and filled by one process, dropped
at the end), then a fresh process pushes the messages through `handle_batch` and reports
the time from its first batch to its last commit, the time of each batch, and its peak
resident memory. The parent repeats that `--runs` times and prints the median and the
range. docs/performance.md explains the method and the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.results import RunResult, RunSpec
from bench.throwaway import BACKENDS, BenchSetupError, throwaway_database

FLOWS = ("synthetic", "consumer")  # as bench/workloads.py names them; not imported, see below
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
PROJECT = Path(__file__).resolve().parent.parent
MIB = 1024


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend and flow asked for; 1 when a run did not do what it claims."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.profile and arguments.lanes > 1:
        parser.error("--profile sees one thread only: use it with one lane")
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    flows = FLOWS if arguments.flow == "both" else (arguments.flow,)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{arguments.messages:,} messages over {arguments.conversations:,} conversations, "
        f"batches of {arguments.batch} in {arguments.lanes} lane(s), {arguments.runs} run(s) each"
    )
    failed = False
    for backend in backends:
        for flow in flows:
            results = [
                _one_run(arguments, backend, flow, number)
                for number in range(1, arguments.runs + 1)
            ]
            print(f"{backend} {flow}: {_summary(results)}", flush=True)
            failed = failed or any(result.problems for result in results)
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--flow", choices=(*FLOWS, "both"), default="both")
    parser.add_argument("--messages", type=_positive, default=20_000)
    parser.add_argument("--conversations", type=_positive, default=1_000)
    parser.add_argument("--batch", type=_positive, default=500, help="messages per transaction")
    parser.add_argument(
        "--lanes",
        type=_positive,
        default=1,
        help="batches in flight at once, each on its own thread and connection, the "
        "conversations shared out among them (pipelining)",
    )
    parser.add_argument("--runs", type=_positive, default=3)
    parser.add_argument("--seed", type=int, default=7, help="the same seed sends the same")
    parser.add_argument("--postgres-server", default=DEFAULT_SERVER)
    parser.add_argument(
        "--profile",
        type=Path,
        help="write cProfile statistics of each timed part to PROFILE.<backend>.<flow>.<run>"
        " (profiling slows the run: its figures are not the benchmark's)",
    )
    return parser


def _one_run(arguments: argparse.Namespace, backend: str, flow: str, number: int) -> RunResult:
    with throwaway_database(backend, arguments.postgres_server) as url:
        prepare = [sys.executable, "-m", "bench.prepare", url]
        _child([*prepare, "--catalog"] if flow == "consumer" else prepare)
        spec = RunSpec(
            url=url,
            flow=flow,
            messages=arguments.messages,
            conversations=arguments.conversations,
            batch=arguments.batch,
            lanes=arguments.lanes,
            seed=arguments.seed,
            run_id=f"{flow[:3]}{number}-{time.time_ns():x}",
            profile=_profile_path(arguments.profile, backend, flow, number),
        )
        output = _child([sys.executable, "-m", "bench.timed", spec.to_json()])
    result = RunResult.from_json(output.splitlines()[-1])
    print(f"  {backend} {flow} run {number}: {_line(result)}", flush=True)
    for problem in result.problems:
        print(f"    CHECK FAILED: {problem}", flush=True)
    return result


def _profile_path(base: Path | None, backend: str, flow: str, number: int) -> str | None:
    if base is None:
        return None
    return str(base.resolve().with_name(f"{base.name}.{backend}.{flow}.{number}"))


def _child(command: list[str]) -> str:
    # A child of its own for set-up and for each timed run: see bench/timed.py on memory.
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(  # noqa: S603 -- our own interpreter and modules
        command, cwd=PROJECT, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout


def _line(result: RunResult) -> str:
    return (
        f"{result.messages:,} messages in {result.seconds:.2f} s = "
        f"{result.updates_per_second:,.0f} updates/s (CPU {result.cpu_seconds:.2f} s); batch p50 "
        f"{result.batch_percentile(50) * 1000:.0f} ms, p99 "
        f"{result.batch_percentile(99) * 1000:.0f} ms; peak RSS "
        f"{result.peak_rss_kib / MIB:.0f} MiB (baseline {result.baseline_rss_kib / MIB:.0f} MiB); "
        f"load {result.load_average[0]:.1f} to {result.load_average[1]:.1f}"
    )


def _summary(results: list[RunResult]) -> str:
    rates = [result.updates_per_second for result in results]
    p50 = statistics.median(result.batch_percentile(50) for result in results)
    p99 = statistics.median(result.batch_percentile(99) for result in results)
    cpu = statistics.median(result.cpu_seconds / result.messages for result in results)
    peak = max(result.peak_rss_kib for result in results)
    baseline = statistics.median(result.baseline_rss_kib for result in results)
    return (
        f"{statistics.median(rates):,.0f} updates/s, median of {len(results)} "
        f"(min {min(rates):,.0f}, max {max(rates):,.0f}); batch p50 {p50 * 1000:.0f} ms, "
        f"p99 {p99 * 1000:.0f} ms; process CPU {cpu * 1e6:.0f} µs a message; peak RSS at "
        f"most {peak / MIB:.0f} MiB (baseline {baseline / MIB:.0f} MiB)"
    )


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchSetupError as error:
        print(f"engine_throughput: {error}", file=sys.stderr)
        sys.exit(2)
    except subprocess.CalledProcessError as error:
        print(f"engine_throughput: {error.cmd[2]} failed:\n{error.stderr}", file=sys.stderr)
        sys.exit(1)

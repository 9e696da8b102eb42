"""How fast the money path goes: contracts signed, PicPay callbacks applied, pending checked.

Usage: python -m bench.money [--backend postgresql|sqlite|both]
    [--provider sandbox|fake-picpay] [--contracts 200] [--callers 4] [--pending 200]
    [--check-limit 50] [--http 50] [--runs 1]
    [--postgres-server postgresql://postgres@127.0.0.1:5432]

Each run gets a throwaway database with the catalog and `http + contracts + pending`
contracts awaiting signature (made by one process), then a fresh process
(bench/money_timed.py) goes through the phases below, checks the database and reports
every call's time; this parent prints them. docs/performance.md ("The money path")
explains the method and the figures.

1. open and sign `contracts + pending` contracts one after another, with the functions the
   signing page calls; each signature opens a payment;
2. have the provider create each payment, as the signed page's background task does;
3. pay `contracts` of them at the provider, then for each, `callers` callbacks at once
   (one applies `paid`, the others find it done); then the same again (nothing changes);
4. with `--http`, `http` more contracts opened and signed on the signing page and
   called back on `POST /webhooks/picpay`, through the app (one caller);
5. pay every other one of the `pending` payments at the provider, move the clock past
   the check's delay, and run the periodic check in rounds of `check-limit`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.results import MoneyResult, MoneySpec, run_backends
from bench.throwaway import BACKENDS, BenchSetupError, throwaway_database

PROVIDERS = ("sandbox", "fake-picpay")  # as bench/money_providers.py names them
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
PROJECT = Path(__file__).resolve().parent.parent
MIB = 1024
# Operation, what one call is, in the order the run does them.
OPERATIONS = (
    ("open", "contract page opened (read, text refreshed)"),
    ("sign", "contract signed: evidence, status, news, payment opened"),
    ("create", "payment created at the provider and its link sent"),
    ("callback_first", "callback, the payment paid at the provider"),
    ("callback_repeat", "callback again, nothing to change"),
    ("open_http", "GET /contracts/{token}"),
    ("sign_http", "POST /contracts/{token}, with the payment's creation"),
    ("callback_http", "POST /webhooks/picpay, the payment paid"),
    ("check_round", "round of the periodic check"),
)
CALLBACKS = ("callback_first", "callback_repeat")


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend asked for; 1 when a run did not do what it claims."""
    arguments = _parser().parse_args(argv)
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{arguments.provider}: {arguments.contracts} contracts paid by {arguments.callers} "
        f"callbacks at once, {arguments.pending} left to the periodic check (rounds of "
        f"{arguments.check_limit}), {arguments.http} through HTTP; {arguments.runs} run(s)"
    )
    return run_backends(
        backends,
        arguments.runs,
        lambda backend, number: _one_run(arguments, backend, number),
        lambda results: summary(results, arguments.callers),
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--provider", choices=PROVIDERS, default="sandbox")
    parser.add_argument("--contracts", type=_positive, default=200, help="paid by callbacks")
    parser.add_argument(
        "--callers",
        type=_positive,
        default=4,
        help="callbacks at once for one payment (past 15, callers also wait for one of "
        "SQLAlchemy's pooled connections)",
    )
    parser.add_argument(
        "--pending", type=_count, default=200, help="payments left to the periodic check"
    )
    parser.add_argument("--check-limit", type=_positive, default=50, help="payments a round")
    parser.add_argument(
        "--http", type=_count, default=50, help="contracts signed and paid through HTTP"
    )
    parser.add_argument("--runs", type=_positive, default=1)
    parser.add_argument("--postgres-server", default=DEFAULT_SERVER)
    return parser


def _one_run(arguments: argparse.Namespace, backend: str, number: int) -> MoneyResult:
    total = arguments.http + arguments.contracts + arguments.pending
    with throwaway_database(backend, arguments.postgres_server) as url:
        _child([sys.executable, "-m", "bench.prepare", url, "--contracts", str(total)])
        spec = MoneySpec(
            url=url,
            provider=arguments.provider,
            contracts=arguments.contracts,
            callers=arguments.callers,
            pending=arguments.pending,
            check_limit=arguments.check_limit,
            http=arguments.http,
        )
        output = _child([sys.executable, "-m", "bench.money_timed", spec.to_json()])
    result = MoneyResult.from_json(output.splitlines()[-1])
    load = result.load_average
    print(
        f"{backend} run {number}: load {load[0]:.1f} to {load[1]:.1f}; peak RSS "
        f"{result.peak_rss_kib / MIB:.0f} MiB (baseline {result.baseline_rss_kib / MIB:.0f} MiB)",
        flush=True,
    )
    print(summary([result], arguments.callers), flush=True)
    for problem in result.problems:
        print(f"  CHECK FAILED: {problem}", flush=True)
    if not result.problems:
        print("  check passed: every payment paid once, one receipt and one agent note each")
    return result


def _child(command: list[str]) -> str:
    # A child of its own for set-up and for the timed run, as bench/engine_throughput.py.
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(  # noqa: S603 -- our own interpreter and modules
        command, cwd=PROJECT, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout


def summary(results: list[MoneyResult], callers: int) -> str:
    """One line per operation measured: latency, rate and statements, the median of runs."""
    lines = []
    for operation, meaning in OPERATIONS:
        measured = [result for result in results if result.latencies.get(operation)]
        if not measured:
            continue
        calls = len(measured[0].latencies[operation])
        p50 = statistics.median(result.percentile(operation, 50) for result in measured)
        p95 = statistics.median(result.percentile(operation, 95) for result in measured)
        rate = statistics.median(_per_second(result, operation) for result in measured)
        statements = statistics.median(_statements(result, operation) for result in measured)
        lines.append(
            f"  {operation:<15} {calls:>5} x {meaning}: p50 {p50 * 1000:.1f} ms, "
            f"p95 {p95 * 1000:.1f} ms; {_rate(operation, rate, callers)}; "
            f"{statements:.1f} statements {_each(operation)}"
        )
    return "\n".join(lines)


def _per_second(result: MoneyResult, operation: str) -> float:
    if operation == "check_round":  # rounds a second say little; payments a second do
        return result.counts.get("check.asked", 0) / result.phase_seconds[operation]
    return result.per_second(operation)


def _statements(result: MoneyResult, operation: str) -> float:
    sent = result.counts.get(f"{operation}.statements", 0)
    if operation == "check_round":
        return sent / max(result.counts.get("check.asked", 0), 1)
    return sent / len(result.latencies[operation])


def _each(operation: str) -> str:
    return "a payment checked" if operation == "check_round" else "a call"


def _rate(operation: str, rate: float, callers: int) -> str:
    if operation in CALLBACKS:
        return f"{rate:,.0f} callbacks/s = {rate / callers:,.0f} payments/s"
    if operation == "check_round":
        return f"{rate:,.0f} pending payments checked/s"
    return f"{rate:,.0f}/s"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchSetupError as error:
        print(f"money: {error}", file=sys.stderr)
        sys.exit(2)
    except subprocess.CalledProcessError as error:
        print(f"money: {error.cmd[2]} failed:\n{error.stderr}", file=sys.stderr)
        sys.exit(1)

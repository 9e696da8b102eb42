"""How fast notifications are written and delivered by push and e-mail, and how an outage
of FCM and of the SMTP server is ridden out.

Usage: python -m bench.notifications [--backend postgresql|sqlite|both] [--people 400]
    [--live 100] [--rate 20] [--outage 100] [--outage-seconds 120] [--slow 100]
    [--slow-ms 200] [--runs 1]
    [--postgres-server postgresql://postgres@127.0.0.1:5432]

Each run gets a throwaway database, migrated by one process (bench/prepare.py); a fresh
process (bench/notifications_timed.py) makes `people` consumers, each with a chat, an
e-mail address and one or two devices (one device in twenty unknown to FCM, one in forty
refused as invalid), and goes through the phases below, checking the database and the
fakes after each; this parent prints what it measured. docs/performance.md
("Notifications") explains the method and the figures.

1. `notify`: one receipt for each person, each in its own transaction, every sender off:
   a chat row, a push row per device and an e-mail row each;
2. the push sender alone drains those push rows to the fake FCM (tests/fakes/fcm.py), then
   the e-mail sender alone the e-mail rows to the SMTP server (tests/fakes/smtp.py), each
   run as `serve` runs it (bot/notification_senders.py);
3. `live` receipts written `rate` a second while both senders run: the time from each
   notification's commit to each of its messages reaching the fake;
4. `outage` receipts written while FCM answers 503 and the SMTP server is down, for
   `outage-seconds` of the product's clock (moved forward while every row waits for its
   next try); how long after the recovery the backlog was sent;
5. `slow` receipts written at once while FCM answers each push `slow-ms` late: how long
   the messages take, and how long a call waits meanwhile for the event loop's shared
   threads, as the webhooks of `serve` do.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.results import NotificationResult, NotificationSpec, run_backends
from bench.throwaway import BACKENDS, BenchSetupError, throwaway_database

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
PROJECT = Path(__file__).resolve().parent.parent
CHECKED = (
    "check passed: every row sent once to the fake it was for, dead tokens' devices deleted "
    "and their rows failed, no row lost or added, chat rows untouched"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every backend asked for; 1 when a run did not do what it claims."""
    arguments = _parser().parse_args(argv)
    backends = BACKENDS if arguments.backend == "both" else (arguments.backend,)
    print(f"{os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f}")
    print(
        f"{arguments.people} people queued; {arguments.live} receipts live at "
        f"{arguments.rate:g}/s; {arguments.outage} during {arguments.outage_seconds:g} s of "
        f"outage; {arguments.slow} with FCM {arguments.slow_ms:g} ms slow; {arguments.runs} run(s)"
    )
    return run_backends(
        backends,
        arguments.runs,
        lambda backend, number: _one_run(arguments, backend, number),
        summary,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument(
        "--people", type=_positive, default=400, help="people, one receipt each, queued"
    )
    parser.add_argument(
        "--live", type=_count, default=100, help="receipts written while the senders run"
    )
    parser.add_argument("--rate", type=_rate, default=20.0, help="live receipts a second")
    parser.add_argument(
        "--outage", type=_count, default=100, help="receipts written during the outage"
    )
    parser.add_argument(
        "--outage-seconds",
        type=_seconds,
        default=120.0,
        help="how long FCM and SMTP are down, on the product's clock (past about 24 h, "
        "the outbox's tries are spent and rows fail for good)",
    )
    parser.add_argument(
        "--slow", type=_count, default=100, help="receipts written while FCM is slow"
    )
    parser.add_argument(
        "--slow-ms", type=_seconds, default=200.0, help="how late FCM answers each push"
    )
    parser.add_argument("--runs", type=_positive, default=1)
    parser.add_argument("--postgres-server", default=DEFAULT_SERVER)
    return parser


def _one_run(arguments: argparse.Namespace, backend: str, number: int) -> NotificationResult:
    with throwaway_database(backend, arguments.postgres_server) as url:
        _child([sys.executable, "-m", "bench.prepare", url])
        spec = NotificationSpec(
            url=url,
            people=arguments.people,
            live=arguments.live,
            rate=arguments.rate,
            outage=arguments.outage,
            outage_seconds=arguments.outage_seconds,
            slow=arguments.slow,
            slow_seconds=arguments.slow_ms / 1000,
        )
        output = _child([sys.executable, "-m", "bench.notifications_timed", spec.to_json()])
    result = NotificationResult.from_json(output.splitlines()[-1])
    load = result.load_average
    print(f"{backend} run {number}: load {load[0]:.1f} to {load[1]:.1f}", flush=True)
    print(summary([result]), flush=True)
    for problem in result.problems:
        print(f"  CHECK FAILED: {problem}", flush=True)
    if not result.problems:
        print(f"  {CHECKED}", flush=True)
    return result


def _child(command: list[str]) -> str:
    # A child of its own for set-up and for the timed run, as bench/money.py.
    environment = {**os.environ, "PYTHONPATH": str(PROJECT)}
    done = subprocess.run(  # noqa: S603 -- our own interpreter and modules
        command, cwd=PROJECT, env=environment, check=True, capture_output=True, text=True
    )
    return done.stdout


def summary(results: list[NotificationResult]) -> str:
    """One line per phase, each figure the median of the runs."""

    def median(figure: Callable[[NotificationResult], float]) -> float:
        return statistics.median(figure(result) for result in results)

    def ms(name: str, percent: int) -> str:
        measured = [result for result in results if result.latencies.get(name)]
        if not measured:
            return "-"
        value = statistics.median(result.percentile(name, percent) for result in measured)
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"

    first = results[0]
    counts, seconds = first.counts, first.seconds
    lines = [
        f"  notify      {len(first.latencies['notify']):>5} x notify() for a chat, "
        f"{counts['notify.push_rows'] / len(first.latencies['notify']):.1f} devices and an "
        f"e-mail: p50 {ms('notify', 50)}, p95 {ms('notify', 95)}; its transaction with the "
        f"commit p50 {ms('notify_transaction', 50)}, p95 {ms('notify_transaction', 95)}; "
        f"{median(lambda r: r.counts['notify.rows'] / r.seconds['notify']):,.0f} rows/s; "
        f"{median(lambda r: r.counts['notify.statements'] / len(r.latencies['notify'])):.1f}"
        " statements a call",
    ]
    for channel, messages in (("push", "pushes to the fake FCM"), ("email", "e-mails to SMTP")):
        lines += _drain(results, channel, messages)
    if "live.notifications" in counts:
        achieved = median(
            lambda r: (r.counts["live.notifications"] - 1) / r.seconds["live.writing"]
        )
        lines.append(
            f"  live        {counts['live.notifications']:>5} receipts at {achieved:.0f}/s, "
            f"both senders running, from commit to the fake: push p50 {ms('live_push', 50)}, "
            f"p95 {ms('live_push', 95)}; e-mail p50 {ms('live_email', 50)}, "
            f"p95 {ms('live_email', 95)}"
        )
    if "outage.notifications" in counts:
        lines.append(
            f"  outage      {counts['outage.notifications']:>5} receipts during "
            f"{seconds['outage.length']:g} s of FCM 503 and SMTP down (product clock): "
            f"all sent after the recovery: push {_after(median, 'push')}, e-mail "
            f"{_after(median, 'email')}; up to {counts['outage.push_most_tries']} tries a push, "
            f"{counts['outage.email_most_tries']} an e-mail"
        )
    if "slow.notifications" in counts:
        lines.append(
            f"  slow_fcm    {counts['slow.notifications']:>5} receipts at once, FCM answering "
            f"{seconds['slow.delay'] * 1000:g} ms late, from commit to the fake: push p50 "
            f"{ms('slow_push', 50)}, p95 {ms('slow_push', 95)}; e-mail p50 "
            f"{ms('slow_email', 50)}, p95 {ms('slow_email', 95)}; meanwhile a call waited for "
            f"the loop's shared threads p50 {ms('slow_probe', 50)}, p95 {ms('slow_probe', 95)}"
        )
    return "\n".join(lines)


def _drain(results: list[NotificationResult], channel: str, messages: str) -> list[str]:
    phase = f"drain_{channel}"
    measured = [result for result in results if f"{phase}.last" in result.seconds]
    if not measured:
        return []
    counts = measured[0].counts
    rate = statistics.median(
        r.counts[f"{phase}.messages"] / r.seconds[f"{phase}.last"] for r in measured
    )
    first = statistics.median(r.seconds[f"{phase}.first"] for r in measured)
    statements = statistics.median(
        r.counts[f"{phase}.statements"] / r.counts[f"{phase}.rows"] for r in measured
    )
    return [
        f"  {phase:<11} {counts[f'{phase}.rows']:>5} rows queued, {counts[f'{phase}.messages']} "
        f"{messages}: {rate:,.0f}/s from the sender's start (first after {first:.2f} s); "
        f"{statements:.1f} statements a row"
    ]


def _after(median: Callable[[Callable[[NotificationResult], float]], float], channel: str) -> str:
    if median(lambda r: f"outage.{channel}_drained" in r.seconds) < 1:
        return "never"  # in most runs nothing of the channel was sent after the outage
    drained = median(lambda r: r.seconds.get(f"outage.{channel}_drained", 0.0))
    wall = median(lambda r: r.seconds.get(f"outage.{channel}_drained_wall", 0.0))
    return f"{drained:.1f} s ({drained - wall:.1f} s of backoff, {wall:.2f} s of sending)"


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


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchSetupError as error:
        print(f"notifications: {error}", file=sys.stderr)
        sys.exit(2)
    except subprocess.CalledProcessError as error:
        print(f"notifications: {error.cmd[2]} failed:\n{error.stderr}", file=sys.stderr)
        sys.exit(1)

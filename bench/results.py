"""What a timed run is asked to do and what it measured, passed between processes as JSON."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class RunSpec:
    """What one run sends, to which database, in batches of what size."""

    url: str
    flow: str
    messages: int
    conversations: int
    batch: int
    seed: int
    run_id: str
    lanes: int = 1  # batches in flight at once, each on its own thread and connection
    profile: str | None = None  # write cProfile statistics of the timed part here

    def to_json(self) -> str:
        """The spec as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunSpec:
        """Read a spec written by `to_json`."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class RunResult:
    """What one run measured; memory in KiB, as Linux reports it.

    `baseline_rss_kib` is the peak resident set before any work: the interpreter and the
    product's imports. `cpu_seconds` against `seconds` tells how much of the run this
    process spent computing rather than waiting for the database (or for a core).
    `problems` lists what the run's database check found wrong.
    """

    messages: int
    seconds: float
    cpu_seconds: float  # user and system time of the process over the same span
    batch_seconds: tuple[float, ...]
    baseline_rss_kib: int
    peak_rss_kib: int
    load_average: tuple[float, float]  # the machine's 1-minute load, at the start and the end
    problems: tuple[str, ...] = field(default=())

    @property
    def updates_per_second(self) -> float:
        """Messages acknowledged (committed) per second."""
        return self.messages / self.seconds

    def batch_percentile(self, percent: int) -> float:
        """A percentile of the time one `handle_batch` call took, in seconds."""
        if len(self.batch_seconds) == 1:
            return self.batch_seconds[0]
        return statistics.quantiles(self.batch_seconds, n=100, method="inclusive")[percent - 1]

    def to_json(self) -> str:
        """The result as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        """Read a result written by `to_json`."""
        fields = json.loads(text)
        fields["batch_seconds"] = tuple(fields["batch_seconds"])
        fields["load_average"] = tuple(fields["load_average"])
        fields["problems"] = tuple(fields["problems"])
        return cls(**fields)


@dataclass(frozen=True)
class MoneySpec:
    """What one money-path run does (bench/money.py has the phases); the contracts wait for
    their signature in the database already, `http + contracts + pending` of them."""

    url: str
    provider: str  # "sandbox" or "fake-picpay"
    contracts: int  # signed in process, then paid by callbacks
    callers: int  # callbacks at once for the same payment
    pending: int  # signed, then left pending for the periodic check
    check_limit: int  # payments one round of the check takes at most
    http: int  # signed and paid through the HTTP routes
    start: str | None = None  # the instant the run's clock starts at (ISO 8601); None: now

    def to_json(self) -> str:
        """The spec as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MoneySpec:
        """Read a spec written by `to_json`."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class MoneyResult:
    """What one money-path run measured, per operation: the wall time of each call and of
    the whole phase of such calls, in seconds; `counts` of what the calls did; memory in
    KiB and the load as in `RunResult`; `problems`, what the run's check found wrong."""

    latencies: dict[str, tuple[float, ...]]
    phase_seconds: dict[str, float]
    counts: dict[str, int]
    baseline_rss_kib: int
    peak_rss_kib: int
    load_average: tuple[float, float]
    problems: tuple[str, ...] = field(default=())

    def per_second(self, operation: str) -> float:
        """Calls of `operation` completed (committed) per second over its phase."""
        return len(self.latencies[operation]) / self.phase_seconds[operation]

    def percentile(self, operation: str, percent: int) -> float:
        """A percentile of one call's time, in seconds."""
        times = self.latencies[operation]
        if len(times) == 1:
            return times[0]
        return statistics.quantiles(times, n=100, method="inclusive")[percent - 1]

    def to_json(self) -> str:
        """The result as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> MoneyResult:
        """Read a result written by `to_json`."""
        fields = json.loads(text)
        fields["latencies"] = {name: tuple(times) for name, times in fields["latencies"].items()}
        fields["load_average"] = tuple(fields["load_average"])
        fields["problems"] = tuple(fields["problems"])
        return cls(**fields)


@dataclass(frozen=True)
class NotificationSpec:
    """What one notifications run does (bench/notifications.py has the phases)."""

    url: str
    people: int  # each with a chat, one or two devices and an e-mail; one receipt each, queued
    live: int  # receipts written while both senders run, for the end-to-end latency
    rate: float  # live receipts written a second
    outage: int  # receipts written while FCM answers 503 and the SMTP server is down
    outage_seconds: float  # how long the outage lasts, on the product's clock
    slow: int = 0  # receipts written at once while FCM answers each push late
    slow_seconds: float = 0.2  # how late
    start: str | None = None  # the instant the run's clock starts at (ISO 8601); None: now

    def to_json(self) -> str:
        """The spec as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NotificationSpec:
        """Read a spec written by `to_json`."""
        return cls(**json.loads(text))


@dataclass(frozen=True)
class NotificationResult:
    """What one notifications run measured: `latencies` of single calls or messages and
    `seconds` of phases and spans (wall time, except the outage's spans, which are on the
    product's clock), `counts` of what was done, the load as in `RunResult`, and `problems`,
    what the run's checks found wrong."""

    latencies: dict[str, tuple[float, ...]]
    seconds: dict[str, float]
    counts: dict[str, int]
    load_average: tuple[float, float]
    problems: tuple[str, ...] = field(default=())

    def percentile(self, name: str, percent: int) -> float:
        """A percentile of `latencies[name]`, in seconds."""
        times = self.latencies[name]
        if len(times) == 1:
            return times[0]
        return statistics.quantiles(times, n=100, method="inclusive")[percent - 1]

    def to_json(self) -> str:
        """The result as one JSON object."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> NotificationResult:
        """Read a result written by `to_json`."""
        fields = json.loads(text)
        fields["latencies"] = {name: tuple(times) for name, times in fields["latencies"].items()}
        fields["load_average"] = tuple(fields["load_average"])
        fields["problems"] = tuple(fields["problems"])
        return cls(**fields)


Checked = TypeVar("Checked", bound="CheckedResult")


class CheckedResult(Protocol):
    """A run that checked itself: what it found wrong, if anything."""

    @property
    def problems(self) -> Sequence[str]:
        """What the run did not do that it claims; empty when it did it all."""
        ...


def run_backends(
    backends: Sequence[str],
    runs: int,
    one_run: Callable[[str, int], Checked],
    summarize: Callable[[list[Checked]], str],
) -> int:
    """Run each backend `runs` times, print the median of several, and say whether every
    run did what it claims: 0, or 1 when one did not."""
    failed = False
    for backend in backends:
        results = [one_run(backend, number) for number in range(1, runs + 1)]
        if len(results) > 1:
            print(f"{backend}, median of {len(results)} runs:")
            print(summarize(results))
        failed = failed or any(result.problems for result in results)
    return 1 if failed else 0

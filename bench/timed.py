"""One timed run, in a process of its own: `python -m bench.timed SPEC_JSON`.

Prints one JSON line (bench/results.py). The process is started fresh by a small parent
and does no set-up work, so its peak memory (`ru_maxrss`) is what a serving process
needs: the interpreter, the product's imports, the workload and the messages. (Linux folds
a parent's resident size at the moment of `exec` into the child's `ru_maxrss`, which is
why the parent that migrated and loaded the catalog cannot be the one that measures.)
"""

from __future__ import annotations

import cProfile
import os
import resource
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, nullcontext

from sqlalchemy import Engine, func, select

from bench.results import RunResult, RunSpec
from bench.workloads import CONSUMER_FLOW, Workload, build_workload
from conversations.engine import ConversationEngine
from marketplace.clock import SystemClock
from marketplace.db import make_engine, make_session_factory
from marketplace.models import Conversation, InboundMessage, Lead
from marketplace.settings import Settings


def timed_run(spec: RunSpec) -> RunResult:
    """Push the workload through the engine; the clock runs from the first batch on."""
    baseline = _peak_rss_kib()  # the interpreter and the product's imports
    workload = build_workload(
        spec.flow,
        messages=spec.messages,
        conversations=spec.conversations,
        seed=spec.seed,
        run_id=spec.run_id,
    )
    database = make_engine(Settings(_env_file=None, database_url=spec.url).database_url)
    engine = ConversationEngine(
        make_session_factory(database),
        {workload.flow.name: workload.flow},
        clock=SystemClock(),
        default_flow=workload.flow.name,
    )
    with ExitStack() as connections:
        for _ in range(spec.lanes):  # a serving process has its connections open already
            connections.enter_context(database.connect())

    latencies: list[float] = []
    profiler = cProfile.Profile() if spec.profile else None
    load_before = os.getloadavg()[0]  # other work on the machine disturbs the figures
    began, cpu_began = time.perf_counter(), time.process_time()
    with profiler or nullcontext():
        if spec.lanes == 1:
            _send(engine, workload, spec.batch, 0, 1, latencies)
        else:
            _send_in_lanes(engine, workload, spec, latencies)
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    load_after = os.getloadavg()[0]
    peak = _peak_rss_kib()
    if profiler is not None and spec.profile:
        profiler.dump_stats(spec.profile)

    problems = check(database, workload, spec.flow)
    database.dispose()
    return RunResult(
        messages=workload.messages,
        seconds=elapsed,
        cpu_seconds=cpu,
        batch_seconds=tuple(latencies),
        baseline_rss_kib=baseline,
        peak_rss_kib=peak,
        load_average=(load_before, load_after),
        problems=tuple(problems),
    )


def _send(
    engine: ConversationEngine,
    workload: Workload,
    size: int,
    lane: int,
    lanes: int,
    latencies: list[float],
) -> None:
    for events in workload.batches(size, lane=lane, lanes=lanes):
        sent = time.perf_counter()
        engine.handle_batch(events)
        latencies.append(time.perf_counter() - sent)


def _send_in_lanes(
    engine: ConversationEngine, workload: Workload, spec: RunSpec, latencies: list[float]
) -> None:
    # Each lane is a thread with its own connection and its own share of the conversations,
    # as a channel routes a chat to one worker: while one lane waits for PostgreSQL, another
    # runs Python. A failing lane fails the run.
    failures: list[BaseException] = []

    def lane(number: int) -> None:
        try:
            _send(engine, workload, spec.batch, number, spec.lanes, latencies)
        except BaseException as error:
            failures.append(error)

    threads = [
        threading.Thread(target=lane, args=(n,), name=f"lane-{n}") for n in range(spec.lanes)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]


def check(database: Engine, workload: Workload, flow: str) -> list[str]:
    """What the database shows that the run did not do as claimed (after the timing)."""
    problems: list[str] = []
    with database.connect() as connection:
        recorded = connection.scalar(select(func.count()).select_from(InboundMessage))
        states = Counter(
            {
                row.state: row.count
                for row in connection.execute(
                    select(Conversation.state, func.count().label("count")).group_by(
                        Conversation.state
                    )
                )
            }
        )
        leads = connection.scalar(select(func.count()).select_from(Lead))
    if recorded != workload.messages:
        problems.append(f"{recorded} inbound messages recorded, {workload.messages} sent")
    if sum(states.values()) != len(workload.conversations):
        problems.append(
            f"{sum(states.values())} conversations, {len(workload.conversations)} sent"
        )
    if flow == CONSUMER_FLOW:
        if states != workload.expected_states():
            problems.append(f"conversations ended in {dict(states)}, not as the personas say")
        if leads != workload.expected_leads():
            problems.append(f"{leads} leads recorded, {workload.expected_leads()} expected")
    return problems


def _peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    """Run the spec given as the only argument; print the result as JSON."""
    spec = RunSpec.from_json(sys.argv[1])
    print(timed_run(spec).to_json())


if __name__ == "__main__":
    main()

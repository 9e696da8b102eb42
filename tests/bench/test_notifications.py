"""The notifications benchmark runs, in a tiny configuration, and its check can fail."""

from __future__ import annotations

import asyncio
import dataclasses

from sqlalchemy import delete

from bench.notification_checks import check_phase
from bench.notifications import summary
from bench.notifications_timed import (
    add_people,
    drain,
    running_bench,
    timed_run,
    write_queue,
)
from bench.results import NotificationResult, NotificationSpec
from marketplace.devices import Platform, register_device
from marketplace.models import OutboxMessage
from marketplace.notifications import PUSH_CHANNEL
from tests.conftest import TEST_NOW


def tiny(database_url: str, **sizes: float) -> NotificationSpec:
    """Four people: devices 0, 1 and 2, 3 (unknown to FCM), 4 and 5 (refused as invalid)."""
    values = {
        "people": 4,
        "live": 3,
        "rate": 50.0,
        "outage": 2,
        "outage_seconds": 30.0,
        "slow": 2,
        "slow_seconds": 0.05,
    } | sizes
    return NotificationSpec(url=database_url, start=TEST_NOW.isoformat(), **values)  # type: ignore[arg-type]


def test_a_tiny_run_sends_every_row_once_and_rides_out_the_outage(database_url: str) -> None:
    result = NotificationResult.from_json(timed_run(tiny(database_url)).to_json())

    assert result.problems == ()
    counts = {name: n for name, n in result.counts.items() if "statements" not in name}
    assert counts == {
        "notify.rows": 4 + 6 + 4,  # a chat, each device, an e-mail
        "notify.push_rows": 6,
        "drain_push.rows": 6,
        "drain_push.messages": 4,  # devices 3 and 5 are dead: deleted, nothing sent
        "drain_email.rows": 4,
        "drain_email.messages": 4,
        "live.notifications": 3,
        "outage.notifications": 2,
        "outage.fcm_refused": 3 * 3,  # three pushes, each refused at 0, 5 and 15 s
        "outage.push_most_tries": 4,  # the fourth, at 35 s, after the recovery at 30 s
        "outage.push_tries": 3 * 4,
        "outage.email_most_tries": 4,
        "outage.email_tries": 2 * 4,
        "slow.notifications": 2,
    }
    calls = {name: len(times) for name, times in result.latencies.items()}
    assert calls.pop("slow_probe") >= 1  # as many as fit while the pushes were slow
    # The live receipts went to people 0, 1 and 2: devices 0, 1 and 2 (3 is gone); the
    # slow ones to people 0 and 1.
    assert calls == {
        "notify": 4,
        "notify_transaction": 4,
        "live_push": 3,
        "live_email": 3,
        "slow_push": 3,
        "slow_email": 2,
    }
    assert result.seconds["outage.recovered_after"] >= 30
    # The next try after the recovery was due 5 s later (35 s), give or take the
    # dispatcher's pauses of half a second between passes.
    assert 4 < result.seconds["outage.push_drained"] < 10
    assert 4 < result.seconds["outage.email_drained"] < 10
    printed = summary([result])
    assert [line.split()[0] for line in printed.splitlines()] == [
        "notify",
        "drain_push",
        "drain_email",
        "live",
        "outage",
        "slow_fcm",
    ]


def test_the_check_finds_a_push_twice_a_row_lost_and_a_dead_device_kept(
    database_url: str,
) -> None:
    with running_bench(tiny(database_url)) as bench:
        add_people(bench, 4)
        queue = write_queue(bench)
        asyncio.run(drain(bench, PUSH_CHANNEL, queue))
        assert bench.recorder.problems == []

        def check() -> list[str]:
            return check_phase(
                bench.observed,
                queue.written,
                bench.arrived_since(queue.mark),
                outbox_after=queue.outbox_after,
                tokens=bench.tokens,
                dead=bench.dead,
                delivered=[PUSH_CHANNEL],
            )

        maria = queue.written[0]
        [pushed] = [a for a in bench.fcm.arrivals if a.line == maria.line]
        bench.fcm.arrivals.append(dataclasses.replace(pushed, at=pushed.at + 1))
        lost = queue.written[0].deliveries.email
        with bench.runtime.sessions.begin() as session:
            session.execute(delete(OutboxMessage).where(OutboxMessage.id == lost))
            person = bench.people[2].person  # whose only device, 3, is dead
            register_device(
                session,
                person,
                bench.tokens[bench.people[2].devices[0]],
                Platform.IOS,
                bench.clock.now(),
            )
        problems = check()

    pushed_twice = maria.deliveries.push[0]
    dead_row = queue.written[2].deliveries.push[0]
    assert problems == [
        f"1 rows that notify wrote are gone (ids {lost})",
        f"push row {pushed_twice}: arrived 2 times",
        f"push row {dead_row}: dead token: its device is still registered",
    ]

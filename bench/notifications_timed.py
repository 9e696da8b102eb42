"""One notifications run, in a process of its own: `python -m bench.notifications_timed SPEC`.

The database is migrated already (bench/prepare.py). This process makes the people
(untimed), then goes through the phases of bench/notifications.py: receipts written with
`notify` in their own transactions, the queue drained by the push sender and then by the
e-mail sender, receipts written while both run, and an outage of FCM and of the SMTP
server that ends while the outbox retries. The senders run as `serve` runs them
(`bot.notification_senders`: one dispatcher loop over the outbox), pointed at the fakes of
bench/notification_fakes.py. After each phase the database and the fakes are checked
(bench/notification_checks.py); the process prints one JSON line (bench/results.py).

The outbox waits 5 s, 10 s, 20 s... between tries, on the product's clock, which the
dispatcher takes: during the outage the run moves that clock forward whenever every row
left is waiting for its next try (nothing claimed, nothing due), to the earliest such try,
so minutes of backoff pass in a moment and the figures on that clock are those a real
outage would show.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bench.contracts import consumer_in_chat
from bench.money_checks import last_outbox_id
from bench.notification_checks import Arrived, Written, check_phase
from bench.notification_fakes import SmtpFake, TimedFcm
from bench.recording import LaterClock, Recorder
from bench.results import NotificationResult, NotificationSpec
from bot.notification_senders import notification_senders
from bot.runtime import Runtime
from marketplace import outbox
from marketplace.db import make_engine, make_session_factory
from marketplace.devices import Platform, register_device
from marketplace.models import OutboxMessage
from marketplace.notification_preferences import set_email_address
from marketplace.notifications import (
    EMAIL_CHANNEL,
    PUSH_CHANNEL,
    Deliveries,
    Notification,
    NotificationKind,
    notify,
)
from marketplace.people import Person
from marketplace.settings import Settings

PUBLIC_URL = "http://127.0.0.1:8000"
SECRET_KEY = "notifications-benchmark-" + "k" * 32  # a throwaway database's key, nothing else's
# Every outside service off, whatever the environment says; each phase turns on its senders.
OFF = (
    "telegram_bot_token",
    "whatsapp_access_token",
    "smtp_url",
    "fcm_credentials",
    "identity_jwks_url",
    "mongo_url",
)
CHAT_PREFIX = "notify"
# An FCM registration token is about 160 characters of base64 and a colon.
TOKEN_TAIL = "APA91b" + "Hn0tAr3alT0k3n" * 10
DEAD_EVERY, DEAD_AT = 20, 3  # every 20th device is unknown to FCM (404 UNREGISTERED)
INVALID_EVERY, INVALID_AT = 40, 5  # and every 40th is refused as invalid (400 on the token)
POLL_SECONDS = 0.02
SENDERS = (PUSH_CHANNEL, EMAIL_CHANNEL)


class RunFailed(RuntimeError):
    """The run cannot go on (a queue that never drained); what it found is in the message."""


@dataclass(frozen=True)
class Recipient:
    """One person of the run: a consumer with a chat, an e-mail address and devices."""

    person: Person
    address: str
    devices: tuple[int, ...]


@dataclass
class Bench:
    """The product's database, clock and senders' settings, the fakes, and the people."""

    runtime: Runtime  # every sender off; `runtime_with` turns them on
    clock: LaterClock
    fcm: TimedFcm
    smtp: SmtpFake
    credentials: Path
    recorder: Recorder  # counts the statements of the product's engine
    observer: Engine  # the benchmark's own reads (waiting, checking), not counted
    people: list[Recipient] = field(default_factory=list)
    tokens: dict[int, str] = field(default_factory=dict)  # device id -> FCM token
    forgotten: set[int] = field(default_factory=set)  # devices the push sender had to delete
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def observed(self) -> sessionmaker[Session]:
        """Sessions for the benchmark's own reads."""
        return make_session_factory(self.observer)

    @property
    def dead(self) -> set[str]:
        """The tokens FCM refuses."""
        return self.fcm.dead_tokens | self.fcm.invalid_tokens

    def runtime_with(self, *channels: str) -> Runtime:
        """The runtime with the senders of `channels` configured, pointed at the fakes."""
        values: dict[str, Any] = {}
        if PUSH_CHANNEL in channels:
            values |= {"fcm_credentials": str(self.credentials), "fcm_api_url": self.fcm.url}
        if EMAIL_CHANNEL in channels:
            values["smtp_url"] = self.smtp.url
        settings = self.runtime.settings.model_copy(update=values)
        return dataclasses.replace(self.runtime, settings=settings)

    def arrived_since(self, mark: tuple[int, int]) -> Arrived:
        """What the fakes accepted after `mark` (from `arrival_mark`)."""
        return Arrived(push=self.fcm.arrivals[mark[0] :], mail=self.smtp.arrivals[mark[1] :])

    def arrival_mark(self) -> tuple[int, int]:
        """Where the fakes' arrivals stand now."""
        return len(self.fcm.arrivals), len(self.smtp.arrivals)


def timed_run(spec: NotificationSpec) -> NotificationResult:
    """Every phase, each followed by its check."""
    with running_bench(spec) as bench:
        add_people(bench, spec.people)
        load_before = os.getloadavg()[0]
        run_phases(bench, spec)
        load_after = os.getloadavg()[0]
    recorder = bench.recorder
    recorder.problems += [f"the fake FCM refused: {problem}" for problem in bench.fcm.violations]
    return NotificationResult(
        latencies={name: tuple(times) for name, times in recorder.latencies.items()},
        seconds=recorder.phase_seconds,
        counts=dict(recorder.counts),
        load_average=(load_before, load_after),
        problems=tuple(recorder.problems),
    )


@contextmanager
def running_bench(spec: NotificationSpec) -> Iterator[Bench]:
    """The product on the spec's database and the fakes, for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="connect-energy-notify-") as folder:
        fcm, smtp = TimedFcm().start(), SmtpFake()
        smtp.up()
        try:
            bench = wire(spec, fcm, smtp, fcm.write_credentials(Path(folder)))
            try:
                yield bench
            finally:
                bench.runtime.close()
                bench.observer.dispose()
        finally:
            smtp.down()
            fcm.stop()


def wire(spec: NotificationSpec, fcm: TimedFcm, smtp: SmtpFake, credentials: Path) -> Bench:
    """The product on the spec's database, every sender off until a phase turns it on."""
    values: dict[str, Any] = {
        "database_url": spec.url,
        "public_url": PUBLIC_URL,
        "secret_key": SECRET_KEY,
        **dict.fromkeys(OFF),
    }
    settings = Settings(_env_file=None, **values)
    clock = LaterClock(datetime.fromisoformat(spec.start) if spec.start else None)
    engine = make_engine(settings.database_url)
    recorder = Recorder()
    recorder.count_statements(engine)
    runtime = Runtime(settings, engine, make_session_factory(engine), clock)
    observer = make_engine(settings.database_url)
    return Bench(runtime, clock, fcm, smtp, credentials, recorder, observer)


def add_people(bench: Bench, count: int) -> None:
    """`count` consumers, each with a chat, an e-mail address (and the consent to use it)
    and one device, every other one two; some tokens are dead at FCM."""
    now = bench.clock.now()
    numbers = itertools.count(len(bench.tokens))
    with bench.runtime.sessions.begin() as session:
        for n in range(len(bench.people), len(bench.people) + count):
            consumer_id, _ = consumer_in_chat(session, f"{CHAT_PREFIX}-{n}", now)
            person = Person.consumer(consumer_id)
            address = f"pessoa{n}@example.com"
            set_email_address(session, person, address, now)
            devices = []
            for _ in range(1 + n % 2):
                number = next(numbers)
                token = f"bench{number:06d}:{TOKEN_TAIL}"
                platform = Platform.ANDROID if number % 2 else Platform.IOS
                device, _ = register_device(session, person, token, platform, now)
                bench.tokens[device.id] = token
                devices.append(device.id)
                if number % DEAD_EVERY == DEAD_AT:
                    bench.fcm.dead_tokens.add(token)
                elif number % INVALID_EVERY == INVALID_AT:
                    bench.fcm.invalid_tokens.add(token)
            bench.people.append(Recipient(person, address, tuple(devices)))


def receipt(number: int) -> Notification:
    """The receipt numbered `number`, whose first line no other notification has."""
    line = f"Pagamento confirmado: recibo {number}"
    text = (
        f"{line}\nRecebemos R$ 140,00, a mensalidade do seu contrato.\n"
        "Obrigado por usar a Connect Energy."
    )
    return Notification(kind=NotificationKind.RECEIPT, text=text, data={"receipt": str(number)})


def notify_one(bench: Bench, recipient: Recipient, *, timed: bool = False) -> Written:
    """One event's transaction: a receipt for `recipient`, committed; timed if asked."""
    note = receipt(next(bench.numbers))
    recorder = bench.recorder

    def write(session: Session) -> Deliveries:
        return notify(session, recipient.person, note, bench.clock.now())

    def transaction() -> Deliveries:
        with bench.runtime.sessions.begin() as session:
            return recorder.call("notify", partial(write, session)) if timed else write(session)

    deliveries = recorder.call("notify_transaction", transaction) if timed else transaction()
    committed = time.perf_counter()
    alive = tuple(d for d in recipient.devices if d not in bench.forgotten)
    line = note.text.split("\n", 1)[0]
    return Written(line, recipient.address, alive, deliveries, committed)


def run_phases(bench: Bench, spec: NotificationSpec) -> None:
    """Write, drain, write while sending, ride out an outage; check after each."""
    queue = write_queue(bench)
    asyncio.run(drain(bench, PUSH_CHANNEL, queue))
    asyncio.run(drain(bench, EMAIL_CHANNEL, queue))
    if spec.live:
        asyncio.run(live(bench, spec.live, spec.rate))
    if spec.outage:
        asyncio.run(outage(bench, spec.outage, timedelta(seconds=spec.outage_seconds)))
    if spec.slow:
        asyncio.run(slow_fcm(bench, spec.slow, spec.slow_seconds))


# notify ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """The receipts written with every sender off: what the drains send."""

    written: list[Written]
    outbox_after: int  # the last outbox row before them
    mark: tuple[int, int]  # the fakes' arrivals before them


def write_queue(bench: Bench) -> Queue:
    """One receipt for every person, each in its own transaction, with every sender off."""
    after, mark = last_outbox_id(bench.observed), bench.arrival_mark()
    with bench.recorder.phase("notify"):
        written = [notify_one(bench, recipient, timed=True) for recipient in bench.people]
    counts = bench.recorder.counts
    counts["notify.rows"] = sum(len(note.deliveries.ids) for note in written)
    counts["notify.push_rows"] = sum(len(note.deliveries.push) for note in written)
    return Queue(written, after, mark)


# Draining the queue ---------------------------------------------------------------------


async def drain(bench: Bench, channel: str, queue: Queue) -> None:
    """Start the one sender of `channel` on the queue and let it send everything."""
    recorder, mark = bench.recorder, bench.arrival_mark()
    rows = await asyncio.to_thread(_unsent, bench, [channel], queue.outbox_after)
    phase = f"drain_{channel}"
    began = time.perf_counter()
    with recorder.phase(phase):
        async with notification_senders(bench.runtime_with(channel)):
            await _until_sent(bench, [channel], queue.outbox_after, within=30 + rows / 10)
    arrived = bench.arrived_since(mark)
    arrivals = arrived.push if channel == PUSH_CHANNEL else arrived.mail
    recorder.counts[f"{phase}.rows"] = rows
    recorder.counts[f"{phase}.messages"] = len(arrivals)
    if arrivals:
        recorder.phase_seconds[f"{phase}.first"] = arrivals[0].at - began
        recorder.phase_seconds[f"{phase}.last"] = arrivals[-1].at - began
    if channel == PUSH_CHANNEL:
        bench.forgotten |= {d for d, token in bench.tokens.items() if token in bench.dead}
    delivered = SENDERS[: SENDERS.index(channel) + 1]  # push first, then e-mail
    recorder.problems += _labelled(
        phase,
        check_phase(
            bench.observed,
            queue.written,
            bench.arrived_since(queue.mark),
            outbox_after=queue.outbox_after,
            tokens=bench.tokens,
            dead=bench.dead,
            delivered=delivered,
        ),
    )


# Live -----------------------------------------------------------------------------------


async def live(bench: Bench, count: int, rate: float) -> None:
    """Receipts written `rate` a second while both senders run; the end-to-end latency of
    each message, from its notification's commit to the fake accepting it."""
    recorder, mark = bench.recorder, bench.arrival_mark()
    after = await asyncio.to_thread(last_outbox_id, bench.observed)
    with recorder.phase("live"):
        async with notification_senders(bench.runtime_with(*SENDERS)):
            written = await asyncio.to_thread(_write_paced, bench, count, rate)
            await _until_sent(bench, SENDERS, after, within=30 + count / 5)
    arrived = bench.arrived_since(mark)
    committed = _commit_times(bench, written)
    for name, arrivals in (("live_push", arrived.push), ("live_email", arrived.mail)):
        recorder.latencies[name] = [
            arrival.at - committed[(arrival.recipient, arrival.line)]
            for arrival in arrivals
            if (arrival.recipient, arrival.line) in committed
        ]
    recorder.counts["live.notifications"] = len(written)
    recorder.phase_seconds["live.writing"] = written[-1].committed - written[0].committed
    recorder.problems += _labelled(
        "live",
        check_phase(
            bench.observed,
            written,
            arrived,
            outbox_after=after,
            tokens=bench.tokens,
            dead=bench.dead,
            delivered=SENDERS,
        ),
    )


def _write_paced(bench: Bench, count: int, rate: float) -> list[Written]:
    began, written = time.perf_counter(), []
    for number in range(count):
        pause = began + number / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        written.append(notify_one(bench, bench.people[number % len(bench.people)]))
    return written


def _commit_times(bench: Bench, written: Sequence[Written]) -> dict[tuple[str, str], float]:
    # What each message's arrival is matched by: the token or address, and the first line.
    times = {}
    for note in written:
        times[(note.address, note.line)] = note.committed
        for device in note.devices:
            times[(bench.tokens[device], note.line)] = note.committed
    return times


# Outage ---------------------------------------------------------------------------------


@dataclass
class Outage:
    """How an outage went, on the product's clock, and when it ended in wall time."""

    began: datetime
    ends: datetime
    recovered: datetime | None = None
    recovered_wall: float = 0.0
    skipped: timedelta = timedelta()  # backoff passed by moving the clock, after recovery


async def outage(bench: Bench, count: int, length: timedelta) -> None:
    """FCM answers 503 and the SMTP server is down for `length` of the product's clock,
    from just before `count` receipts are written, while both senders run; how long after
    the recovery the backlog was sent."""
    recorder, mark = bench.recorder, bench.arrival_mark()
    after = await asyncio.to_thread(last_outbox_id, bench.observed)
    bench.fcm.down = True
    bench.smtp.down()
    now = bench.clock.now()
    state = Outage(began=now, ends=now + length)
    with recorder.phase("outage"):
        async with notification_senders(bench.runtime_with(*SENDERS)):
            written = await asyncio.to_thread(
                lambda: [
                    notify_one(bench, bench.people[n % len(bench.people)]) for n in range(count)
                ]
            )
            await _ride_out(bench, state, after, within=60 + count / 5)
    arrived = bench.arrived_since(mark)
    recorder.counts["outage.notifications"] = len(written)
    recorder.counts["outage.fcm_refused"] = bench.fcm.refused
    recorder.phase_seconds["outage.length"] = length.total_seconds()
    recorder.phase_seconds["outage.skipped"] = state.skipped.total_seconds()
    await asyncio.to_thread(_outage_figures, bench, state, arrived, after)
    recorder.problems += _labelled(
        "outage",
        check_phase(
            bench.observed,
            written,
            arrived,
            outbox_after=after,
            tokens=bench.tokens,
            dead=bench.dead,
            delivered=SENDERS,
            attempts=range(2, outbox.MAX_ATTEMPTS + 1),
        ),
    )


async def _ride_out(bench: Bench, state: Outage, after: int, *, within: float) -> None:
    # Move the clock to each next try while every row waits, recover at the outage's end,
    # and return once nothing of the phase is left to send.
    clock, deadline = bench.clock, time.perf_counter() + within
    while time.perf_counter() < deadline:
        queue = await asyncio.to_thread(_queue, bench, after)
        if state.recovered is None and clock.now() >= state.ends:
            _recover(bench, state)
        if queue.unsent == 0:
            if state.recovered is None:  # every row gave up before the end: end it anyway
                _recover(bench, state)
            return
        if queue.sending == 0 and queue.due == 0 and queue.next_try is not None:
            target = queue.next_try
            if state.recovered is None:
                target = min(target, state.ends)
            step = target - clock.now()
            if step > timedelta():
                clock.advance(step)
                if state.recovered is not None:
                    state.skipped += step
            continue
        await asyncio.sleep(POLL_SECONDS)
    raise RunFailed(f"outage: the backlog was not sent within {within:.0f} s")


def _recover(bench: Bench, state: Outage) -> None:
    bench.fcm.down = False
    bench.smtp.up()
    state.recovered = bench.clock.now()
    state.recovered_wall = time.perf_counter()


@dataclass(frozen=True)
class QueueState:
    """The phase's push and e-mail rows: not yet sent, being sent, due now, next try."""

    unsent: int
    sending: int
    due: int
    next_try: datetime | None


def _queue(bench: Bench, after: int) -> QueueState:
    now, row = bench.clock.now(), OutboxMessage
    with bench.observed() as session:
        found = session.execute(
            select(row.status, row.next_attempt_at).where(
                row.id > after,
                row.channel.in_(SENDERS),
                row.status.in_((outbox.PENDING, outbox.SENDING)),
            )
        ).all()
    pending = [_utc(when) for status, when in found if status == outbox.PENDING]
    waiting = [when for when in pending if when > now]
    return QueueState(
        unsent=len(found),
        sending=len(found) - len(pending),
        due=len(pending) - len(waiting),
        next_try=min(waiting, default=None),
    )


def _outage_figures(bench: Bench, state: Outage, arrived: Arrived, after: int) -> None:
    # Per channel: from the recovery to the last row sent, on the product's clock (backoff
    # included) and in wall time (the work alone); the tries a row took.
    recorder = bench.recorder
    assert state.recovered is not None
    row = OutboxMessage
    with bench.observed() as session:
        found = session.execute(
            select(
                row.channel, func.max(row.sent_at), func.max(row.attempts), func.sum(row.attempts)
            )
            .where(row.id > after, row.channel.in_(SENDERS))
            .group_by(row.channel)
        ).all()
    for channel, last_sent, most, tries in found:
        if last_sent is not None:
            drained = (_utc(last_sent) - state.recovered).total_seconds()
            recorder.phase_seconds[f"outage.{channel}_drained"] = drained
        recorder.counts[f"outage.{channel}_most_tries"] = int(most or 0)
        recorder.counts[f"outage.{channel}_tries"] = int(tries or 0)
    for channel, arrivals in ((PUSH_CHANNEL, arrived.push), (EMAIL_CHANNEL, arrived.mail)):
        if arrivals:
            wall = arrivals[-1].at - state.recovered_wall
            recorder.phase_seconds[f"outage.{channel}_drained_wall"] = wall
    recorder.phase_seconds["outage.recovered_after"] = (
        state.recovered - state.began
    ).total_seconds()


# A slow FCM -----------------------------------------------------------------------------


async def slow_fcm(bench: Bench, count: int, delay: float) -> None:
    """`count` receipts written at once while FCM answers each push `delay` seconds late;
    meanwhile, how long a call handed to the event loop's shared threads waits (what a
    webhook of `serve` does with its work), and how long each message takes to arrive."""
    recorder, mark = bench.recorder, bench.arrival_mark()
    after = await asyncio.to_thread(last_outbox_id, bench.observed)
    bench.fcm.delay_seconds = delay
    probes: list[float] = []
    try:
        with recorder.phase("slow"):
            async with notification_senders(bench.runtime_with(*SENDERS)):
                written = await asyncio.to_thread(
                    lambda: [
                        notify_one(bench, bench.people[n % len(bench.people)])
                        for n in range(count)
                    ]
                )
                await _probing(bench, after, probes, within=60 + count * delay)
    finally:
        bench.fcm.delay_seconds = 0.0
    arrived = bench.arrived_since(mark)
    committed = _commit_times(bench, written)
    for name, arrivals in (("slow_push", arrived.push), ("slow_email", arrived.mail)):
        recorder.latencies[name] = [
            arrival.at - committed[(arrival.recipient, arrival.line)]
            for arrival in arrivals
            if (arrival.recipient, arrival.line) in committed
        ]
    recorder.latencies["slow_probe"] = probes
    recorder.counts["slow.notifications"] = len(written)
    recorder.phase_seconds["slow.delay"] = delay
    recorder.problems += _labelled(
        "slow",
        check_phase(
            bench.observed,
            written,
            arrived,
            outbox_after=after,
            tokens=bench.tokens,
            dead=bench.dead,
            delivered=SENDERS,
        ),
    )


async def _probing(bench: Bench, after: int, probes: list[float], *, within: float) -> None:
    # Until every push and e-mail is sent: a call that does nothing, on the shared threads.
    deadline = time.perf_counter() + within
    while await asyncio.to_thread(_unsent, bench, SENDERS, after):
        if time.perf_counter() > deadline:
            raise RunFailed(f"slow FCM: rows still unsent after {within:.0f} s")
        began = time.perf_counter()
        await asyncio.to_thread(lambda: None)
        probes.append(time.perf_counter() - began)
        await asyncio.sleep(POLL_SECONDS)


# Shared ---------------------------------------------------------------------------------


def _unsent(bench: Bench, channels: Sequence[str], after: int) -> int:
    with bench.observed() as session:
        return (
            session.scalar(
                select(func.count()).where(
                    OutboxMessage.id > after,
                    OutboxMessage.channel.in_(channels),
                    OutboxMessage.status.in_((outbox.PENDING, outbox.SENDING)),
                )
            )
            or 0
        )


async def _until_sent(bench: Bench, channels: Sequence[str], after: int, *, within: float) -> None:
    deadline = time.perf_counter() + within
    while await asyncio.to_thread(_unsent, bench, channels, after):
        if time.perf_counter() > deadline:
            raise RunFailed(f"{', '.join(channels)}: rows still unsent after {within:.0f} s")
        await asyncio.sleep(POLL_SECONDS)


def _utc(instant: datetime) -> datetime:
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def _labelled(phase: str, problems: list[str]) -> list[str]:
    return [f"{phase}: {problem}" for problem in problems]


def main() -> None:
    """Run the spec given as the only argument; print the result as JSON."""
    # Each failed try is a warning of the dispatcher's; the outage makes hundreds.
    logging.basicConfig(level=logging.ERROR)
    print(timed_run(NotificationSpec.from_json(sys.argv[1])).to_json())


if __name__ == "__main__":
    main()

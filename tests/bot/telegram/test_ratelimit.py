"""Pacing of outgoing messages, on a fake monotonic clock."""

from __future__ import annotations

import asyncio

from bot.telegram.ratelimit import RateLimiter


class FakeTime:
    """A monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def send_times(limiter: RateLimiter, time: FakeTime, chats: list[str]) -> list[float]:
    async def send_all() -> list[float]:
        times = []
        for chat in chats:
            await limiter.wait(chat)
            times.append(time.now)
        return times

    return asyncio.run(send_all())


def test_one_chat_gets_a_burst_of_three_then_one_a_second() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep, per_second=1000)

    times = send_times(limiter, time, ["ana"] * 6)

    assert [round(t, 3) for t in times] == [0, 0.001, 0.002, 1.0, 2.0, 3.0]


def test_overall_no_more_than_thirty_a_second() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep)

    times = send_times(limiter, time, [f"chat{n}" for n in range(120)])

    # Sums of 1/30 s land a hair short of whole seconds; Telegram measures no finer.
    windows = [sum(1 for t in times if start <= t < start + 1 - 1e-6) for start in times]
    assert max(windows) <= 30
    assert times[-1] < 4.0


def test_a_quiet_chat_gets_its_burst_back() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep, per_second=1000)
    send_times(limiter, time, ["ana"] * 3)
    time.now += 10

    times = send_times(limiter, time, ["ana"] * 3)

    assert times[-1] - times[0] < 0.01


def test_concurrent_senders_share_the_pace() -> None:
    time = FakeTime()
    limiter = RateLimiter(clock=time.clock, sleep=time.sleep, per_second=1000)

    async def both() -> None:
        await asyncio.gather(*(limiter.wait("ana") for _ in range(5)))

    asyncio.run(both())

    assert time.now >= 2.0

"""The rounds of periodic work: a failing round is logged and the next one still comes."""

from __future__ import annotations

import asyncio

import pytest

from bot.periodic import Periodic

CPF = "529.982.247-25"


class FailsOnce(Periodic):
    """Raises an error nobody expected in its first round, then counts rounds."""

    name = "fails-once"

    def __init__(self) -> None:
        super().__init__(interval=0.01)
        self.rounds = 0

    def round(self) -> None:
        self.rounds += 1
        if self.rounds == 1:
            raise ValueError(f"a listener's bug, quoting a CPF: {CPF}")


def test_an_unexpected_error_in_a_round_does_not_end_the_rounds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    work = FailsOnce()

    async def run_a_while() -> None:
        work.start()
        for _ in range(200):
            if work.rounds >= 3:
                break
            await asyncio.sleep(0.01)
        await work.stop()

    asyncio.run(run_a_while())

    assert work.rounds >= 3  # before: the task ended with the first error, for good
    assert "ValueError" in caplog.text
    assert CPF not in caplog.text  # the message may quote personal data

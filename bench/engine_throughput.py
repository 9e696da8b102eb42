"""How many messages per second the engine handles in batches.

Usage: python -m bench.engine_throughput DATABASE_URL [--messages 20000]
    [--conversations 1000] [--batch 500]

The database must be migrated (`connect-energy db upgrade`) and is written to: use a
throwaway one. Conversations are created first (first contact), then timed.
"""

from __future__ import annotations

import argparse
import random
import time

from conversations.engine import ConversationEngine
from conversations.events import InboundEvent, Option, Reply
from conversations.flow import AskContext, Flow, Step, StepContext, Transition
from marketplace.clock import SystemClock
from marketplace.db import make_engine, make_session_factory
from marketplace.settings import Settings

SIZES = (Option("s", "Small"), Option("m", "Medium"), Option("l", "Large"))


def ask_size(context: AskContext) -> Reply:
    """A question with options, like most of the consumer flow."""
    return Reply(context.gettext("Help") + "?", options=SIZES)


def handle_size(context: StepContext) -> Transition:
    """Count answers, moving between two states."""
    target = "again" if context.state == "size" else "size"
    count = int(context.data.get("count", 0)) + 1
    return Transition(target, replies=(Reply("ok"),), data={"count": count})


BENCH_FLOW = Flow(
    name="bench",
    start="size",
    steps={
        "size": Step(ask=ask_size, handle=handle_size, goes_to=("again",)),
        "again": Step(ask=ask_size, handle=handle_size, goes_to=("size",)),
    },
)


def main() -> None:
    """Run the benchmark and print messages per second."""
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=500)
    arguments = parser.parse_args()

    url = Settings(_env_file=None, database_url=arguments.database_url).database_url
    database = make_engine(url)
    engine = ConversationEngine(
        make_session_factory(database),
        {"bench": BENCH_FLOW},
        clock=SystemClock(),
        default_flow="bench",
    )
    run = f"{time.time_ns():x}"
    chats = [f"bench-{run}-{n}" for n in range(arguments.conversations)]
    for start in range(0, len(chats), arguments.batch):
        engine.handle_batch(
            [
                InboundEvent("bench", chat, f"{chat}-hello", text="hi")
                for chat in chats[start : start + arguments.batch]
            ]
        )

    randomness = random.Random(7)
    events = [
        InboundEvent("bench", chat, f"{chat}-{n}", text=randomness.choice(("1", "medium", "l")))
        for n in range(arguments.messages // arguments.conversations)
        for chat in chats
    ]
    randomness.shuffle(events)  # per-conversation order changes; the engine keeps what it gets
    began = time.perf_counter()
    for start in range(0, len(events), arguments.batch):
        engine.handle_batch(events[start : start + arguments.batch])
    elapsed = time.perf_counter() - began
    database.dispose()
    print(f"{len(events)} messages in {elapsed:.2f} s: {len(events) / elapsed:,.0f} messages/s")


if __name__ == "__main__":
    main()

"""What a benchmark run sends: which flow, which conversations, in which order.

Messages of many conversations arrive interleaved, each conversation's in its own order,
the way a channel delivers them: every conversation starts at a random moment and each
person answers a few seconds to a little over half a minute after the bot's reply. The
simulated arrival times only order the messages; the benchmark sends them as fast as the
engine takes them, in batches of consecutive arrivals.

Only the delivery order is kept for the whole run (two small integers a message); events
are built a batch at a time, as a channel would hold them.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from bench.personas import MESSAGES_PER_CONVERSATION, PERSONAS, Message, Persona, Tap
from conversations.consumer_flow import CONSUMER
from conversations.events import InboundEvent, InboundKind, Option, Reply
from conversations.flow import AskContext, Flow, Step, StepContext, Transition

SYNTHETIC, CONSUMER_FLOW = "synthetic", "consumer"
FLOWS = (SYNTHETIC, CONSUMER_FLOW)
CHANNEL = "bench"
ANSWER_DELAY = (3.0, 40.0)  # seconds a person takes to answer: at least, at most

SIZES = (Option("s", "Small"), Option("m", "Medium"), Option("l", "Large"))


def ask_size(context: AskContext) -> Reply:
    """A translated question with options, like most of the consumer flow's."""
    return Reply(context.gettext("Help") + "?", options=SIZES)


def handle_size(context: StepContext) -> Transition:
    """Count answers, moving between two states."""
    target = "again" if context.state == "size" else "size"
    count = int(context.data.get("count", 0)) + 1
    return Transition(target, replies=(Reply("ok"),), data={"count": count})


SYNTHETIC_FLOW = Flow(
    name="bench",
    start="size",
    steps={
        "size": Step(ask=ask_size, handle=handle_size, goes_to=("again",)),
        "again": Step(ask=ask_size, handle=handle_size, goes_to=("size",)),
    },
)
"""Two states, no database work in the steps: what is left is the engine's own cost."""


@dataclass(frozen=True)
class Conversation:
    """One chat of the run: who writes and what they send, in order."""

    chat_id: str
    messages: tuple[Message, ...]
    persona: Persona | None = None


@dataclass(frozen=True)
class Workload:
    """The conversations of a run and the order their messages arrive in."""

    flow: Flow
    conversations: tuple[Conversation, ...]
    arrivals: tuple[tuple[int, int], ...]  # (conversation, message) in delivery order

    @property
    def messages(self) -> int:
        """How many messages the run sends."""
        return len(self.arrivals)

    def batches(self, size: int, *, lane: int = 0, lanes: int = 1) -> Iterator[list[InboundEvent]]:
        """The events in delivery order, `size` at a time; with lanes, one lane's share.

        A lane gets every message of its conversations and none of the others, so each
        conversation's messages stay in order whichever lane is faster.
        """
        arrivals = [arrival for arrival in self.arrivals if arrival[0] % lanes == lane]
        for start in range(0, len(arrivals), size):
            yield [self.event(*arrival) for arrival in arrivals[start : start + size]]

    def event(self, conversation_index: int, message_index: int) -> InboundEvent:
        """The event a channel would hand the engine for one message."""
        conversation = self.conversations[conversation_index]
        persona = conversation.persona
        message = conversation.messages[message_index]
        if isinstance(message, Tap):
            kind, text, option_id = InboundKind.OPTION, "", message.option_id
        else:
            kind, text, option_id = InboundKind.TEXT, message, None
        return InboundEvent(
            channel=CHANNEL,
            chat_id=conversation.chat_id,
            message_id=f"{conversation.chat_id}-{message_index}",
            kind=kind,
            text=text,
            option_id=option_id,
            user_name=persona.user_name if persona else None,
            phone=persona.phone if persona else None,
            locale="pt-BR",
        )

    def expected_states(self) -> Counter[str]:
        """How many conversations should end in each state (consumer flow only)."""
        return Counter(c.persona.final_state for c in self.conversations if c.persona)

    def expected_leads(self) -> int:
        """How many leads the run should record (consumer flow only)."""
        return sum(c.persona.leads for c in self.conversations if c.persona)


def build_workload(
    flow: str, *, messages: int, conversations: int, seed: int, run_id: str
) -> Workload:
    """The conversations and arrival order of one run, the same for the same seed.

    Raises:
        ValueError: when the messages do not divide evenly among the conversations, or the
            consumer flow is asked for other than twenty messages a conversation.
    """
    per_conversation, remainder = divmod(messages, conversations)
    if remainder or per_conversation < 1:
        raise ValueError("--messages must be a multiple of --conversations")
    pick = random.Random(seed)
    if flow == CONSUMER_FLOW:
        if per_conversation != MESSAGES_PER_CONVERSATION:
            raise ValueError(
                f"the consumer flow's conversations have {MESSAGES_PER_CONVERSATION} messages"
            )
        chats = tuple(_consumer_chat(pick, f"{run_id}-{n}") for n in range(conversations))
        return Workload(CONSUMER, chats, _arrivals(pick, chats))
    chats = tuple(
        _synthetic_chat(pick, f"{run_id}-{n}", per_conversation) for n in range(conversations)
    )
    return Workload(SYNTHETIC_FLOW, chats, _arrivals(pick, chats))


def _consumer_chat(pick: random.Random, chat_id: str) -> Conversation:
    persona = pick.choice(PERSONAS)
    return Conversation(chat_id, persona.script(pick), persona)


def _synthetic_chat(pick: random.Random, chat_id: str, count: int) -> Conversation:
    answers = ("1", "medium", "l")
    return Conversation(chat_id, ("hi", *(pick.choice(answers) for _ in range(count - 1))))


def _arrivals(pick: random.Random, chats: tuple[Conversation, ...]) -> tuple[tuple[int, int], ...]:
    # Conversations start over a window as long as one conversation lasts, so most of them
    # overlap, as they do on a busy channel.
    fastest, slowest = ANSWER_DELAY
    window = max(len(chat.messages) for chat in chats) * (fastest + slowest) / 2
    timed: list[tuple[float, int, int]] = []
    for index, chat in enumerate(chats):
        moment = pick.uniform(0, window)
        for message in range(len(chat.messages)):
            timed.append((moment, index, message))
            moment += pick.uniform(fastest, slowest)
    timed.sort()
    return tuple((index, message) for _, index, message in timed)

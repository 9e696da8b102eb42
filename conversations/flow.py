"""Flows as tables: every state of a dialogue, its question, its handler and where it goes.

A flow module starts with its table, so a reader sees the whole dialogue in one place; a
function returns it, so the step functions it names may follow::

    def sample_flow() -> Flow:
        return Flow(
            name="sample",
            start="consent",
            steps={
                "consent": Step(ask=ask_consent, handle=handle_consent, goes_to=("name", END)),
                "name": Step(ask=ask_name, handle=handle_name, goes_to=("done",)),
                "done": Step(ask=ask_done, handle=handle_done, goes_to=()),
            },
        )

The engine (conversations/engine.py) runs the current state's `handle` on each message,
checks the transition against `goes_to`, and shows the next state's `ask`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.errors import FlowDefinitionError, UndeclaredTransition
from conversations.events import InboundEvent, Option, Reply
from conversations.i18n import Translator
from marketplace.clock import Clock
from marketplace.contract_tokens import ContractLinks
from marketplace.notifications import ChatTarget, Deliveries, NotificationKind, notify
from marketplace.notifications import Notification as ServiceNotification
from marketplace.payments import Payments
from marketplace.people import Person

END = "_end"
"""The target that ends a flow; after it, the next message starts the flow again."""

NEW = "_new"
"""The state of a conversation that has not been asked anything yet."""

MAX_STATE_NAME = 60  # conversations.state is VARCHAR(60)
MAX_FLOW_NAME = 40  # conversations.flow is VARCHAR(40)


@dataclass(frozen=True)
class AskContext:
    """What a question may read to render itself."""

    state: str
    data: Mapping[str, Any]
    translator: Translator
    session: Session
    clock: Clock
    consumer_id: int
    conversation_id: int
    user_name: str | None = field(default=None, kw_only=True)
    """The name on the person's profile (Telegram, WhatsApp), when the channel gave one."""
    contract_links: ContractLinks | None = field(default=None, kw_only=True)
    """Mints signing links for contracts; None where the process has no secret key."""
    payments: Payments | None = field(default=None, kw_only=True)
    """Opens contract payments; None where the process takes none (the terminal)."""
    buttons: bool = field(default=True, kw_only=True)
    """Whether options are buttons to tap; False where the person types their number (the
    terminal), so hints say "type the number" rather than "tap"."""

    def gettext(self, message: str) -> str:
        """`message` in the conversation's language."""
        return self.translator.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural form that fits `count`, in the conversation's language."""
        return self.translator.ngettext(singular, plural, count)


@dataclass(frozen=True)
class StepContext(AskContext):
    """What a step handler reads: the context of its question plus the answer.

    `text` is the cleaned text (or the label of a tapped option); `option` is the option of
    the current question the person tapped, numbered or named, if any.
    """

    event: InboundEvent = field(kw_only=True)
    text: str = field(kw_only=True)
    option: Option | None = field(kw_only=True)
    failed_attempts: int = field(kw_only=True, default=0)

    def reask_choice(self) -> Reask:
        """A re-ask for a question that needs one of its options, with an example."""
        if not self.buttons:
            return Reask(
                self.gettext(
                    "Please choose one of the options by typing its number (for example 1)."
                )
            )
        return Reask(
            self.gettext(
                "Please choose one of the options: tap it, or type its number (for example 1)."
            )
        )

    def reask_yes_no(self) -> Reask:
        """A re-ask for a yes-or-no question."""
        return Reask(self.gettext('Please answer "yes" or "no".'))


@dataclass(frozen=True)
class Notification:
    """A message to someone other than the person writing (a supplier's agent, say).

    It goes to the chat `channel`/`recipient` first; naming the `person` it is for lets the
    notification service (marketplace.notifications) add their push and e-mail deliveries,
    as `kind` allows. `about_consumer` names the consumer whose personal data it carries
    (a lead card, a relayed answer), so that forgetting them deletes it; the reply's own
    `about_consumer` stands in when it is not given. `push_text`
    replaces the first line as the push body when that line quotes what someone typed.
    """

    channel: str
    recipient: str
    reply: Reply
    kind: NotificationKind = field(default=NotificationKind.RELAY, kw_only=True)
    person: Person | None = field(default=None, kw_only=True)
    data: Mapping[str, str] = field(default_factory=dict, kw_only=True)
    about_consumer: int | None = field(default=None, kw_only=True)
    push_text: str | None = field(default=None, kw_only=True)

    def write(self, session: Session, now: datetime) -> Deliveries:
        """Hand this notification to the notification service, in the caller's transaction."""
        notification = ServiceNotification(
            kind=self.kind,
            text=self.reply.text,
            chat_payload=self.reply.to_payload(),
            chat=ChatTarget(self.channel, self.recipient),
            data=self.data,
            about_consumer=(
                self.about_consumer
                if self.about_consumer is not None
                else self.reply.about_consumer
            ),
            push_text=self.push_text,
        )
        return notify(session, self.person, notification, now)


@dataclass(frozen=True)
class Transition:
    """Where a step goes next, what it says first and what it remembers.

    The engine shows the next state's question after `replies`; going to `END` ends the
    flow with `replies` as its last words. `data` is merged into the conversation data and
    `forget` removes keys from it. `forget_history` stops `back` from returning past this
    point (after a lead is sent, say). `unrecorded` keeps this turn out of the transcript
    (a person declining the privacy terms leaves no words behind).
    """

    to: str
    replies: tuple[Reply, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    forget: tuple[str, ...] = ()
    notify: tuple[Notification, ...] = ()
    forget_history: bool = False
    unrecorded: bool = False


@dataclass(frozen=True)
class Reask:
    """The answer did not fit: say `text` (with an example) and stay in the same state.

    The engine counts it as a failed attempt, repeats the question's options under `text`
    when `show_options` is set, and offers help on every third failure in a row.
    """

    text: str
    show_options: bool = True


def too_long_to_relay(context: AskContext, limit: int) -> Reask:
    """Ask again for a message longer than another person may be sent: never cut it."""
    too_long = context.gettext(
        "That message is too long for me. Could you say it in fewer than {limit} characters?"
    )
    return Reask(
        too_long.format(limit=context.translator.format_number(limit)), show_options=False
    )


AskFunction = Callable[[AskContext], Reply | Sequence[Reply]]
HandleFunction = Callable[[StepContext], Transition | Reask]
HelpFunction = Callable[[AskContext], str]
EntryFunction = Callable[[StepContext], Transition | Reask | None]
AboutFunction = Callable[[AskContext], int | None]


@dataclass(frozen=True)
class Step:
    """One state of a flow: its question, its handler, and the states it may go to.

    `help` adds a sentence about this question to the answer to the `help` command.
    A step with `transcript=False` keeps no transcript of the turns answered in it (the
    privacy consent: nothing typed before agreeing is kept), except the bot's replies of the
    turn that leaves it, so that a reloaded chat starts at the question that follows.
    `about_consumer` names, from the conversation's data, the consumer whose personal data
    the words typed in this state concern (an agent's question for the consumer of a lead):
    the transcript keeps each message answered in it as about them, so that forgetting them
    deletes it.
    """

    ask: AskFunction
    handle: HandleFunction
    goes_to: tuple[str, ...] = ()
    help: HelpFunction | None = None
    transcript: bool = True
    about_consumer: AboutFunction | None = None


@dataclass(frozen=True)
class Flow:
    """A named dialogue: its first state and the table of its steps.

    `entry` lets a message move a conversation of any flow into this one (an invite code
    makes a consumer's chat a supplier agent's): it returns a `Transition` to a state of
    this flow, a `Reask` to answer without moving, or None when the message is not for it.
    `actions` take buttons this conversation never showed as a question, because they came
    in a notification (a lead card): option ids starting with a key run its handler in any
    state, and its transition may go to any state of the flow.

    Raises:
        FlowDefinitionError: when the table is inconsistent (checked at import time).
    """

    name: str
    start: str
    steps: Mapping[str, Step]
    entry: EntryFunction | None = None
    actions: Mapping[str, HandleFunction] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= MAX_FLOW_NAME:
            raise FlowDefinitionError(f"flow names are 1 to {MAX_FLOW_NAME} characters")
        if self.start not in self.steps:
            raise FlowDefinitionError(f"flow {self.name!r}: start {self.start!r} has no step")
        for state, step in self.steps.items():
            self._check_name(state)
            unknown = [target for target in step.goes_to if target not in (*self.steps, END)]
            if unknown:
                raise FlowDefinitionError(
                    f"flow {self.name!r}: {state!r} goes to undeclared states {unknown}"
                )

    def _check_name(self, state: str) -> None:
        if not state or state.startswith("_") or len(state) > MAX_STATE_NAME:
            raise FlowDefinitionError(
                f"flow {self.name!r}: state names are 1 to {MAX_STATE_NAME} characters "
                f"and do not start with '_' (reserved), not {state!r}"
            )

    def check_transition(self, state: str, target: str) -> None:
        """Refuse a transition the table does not declare.

        Raises:
            UndeclaredTransition: when `target` is not in the `goes_to` of `state`.
        """
        if target not in self.steps[state].goes_to:
            raise UndeclaredTransition(self.name, state, target)

    def check_jump(self, origin: str, target: str) -> None:
        """Refuse an entry or action whose target is not a state of this flow (nor `END`).

        Raises:
            UndeclaredTransition: when `target` is unknown; `origin` names who asked.
        """
        if target != END and target not in self.steps:
            raise UndeclaredTransition(self.name, origin, target)

    def action_for(self, option_id: str | None) -> HandleFunction | None:
        """The action that takes this option id, if any."""
        if not option_id:
            return None
        for prefix, handler in self.actions.items():
            if option_id.startswith(prefix):
                return handler
        return None

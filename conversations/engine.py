"""The conversation engine: one inbound message (or a batch) in one database transaction.

For each message, in a single transaction: record its id (a redelivery stops there and
gets the replies of the first delivery), lock the conversation, make sure the consumer and
its channel identity exist, run the current state's step, save state and data, and write
every reply to the outbox and the transcript. Nothing is sent from here: the dispatcher
(bot/dispatcher.py) sends outbox rows after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from conversations.errors import ConversationError, InvalidEvent, StepFailed, StorageUnavailable
from conversations.events import InboundEvent, Reply
from conversations.flow import NEW, Flow
from conversations.i18n import DEFAULT_LOCALE, negotiate_locale, translator_for
from conversations.parsing import clean_text
from conversations.runner import ConversationState, FlowRunner, TurnResult, TurnScope
from marketplace import conversation_store, outbox
from marketplace.clock import Clock
from marketplace.consumers import ensure_consumers, touch_identities
from marketplace.contract_tokens import ContractLinks
from marketplace.conversation_store import ChatKey, MessageKey, NewConversation, StoredConversation
from marketplace.erasure import forget_later_copies, forgotten_so_far
from marketplace.payments import Payments
from marketplace.transcripts import SqlTranscriptStore, TranscriptLine, TranscriptStore

logger = logging.getLogger(__name__)

# Column widths of channel, chat and message ids (marketplace/models.py).
MAX_CHANNEL = 20
MAX_CHAT_ID = 100
MAX_MESSAGE_ID = 120
MAX_OPTION_ID = 64


@dataclass(frozen=True)
class Outcome:
    """What the engine did with one message.

    `duplicate` is True for a redelivery: `replies` and `outbox_ids` are then those of the
    first delivery, and nothing new was written. A message whose sender declined the privacy
    terms later in the same batch has neither: nothing of that turn was kept or is sent.
    """

    conversation_id: int
    replies: tuple[Reply, ...]
    outbox_ids: tuple[int, ...]
    duplicate: bool = False


@dataclass
class _Work:
    """A message being handled in this batch, and what it produced."""

    event: InboundEvent
    inbound_id: int | None = None
    result: TurnResult | None = None
    repeat_of: int | None = None  # index of the first delivery within the same batch


class ConversationEngine:
    """Runs flows for inbound events from any channel, one transaction per call.

    Args:
        sessions: where conversations, outbox and transcripts live.
        flows: every flow by name; `default_flow` is where new conversations start.
        clock: the time every row is stamped with.
        default_locale: the language of a chat whose event names none (or an odd one).
        transcripts: where transcript lines go; the SQL table by default.
        contract_links: mints the signing links contracts are sent with.
        payments: opens a new payment when a consumer asks for one in the chat.
        offer_help_after: offer help on every N-th wrong answer in a row.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        flows: Mapping[str, Flow],
        *,
        clock: Clock,
        default_flow: str,
        default_locale: str = DEFAULT_LOCALE,
        transcripts: TranscriptStore | None = None,
        offer_help_after: int = 3,
        contract_links: ContractLinks | None = None,
        payments: Payments | None = None,
    ) -> None:
        self.sessions = sessions
        self.contract_links = contract_links
        self.payments = payments
        self.clock = clock
        self.default_locale = default_locale
        self.transcripts: TranscriptStore = transcripts or SqlTranscriptStore()
        self.runner = FlowRunner(flows, default_flow, offer_help_after=offer_help_after)

    def handle(self, event: InboundEvent) -> Outcome:
        """Handle one message and return what was answered.

        Raises:
            InvalidEvent: the event's ids are empty or too long; nothing was recorded.
            StepFailed: a step raised; nothing was recorded, the message may be retried.
            StorageUnavailable: the database failed; nothing was recorded.
        """
        return self.handle_batch([event])[0]

    def handle_batch(self, events: Sequence[InboundEvent]) -> list[Outcome]:
        """Handle many messages in one transaction; outcomes come in the events' order.

        Messages of one conversation run in the order given. The batch is all or nothing:
        if any step fails, nothing of the batch is recorded and the error names the event.

        Raises:
            InvalidEvent, StepFailed, StorageUnavailable: as `handle`.
        """
        if not events:
            return []
        for event in events:
            _check_event(event)
        try:
            with self.sessions() as session, session.begin():
                return self._handle_in(session, events)
        except ConversationError:
            raise
        except (OperationalError, InterfaceError) as error:
            raise StorageUnavailable(
                f"the database failed: {type(error.orig).__name__}"
            ) from error

    def _handle_in(self, session: Session, events: Sequence[InboundEvent]) -> list[Outcome]:
        now = self.clock.now()
        work = _deduplicate_within(events)
        conversations = conversation_store.lock_conversations(
            session, self._starts_for(events), now
        )

        firsts = [item for item in work if item.repeat_of is None]
        inbound_ids = conversation_store.record_inbound(
            session,
            {_message_key(i.event): conversations[_chat_key(i.event)].id for i in firsts},
            now,
        )
        fresh = [item for item in firsts if _message_key(item.event) in inbound_ids]
        for item in fresh:
            item.inbound_id = inbound_ids[_message_key(item.event)]
        repeats = conversation_store.recorded_replies(
            session, [_message_key(i.event) for i in firsts if i.inbound_id is None]
        )
        if fresh:
            self._run_turns(session, fresh, conversations, now)
        return self._outcomes(session, work, conversations, repeats, now)

    def _starts_for(self, events: Sequence[InboundEvent]) -> dict[ChatKey, NewConversation]:
        starts: dict[ChatKey, NewConversation] = {}
        for event in events:
            key = _chat_key(event)
            if key not in starts:
                locale = negotiate_locale(event.locale, self.default_locale)
                starts[key] = NewConversation(self.runner.default_flow, NEW, locale)
        return starts

    def _run_turns(
        self,
        session: Session,
        fresh: list[_Work],
        conversations: dict[ChatKey, StoredConversation],
        now: datetime,
    ) -> None:
        chats = {_chat_key(item.event) for item in fresh}
        touched = [conversations[key] for key in sorted(chats)]
        self._attach_consumers(session, touched, now)

        states = {key: _state_of(conversations[key]) for key in chats}
        erasures = len(forgotten_so_far(session))
        for position, item in enumerate(fresh):
            key = _chat_key(item.event)
            item.result = self._run_one(session, item.event, conversations[key], states[key])
            forgotten = forgotten_so_far(session)
            if len(forgotten) > erasures:
                # This turn forgot a consumer: their chats' turns before it are not written.
                gone = frozenset().union(*(f.conversations for f in forgotten[erasures:]))
                _forget_turns(fresh[:position], conversations, gone)
                erasures = len(forgotten)

        for key, state in states.items():
            stored = conversations[key]
            stored.flow, stored.state = state.flow, state.state
            stored.data, stored.failed_attempts = state.dump(), state.failed_attempts
        conversation_store.save_conversations(session, touched, now)

    def _attach_consumers(
        self, session: Session, touched: list[StoredConversation], now: datetime
    ) -> None:
        strangers = {(c.channel, c.chat_id): c.locale for c in touched if c.consumer_id is None}
        consumer_ids = ensure_consumers(session, strangers, now)
        for conversation in touched:
            if conversation.consumer_id is None:
                conversation.consumer_id = consumer_ids[
                    (conversation.channel, conversation.chat_id)
                ]
        touch_identities(
            session,
            [(c.channel, c.chat_id) for c in touched if (c.channel, c.chat_id) not in strangers],
            now,
        )

    def _run_one(
        self,
        session: Session,
        event: InboundEvent,
        conversation: StoredConversation,
        state: ConversationState,
    ) -> TurnResult:
        assert conversation.consumer_id is not None
        scope = TurnScope(
            translator=translator_for(conversation.locale),
            session=session,
            clock=self.clock,
            consumer_id=conversation.consumer_id,
            conversation_id=conversation.id,
            user_name=event.user_name,
            contract_links=self.contract_links,
            payments=self.payments,
            buttons=event.buttons,
        )
        flow_name, state_name = state.flow, state.state
        try:
            return self.runner.run(state, event, scope)
        except Exception as error:
            logger.exception(
                "step %s/%s failed on %s message %s of conversation %s",
                flow_name,
                state_name,
                event.channel,
                event.message_id,
                conversation.id,
            )
            raise StepFailed(
                channel=event.channel,
                message_id=event.message_id,
                flow=flow_name,
                state=state_name,
            ) from error

    def _outcomes(
        self,
        session: Session,
        work: list[_Work],
        conversations: dict[ChatKey, StoredConversation],
        repeats: dict[MessageKey, conversation_store.RecordedReplies],
        now: datetime,
    ) -> list[Outcome]:
        drafts: list[outbox.OutboxDraft] = []
        lines: list[TranscriptLine] = []
        for item in work:
            if item.result is not None:
                conversation = conversations[_chat_key(item.event)]
                payloads = [reply.to_payload() for reply in item.result.replies]
                drafts.extend(_drafts(item, conversation, payloads))
                lines.extend(_transcript(item, conversation.id, payloads, now))
        outbox_ids = iter(outbox.add_messages(session, drafts, now))
        for item in work:
            # After the replies: the notification service decides each one's deliveries.
            for note in item.result.notifications if item.result is not None else ():
                note.write(session, now)
        self.transcripts.append(session, lines)
        # A consumer forgotten by a later turn of the batch takes the earlier turns' copies
        # in other chats (an agent's); those of their own chat were dropped (_forget_turns).
        forget_later_copies(session)

        outcomes: list[Outcome] = []
        for item in work:
            outcomes.append(_outcome(item, conversations, repeats, outbox_ids, outcomes))
        return outcomes


def _forget_turns(
    earlier: list[_Work],
    conversations: dict[ChatKey, StoredConversation],
    gone: frozenset[int],
) -> None:
    """Drop what the turns of forgotten chats said and heard, earlier in the batch.

    A single-message decline finds those words already written and erases them; in a batch
    they are written after it, so they are left out instead. Their notifications stay to
    be written: `forget_later_copies` deletes those about the consumer, like the erasure.
    """
    for item in earlier:
        if item.result is not None and conversations[_chat_key(item.event)].id in gone:
            item.result = TurnResult(
                notifications=item.result.notifications, recorded=False, replies_recorded=False
            )


def _state_of(stored: StoredConversation) -> ConversationState:
    return ConversationState.load(stored.flow, stored.state, stored.data, stored.failed_attempts)


def _check_event(event: InboundEvent) -> None:
    for name, value, limit in (
        ("channel", event.channel, MAX_CHANNEL),
        ("chat_id", event.chat_id, MAX_CHAT_ID),
        ("message_id", event.message_id, MAX_MESSAGE_ID),
    ):
        if not value or len(value) > limit or not _storable(value):
            raise InvalidEvent(f"{name} must be 1 to {limit} characters of valid text")


def _storable(value: str) -> bool:
    # PostgreSQL text holds neither NUL nor lone surrogates (which UTF-8 cannot encode).
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _deduplicate_within(events: Sequence[InboundEvent]) -> list[_Work]:
    first_index: dict[MessageKey, int] = {}
    work: list[_Work] = []
    for index, event in enumerate(events):
        key = _message_key(event)
        work.append(_Work(event=event, repeat_of=first_index.get(key)))
        first_index.setdefault(key, index)
    return work


def _drafts(
    item: _Work, conversation: StoredConversation, payloads: list[dict[str, Any]]
) -> list[outbox.OutboxDraft]:
    assert item.result is not None
    return [
        outbox.OutboxDraft(
            channel=item.event.channel,
            recipient=item.event.chat_id,
            payload=payload,
            conversation_id=conversation.id,
            inbound_message_id=item.inbound_id,
            about_consumer_id=reply.about_consumer,
        )
        for reply, payload in zip(item.result.replies, payloads, strict=True)
    ]


def _transcript(
    item: _Work, conversation_id: int, payloads: list[dict[str, Any]], now: datetime
) -> list[TranscriptLine]:
    assert item.result is not None
    replies = [
        TranscriptLine(conversation_id, "out", payload, now, reply.about_consumer)
        for reply, payload in zip(item.result.replies, payloads, strict=True)
    ]
    if not item.result.recorded:
        return replies if item.result.replies_recorded else []
    event = item.event
    said: dict[str, Any] = {"message_id": event.message_id, "kind": str(event.kind)}
    if item.result.heard:
        said["text"] = item.result.heard
    if event.option_id is not None:
        said["option_id"] = clean_text(event.option_id, limit=MAX_OPTION_ID).text
    said_line = TranscriptLine(conversation_id, "in", said, now, item.result.heard_about)
    return [said_line, *replies]


def _outcome(
    item: _Work,
    conversations: dict[ChatKey, StoredConversation],
    repeats: dict[MessageKey, conversation_store.RecordedReplies],
    outbox_ids: Iterator[int],
    earlier: list[Outcome],
) -> Outcome:
    if item.repeat_of is not None:
        first = earlier[item.repeat_of]
        return Outcome(first.conversation_id, first.replies, first.outbox_ids, duplicate=True)
    if item.result is None:
        recorded = repeats[_message_key(item.event)]
        replies = tuple(Reply.from_payload(payload) for payload in recorded.payloads)
        return Outcome(recorded.conversation_id, replies, recorded.outbox_ids, duplicate=True)
    conversation = conversations[_chat_key(item.event)]
    ids = tuple(next(outbox_ids) for _ in item.result.replies)
    return Outcome(conversation.id, tuple(item.result.replies), ids)


def _chat_key(event: InboundEvent) -> ChatKey:
    return (event.channel, event.chat_id)


def _message_key(event: InboundEvent) -> MessageKey:
    return (event.channel, event.message_id)

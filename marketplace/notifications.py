"""The notification service: every message to a person, through each delivery they accept.

Anything that must tell someone something (a lead card for an agent, news of their lead for
a consumer, a contract or a receipt) calls `notify` with the session of the transaction that
caused it. The deliveries are outbox rows written in that same transaction, so a rolled-back
event tells no one, and a committed one reaches everyone, however often a sender fails::

    notify(session, Person.consumer(lead.consumer_id), Notification(
        kind=NotificationKind.RECEIPT,
        text=translated_text,  # first line: the e-mail's subject and the push's body
        chat_payload=reply.to_payload(),  # the chat message with its buttons, if any
        data={"payment_id": "42"},
    ), now)

Deliveries, in order:

1. **Chat** (the first choice): the chat the caller names, else the person's own (the
   agent's chat; the consumer's latest conversation). The message is the chat payload as
   given. On WhatsApp outside the 24-hour window the row still goes to the chat, where the
   WhatsApp sender holds it and sends the approved template (docs/whatsapp.md).
2. **Push**: one row per registered device, unless the person turned push off. It carries
   only the first line of the text, or `push_text` when the caller gives one: push goes
   through Google, and the whole message (which may hold what a consumer agreed to share
   with one supplier) stays in the chat. A message quoting what someone typed (a relayed
   answer or question) gives a `push_text` that only says one came: typed words may hold a
   phone number or an address.
3. **E-mail**: for lead, contract and receipt messages, to the address the person gave,
   unless they turned e-mail off. When the chat cannot reach the person now (WhatsApp's
   window is closed, the person is unreachable there, or there is no chat), every
   transactional message is e-mailed too, so it is not left waiting for them to write.

Marketing is separate from all of this: it is sent only while the consumer's `marketing`
consent stands (an agent never gets any), and never to a closed WhatsApp window, whose
templates are for service messages.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace import identities, outbox
from marketplace.consents import MARKETING, has_purpose_consent
from marketplace.devices import devices_of
from marketplace.models import Conversation, SupplierAgent
from marketplace.notification_preferences import email_address, preferences_of
from marketplace.people import Person, PersonKind

logger = logging.getLogger(__name__)

PUSH_CHANNEL = "push"
EMAIL_CHANNEL = "email"
WHATSAPP_CHANNEL = "whatsapp"
OUTBOX_KIND = "notification"
PUSH_TITLE = "Connect Energy"  # the product's name: not a sentence, not translated
PUSH_BODY_LENGTH = 200


class NotificationKind(StrEnum):
    """What a notification is about; it decides the deliveries beyond the chat."""

    LEAD_CARD = "lead_card"  # a new lead, to the supplier's agents
    LEAD_NEWS = "lead_news"  # accepted, declined, missed, a question: to the consumer
    RELAY = "relay"  # a message relayed between consumer and supplier
    NOTICE = "notice"  # a short service notice (a colleague took the lead): chat and push
    CONTRACT = "contract"  # a contract to sign, or signed
    RECEIPT = "receipt"  # a payment confirmed
    MARKETING = "marketing"  # news and offers nobody asked for: needs its own opt-in

    @property
    def emailed(self) -> bool:
        """Whether this kind goes by e-mail even when the chat works."""
        return self in EMAILED_KINDS

    @property
    def transactional(self) -> bool:
        """Whether this kind answers something the person did (everything but marketing)."""
        return self is not NotificationKind.MARKETING


EMAILED_KINDS = frozenset(
    {
        NotificationKind.LEAD_CARD,
        NotificationKind.LEAD_NEWS,
        NotificationKind.CONTRACT,
        NotificationKind.RECEIPT,
        NotificationKind.MARKETING,
    }
)


@dataclass(frozen=True)
class ChatTarget:
    """One chat: the channel and the chat id there."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class Notification:
    """What to tell a person, already in their language.

    `text` is the whole message as plain text (the e-mail body; its first line is the
    subject and the push body). `chat_payload` is the chat message (`Reply.to_payload()`,
    with buttons); None sends `text` alone. `chat` names the chat to use when it is not the
    person's usual one (the conversation where a consumer asked for the lead). `data` goes
    with the push, for the app to open the right screen. `about_consumer` names the consumer
    whose personal data a message to someone else carries (what they shared on a lead card,
    their words relayed to a supplier): forgetting that consumer deletes its deliveries, as
    it deletes every message to the consumer themself. `push_text` replaces the first line
    as the push body when that line quotes what someone typed.
    """

    kind: NotificationKind
    text: str
    chat_payload: Mapping[str, Any] | None = None
    chat: ChatTarget | None = None
    data: Mapping[str, str] = field(default_factory=dict)
    about_consumer: int | None = None
    push_text: str | None = None


@dataclass(frozen=True)
class Deliveries:
    """The outbox ids `notify` wrote, by delivery."""

    chat: int | None = None
    push: tuple[int, ...] = ()
    email: int | None = None

    @property
    def ids(self) -> list[int]:
        """Every outbox id, chat first."""
        chat = [self.chat] if self.chat is not None else []
        email = [self.email] if self.email is not None else []
        return [*chat, *self.push, *email]


def notify(
    session: Session, recipient: Person | None, notification: Notification, now: datetime
) -> Deliveries:
    """Write the deliveries of one notification to the outbox, in the caller's transaction.

    `recipient` None writes to the chat `notification.chat` alone (a chat that is no one we
    know yet); it is the only delivery then.
    """
    drafts = plan(session, recipient, notification, now)
    about = notification.about_consumer
    if about is None and recipient is not None and recipient.kind is PersonKind.CONSUMER:
        about = recipient.id
    written_drafts = [draft._replace(about_consumer_id=about) for _, draft in drafts]
    ids = iter(outbox.add_messages(session, written_drafts, now))
    chat: int | None = None
    push: list[int] = []
    email: int | None = None
    for delivery, _draft in drafts:
        written = next(ids)
        if delivery == PUSH_CHANNEL:
            push.append(written)
        elif delivery == EMAIL_CHANNEL:
            email = written
        else:
            chat = written
    return Deliveries(chat=chat, push=tuple(push), email=email)


def plan(
    session: Session, recipient: Person | None, notification: Notification, now: datetime
) -> list[tuple[str, outbox.OutboxDraft]]:
    """The rows `notify` would write, each with its delivery (`chat`, `push`, `email`)."""
    kind = notification.kind
    if recipient is None:
        chat_only = notification.chat
        return [("chat", _chat_draft(chat_only, notification))] if chat_only else []
    if not kind.transactional and not _accepts_marketing(session, recipient):
        return []
    chat = notification.chat or person_chat(session, recipient)
    chat_open = chat is not None and chat_reachable_now(session, chat, now)
    preferences = preferences_of(session, recipient)
    drafts: list[tuple[str, outbox.OutboxDraft]] = []

    if chat is not None and (kind.transactional or chat_open):
        drafts.append(("chat", _chat_draft(chat, notification)))
    if preferences.push:
        drafts.extend(
            (PUSH_CHANNEL, _push_draft(device.id, notification))
            for device in devices_of(session, recipient)
        )
    if preferences.email and (kind.emailed or not chat_open):
        address = email_address(session, recipient)
        if address:
            drafts.append((EMAIL_CHANNEL, _email_draft(address, notification)))
    return drafts


def person_chat(session: Session, person: Person) -> ChatTarget | None:
    """The person's usual chat: the agent's own, the consumer's latest conversation."""
    if person.kind is PersonKind.AGENT:
        row = session.execute(
            select(SupplierAgent.channel, SupplierAgent.chat_id).where(
                SupplierAgent.id == person.id
            )
        ).first()
    else:
        row = session.execute(
            select(Conversation.channel, Conversation.chat_id)
            .where(Conversation.consumer_id == person.id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(1)
        ).first()
    return ChatTarget(row.channel, row.chat_id) if row else None


def chat_reachable_now(session: Session, chat: ChatTarget, now: datetime) -> bool:
    """Whether a message to this chat would be seen now rather than wait for the person.

    Only WhatsApp closes: outside 24 hours of the person's last message (or when WhatsApp
    said the number cannot be reached) a message waits in the outbox until they write.
    """
    if chat.channel != WHATSAPP_CHANNEL:
        return True
    reach = identities.reach(session, (chat.channel, chat.chat_id))
    if reach is None or reach.unreachable or reach.last_inbound_at is None:
        return False
    return now - reach.last_inbound_at < identities.WHATSAPP_SERVICE_WINDOW


def _accepts_marketing(session: Session, person: Person) -> bool:
    if person.kind is not PersonKind.CONSUMER:
        return False  # agents receive leads, not advertising
    return has_purpose_consent(session, person.id, MARKETING)


def _chat_draft(chat: ChatTarget, notification: Notification) -> outbox.OutboxDraft:
    payload = dict(notification.chat_payload or {"text": notification.text, "options": []})
    return outbox.OutboxDraft(
        channel=chat.channel, recipient=chat.chat_id, payload=payload, kind=OUTBOX_KIND
    )


def _push_draft(device_id: int, notification: Notification) -> outbox.OutboxDraft:
    first_line = notification.text.strip().split("\n", 1)[0]
    body = (notification.push_text or first_line)[:PUSH_BODY_LENGTH]
    data = {"kind": notification.kind.value, **notification.data}
    payload = {"text": body, "options": [], "extra": {"title": PUSH_TITLE, "data": data}}
    # The recipient is the device's id, not its token: a device deleted meanwhile (dead,
    # or removed by its app) is then simply not sent to.
    return outbox.OutboxDraft(
        channel=PUSH_CHANNEL, recipient=str(device_id), payload=payload, kind=OUTBOX_KIND
    )


def _email_draft(address: str, notification: Notification) -> outbox.OutboxDraft:
    payload = {"text": notification.text, "options": []}
    return outbox.OutboxDraft(
        channel=EMAIL_CHANNEL, recipient=address, payload=payload, kind=OUTBOX_KIND
    )

"""The notification service: which deliveries one notification becomes, in the caller's
transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from marketplace.agents import add_agent
from marketplace.clock import FixedClock
from marketplace.consents import MARKETING, record_purpose_consent, revoke_purpose_consent
from marketplace.consumers import ensure_consumers
from marketplace.devices import Platform, register_device
from marketplace.models import ChannelIdentity, Consumer, OutboxMessage
from marketplace.notification_preferences import (
    email_address,
    set_email_address,
    set_preferences,
)
from marketplace.notifications import (
    ChatTarget,
    Notification,
    NotificationKind,
    notify,
)
from marketplace.people import Person
from tests.conftest import TEST_NOW
from tests.marketplace.factories import add_supplier

WHATSAPP_CHAT = ChatTarget("whatsapp", "5585999991234")
TELEGRAM_CHAT = ChatTarget("telegram", "4242")


def news(
    kind: NotificationKind = NotificationKind.LEAD_NEWS, *, chat: ChatTarget | None = None
) -> Notification:
    return Notification(
        kind=kind,
        text="Boa notícia: a Sol Ltda aceitou seu pedido.\nEla vai entrar em contato.",
        chat=chat,
        data={"lead_id": "7"},
    )


def consumer_on(session: Session, chat: ChatTarget, *, wrote_ago: timedelta | None) -> Person:
    key = (chat.channel, chat.chat_id)
    consumer_id = ensure_consumers(session, {key: "pt_BR"}, TEST_NOW)[key]
    # Set the last message's time outright: a first contact counts as one written now.
    last = TEST_NOW - wrote_ago if wrote_ago is not None else None
    session.execute(
        update(ChannelIdentity)
        .where(ChannelIdentity.consumer_id == consumer_id)
        .values(last_inbound_at=last)
    )
    return Person.consumer(consumer_id)


def rows(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        found = session.execute(
            select(OutboxMessage.channel, OutboxMessage.recipient).order_by(OutboxMessage.id)
        )
        return [(row.channel, row.recipient) for row in found]


def test_a_consumer_with_device_and_email_gets_chat_then_push_then_email(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        device, _ = register_device(session, maria, "token-maria", Platform.ANDROID, clock.now())
        set_email_address(session, maria, "maria@example.com", clock.now())

        deliveries = notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now())

    assert rows(sessions) == [
        ("telegram", "4242"),
        ("push", str(device.id)),
        ("email", "maria@example.com"),
    ]
    assert len(deliveries.ids) == 3
    with sessions() as session:
        push = session.get_one(OutboxMessage, deliveries.push[0]).payload
    # Push carries the first line only; the rest stays in the chat.
    assert push["text"] == "Boa notícia: a Sol Ltda aceitou seu pedido."
    assert push["extra"]["data"] == {"kind": "lead_news", "lead_id": "7"}


def test_a_rolled_back_event_notifies_no_one(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        register_device(session, maria, "token-maria", Platform.IOS, clock.now())
        set_email_address(session, maria, "maria@example.com", clock.now())

    def failing_event() -> None:
        with sessions.begin() as session:
            assert len(notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now()).ids) == 3
            raise RuntimeError("the event failed after notifying")

    with pytest.raises(RuntimeError):
        failing_event()

    assert rows(sessions) == []


def test_preferences_turn_push_and_email_off_but_never_the_chat(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        register_device(session, maria, "token-maria", Platform.WEB, clock.now())
        set_email_address(session, maria, "maria@example.com", clock.now())
        set_preferences(session, maria, clock.now(), push=False)
        notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now())
    assert [channel for channel, _ in rows(sessions)] == ["telegram", "email"]

    with sessions.begin() as session:
        set_preferences(session, maria, clock.now(), email=False)
        set_preferences(session, maria, clock.now(), push=True)
        notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now())
    assert [channel for channel, _ in rows(sessions)][2:] == ["telegram", "push"]


def test_a_consumer_email_is_used_only_with_their_consent(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        # An address on the row without the consent to be written there is not enough.
        session.get_one(Consumer, maria.id).email = "maria@example.com"
        session.flush()
        assert email_address(session, maria) is None
        notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now())

        set_email_address(session, maria, "maria@example.com", clock.now())
        set_email_address(session, maria, None, clock.now())
        notify(session, maria, news(chat=TELEGRAM_CHAT), clock.now())

    assert [channel for channel, _ in rows(sessions)] == ["telegram", "telegram"]


def test_only_lead_contract_and_receipt_messages_are_emailed_while_the_chat_works(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        set_email_address(session, maria, "maria@example.com", clock.now())
        for kind in NotificationKind:
            if kind.transactional:
                notify(session, maria, news(kind, chat=TELEGRAM_CHAT), clock.now())

    with sessions() as session:
        emailed = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.channel == "email")
        ).all()
    assert len(emailed) == 4  # lead card, lead news, contract, receipt; not relay nor notice


def test_marketing_needs_its_own_opt_in(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, TELEGRAM_CHAT, wrote_ago=None)
        register_device(session, maria, "token-maria", Platform.ANDROID, clock.now())
        set_email_address(session, maria, "maria@example.com", clock.now())
        offer = news(NotificationKind.MARKETING, chat=TELEGRAM_CHAT)

        assert notify(session, maria, offer, clock.now()).ids == []
        record_purpose_consent(session, maria.id, MARKETING, clock.now())
        assert len(notify(session, maria, offer, clock.now()).ids) == 3
        revoke_purpose_consent(session, maria.id, MARKETING, clock.now())
        assert notify(session, maria, offer, clock.now()).ids == []


def test_agents_never_receive_marketing(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Sol Ltda")
        agent = add_agent(
            session, supplier.id, channel="telegram", chat_id="77", name="Ana", now=clock.now()
        )
        set_email_address(session, Person.agent(agent.id), "ana@sol.example", clock.now())
        ana = Person.agent(agent.id)

        assert notify(session, ana, news(NotificationKind.MARKETING), clock.now()).ids == []
        card = notify(session, ana, news(NotificationKind.LEAD_CARD), clock.now())

    # Without a chat named, the agent's own chat is used.
    assert rows(sessions) == [("telegram", "77"), ("email", "ana@sol.example")]
    assert card.email is not None


def test_inside_the_whatsapp_window_a_relay_goes_to_the_chat_alone(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, WHATSAPP_CHAT, wrote_ago=timedelta(hours=23))
        set_email_address(session, maria, "maria@example.com", clock.now())
        notify(session, maria, news(NotificationKind.RELAY, chat=WHATSAPP_CHAT), clock.now())

    assert rows(sessions) == [("whatsapp", WHATSAPP_CHAT.chat_id)]


def test_outside_the_whatsapp_window_the_chat_row_waits_and_email_carries_the_message(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, WHATSAPP_CHAT, wrote_ago=timedelta(hours=25))
        set_email_address(session, maria, "maria@example.com", clock.now())
        notify(session, maria, news(NotificationKind.RELAY, chat=WHATSAPP_CHAT), clock.now())
        # Marketing never opens a closed window (templates are for service messages).
        record_purpose_consent(session, maria.id, MARKETING, clock.now())
        notify(session, maria, news(NotificationKind.MARKETING, chat=WHATSAPP_CHAT), clock.now())

    # The chat row goes to the WhatsApp sender's template-and-hold path; e-mail meanwhile.
    assert rows(sessions) == [
        ("whatsapp", WHATSAPP_CHAT.chat_id),
        ("email", "maria@example.com"),
        ("email", "maria@example.com"),
    ]


def test_a_person_who_never_wrote_on_whatsapp_is_outside_the_window(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        maria = consumer_on(session, WHATSAPP_CHAT, wrote_ago=None)
        set_email_address(session, maria, "maria@example.com", clock.now())
        notify(session, maria, news(NotificationKind.NOTICE, chat=WHATSAPP_CHAT), clock.now())

    assert [channel for channel, _ in rows(sessions)] == ["whatsapp", "email"]


def test_a_notification_without_a_person_goes_to_the_named_chat_only(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions.begin() as session:
        notify(session, None, news(chat=TELEGRAM_CHAT), clock.now())
        assert notify(session, None, news(), clock.now()).ids == []

    assert rows(sessions) == [("telegram", "4242")]

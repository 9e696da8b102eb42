"""Account commands in chat: where notifications reach a person, answered in place."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import build_flows
from conversations.engine import ConversationEngine
from marketplace.app_accounts import link_subject
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.consents import EMAIL_CONTACT, MARKETING, has_purpose_consent
from marketplace.models import OutboxMessage, SupplierAgent
from marketplace.notification_preferences import email_address, preferences_of
from marketplace.people import Person
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import PATHS
from tests.conversations.supplier_support import SOLAR_SUPPLIER, invite_code


@pytest.fixture
def engine_with_accounts(sessions: sessionmaker[Session], clock: FixedClock) -> ConversationEngine:
    """The bot's own flows (consumer, supplier, account) over the demo catalog."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    return ConversationEngine(sessions, build_flows(), clock=clock, default_flow="consumer")


def consumer_of(sessions: sessionmaker[Session], chat: Chat) -> Person:
    consumer_id = chat.state(sessions).consumer_id
    assert consumer_id is not None
    return Person.consumer(consumer_id)


def test_an_agent_sets_an_email_and_gets_the_next_card_there(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    agent = Chat(engine_with_accounts, "7001", channel="telegram", locale="en")
    agent.say(f"/start {invite_code(sessions, clock, SOLAR_SUPPLIER)}")

    [answer, *_] = agent.say("/email Ana@Sol.Example")
    Chat(engine_with_accounts, "c-1", channel="web", locale="en").go_through(*PATHS["done"])

    assert answer.text == (
        "Done: lead and receipt messages will also reach Ana@sol.example. Send /email off to stop."
    )
    with sessions() as session:
        assert session.scalars(select(SupplierAgent.email)).one() == "Ana@sol.example"
        [mail] = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email"))
    assert mail.recipient == "Ana@sol.example"
    assert mail.payload["text"].startswith("New lead #")


def test_a_consumer_email_is_their_consent_and_off_withdraws_it(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    person = Chat(engine_with_accounts, "c-2", channel="web", locale="en")
    person.go_through("oi", "sim")

    person.say("/email maria@example.com")
    maria = consumer_of(sessions, person)
    with sessions() as session:
        assert email_address(session, maria) == "maria@example.com"
        assert has_purpose_consent(session, maria.id, EMAIL_CONTACT)

    [answer, *_] = person.say("/email off")
    assert answer.text == "Done: I will not send you e-mails any more."
    with sessions() as session:
        assert email_address(session, maria) is None
        assert not has_purpose_consent(session, maria.id, EMAIL_CONTACT)


def test_a_command_answers_in_place_and_the_question_is_asked_again(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    person = Chat(engine_with_accounts, "c-3", channel="web", locale="pt_BR")
    before = person.go_through(*PATHS["bill"])

    replies = person.say("/push off")

    assert replies[0].text == "Pronto: as notificações push estão desligadas."
    assert replies[-1] == before[-1]
    assert person.state(sessions).state == "bill"
    with sessions() as session:
        assert not preferences_of(session, consumer_of(sessions, person)).push


def test_an_email_typed_as_a_contact_for_a_supplier_is_no_command(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    person = Chat(engine_with_accounts, "c-4", channel="web", locale="pt_BR")

    person.go_through(*PATHS["contact"], "maria@example.com")

    with sessions() as session:
        assert email_address(session, consumer_of(sessions, person)) is None


def test_marketing_is_an_opt_in_of_its_own(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    person = Chat(engine_with_accounts, "c-5", channel="web", locale="pt_BR")
    person.go_through("oi", "sim")
    maria = consumer_of(sessions, person)

    person.say("/novidades sim")
    with sessions() as session:
        assert has_purpose_consent(session, maria.id, MARKETING)
    person.say("/novidades não")
    with sessions() as session:
        assert not has_purpose_consent(session, maria.id, MARKETING)


def test_the_app_code_links_an_identity_to_the_person_once(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    person = Chat(engine_with_accounts, "c-6", channel="web", locale="en")
    person.go_through("oi", "sim")

    [answer, *_] = person.say("/app")

    code = answer.text.split("\n", 1)[0].rsplit(" ", 1)[-1]
    assert code.startswith("APP-")
    with sessions.begin() as session:
        linked = link_subject(session, "https://id.example/", "auth0|maria", code, clock.now())
    assert linked == consumer_of(sessions, person)


def test_before_the_privacy_terms_a_consumer_gives_no_address(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    person = Chat(engine_with_accounts, "c-7", channel="web", locale="en")
    asked = person.say("oi")

    replies = person.say("/email maria@example.com")

    assert replies[0].text == "Please accept the privacy terms first, then send this again."
    assert replies[-1] == asked[-1]
    with sessions() as session:
        maria = consumer_of(sessions, person)
        assert email_address(session, maria) is None
        assert not has_purpose_consent(session, maria.id, EMAIL_CONTACT)


@pytest.mark.parametrize(
    "typed",
    [
        "/email ana@example.com, bia@example.com",
        "/email ana@example.com bia@example.com",
        "/email joão@example.com",
    ],
    ids=["a list", "two words", "accents"],
)
def test_an_email_that_cannot_be_kept_whole_is_asked_again(
    engine_with_accounts: ConversationEngine, sessions: sessionmaker[Session], typed: str
) -> None:
    person = Chat(engine_with_accounts, "c-9", channel="web", locale="en")
    person.go_through("oi", "sim")

    [answer, *_] = person.say(typed)

    assert answer.text.startswith("That e-mail does not look right.")
    with sessions() as session:
        assert email_address(session, consumer_of(sessions, person)) is None

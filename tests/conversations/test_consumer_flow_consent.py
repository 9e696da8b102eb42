"""The consumer flow's first question: greeting, privacy notice, policy, agree or decline."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine import ConversationEngine
from conversations.flow import END
from marketplace.consents import PRIVACY_TERMS
from marketplace.models import (
    Consumer,
    Conversation,
    InboundMessage,
    OutboxMessage,
    TranscriptEntry,
)
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import (
    CEP_QUESTION,
    GREETING_START,
    consents,
    labels,
    leads,
    reach,
    texts,
)


def test_the_greeting_says_what_the_bot_does_keeps_and_asks(person: Chat) -> None:
    replies = person.say("oi")

    assert len(replies) == 1
    greeting = replies[0].text
    assert greeting.startswith(GREETING_START)
    assert "economizar na conta de luz" in greeting
    assert "o seu estado (a partir do CEP), a sua distribuidora, o valor da sua conta" in greeting
    assert "Nada é enviado a nenhuma empresa sem antes perguntar a você." in greeting
    assert labels(replies[0]) == ["Concordo", "Não, obrigado", "Ler a política"]


def test_a_profile_name_is_greeted_by_its_first_name(person: Chat) -> None:
    replies = person.send(person.event("oi", user_name="Maria da Silva")).replies

    assert replies[0].text.startswith("Olá, Maria! Sou o Connect Energy.")


def test_a_profile_name_without_letters_is_not_used(person: Chat) -> None:
    replies = person.send(person.event("oi", user_name="  \u202e 123 ")).replies

    assert replies[0].text.startswith(GREETING_START)


def test_agreeing_records_the_privacy_consent_and_asks_the_cep(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    person.say("oi")

    replies = person.say("Concordo")

    assert texts(replies) == [CEP_QUESTION]
    assert labels(replies[0]) == ["Não sei meu CEP"]
    recorded = consents(sessions)
    assert [(c.purpose, c.supplier_id, c.revoked_at) for c in recorded] == [
        (PRIVACY_TERMS, None, None)
    ]
    assert person.state(sessions).state == "cep"


def test_reading_the_policy_then_agreeing(person: Chat, sessions: sessionmaker[Session]) -> None:
    person.say("oi")

    policy = person.say("Ler a política")
    agreed = person.say("1")

    assert policy[0].text.startswith("Nossa política de privacidade, em resumo:")
    assert "apagar seus dados" in policy[0].text
    assert policy[-1].text == "Você concorda com esses termos?"
    assert labels(policy[-1]) == ["Concordo", "Não, obrigado"]
    assert texts(agreed) == [CEP_QUESTION]
    assert len(consents(sessions)) == 1


def test_a_muddled_answer_is_asked_again(person: Chat, sessions: sessionmaker[Session]) -> None:
    person.say("oi")

    replies = person.say("talvez amanhã")

    assert texts(replies) == [
        'Por favor, toque em "Concordo" ou "Não, obrigado", ou responda sim ou não.'
    ]
    assert labels(replies[0]) == ["Concordo", "Não, obrigado", "Ler a política"]
    assert consents(sessions) == []


def test_help_at_the_consent_asks_for_agreement_plainly(person: Chat) -> None:
    person.say("oi")

    replies = person.say("ajuda")

    assert replies[0].text.startswith(
        "Preciso que você concorde que eu guarde suas respostas enquanto comparo as ofertas."
    )
    assert '"voltar": volta à pergunta anterior' in replies[0].text


def test_declining_ends_politely_and_keeps_nothing_personal(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    person.send(person.event("oi", user_name="Maria Silva"))

    replies = person.say("Não, obrigado")

    assert texts(replies) == [
        "Tudo bem: apaguei suas respostas e esta conversa. Guardo só o endereço deste chat, "
        "para nunca responder duas vezes à mesma mensagem. Se mudar de ideia, mande um oi "
        "quando quiser."
    ]
    conversation = person.state(sessions)
    assert conversation.state == END
    assert conversation.data == {"values": {}, "history": [], "shown": []}
    with sessions() as session:
        consumer = session.get_one(Consumer, conversation.consumer_id)
        lines = session.scalars(select(TranscriptEntry.body)).all()
        sent = session.scalars(select(OutboxMessage.payload)).all()
        inbound = session.scalars(select(InboundMessage.message_id)).all()
    assert (consumer.name, consumer.phone, consumer.email, consumer.uf) == (None,) * 4
    assert (consumer.distributor_id, consumer.bill_brl, consumer.monthly_kwh) == (None,) * 3
    assert consents(sessions) == []
    assert leads(sessions) == []
    # The transcript is empty: not even the refusal and the farewell are kept.
    assert lines == []
    assert [payload["text"] for payload in sent] == [replies[0].text]
    assert "Maria" not in repr(lines) + repr(sent)
    assert len(inbound) == 2  # what stops a redelivered message from being answered twice


def test_declining_after_a_lead_forgets_the_lead_too(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    reach(person, "done")
    assert len(leads(sessions)) == 1

    person.go_through("recomeçar", "não")

    assert leads(sessions) == []
    assert consents(sessions) == []
    with sessions() as session:
        consumer = session.get_one(Consumer, person.state(sessions).consumer_id)
        assert consumer.uf is None


def test_a_redelivered_refusal_is_answered_once(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    person.say("oi")
    refusal = person.event("não")

    first, again = person.send(refusal), person.send(refusal)

    assert again.duplicate
    assert again.replies == first.replies
    with sessions() as session:
        assert len(session.scalars(select(OutboxMessage.id)).all()) == 1


def test_after_declining_hi_starts_again(person: Chat, sessions: sessionmaker[Session]) -> None:
    person.go_through("oi", "não")

    replies = person.say("oi")

    assert replies[0].text.startswith(GREETING_START)
    assert person.say("sim")[-1].text == CEP_QUESTION
    assert len(consents(sessions)) == 1
    with sessions() as session:
        assert session.scalars(select(Conversation.state)).all() == ["cep"]


def test_nothing_typed_before_the_consent_is_kept(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    person.say("oi, sou Zacarias Pereira, cpf 123.456.789-09")
    person.say("meu telefone é 85 98888-7777")

    with sessions() as session:
        lines = session.scalars(select(TranscriptEntry.body)).all()
    assert "Zacarias" not in repr(lines)
    assert "98888" not in repr(lines)
    assert lines == []


def test_the_transcript_starts_after_the_consent(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    person.go_through("oi", "Concordo", "60110-000")

    with sessions() as session:
        said = [
            line.get("text")
            for line in session.scalars(select(TranscriptEntry.body)).all()
            if "message_id" in line
        ]
    assert said == ["60110-000"]


def test_a_symbol_around_s_is_not_a_consent(person: Chat, sessions: sessionmaker[Session]) -> None:
    person.say("oi")

    person.say("%s")

    assert consents(sessions) == []


def test_cancel_forgets_what_was_typed(person: Chat, sessions: sessionmaker[Session]) -> None:
    person.go_through("oi", "Concordo", "60110-000")

    person.say("cancelar")

    assert person.state(sessions).data["values"] == {}


def test_the_turn_that_gives_the_consent_keeps_the_bots_words_not_the_persons(
    person: Chat, sessions: sessionmaker[Session]
) -> None:
    # A reloaded chat shows the transcript: it must start at the question after the consent.
    person.say("oi, sou Zacarias")
    replies = person.say("Concordo")

    with sessions() as session:
        lines = session.execute(select(TranscriptEntry.direction, TranscriptEntry.body)).all()
    assert [direction for direction, _body in lines] == ["out"] * len(replies)
    assert [body["text"] for _direction, body in lines] == [reply.text for reply in replies]
    assert "Zacarias" not in repr(lines)
    assert "Concordo" not in repr(lines)


def kept_of(sessions: sessionmaker[Session], chat: Chat) -> tuple[list[str], list[str]]:
    """What the outbox and the transcript keep of one chat: texts sent, texts heard or said."""
    conversation = chat.state(sessions).id
    with sessions() as session:
        sent = session.scalars(
            select(OutboxMessage.payload)
            .where(OutboxMessage.recipient == chat.chat_id)
            .order_by(OutboxMessage.id)
        ).all()
        lines = session.scalars(
            select(TranscriptEntry.body)
            .where(TranscriptEntry.conversation_id == conversation)
            .order_by(TranscriptEntry.id)
        ).all()
    return [payload["text"] for payload in sent], [str(body.get("text")) for body in lines]


def test_a_refusal_in_a_batch_erases_the_earlier_answers_of_that_batch_too(
    consumer_engine: ConversationEngine, sessions: sessionmaker[Session]
) -> None:
    said = ("oi", "sim", "60110-000", "350", "recomeçar", "não", "oi")
    alone = Chat(consumer_engine, chat_id="5585999990001", locale="pt_BR")
    batched = Chat(consumer_engine, chat_id="5585999990002", locale="pt_BR")
    for text in said:
        alone.say(text)

    outcomes = consumer_engine.handle_batch([batched.event(text) for text in said])

    # What one message at a time keeps: the farewell, and the greeting that came after it.
    sent, heard = kept_of(sessions, alone)
    assert len(sent) == 2
    assert sent[0].startswith("Tudo bem: apaguei suas respostas")
    assert sent[1].startswith(GREETING_START)
    assert heard == []
    assert kept_of(sessions, batched) == (sent, heard)
    # The earlier turns of the batch answer nothing that could still be sent.
    assert [len(outcome.outbox_ids) for outcome in outcomes] == [0, 0, 0, 0, 0, 1, 1]
    assert [len(outcome.replies) for outcome in outcomes] == [0, 0, 0, 0, 0, 1, 1]

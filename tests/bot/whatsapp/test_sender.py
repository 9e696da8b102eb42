"""The WhatsApp sender against the fake Graph API: window, templates, rate limits, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.dispatcher import Dispatcher, DispatchReport
from bot.whatsapp.client import WhatsAppClient
from bot.whatsapp.limiter import RateLimiter
from bot.whatsapp.sender import Templates, WhatsAppSender
from conversations.events import Image, Option, Reply
from marketplace import identities, outbox
from marketplace.clock import FixedClock
from marketplace.models import ChannelIdentity, OutboxMessage
from marketplace.picpay_sandbox import qr_png
from tests.fakes.graph_api import FakeGraphApi, running_graph_api

ANA_CHAT, ANA_WA_ID = "5511987654321", "551187654321"  # she registered before the ninth digit
BRUNO = "5521998887777"
TEMPLATES = Templates("retomar_conversa", ("pt_BR", "en", "es"))


@pytest.fixture
def graph_api() -> Iterator[FakeGraphApi]:
    with running_graph_api() as fake:
        yield fake


@dataclass
class Kit:
    """A sender and dispatcher on the test database, as `serve` would wire them."""

    graph: FakeGraphApi
    sessions: sessionmaker[Session]
    clock: FixedClock
    limiter: RateLimiter
    templates: Templates | None = TEMPLATES
    access_token: str | None = None

    def dispatch(self) -> DispatchReport:
        return asyncio.run(self._dispatch())

    async def _dispatch(self) -> DispatchReport:
        async with WhatsAppClient.open_http(self.graph.url) as http:
            client = WhatsAppClient(
                http,
                access_token=self.access_token or self.graph.access_token,
                phone_number_id=self.graph.phone_number_id,
                version=self.graph.version,
            )
            sender = WhatsAppSender(
                client, self.sessions, self.clock, limiter=self.limiter, templates=self.templates
            )
            return await Dispatcher(self.sessions, [sender], self.clock).run_once()

    def wrote(self, chat_id: str, address: str, *, locale: str = "pt_BR") -> None:
        """The person of `chat_id` wrote to us from `address`, now."""
        with self.sessions.begin() as session:
            identities.note_inbound(
                session,
                ("whatsapp", chat_id),
                address=address,
                written_at=self.clock.now(),
                locale=locale,
                now=self.clock.now(),
            )

    def queue(self, chat_id: str, *replies: Reply) -> list[int]:
        drafts = [outbox.OutboxDraft("whatsapp", chat_id, reply.to_payload()) for reply in replies]
        with self.sessions.begin() as session:
            return outbox.add_messages(session, drafts, self.clock.now())

    def row(self, row_id: int) -> OutboxMessage:
        with self.sessions() as session:
            found = session.get(OutboxMessage, row_id)
            assert found is not None
            return found

    def identity(self, chat_id: str) -> ChannelIdentity:
        with self.sessions() as session:
            return session.scalars(
                select(ChannelIdentity).where(ChannelIdentity.external_id == chat_id)
            ).one()


class PacedTime:
    """A monotonic clock for the limiter that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def paced() -> PacedTime:
    return PacedTime()


@pytest.fixture
def kit(
    graph_api: FakeGraphApi, sessions: sessionmaker[Session], clock: FixedClock, paced: PacedTime
) -> Kit:
    return Kit(graph_api, sessions, clock, RateLimiter(80, clock=paced, sleep=paced.sleep))


def test_a_reply_goes_to_the_wa_id_the_person_wrote_from(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Olá!", options=(Option("yes", "Sim"),)))

    report = kit.dispatch()

    [body] = kit.graph.accepted()
    assert report.sent == 1
    assert body["to"] == ANA_WA_ID
    assert body["interactive"]["action"]["buttons"][0]["reply"]["id"] == "yes"
    assert kit.row(row_id).status == "sent"
    assert kit.row(row_id).provider_message_id == kit.graph.wamids()[0]


def test_131047_sends_the_template_and_holds_the_message(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Seu contrato chegou."))
    kit.graph.fail_next(131047)

    report = kit.dispatch()

    [template] = kit.graph.accepted()
    assert report.held == 1
    assert template["type"] == "template"
    assert template["to"] == ANA_WA_ID
    assert template["template"] == {
        "name": "retomar_conversa",
        "language": {"policy": "deterministic", "code": "pt_BR"},
    }
    assert kit.row(row_id).status == "held"
    assert kit.row(row_id).provider_message_id == kit.graph.wamids()[0]


def test_outside_the_window_one_template_goes_out_and_every_message_waits(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID, locale="es")
    kit.clock.advance(hours=24, seconds=1)
    first, second = kit.queue(ANA_CHAT, Reply("Novidade 1"), Reply("Novidade 2"))

    kit.dispatch()
    [third] = kit.queue(ANA_CHAT, Reply("Novidade 3"))
    kit.dispatch()

    assert [body["type"] for body in kit.graph.accepted()] == ["template"]
    assert kit.graph.accepted()[0]["template"]["language"]["code"] == "es"
    assert [kit.row(row).status for row in (first, second, third)] == ["held"] * 3


def test_without_a_template_messages_outside_the_window_just_wait(kit: Kit) -> None:
    kit.templates = None
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    kit.clock.advance(days=2)
    [row_id] = kit.queue(ANA_CHAT, Reply("Novidade"))

    kit.dispatch()

    assert kit.graph.requests == []
    assert kit.row(row_id).status == "held"


def test_someone_who_never_wrote_gets_only_the_template(kit: Kit) -> None:
    [row_id] = kit.queue(BRUNO, Reply("Um novo pedido chegou."))

    kit.dispatch()

    [template] = kit.graph.accepted()
    assert (template["type"], template["to"]) == ("template", BRUNO)
    assert kit.row(row_id).status == "held"


def test_130429_slows_down_then_the_message_goes_out(kit: Kit, paced: PacedTime) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Olá!"))
    kit.graph.fail_next(130429)

    first = kit.dispatch()
    waiting = kit.row(row_id)
    kit.clock.advance(seconds=10)
    second = kit.dispatch()

    assert (first.retried, second.sent) == (1, 1)
    assert waiting.status == "pending"
    assert waiting.next_attempt_at >= kit.clock.now() - timedelta(seconds=10) + timedelta(
        seconds=2
    )
    assert [r.answered for r in kit.graph.requests] == [400, 200]
    assert kit.row(row_id).status == "sent"
    assert paced.sleeps == [pytest.approx(2.0)]  # no call from the number for two seconds


def test_131056_backs_off_that_recipient_only(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    kit.wrote(BRUNO, BRUNO)
    ana_first, ana_second = kit.queue(ANA_CHAT, Reply("Um"), Reply("Dois"))
    [bruno] = kit.queue(BRUNO, Reply("Oi, Bruno"))
    kit.graph.fail_next(131056, to=ANA_WA_ID)

    kit.dispatch()

    assert kit.row(bruno).status == "sent"
    assert kit.row(ana_first).status == "pending"
    assert kit.row(ana_first).next_attempt_at >= kit.clock.now() + timedelta(seconds=6)
    assert kit.row(ana_second).status == "pending"
    assert [body["to"] for body in kit.graph.accepted()] == [BRUNO]


def test_131026_marks_the_person_unreachable_and_sends_them_nothing_more(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [first] = kit.queue(ANA_CHAT, Reply("Olá!"))
    kit.graph.fail_next(131026)

    kit.dispatch()
    [later] = kit.queue(ANA_CHAT, Reply("Ainda aí?"))
    kit.dispatch()

    assert kit.row(first).status == "failed"
    assert kit.row(later).status == "failed"
    assert kit.identity(ANA_CHAT).unreachable is True
    assert len(kit.graph.requests) == 1


@pytest.mark.parametrize("code", [131000, 190])
def test_passing_faults_and_credentials_keep_the_message_for_later(kit: Kit, code: int) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Olá!"))
    kit.graph.fail_next(code)

    report = kit.dispatch()

    assert report.retried == 1
    assert kit.row(row_id).status == "pending"


def test_long_text_then_options_resumes_at_the_options_after_a_fault(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    text = "Sua conta de luz, item por item. " * 40  # over the 1,024 of an interactive body
    options = (Option("yes", "Sim"), Option("no", "Não"))
    [row_id] = kit.queue(ANA_CHAT, Reply(text, options=options))
    kit.graph.fail_next(131000, skip=1)

    first = kit.dispatch()
    after_failure = kit.row(row_id).parts_sent
    kit.clock.advance(hours=1)
    second = kit.dispatch()

    accepted = kit.graph.accepted()
    assert (first.retried, second.sent) == (1, 1)
    assert after_failure == 1
    assert [r.answered for r in kit.graph.requests] == [200, 500, 200]
    assert [body["type"] for body in accepted] == ["text", "interactive"]
    assert accepted[0]["text"]["body"] == text.strip()
    assert kit.row(row_id).status == "sent"
    assert kit.row(row_id).provider_message_id == kit.graph.wamids()[-1]


def test_a_wrong_access_token_is_refused_by_the_fake_and_retried(kit: Kit) -> None:
    kit.access_token = "someone-elses-token"
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Olá!"))

    kit.dispatch()

    assert [r.answered for r in kit.graph.requests] == [401]
    assert kit.row(row_id).status == "pending"
    assert kit.row(row_id).next_attempt_at >= kit.clock.now() + timedelta(minutes=5)


def test_a_message_meta_calls_invalid_fails_for_good(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    [row_id] = kit.queue(ANA_CHAT, Reply("Olá!"))
    kit.graph.fail_next(100)

    report = kit.dispatch()

    assert report.failed == 1
    assert kit.row(row_id).status == "failed"


def test_the_limiter_spaces_calls_at_the_configured_rate(paced: PacedTime) -> None:
    limiter = RateLimiter(80, clock=paced, sleep=paced.sleep)

    async def burst() -> None:
        await asyncio.gather(*(limiter.acquire() for _ in range(161)))

    asyncio.run(burst())

    assert paced.now == pytest.approx(2.0)  # 161 calls: the first at once, 160 at 1/80 s


def test_an_image_is_uploaded_then_sent_by_its_media_id(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    png = qr_png("https://app.picpay.com/checkout/abc")
    reply = Reply("Pague: https://app.picpay.com/checkout/abc", image=Image(png, "QR code"))
    [row_id] = kit.queue(ANA_CHAT, reply)

    report = kit.dispatch()

    [upload] = kit.graph.uploads()
    assert upload == {
        "messaging_product": "whatsapp",
        "type": "image/png",
        "file": {"type": "image/png", "size": len(png)},
    }
    image, text = kit.graph.accepted()
    assert image["type"] == "image"
    assert image["image"]["caption"] == "QR code"
    assert image["image"]["id"] in kit.graph.media_ids
    assert text["text"]["body"].startswith("Pague:")
    assert report.sent == 1
    assert kit.row(row_id).status == "sent"


def test_an_image_already_sent_is_not_uploaded_again_on_retry(kit: Kit) -> None:
    kit.wrote(ANA_CHAT, ANA_WA_ID)
    kit.graph.fail_next(131000, skip=1)  # the image goes out, the text fails
    kit.queue(ANA_CHAT, Reply("Pague aqui", image=Image(qr_png("x"), "QR code")))

    kit.dispatch()
    kit.clock.advance(minutes=5)
    kit.dispatch()

    assert len(kit.graph.uploads()) == 1
    assert [body["type"] for body in kit.graph.accepted()] == ["image", "text"]

"""The signing page over HTTP: what it shows, what it refuses, and that it signs once."""

from __future__ import annotations

import logging
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import jwt
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.runtime import Runtime
from marketplace.clock import FixedClock
from marketplace.contract_tokens import AUDIENCE, derive_key
from marketplace.contracts import ContractStatus
from marketplace.models import (
    Contract,
    ContractSignature,
    ContractVersion,
    Conversation,
    UsedToken,
)
from tests.conversations.conftest import Chat
from tests.support.contracts import VALID_CPF, only_contract
from webhooks.contracts import HideSigningLinks

HIDDEN = re.compile(r'<input type="hidden" name="(\w+)" value="([^"]*)">')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the signing form."""
    return dict(HIDDEN.findall(html))


def filled(page: httpx.Response, **fields: str) -> dict[str, str]:
    """The form of a page, with the person's answers."""
    answers = {"full_name": "Maria da Silva", "cpf": VALID_CPF, "agree": "yes"}
    answers.update(fields)
    return hidden_fields(page.text) | {k: v for k, v in answers.items() if v != "-"}


def count(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_page_shows_the_contract_text_and_its_hash_with_safe_headers(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    assert page.status_code == 200
    contract = only_contract(sessions)
    assert '<html lang="pt-BR">' in page.text
    assert "CONTRATADA: Sol Nascente Energia (demo), CNPJ" in page.text
    assert "DIREITO DE ARREPENDIMENTO" in page.text
    assert hidden_fields(page.text)["document_sha256"] == contract.text_sha256
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<label for="cpf">CPF</label>' in page.text


def test_signing_records_the_evidence_and_says_what_happens_next(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    done = contract_client.post(
        f"/contracts/{contract_token}",
        data=filled(page),
        headers={"user-agent": "Phone Browser 1.0"},
    )

    assert done.status_code == 200
    assert "Contrato assinado" in done.text
    assert "O link de pagamento chega na mesma conversa" in done.text
    assert "nada a pagar" not in done.text
    contract = only_contract(sessions)
    assert contract.status == ContractStatus.SIGNED
    with sessions() as session:
        signature = session.scalars(select(ContractSignature)).one()
    assert signature.signer_cpf == "52998224725"
    assert signature.signer_name == "Maria da Silva"
    assert signature.document_sha256 == contract.text_sha256
    assert signature.user_agent == "Phone Browser 1.0"
    assert signature.ip_address == "testclient"
    assert signature.channel == "web"
    assert signature.signed_text.startswith(contract.text.rstrip("\n"))
    assert count(sessions, UsedToken) == 1


def test_with_nothing_due_the_signed_page_says_the_contract_is_active(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.execute(
            update(Contract).values(amount_due_brl=Decimal("0.00"), amount_basis="none")
        )
    page = contract_client.get(f"/contracts/{contract_token}")

    done = contract_client.post(f"/contracts/{contract_token}", data=filled(page))

    assert done.status_code == 200
    assert only_contract(sessions).status == ContractStatus.ACTIVE
    assert "Nada é pago na assinatura." in done.text
    assert "Como não há nada a pagar, o seu contrato já está ativo." in done.text
    assert "link de pagamento" not in done.text


def test_opening_and_previews_consume_nothing(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    for _ in range(3):
        contract_client.get(
            f"/contracts/{contract_token}", headers={"user-agent": "TelegramBot (like TwitterBot)"}
        )
    head = contract_client.head(f"/contracts/{contract_token}")

    assert head.status_code == 200
    assert count(sessions, UsedToken) == 0
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE
    assert contract_client.get(f"/contracts/{contract_token}").status_code == 200


def test_bad_fields_come_back_with_a_message_each_and_what_was_typed(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    again = contract_client.post(
        f"/contracts/{contract_token}",
        data=filled(page, full_name="Maria", cpf="111.111.111-11", agree="-"),
    )

    assert again.status_code == 422
    assert "Digite seu nome completo: nome e sobrenome." in again.text
    assert "Este CPF não é válido: confira os dígitos." in again.text
    assert "Marque a caixa" in again.text
    assert 'value="Maria"' in again.text
    assert 'value="111.111.111-11"' in again.text
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE


def test_cpf_check_digits_are_checked(contract_client: TestClient, contract_token: str) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    again = contract_client.post(
        f"/contracts/{contract_token}", data=filled(page, cpf="529.982.247-26")
    )

    assert again.status_code == 422
    assert "Este CPF não é válido" in again.text


def test_a_form_without_its_csrf_token_is_refused(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")
    form = filled(page)
    form["csrf"] = "0" * 64

    refused = contract_client.post(f"/contracts/{contract_token}", data=form)
    contract_client.cookies.clear()
    no_cookie = contract_client.post(f"/contracts/{contract_token}", data=filled(page))

    assert refused.status_code == no_cookie.status_code == 403
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE
    assert count(sessions, UsedToken) == 0


def test_the_page_opened_in_two_tabs_signs_from_the_first(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    first = contract_client.get(f"/contracts/{contract_token}")
    second = contract_client.get(f"/contracts/{contract_token}")

    done = contract_client.post(f"/contracts/{contract_token}", data=filled(first))

    assert second.status_code == 200
    assert done.status_code == 200
    assert only_contract(sessions).status == ContractStatus.SIGNED


def test_two_tabs_opened_at_once_each_keep_a_form_that_signs(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    # Both tabs ask before either answer arrives: neither request carries a cookie yet.
    first = contract_client.get(f"/contracts/{contract_token}")
    contract_client.cookies.clear()
    second = contract_client.get(f"/contracts/{contract_token}")
    # The browser then keeps what both answers set, in the order they came.
    contract_client.cookies.clear()
    contract_client.cookies.update(first.cookies)
    contract_client.cookies.update(second.cookies)

    done = contract_client.post(f"/contracts/{contract_token}", data=filled(first))

    assert done.status_code == 200
    assert only_contract(sessions).status == ContractStatus.SIGNED


def test_a_form_token_from_another_browser_is_refused(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    theirs = contract_client.get(f"/contracts/{contract_token}")
    contract_client.cookies.clear()
    contract_client.get(f"/contracts/{contract_token}")  # this browser's own cookie

    refused = contract_client.post(f"/contracts/{contract_token}", data=filled(theirs))

    assert refused.status_code == 403
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE


def test_a_csrf_token_with_letters_beyond_ascii_is_refused_not_a_500(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    form = filled(contract_client.get(f"/contracts/{contract_token}"))
    form["csrf"] = "é" * 64  # percent-encoded on the wire: the body itself is ASCII

    refused = contract_client.post(f"/contracts/{contract_token}", data=form)

    assert refused.status_code == 403
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE


def test_a_consumer_who_declines_the_privacy_terms_leaves_no_contract_to_open_or_sign(
    contract_client: TestClient,
    contract_token: str,
    contract_chat: Chat,
    sessions: sessionmaker[Session],
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")
    contract_chat.say("/restart")
    contract_chat.say("2")  # "Não, obrigado": the consumer is forgotten

    reopened = contract_client.get(f"/contracts/{contract_token}")
    signed = contract_client.post(f"/contracts/{contract_token}", data=filled(page))

    assert reopened.status_code == signed.status_code == 404
    assert "CONTRATADA" not in reopened.text
    assert "conta atual" not in reopened.text  # the bill they gave, in the contract's text
    assert count(sessions, Contract) == count(sessions, ContractVersion) == 0
    assert count(sessions, ContractSignature) == 0


def test_a_form_too_long_to_read_says_so_rather_than_blaming_the_csrf_check(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    huge = contract_client.post(
        f"/contracts/{contract_token}", data=filled(page, full_name="Maria " + "a" * 10_000)
    )

    assert huge.status_code == 413
    assert "O formulário é longo demais" in huge.text
    assert "CONTRATADA" not in huge.text
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE


def test_a_reused_link_gets_a_clear_page_and_no_contract_data(
    contract_client: TestClient, contract_token: str
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")
    form = filled(page)
    contract_client.post(f"/contracts/{contract_token}", data=form)

    reopened = contract_client.get(f"/contracts/{contract_token}")
    resent = contract_client.post(f"/contracts/{contract_token}", data=form)

    assert reopened.status_code == resent.status_code == 410
    assert "Este link já foi usado" in reopened.text
    assert "CONTRATADA" not in reopened.text


def test_double_submit_signs_once(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    form = filled(contract_client.get(f"/contracts/{contract_token}"))

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(
                lambda _: (
                    contract_client.post(f"/contracts/{contract_token}", data=form).status_code
                ),
                range(4),
            )
        )

    assert sorted(answers) == [200, 410, 410, 410]
    assert count(sessions, ContractSignature) == 1


def test_an_altered_token_is_not_found(contract_client: TestClient, contract_token: str) -> None:
    header, payload, signature = contract_token.split(".")
    altered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"

    for token in (altered, "not-a-token", "a" * 5000):
        page = contract_client.get(f"/contracts/{token}")
        assert page.status_code == 404
        assert "CONTRATADA" not in page.text


def test_an_expired_link_is_gone(
    contract_client: TestClient, contract_token: str, clock: FixedClock
) -> None:
    clock.advance(hours=73)

    page = contract_client.get(f"/contracts/{contract_token}")

    assert page.status_code == 410
    assert "Este link expirou" in page.text
    assert "CONTRATADA" not in page.text


def test_a_token_for_another_purpose_is_not_found(
    contract_client: TestClient, market_runtime: Runtime, clock: FixedClock
) -> None:
    key = derive_key(market_runtime.settings.resolved_secret_key(), "web-chat")
    now = int(clock.now().timestamp())
    claims = {"sub": "1", "aud": AUDIENCE, "iss": "connect-energy", "jti": "x", "iat": now}
    foreign = jwt.encode(claims | {"exp": now + 3600}, key, algorithm="HS256")

    assert contract_client.get(f"/contracts/{foreign}").status_code == 404


def test_a_changed_contract_is_shown_again_before_signing(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    form = filled(contract_client.get(f"/contracts/{contract_token}"))
    form["document_sha256"] = "f" * 64  # what an older version of the text hashed to

    again = contract_client.post(f"/contracts/{contract_token}", data=form)

    assert again.status_code == 409
    assert "O contrato mudou" in again.text
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE
    with sessions() as session:
        assert session.scalars(select(Contract.version)).one() == 1


def test_nonsense_bodies_are_refused_without_a_500(
    contract_client: TestClient, contract_token: str
) -> None:
    contract_client.get(f"/contracts/{contract_token}")
    url = f"/contracts/{contract_token}"

    answers = [
        contract_client.post(
            url, content=b"\xff\xfe", headers={"content-type": "application/x-www-form-urlencoded"}
        ),
        contract_client.post(url, json={"cpf": "1"}),
        contract_client.post(
            url,
            content=b"cpf=%ff%fe&csrf=1",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]


def test_access_log_lines_do_not_carry_signing_tokens() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/contracts/eyJhbGciOi.eyJzdWIi.sig?x=1", "1.1", 200),
        None,
    )

    HideSigningLinks().filter(record)

    assert record.getMessage() == '127.0.0.1:5000 - "GET /contracts/…?x=1 HTTP/1.1" 200'


def test_the_page_speaks_the_chat_language_around_the_portuguese_contract(
    contract_client: TestClient, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        session.execute(update(Conversation).values(locale="es"))

    page = contract_client.get(f"/contracts/{contract_token}")

    assert '<html lang="es">' in page.text
    assert "Firmar el contrato" in page.text
    assert "El contrato está en portugués" in page.text
    assert 'lang="pt-BR"' in page.text  # the contract itself


def test_control_characters_in_a_field_are_a_field_error(
    contract_client: TestClient, contract_token: str
) -> None:
    page = contract_client.get(f"/contracts/{contract_token}")

    again = contract_client.post(
        f"/contracts/{contract_token}", data=filled(page, full_name="Maria\x00 da\u202e Silva")
    )

    assert again.status_code == 422
    assert "Digite seu nome completo em letras" in again.text

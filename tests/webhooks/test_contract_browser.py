"""The signing page in a real headless Chromium (Debian's package) driven by Playwright.

The app runs as a real uvicorn server on 127.0.0.1. Playwright never downloads a browser:
it drives /usr/bin/chromium through `executable_path`. Without that browser the tests are
skipped on a developer's machine and fail in CI (CI=true), where scripts/test installs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, ViewportSize, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from marketplace.clock import FixedClock
from marketplace.contracts import ContractStatus
from marketplace.models import ContractSignature, UsedToken
from tests.support.contracts import DIRECT_PATH, VALID_CPF, only_contract

CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = ViewportSize(width=390, height=844)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not IN_CI,
    reason="Debian's chromium is not installed (/usr/bin/chromium); scripts/test installs it",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """A fresh Chromium profile with a phone-sized window, speaking Brazilian Portuguese."""
    assert CHROMIUM.exists(), "CI must have Debian's chromium at /usr/bin/chromium"
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=LAUNCH_ARGS,
            viewport=PHONE,
            locale="pt-BR",
        )
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def page(browser: BrowserContext) -> Page:
    return browser.new_page()


def fill_and_sign(page: Page, *, name: str, cpf: str, agree: bool = True) -> None:
    page.get_by_label("Nome completo").fill(name)
    page.get_by_label("CPF", exact=True).fill(cpf)
    if agree:
        page.get_by_label("Li o contrato e concordo com os seus termos.").check()
    page.get_by_role("button", name="Assinar o contrato").click()
    page.wait_for_load_state()


def rows(sessions: sessionmaker[Session], model: type[object]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_open_read_fill_and_sign_on_a_phone(
    page: Page, contract_server: str, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    response = page.goto(f"{contract_server}/contracts/{contract_token}")

    assert response is not None
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    assert "DIREITO DE ARREPENDIMENTO" in page.locator("#contract-text").inner_text()
    fits = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert fits, "the page scrolls sideways on a phone"

    fill_and_sign(page, name="Maria da Silva", cpf=VALID_CPF)

    assert page.get_by_role("heading", name="Contrato assinado").is_visible()
    assert "O que acontece agora" in page.content()
    assert only_contract(sessions).status == ContractStatus.SIGNED
    assert rows(sessions, ContractSignature) == 1


def test_field_errors_are_shown_per_field_and_keep_what_was_typed(
    page: Page, contract_server: str, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    page.goto(f"{contract_server}/contracts/{contract_token}")

    fill_and_sign(page, name="Maria", cpf="111.111.111-11", agree=False)

    assert page.locator("#full_name_error").inner_text() == (
        "Digite seu nome completo: nome e sobrenome."
    )
    assert page.locator("#cpf_error").inner_text() == "Este CPF não é válido: confira os dígitos."
    assert page.locator("#agree_error").is_visible()
    assert page.get_by_label("Nome completo").input_value() == "Maria"
    assert page.get_by_label("CPF", exact=True).get_attribute("aria-invalid") == "true"
    assert only_contract(sessions).status == ContractStatus.AWAITING_SIGNATURE

    fill_and_sign(page, name="Maria da Silva", cpf=VALID_CPF)

    assert page.get_by_role("heading", name="Contrato assinado").is_visible()


def test_an_altered_link_shows_a_clear_page_and_no_contract(
    page: Page, contract_server: str, contract_token: str
) -> None:
    altered = contract_token[:-3] + ("xyz" if not contract_token.endswith("xyz") else "abc")

    response = page.goto(f"{contract_server}/contracts/{altered}")

    assert response is not None
    assert response.status == 404
    assert page.get_by_role("heading", name="Link não encontrado").is_visible()
    assert page.locator("#contract-text").count() == 0


def test_a_used_link_opened_again_says_so(
    page: Page, contract_server: str, contract_token: str
) -> None:
    url = f"{contract_server}/contracts/{contract_token}"
    page.goto(url)
    fill_and_sign(page, name="Maria da Silva", cpf=VALID_CPF)

    response = page.goto(url)

    assert response is not None
    assert response.status == 410
    assert page.get_by_role("heading", name="Este link já foi usado").is_visible()
    assert page.locator("#contract-text").count() == 0


def test_an_expired_link_says_how_to_get_a_new_one(
    page: Page, contract_server: str, contract_token: str, clock: FixedClock
) -> None:
    clock.advance(hours=73)

    response = page.goto(f"{contract_server}/contracts/{contract_token}")

    assert response is not None
    assert response.status == 410
    assert page.get_by_role("heading", name="Este link expirou").is_visible()
    assert '"contrato"' in page.locator("#explanation").inner_text()


def test_a_link_preview_fetch_consumes_nothing(
    page: Page, contract_server: str, contract_token: str, sessions: sessionmaker[Session]
) -> None:
    url = f"{contract_server}/contracts/{contract_token}"
    bots = ("TelegramBot (like TwitterBot)", "WhatsApp/2.23.20.0", "facebookexternalhit/1.1")
    for agent in bots:
        assert httpx.get(url, headers={"user-agent": agent}).status_code == 200
        assert httpx.head(url, headers={"user-agent": agent}).status_code == 200

    assert rows(sessions, UsedToken) == 0
    page.goto(url)
    fill_and_sign(page, name="Maria da Silva", cpf=VALID_CPF)
    assert page.get_by_role("heading", name="Contrato assinado").is_visible()


def test_from_greeting_in_the_web_chat_to_a_signed_contract_and_its_copy(
    browser: BrowserContext, page: Page, contract_server: str, sessions: sessionmaker[Session]
) -> None:
    page.goto(f"{contract_server}/chat")
    page.locator("#log li.bot").first.wait_for()
    for text in DIRECT_PATH:
        replies = page.locator("#log li.bot").count()
        page.locator("#text").fill(text)
        page.locator("#text").press("Enter")
        page.wait_for_function(
            "n => document.querySelectorAll('#log li.bot').length > n"
            " && !document.querySelector('#log li.pending')",
            arg=replies,
        )

    link = page.locator('#log a[href*="/contracts/"]').last
    assert link.get_attribute("target") == "_blank"  # the chat stays open
    href = link.get_attribute("href") or ""
    # The link is built on PUBLIC_URL (the default port); the test server has its own.
    assert href.startswith("http://127.0.0.1:8000/contracts/")
    signing = browser.new_page()
    signing.goto(contract_server + href.removeprefix("http://127.0.0.1:8000"))
    fill_and_sign(signing, name="Maria da Silva", cpf=VALID_CPF)
    assert signing.get_by_role("heading", name="Contrato assinado").is_visible()

    page.bring_to_front()
    page.get_by_text("Assinado! Seu contrato").wait_for(timeout=15_000)
    assert page.get_by_role("button", name="Desistir").count() >= 1
    page.get_by_text("ASSINATURA ELETRÔNICA").wait_for()
    assert only_contract(sessions).status == ContractStatus.SIGNED

    page.reload()  # the news came from the signing page, not this chat's transcript
    page.get_by_text("Assinado! Seu contrato").wait_for()
    page.get_by_text("ASSINATURA ELETRÔNICA").wait_for()

    # The payment: link and QR code in the same conversation, paid in the sandbox's page.
    page.get_by_text("SANDBOX").first.wait_for(timeout=15_000)
    qr = page.locator('#log img[alt^="QR code"]')
    qr.wait_for()
    assert (qr.get_attribute("src") or "").startswith("data:image/png;base64,")
    pay_link = page.locator('#log a[href*="/sandbox/picpay/"]').last
    pay_href = pay_link.get_attribute("href") or ""
    assert pay_href.startswith("http://127.0.0.1:8000/sandbox/picpay/")
    sandbox = browser.new_page()
    sandbox.goto(contract_server + pay_href.removeprefix("http://127.0.0.1:8000"))
    sandbox.get_by_role("button", name="Pagar (simulado)").click()
    sandbox.wait_for_load_state()

    page.bring_to_front()
    page.get_by_text("recebido. Obrigado!").wait_for(timeout=15_000)
    page.get_by_text("está ativo").first.wait_for()
    assert only_contract(sessions).status == ContractStatus.ACTIVE


def test_after_a_refused_signature_a_phone_shows_what_to_fix(
    page: Page, contract_server: str, contract_token: str
) -> None:
    # The form is below the contract: coming back at the top of the page, a phone would show
    # the contract again and no sign of the errors.
    page.goto(f"{contract_server}/contracts/{contract_token}")

    fill_and_sign(page, name="Maria", cpf=VALID_CPF)

    assert page.locator("#errors").is_visible()
    assert in_viewport(page, "#errors")
    assert in_viewport(page, "#full_name_error")


def in_viewport(page: Page, selector: str) -> bool:
    """Whether the element is on screen now, without scrolling."""
    return bool(
        page.locator(selector).evaluate(
            "element => { const box = element.getBoundingClientRect();"
            " return box.top >= 0 && box.bottom <= window.innerHeight; }"
        )
    )

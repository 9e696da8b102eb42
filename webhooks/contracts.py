"""The contract-signing page: `GET /contracts/{token}` shows it, `POST` signs it.

The edge only: conversations.contract_signing checks the link, reads the form and signs.
Here live what is HTTP's: the form's CSRF check (a signed double submit bound to the browser
and the link, webhooks/csrf.py), the status codes, and headers that keep the page out of
caches, referrers and frames. Nothing a person typed is logged.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from bot.payment_checker import create_payment_now
from bot.runtime import Runtime
from conversations.contract_news import amount_line
from conversations.contract_signing import (
    Evidence,
    FormErrors,
    LinkProblem,
    LinkRefused,
    SignatureForm,
    SigningPage,
    check_link,
    open_contract,
    read_signature_form,
    sign,
)
from conversations.i18n import N_, Translator, negotiate_locale, translator_for
from marketplace.contract_tokens import ContractLinks
from marketplace.contracts import ContractRecord, ContractStatus, StaleDocument
from marketplace.conversation_store import chat_of
from marketplace.payments import Payments
from webhooks.csrf import FormGuard
from webhooks.page_headers import SECURITY_HEADERS

logger = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
CSRF_COOKIE = "contract_csrf"
MAX_FORM_BYTES = 8192

# A link that is not ours and a link to no contract read the same: neither says which.
NOT_FOUND = (
    404,
    N_("Link not found"),
    N_(
        "This link is not valid. Check that it was copied whole, or use the link in your "
        "conversation."
    ),
)
REFUSALS = {
    LinkProblem.NOT_OURS: NOT_FOUND,
    LinkProblem.UNKNOWN: NOT_FOUND,
    LinkProblem.EXPIRED: (
        410,
        N_("This link has expired"),
        N_(
            'Signing links work for a limited time. Type "contrato" in your conversation to '
            "get a new one."
        ),
    ),
    LinkProblem.USED: (
        410,
        N_("This link was already used"),
        N_("The contract was signed with this link. Your copy is in your conversation."),
    ),
    LinkProblem.CLOSED: (
        410,
        N_("This contract can no longer be signed"),
        N_("It was already signed, or withdrawn. Your conversation has the details."),
    ),
}

router = APIRouter()
_SIGNING_PATH = re.compile(r"/contracts/[^\s?#]+")


class HideSigningLinks(logging.Filter):
    """Blanks the token out of `/contracts/{token}` in access log lines.

    A signing link is a bearer credential until it is used: whoever reads the log could sign.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's arguments; never drops a line."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                _SIGNING_PATH.sub("/contracts/…", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def hide_signing_links_in_access_log() -> None:
    """Install `HideSigningLinks` on uvicorn's access logger, once."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, HideSigningLinks) for existing in access.filters):
        access.addFilter(HideSigningLinks())


@router.api_route("/contracts/{token}", methods=["GET", "HEAD"], response_class=HTMLResponse)
async def contract_page(token: str, request: Request) -> Response:
    """The contract to read and the form to sign it; opening it consumes nothing."""
    runtime: Runtime = request.app.state.runtime
    links: ContractLinks = request.app.state.contract_links
    try:
        page = await run_in_threadpool(
            open_contract, runtime.sessions, links.tokens, token, runtime.clock
        )
    except LinkRefused as refused:
        return _refusal(request, refused.problem)
    return _form(request, page)


@router.post("/contracts/{token}", response_class=HTMLResponse)
async def sign_contract(token: str, request: Request) -> Response:
    """Sign the contract with the name and CPF typed, once."""
    runtime: Runtime = request.app.state.runtime
    links: ContractLinks = request.app.state.contract_links
    try:
        claims = check_link(links.tokens, token, runtime.clock)
    except LinkRefused as refused:
        return _refusal(request, refused.problem)
    if len(await request.body()) > MAX_FORM_BYTES:  # more than any browser's form sends
        return _too_long(request)
    fields = await _form_fields(request)
    if fields is None or not _guard(links).accepts(
        request, fields.get("csrf", ""), claims.token_id
    ):
        logger.warning("signing form refused: missing or wrong CSRF token")
        return _csrf_refusal(request)

    form = SignatureForm(
        full_name=fields.get("full_name", ""),
        cpf=fields.get("cpf", ""),
        agreed=fields.get("agree") == "yes",
        document_sha256=fields.get("document_sha256", ""),
    )
    read = read_signature_form(form)
    if isinstance(read, FormErrors):
        return await _reshow(request, token, form, errors=read, status_code=422)
    evidence = Evidence(
        ip_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", "")[:500],
    )
    payments: Payments = request.app.state.payments
    try:
        signed = await run_in_threadpool(
            lambda: sign(
                runtime.sessions,
                claims,
                signer=read,
                document_sha256=form.document_sha256,
                evidence=evidence,
                clock=runtime.clock,
                payments=payments,
            )
        )
    except LinkRefused as refused:
        return _refusal(request, refused.problem)
    except StaleDocument:
        notice = N_("The contract changed since you opened it. Read this version and sign again.")
        return await _reshow(request, token, form, notice=notice, status_code=409)

    logger.info("contract %s signed on the page", signed.contract.id)
    locale = await run_in_threadpool(lambda: open_locale(runtime, signed.contract.conversation_id))
    translator = translator_for(locale)
    context = _base(translator) | {
        "contract": signed.contract,
        "amount_line": amount_line(translator, signed.contract),
        "payment_line": _payment_line(translator, signed.contract),
        "signed_sha256": signed.signed_sha256,
    }
    response = _render(request, "contracts/signed.html", context, status_code=200)
    if signed.payment_id is not None:
        # After the page is sent: the provider's link then reaches the chat. If this
        # process dies first, the periodic check creates the payment.
        response.background = BackgroundTask(create_payment_now, payments, signed.payment_id)
    return response


def open_locale(runtime: Runtime, conversation_id: int | None) -> str:
    """The language of the conversation a contract came from."""
    with runtime.sessions() as session:
        chat = chat_of(session, conversation_id) if conversation_id else None
        return chat.locale if chat else runtime.settings.default_locale


async def _reshow(
    request: Request,
    token: str,
    form: SignatureForm,
    *,
    errors: FormErrors | None = None,
    notice: str | None = None,
    status_code: int,
) -> Response:
    runtime: Runtime = request.app.state.runtime
    links: ContractLinks = request.app.state.contract_links
    try:
        page = await run_in_threadpool(
            open_contract, runtime.sessions, links.tokens, token, runtime.clock
        )
    except LinkRefused as refused:
        return _refusal(request, refused.problem)
    return _form(
        request,
        page,
        form=form,
        errors=errors,
        notice=notice,
        status_code=status_code,
    )


def _form(
    request: Request,
    page: SigningPage,
    *,
    form: SignatureForm | None = None,
    errors: FormErrors | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    links: ContractLinks = request.app.state.contract_links
    translator = translator_for(page.locale)
    _ = translator.gettext
    guard = _guard(links)
    nonce = guard.nonce(request)  # the browser's own, so every tab's form stays valid
    problems = errors.by_field if errors else {}
    context = _base(translator) | {
        "contract": page.contract,
        "amount_line": amount_line(translator, page.contract),
        "csrf": guard.token(nonce, page.claims.token_id),
        "values": {
            "full_name": form.full_name if form else "",
            "cpf": form.cpf if form else "",
            "agree": form.agreed if form else False,
        },
        "errors": {name: _(message) for name, message in problems.items()},
        "notice": _(notice) if notice else None,
        "portuguese": page.locale == "pt_BR",
    }
    response = _render(request, "contracts/sign.html", context, status_code=status_code)
    guard.give(request, response, nonce)
    return response


def _refusal(request: Request, problem: LinkProblem) -> Response:
    status_code, title, explanation = REFUSALS[problem]
    translator = _request_translator(request)
    _ = translator.gettext
    context = _base(translator) | {"heading": _(title), "explanation": _(explanation)}
    return _render(request, "contracts/refused.html", context, status_code=status_code)


def _csrf_refusal(request: Request) -> Response:
    translator = _request_translator(request)
    _ = translator.gettext
    context = _base(translator) | {
        "heading": _("The form could not be checked"),
        "explanation": _(
            "For your safety the form works only from the page it came from. Open the link "
            "from your conversation again and sign there."
        ),
    }
    return _render(request, "contracts/refused.html", context, status_code=403)


def _too_long(request: Request) -> Response:
    translator = _request_translator(request)
    _ = translator.gettext
    context = _base(translator) | {
        "heading": _("The form is too long"),
        "explanation": _(
            "Nothing was signed. Open the link from your conversation again, type your full "
            "name and CPF, and sign."
        ),
    }
    return _render(request, "contracts/refused.html", context, status_code=413)


def _render(
    request: Request, template: str, context: dict[str, Any], *, status_code: int
) -> Response:
    response = TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    return response


def _base(translator: Translator) -> dict[str, Any]:
    _ = translator.gettext
    return {
        "lang": translator.locale.replace("_", "-"),
        "brand": _("Connect Energy"),
        "page_title": _("Your contract"),
        "t": {
            "intro": _("Read the contract below. To sign it, fill in the form at the end."),
            "in_portuguese": _(
                "The contract is in Portuguese, the language of contracts in Brazil."
            ),
            "contract_label": _("Contract text"),
            "hash_label": _("Document fingerprint (SHA-256)"),
            "form_title": _("Sign the contract"),
            "full_name": _("Full name"),
            "full_name_hint": _("As on your documents."),
            "cpf": _("CPF"),
            "cpf_hint": _("11 digits, with or without dots and dash."),
            "agree": _("I have read the contract and agree to its terms."),
            "submit": _("Sign the contract"),
            "errors_title": _("Please check the fields marked below."),
            "signed_title": _("Contract signed"),
            "signed_intro": _("Thank you. Your contract #{number} with {supplier} is signed."),
            "next_title": _("What happens next"),
            "next_copy": _("Your signed copy was sent to your conversation with us."),
            "next_withdraw": _(
                'You may withdraw within 7 days by typing "arrependimento" in the '
                "conversation; anything paid is refunded in full."
            ),
            "signed_hash": _("Fingerprint of your signed copy (SHA-256)"),
        },
    }


def _payment_line(translator: Translator, contract: ContractRecord) -> str:
    """When the signed contract starts: now, with nothing to pay; once paid, otherwise."""
    if contract.status == ContractStatus.ACTIVE:  # conversations.contract_signing: nothing due
        return translator.gettext("With nothing to pay, your contract is active now.")
    return translator.gettext(
        "The payment link arrives in the same conversation; the contract starts once it is paid."
    )


def _request_translator(request: Request) -> Translator:
    header = request.headers.get("accept-language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip().replace("-", "_")
    return translator_for(negotiate_locale(first or None))


async def _form_fields(request: Request) -> dict[str, str] | None:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        return None
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)  # the first of a repeated field, as browsers send one
    return fields


def _guard(links: ContractLinks) -> FormGuard:
    # Bound to the browser's nonce AND the link's id: a form token from one link or browser
    # is worth nothing with another.
    return FormGuard(
        prefix=CSRF_COOKIE,
        path="/contracts",
        key=links.tokens.csrf_key,
        max_age=int(links.tokens.ttl.total_seconds()),
    )

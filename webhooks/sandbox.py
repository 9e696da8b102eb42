"""The PicPay sandbox's payment page: "pay" and "let expire", with no real money.

It exists only when payments run in the sandbox (no `PICPAY_TOKEN`). A button changes the
sandbox's own record of the payment, then runs our PicPay callback handler with the body
PicPay would send, so the status is read back through the sandbox client and applied by
the same code as a real one. Each form carries a token bound to the visitor's browser and
to the payment (CSRF, webhooks/csrf.py): another site cannot press the buttons for a
visitor. The page has the signing page's headers (no caching, no referrer, no frames, a
strict CSP), and `HEAD` answers like `GET`; neither changes anything.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from conversations.i18n import N_, Translator, negotiate_locale, translator_for
from marketplace.contract_tokens import derive_key
from marketplace.payments import Payments, UnknownPayment
from marketplace.picpay import PicPayNotFound
from marketplace.picpay_sandbox import SANDBOX_PATH, SandboxGateway, SandboxView
from webhooks.csrf import FormGuard
from webhooks.page_headers import SECURITY_HEADERS
from webhooks.picpay import REFERENCE_SHAPE, answer_callback

logger = logging.getLogger(__name__)

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
MAX_FORM_BYTES = 1024
CSRF_COOKIE = "sandbox_csrf"
CSRF_SECONDS = 7 * 24 * 3600  # longer than a payment link lives

PAGE_TEXT = {
    "title": N_("PicPay sandbox"),
    "banner": N_("Sandbox: this is not PicPay, and no real money moves."),
    "amount_label": N_("Amount"),
    "expires_label": N_("Can be paid until"),
    "status_label": N_("Status"),
    "recorded_label": N_("Connect Energy recorded"),
    "pay": N_("Pay (simulated)"),
    "expire": N_("Let it expire"),
    "back": N_("Go back to the chat: the confirmation is sent there."),
    "back_expired": N_("Go back to the chat: you can ask for a new link there."),
}
STATUS_TEXT = {
    "created": N_("waiting for payment"),
    "paid": N_("paid (simulated)"),
    "completed": N_("paid (simulated)"),
    "expired": N_("expired"),
    "refunded": N_("refunded (simulated)"),
    "creating": N_("being created"),
    "analysis": N_("under analysis"),
    "authorized": N_("under analysis"),
    "failed": N_("could not be created"),
    "chargeback": N_("charged back"),
}
NOT_FOUND = N_("There is no sandbox payment at this address.")
STALE_FORM = N_("This form is no longer valid. Reload the page and try again.")
NOT_NOTIFIED = N_("The sandbox could not tell Connect Energy yet; it will check again soon.")

router = APIRouter()


@router.api_route(
    SANDBOX_PATH + "/{reference_id}", methods=["GET", "HEAD"], response_class=HTMLResponse
)
async def sandbox_page(request: Request, reference_id: str) -> Response:
    """The sandbox's page for one payment; reading it changes nothing."""
    _ = _translator(request)
    gateway = _gateway(request)
    if gateway is None or not REFERENCE_SHAPE.match(reference_id):
        return _message_page(request, _, NOT_FOUND, status_code=404)
    try:
        view = await asyncio.to_thread(gateway.view, reference_id)
    except PicPayNotFound:
        return _message_page(request, _, NOT_FOUND, status_code=404)
    recorded = await _recorded_status(request.app.state.payments, reference_id)
    notice = request.query_params.get("notice") == "unnotified"
    return _payment_page(request, _, view, recorded, notice=notice)


@router.post(SANDBOX_PATH + "/{reference_id}/{action}", response_class=HTMLResponse)
async def sandbox_action(request: Request, reference_id: str, action: str) -> Response:
    """Press "pay" or "let expire" on a sandbox payment."""
    _ = _translator(request)
    gateway = _gateway(request)
    if (
        gateway is None
        or action not in ("pay", "expire")
        or not REFERENCE_SHAPE.match(reference_id)
    ):
        return _message_page(request, _, NOT_FOUND, status_code=404)
    body = await request.body()
    if not _form_token_matches(request, reference_id, body):
        logger.warning("sandbox form posted without a valid token")
        return _message_page(request, _, STALE_FORM, status_code=403)
    try:
        change = gateway.pay if action == "pay" else gateway.let_expire
        changed = await asyncio.to_thread(change, reference_id)
    except PicPayNotFound:
        return _message_page(request, _, NOT_FOUND, status_code=404)

    page = f"{SANDBOX_PATH}/{reference_id}"
    if changed or await _recorded_status(request.app.state.payments, reference_id) in (
        "created",
        "analysis",
        "authorized",
    ):
        # What PicPay would post to our callback URL, through the same handler. A press that
        # changed nothing may have found the payment past its time, which expired it: PicPay
        # calls back then too. (A repeat is harmless: applying a status is idempotent.)
        callback = json.dumps({"referenceId": reference_id}).encode()
        answer = await answer_callback(request.app.state.payments, callback)
        if answer.status_code != 200:
            page += "?notice=unnotified"
    redirect = RedirectResponse(page, status_code=303)
    redirect.headers.update(SECURITY_HEADERS)
    return redirect


def _guard(request: Request) -> FormGuard:
    secret_key = request.app.state.runtime.settings.resolved_secret_key()
    return FormGuard(
        prefix=CSRF_COOKIE,
        path=SANDBOX_PATH,
        key=derive_key(secret_key, "sandbox-picpay-csrf"),
        max_age=CSRF_SECONDS,
    )


def _form_token_matches(request: Request, reference_id: str, body: bytes) -> bool:
    if len(body) > MAX_FORM_BYTES:
        return False
    try:
        fields = parse_qs(body.decode("ascii"), strict_parsing=False)
    except UnicodeDecodeError:
        return False
    given = fields.get("csrf", [""])[0]
    return _guard(request).accepts(request, given, reference_id)


def _gateway(request: Request) -> SandboxGateway | None:
    payments: Payments | None = getattr(request.app.state, "payments", None)
    if payments is None or not isinstance(payments.gateway, SandboxGateway):
        return None  # real PicPay configured: there is no sandbox to show
    return payments.gateway


async def _recorded_status(payments: Payments, reference_id: str) -> str | None:
    try:
        view = await asyncio.to_thread(payments.view_by_reference, reference_id)
    except UnknownPayment:
        return None
    return view.status


def _payment_page(
    request: Request, _: Translator, view: SandboxView, recorded: str | None, *, notice: bool
) -> HTMLResponse:
    context = _page_context(_)
    guard = _guard(request)
    nonce = guard.nonce(request)
    context.update(
        reference_id=view.reference_id,
        amount=_.format_money(view.value),
        expires=_.format_datetime(view.expires_at),
        status=_.gettext(STATUS_TEXT.get(view.status, view.status)),
        recorded=_.gettext(STATUS_TEXT.get(recorded, recorded)) if recorded else "-",
        can_act=view.status == "created",
        settled=view.status in ("paid", "completed"),
        expired=view.status == "expired",
        csrf=guard.token(nonce, view.reference_id),
        notice=_.gettext(NOT_NOTIFIED) if notice else None,
        action_base=f"{SANDBOX_PATH}/{view.reference_id}",
    )
    response = TEMPLATES.TemplateResponse(request, "sandbox_picpay.html", context)
    response.headers.update(SECURITY_HEADERS)
    guard.give(request, response, nonce)
    return response


def _message_page(
    request: Request, _: Translator, message: str, *, status_code: int
) -> HTMLResponse:
    context = _page_context(_)
    context["message"] = _.gettext(message)
    response = TEMPLATES.TemplateResponse(
        request, "sandbox_picpay.html", context, status_code=status_code
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _page_context(_: Translator) -> dict[str, Any]:
    context: dict[str, Any] = {key: _.gettext(text) for key, text in PAGE_TEXT.items()}
    context["lang"] = _.locale.replace("_", "-")
    return context


def _translator(request: Request) -> Translator:
    header = request.headers.get("accept-language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()[:35]
    return translator_for(negotiate_locale(first))

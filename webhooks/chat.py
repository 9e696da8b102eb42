"""The web chat: its page and the small JSON API the page talks to."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.webchat import UnknownChat, WebChat
from conversations.errors import InvalidEvent, StepFailed, StorageUnavailable
from conversations.i18n import N_, negotiate_locale, translator_for

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
MAX_AFTER = 2**62

PAGE_TEXT = {
    "title": N_("Connect Energy"),
    "tagline": N_("Compare electricity offers for your home"),
    "log_label": N_("Conversation"),
    "input_label": N_("Your message"),
    "placeholder": N_("Type here…"),
    "send_label": N_("Send"),
    "noscript": N_("This chat needs JavaScript turned on."),
}
CLIENT_TEXT = {
    "resending": N_("Sending again…"),
}

router = APIRouter()


class SessionRequest(BaseModel):
    """Opening a web conversation."""

    model_config = ConfigDict(extra="ignore", strict=True)
    locale: str | None = Field(default=None, max_length=35)


class MessageRequest(BaseModel):
    """One message typed or tapped in the page."""

    model_config = ConfigDict(extra="forbid", strict=True)
    client_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str | None = Field(default=None, max_length=4000)
    option_id: str | None = Field(default=None, min_length=1, max_length=64)
    after: int = Field(default=0, ge=0, le=MAX_AFTER)
    locale: str | None = Field(default=None, max_length=35)

    @model_validator(mode="after")
    def _one_kind_of_content(self) -> MessageRequest:
        if (self.text is None) == (self.option_id is None):
            raise ValueError("send either text or option_id")
        return self


@router.get("/chat", response_class=HTMLResponse)
def chat_page(request: Request) -> HTMLResponse:
    """The web chat page."""
    locale = negotiate_locale(_first_language(request.headers.get("accept-language", "")))
    _ = translator_for(locale).gettext
    context: dict[str, Any] = {key: _(text) for key, text in PAGE_TEXT.items()}
    context["lang"] = locale.replace("_", "-")
    context["client_text"] = {key: _(text) for key, text in CLIENT_TEXT.items()}
    return TEMPLATES.TemplateResponse(request, "chat.html", context)


@router.post("/chat/api/session")
def open_session(body: SessionRequest, request: Request) -> dict[str, str]:
    """Start a web conversation; the token names it in every later call."""
    chat: WebChat = request.app.state.webchat
    return {"token": chat.tokens.issue()}


@router.post("/chat/api/messages")
def post_message(
    body: MessageRequest,
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Send one message; answers with the bot's messages after `after`."""
    chat: WebChat = request.app.state.webchat
    token = _token(chat, authorization)
    try:
        duplicate, messages = chat.post(
            token,
            client_id=body.client_id,
            text=body.text,
            option_id=body.option_id,
            locale=body.locale,
            after=body.after,
        )
    except InvalidEvent as error:
        raise HTTPException(status_code=400, detail=str(error)) from error
    except (StepFailed, StorageUnavailable) as error:
        # Nothing was recorded: the page resends the same client id, which is safe.
        raise HTTPException(status_code=503, detail="try again in a moment") from error
    return {"duplicate": duplicate, "messages": [message.to_json() for message in messages]}


@router.get("/chat/api/messages")
def get_messages(
    request: Request,
    after: Annotated[int, Query(ge=0, le=MAX_AFTER)] = 0,
    authorization: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """The bot's messages to this chat after `after` (the page polls this)."""
    chat: WebChat = request.app.state.webchat
    token = _token(chat, authorization)
    try:
        if not chat.exists(token):
            raise UnknownChat(token)
        messages = chat.pull(token, after=after)
    except UnknownChat as error:
        raise HTTPException(status_code=404, detail="no conversation for this token") from error
    except StorageUnavailable as error:
        raise HTTPException(status_code=503, detail="try again in a moment") from error
    return {"messages": [message.to_json() for message in messages]}


@router.get("/chat/api/history")
def get_history(
    request: Request, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any]:
    """The conversation so far, both sides, and the id to poll after (for a reloaded page)."""
    chat: WebChat = request.app.state.webchat
    token = _token(chat, authorization)
    try:
        history = chat.history(token)
    except UnknownChat as error:
        raise HTTPException(status_code=404, detail="no conversation for this token") from error
    except StorageUnavailable as error:
        raise HTTPException(status_code=503, detail="try again in a moment") from error
    return history.to_json()


def _token(chat: WebChat, authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.casefold() != "bearer" or not chat.tokens.verify(token.strip()):
        raise HTTPException(
            status_code=401, detail="a chat token issued by this server is required"
        )
    return token.strip()


def _first_language(header: str) -> str:
    return header.split(",", 1)[0].split(";", 1)[0].strip()[:35]

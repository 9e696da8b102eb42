"""The chat page on a phone-sized screen, with the real consumer flow; needs Chromium."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.flows import CONSUMER_FLOW
from bot.runtime import Runtime
from marketplace.catalog import load_demo_catalog
from marketplace.clock import FixedClock
from marketplace.settings import Settings
from tests.webhooks.browser import CHROMIUM, ChatPage, PageReport
from webhooks.app import create_app

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs chromium (apt-get install chromium)"
)

# Up to the ranked offers: the longest bubble and the most buttons of the conversation.
TO_THE_OFFERS = """
  harness.at(500, function () { harness.type("sim"); });
  harness.at(1000, function () { harness.type("60110000"); });
  harness.at(1500, function () { harness.type("uns 350"); });
"""


@pytest.fixture
def live_app(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session], clock: FixedClock
) -> FastAPI:
    """The product's app and consumer flow, with the demo catalog loaded."""
    with sessions.begin() as session:
        load_demo_catalog(session, clock=clock)
    runtime = Runtime(settings, engine, sessions, clock)
    return create_app(runtime=runtime, default_flow=CONSUMER_FLOW)


@pytest.fixture
def offers_on_a_phone(live_app: FastAPI, live_server: str, tmp_path: Path) -> PageReport:
    page = ChatPage(live_app, live_server, tmp_path)
    return page.open(TO_THE_OFFERS, size=(390, 844))


def test_money_is_never_split_from_its_symbol(offers_on_a_phone: PageReport) -> None:
    shown = offers_on_a_phone
    labels = [button["label"] for item in shown.items for button in item["buttons"]]

    assert any("R$\u00a0" in text for text in shown.texts("bot"))
    assert not any("R$ " in text for text in shown.texts("bot") + labels)


def test_a_rating_is_never_split_from_its_star(offers_on_a_phone: PageReport) -> None:
    offers = [text for text in offers_on_a_phone.texts("bot") if "\u2605" in text]

    assert offers
    assert all("\u2605 " not in text and "\u2605\u00a0" in text for text in offers)


def test_the_offers_fit_a_phone_with_the_input_in_view(
    live_app: FastAPI, live_server: str, tmp_path: Path
) -> None:
    page = ChatPage(live_app, live_server, tmp_path)
    screenshot = tmp_path / "offers-390x844.png"

    shown = page.open(TO_THE_OFFERS, size=(390, 844), screenshot=screenshot)

    layout = shown.layout
    width = layout["width"]
    assert screenshot.stat().st_size > 0
    assert layout["scroll_width"] <= layout["width"]
    assert layout["input"]["top"] >= 0
    assert layout["input"]["bottom"] <= layout["height"]
    # The offers are taller than the screen: they show from their first line.
    assert layout["log"]["top"] <= layout["last"]["top"] + 1 < layout["log"]["bottom"]
    assert all(0 <= button["left"] < button["right"] <= width for button in layout["buttons"])


def test_the_calculation_shows_from_its_first_line_not_scrolled_past_by_the_offers(
    live_app: FastAPI, live_server: str, tmp_path: Path
) -> None:
    page = ChatPage(live_app, live_server, tmp_path)
    ask = (
        TO_THE_OFFERS
        + """
      harness.at(2500, function () { harness.tap("Como você calculou?"); });
    """
    )

    shown = page.open(ask, size=(390, 844))

    # The answer is the calculation, then the offers again, together taller than the screen.
    [calculation] = [item for item in shown.items if item["text"].startswith("Como eu calculei")]
    log = shown.layout["log"]
    assert (
        shown.items[-1]["box"]["bottom"] - calculation["box"]["top"] > log["bottom"] - log["top"]
    )
    assert log["top"] - 1 <= calculation["box"]["top"] < log["bottom"]


def test_a_page_reloaded_before_the_consent_shows_the_greeting_again(
    live_app: FastAPI, live_server: str, tmp_path: Path
) -> None:
    # Nothing is kept in the transcript before the consent; the page must not come back blank.
    page = ChatPage(live_app, live_server, tmp_path)
    with page.api() as api:
        token = api.post("/chat/api/session", json={"locale": "pt-BR"}).json()["token"]
        auth = {"Authorization": f"Bearer {token}"}
        for body in ({"client_id": "open", "text": "/start"}, {"client_id": "c2", "text": "hmm"}):
            assert api.post("/chat/api/messages", json=body, headers=auth).status_code == 200

    shown = page.open(f"localStorage.setItem('ce-chat-token', {json.dumps(token)});")

    texts = shown.texts("bot")
    assert len(texts) == 2
    assert texts[0].startswith("Olá! Sou o Connect Energy.")
    assert texts[1].startswith("Por favor, toque em")
    assert [button["disabled"] for button in shown.items[-1]["buttons"]] == [False] * 3

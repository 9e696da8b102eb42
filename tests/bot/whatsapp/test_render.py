"""Replies as Cloud API bodies: buttons, lists, pages, and labels that do not fit."""

from __future__ import annotations

import random
from typing import Any

import pytest

from bot.whatsapp.render import (
    ELLIPSIS,
    PAGE_KEY,
    ImageToUpload,
    page_bounds,
    page_request,
    render,
    shorten,
    split_text,
)
from conversations.contract_payments import NEW_LINK
from conversations.events import Image, Option, Reply
from conversations.i18n import translator_for
from conversations.lead_card import write_option
from marketplace.picpay_sandbox import qr_png
from tests.fakes.graph_api import message_problems

TO = "5511987654321"
PT = translator_for("pt_BR")


def rendered(reply: Reply, outbox_id: int = 7) -> list[dict[str, Any]]:
    """Render, and hold every body to Meta's schema and limits."""
    bodies = []
    for body in render(reply, to=TO, outbox_id=outbox_id, translator=PT):
        assert isinstance(body, dict), "an image reply is tested on its own"
        assert message_problems(body) == [], body
        bodies.append(body)
    return bodies


def options(count: int, label: str = "Opção {n}") -> tuple[Option, ...]:
    return tuple(Option(f"id-{n}", label.format(n=n)) for n in range(1, count + 1))


def test_a_reply_without_options_is_a_text_message() -> None:
    [body] = rendered(Reply("Olá! Veja https://example.com/contrato"))

    assert body["type"] == "text"
    assert body["text"] == {"body": "Olá! Veja https://example.com/contrato", "preview_url": True}
    assert body["to"] == TO


def test_up_to_three_options_are_reply_buttons_with_the_engine_ids() -> None:
    [body] = rendered(
        Reply("Podemos começar?", options=(Option("yes", "Sim"), Option("no", "Não")))
    )

    action = body["interactive"]["action"]
    assert body["interactive"]["type"] == "button"
    assert body["interactive"]["body"]["text"] == "Podemos começar?"
    assert [(b["reply"]["id"], b["reply"]["title"]) for b in action["buttons"]] == [
        ("yes", "Sim"),
        ("no", "Não"),
    ]


def test_long_button_labels_are_shortened_and_spelled_out_in_the_body() -> None:
    labels = ("Quero falar com o fornecedor agora", "Ver como a economia foi calculada", "Voltar")
    reply = Reply(
        "E agora?", options=tuple(Option(f"o{n}", label) for n, label in enumerate(labels))
    )

    [body] = rendered(reply)

    titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
    assert titles == ["Quero falar com o…", "Ver como a economia…", "Voltar"]
    assert body["interactive"]["body"]["text"] == (
        "E agora?\n\n1. Quero falar com o fornecedor agora\n"
        "2. Ver como a economia foi calculada\n3. Voltar"
    )


def test_labels_spelled_out_in_the_body_are_numbered_once() -> None:
    labels = ("1. Telhado Limpo \u2013 R$ 140/mês", "Como você calculou?", "Mudar valor da conta")
    reply = Reply(
        "Ofertas", options=tuple(Option(f"o{n}", label) for n, label in enumerate(labels))
    )

    [body] = rendered(reply)

    assert body["interactive"]["body"]["text"] == (
        "Ofertas\n\n1. Telhado Limpo \u2013 R$ 140/mês\n2. Como você calculou?\n"
        "3. Mudar valor da conta"
    )


def test_button_titles_that_shorten_alike_are_numbered() -> None:
    reply = Reply("Qual?", options=options(3, "Plano Solar Residencial Premium {n}"))

    [body] = rendered(reply)

    titles = [b["reply"]["title"] for b in body["interactive"]["action"]["buttons"]]
    assert titles == ["1. Plano Solar…", "2. Plano Solar…", "3. Plano Solar…"]


@pytest.mark.parametrize("count", [4, 7, 10])
def test_four_to_ten_options_are_one_list(count: int) -> None:
    [body] = rendered(Reply("Escolha:", options=options(count)))

    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert body["interactive"]["type"] == "list"
    assert body["interactive"]["action"]["button"] == "Ver opções"
    assert [row["id"] for row in rows] == [f"id-{n}" for n in range(1, count + 1)]


def test_long_row_labels_keep_the_whole_label_in_the_description() -> None:
    label = "Sol Nascente Energia Compartilhada: economize R$ 52,50 por mês"
    [body] = rendered(Reply("Ofertas:", options=(*options(3), Option("sol", label))))

    row = body["interactive"]["action"]["sections"][0]["rows"][3]
    assert row == {"id": "sol", "title": "Sol Nascente Energia…", "description": label}


def test_row_titles_that_shorten_alike_are_numbered_by_position() -> None:
    labels = (
        "Telhado Limpo: R$ 306,18/mês",
        "Sol Nascente: R$ 45,93/mês",
        "Sol Nascente: R$ 30,62/mês",
    )
    reply = Reply(
        "Ofertas:",
        options=(
            *(Option(f"o{n}", label) for n, label in enumerate(labels)),
            Option("bill", "Mudar valor da conta"),
        ),
    )

    [body] = rendered(reply)

    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == [
        "1. Telhado Limpo: R$…",
        "2. Sol Nascente: R$…",
        "3. Sol Nascente: R$…",
        "4. Mudar valor da conta",
    ]
    assert rows[1]["description"] == "2. Sol Nascente: R$ 45,93/mês"
    assert [row["id"] for row in rows] == ["o0", "o1", "o2", "bill"]


@pytest.mark.parametrize("count", [11, 19, 25, 64])
def test_more_than_ten_options_come_in_pages_that_show_every_engine_id_once(count: int) -> None:
    reply = Reply("Em qual estado você mora?", options=options(count))
    pages = page_bounds(count)

    shown: list[str] = []
    for page in range(len(pages)):
        [body] = rendered(Reply(reply.text, options=reply.options, extra={PAGE_KEY: page}))
        rows = body["interactive"]["action"]["sections"][0]["rows"]
        more = [row for row in rows if page_request(row["id"])]
        shown.extend(row["id"] for row in rows if not page_request(row["id"]))
        if page + 1 < len(pages):
            assert more[-1]["title"] == "Mais opções"
            assert page_request(more[-1]["id"]) is not None
            assert page_request(more[-1]["id"]).page == page + 1  # type: ignore[union-attr]
        else:
            assert more == []

    assert shown == [option.id for option in reply.options]


def test_later_pages_say_where_they_are() -> None:
    [body] = rendered(Reply("Estado?", options=options(12), extra={PAGE_KEY: 1}))

    assert body["interactive"]["body"]["text"] == "Mais opções (2 de 2):"


def test_a_more_row_names_its_outbox_row_and_the_next_page() -> None:
    [body] = rendered(Reply("Estado?", options=options(12)), outbox_id=4321)

    more = body["interactive"]["action"]["sections"][0]["rows"][-1]
    assert more["id"] == "wa-more:4321:1"
    assert more["description"] == "Opções 10 a 12"
    assert page_request("wa-more:4321:1") is not None


@pytest.mark.parametrize(
    "option_id", [None, "", "yes", "wa-more:", "wa-more:x:1", "wa-more:1", "wa-more:1:-1"]
)
def test_other_ids_are_not_page_requests(option_id: str | None) -> None:
    assert page_request(option_id) is None


def test_a_long_question_goes_first_as_text_then_the_options_with_a_short_body() -> None:
    question = "Comparei as ofertas da sua região com cuidado. " * 40

    bodies = rendered(Reply(question, options=options(5)))

    assert [body["type"] for body in bodies] == ["text", "interactive"]
    assert bodies[0]["text"]["body"] == question.strip()
    assert bodies[1]["interactive"]["body"]["text"] == "Escolha uma opção:"


def test_a_very_long_text_is_split_between_paragraphs_within_4096() -> None:
    paragraph = "Esta é a ficha da oferta, com todos os detalhes. " * 30
    text = "\n\n".join([paragraph.strip()] * 6)

    bodies = rendered(Reply(text))

    assert len(bodies) > 1
    assert all(len(body["text"]["body"]) <= 4096 for body in bodies)
    assert "\n\n".join(body["text"]["body"] for body in bodies) == text


def test_text_without_spaces_is_still_split_within_the_limit() -> None:
    assert [len(piece) for piece in split_text("x" * 9000)] == [4096, 4096, 808]


def test_options_without_text_still_have_a_body() -> None:
    [body] = rendered(Reply("", options=options(5)))

    assert body["interactive"]["body"]["text"] == "Escolha uma opção:"


@pytest.mark.parametrize(
    ("label", "limit", "expected"),
    [
        ("Sim", 20, "Sim"),
        ("  Muitos   espaços  ", 20, "Muitos espaços"),
        ("Quero falar com o fornecedor", 20, "Quero falar com o…"),
        ("Rio Grande do Sul, capital e interior", 24, "Rio Grande do Sul…"),
        ("Exatamente vinte car", 20, "Exatamente vinte car"),
        ("Eletricidadeeeeeeeeeeeeeeeee barata", 20, "Eletricidadeeeeeeee…"),
        ("A Supercalifragilístico", 20, "A Supercalifragilís…"),
    ],
)
def test_labels_are_shortened_after_a_whole_word_or_marked_as_cut(
    label: str, limit: int, expected: str
) -> None:
    assert shorten(label, limit) == expected


def test_shortening_never_cuts_a_word_without_a_mark() -> None:
    words = ["luz", "energia", "economia", "fornecedor", "Compartilhada", "R$", "52,50", "solar"]
    generator = random.Random(5)
    for _ in range(500):
        label = " ".join(generator.choices(words, k=generator.randint(1, 9)))
        limit = generator.choice([20, 24, 72])

        short = shorten(label, limit)

        assert len(short) <= limit
        if short != label:
            assert short.endswith(ELLIPSIS)
            kept = short.removesuffix(ELLIPSIS)
            assert label.startswith(kept)
            whole_words = label[len(kept) : len(kept) + 1] in (" ", ",")
            assert whole_words or len(kept) == limit - 1


def test_an_image_goes_first_to_be_uploaded_and_its_message_fits_the_schema() -> None:
    png = qr_png("https://app.picpay.com/checkout/abc")
    reply = Reply("Pague aqui", options=options(2), image=Image(png=png, alt="QR code"))

    first, *rest = render(reply, to=TO, outbox_id=7, translator=PT)

    assert isinstance(first, ImageToUpload)
    assert (first.png, first.caption) == (png, "QR code")
    message = first.message("900000001")
    assert message_problems(message) == []
    assert message["image"] == {"id": "900000001", "caption": "QR code"}
    assert [body["type"] for body in rest if isinstance(body, dict)] == ["interactive"]


@pytest.mark.parametrize("locale", ["pt_BR", "en", "es"])
def test_the_buttons_that_come_with_news_keep_their_whole_label(locale: str) -> None:
    translator = translator_for(locale)
    # The one button under an accepted lead's news, and under an expired payment's.
    labels = [write_option(translator, 12).label, translator.gettext(NEW_LINK)]

    for label in labels:
        [body] = rendered(Reply("News", options=(Option("id", label),)))
        [button] = body["interactive"]["action"]["buttons"]
        assert button["reply"]["title"] == label


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        # A decomposed "é" (e + U+0301) at the cut: the letter goes whole, or not at all.
        ("A" * 18 + "e\u0301" + "nergia", "A" * 18 + ELLIPSIS),
        # Flags are pairs of regional indicators: never half of one (a lone letter box).
        ("1. X" + "\U0001f1e7\U0001f1f7" * 10, "1. X" + "\U0001f1e7\U0001f1f7" * 7 + ELLIPSIS),
        # An emoji's skin tone or variation selector stays with it.
        ("Sols" + "\u2600\ufe0f" * 10, "Sols" + "\u2600\ufe0f" * 7 + ELLIPSIS),
    ],
)
def test_shortening_never_splits_a_character_from_its_marks(label: str, expected: str) -> None:
    assert shorten(label, 20) == expected

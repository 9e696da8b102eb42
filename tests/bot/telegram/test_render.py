"""Replies rendered as Telegram messages, and option ids as callback data."""

from __future__ import annotations

import pytest

from bot.telegram import callback_data
from bot.telegram.render import MAX_TEXT, render_reply, split_text, utf16_length
from conversations.events import Option, Reply


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("Sol & Luz <Ltda>", "Sol &amp; Luz &lt;Ltda&gt;"),
        ("Energia_Já! *50%* off", "Energia_Já! *50%* off"),
        ("<b>not bold</b> &amp;", "&lt;b&gt;not bold&lt;/b&gt; &amp;amp;"),
        ("\"aspas\" e 'apóstrofos'", "\"aspas\" e 'apóstrofos'"),
    ],
)
def test_text_is_escaped_for_html_mode(text: str, sent: str) -> None:
    [message] = render_reply(Reply(text))

    assert message.html == sent


def test_short_labels_sit_two_to_a_row_and_long_ones_alone() -> None:
    short = render_reply(Reply("?", options=(Option("yes", "Sim"), Option("no", "Não"))))
    long = render_reply(
        Reply("?", options=(Option("a", "Sim"), Option("b", "Quero falar com a fornecedora")))
    )

    assert short[0].keyboard is not None
    assert long[0].keyboard is not None
    assert [len(row) for row in short[0].keyboard.inline_keyboard] == [2]
    assert [len(row) for row in long[0].keyboard.inline_keyboard] == [1, 1]


def test_a_blank_label_still_makes_a_button() -> None:
    [message] = render_reply(Reply("?", options=(Option("ok", "  "),)))

    assert message.keyboard is not None
    assert message.keyboard.inline_keyboard[0][0].text == "ok"


def test_an_empty_reply_with_options_still_sends_text() -> None:
    [message] = render_reply(Reply("  ", options=(Option("ok", "Ok"),)))

    assert message.html.strip()


def test_text_splits_at_paragraphs_first() -> None:
    paragraphs = ["a" * 3000, "b" * 3000, "c" * 100]

    parts = split_text("\n\n".join(paragraphs))

    assert parts == ["a" * 3000, "b" * 3000 + "\n\n" + "c" * 100]


def test_a_long_paragraph_splits_at_lines_then_words() -> None:
    lines = "\n".join(["palavra " * 200] * 6)

    parts = split_text(lines)

    assert all(utf16_length(part) <= MAX_TEXT for part in parts)
    assert all(not part.endswith("palav") for part in parts)
    assert "".join(parts).replace("\n", "").replace(" ", "") == lines.replace("\n", "").replace(
        " ", ""
    )


def test_a_word_longer_than_a_message_is_cut() -> None:
    parts = split_text("x" * 9000)

    assert [len(part) for part in parts] == [4096, 4096, 808]


def test_a_cut_never_splits_a_surrogate_pair() -> None:
    parts = split_text("a" + "\U0001f600" * 2048)

    assert parts[0] == "a" + "\U0001f600" * 2047
    assert utf16_length(parts[0]) == 4095


def test_only_the_last_part_has_the_keyboard() -> None:
    reply = Reply("p1 " * 1300 + "\n\n" + "p2 " * 1300, options=(Option("ok", "Ok"),))

    messages = render_reply(reply)

    assert [message.keyboard is not None for message in messages] == [False, True]


def test_option_ids_travel_as_they_are_when_they_fit() -> None:
    assert callback_data.encode("d:1234") == "d:1234"
    assert callback_data.encode("x" * 64) == "x" * 64


@pytest.mark.parametrize("option_id", ["x" * 65, "ç" * 33, "", "#looks-like-a-digest"])
def test_other_ids_travel_as_a_short_digest_and_resolve_back(option_id: str) -> None:
    data = callback_data.encode(option_id)

    assert 1 <= len(data.encode()) <= 64
    assert callback_data.is_digest(data)
    assert callback_data.resolve(data, ["yes", option_id, "no"]) == option_id
    assert callback_data.resolve(data, ["yes", "no"]) is None

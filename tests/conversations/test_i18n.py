"""Translations and formatting per locale, and catalogs that keep up with the code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

from conversations.i18n import LOCALES_DIR, load_translations, negotiate_locale, translator_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("code", "locale"),
    [
        ("pt_BR", "pt_BR"),
        ("pt-br", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt_PT", "pt_BR"),
        ("en", "en"),
        ("en_US", "en"),
        ("EN-gb", "en"),
        ("es-AR", "es"),
        ("es", "es"),
        ("fr", "pt_BR"),
        ("", "pt_BR"),
        (None, "pt_BR"),
        ("\x00garbage--", "pt_BR"),
    ],
)
def test_any_locale_code_maps_to_the_nearest_supported_one(code: str | None, locale: str) -> None:
    assert negotiate_locale(code) == locale


@pytest.mark.parametrize(
    ("locale", "amount", "expected"),
    [
        ("pt_BR", Decimal("1234.56"), "R$ 1.234,56"),
        ("pt_BR", Decimal("0.005"), "R$ 0,01"),
        ("pt_BR", Decimal("2.345"), "R$ 2,35"),
        ("pt_BR", Decimal("-52.5"), "-R$ 52,50"),
        ("pt_BR", Decimal("1000000"), "R$ 1.000.000,00"),
        ("en", Decimal("1234.56"), "R$ 1,234.56"),
        ("es", Decimal("1234.56"), "R$ 1.234,56"),
    ],
)
def test_money_is_rounded_half_up_and_formatted_per_locale(
    locale: str, amount: Decimal, expected: str
) -> None:
    assert translator_for(locale).format_money(amount) == expected


def test_numbers_percentages_and_dates_follow_the_locale() -> None:
    portuguese, english = translator_for("pt_BR"), translator_for("en")

    assert portuguese.format_number(Decimal("1234.5")) == "1.234,5"
    assert portuguese.format_number(Decimal("300.25"), decimals=1) == "300,3"
    assert english.format_number(2000) == "2,000"
    assert portuguese.format_percent(Decimal("0.125")) == "12,5%"
    assert english.format_percent(Decimal("0.15")) == "15%"
    assert portuguese.format_date(date(2026, 10, 15)) == "15 de out. de 2026"


@pytest.mark.parametrize("locale", ["pt_BR", "en", "es"])
@pytest.mark.parametrize(
    "value", ["0", "0.5", "7", "999.996", "1234.5", "-98765.4321", "1234567.891", "-0.004"]
)
def test_formatting_matches_babel_with_its_patterns_parsed_once(locale: str, value: str) -> None:
    translator, number = translator_for(locale), Decimal(value)

    assert translator.format_number(number) == format_decimal(number, locale=locale)
    for decimals, pattern in ((0, "#,##0"), (1, "#,##0.0"), (2, "#,##0.00")):
        rounded = number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        assert translator.format_number(number, decimals=decimals) == format_decimal(
            rounded, format=pattern, locale=locale
        )
    cents = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    money = format_decimal(abs(cents), format="#,##0.00", locale=locale)
    assert translator.format_money(number) == ("-R$ " if cents < 0 else "R$ ") + money
    reais = number.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    whole = format_decimal(abs(reais), format="#,##0", locale=locale)
    assert (
        translator.format_money(number, centavos=False) == ("-R$ " if reais < 0 else "R$ ") + whole
    )
    assert translator.format_percent(number / 100, decimals=2) == format_percent(
        number / 100, format="#,##0.##%", locale=locale
    )


def test_lists_are_joined_as_the_language_joins_them() -> None:
    portuguese, spanish = translator_for("pt_BR"), translator_for("es")

    assert portuguese.format_list(["CE", "PE", "BA"]) == "CE, PE e BA"
    assert portuguese.format_list(["2", "300"], either=True) == "2 ou 300"
    assert spanish.format_list(["2", "300"], either=True) == "2 o 300"


def test_an_instant_is_dated_in_sao_paulo() -> None:
    late_evening_in_brazil = datetime(2026, 10, 16, 1, 30, tzinfo=UTC)

    assert translator_for("en").format_date(late_evening_in_brazil, style="short") == "15 Oct 2026"


@pytest.mark.parametrize("style", ["short", "medium"])
def test_english_dates_put_the_day_first_and_the_month_in_words(style: str) -> None:
    english = translator_for("en")

    assert english.format_date(date(2026, 8, 26), style=style) == "26 Aug 2026"
    assert english.format_datetime(datetime(2026, 8, 26, 18, 30, tzinfo=UTC), style=style) == (
        "26 Aug 2026, 15:30"
    )
    # Explicit patterns are kept: "08/2026" is a bill's month.
    assert english.format_date(date(2026, 8, 1), style="MM/yyyy") == "08/2026"


def test_plural_forms_follow_the_count() -> None:
    english = translator_for("en")

    assert english.ngettext("{n} offer", "{n} offers", 1) == "{n} offer"
    assert english.ngettext("{n} offer", "{n} offers", 3) == "{n} offers"


def test_portuguese_is_the_default_language() -> None:
    assert translator_for(None).gettext("Help") == "Ajuda"
    assert translator_for("es").gettext("Help") == "Ayuda"
    assert translator_for("en").gettext("Help") == "Help"


def test_the_po_file_is_read_when_nothing_is_compiled(tmp_path: Path) -> None:
    folder = tmp_path / "pt_BR" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    source = LOCALES_DIR / "pt_BR" / "LC_MESSAGES" / "messages.po"
    (folder / "messages.po").write_bytes(source.read_bytes())

    assert load_translations("pt_BR", tmp_path).gettext("Restart") == "Recomeçar"


def _messages_in_code() -> set[str]:
    method_map = [
        (f"{package}/**.py", "python") for package in ("conversations", "bot", "marketplace")
    ]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None},
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_message_in_the_code_is_translated_to_portuguese() -> None:
    locale = "pt_BR"
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as stream:
        catalog = read_po(stream, locale=locale)
    translated = {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }

    in_code = _messages_in_code()
    missing = in_code - translated

    assert "Let's start over." in in_code  # the extraction itself works
    assert not missing, f"untranslated in {locale}: {sorted(missing)}"

"""What the bot says, in the person's language: gettext catalogs and Babel formatting.

Message ids are English. Catalogs live in `locales/<locale>/LC_MESSAGES/messages.po`
(docs/translations.md says how to extract and update them); `make setup` compiles them.
"""

from __future__ import annotations

import gettext as gettext_module
import logging
from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.lists import format_list as babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, parse_pattern

from marketplace.clock import BRAZIL

logger = logging.getLogger(__name__)

SUPPORTED_LOCALES = ("pt_BR", "en", "es")
DEFAULT_LOCALE = "pt_BR"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_LANGUAGE_TO_LOCALE = {"pt": "pt_BR", "en": "en", "es": "es"}
# Babel's English is American: 8/26/26 reads as 26 August only to an American, and Brazil's
# dates come day first. English gets the month in words, day first: "26 Aug 2026".
_DATE_STYLES = {"en": {"short": "d MMM yyyy", "medium": "d MMM yyyy"}}
_DATETIME_STYLES = {"en": {"short": "d MMM yyyy, HH:mm", "medium": "d MMM yyyy, HH:mm"}}
_CENTAVO = Decimal("0.01")


def N_(message: str) -> str:  # noqa: N802 -- the name gettext tools know for "mark only"
    """Mark a message for extraction without translating it yet (module-level labels)."""
    return message


def negotiate_locale(code: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The supported locale nearest to `code`: "pt-br" and "pt" → pt_BR, "es-AR" → es.

    Anything unknown or malformed falls back to `default`.
    """
    if not code:
        return default
    language = code.strip().replace("-", "_").split("_", 1)[0].casefold()
    return _LANGUAGE_TO_LOCALE.get(language, default)


class Translator:
    """Translates and formats for one locale; get one with `translator_for`."""

    def __init__(self, locale: str, translations: gettext_module.NullTranslations) -> None:
        self.locale = locale
        self._translations = translations
        # Babel's format_* functions parse the locale name and the pattern on every call,
        # which was a tenth of the consumer flow's time; both are parsed once here instead.
        self._babel_locale = Locale.parse(locale)
        symbols = self._babel_locale.number_symbols["latn"]
        self._separators = str.maketrans(
            {",": symbols["group"], ".": symbols["decimal"], "-": symbols["minusSign"]}
        )

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself when the catalog lacks it."""
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The singular or plural translation that fits `count`, by the locale's rules."""
        return self._translations.ngettext(singular, plural, count)

    def format_money(self, amount: Decimal, *, centavos: bool = True) -> str:
        """Reais rounded half-up to centavos: `R$ 1.234,56` in pt_BR, `R$ 1,234.56` in en.

        Without `centavos`, rounded to whole reais (`R$ 1.235`), where room is short.
        """
        quantum, decimals = (_CENTAVO, 2) if centavos else (Decimal(1), 0)
        rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
        digits = self._grouped(abs(rounded), decimals)
        # Babel would put a no-break space after R$ (and write "BRL" in es); people type and
        # tests compare a plain space, and R$ is what Brazilian bills print in any language.
        return f"-R$ {digits}" if rounded < 0 else f"R$ {digits}"

    def format_number(self, number: Decimal | int, *, decimals: int | None = None) -> str:
        """A number with the locale's separators, with exactly `decimals` places if given."""
        if decimals is None:
            return str(self._babel_locale.decimal_formats[None].apply(number, self._babel_locale))
        quantum = Decimal(1).scaleb(-decimals)
        return self._grouped(Decimal(number).quantize(quantum, rounding=ROUND_HALF_UP), decimals)

    def _grouped(self, number: Decimal, decimals: int) -> str:
        # Babel's "#,##0.00" with the locale's symbols: groups of three, as Python's own ","
        # format makes them, at a tenth of the cost (the offers list formats dozens of
        # amounts a message). Tests compare the two.
        return f"{number:,.{decimals}f}".translate(self._separators)

    def format_percent(self, ratio: Decimal, *, decimals: int = 1) -> str:
        """A ratio as a percentage: `Decimal("0.125")` → `12,5%` in pt_BR."""
        pattern = "#,##0." + "#" * decimals + "%" if decimals > 0 else "#,##0%"
        return str(_pattern(pattern).apply(ratio, self._babel_locale))

    def format_list(self, items: Sequence[str], *, either: bool = False) -> str:
        """Items joined as the language does: `A, B e C`, or `A, B ou C` when `either`."""
        return str(
            babel_format_list(
                list(items), style="or" if either else "standard", locale=self.locale
            )
        )

    def format_date(self, value: date | datetime, *, style: str = "medium") -> str:
        """A date, or an instant shown on its America/Sao_Paulo calendar day."""
        if isinstance(value, datetime):
            value = value.astimezone(BRAZIL).date()
        pattern = _DATE_STYLES.get(self.locale, {}).get(style, style)
        return str(babel_format_date(value, format=pattern, locale=self._babel_locale))

    def format_datetime(self, value: datetime, *, style: str = "short") -> str:
        """An instant as the clock in America/Sao_Paulo shows it, date and time."""
        pattern = _DATETIME_STYLES.get(self.locale, {}).get(style, style)
        return str(
            babel_format_datetime(value, format=pattern, tzinfo=BRAZIL, locale=self._babel_locale)
        )


@cache
def _pattern(pattern: str) -> NumberPattern:
    return parse_pattern(pattern)


def translator_for(locale: str | None, default: str = DEFAULT_LOCALE) -> Translator:
    """The translator of the supported locale nearest to `locale`."""
    return _translator(negotiate_locale(locale, default))


@cache
def _translator(locale: str) -> Translator:
    return Translator(locale, load_translations(locale))


def load_translations(
    locale: str, directory: Path = LOCALES_DIR
) -> gettext_module.NullTranslations:
    """The catalog of `locale`: the compiled .mo, or the .po when that is newer or alone.

    Reading the .po directly keeps a fresh checkout (or an edited catalog) speaking
    Portuguese before `make setup` has compiled anything.
    """
    folder = directory / locale / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as stream:
            return gettext_module.GNUTranslations(stream)
    if source.exists():
        logger.info("compiling the %s catalog in memory (run make setup to cache it)", locale)
        return _compile_in_memory(source, locale)
    logger.warning("no catalog for %s in %s; speaking English", locale, directory)
    return gettext_module.NullTranslations()


def _compile_in_memory(source: Path, locale: str) -> gettext_module.GNUTranslations:
    with source.open("rb") as stream:
        catalog = read_po(stream, locale=locale)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=True)  # as `make setup` compiles
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)

"""A person's name and how to reach them, as typed in chat: validated, never guessed.

Phones are Brazilian: a two-digit area code (DDD) and 8 digits for a landline or 9 for a
mobile (which start with 9), written any common way (+55, spaces, dashes, parentheses).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

MAX_NAME_LENGTH = 100
MIN_NAME_LETTERS = 2
MAX_EMAIL_LENGTH = 254  # leads.contact_email

# Area codes in use (Anatel's numbering plan).
VALID_DDDS = frozenset(
    {*range(11, 20), 21, 22, 24, 27, 28, *range(31, 36), 37, 38, *range(41, 50), 51, 53, 54}
    | {55, *range(61, 70), 71, 73, 74, 75, 77, 79, *range(81, 90), *range(91, 100)}
)
# The area code of each state's capital, for a phone example the consumer recognises.
CAPITAL_DDDS = {
    "AC": 68, "AL": 82, "AM": 92, "AP": 96, "BA": 71, "CE": 85, "DF": 61, "ES": 27, "GO": 62,
    "MA": 98, "MG": 31, "MS": 67, "MT": 65, "PA": 91, "PB": 83, "PE": 81, "PI": 86, "PR": 41,
    "RJ": 21, "RN": 84, "RO": 69, "RR": 95, "RS": 51, "SC": 48, "SE": 79, "SP": 11, "TO": 63,
}  # fmt: skip
EXAMPLE_MOBILE = "99999-1234"
_NAME_PUNCTUATION = frozenset(" '-.\u2019")
# Links, e-mails and file names ("foto.exe"); initials such as "J.R. Tolkien" stay names.
_LINK = re.compile(r"(https?:|www\.|@|[^\W\d_]{2,}\.[^\W\d_]{2,})", re.IGNORECASE)
_PHONE = re.compile(r"\+?\(?[0-9][0-9\s().\-]{6,22}[0-9]")
_EMAIL = re.compile(
    r"(?<![\w.%+'-])[\w.%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@-])"
)


class NameProblem(StrEnum):
    """Why a text is not taken as a name."""

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    DIGITS = "digits"
    LINK = "link"
    SYMBOLS = "symbols"


class InvalidName(ValueError):
    """A text that is not a person's name; `problem` says why."""

    def __init__(self, problem: NameProblem) -> None:
        super().__init__(f"not a name: {problem}")
        self.problem = problem


class ContactProblem(StrEnum):
    """Why a text is not taken as a phone or an e-mail."""

    NOTHING = "nothing"  # neither shape
    PHONE_LENGTH = "phone_length"
    AREA_CODE = "area_code"
    EMAIL = "email"


class InvalidContact(ValueError):
    """A text that is neither a Brazilian phone nor an e-mail; `problem` says why."""

    def __init__(self, problem: ContactProblem) -> None:
        super().__init__(f"not a contact: {problem}")
        self.problem = problem


@dataclass(frozen=True)
class Contact:
    """A phone in E.164 (`+5585999991234`) or an e-mail; exactly one is set."""

    phone: str | None = None
    email: str | None = None


def read_person_name(text: str) -> str:
    """The name in `text`, with spaces tidied: letters, spaces, apostrophes, dots, dashes.

    Raises:
        InvalidName: too short, too long, with digits, a link or e-mail, or other symbols.
    """
    name = " ".join(text.split())
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidName(NameProblem.TOO_LONG)
    if _LINK.search(name):
        raise InvalidName(NameProblem.LINK)
    if any(char.isdigit() for char in name):
        raise InvalidName(NameProblem.DIGITS)
    if any(not _name_character(char) for char in name):
        raise InvalidName(NameProblem.SYMBOLS)
    if sum(char.isalpha() for char in name) < MIN_NAME_LETTERS:
        raise InvalidName(NameProblem.TOO_SHORT)
    return name


def read_contact(text: str) -> Contact:
    """The phone or e-mail in `text` ("(85) 99999-1234", "+55 85 99999 1234", "a@b.com").

    Raises:
        InvalidContact: when neither can be read; `problem` says what was wrong.
    """
    if "@" in text:
        email = _EMAIL.search(text)
        if email is None or len(email.group()) > MAX_EMAIL_LENGTH:
            raise InvalidContact(ContactProblem.EMAIL)
        local, domain = email.group().rsplit("@", 1)
        return Contact(email=f"{local}@{domain.casefold()}")
    written = _PHONE.search(text)
    if written is None:
        raise InvalidContact(ContactProblem.NOTHING)
    return Contact(phone=normalize_phone(written.group()))


def normalize_phone(text: str) -> str:
    """A Brazilian phone in E.164, from any common way of writing it.

    Raises:
        InvalidContact: a wrong number of digits, or an area code not in use.
    """
    digits = re.sub(r"[^0-9]", "", text)
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    elif len(digits) in (11, 12) and digits.startswith("0"):
        digits = digits[1:]  # the long-distance prefix: 0 85 99999-1234
    if len(digits) not in (10, 11) or not _fits_length(digits):
        raise InvalidContact(ContactProblem.PHONE_LENGTH)
    if int(digits[:2]) not in VALID_DDDS:
        raise InvalidContact(ContactProblem.AREA_CODE)
    return f"+55{digits}"


def format_phone(phone: str) -> str:
    """`+5585999991234` → `(85) 99999-1234`; `+558532341234` → `(85) 3234-1234`."""
    digits = phone.removeprefix("+55")
    area, number = digits[:2], digits[2:]
    return f"({area}) {number[:-4]}-{number[-4:]}"


def _fits_length(digits: str) -> bool:
    # Mobiles have 9 digits after the DDD and start with 9; landlines 8, starting 2 to 5.
    first = digits[2]
    return first == "9" if len(digits) == 11 else first in "2345"


def _name_character(char: str) -> bool:
    return char.isalpha() or char in _NAME_PUNCTUATION or unicodedata.category(char) == "Mn"


def example_phone(uf: str | None) -> str:
    """A mobile number to show as an example: with the area code of the capital of `uf`, or
    a placeholder for the area code where the state is not known."""
    ddd = CAPITAL_DDDS.get(uf or "")
    return f"({ddd if ddd else 'DDD'}) {EXAMPLE_MOBILE}"

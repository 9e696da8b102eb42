"""The shape and bounds of one supplier and one offer in a catalog file.

These models check what can be checked without the database; `marketplace.catalog` then
checks states and distributors against the reference data. Every number and string is
bounded, so a hostile file cannot store absurd values or oversized text.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from marketplace.documents import InvalidDocument, normalize_cnpj

OfferKind = Literal["subscription", "free_market", "solar"]
ConsumerClass = Literal["residential", "commercial", "rural"]

# Which price column each kind of offer is priced by; the other two must stay empty.
PRICE_FIELD_BY_KIND: dict[str, str] = {
    "subscription": "discount_pct",
    "free_market": "energy_price_rs_mwh",
    "solar": "price_per_kwp_brl",
}

MAX_DISTRIBUTORS_PER_OFFER = 60

# Cc are control characters; Cf holds invisible formatting such as bidirectional overrides,
# which can make a name read differently from what is stored; Cs and Co are never text.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co"}
# What makes a spreadsheet cell a formula, in ASCII and in full width.
FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")


def _reject_control_characters(text: str, allowed: str = "") -> str:
    for char in text:
        if char not in allowed and unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise ValueError(f"contains a control character (U+{ord(char):04X})")
    return text


def _plain_line(text: str) -> str:
    return _reject_control_characters(text)


def _not_a_formula(text: str) -> str:
    # A spreadsheet runs a cell starting with one of these as a formula (`=cmd|...`,
    # `-A1`, `@SUM(...)`), so names and titles that may reach an export never do.
    if text[:1] in FORMULA_STARTS:
        raise ValueError(f"must not start with {text[0]!r}: spreadsheets read that as a formula")
    return text


def _ascii_number(value: Any) -> Any:
    # Python reads U+0665 (Arabic-Indic five) and other Unicode digits as numbers; in a
    # price list they are more likely a paste gone wrong than what was meant.
    if isinstance(value, str) and not value.isascii():
        raise ValueError("write numbers with ASCII digits (0-9) only")
    return value


def _plain_paragraphs(text: str) -> str:
    return _reject_control_characters(text, allowed="\n\t")


def _cnpj(text: str) -> str:
    try:
        return normalize_cnpj(text)
    except InvalidDocument as error:
        raise ValueError(str(error)) from error


Line = Annotated[str, AfterValidator(_plain_line)]
SupplierName = Annotated[
    Line,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=200),
    AfterValidator(_not_a_formula),
]
Title = Annotated[
    Line,
    StringConstraints(strip_whitespace=True, min_length=3, max_length=200),
    AfterValidator(_not_a_formula),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    AfterValidator(_plain_paragraphs),
]
Readjustment = Annotated[
    Line, StringConstraints(strip_whitespace=True, max_length=120), AfterValidator(_not_a_formula)
]
Cnpj = Annotated[str, StringConstraints(max_length=30), AfterValidator(_cnpj)]
OfferCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,60}$")
]
Uf = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}$")
]
DistributorReference = Annotated[
    Line, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)
]
Money = Annotated[Decimal, Field(ge=0, le=100_000, decimal_places=2)]


class CatalogEntry(BaseModel):
    """Settings shared by both entries: unknown fields are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _ascii_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in _number_fields(cls):
            return _ascii_number(value)
        return value


@cache
def _number_fields(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(
        name for name, field in model.model_fields.items() if _holds_numbers(field.annotation)
    )


def _holds_numbers(annotation: Any) -> bool:
    # `in` compares by equality, so bool, an int subclass, is not taken for a number.
    if annotation in (int, Decimal):
        return True
    return any(_holds_numbers(argument) for argument in get_args(annotation))


class SupplierEntry(CatalogEntry):
    """A supplier as a catalog file describes it."""

    cnpj: Cnpj
    name: SupplierName
    rating: Annotated[Decimal, Field(ge=0, le=5, decimal_places=1)] | None = None
    rating_count: Annotated[int, Field(ge=0, le=10_000_000)] | None = None
    response_hours: Annotated[int, Field(ge=1, le=720)] | None = None
    is_demo: bool = False

    @model_validator(mode="after")
    def _rating_needs_reviews(self) -> SupplierEntry:
        if self.rating is not None and not self.rating_count:
            raise ValueError("a rating needs rating_count of at least 1")
        return self


class OfferEntry(CatalogEntry):
    """An offer as a catalog file describes it, with its fact-sheet fields."""

    code: OfferCode
    kind: OfferKind
    title: Title
    description: Description = ""

    discount_pct: Annotated[Decimal, Field(gt=0, le=100, decimal_places=2)] | None = None
    energy_price_rs_mwh: Annotated[Decimal, Field(gt=0, le=3000, decimal_places=2)] | None = None
    price_per_kwp_brl: Annotated[Decimal, Field(gt=0, le=30_000, decimal_places=2)] | None = None

    loyalty_months: Annotated[int, Field(ge=0, le=120)] = 0
    # Percent of the supplier bills estimated for the loyalty months still remaining.
    cancellation_fee_pct: Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)] | None = None
    notice_days: Annotated[int, Field(ge=0, le=365)] = 0
    starts_in_days: Annotated[int, Field(ge=0, le=730)] = 0
    readjustment: Readjustment = ""
    two_bills: bool | None = None

    consumer_class: ConsumerClass = "residential"
    min_bill_brl: Money = Decimal("0")
    sign_directly: bool = False
    active: bool = True

    states: Annotated[list[Uf], Field(min_length=1, max_length=27)]
    distributors: Annotated[
        list[DistributorReference], Field(max_length=MAX_DISTRIBUTORS_PER_OFFER)
    ] = Field(default_factory=list)

    @field_validator("states", "distributors")
    @classmethod
    def _no_repeats(cls, values: list[str]) -> list[str]:
        if len({value.casefold() for value in values}) != len(values):
            raise ValueError("lists each item once")
        return values

    @model_validator(mode="after")
    def _priced_by_its_kind(self) -> OfferEntry:
        wanted = PRICE_FIELD_BY_KIND[self.kind]
        if getattr(self, wanted) is None:
            raise ValueError(f"a {self.kind} offer needs {wanted}")
        others = [name for name in PRICE_FIELD_BY_KIND.values() if name != wanted]
        given = [name for name in others if getattr(self, name) is not None]
        if given:
            raise ValueError(f"a {self.kind} offer is priced by {wanted}, not {given[0]}")
        return self

    @model_validator(mode="after")
    def _fee_needs_loyalty(self) -> OfferEntry:
        if self.cancellation_fee_pct and not self.loyalty_months:
            raise ValueError("cancellation_fee_pct needs loyalty_months of at least 1")
        return self

    @property
    def has_two_bills(self) -> bool:
        """Whether the consumer pays two bills: by default yes, except for own solar.

        A subscriber and a free-market consumer keep the distributor's bill beside the
        supplier's; an own installation is paid for once.
        """
        if self.two_bills is not None:
            return self.two_bills
        return self.kind != "solar"

"""What a catalog entry may hold, checked without a database."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from marketplace.catalog_schema import OfferEntry, SupplierEntry
from marketplace.documents import cnpj_check_digits
from tests.support.catalog_samples import solar_fields, subscription_fields, supplier_fields


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("11222333000181", "11222333000181"),
        ("11.222.333/0001-81", "11222333000181"),
        (" 11 222 333 0001 81 ", "11222333000181"),
        ("12ABC34501DE35", "12ABC34501DE35"),
        ("12.abc.345/01de-35", "12ABC34501DE35"),
    ],
)
def test_supplier_cnpj_is_stored_compact_and_uppercase(written: str, stored: str) -> None:
    entry = SupplierEntry.model_validate(supplier_fields(cnpj=written))

    assert entry.cnpj == stored


@pytest.mark.parametrize(
    ("cnpj", "complaint"),
    [
        ("11222333000182", "check digits"),
        ("12ABC34501DE36", "check digits"),
        ("00000000000000", "repeat"),
        ("11111111111111", "repeat"),
        ("1122233300018", "12 letters or digits"),
        ("12ABC34501DEAB", "12 letters or digits"),
        ("11222333000181" * 3, "at most 30"),
    ],
)
def test_supplier_cnpj_is_rejected_with_its_reason(cnpj: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        SupplierEntry.model_validate(supplier_fields(cnpj=cnpj))


def test_a_demo_root_gets_valid_check_digits() -> None:
    cnpj = "DEMO00000001" + cnpj_check_digits("DEMO00000001")

    assert SupplierEntry.model_validate(supplier_fields(cnpj=cnpj)).cnpj == "DEMO0000000162"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "A"),
        ("name", "Energia\x07 Ltda"),
        ("name", "Energia \u202eadtL"),
        ("name", "x" * 201),
        ("rating", "5.1"),
        ("rating", "-0.1"),
        ("rating", "4.55"),
        ("rating_count", -1),
        ("response_hours", 0),
        ("response_hours", 721),
        ("is_demo", "maybe"),
        ("website", "https://example.invalid"),
    ],
)
def test_supplier_out_of_bounds_is_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        SupplierEntry.model_validate(supplier_fields(**{field: value}))


def test_a_rating_without_reviews_is_rejected() -> None:
    with pytest.raises(ValidationError, match="rating_count"):
        SupplierEntry.model_validate(supplier_fields(rating="4.0", rating_count=0))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", "has space"),
        ("code", "x" * 61),
        ("code", "código"),
        ("kind", "nuclear"),
        ("title", 123),
        ("title", "ab"),
        ("title", "Oferta\nem duas linhas"),
        ("description", "d" * 2001),
        ("description", "texto\x00oculto"),
        ("discount_pct", "0"),
        ("discount_pct", "-5"),
        ("discount_pct", "100.01"),
        ("discount_pct", "12.345"),
        ("discount_pct", "NaN"),
        ("discount_pct", ["15"]),
        ("loyalty_months", 121),
        ("loyalty_months", -1),
        ("loyalty_months", "twelve"),
        ("loyalty_months", "1.5"),
        ("cancellation_fee_pct", "100.5"),
        ("notice_days", 366),
        ("starts_in_days", -30),
        ("readjustment", "r" * 121),
        ("consumer_class", "industrial"),
        ("min_bill_brl", "-0.01"),
        ("min_bill_brl", "1e9"),
        ("sign_directly", "perhaps"),
        ("states", []),
        ("states", "CE"),
        ("states", ["CEA"]),
        ("states", ["CE", "ce"]),
        ("distributors", ["ENEL CE", "enel ce"]),
        ("distributors", ["x"] * 61),
        ("distributors", ["E"]),
        ("bonus", "free beer"),
    ],
)
def test_offer_out_of_bounds_or_of_the_wrong_type_is_rejected(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        OfferEntry.model_validate(subscription_fields(**{field: value}))


@pytest.mark.parametrize(
    ("field", "value"),
    [("energy_price_rs_mwh", "0"), ("energy_price_rs_mwh", "3000.01")],
)
def test_free_market_price_out_of_bounds_is_rejected(field: str, value: Any) -> None:
    fields = subscription_fields(kind="free_market", discount_pct=None, **{field: value})

    with pytest.raises(ValidationError, match=field):
        OfferEntry.model_validate(fields)


def test_an_offer_needs_the_price_of_its_kind() -> None:
    with pytest.raises(ValidationError, match="a solar offer needs price_per_kwp_brl"):
        OfferEntry.model_validate(solar_fields(price_per_kwp_brl=None))


def test_an_offer_rejects_the_price_of_another_kind() -> None:
    fields = subscription_fields(energy_price_rs_mwh="250")

    with pytest.raises(ValidationError, match="priced by discount_pct, not energy_price_rs_mwh"):
        OfferEntry.model_validate(fields)


def test_a_cancellation_fee_needs_a_loyalty_period() -> None:
    with pytest.raises(ValidationError, match="loyalty_months"):
        OfferEntry.model_validate(subscription_fields(loyalty_months=0))


def test_two_bills_follow_the_kind_unless_given() -> None:
    subscription = OfferEntry.model_validate(subscription_fields())
    free_market = OfferEntry.model_validate(
        subscription_fields(kind="free_market", discount_pct=None, energy_price_rs_mwh="250")
    )
    solar = OfferEntry.model_validate(solar_fields())
    single_bill = OfferEntry.model_validate(subscription_fields(two_bills=False))

    assert (subscription.has_two_bills, free_market.has_two_bills) == (True, True)
    assert solar.has_two_bills is False
    assert single_bill.has_two_bills is False


def test_a_valid_offer_keeps_exact_decimals_and_upper_case_states() -> None:
    entry = OfferEntry.model_validate(subscription_fields(discount_pct="12.50", states=["ce"]))

    assert entry.discount_pct == Decimal("12.50")
    assert entry.states == ["CE"]
    assert entry.min_bill_brl == Decimal("150.00")


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (SupplierEntry, supplier_fields, "name"),
        (OfferEntry, subscription_fields, "title"),
        (OfferEntry, subscription_fields, "readjustment"),
    ],
)
@pytest.mark.parametrize(
    "text", ["=cmd|' /C calc'!A0", "+SUM(A1:A9)", "-2+3+cmd|' /C calc'!A0", "@SUM(1)", " =1+1"]
)
def test_text_a_spreadsheet_would_run_as_a_formula_is_rejected(
    model: type[SupplierEntry] | type[OfferEntry], fields: Any, field: str, text: str
) -> None:
    with pytest.raises(ValidationError, match="spreadsheets read that as a formula"):
        model.model_validate(fields(**{field: text}))


def test_formula_characters_inside_a_name_or_title_are_fine() -> None:
    supplier = SupplierEntry.model_validate(supplier_fields(name="Sol + Vento = Energia"))
    offer = OfferEntry.model_validate(subscription_fields(title="10% de desconto @ Ceará"))

    assert (supplier.name, offer.title) == ("Sol + Vento = Energia", "10% de desconto @ Ceará")


@pytest.mark.parametrize(
    ("model", "fields", "field", "value"),
    [
        (SupplierEntry, supplier_fields, "rating", "\u0664.\u0665"),  # Arabic-Indic 4.5
        (SupplierEntry, supplier_fields, "response_hours", "\uff11\uff12"),  # full-width 12
        (OfferEntry, subscription_fields, "discount_pct", "\u0661\u0665"),
        (OfferEntry, subscription_fields, "loyalty_months", "\u0967\u0968"),  # Devanagari
        (OfferEntry, subscription_fields, "min_bill_brl", "150\u00a0"),  # no-break space
    ],
)
def test_numbers_are_written_in_ascii_digits_only(
    model: type[SupplierEntry] | type[OfferEntry], fields: Any, field: str, value: str
) -> None:
    with pytest.raises(ValidationError, match=r"write numbers with ASCII digits \(0-9\) only"):
        model.model_validate(fields(**{field: value}))

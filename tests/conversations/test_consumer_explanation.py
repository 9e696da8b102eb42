"""Every line of "Como você calculou?" can be redone by hand and gives the figure it shows."""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy.orm import Session, sessionmaker

from conversations.consumer_explanation import explain, explain_bill
from conversations.i18n import translator_for
from marketplace.bills import BillAmount, Consumption, MonthlyKwh
from marketplace.clock import FixedClock
from marketplace.geography import find_distributor
from marketplace.offer_terms import quote_offer
from marketplace.search import search_offers
from tests.conversations.conftest import Chat
from tests.conversations.consumer_support import labels, reach
from tests.marketplace.factories import add_offer, add_supplier
from tests.support.consumers import offer_id

PT = translator_for("pt_BR")
CODES = ("gd-15", "gd-12-5", "acl-cheap", "acl-dear", "solar-3600", "solar-9000")
CONSUMPTIONS: list[Consumption] = [
    BillAmount(Decimal(bill)) for bill in ("43.82", "87.33", "350.00", "1234.56", "4321.09")
] + [MonthlyKwh(Decimal(kwh)) for kwh in ("20", "30", "250", "300.50", "1234.56")]
# A Brazilian number: 1.234,56 or 0,5 or 60.
PT_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
OPERATORS: dict[type[ast.AST], Callable[[Decimal, Decimal], Decimal]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}


def as_decimal(written: str) -> Decimal:
    return Decimal(written.replace(".", "").replace(",", "."))


def evaluate(node: ast.AST) -> Decimal:
    """Arithmetic on Decimal constants only: no names, no calls."""
    if isinstance(node, ast.Expression):
        return evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return Decimal(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -evaluate(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
    raise AssertionError(f"not arithmetic: {ast.dump(node)}")


def redone(line: str) -> tuple[Decimal, Decimal]:
    """The result a line shows, and its left-hand side redone from the figures shown."""
    before, after = line.split(" = ", 1)
    shown_text = PT_NUMBER.search(after.replace("R$ ", ""))
    assert shown_text is not None, line
    places = len(shown_text.group().partition(",")[2])
    shown = as_decimal(shown_text.group())
    if after.lstrip().startswith("-"):
        shown = -shown

    operands = before.split(": ", 1)[1]
    expression = operands.replace("/MWh", " / 1000").replace(" x ", " * ")
    expression = expression.replace("%", " / 100").replace("R$", "")
    expression = PT_NUMBER.sub(lambda number: repr(str(as_decimal(number.group()))), expression)
    expression = re.sub(r"[^\d.+\-*/()' ]", " ", expression)  # the words and units
    value = evaluate(ast.parse(expression.replace("'", '"').strip(), mode="eval"))
    return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP), shown


def computed_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if " = " in line]


@pytest.fixture
def every_kind(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        supplier = add_supplier(session, "Todas as Contas")
        add_offer(session, supplier, "gd-15", discount_pct="15")
        add_offer(session, supplier, "gd-12-5", discount_pct="12.5")
        add_offer(session, supplier, "acl-cheap", kind="free_market", energy_price_rs_mwh="195")
        add_offer(session, supplier, "acl-dear", kind="free_market", energy_price_rs_mwh="401.37")
        add_offer(session, supplier, "solar-3600", kind="solar", price_per_kwp_brl="3600")
        add_offer(session, supplier, "solar-9000", kind="solar", price_per_kwp_brl="9000")


@pytest.mark.usefixtures("every_kind")
@pytest.mark.parametrize("consumption", CONSUMPTIONS, ids=str)
def test_every_line_redone_by_hand_gives_the_figure_shown(
    sessions: sessionmaker[Session], clock: FixedClock, consumption: Consumption
) -> None:
    checked = 0
    with sessions() as session:
        enel_ce = find_distributor(session, "CE", "ENEL CE")
        for code in CODES:
            quote = quote_offer(
                session,
                offer_id(session, code),
                distributor_id=enel_ce.id,
                consumption=consumption,
                clock=clock,
            )
            assert quote is not None

            for line in computed_lines(explain(PT, quote)):
                assert redone(line)[0] == redone(line)[1], line
                checked += 1

    assert checked >= 3 * len(CODES)


@pytest.mark.usefixtures("every_kind")
def test_the_payback_is_the_system_price_over_the_energy_value_rounded_up(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions() as session:
        enel_ce = find_distributor(session, "CE", "ENEL CE")
        quote = quote_offer(
            session,
            offer_id(session, "solar-3600"),
            distributor_id=enel_ce.id,
            consumption=BillAmount(Decimal(350)),
            clock=clock,
        )
    assert quote is not None

    payback = explain(PT, quote).splitlines()[-1]

    found = re.fullmatch(
        r"Ele se paga em cerca de (\d+) meses \(R\$ (\S+) / R\$ (\S+), arredondado para cima\)\.",
        payback,
    )
    assert found is not None, payback
    months, system, gross = found.groups()
    assert int(months) == math.ceil(as_decimal(system) / as_decimal(gross))


def test_kwh_are_shown_with_the_two_decimals_they_are_multiplied_with(
    sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    with sessions() as session:
        result = search_offers(
            session,
            distributor_id=find_distributor(session, "CE", "ENEL CE").id,
            uf="CE",
            consumption=BillAmount(Decimal(350)),
            clock=clock,
        )

    text = explain_bill(PT, result.estimate, result.distributor)

    # (350 - 15) * 0.75 * 1000 / 720.60 = 348.6677... -> 348.67, kept and shown so.
    assert result.estimate is not None
    assert result.estimate.kwh == Decimal("348.67")
    assert text.splitlines()[-1] == (
        "Consumo, calculado a partir da sua conta: (R$ 350,00 - R$ 15,00) x (1 - 25%) x 1000 / "
        "R$ 720,60 por MWh = 348,67 kWh por mês"
    )


def test_how_did_you_calculate_on_the_offers_list_explains_the_bill(person: Chat) -> None:
    offers = reach(person, "offers")

    replies = person.say("Como você calculou?")

    assert "Como você calculou?" in labels(offers[0])
    explanation, again = replies
    assert explanation.text.splitlines()[0] == "Como eu calculei (estimativa):"
    assert "348,67 kWh por mês" in explanation.text
    assert "Esta oferta" not in explanation.text
    assert again.text == offers[0].text
    for line in computed_lines(explanation.text):
        assert redone(line)[0] == redone(line)[1], line


def test_a_typed_consumption_is_explained_forwards(person: Chat) -> None:
    reach(person, "bill")
    person.say("20 kWh")

    replies = person.say("como calculou")

    # 20 kWh used, the 30 kWh minimum billed: 30 x 720.60 / 1000 / 0.75 = 28.824 -> 28.82.
    assert replies[0].text.splitlines()[-4:] == [
        "Consumo: 20,00 kWh por mês, como você informou",
        "Cobrado: a taxa mínima de 30,00 kWh, já que você consome menos que isso",
        "Com impostos: 30,00 kWh x R$ 720,60/MWh / (1 - 25%) = R$ 28,82",
        "Conta: R$ 28,82 + R$ 15,00 = R$ 43,82",
    ]

"""`connect-energy offers`, run in-process on this test's database."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot import offers_command
from bot.cli import main
from bot.runtime import Runtime, open_runtime
from marketplace.clock import FixedClock
from marketplace.models import CepRange, Distributor, Offer
from marketplace.settings import Settings
from tests.marketplace.factories import add_offer, add_supplier

MONEY = re.compile(r"^-?\d+\.\d{2}$")


@dataclass(frozen=True)
class CliRun:
    status: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        document = json.loads(self.out)
        assert isinstance(document, dict)
        return document


Offers = Callable[..., CliRun]


@pytest.fixture
def offers(
    database_url: str,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> Offers:
    """Run `connect-energy offers ARGS` against this test's database at the suite's clock."""
    monkeypatch.chdir(tmp_path)  # away from any developer .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOAD_DEMO_CATALOG", "false")

    def runtime_at_test_clock(settings: Settings) -> Runtime:
        return open_runtime(settings, clock=clock)

    monkeypatch.setattr(offers_command, "open_runtime", runtime_at_test_clock)

    def run(*arguments: str) -> CliRun:
        status = main(["offers", *arguments])
        captured = capsys.readouterr()
        return CliRun(status, captured.out, captured.err)

    return run


@pytest.fixture
def ceara_catalog(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        sol = add_supplier(session, "Sol do Sertão", rating="4.6", is_demo=True)
        vento = add_supplier(session, "Ventos Livres")
        add_offer(session, sol, "gd-15", discount_pct="15", loyalty_months=12)
        add_offer(session, vento, "acl-150", kind="free_market", energy_price_rs_mwh="150")
        add_offer(session, sol, "solar-4k", kind="solar", price_per_kwp_brl="4000")


@pytest.mark.usefixtures("ceara_catalog")
def test_json_is_one_object_in_the_documented_shape(offers: Offers) -> None:
    run = offers("--cep", "60110-000", "--bill", "R$ 350,00", "--json")

    assert (run.status, run.err) == (0, "")
    document = run.json()
    assert document["uf"] == "CE"
    assert document["distributor"] == {"sigla": "ENEL CE", "name": "COMPANHIA ENERGETICA DO CEARA"}
    assert document["tariff"] == {
        "te_rs_mwh": "213.26",
        "tusd_rs_mwh": "488.49",
        "act": "REH 3.324/2026",
        "valid_from": "2026-08-26",
        "valid_until": "2027-04-21",
        "in_force": True,
    }
    # (350 - 15) * 0.75 * 1000 / (701.75 + 18.85) = 348.67 kWh
    assert document["estimated_kwh"] == 348.7
    assert document["current_bill_brl"] == "350.00"
    assert document["note"] is None
    assert document["assumptions"]["flag"]["assumed"] is True
    assert (document["assumptions"]["icms_pct"], document["assumptions"]["cip_brl"]) == (
        "20.00",
        "15.00",
    )


@pytest.mark.usefixtures("ceara_catalog")
def test_json_offers_come_best_saving_first_with_every_field(offers: Offers) -> None:
    document = offers("--cep", "60110000", "--bill", "350", "--json").json()

    listed = document["offers"]
    assert [offer["offer_code"] for offer in listed] == ["solar-4k", "gd-15", "acl-150"]
    savings = [float(offer["monthly_saving_brl"]) for offer in listed]
    assert savings == sorted(savings, reverse=True)
    for offer in listed:
        assert offer["kind"] in {"subscription", "free_market", "solar"}
        for field in ("monthly_saving_brl", "yearly_saving_brl", "new_bill_brl"):
            assert MONEY.match(offer[field]), (field, offer[field])
        assert re.fullmatch(r"\d{14}", offer["supplier_cnpj"])
    subscription = listed[1]
    assert subscription["supplier"] == "Sol do Sertão"
    assert (subscription["loyalty_months"], subscription["rating"]) == (12, 4.6)
    assert (subscription["demo"], subscription["available_now"]) == (True, True)
    assert listed[2]["available_now"] is False
    assert float(subscription["new_bill_brl"]) == pytest.approx(
        350 - float(subscription["monthly_saving_brl"])
    )


@pytest.mark.usefixtures("ceara_catalog")
def test_solar_saving_is_net_of_its_price_and_shows_both_figures(offers: Offers) -> None:
    document = offers("--cep", "60110-000", "--bill", "350", "--json").json()

    (solar,) = [offer for offer in document["offers"] if offer["kind"] == "solar"]
    # 318.67 kWh above the minimum: worth 306.18 a month; 318.67 / 115 * 4000 = 11084.17,
    # or 184.74 a month over 60 months; net 306.18 - 184.74 = 121.44.
    assert solar["explanation"]["gross_monthly_saving_brl"] == "306.18"
    assert solar["explanation"]["system_price_brl"] == "11084.17"
    assert solar["explanation"]["system_monthly_cost_brl"] == "184.74"
    assert (solar["explanation"]["horizon_months"], solar["explanation"]["payback_months"]) == (
        60,
        37,
    )
    assert (solar["monthly_saving_brl"], solar["new_bill_brl"]) == ("121.44", "228.56")


@pytest.mark.usefixtures("ceara_catalog")
def test_the_table_shows_the_solar_investment(offers: Offers) -> None:
    run = offers("--cep", "60110-000", "--bill", "350")

    assert "investment R$ 11084.17 (paid back in 37 months)" in run.out
    assert "saves R$ 306.18/mo after 60 months" in run.out


@pytest.mark.parametrize(
    ("cep", "bill"),
    [
        ("60110-000", "350"),
        ("60110000", "350,00"),
        ("60.110-000", "R$ 350,00"),
        (" 60110-000 ", "350.00"),
        ("60110-000", "350 reais"),
        ("60110-000", "R$350"),
        ("60110-000", "uns 350"),
        ("60110-000", "mais ou menos R$ 350 por mês"),
    ],
)
@pytest.mark.usefixtures("ceara_catalog")
def test_cep_and_bill_accept_what_the_chat_accepts(offers: Offers, cep: str, bill: str) -> None:
    reference = offers("--cep", "60110-000", "--bill", "350", "--json").json()

    document = offers("--cep", cep, "--bill", bill, "--json").json()

    assert document == reference


@pytest.mark.usefixtures("ceara_catalog")
def test_a_consumption_in_kwh_is_priced_as_its_estimated_bill(offers: Offers) -> None:
    run = offers("--cep", "60110-000", "--bill", "250 kWh", "--json")

    # 250 kWh at ENEL CE in October 2026: 250 x 720.60 / 1000 / 0.75 + 15.00 = R$ 255.20.
    assert run.status == 0
    document = run.json()
    assert (document["estimated_kwh"], document["current_bill_brl"]) == (250.0, "255.20")


def test_the_help_says_bill_takes_kwh_too(
    offers: Offers, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        offers("--help")

    assert '"250 kWh"' in " ".join(capsys.readouterr().out.split())


@pytest.mark.usefixtures("ceara_catalog")
def test_human_output_is_a_readable_table(offers: Offers) -> None:
    run = offers("--cep", "60110-000", "--bill", "R$ 350,00")

    assert run.status == 0
    assert "ENEL CE" in run.out
    assert "REH 3.324/2026" in run.out
    assert "348.7 kWh" in run.out
    assert (
        "Flag    Amarela, 18.85 R$/MWh (bundled ANEEL history ends at 09/2026; that month's "
        "flag is assumed for 10/2026)"
    ) in run.out
    assert "published" not in run.out
    assert "Sol do Sertão (demo)" in run.out
    assert "free_market*" in run.out
    assert "3 offer(s)." in run.out


def test_the_table_names_each_offer_and_marks_demo_once(
    offers: Offers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        marked = add_supplier(session, "Luz Fictícia (demo)", is_demo=True)
        add_offer(session, marked, "LF-12M", discount_pct="12")
        add_offer(session, marked, "LF-LIVRE", discount_pct="8")

    run = offers("--cep", "60110-000", "--bill", "350")

    rows = [line for line in run.out.splitlines() if "Luz Fictícia" in line]
    assert [row.split()[:5] for row in rows] == [
        ["1", "Luz", "Fictícia", "(demo)", "LF-12M"],
        ["2", "Luz", "Fictícia", "(demo)", "LF-LIVRE"],
    ]
    assert "(demo) (demo)" not in run.out
    assert ["#", "Supplier", "Offer", "Kind"] in [
        line.split()[:4] for line in run.out.splitlines()
    ]


def test_state_with_several_distributors_lists_them(offers: Offers) -> None:
    run = offers("--cep", "01310-100", "--bill", "350", "--json")

    assert (run.status, run.out) == (2, "")
    assert "--distributor" in run.err
    # Each by the name the chat gives it (ANEEL's sigla for ENEL SP is ELETROPAULO).
    for name in ("ENEL SP", "CPFL-PAULISTA", "ELEKTRO", "EDP SP"):
        assert re.search(rf"^\s+{re.escape(name)}\s", run.err, re.MULTILINE)
    assert not re.search(r"^\s+ELETROPAULO\s", run.err, re.MULTILINE)
    assert "Traceback" not in run.err


def test_distributor_named_by_its_slug(offers: Offers) -> None:
    run = offers("--cep", "01310-100", "--bill", "350", "--distributor", "enel-sp", "--json")

    assert run.status == 0
    assert run.json()["distributor"]["sigla"] == "ELETROPAULO"


def test_the_table_names_the_distributor_as_the_chat_does(offers: Offers) -> None:
    run = offers("--cep", "01310-100", "--bill", "350", "--distributor", "ELETROPAULO")

    assert run.status == 0
    assert run.out.splitlines()[0] == (
        "ENEL SP (ELETROPAULO METROPOLITANA ELETRICIDADE DE SAO PAULO S.A.), SP"
    )


def test_distributor_without_tariff_gives_null_savings_and_a_note(
    offers: Offers, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_offer(session, add_supplier(session, "Paulista Solar"), "sp-gd", states=["SP"])

    run = offers("--cep", "11750-000", "--bill", "350", "--distributor", "CEDRI", "--json")

    document = run.json()
    assert (document["tariff"], document["estimated_kwh"]) == (None, None)
    assert "no B1 tariff" in document["note"]
    (offer,) = document["offers"]
    assert offer["monthly_saving_brl"] is offer["new_bill_brl"] is None


def test_expired_tariff_is_used_and_the_note_says_so(
    offers: Offers, clock: FixedClock, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as session:
        add_offer(session, add_supplier(session, "Goiás Sol"), "go-gd", states=["GO"])
    clock.instant = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)

    run = offers("--cep", "74000-000", "--bill", "350", "--distributor", "equatorial go", "--json")

    document = run.json()
    assert document["tariff"]["act"] == "REH 3.544/2025"
    assert document["tariff"]["in_force"] is False
    assert "latest known" in document["note"]
    assert MONEY.match(document["offers"][0]["monthly_saving_brl"])


HUGE = "9" * 10_000_000
HOSTILE_BILLS = [
    "",
    "abc",
    "abc1def",
    "2 meses atrasado",
    "2 meses e 300 reais",
    "<script>alert(1)</script>",
    "0 kWh",
    "60000 kWh",
    "100001",
    "-5",
    "R$ -5",
    "0",
    "15,00",
    "99.999.999,99",
    "9" * 40,
    HUGE,
    "1e309",
    "NaN",
    "\uff13\uff15\uff10",
    "350'; DROP TABLE offers; --",
    "350\x00",
]
HOSTILE_CEPS = [
    "",
    "abc",
    "0131O-100",
    "00000-000",
    "10000-000",
    HUGE,
    "\u0660\u0661\u0663\u0661\u0660\u0661\u0660\u0660",
    "'; DROP TABLE cep_ranges; --",
]
HOSTILE_DISTRIBUTORS = ["", "Ñandú ☃", "'; DROP TABLE distributors; --", HUGE]


@pytest.mark.parametrize(
    "arguments",
    [("--cep", "60110-000", "--bill", bill) for bill in HOSTILE_BILLS]
    + [("--cep", cep, "--bill", "350") for cep in HOSTILE_CEPS]
    + [
        ("--cep", "01310-100", "--bill", "350", "--distributor", name)
        for name in HOSTILE_DISTRIBUTORS
    ],
    ids=lambda arguments: repr(arguments[-1][:20]),
)
def test_hostile_arguments_exit_2_with_a_short_plain_message(
    offers: Offers, sessions: sessionmaker[Session], arguments: tuple[str, ...]
) -> None:
    run = offers(*arguments, "--json")

    assert (run.status, run.out) == (2, "")
    assert run.err.startswith("connect-energy: ")
    assert "Traceback" not in run.err
    assert len(run.err) < 3000
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Distributor)) == 123
        assert session.scalar(select(func.count()).select_from(CepRange)) == 31
        assert session.scalar(select(func.count()).select_from(Offer)) == 0


@pytest.mark.usefixtures("ceara_catalog")
def test_a_bill_below_the_minimum_bill_exits_2_saying_the_minimum(offers: Offers) -> None:
    run = offers("--cep", "60110-000", "--bill", "40", "--json")

    # 30 kWh * 720.60 / 1000 / 0.75 + 15.00 = 43.82 at ENEL CE.
    assert (run.status, run.out) == (2, "")
    assert "less than the minimum bill at ENEL CE, about R$ 43.82" in run.err
    assert offers("--cep", "60110-000", "--bill", "43.82", "--json").status == 0


def test_missing_cep_is_a_usage_error(offers: Offers) -> None:
    with pytest.raises(SystemExit) as exited:
        offers("--bill", "350")

    assert exited.value.code == 2

"""The canonical text of a contract: Portuguese, plain, the same bytes for the same terms.

A contract is a legal document in Brazil's language: whatever the consumer's chat speaks,
the text they sign is this one, in pt_BR (the page around it follows their language). It
is rendered from the terms alone, with no clock or locale of the process involved, then
normalised (Unicode NFC, `\\n` line ends, no trailing spaces, one final newline) before
its SHA-256 is taken, so a hash proves which words were shown.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from marketplace.clock import BRAZIL
from marketplace.documents import format_cnpj
from marketplace.money import round_centavos

WITHDRAWAL_DAYS = 7

KIND_NAMES = {
    "subscription": "assinatura de energia solar compartilhada (geração distribuída)",
    "solar": "compra e instalação de sistema de energia solar",
}
AMOUNT_BASES = {
    "first_month": "primeira mensalidade estimada, paga na assinatura",
    "deposit": "sinal de {percent}% do preço do sistema, descontado do preço total",
    "none": "nenhum valor é cobrado na assinatura",
}


@dataclass(frozen=True)
class ContractTerms:
    """Everything the text says, gathered by marketplace.contracts from the lead and offer."""

    number: int
    version: int
    created_at: datetime
    supplier_name: str
    supplier_cnpj: str
    offer_title: str
    kind: str
    price: str  # the price sentence, written by marketplace.contracts
    distributor: str
    uf: str
    estimate: str  # the estimate sentence, or a note that there is none
    loyalty_months: int
    cancellation_fee_pct: Decimal | None
    notice_days: int
    starts_in_days: int
    readjustment: str
    two_bills: bool
    amount_due_brl: Decimal
    amount_basis: str
    deposit_pct: Decimal


@dataclass(frozen=True)
class Signer:
    """Who signed, when, and how the signature was given."""

    name: str
    cpf: str  # 11 digits
    signed_at: datetime
    document_sha256: str
    token_id: str


def render_contract(terms: ContractTerms) -> str:
    """The canonical text for these terms (normalised, see `normalize_text`)."""
    sections = [
        _heading(terms),
        _parties(terms),
        _object(terms),
        _price(terms),
        _duration(terms),
        _amount_due(terms),
        _withdrawal(),
        _privacy(terms),
        _closing(),
    ]
    return normalize_text("\n\n".join(sections))


def render_signed_copy(text: str, signer: Signer) -> str:
    """The text as signed, followed by the signature block (normalised)."""
    signed_local = signer.signed_at.astimezone(BRAZIL)
    block = "\n".join(
        [
            "ASSINATURA ELETRÔNICA",
            f"Nome: {signer.name}",
            f"CPF: {format_cpf(signer.cpf)}",
            f"Data e hora: {signed_local:%d/%m/%Y %H:%M:%S} (horário de Brasília)",
            f"SHA-256 do texto assinado: {signer.document_sha256}",
            f"Identificador do link de assinatura: {signer.token_id}",
        ]
    )
    return normalize_text(f"{text}\n\n{block}")


def normalize_text(text: str) -> str:
    """NFC, `\\n` line ends, no trailing spaces, exactly one final newline."""
    unified = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in unified.split("\n")]
    return "\n".join(lines).strip("\n") + "\n"


def text_sha256(text: str) -> str:
    """The hex SHA-256 of the text's UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def format_brl(amount: Decimal) -> str:
    """`Decimal("1234.5")` → `R$ 1.234,50`, as the contract writes money."""
    rounded = round_centavos(amount)
    sign = "-" if rounded < 0 else ""
    integer, cents = f"{abs(rounded):.2f}".split(".")
    grouped = f"{int(integer):,}".replace(",", ".")
    return f"{sign}R$ {grouped},{cents}"


def format_percent(value: Decimal) -> str:
    """`Decimal("12.50")` → `12,5%`."""
    text = f"{value.normalize():f}".replace(".", ",")
    return f"{text}%"


def format_cpf(cpf: str) -> str:
    """`12345678909` → `123.456.789-09`."""
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def format_day(value: date) -> str:
    """`2026-10-15` → `15/10/2026`."""
    return f"{value:%d/%m/%Y}"


def _heading(terms: ContractTerms) -> str:
    created = terms.created_at.astimezone(BRAZIL).date()
    return "\n".join(
        [
            f"CONTRATO Nº {terms.number:06d} (versão {terms.version})",
            f"{terms.offer_title}",
            f"Emitido em {format_day(created)} por meio da Connect Energy.",
        ]
    )


def _parties(terms: ContractTerms) -> str:
    return "\n".join(
        [
            "1. PARTES",
            f"CONTRATADA: {terms.supplier_name}, CNPJ {format_cnpj(terms.supplier_cnpj)}.",
            "CONTRATANTE: a pessoa física identificada pelo nome completo e pelo CPF "
            "informados na assinatura eletrônica deste contrato, titular da unidade "
            f"consumidora atendida pela distribuidora {terms.distributor} ({terms.uf}).",
        ]
    )


def _object(terms: ContractTerms) -> str:
    kind = KIND_NAMES.get(terms.kind, terms.kind)
    bills = (
        "A CONTRATANTE receberá duas faturas: a da distribuidora e a da CONTRATADA."
        if terms.two_bills
        else "A CONTRATANTE continua recebendo uma única fatura."
    )
    return "\n".join(
        [
            "2. OBJETO",
            f"Modalidade: {kind}.",
            f"Oferta: {terms.offer_title}.",
            bills,
        ]
    )


def _price(terms: ContractTerms) -> str:
    return "\n".join(
        [
            "3. PREÇO E ESTIMATIVA",
            f"Preço: {terms.price}.",
            f"Estimativa para o consumo informado: {terms.estimate}.",
            "As estimativas não são garantia de economia: dependem do consumo, das tarifas "
            "e das bandeiras em vigor.",
        ]
    )


def _duration(terms: ContractTerms) -> str:
    if terms.loyalty_months:
        loyalty = f"Fidelidade: {_months(terms.loyalty_months)}."
    else:
        loyalty = "Fidelidade: nenhuma; a CONTRATANTE pode sair a qualquer momento."
    if terms.loyalty_months and terms.cancellation_fee_pct is not None:
        fee = (
            f"Multa por cancelamento: {format_percent(terms.cancellation_fee_pct)} das "
            "faturas estimadas da CONTRATADA que restarem no período de fidelidade."
        )
    else:
        fee = "Multa por cancelamento: nenhuma."
    notice = (
        f"Aviso prévio para cancelar: {_days(terms.notice_days)}."
        if terms.notice_days
        else "Aviso prévio para cancelar: não exigido."
    )
    start = (
        f"Início: {_days(terms.starts_in_days)} após a assinatura."
        if terms.starts_in_days
        else "Início: logo após a assinatura."
    )
    readjustment = f"Reajuste: {terms.readjustment or 'não informado pela CONTRATADA'}."
    return "\n".join(["4. PRAZOS E CONDIÇÕES", loyalty, fee, notice, start, readjustment])


def _amount_due(terms: ContractTerms) -> str:
    basis = AMOUNT_BASES.get(terms.amount_basis, terms.amount_basis).format(
        percent=f"{terms.deposit_pct.normalize():f}".replace(".", ",")
    )
    if terms.amount_basis == "none":
        return f"5. PAGAMENTO NA ASSINATURA\n{basis[0].upper()}{basis[1:]}."
    return "\n".join(
        [
            "5. PAGAMENTO NA ASSINATURA",
            f"Valor devido na assinatura: {format_brl(terms.amount_due_brl)} ({basis}).",
            "O contrato passa a vigorar quando esse pagamento for confirmado.",
        ]
    )


def _withdrawal() -> str:
    return "\n".join(
        [
            "6. DIREITO DE ARREPENDIMENTO",
            "Como este contrato foi celebrado fora de estabelecimento comercial, a CONTRATANTE "
            f"pode desistir dele em até {WITHDRAWAL_DAYS} dias contados da assinatura, sem "
            "justificativa e sem custo (Código de Defesa do Consumidor, art. 49). Basta "
            'escrever "arrependimento" na conversa com a Connect Energy. Todo valor pago '
            "será devolvido integralmente, pelo mesmo meio de pagamento.",
        ]
    )


def _privacy(terms: ContractTerms) -> str:
    return "\n".join(
        [
            "7. PRIVACIDADE E DADOS PESSOAIS",
            "Nome, CPF e dados de consumo da CONTRATANTE são tratados pela Connect Energy e "
            f"pela CONTRATADA ({terms.supplier_name}) somente para celebrar e executar este "
            "contrato e cumprir obrigações legais (Lei 13.709/2018, LGPD, art. 7º, II e V). "
            "Os dados não são vendidos nem usados para publicidade sem consentimento "
            "próprio. A CONTRATANTE pode pedir acesso, correção e informação sobre o uso "
            "dos seus dados a qualquer momento pela conversa; o registro da assinatura é "
            "guardado enquanto a lei exigir.",
        ]
    )


def _closing() -> str:
    return "\n".join(
        [
            "8. ASSINATURA",
            "A CONTRATANTE declara ter lido este contrato e o assina eletronicamente ao "
            "informar nome completo e CPF e marcar a concordância na página de assinatura. "
            "Ficam registrados data e hora, endereço IP, navegador e o resumo SHA-256 deste "
            "texto.",
        ]
    )


def _months(months: int) -> str:
    return f"{months} mês" if months == 1 else f"{months} meses"


def _days(days: int) -> str:
    return f"{days} dia" if days == 1 else f"{days} dias"

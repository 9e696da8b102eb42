"""Tables of the system of record.

Reference data (states, CEP ranges, distributors, tariffs, flags) comes from ANEEL and is
refreshed by `db upgrade`; the rest is written by the product.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base

Money = Numeric(12, 2)
RatePerMWh = Numeric(10, 2)
Percent = Numeric(5, 2)
# JSONB on PostgreSQL, JSON text elsewhere.
Document = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; BIGINT stays BIGINT on PostgreSQL.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Timestamp(TypeDecorator[datetime]):
    """A UTC instant: stored with its zone on PostgreSQL, read back aware on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


# Reference data -----------------------------------------------------------------------


class State(Base):
    """A Brazilian federative unit (UF)."""

    __tablename__ = "states"

    uf: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))


class CepRange(Base):
    """An inclusive range of 8-digit CEPs allocated to one state."""

    __tablename__ = "cep_ranges"
    __table_args__ = (UniqueConstraint("cep_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uf: Mapped[str] = mapped_column(ForeignKey("states.uf"))
    cep_start: Mapped[int] = mapped_column(Integer)
    cep_end: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))


class Distributor(Base):
    """A distribution utility (distribuidora) registered with ANEEL."""

    __tablename__ = "distributors"

    id: Mapped[int] = mapped_column(primary_key=True)
    cnpj: Mapped[str] = mapped_column(String(14), unique=True)
    sigla: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean)
    consumer_units: Mapped[int | None] = mapped_column(Integer)

    states: Mapped[list[DistributorState]] = relationship(
        back_populates="distributor", cascade="all, delete-orphan"
    )
    tariffs: Mapped[list[Tariff]] = relationship(
        back_populates="distributor", order_by="Tariff.valid_from"
    )


class DistributorState(Base):
    """A state where a distributor has a concession area."""

    __tablename__ = "distributor_states"

    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"), primary_key=True)
    uf: Mapped[str] = mapped_column(ForeignKey("states.uf"), primary_key=True)

    distributor: Mapped[Distributor] = relationship(back_populates="states")


class Tariff(Base):
    """A B1 residential tariff (conventional) approved by an ANEEL act, in R$/MWh."""

    __tablename__ = "tariffs"
    __table_args__ = (UniqueConstraint("distributor_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"))
    act: Mapped[str] = mapped_column(String(40))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    te_rs_mwh: Mapped[Decimal] = mapped_column(RatePerMWh)
    tusd_rs_mwh: Mapped[Decimal] = mapped_column(RatePerMWh)

    distributor: Mapped[Distributor] = relationship(back_populates="tariffs")


class FlagMonth(Base):
    """The tariff flag (bandeira) ANEEL set for one month, with its surcharge."""

    __tablename__ = "flag_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM"
    flag: Mapped[str] = mapped_column(String(30))
    additional_rs_mwh: Mapped[Decimal] = mapped_column(RatePerMWh)


class FlagRate(Base):
    """The surcharge of one flag level under one ANEEL act."""

    __tablename__ = "flag_rates"
    __table_args__ = (UniqueConstraint("act", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    act: Mapped[str] = mapped_column(String(40))
    level: Mapped[str] = mapped_column(String(30))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    rs_mwh: Mapped[Decimal] = mapped_column(RatePerMWh)


# Suppliers and offers -----------------------------------------------------------------


class Supplier(Base):
    """A company that sells energy or solar systems through the marketplace."""

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    cnpj: Mapped[str] = mapped_column(String(14), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    rating: Mapped[Decimal | None] = mapped_column(Numeric(2, 1))
    rating_count: Mapped[int] = mapped_column(Integer, default=0)
    response_hours: Mapped[int] = mapped_column(Integer, default=24)
    accepting_leads: Mapped[bool] = mapped_column(Boolean, default=True)
    missed_leads: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp())

    offers: Mapped[list[Offer]] = relationship(back_populates="supplier")


class SupplierInvite(Base):
    """A one-time code that makes whoever sends it in chat an agent of the supplier."""

    __tablename__ = "supplier_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    # Only a hash is kept: a copy of the database must not let anyone join a supplier.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    used_at: Mapped[datetime | None] = mapped_column(Timestamp())


class SupplierAgent(Base):
    """A supplier's staff member, reached in one chat (channel and chat id)."""

    __tablename__ = "supplier_agents"
    __table_args__ = (UniqueConstraint("supplier_id", "channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(200))
    # Where lead cards are also e-mailed; the agent gives it in chat (`/email`).
    email: Mapped[str | None] = mapped_column(String(254))
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_invites.id"))
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class Offer(Base):
    """What a supplier sells, with the fact-sheet fields of DOMAIN.md and who may sign."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("supplier_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    code: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(20))  # subscription | free_market | solar
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")

    # Price: one of these, by kind (see marketplace/savings.py for the arithmetic).
    discount_pct: Mapped[Decimal | None] = mapped_column(Percent)
    energy_price_rs_mwh: Mapped[Decimal | None] = mapped_column(RatePerMWh)
    price_per_kwp_brl: Mapped[Decimal | None] = mapped_column(Money)

    loyalty_months: Mapped[int] = mapped_column(Integer, default=0)
    cancellation_fee_pct: Mapped[Decimal | None] = mapped_column(Percent)
    notice_days: Mapped[int] = mapped_column(Integer, default=0)
    starts_in_days: Mapped[int] = mapped_column(Integer, default=0)
    readjustment: Mapped[str] = mapped_column(String(120), default="")
    two_bills: Mapped[bool] = mapped_column(Boolean, default=False)

    consumer_class: Mapped[str] = mapped_column(String(20), default="residential")
    min_bill_brl: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"))
    sign_directly: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp())

    supplier: Mapped[Supplier] = relationship(back_populates="offers")
    states: Mapped[list[OfferState]] = relationship(cascade="all, delete-orphan")
    distributors: Mapped[list[OfferDistributor]] = relationship(cascade="all, delete-orphan")


class OfferState(Base):
    """A state where an offer can serve consumers."""

    __tablename__ = "offer_states"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    uf: Mapped[str] = mapped_column(ForeignKey("states.uf"), primary_key=True)


class OfferDistributor(Base):
    """A distributor area an offer is limited to (no rows: every area of its states)."""

    __tablename__ = "offer_distributors"

    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"), primary_key=True)
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"), primary_key=True)


# Consumers, consents and leads --------------------------------------------------------


class Consumer(Base):
    """A person looking for a supplier; personal fields are kept only with consent."""

    __tablename__ = "consumers"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    locale: Mapped[str] = mapped_column(String(10), default="pt_BR")
    name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    uf: Mapped[str | None] = mapped_column(String(2))
    distributor_id: Mapped[int | None] = mapped_column(ForeignKey("distributors.id"))
    bill_brl: Mapped[Decimal | None] = mapped_column(Money)
    monthly_kwh: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))

    identities: Mapped[list[ChannelIdentity]] = relationship(back_populates="consumer")


class ChannelIdentity(Base):
    """How one consumer is reached on one channel (a Telegram user, a WhatsApp number...)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))
    unreachable: Mapped[bool] = mapped_column(Boolean, default=False)
    last_inbound_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # Where the platform delivers to this person when it differs from `external_id` (on
    # WhatsApp, the wa_id exactly as WhatsApp last sent it: with or without the ninth digit).
    address: Mapped[str | None] = mapped_column(String(100))

    consumer: Mapped[Consumer] = relationship(back_populates="identities")


class Consent(Base):
    """A purpose a consumer agreed to; sharing with a supplier names that supplier."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))  # privacy_terms | share_with_supplier
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("suppliers.id"))
    granted_at: Mapped[datetime] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())


class Lead(Base):
    """A consumer's request to be contacted by the supplier of one offer."""

    __tablename__ = "leads"
    __table_args__ = (
        UniqueConstraint("consumer_id", "offer_id"),
        Index("ix_leads_due", "status", "respond_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id", ondelete="CASCADE"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id"))
    status: Mapped[str] = mapped_column(String(20), default="new")
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    uf: Mapped[str] = mapped_column(String(2))
    distributor_id: Mapped[int] = mapped_column(ForeignKey("distributors.id"))
    # The consumer gives one of kWh and R$; without a tariff the other cannot be worked out.
    monthly_kwh: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    bill_brl: Mapped[Decimal | None] = mapped_column(Money)
    monthly_saving_brl: Mapped[Decimal | None] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    # Where the consumer asked, so the supplier's answers come back to the same chat.
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    respond_by: Mapped[datetime | None] = mapped_column(Timestamp())
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_agents.id"))
    accepted_at: Mapped[datetime | None] = mapped_column(Timestamp())
    declined_at: Mapped[datetime | None] = mapped_column(Timestamp())
    decline_reason: Mapped[str | None] = mapped_column(String(200))
    missed_at: Mapped[datetime | None] = mapped_column(Timestamp())

    offer: Mapped[Offer] = relationship()
    supplier: Mapped[Supplier] = relationship()


class LeadMessage(Base):
    """One message relayed between a supplier's agent and the consumer about a lead."""

    __tablename__ = "lead_messages"
    __table_args__ = (Index("ix_lead_messages_lead", "lead_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    sender: Mapped[str] = mapped_column(String(10))  # "supplier" | "consumer"
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_agents.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp())


# Notifications: devices, preferences, app accounts ------------------------------------


class Device(Base):
    """A phone or browser of one person that receives push notifications (an FCM token)."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_person", "person_kind", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_kind: Mapped[str] = mapped_column(String(10))  # consumer | agent
    person_id: Mapped[int] = mapped_column(Integer)
    token: Mapped[str] = mapped_column(String(4096))
    # A hash of the token, unique: FCM tokens are long, and a unique index on them is not.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(10))  # android | ios | web
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp())


class NotificationPreference(Base):
    """Whether one person wants push and e-mail deliveries; no row means both on."""

    __tablename__ = "notification_preferences"

    person_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    push: Mapped[bool] = mapped_column(Boolean, default=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(Timestamp())


class AppAccount(Base):
    """An identity provider's subject, linked once to a person by a code from their chat."""

    __tablename__ = "app_accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    person_kind: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class AppLinkCode(Base):
    """A one-time code a person gets in chat (`/app`) to link the app they signed in to."""

    __tablename__ = "app_link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a hash is kept, as for supplier invites.
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_kind: Mapped[str] = mapped_column(String(10))
    person_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    used_at: Mapped[datetime | None] = mapped_column(Timestamp())


# Conversations, inbound messages and the outbox ---------------------------------------


class Conversation(Base):
    """The state of one chat with the bot: which flow, which step, and what was said."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    chat_id: Mapped[str] = mapped_column(String(100))
    consumer_id: Mapped[int | None] = mapped_column(
        ForeignKey("consumers.id", ondelete="SET NULL")
    )
    flow: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(Document, default=dict)
    locale: Mapped[str] = mapped_column(String(10), default="pt_BR")
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    updated_at: Mapped[datetime] = mapped_column(Timestamp())


class InboundMessage(Base):
    """A message id seen on a channel; its row is what makes a redelivery a no-op."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(120))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    received_at: Mapped[datetime] = mapped_column(Timestamp())


class OutboxMessage(Base):
    """A message to deliver after commit: a reply or a notification, sent exactly once."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_pending", "status", "next_attempt_at"),
        Index("ix_outbox_inbound", "inbound_message_id"),
        Index("ix_outbox_provider", "channel", "provider_message_id"),
        Index("ix_outbox_about_consumer", "about_consumer_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    recipient: Mapped[str] = mapped_column(String(254))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    inbound_message_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    # The consumer whose personal data the message carries (news to them, a lead card with
    # what they shared, their answer relayed to a supplier): forgetting them deletes it.
    about_consumer_id: Mapped[int | None] = mapped_column(ForeignKey("consumers.id"))
    kind: Mapped[str] = mapped_column(String(20), default="reply")
    payload: Mapped[dict[str, Any]] = mapped_column(Document)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # How many of the platform messages this row becomes were delivered (a long reply goes
    # out in parts): a retry resumes after them instead of sending them again.
    parts_sent: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp())
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # What the platform said about the message after accepting it (WhatsApp statuses).
    provider_message_id: Mapped[str | None] = mapped_column(String(128))
    delivery_status: Mapped[str | None] = mapped_column(String(20))  # sent|delivered|read|failed
    # The platform refused it outside its service window: send an approved template first.
    needs_template: Mapped[bool] = mapped_column(Boolean, default=False)


class TranscriptEntry(Base):
    """One line of a conversation as it happened, in either direction."""

    __tablename__ = "transcript_entries"
    __table_args__ = (
        Index("ix_transcript_conversation", "conversation_id", "id"),
        # Partial: nearly every line is about no one else, and those cost the index nothing.
        Index(
            "ix_transcript_about_consumer",
            "about_consumer_id",
            postgresql_where=text("about_consumer_id IS NOT NULL"),
            sqlite_where=text("about_consumer_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    body: Mapped[dict[str, Any]] = mapped_column(Document)
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    # The consumer whose personal data a line of someone else's chat carries (the contact an
    # agent was shown on accepting a lead, a question the agent relayed to them): forgetting
    # that consumer deletes the line. No foreign key, like conversation_id: the transcript
    # is written in bulk and may move to a document store.
    about_consumer_id: Mapped[int | None] = mapped_column(Integer)


# Contracts ----------------------------------------------------------------------------


class Contract(Base):
    """What a consumer signs for one lead: the terms as text, its status and the amount due.

    Statuses: awaiting_signature → signed → active (once paid), or withdrawn (within the
    7 days of CDC art. 49). `text` and `text_sha256` are the current version's.
    """

    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # A signed contract outlives its lead (a consumer forgotten under LGPD keeps the contracts
    # the law obliges us to keep), so the lead may go.
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("leads.id", ondelete="SET NULL"), unique=True
    )
    consumer_id: Mapped[int] = mapped_column(ForeignKey("consumers.id"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id"))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, default=1)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    amount_due_brl: Mapped[Decimal] = mapped_column(Money)
    amount_basis: Mapped[str] = mapped_column(String(30))  # first_month | deposit | none
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    signed_at: Mapped[datetime | None] = mapped_column(Timestamp())
    activated_at: Mapped[datetime | None] = mapped_column(Timestamp())
    withdrawn_at: Mapped[datetime | None] = mapped_column(Timestamp())


class ContractVersion(Base):
    """Every text a contract ever had, so the one a signature points at is always there."""

    __tablename__ = "contract_versions"
    __table_args__ = (UniqueConstraint("contract_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class ContractSignature(Base):
    """The evidence of a signature, written in the transaction that marks the contract signed."""

    __tablename__ = "contract_signatures"

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    document_sha256: Mapped[str] = mapped_column(String(64))  # of the text shown and signed
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_cpf: Mapped[str] = mapped_column(String(11))
    signed_at: Mapped[datetime] = mapped_column(Timestamp())
    ip_address: Mapped[str] = mapped_column(String(45))
    user_agent: Mapped[str] = mapped_column(String(500))
    channel: Mapped[str | None] = mapped_column(String(20))
    channel_user: Mapped[str | None] = mapped_column(String(100))
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    # The signed copy: the text shown plus the signature block, and its own hash.
    signed_text: Mapped[str] = mapped_column(Text)
    signed_sha256: Mapped[str] = mapped_column(String(64))


class UsedToken(Base):
    """A one-time link's id (JWT `jti`), recorded in the transaction that used it."""

    __tablename__ = "used_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(30))
    used_at: Mapped[datetime] = mapped_column(Timestamp())


# Payments -----------------------------------------------------------------------------


class Payment(Base):
    """What one contract asks the consumer to pay through PicPay (or its sandbox).

    The row is written before the provider is called, so every callback about it finds it.
    `amount_brl` is what we asked for; `paid_brl` what the provider reports was paid.
    """

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_contract", "contract_id"),
        Index("ix_payments_due", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference_id: Mapped[str] = mapped_column(String(64), unique=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    provider: Mapped[str] = mapped_column(String(20))  # picpay | sandbox
    amount_brl: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))
    payment_url: Mapped[str | None] = mapped_column(String(500))
    qr_code_content: Mapped[str | None] = mapped_column(String(1000))
    qr_code_png: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Who pays, as the provider needs it to retry a failed creation; cleared once created.
    buyer: Mapped[dict[str, Any] | None] = mapped_column(Document)
    return_url: Mapped[str] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    authorization_id: Mapped[str | None] = mapped_column(String(100))
    paid_brl: Mapped[Decimal | None] = mapped_column(Money)
    # Provider statuses in the order first seen, known or not: what PicPay ever told us.
    provider_statuses: Mapped[list[str]] = mapped_column(Document, default=list)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str | None] = mapped_column(String(200))
    creation_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # When the periodic check may next ask the provider (or retry a failed creation).
    next_check_at: Mapped[datetime] = mapped_column(Timestamp())
    # A withdrawal asked for the money back (or the unpaid link cancelled), in its own
    # transaction; the periodic check asks the provider until it is done, then clears it.
    refund_due_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # The refund request in flight with the provider (claimed, released if it fails).
    refund_requested_at: Mapped[datetime | None] = mapped_column(Timestamp())
    cancellation_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Timestamp())
    updated_at: Mapped[datetime] = mapped_column(Timestamp())


class PaymentEvent(Base):
    """One change or observation in a payment's life: the audit trail of its statuses."""

    __tablename__ = "payment_events"
    __table_args__ = (Index("ix_payment_events_payment", "payment_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))  # status | ignored | unknown | review ...
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    provider_status: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(20))  # callback | check | creation | refund
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(Timestamp())


class SandboxPayment(Base):
    """The built-in sandbox's side of a payment: what PicPay would hold, with no money."""

    __tablename__ = "sandbox_payments"

    reference_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value_brl: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(20))
    authorization_id: Mapped[str | None] = mapped_column(String(100))
    return_url: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime] = mapped_column(Timestamp())
    created_at: Mapped[datetime] = mapped_column(Timestamp())

"""The lead card: what every agent of a supplier reads when a consumer asks to be contacted.

It carries the offer, where the consumer is, their consumption and bill, what they agreed
to share with this supplier (name and the contact they gave; nothing else, ever), and the
buttons accept, decline and ask a question. Buttons are flow actions of the supplier flow
(conversations.supplier_leads), so they work whatever the agent's chat was doing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from sqlalchemy.orm import Session

from conversations.consumer_offers import kind_name
from conversations.contacts import format_phone
from conversations.events import Option, Reply
from conversations.flow import Notification
from conversations.i18n import DEFAULT_LOCALE, Translator, translator_for
from marketplace.agents import AgentRecord, agents_of
from marketplace.conversation_store import chat_locale
from marketplace.lead_views import LeadView, load_lead_view
from marketplace.notifications import NotificationKind
from marketplace.people import Person

ACCEPT, DECLINE, ASK = "accept:", "decline:", "ask:"


def card_notifications(session: Session, lead_id: int) -> tuple[Notification, ...]:
    """A card for every agent of the lead's supplier, each in the agent's language."""
    lead = load_lead_view(session, lead_id)
    if lead is None:
        return ()
    return to_agents(
        session,
        lead.supplier_id,
        lambda translator: lead_card(translator, lead),
        kind=NotificationKind.LEAD_CARD,
        data={"lead_id": str(lead.id)},
        about_consumer=lead.consumer_id,
    )


def agent_translator(session: Session, agent: AgentRecord) -> Translator:
    """The translator of the agent's chat (the default language before they ever wrote)."""
    return translator_for(chat_locale(session, agent.channel, agent.chat_id) or DEFAULT_LOCALE)


def to_agents(
    session: Session,
    supplier_id: int,
    write: Callable[[Translator], Reply],
    *,
    kind: NotificationKind,
    data: Mapping[str, str] | None = None,
    about_consumer: int | None = None,
    push: Callable[[Translator], str] | None = None,
) -> tuple[Notification, ...]:
    """The same news for every agent of a supplier, each written in the agent's language.

    `about_consumer` names the consumer whose personal data the news carries, if any;
    `push` writes the push body when the news quotes what someone typed.
    """
    notes: list[Notification] = []
    for agent in agents_of(session, supplier_id):
        translator = agent_translator(session, agent)
        notes.append(
            Notification(
                agent.channel,
                agent.chat_id,
                write(translator),
                kind=kind,
                person=Person.agent(agent.id),
                data=dict(data or {}),
                about_consumer=about_consumer,
                push_text=push(translator) if push is not None else None,
            )
        )
    return tuple(notes)


def lead_card(translator: Translator, lead: LeadView) -> Reply:
    """The card of one lead, with its three buttons; it carries the consumer's data."""
    _ = translator.gettext
    lines = [
        _("New lead #{number}: {offer} ({kind})").format(
            number=lead.id, offer=lead.offer_title, kind=kind_name(translator, lead.offer_kind)
        ),
        _("Where: {state} ({uf}), distributor {distributor}").format(
            state=lead.state_name, uf=lead.uf, distributor=lead.distributor_name
        ),
        *_consumption_lines(translator, lead),
        shared_line(translator, lead),
    ]
    if lead.respond_by is not None:
        hours = max(1, round((lead.respond_by - lead.created_at).total_seconds() / 3600))
        lines.append(
            translator.ngettext(
                "Please answer within {hours} hour.", "Please answer within {hours} hours.", hours
            ).format(hours=hours)
        )
    return Reply(
        "\n".join(lines),
        options=card_options(translator, lead.id),
        about_consumer=lead.consumer_id,
    )


def card_options(translator: Translator, lead_id: int) -> tuple[Option, ...]:
    """Accept, decline and ask, for one lead."""
    _ = translator.gettext
    return (
        Option(f"{ACCEPT}{lead_id}", _("Accept")),
        Option(f"{DECLINE}{lead_id}", _("Decline")),
        Option(f"{ASK}{lead_id}", _("Ask a question")),
    )


def write_option(translator: Translator, lead_id: int) -> Option:
    """For an accepted lead: write to its consumer through the bot (the relay goes on)."""
    return Option(f"{ASK}{lead_id}", translator.gettext("Message the consumer"))


def shared_line(translator: Translator, lead: LeadView) -> str:
    """What the consumer agreed to share with this supplier, or that they shared nothing."""
    _ = translator.gettext
    contact = lead.contact
    if contact is None:
        return _("The consumer shared no contact with you; write through the bot.")
    reach = format_phone(contact.phone) if contact.phone else contact.email
    return _("Shared with you by the consumer: {name}, {contact}").format(
        name=contact.name, contact=reach
    )


def _consumption_lines(translator: Translator, lead: LeadView) -> list[str]:
    _ = translator.gettext
    lines: list[str] = []
    if lead.monthly_kwh is not None:
        lines.append(
            _("Consumption: about {kwh} kWh a month").format(
                kwh=translator.format_number(lead.monthly_kwh, decimals=0)
            )
        )
    if lead.bill_brl is not None:
        lines.append(
            _("Bill: about {bill} a month").format(bill=translator.format_money(lead.bill_brl))
        )
    if lead.monthly_saving_brl is not None:
        lines.append(
            _("Estimated saving with your offer: {saving} a month").format(
                saving=translator.format_money(lead.monthly_saving_brl)
            )
        )
    return lines

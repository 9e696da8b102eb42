"""What the consumer hears about their lead: accepted, declined, missed, or a question.

Each message goes to the chat where the consumer asked (the lead's conversation), in that
chat's language, as a notification written in the same transaction as the change. After a
decline or a miss the next-best eligible offer comes with it, as a button.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from conversations.events import Option, Reply
from conversations.flow import Notification
from conversations.i18n import N_, Translator, translator_for
from marketplace.clock import Clock
from marketplace.conversation_store import ChatAddress, chat_of
from marketplace.lead_alternatives import next_best_offer
from marketplace.lead_views import LeadView
from marketplace.leads import LeadStatus
from marketplace.notifications import NotificationKind
from marketplace.people import Person

NEXT_OFFER, ANSWER = "next:", "answer:"
# The reasons an agent may tap to decline; each side reads it in their own language.
DECLINE_REASONS = {
    "area": N_("We do not serve this area"),
    "bill": N_("The bill is too low for this offer"),
    "capacity": N_("No capacity right now"),
}

_Render = Callable[[Translator], Reply]


def accepted_news(session: Session, lead: LeadView) -> tuple[Notification, ...]:
    """Tell the consumer the supplier took their request."""
    return _to_consumer(
        session,
        lead,
        lambda t: Reply(
            t.gettext("Good news: {supplier} accepted your request and will contact you.").format(
                supplier=lead.supplier_name
            )
        ),
    )


def reason_label(translator: Translator, reason: str) -> str:
    """A tapped reason (`area`) in this language; a typed one as it was written."""
    label = DECLINE_REASONS.get(reason)
    return translator.gettext(label) if label else reason


def declined_news(
    session: Session, lead: LeadView, reason: str, clock: Clock
) -> tuple[Notification, ...]:
    """Tell the consumer the supplier declined, with the reason (a key of `DECLINE_REASONS`
    or the agent's own words) and the next-best offer."""

    def render(translator: Translator) -> Reply:
        said = translator.gettext(
            "{supplier} cannot take your request. Their reason: {reason}"
        ).format(supplier=lead.supplier_name, reason=reason_label(translator, reason))
        return _with_next_offer(session, translator, lead, said, clock)

    def push(translator: Translator) -> str:
        # Not the reason: an agent may have typed it, and push goes through Google.
        return translator.gettext("{supplier} cannot take your request.").format(
            supplier=lead.supplier_name
        )

    return _to_consumer(session, lead, render, push=push)


def missed_news(session: Session, lead: LeadView, clock: Clock) -> tuple[Notification, ...]:
    """Tell the consumer the supplier did not answer in time, with the next-best offer."""

    def render(translator: Translator) -> Reply:
        said = translator.gettext("{supplier} did not answer your request in time.").format(
            supplier=lead.supplier_name
        )
        return _with_next_offer(session, translator, lead, said, clock)

    return _to_consumer(session, lead, render)


def question_news(session: Session, lead: LeadView, question: str) -> tuple[Notification, ...]:
    """Relay the supplier's question; the consumer answers with the button."""

    def render(translator: Translator) -> Reply:
        if lead.status == LeadStatus.ACCEPTED:  # under way: news, not only questions
            said = translator.gettext('{supplier} writes about your request: "{question}"')
        else:
            said = translator.gettext('{supplier} asks about your request: "{question}"')
        text = said.format(supplier=lead.supplier_name, question=question)
        answer = Option(f"{ANSWER}{lead.id}", translator.gettext("Answer"))
        return Reply(text, options=(answer,))

    def push(translator: Translator) -> str:
        if lead.status == LeadStatus.ACCEPTED:
            sent = translator.gettext("{supplier} sent you a message about your request.")
        else:
            sent = translator.gettext("{supplier} sent you a question about your request.")
        return sent.format(supplier=lead.supplier_name)

    return _to_consumer(session, lead, render, push=push)


def consumer_chat(session: Session, lead: LeadView) -> ChatAddress | None:
    """The chat where the consumer asked for this lead, if it still exists."""
    return chat_of(session, lead.conversation_id) if lead.conversation_id else None


def _with_next_offer(
    session: Session, translator: Translator, lead: LeadView, said: str, clock: Clock
) -> Reply:
    offer = next_best_offer(session, lead.id, clock)
    if offer is None:
        nothing = translator.gettext("I found no other offer for you right now.")
        return Reply(f"{said}\n{nothing}")
    if offer.saving is not None:
        suggestion = translator.gettext(
            "The next best offer for you: {offer}, from {supplier}, saving about {saving} a month."
        ).format(
            offer=offer.title,
            supplier=offer.supplier_name,
            saving=translator.format_money(offer.saving.monthly_saving_brl),
        )
    else:
        suggestion = translator.gettext(
            "The next best offer for you: {offer}, from {supplier}."
        ).format(offer=offer.title, supplier=offer.supplier_name)
    see = Option(f"{NEXT_OFFER}{lead.id}:{offer.offer_id}", translator.gettext("See this offer"))
    return Reply(f"{said}\n{suggestion}", options=(see,))


def _to_consumer(
    session: Session,
    lead: LeadView,
    render: _Render,
    *,
    push: Callable[[Translator], str] | None = None,
) -> tuple[Notification, ...]:
    chat = consumer_chat(session, lead)
    if chat is None:
        return ()
    translator = translator_for(chat.locale)
    note = Notification(
        chat.channel,
        chat.chat_id,
        render(translator),
        kind=NotificationKind.LEAD_NEWS,
        person=Person.consumer(lead.consumer_id),
        data={"lead_id": str(lead.id)},
        push_text=push(translator) if push is not None else None,
    )
    return (note,)

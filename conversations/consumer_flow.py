"""The consumer flow (issue 3): from "oi" to ranked offers and a recorded lead.

The table below is the whole dialogue: every state, its question and handler, where it may
go, and its help. The steps live in one module per stage:

- consumer_consent: greeting, privacy notice and consent (declining forgets everything);
- consumer_location: CEP or state, then the distributor when the state has several;
- consumer_bill: the monthly bill in R$ or kWh, checked against the estimator;
- consumer_offers: the ranked offers, five a page;
- consumer_fact_sheet: one offer in full, and "How did you calculate?" (consumer_explanation);
- consumer_lead: consent to share with that supplier, name, contact, and the lead;
- consumer_contract: a new signing link, and withdrawal (`/arrependimento`) from any state.

State names and the keys of the conversation data are in consumer_data.
"""

from __future__ import annotations

from conversations.consumer_bill import ask_bill, handle_bill, help_bill
from conversations.consumer_consent import ask_consent, handle_consent, help_consent
from conversations.consumer_contract import (
    act_withdraw,
    ask_withdraw,
    enter_contract_command,
    handle_withdraw,
)
from conversations.consumer_data import ConsumerState as S
from conversations.consumer_fact_sheet import ask_offer, handle_offer, help_offer
from conversations.consumer_lead import (
    ask_contact,
    ask_done,
    ask_name,
    ask_share_consent,
    handle_contact,
    handle_done,
    handle_name,
    handle_share_consent,
    help_contact,
    help_done,
    help_name,
    help_share_consent,
)
from conversations.consumer_location import (
    ask_cep,
    ask_distributor,
    ask_distributor_other,
    ask_state,
    handle_cep,
    handle_distributor,
    handle_distributor_other,
    handle_state,
    help_distributor,
    help_location,
)
from conversations.consumer_offers import ask_offers, handle_offers, help_offers
from conversations.consumer_relay import act_answer, act_next_offer, ask_answer, handle_answer
from conversations.contract_news import WITHDRAW
from conversations.contract_payments import PAY_AGAIN, act_pay_again
from conversations.flow import END, Flow, Step
from conversations.lead_news import ANSWER, NEXT_OFFER

CONSUMER = Flow(
    name="consumer",
    start=S.CONSENT,
    steps={
        S.CONSENT: Step(
            ask=ask_consent,
            handle=handle_consent,
            goes_to=(S.CONSENT, S.CEP, END),  # consent again after reading the policy
            help=help_consent,
            transcript=False,  # nothing typed before the privacy consent is kept
        ),
        S.CEP: Step(
            ask=ask_cep,
            handle=handle_cep,
            goes_to=(S.STATE, S.DISTRIBUTOR, S.BILL),
            help=help_location,
        ),
        S.STATE: Step(
            ask=ask_state,
            handle=handle_state,
            goes_to=(S.DISTRIBUTOR, S.BILL),
            help=help_location,
        ),
        S.DISTRIBUTOR: Step(
            ask=ask_distributor,
            handle=handle_distributor,
            goes_to=(S.DISTRIBUTOR_OTHER, S.BILL),
            help=help_distributor,
        ),
        S.DISTRIBUTOR_OTHER: Step(
            ask=ask_distributor_other,
            handle=handle_distributor_other,
            goes_to=(S.DISTRIBUTOR_OTHER, S.BILL),  # "More" turns the page
            help=help_distributor,
        ),
        S.BILL: Step(ask=ask_bill, handle=handle_bill, goes_to=(S.OFFERS,), help=help_bill),
        S.OFFERS: Step(
            ask=ask_offers,
            handle=handle_offers,
            goes_to=(S.OFFERS, S.OFFER, S.BILL, S.CEP),  # pages, an offer, or change inputs
            help=help_offers,
        ),
        S.OFFER: Step(
            ask=ask_offer,
            handle=handle_offer,
            goes_to=(S.OFFER, S.SHARE_CONSENT, S.OFFERS),  # stays after "How?" or a repeat
            help=help_offer,
        ),
        S.SHARE_CONSENT: Step(
            ask=ask_share_consent,
            handle=handle_share_consent,
            goes_to=(S.NAME, S.OFFERS),
            help=help_share_consent,
        ),
        S.NAME: Step(ask=ask_name, handle=handle_name, goes_to=(S.CONTACT,), help=help_name),
        S.CONTACT: Step(
            ask=ask_contact,
            handle=handle_contact,
            goes_to=(S.DONE, S.OFFERS),  # offers when the offer was withdrawn meanwhile
            help=help_contact,
        ),
        S.DONE: Step(ask=ask_done, handle=handle_done, goes_to=(S.OFFERS,), help=help_done),
        # Reached by the "Answer" button of a supplier's question, from any state; back there.
        S.ANSWER: Step(ask=ask_answer, handle=handle_answer, goes_to=tuple(S)),
        # Reached by `/arrependimento` or the signed copy's button, from any state; back there.
        S.WITHDRAW: Step(ask=ask_withdraw, handle=handle_withdraw, goes_to=(*S, END)),
    },
    entry=enter_contract_command,
    actions={
        ANSWER: act_answer,
        NEXT_OFFER: act_next_offer,
        WITHDRAW: act_withdraw,
        PAY_AGAIN: act_pay_again,
    },
)

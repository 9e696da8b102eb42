"""Where the consumer lives and which distributor bills them: CEP or state, then distributor.

A state with one distributor needs no question; one with several shows the largest four
first, and the rest a page at a time. Typing a sigla or a name works at every step.
"""

from __future__ import annotations

import math

from conversations.consumer_data import (
    DISTRIBUTOR_ID,
    DISTRIBUTOR_PAGE,
    UF,
    ConsumerState,
    page_in,
)
from conversations.events import Option, Reply
from conversations.flow import AskContext, Reask, StepContext, Transition
from conversations.places import find_cep, find_state
from marketplace.documents import format_cep
from marketplace.geography import (
    AmbiguousDistributor,
    DistributorRef,
    GeographyError,
    distributors_serving,
    find_distributor,
    known_as,
    list_states,
    state_for_cep,
)

TOP_DISTRIBUTORS = 4
OTHERS_PAGE_SIZE = 8
NO_CEP, OTHER, MORE = "no-cep", "other", "more"
DISTRIBUTOR_PREFIX = "d:"


def ask_cep(context: AskContext) -> Reply:
    """Ask for the CEP, or the state for those who do not know it."""
    _ = context.gettext
    return Reply(
        _("What is your CEP? For example 60110-000. You can also just tell me your state."),
        options=(Option(NO_CEP, _("I don't know my CEP")),),
    )


def handle_cep(context: StepContext) -> Transition | Reask:
    """Find the state from a CEP in the text, or from a state's name or UF."""
    _ = context.gettext
    if context.option and context.option.id == NO_CEP:
        return Transition(ConsumerState.STATE)
    cep = find_cep(context.text)
    if cep is not None:
        return _from_cep(context, cep)
    uf = find_state(context.text, list_states(context.session))
    if uf is not None:
        return _located(context, uf)
    if any(char.isdigit() for char in context.text):
        return Reask(_("I did not understand the CEP. Type its 8 digits, for example 01310-100."))
    return Reask(
        _(
            "I did not understand. Type your CEP, for example 01310-100, or the name of your "
            "state, for example Ceará."
        )
    )


def ask_state(context: AskContext) -> Reply:
    """Ask for the state of those without a CEP."""
    return Reply(context.gettext("Which state do you live in? For example: Ceará, SP or Bahia."))


def handle_state(context: StepContext) -> Transition | Reask:
    """Read a state's name or UF (or a CEP after all)."""
    cep = find_cep(context.text)
    if cep is not None:
        return _from_cep(context, cep)
    uf = find_state(context.text, list_states(context.session))
    if uf is None:
        return Reask(
            context.gettext(
                "I did not recognise the state. Type its name or abbreviation, for example "
                "Ceará or CE."
            )
        )
    return _located(context, uf)


def help_location(context: AskContext) -> str:
    """Why the bot asks where the consumer lives."""
    return context.gettext(
        "Your CEP (the 8-digit postcode of your address, for example 60110-000) tells me "
        "your state and so which distributors and offers serve you. Without it, type your "
        "state, for example Ceará or CE."
    )


def _located(context: StepContext, uf: str) -> Transition | Reask:
    """Go on once the state is known: to the bill when one distributor serves it."""
    distributors = distributors_serving(context.session, uf)
    if not distributors:
        return Reask(
            context.gettext(
                "I have no distributor on record for that state yet. Try another CEP or state."
            )
        )
    if len(distributors) > 1:
        return Transition(
            ConsumerState.DISTRIBUTOR,
            data={UF: uf, DISTRIBUTOR_PAGE: 1},
            forget=(DISTRIBUTOR_ID,),
        )
    only = distributors[0]
    found = context.gettext("Your distributor is {distributor}.").format(
        distributor=known_as(only)
    )
    return Transition(
        ConsumerState.BILL, replies=(Reply(found),), data={UF: uf, DISTRIBUTOR_ID: only.id}
    )


def ask_distributor(context: AskContext) -> Reply:
    """Ask which distributor is on the bill: the largest four, then "Other"."""
    _ = context.gettext
    uf = context.data[UF]
    distributors = distributors_serving(context.session, uf)
    options = [_option(d) for d in distributors[:TOP_DISTRIBUTORS]]
    if len(distributors) > TOP_DISTRIBUTORS:
        options.append(Option(OTHER, _("Other")))
    text = (
        _(
            "{state} has several distributors. Which one is on your electricity bill? "
            "Tap it or type its name."
        )
        if context.buttons
        else _(
            "{state} has several distributors. Which one is on your electricity bill? "
            "Type its number or its name."
        )
    ).format(state=list_states(context.session)[uf])
    return Reply(text, options=tuple(options))


def handle_distributor(context: StepContext) -> Transition | Reask:
    """Take the distributor tapped or typed, or show the others."""
    if context.option and context.option.id == OTHER:
        return Transition(ConsumerState.DISTRIBUTOR_OTHER, data={DISTRIBUTOR_PAGE: 1})
    return _chosen(context)


def ask_distributor_other(context: AskContext) -> Reply:
    """The state's smaller distributors, a page at a time."""
    _ = context.gettext
    uf = context.data[UF]
    others = distributors_serving(context.session, uf)[TOP_DISTRIBUTORS:]
    pages = max(1, math.ceil(len(others) / OTHERS_PAGE_SIZE))
    page = min(page_in(context.data, DISTRIBUTOR_PAGE), pages)

    start = (page - 1) * OTHERS_PAGE_SIZE
    options = [_option(d) for d in others[start : start + OTHERS_PAGE_SIZE]]
    if page < pages:
        options.append(Option(MORE, _("More")))
    text = (
        _(
            "The other distributors of {state} (page {page} of {pages}). Tap yours or type its "
            "name."
        )
        if context.buttons
        else _(
            "The other distributors of {state} (page {page} of {pages}). Type the number or the "
            "name of yours."
        )
    ).format(state=list_states(context.session)[uf], page=page, pages=pages)
    return Reply(text, options=tuple(options))


def handle_distributor_other(context: StepContext) -> Transition | Reask:
    """Take the distributor tapped or typed, or turn the page."""
    if context.option and context.option.id == MORE:
        page = page_in(context.data, DISTRIBUTOR_PAGE) + 1
        return Transition(ConsumerState.DISTRIBUTOR_OTHER, data={DISTRIBUTOR_PAGE: page})
    return _chosen(context)


def help_distributor(context: AskContext) -> str:
    """What a distributor is and where to find its name."""
    return context.gettext(
        "The distributor is the company that delivers your electricity and sends the bill; "
        "its name is printed at the top of the bill."
    )


def _from_cep(context: StepContext, cep: str) -> Transition | Reask:
    try:
        uf = state_for_cep(context.session, cep)
    except GeographyError:
        return Reask(
            context.gettext(
                "I could not find the CEP {cep} in any state. Check the numbers (for example "
                "60110-000) or tell me your state."
            ).format(cep=format_cep(cep))
        )
    return _located(context, uf)


def _chosen(context: StepContext) -> Transition | Reask:
    uf = context.data[UF]
    if context.option and context.option.id.startswith(DISTRIBUTOR_PREFIX):
        distributor_id = int(context.option.id.removeprefix(DISTRIBUTOR_PREFIX))
        return Transition(ConsumerState.BILL, data={DISTRIBUTOR_ID: distributor_id})
    try:
        found = find_distributor(context.session, uf, context.text)
    except AmbiguousDistributor as error:
        return _reask_ambiguous(context, error)
    except GeographyError:
        not_found = (
            context.gettext(
                "I did not find that distributor. Tap one of the options, or type the name "
                "printed on your bill, for example {example}."
            )
            if context.buttons
            else context.gettext(
                "I did not find that distributor. Type the number of one of the options, or "
                "the name printed on your bill, for example {example}."
            )
        )
        return Reask(
            not_found.format(example=known_as(distributors_serving(context.session, uf)[0]))
        )
    return Transition(ConsumerState.BILL, data={DISTRIBUTOR_ID: found.id})


def _reask_ambiguous(context: StepContext, error: AmbiguousDistributor) -> Reask:
    names = context.translator.format_list(
        [known_as(candidate) for candidate in error.candidates[:TOP_DISTRIBUTORS]], either=True
    )
    return Reask(
        context.gettext(
            "Several distributors match: {names}. Type the full name of yours."
        ).format(names=names)
    )


def _option(distributor: DistributorRef) -> Option:
    return Option(f"{DISTRIBUTOR_PREFIX}{distributor.id}", known_as(distributor))

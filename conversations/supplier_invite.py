"""The way into the supplier flow: a message carrying an invite code.

On Telegram the deep link `t.me/<bot>?start=<code>` arrives as `/start <code>`; elsewhere
the agent types or pastes the code. A code that looks right but is unknown, spent or
expired gets an answer that says so, and the conversation stays where it was. A chat where
the person already asked a supplier for something, as a consumer, keeps that role: the code
is refused there (and stays unspent), since lead news and contracts need consumer answers.
"""

from __future__ import annotations

from conversations.flow import Reask, StepContext, Transition
from conversations.parsing import clean_text
from conversations.supplier_data import AGENT_ID, SupplierState
from marketplace.invites import (
    InviteProblem,
    InviteRejected,
    read_invite_code,
    redeem_invite,
)
from marketplace.leads import has_requests

START_COMMAND = "/start"
MAX_AGENT_NAME = 200  # supplier_agents.name
MAX_INVITE_MESSAGE = 60  # "/start@SomeLongBotName CE-XXXXXXXXXXXX" fits; a paragraph does not


def enter_with_invite(context: StepContext) -> Transition | Reask | None:
    """Make the sender an agent when the message is an invite code; None when it is not."""
    code = _code_in(context.text)
    if code is None:
        return None
    if has_requests(context.session, context.consumer_id):
        # This chat's lead news and contract carry consumer buttons (answer, withdraw), which
        # an agent's chat could not answer; so one chat is either a consumer's or an agent's.
        return Reask(
            context.gettext(
                "This chat holds your own requests as a consumer, so it cannot also answer "
                "for a supplier. Open the invite from another account or number, or from the "
                "web chat; the code still works."
            )
        )
    event = context.event
    try:
        agent = redeem_invite(
            context.session,
            code,
            channel=event.channel,
            chat_id=event.chat_id,
            name=_profile_name(context.user_name),
            now=context.clock.now(),
        )
    except InviteRejected as rejected:
        return Reask(_refusal(context, rejected.problem))
    # The home's question is the welcome: whom the agent now answers for, whether leads
    # arrive or are paused, and what to do. A greeting of its own would say it twice.
    return Transition(SupplierState.HOME, data={AGENT_ID: agent.id})


def _profile_name(user_name: str | None) -> str | None:
    """The chat profile's name as it may be stored: control characters gone, at most
    `MAX_AGENT_NAME` characters (a WhatsApp profile name may hold 256 of anything)."""
    cleaned = clean_text(user_name or "", limit=MAX_AGENT_NAME)
    name = " ".join(cleaned.text.split())
    return name or None


def _code_in(text: str) -> str | None:
    if len(text) > MAX_INVITE_MESSAGE:
        return None
    words = text.split()
    if words and words[0].lower().split("@", 1)[0] == START_COMMAND:
        words = words[1:]
    return read_invite_code("".join(words))


def _refusal(context: StepContext, problem: InviteProblem) -> str:
    _ = context.gettext
    refusals = {
        InviteProblem.UNKNOWN: _(
            "I do not know this invite code. Check it, or ask for a new one."
        ),
        InviteProblem.USED: _(
            "This invite code was already used; each code works once. Ask for a new one."
        ),
        InviteProblem.EXPIRED: _("This invite code has expired. Ask for a new one."),
    }
    return refusals[problem]

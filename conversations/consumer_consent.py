"""The consumer flow's first question: who we are, what we keep, and the privacy consent.

Declining keeps nothing: the consumer's data, transcript and messages are erased and the
conversation ends with empty data, ready for a later "oi".
"""

from __future__ import annotations

from conversations.consumer_data import POLICY_SHOWN, ConsumerState
from conversations.events import Option, Reply
from conversations.flow import END, AskContext, Reask, StepContext, Transition
from conversations.i18n import N_
from conversations.parsing import clean_text, parse_yes_no
from marketplace.consents import record_privacy_consent
from marketplace.erasure import forget_consumer

AGREE, DECLINE, POLICY = "agree", "decline", "policy"
MAX_FIRST_NAME = 30

AGREE_LABEL = N_("I agree")
DECLINE_LABEL = N_("No, thanks")
POLICY_LABEL = N_("Read the policy")


def ask_consent(context: AskContext) -> Reply:
    """Greet, say what the bot does and keeps, and ask for consent."""
    _ = context.gettext
    agree, decline = Option(AGREE, _(AGREE_LABEL)), Option(DECLINE, _(DECLINE_LABEL))
    if context.data.get(POLICY_SHOWN):
        return Reply(_("Do you agree to these terms?"), options=(agree, decline))

    name = first_name(context.user_name)
    greeting = _("Hello, {name}!").format(name=name) if name else _("Hello!")
    introduction = _(
        "I am Connect Energy. I compare electricity offers for your home and show how much "
        "you could save on your power bill, right here in the chat."
    )
    notice = _(
        "Before we start: to do the maths I keep your state (from your CEP), your "
        "distributor, the amount of your bill and this conversation. Nothing is shared with "
        "any supplier without asking you first."
    )
    question = _("Do you agree?")
    text = f"{greeting} {introduction}\n\n{notice}\n\n{question}"
    return Reply(text, options=(agree, decline, Option(POLICY, _(POLICY_LABEL))))


def handle_consent(context: StepContext) -> Transition | Reask:
    """Agree and go on, decline and forget everything, or read the policy first."""
    choice = context.option.id if context.option else _yes_no_choice(context.text)
    if choice == AGREE:
        record_privacy_consent(context.session, context.consumer_id, context.clock.now())
        return Transition(ConsumerState.CEP, forget=(POLICY_SHOWN,))
    if choice == DECLINE:
        return _decline(context)
    if choice == POLICY:
        policy = Reply(_policy(context))
        return Transition(ConsumerState.CONSENT, replies=(policy,), data={POLICY_SHOWN: True})
    if not context.buttons:
        return Reask(
            context.gettext("Please answer yes or no, or type the number of one of the options.")
        )
    return Reask(context.gettext('Please tap "I agree" or "No, thanks", or answer yes or no.'))


def help_consent(context: AskContext) -> str:
    """What the consent question is for."""
    if not context.buttons:
        return context.gettext(
            "I need your agreement to keep your answers while I compare offers for you. "
            'To know more before deciding, type the number of "Read the policy".'
        )
    return context.gettext(
        "I need your agreement to keep your answers while I compare offers for you. "
        'Tap "Read the policy" to know more before deciding.'
    )


def first_name(user_name: str | None) -> str | None:
    """The first word of a profile name, when it has letters; None otherwise."""
    words = clean_text(user_name or "", limit=200).text.split()
    if not words or not any(char.isalpha() for char in words[0]):
        return None
    return words[0][:MAX_FIRST_NAME]


def _yes_no_choice(text: str) -> str | None:
    answer = parse_yes_no(text)
    if answer is None:
        return None
    return AGREE if answer else DECLINE


def _decline(context: StepContext) -> Transition:
    forget_consumer(context.session, context.consumer_id, conversation_id=context.conversation_id)
    farewell = context.gettext(
        "All right: I have erased your answers and this conversation. I keep only this "
        "chat's address, so that I never answer the same message twice. If you change your "
        "mind, send hi whenever you like."
    )
    return Transition(END, replies=(Reply(farewell),), forget=tuple(context.data), unrecorded=True)


def _policy(context: AskContext) -> str:
    _ = context.gettext
    return "\n".join(
        (
            _("Our privacy policy, in short:"),
            _(
                "- We use your answers only to estimate your bill and show you offers, and, "
                "if you ask, so that the supplier you choose can contact you."
            ),
            _(
                "- Your name and contact go only to the supplier you pick, and only after "
                "you say yes to that supplier."
            ),
            _("- You can ask to see, correct or delete your data at any time."),
            _("- If you do not agree, your answers and this conversation are erased."),
        )
    )

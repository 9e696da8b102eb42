"""The account flow: how a person chooses where notifications reach them, in any chat.

Its commands are answered where the person is, whatever they were doing, and the question
they were at is asked again after the answer:

- `/app`: a one-time code to type in the Connect Energy app, which links the app's sign-in
  to this person so it can register for push (marketplace.app_accounts).
- `/email ADDRESS` keeps the address for lead and receipt messages (for a consumer, also
  their consent to be written there); `/email off` forgets it; `/email` says what is set.
- `/push on|off` turns push notifications on or off.
- `/novidades sim|não` (`/marketing on|off`): a consumer's opt-in to news and offers,
  which is never assumed.

Commands need their slash, so a consumer typing an e-mail as the contact for a supplier is
never taken for one.
"""

from __future__ import annotations

from conversations.contacts import InvalidContact, read_contact
from conversations.events import Reply
from conversations.flow import END, AskContext, Flow, Reask, Step, StepContext, Transition
from conversations.parsing import normalize
from conversations.supplier_data import agent_of_conversation
from marketplace.app_accounts import LINK_CODE_LIFETIME, create_link_code
from marketplace.consents import (
    MARKETING,
    has_privacy_consent,
    record_purpose_consent,
    revoke_purpose_consent,
)
from marketplace.notification_preferences import (
    email_address,
    preferences_of,
    set_email_address,
    set_preferences,
)
from marketplace.people import Person, PersonKind

SETTINGS = "settings"
MAX_COMMAND_MESSAGE = 300
ON_WORDS = frozenset({"on", "sim", "si", "yes", "ligar", "ativar"})
OFF_WORDS = frozenset({"off", "nao", "no", "desligar", "desativar", "stop", "parar"})


def enter_with_command(context: StepContext) -> Transition | Reask | None:
    """Answer an account command in place; None when the message is not one."""
    text = context.text.strip()
    if not text.startswith("/") or len(text) > MAX_COMMAND_MESSAGE:
        return None
    word, _, rest = text[1:].partition(" ")
    command = normalize(word).split("@", 1)[0]
    handler = COMMANDS.get(command)
    if handler is None:
        return None
    person = _person(context)
    if person.kind is PersonKind.CONSUMER and not has_privacy_consent(context.session, person.id):
        # An address, a device or an opt-in is personal data: not before the privacy terms.
        refusal = context.gettext("Please accept the privacy terms first, then send this again.")
        return Reask(refusal, show_options=False)
    return Reask(handler(context, rest.strip()), show_options=False)


def ask_settings(context: AskContext) -> Reply:
    """Where notifications reach this person now."""
    return Reply(_summary(context, _person(context)))


def handle_settings(context: StepContext) -> Transition | Reask:
    """Nothing to answer here: the commands work everywhere."""
    return Transition(END)


def _app(context: StepContext, rest: str) -> str:
    code = create_link_code(context.session, _person(context), context.clock.now())
    minutes = int(LINK_CODE_LIFETIME.total_seconds() // 60)
    return context.gettext(
        "Your app code: {code}\nType it in the Connect Energy app within {minutes} minutes; "
        "it works once. Then the app can show you notifications."
    ).format(code=code, minutes=minutes)


def _email(context: StepContext, rest: str) -> str:
    person, now = _person(context), context.clock.now()
    if not rest:
        return _summary(context, person)
    if normalize(rest) in OFF_WORDS:
        set_email_address(context.session, person, None, now)
        return context.gettext("Done: I will not send you e-mails any more.")
    address: str | None = None
    # One address, in ASCII: a list would keep only its first, and most mail servers refuse
    # an address with accents (SMTPUTF8), so both are asked again rather than half-kept.
    if len(rest.replace(",", " ").replace(";", " ").split()) == 1 and rest.isascii():
        try:
            address = read_contact(rest).email
        except InvalidContact:
            address = None
    if address is None:
        return context.gettext(
            "That e-mail does not look right. Send /email followed by your address, for "
            "example /email maria@email.com."
        )
    set_email_address(context.session, person, address, now)
    set_preferences(context.session, person, now, email=True)
    return context.gettext(
        "Done: lead and receipt messages will also reach {email}. Send /email off to stop."
    ).format(email=address)


def _push(context: StepContext, rest: str) -> str:
    wanted = _on_off(rest)
    if wanted is None:
        return context.gettext("Send /push on or /push off.")
    set_preferences(context.session, _person(context), context.clock.now(), push=wanted)
    if wanted:
        return context.gettext("Done: push notifications are on.")
    return context.gettext("Done: push notifications are off.")


def _marketing(context: StepContext, rest: str) -> str:
    person = _person(context)
    if person.kind is not PersonKind.CONSUMER:
        return context.gettext("News and offers are sent to consumers only.")
    wanted = _on_off(rest)
    if wanted is None:
        return context.gettext(
            "Send /novidades sim to receive news and offers from us, or /novidades não to stop."
        )
    now = context.clock.now()
    if wanted:
        record_purpose_consent(context.session, person.id, MARKETING, now)
        return context.gettext(
            "Done: you will receive news and offers. Send /novidades não to stop at any time."
        )
    revoke_purpose_consent(context.session, person.id, MARKETING, now)
    return context.gettext("Done: no more news and offers.")


COMMANDS = {
    "app": _app,
    "aplicativo": _app,
    "email": _email,
    "e-mail": _email,
    "push": _push,
    "novidades": _marketing,
    "marketing": _marketing,
}


def _summary(context: AskContext, person: Person) -> str:
    _ = context.gettext
    address = email_address(context.session, person)
    preferences = preferences_of(context.session, person)
    lines = [
        _("E-mail: {email}.").format(email=address)
        if address and preferences.email
        else _(
            "E-mail: none. Send /email followed by your address to receive lead and receipt "
            "messages there."
        ),
        _("Push notifications: on.") if preferences.push else _("Push notifications: off."),
    ]
    return "\n".join(lines)


def _on_off(rest: str) -> bool | None:
    word = normalize(rest)
    if word in ON_WORDS:
        return True
    if word in OFF_WORDS:
        return False
    return None


def _person(context: AskContext) -> Person:
    """The agent whose chat this is, else the consumer behind it."""
    agent = agent_of_conversation(context.session, context.conversation_id)
    if agent is not None:
        return Person.agent(agent.id)
    return Person.consumer(context.consumer_id)


ACCOUNT = Flow(
    name="account",
    start=SETTINGS,
    # The commands answer in place, so no conversation moves here; the one state says what
    # is set, should a conversation ever start in this flow.
    steps={SETTINGS: Step(ask=ask_settings, handle=handle_settings, goes_to=(END,))},
    entry=enter_with_command,
)

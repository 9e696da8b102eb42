"""A small flow that exercises the engine: consent, a name, a colour from options, done.

Test-only: it stands in for the consumer flow, which lives in the product.
"""

from __future__ import annotations

from conversations.events import Option, Reply
from conversations.flow import END, AskContext, Flow, Reask, Step, StepContext, Transition
from conversations.parsing import parse_yes_no


def sample_flow() -> Flow:
    """The table of the flow: every state, its question, its handler and where it goes.

    A function, so the table can open the module while the steps it names follow it.
    """
    return Flow(
        name="sample",
        start="consent",
        steps={
            "consent": Step(ask=ask_consent, handle=handle_consent, goes_to=("name", END)),
            "name": Step(ask=ask_name, handle=handle_name, goes_to=("colour",)),
            "colour": Step(ask=ask_colour, handle=handle_colour, goes_to=("done",)),
            "done": Step(ask=ask_done, handle=handle_done),
        },
    )


def ask_consent(context: AskContext) -> Reply:
    """Greet and ask for consent."""
    yes_no = (Option("yes", "Yes"), Option("no", "No"))
    return Reply("Hello! May I keep your answers to help you?", options=yes_no)


def handle_consent(context: StepContext) -> Transition | Reask:
    """Go on with a yes, end with a no."""
    answer = True if context.option and context.option.id == "yes" else None
    if context.option and context.option.id == "no":
        answer = False
    if answer is None:
        answer = parse_yes_no(context.text)
    if answer is None:
        return context.reask_yes_no()
    if not answer:
        return Transition(END, replies=(Reply("Okay, I will not keep anything. Bye!"),))
    return Transition("name", data={"consent": True})


def ask_name(context: AskContext) -> Reply:
    """Ask for a name."""
    return Reply("What is your name?")


def handle_name(context: StepContext) -> Transition | Reask:
    """Remember a name of two letters or more."""
    name = context.text.strip()
    if len(name) < 2 or len(name) > 60 or any(char.isdigit() for char in name):
        return Reask("Please type your first name, for example: Ana.")
    return Transition("colour", data={"name": name})


COLOURS = (Option("c-blue", "Azul"), Option("c-green", "Verde"), Option("c-red", "Vermelho"))


def ask_colour(context: AskContext) -> Reply:
    """Ask for a favourite colour among three."""
    return Reply(f"Nice to meet you, {context.data['name']}! Pick a colour.", options=COLOURS)


def handle_colour(context: StepContext) -> Transition | Reask:
    """Remember the colour picked."""
    if context.option is None:
        return context.reask_choice()
    return Transition("done", data={"colour": context.option.id})


def ask_done(context: AskContext) -> Reply:
    """Sum up."""
    return Reply(f"All set, {context.data['name']}: {context.data['colour']}.")


def handle_done(context: StepContext) -> Transition | Reask:
    """Nothing more to ask."""
    return Reask("We are done. Send restart to begin again.", show_options=False)


SAMPLE_FLOW = sample_flow()

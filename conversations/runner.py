"""One message against one conversation: global commands, answers, re-asks and transitions.

The runner works on a conversation held in memory; the engine loads, locks and saves it
around the runner within one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sqlalchemy.orm import Session

from conversations.errors import FlowDefinitionError, InvalidAnswer, UnknownFlow
from conversations.events import InboundEvent, InboundKind, Option, Reply
from conversations.flow import (
    END,
    NEW,
    AskContext,
    Flow,
    Notification,
    Reask,
    Step,
    StepContext,
    Transition,
)
from conversations.i18n import Translator
from conversations.parsing import (
    MAX_TEXT_LENGTH,
    CleanText,
    Command,
    clean_text,
    match_option,
    parse_command,
)
from marketplace.clock import Clock
from marketplace.contract_tokens import ContractLinks
from marketplace.payments import Payments

logger = logging.getLogger(__name__)


MAX_HISTORY = 12  # "back" a dozen questions is plenty; the data row stays small
HELP_OPTION_ID = "/help"
RESTART_OPTION_ID = "/restart"


class _ContextFields(TypedDict):
    state: str
    data: dict[str, Any]
    translator: Translator
    session: Session
    clock: Clock
    consumer_id: int
    conversation_id: int
    user_name: str | None
    contract_links: ContractLinks | None
    payments: Payments | None
    buttons: bool


@dataclass
class ConversationState:
    """Where a conversation is: flow, state, remembered values, path taken, last options."""

    flow: str
    state: str
    values: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    shown: list[list[Option]] = field(default_factory=list)
    failed_attempts: int = 0

    @classmethod
    def load(
        cls, flow: str, state: str, data: Mapping[str, Any], failed: int
    ) -> ConversationState:
        """Rebuild the state from the conversation row's `data` document."""
        shown = [
            [Option(id=str(option["id"]), label=str(option["label"])) for option in group]
            for group in data.get("shown", [])
        ]
        return cls(
            flow=flow,
            state=state,
            values=dict(data.get("values", {})),
            history=list(data.get("history", [])),
            shown=shown,
            failed_attempts=failed,
        )

    def dump(self) -> dict[str, Any]:
        """The `data` document to store: values, history and the options last shown."""
        return {
            "values": self.values,
            "history": self.history,
            "shown": [
                [{"id": option.id, "label": option.label} for option in group]
                for group in self.shown
            ],
        }


@dataclass(frozen=True)
class TurnScope:
    """What a turn may use besides the conversation: language, database, clock, who."""

    translator: Translator
    session: Session
    clock: Clock
    consumer_id: int
    conversation_id: int
    user_name: str | None = None
    contract_links: ContractLinks | None = None
    payments: Payments | None = None
    buttons: bool = True  # options are tapped (False: typed by number, at the terminal)


@dataclass
class TurnResult:
    """What one message produced: replies to the person and notifications to others."""

    replies: list[Reply] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    heard: str = ""  # the message's text as read: cleaned, capped
    recorded: bool = True  # whether the turn goes into the transcript
    replies_recorded: bool = True  # whether the bot's replies do, when the turn is not
    heard_about: int | None = None  # the consumer whose data the message is about, if any

    def extend(self, replies: Sequence[Reply]) -> TurnResult:
        """Add replies after the ones already there; returns self, for chaining."""
        self.replies.extend(replies)
        return self


@dataclass(frozen=True)
class _Answer:
    text: str
    option: Option | None


class FlowRunner:
    """Runs flows one message at a time, with the global commands every state obeys."""

    def __init__(
        self, flows: Mapping[str, Flow], default_flow: str, *, offer_help_after: int = 3
    ) -> None:
        if default_flow not in flows:
            raise UnknownFlow(default_flow)
        misnamed = [key for key, flow in flows.items() if key != flow.name]
        if misnamed:
            raise FlowDefinitionError(f"flows registered under another name: {misnamed}")
        self.flows = dict(flows)
        self.default_flow = default_flow
        self.offer_help_after = offer_help_after

    def run(
        self, conversation: ConversationState, event: InboundEvent, scope: TurnScope
    ) -> TurnResult:
        """Answer one message, changing `conversation` in place."""
        cleaned = clean_text(event.text) if event.text else CleanText("")
        private = self._is_private(conversation)
        about = self._typed_about(conversation, scope)
        result = self._turn(conversation, event, cleaned, scope)
        result.heard = cleaned.text
        result.heard_about = about
        if private:
            # The turn that leaves the private step (the consent given, an agent's invite
            # code) keeps the bot's replies, not the person's words: a reloaded chat then
            # starts at the question that follows instead of showing nothing.
            result.replies_recorded = result.recorded and not self._is_private(conversation)
            result.recorded = False
        return result

    def _is_private(self, conversation: ConversationState) -> bool:
        # A turn answered in (or starting) a step that keeps no transcript leaves no words
        # behind: before the privacy consent, nothing a person types may be kept.
        flow = self.flows.get(conversation.flow) or self.flows[self.default_flow]
        state = flow.start if conversation.state in (NEW, END) else conversation.state
        step = flow.steps.get(state)
        return step is not None and not step.transcript

    def _typed_about(self, conversation: ConversationState, scope: TurnScope) -> int | None:
        # Whatever is typed in a state that asks for words for a consumer (an agent's
        # question) is kept as about them: too long, a command or the words themselves.
        flow = self.flows.get(conversation.flow)
        step = flow.steps.get(conversation.state) if flow is not None else None
        if step is None or step.about_consumer is None:
            return None
        return step.about_consumer(self._ask_context(conversation, scope))

    def _turn(
        self,
        conversation: ConversationState,
        event: InboundEvent,
        cleaned: CleanText,
        scope: TurnScope,
    ) -> TurnResult:
        entered = self._try_entries(conversation, event, cleaned, scope)
        if entered is not None:
            return entered
        flow = self.flows.get(conversation.flow)
        if flow is None or conversation.state not in (*flow.steps, NEW, END):
            logger.warning(
                "conversation %s was in %s/%s, which no longer exists; starting over",
                scope.conversation_id,
                conversation.flow,
                conversation.state,
            )
            return self._start(conversation, scope, notice=self._lost_track(scope))
        if conversation.state in (NEW, END):
            # A notification's button still works after the flow ended (say, the consumer
            # cancelled, then the supplier asked them a question).
            acted = (
                self._act(conversation, flow, event, scope) if conversation.state == END else None
            )
            return acted or self._start(conversation, scope, notice=None)

        command = _command_in(event)
        if command is not None:
            return self._obey(command, conversation, flow, scope)
        return self._answer(conversation, flow, event, cleaned, scope)

    # Entries and actions ---------------------------------------------------------------

    def _try_entries(
        self,
        conversation: ConversationState,
        event: InboundEvent,
        cleaned: CleanText,
        scope: TurnScope,
    ) -> TurnResult | None:
        """Move the conversation into the flow whose entry claims this message, if any."""
        if event.kind is not InboundKind.TEXT or not cleaned.text or cleaned.too_long:
            return None
        for flow in self.flows.values():
            if flow.entry is None:
                continue
            context = self._step_context(conversation, scope, event, _Answer(cleaned.text, None))
            outcome = flow.entry(context)
            if isinstance(outcome, Transition):
                return self._enter(conversation, flow, outcome, scope)
            if isinstance(outcome, Reask):
                return self._refused_entry(conversation, outcome, scope)
        return None

    def _enter(
        self,
        conversation: ConversationState,
        flow: Flow,
        transition: Transition,
        scope: TurnScope,
    ) -> TurnResult:
        flow.check_jump("_entry", transition.to)
        conversation.flow = flow.name
        conversation.state = END if transition.to == END else transition.to
        conversation.values = dict(transition.data)
        conversation.history.clear()
        conversation.failed_attempts = 0
        result = _result_of(transition)
        if transition.to == END:
            conversation.shown = []
            return result
        return result.extend(self._ask(conversation, flow, scope))

    def _refused_entry(
        self, conversation: ConversationState, reask: Reask, scope: TurnScope
    ) -> TurnResult:
        flow = self.flows.get(conversation.flow)
        if flow is None or conversation.state not in flow.steps:
            return self._start(conversation, scope, notice=Reply(reask.text))
        return TurnResult(replies=[Reply(reask.text)]).extend(self._ask(conversation, flow, scope))

    def _act(
        self,
        conversation: ConversationState,
        flow: Flow,
        event: InboundEvent,
        scope: TurnScope,
    ) -> TurnResult | None:
        """Run the flow action a notification's button asks for, if it is one."""
        if event.kind is not InboundKind.OPTION:
            return None
        action = flow.action_for(event.option_id)
        if action is None or _find_option(conversation.shown, event.option_id) is not None:
            return None
        option = Option(id=event.option_id or "", label=event.text or "")
        context = self._step_context(conversation, scope, event, _Answer(option.label, option))
        outcome = action(context)
        if isinstance(outcome, Reask):
            return self._failed(conversation, scope, outcome)
        # Not `goes_to` of the current state: an action may be taken from anywhere, which is
        # the point of it; its target must still be a state of the flow.
        flow.check_jump(f"action {option.id}", outcome.to)
        return self._go(conversation, flow, outcome, scope, checked=True)

    # Global commands -------------------------------------------------------------------

    def _obey(
        self, command: Command, conversation: ConversationState, flow: Flow, scope: TurnScope
    ) -> TurnResult:
        _ = scope.translator.gettext
        conversation.failed_attempts = 0
        if command in (Command.START, Command.RESTART):
            return self._start(conversation, scope, notice=Reply(_("Let's start over.")))
        if command is Command.HELP:
            return TurnResult(replies=[self._help(conversation, flow, scope)]).extend(
                self._ask(conversation, flow, scope)
            )
        if command is Command.BACK:
            return self._back(conversation, flow, scope)
        return self._cancel(conversation, scope)

    def _start(
        self, conversation: ConversationState, scope: TurnScope, *, notice: Reply | None
    ) -> TurnResult:
        flow = self.flows.get(conversation.flow) or self.flows[self.default_flow]
        conversation.flow = flow.name
        conversation.state = flow.start
        conversation.values.clear()
        conversation.history.clear()
        conversation.failed_attempts = 0
        result = TurnResult(replies=[notice] if notice else [])
        return result.extend(self._ask(conversation, flow, scope))

    def _help(self, conversation: ConversationState, flow: Flow, scope: TurnScope) -> Reply:
        _ = scope.translator.gettext
        step = flow.steps[conversation.state]
        commands = _(
            "You can answer the question, or send one of these at any time:\n"
            '"help": this message\n'
            '"back": return to the previous question\n'
            '"restart": start over\n'
            '"cancel": stop here'
        )
        if step.help is None:
            return Reply(commands)
        return Reply(f"{step.help(self._ask_context(conversation, scope))}\n\n{commands}")

    def _back(self, conversation: ConversationState, flow: Flow, scope: TurnScope) -> TurnResult:
        _ = scope.translator.gettext
        if not conversation.history and conversation.state == flow.start:
            notice = Reply(_("This is the first question; there is nothing before it."))
        elif not conversation.history:
            # Past a point of no return (a lead sent: Transition.forget_history), or as far
            # back as MAX_HISTORY keeps: not the first question, yet nothing to go back to.
            notice = Reply(_("It is not possible to go back any further from here."))
        else:
            conversation.state = conversation.history.pop()
            notice = Reply(_("Okay, back to the previous question."))
        return TurnResult(replies=[notice]).extend(self._ask(conversation, flow, scope))

    def _cancel(self, conversation: ConversationState, scope: TurnScope) -> TurnResult:
        _ = scope.translator.gettext
        restart = Option(id=RESTART_OPTION_ID, label=_("Restart"))
        conversation.state = END
        conversation.values.clear()  # what was said stays in no state once the flow is over
        conversation.history.clear()
        conversation.shown = [[restart]]
        farewell = (
            _(
                "Okay, I have stopped here. Whenever you like, tap Restart or send any message "
                "to begin again."
            )
            if scope.buttons
            else _(
                "Okay, I have stopped here. Whenever you like, send any message to begin again."
            )
        )
        return TurnResult(replies=[Reply(farewell, options=(restart,))])

    def _lost_track(self, scope: TurnScope) -> Reply:
        _ = scope.translator.gettext
        return Reply(_("Sorry, I lost track of where we were. Let's start over."))

    # Answers ---------------------------------------------------------------------------

    def _answer(
        self,
        conversation: ConversationState,
        flow: Flow,
        event: InboundEvent,
        cleaned: CleanText,
        scope: TurnScope,
    ) -> TurnResult:
        acted = self._act(conversation, flow, event, scope)
        if acted is not None:
            return acted
        answer = self._read(conversation, flow, event, cleaned, scope)
        if isinstance(answer, TurnResult):
            return answer

        step = flow.steps[conversation.state]
        context = self._step_context(conversation, scope, event, answer)
        try:
            outcome = step.handle(context)
        except InvalidAnswer as invalid:
            outcome = Reask(invalid.reask)
        if isinstance(outcome, Reask):
            return self._failed(conversation, scope, outcome)
        return self._go(conversation, flow, outcome, scope)

    def _read(
        self,
        conversation: ConversationState,
        flow: Flow,
        event: InboundEvent,
        cleaned: CleanText,
        scope: TurnScope,
    ) -> _Answer | TurnResult:
        """The answer in `event`, or the polite reply when there is nothing to answer with."""
        _ = scope.translator.gettext
        if event.kind is InboundKind.OPTION:
            tapped = _find_option(conversation.shown, event.option_id)
            if tapped is None:
                stale = Reply(
                    _("That button belongs to an earlier question. The question now is:")
                )
                return TurnResult(replies=[stale]).extend(self._ask(conversation, flow, scope))
            return _Answer(text=tapped.label, option=tapped)
        if event.kind is InboundKind.UNSUPPORTED:
            reask = Reask(_("I can only read text here. Could you type your answer?"))
            return self._failed(conversation, scope, reask)

        if cleaned.too_long:
            too_long = _(
                "That message is too long for me. "
                "Could you say it in fewer than {limit} characters?"
            )
            reask = Reask(too_long.format(limit=scope.translator.format_number(MAX_TEXT_LENGTH)))
            return self._failed(conversation, scope, reask)
        if not cleaned.text and event.kind is InboundKind.TEXT:
            reask = Reask(_("I did not get any text. Could you type your answer?"))
            return self._failed(conversation, scope, reask)
        typed_from = conversation.shown[-1] if conversation.shown else []
        return _Answer(text=cleaned.text, option=match_option(cleaned.text, typed_from))

    def _failed(
        self, conversation: ConversationState, scope: TurnScope, reask: Reask
    ) -> TurnResult:
        conversation.failed_attempts += 1
        options = (
            tuple(conversation.shown[-1]) if reask.show_options and conversation.shown else ()
        )
        replies = [Reply(reask.text, options=options)]
        if conversation.failed_attempts % self.offer_help_after == 0:
            replies.append(self._help_offer(scope))
        return TurnResult(replies=replies)

    def _help_offer(self, scope: TurnScope) -> Reply:
        _ = scope.translator.gettext
        offer = (
            _(
                'Having trouble? Tap "Help" to see what I understand, send "back" to change your '
                'previous answer, or "restart" to begin again.'
            )
            if scope.buttons
            else _(
                'Having trouble? Send "help" to see what I understand, "back" to change your '
                'previous answer, or "restart" to begin again.'
            )
        )
        return Reply(offer, options=(Option(id=HELP_OPTION_ID, label=_("Help")),))

    # Transitions and questions ---------------------------------------------------------

    def _go(
        self,
        conversation: ConversationState,
        flow: Flow,
        transition: Transition,
        scope: TurnScope,
        *,
        checked: bool = False,
    ) -> TurnResult:
        if not checked:
            flow.check_transition(conversation.state, transition.to)
        conversation.values.update(transition.data)
        for key in transition.forget:
            conversation.values.pop(key, None)
        if transition.forget_history:
            conversation.history.clear()
        conversation.failed_attempts = 0

        result = _result_of(transition)
        if transition.to == END:
            conversation.state = END
            conversation.history.clear()
            conversation.shown = []
            return result
        if transition.to != conversation.state:
            if not transition.forget_history and conversation.state != END:
                conversation.history = [*conversation.history, conversation.state][-MAX_HISTORY:]
            conversation.state = transition.to
        return result.extend(self._ask(conversation, flow, scope))

    def _ask(self, conversation: ConversationState, flow: Flow, scope: TurnScope) -> list[Reply]:
        """Render the current question and remember the options it shows."""
        step: Step = flow.steps[conversation.state]
        asked = step.ask(self._ask_context(conversation, scope))
        replies = [asked] if isinstance(asked, Reply) else list(asked)
        conversation.shown = [list(reply.options) for reply in replies if reply.options]
        return replies

    def _step_context(
        self,
        conversation: ConversationState,
        scope: TurnScope,
        event: InboundEvent,
        answer: _Answer,
    ) -> StepContext:
        return StepContext(
            **self._context_fields(conversation, scope),
            event=event,
            text=answer.text,
            option=answer.option,
            failed_attempts=conversation.failed_attempts,
        )

    def _ask_context(self, conversation: ConversationState, scope: TurnScope) -> AskContext:
        return AskContext(**self._context_fields(conversation, scope))

    def _context_fields(self, conversation: ConversationState, scope: TurnScope) -> _ContextFields:
        # A copy, so a handler that mutates `data` changes nothing behind the engine's back.
        return {
            "state": conversation.state,
            "data": dict(conversation.values),
            "translator": scope.translator,
            "session": scope.session,
            "clock": scope.clock,
            "consumer_id": scope.consumer_id,
            "conversation_id": scope.conversation_id,
            "user_name": scope.user_name,
            "contract_links": scope.contract_links,
            "payments": scope.payments,
            "buttons": scope.buttons,
        }


def _command_in(event: InboundEvent) -> Command | None:
    if event.kind is InboundKind.OPTION:
        option_id = event.option_id or ""
        return parse_command(option_id) if option_id.startswith("/") else None
    # A command is one short word; no need to normalise a long message to know it is not.
    if event.kind is InboundKind.TEXT and len(event.text) <= 40:
        return parse_command(event.text)
    return None


def _find_option(shown: Sequence[Sequence[Option]], option_id: str | None) -> Option | None:
    for group in shown:
        for option in group:
            if option.id == option_id:
                return option
    return None


def _result_of(transition: Transition) -> TurnResult:
    """What a transition says and sends, before the next question is asked."""
    return TurnResult(
        replies=list(transition.replies),
        notifications=list(transition.notify),
        recorded=not transition.unrecorded,
        replies_recorded=not transition.unrecorded,
    )

"""Flow tables are checked when they are declared."""

from __future__ import annotations

import pytest

from conversations.errors import FlowDefinitionError, UndeclaredTransition, UnknownFlow
from conversations.events import Reply
from conversations.flow import END, AskContext, Flow, Reask, Step, StepContext
from conversations.runner import FlowRunner
from tests.conversations.sample_flow import SAMPLE_FLOW


def _ask(context: AskContext) -> Reply:
    return Reply("?")


def _handle(context: StepContext) -> Reask:
    return Reask("!")


def test_start_must_be_a_step() -> None:
    with pytest.raises(FlowDefinitionError, match="start"):
        Flow(name="f", start="missing", steps={"a": Step(_ask, _handle)})


def test_flow_names_fit_the_conversation_row() -> None:
    with pytest.raises(FlowDefinitionError, match="flow names"):
        Flow(name="f" * 41, start="a", steps={"a": Step(_ask, _handle)})


def test_targets_must_be_steps_or_end() -> None:
    with pytest.raises(FlowDefinitionError, match="undeclared"):
        Flow(name="f", start="a", steps={"a": Step(_ask, _handle, goes_to=("b", END))})


@pytest.mark.parametrize("state", ["", "_hidden", "x" * 61])
def test_state_names_are_short_and_not_reserved(state: str) -> None:
    with pytest.raises(FlowDefinitionError, match="state names"):
        Flow(name="f", start=state, steps={state: Step(_ask, _handle)})


def test_transitions_are_checked_against_goes_to() -> None:
    SAMPLE_FLOW.check_transition("consent", END)

    with pytest.raises(UndeclaredTransition) as refused:
        SAMPLE_FLOW.check_transition("consent", "colour")

    assert (refused.value.state, refused.value.target) == ("consent", "colour")


def test_the_default_flow_must_be_registered() -> None:
    with pytest.raises(UnknownFlow):
        FlowRunner({"sample": SAMPLE_FLOW}, "consumer")


def test_a_flow_is_registered_under_its_own_name() -> None:
    with pytest.raises(FlowDefinitionError, match="another name"):
        FlowRunner({"consumer": SAMPLE_FLOW}, "consumer")

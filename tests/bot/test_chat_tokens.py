"""Web chat tokens: issued with a signature, checked against it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.chat_tokens import ChatTokens


def test_an_issued_token_verifies_and_each_is_new() -> None:
    tokens = ChatTokens("secret")

    first, second = tokens.issue(), tokens.issue()

    assert tokens.verify(first)
    assert tokens.verify(second)
    assert first != second
    assert len(first) == 55


def test_a_token_verifies_with_the_same_key_only() -> None:
    token = ChatTokens("secret").issue()

    assert ChatTokens("secret").verify(token)
    assert not ChatTokens("other secret").verify(token)


@pytest.mark.parametrize(
    "change",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: ("A" if token[0] != "A" else "B") + token[1:],
        lambda token: token + "\n",
        lambda token: token.replace(".", ""),
        lambda token: token.split(".")[0],
        lambda token: "",
    ],
)
def test_a_changed_token_does_not_verify(change: Callable[[str], str]) -> None:
    tokens = ChatTokens("secret")
    token = tokens.issue()

    assert not tokens.verify(change(token))


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="secret key"):
        ChatTokens("")

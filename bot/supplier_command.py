"""`connect-energy supplier invite CNPJ`: a one-time code that links a supplier's agent.

The code is the last line printed, alone, so a script can take it with `tail -n 1`. When
Telegram is configured and the bot's username is known, a deep link comes first: opening it
sends `/start <code>` to the bot, which is the same as typing the code.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.errors import UsageError
from bot.runtime import open_runtime
from marketplace.clock import BRAZIL
from marketplace.documents import InvalidDocument, format_cnpj
from marketplace.invites import Invite, UnknownSupplier, create_invite
from marketplace.settings import Settings

TELEGRAM_LINK = "https://t.me/{username}?start={code}"


# A CNPJ with its punctuation is 18 characters; more than this is not worth repeating.
MAX_QUOTED = 40


def register(commands: Any) -> None:
    """Add the `supplier invite CNPJ` subcommand."""
    parser = commands.add_parser("supplier", help="supplier accounts in chat")
    actions = parser.add_subparsers(dest="supplier_command", required=True, metavar="ACTION")
    invite = actions.add_parser("invite", help="a one-time code that links an agent in chat")
    invite.add_argument("cnpj", help="the supplier's CNPJ, with or without punctuation")
    invite.set_defaults(handler=run_invite)


def run_invite(arguments: argparse.Namespace, settings: Settings) -> int:
    """Make an invite for the supplier and print how to use it, the code last."""
    runtime = open_runtime(settings)
    try:
        with runtime.sessions.begin() as session:
            invite = create_invite(session, arguments.cnpj, runtime.clock.now())
    except InvalidDocument as error:
        raise UsageError(
            f"supplier invite: {_quoted(arguments.cnpj)} is not a valid CNPJ: {error}"
        ) from error
    except UnknownSupplier as error:
        raise UsageError(
            f"supplier invite: no supplier has CNPJ {format_cnpj(error.cnpj)}; "
            "load it with `connect-energy catalog load FILE` first"
        ) from error
    finally:
        runtime.close()

    for line in invite_lines(invite, settings):
        print(line)
    return 0


def invite_lines(invite: Invite, settings: Settings) -> list[str]:
    """What the operator reads: who, until when, how to use it, then the code alone."""
    until = invite.expires_at.astimezone(BRAZIL).strftime("%d/%m/%Y %H:%M")
    lines = [
        f"Invite for {invite.supplier_name}, valid once until {until} (America/Sao_Paulo).",
        "The agent sends this code to the bot on WhatsApp, the web chat or the terminal.",
    ]
    if settings.telegram_bot_token and settings.telegram_bot_username:
        link = TELEGRAM_LINK.format(username=settings.telegram_bot_username, code=invite.code)
        lines.append(f"On Telegram, open: {link}")
    lines.append(invite.code)
    return lines


def _quoted(argument: str) -> str:
    """The argument as typed, quoted; cut short when it is far longer than any CNPJ."""
    if len(argument) <= MAX_QUOTED:
        return repr(argument)
    return f"{argument[:MAX_QUOTED]!r}... ({len(argument)} characters)"

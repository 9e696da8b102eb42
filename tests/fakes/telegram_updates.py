"""Real-format Telegram updates for tests, each checked against the published spec."""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.telegram_api import BOT_ID, BOT_USERNAME
from tests.fakes.telegram_spec import load_spec

_update_ids = itertools.count(500_000_000)
_message_ids = itertools.count(1)
_query_ids = itertools.count(1)


def checked(update: dict[str, Any]) -> dict[str, Any]:
    """`update`, after making sure it is a valid `Update` object."""
    problems = load_spec().check_object("Update", update)
    assert problems == [], problems
    return update


class TelegramPerson:
    """Builds the updates one Telegram user causes by talking to the bot in private."""

    def __init__(
        self,
        user_id: int = 5550001,
        *,
        first_name: str = "Ana",
        language_code: str | None = "pt-br",
    ) -> None:
        self.user_id = user_id
        self.first_name = first_name
        self.language_code = language_code

    @property
    def chat_id(self) -> int:
        """A private chat's id is the user's id."""
        return self.user_id

    def user(self) -> dict[str, Any]:
        """This person as a `User` object."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code is not None:
            user["language_code"] = self.language_code
        return user

    def chat(self) -> dict[str, Any]:
        """The private chat with the bot."""
        return {"id": self.chat_id, "type": "private", "first_name": self.first_name}

    def message(self, **content: Any) -> dict[str, Any]:
        """A `Message` from this person with the given content."""
        return {
            "message_id": next(_message_ids),
            "from": self.user(),
            "chat": self.chat(),
            "date": int(time.time()),
            **content,
        }

    def update(self, kind: str = "message", **content: Any) -> dict[str, Any]:
        """An update carrying a message of this person under `kind`."""
        return checked({"update_id": next(_update_ids), kind: self.message(**content)})

    def text(self, text: str) -> dict[str, Any]:
        """A typed message; a leading /command gets its entity, as Telegram marks it."""
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.update(**content)

    def tap(self, sent: dict[str, Any], callback_data: str) -> dict[str, Any]:
        """A press of the button with `callback_data` under a message the bot sent."""
        bot_message = {
            "message_id": sent.get("message_id", next(_message_ids)),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot", "username": BOT_USERNAME},
            "chat": self.chat(),
            "date": int(time.time()),
            "text": sent["text"],
        }
        if "reply_markup" in sent:
            bot_message["reply_markup"] = sent["reply_markup"]
        query = {
            "id": f"q{next(_query_ids)}",
            "from": self.user(),
            "message": bot_message,
            "chat_instance": f"ci{self.chat_id}",
            "data": callback_data,
        }
        return checked({"update_id": next(_update_ids), "callback_query": query})

    def location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """A shared location."""
        return self.update(location={"latitude": latitude, "longitude": longitude})

    def contact(self, phone: str, *, own: bool = True) -> dict[str, Any]:
        """A shared contact card: this person's own, or someone else's."""
        owner = self.user_id if own else self.user_id + 1
        card = {"phone_number": phone, "first_name": self.first_name, "user_id": owner}
        return self.update(contact=card)

    def sticker(self) -> dict[str, Any]:
        """A sticker where text is expected."""
        sticker = {
            "file_id": "CAACAgEAAxkBAAEB",
            "file_unique_id": "AgADxQEAAu",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "\u26a1",
        }
        return self.update(sticker=sticker)

    def photo(self) -> dict[str, Any]:
        """A photo (of a bill, say) with a caption."""
        size = {"file_id": "AgACAgEAAxk", "file_unique_id": "AQADm", "width": 90, "height": 90}
        return self.update(photo=[size], caption="minha conta")

    def edited(self, text: str) -> dict[str, Any]:
        """An edit of an earlier message."""
        return self.update("edited_message", text=text, edit_date=int(time.time()))

    def in_group(self, text: str, *, group_id: int = -1001234567890) -> dict[str, Any]:
        """A message of this person in a group the bot is in."""
        message = self.message(text=text)
        message["chat"] = {"id": group_id, "type": "supergroup", "title": "Vizinhos"}
        return checked({"update_id": next(_update_ids), "message": message})

    def channel_post(self, text: str, *, channel_id: int = -1009876543210) -> dict[str, Any]:
        """A post in a channel the bot administers."""
        post = {
            "message_id": next(_message_ids),
            "chat": {"id": channel_id, "type": "channel", "title": "Energia"},
            "date": int(time.time()),
            "text": text,
        }
        return checked({"update_id": next(_update_ids), "channel_post": post})

    def joined_group_notice(self, *, group_id: int = -1001234567890) -> dict[str, Any]:
        """A service message: someone joined a group."""
        message = self.message(new_chat_members=[self.user()])
        message["chat"] = {"id": group_id, "type": "group", "title": "Vizinhos"}
        return checked({"update_id": next(_update_ids), "message": message})

    def blocked_the_bot(self) -> dict[str, Any]:
        """The membership change Telegram sends when this person blocks the bot."""
        bot = {"id": BOT_ID, "is_bot": True, "first_name": "Bot"}
        change = {
            "chat": self.chat(),
            "from": self.user(),
            "date": int(time.time()),
            "old_chat_member": {"status": "member", "user": bot},
            "new_chat_member": {"status": "kicked", "user": bot, "until_date": 0},
        }
        return checked({"update_id": next(_update_ids), "my_chat_member": change})

"""The Telegram channel: updates in, inline-keyboard messages out, through the Bot API.

`updates` reads an update into an inbound event, `channel` hands it to the engine,
`render` and `sender` turn outbox replies into `sendMessage` calls within Telegram's limits,
`polling` fetches updates when no webhook is set, and `service` runs it all in the app.
"""

CHANNEL = "telegram"
"""The channel name in inbound events, conversations and outbox rows."""

"""The WhatsApp channel over Meta's Cloud API: webhooks in, messages out, within the rules.

`numbers` (who is who), `signature` (Meta's HMAC), `inbound` (webhook bodies to events and
statuses), `render` (replies to Cloud API messages within their limits), `client` and
`errors` (the Graph API over httpx), `limiter` (messages per second), `sender` (the outbox
side: 24-hour window, templates, error codes), `statuses` (delivery reports), `channel`
(the webhook side) and `service` (wiring for the web app). docs/whatsapp.md tells the
story.
"""

CHANNEL = "whatsapp"
"""The channel name in events, conversations, identities and outbox rows."""

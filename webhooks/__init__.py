"""The HTTP edge: webhooks, the web chat page, the signing page and health."""

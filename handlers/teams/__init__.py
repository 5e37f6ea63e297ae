"""The Microsoft Teams adapter: the inbound app, cards and dialogs, the outbound messenger,
the app package."""

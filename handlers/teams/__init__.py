"""The Microsoft Teams adapter: cards, the outbound messenger, the app package, the inbound app."""

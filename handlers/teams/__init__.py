"""Microsoft Teams: the inbound app (app.py) and the outbound messenger and cards."""

"""The Slack adapter: Bolt listeners, the outbound messenger and Block Kit rendering."""

"""Ports: every protocol the services use, and the types that cross them.

- `unit_of_work`: one transaction with named stores (`cases`, `outbox`, `chat`, `audit`,
  `reports`), implemented in storage/ over SQL and in bot/testing/ in memory.
- `messenger`: a chat platform (Slack, Teams) for outbound messages, with its limits.
"""

"""Chat platform adapters: handlers.slack now (handlers.teams to come)."""

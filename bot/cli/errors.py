"""What every `frister` command shares: exit codes and the one-line error."""

from __future__ import annotations

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Print one line to stderr and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code

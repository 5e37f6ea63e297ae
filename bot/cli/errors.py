"""What every `frister` command shares: exit codes and the one-line error."""

from __future__ import annotations

from bot.i18n import _
from storage.faults import NoDatabaseDirectory, cannot_open_sqlite, is_disk_full

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


class CliError(Exception):
    """Print one line to stderr and exit with `code`."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


def database_fault(error: BaseException) -> str | None:
    """The one line for a database fault a person can act on; None for any other error."""
    if isinstance(error, NoDatabaseDirectory):
        return _(
            "The directory {directory} of the SQLite database does not exist: create it or "
            "change FRISTER_DATABASE_URL."
        ).format(directory=error.directory)
    if is_disk_full(error):
        return _("The disk is full: Frister cannot write to its database. Free some space.")
    if cannot_open_sqlite(error):
        return _(
            "Frister cannot open its SQLite database: check FRISTER_DATABASE_URL and that the "
            "file and its directory may be written to."
        )
    return None

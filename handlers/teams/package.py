"""The Teams app package: manifest.json (schema v1.19) and two icons in a zip, for upload in the
Teams admin center (`frister teams package`).

The bot is reached in the 1:1 chat (personal) and in team channels (team); the command list
gives Teams' autocomplete for the command language. Icons are drawn with Pillow (installed with
matplotlib, which Frister needs for its reports): color.png 192×192, outline.png 32×32 in white
on transparent, as Teams requires.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bot.i18n import N_, _

SCHEMA = "https://developer.microsoft.com/json-schemas/teams/v1.19/MicrosoftTeams.schema.json"
MANIFEST_VERSION = "1.19"
ACCENT = "#1F5F8B"
GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
COLOR_SIZE, OUTLINE_SIZE = 192, 32

# (command as typed, what it does): Teams shows at most 10 per list.
COMMANDS = (
    ("mina", N_("Your deadlines for the next 14 days, overdue first")),
    ("försenade", N_("Overdue deadlines (the whole enhet for a chef)")),
    ("ärende", N_("A case's deadlines and history: ärende CODE")),
    ("ny", N_("Register an event (a new case gets a case code)")),
    ("klar", N_("Mark a deadline as done: klar CODE [rule]")),
    ("förläng", N_("Register a decided extension: förläng CODE rule YYYY-MM-DD reason")),
    ("frånvaro", N_("Your absence: frånvaro FROM TO [@substitute]")),
    ("team", N_("The enhet's overview")),
    ("statistik", N_("Counts for the enhet")),
    ("hjälp", N_("Every command")),
)


class PackageError(Exception):
    """A one-line reason (in the active language) why no package was written."""


def app_version() -> str:
    try:
        return version("frister")
    except PackageNotFoundError:
        return "0.1.0"


def manifest(app_id: str, *, domain: str, website: str | None = None) -> dict:
    """The manifest for app (and bot) id `app_id`; `domain` is Frister's public host (where
    the municipality's reverse proxy forwards /api/messages), `website` its page about Frister
    (default https://DOMAIN/)."""
    if not app_id:
        raise PackageError(
            _("FRISTER_TEAMS_APP_ID is not set: give the app id of Frister's Entra app.")
        )
    if not GUID.match(app_id):
        raise PackageError(
            _("FRISTER_TEAMS_APP_ID must be a GUID (the Entra app id), not {value}.").format(
                value=app_id
            )
        )
    site = website or f"https://{domain}/"
    commands = [{"title": title, "description": _(text)} for title, text in COMMANDS]
    data: dict[str, Any] = {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version(),
        "id": app_id,
        "localizationInfo": {"defaultLanguageTag": "sv-se"},
        "developer": {
            "name": _("Frister (the municipality's social services)"),
            "websiteUrl": site,
            "privacyUrl": site,
            "termsOfUseUrl": site,
        },
        "name": {"short": "Frister", "full": _("Frister – deadlines in social services")},
        "description": {
            "short": _("Reminds you of the legal deadlines in social services cases"),
            "full": _(
                "Frister keeps the legal deadlines of social services cases: it reminds the "
                "handläggare in time, escalates to the chef when a deadline is about to be "
                "missed, and answers questions about cases in the chat. Cases are known by "
                "pseudonymised codes only."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal", "team"],
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [{"scopes": ["personal", "team"], "commands": commands}],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [domain],
    }
    return data


def _clock_face(size: int, *, background: str | None, line: int) -> bytes:
    """A clock face, Frister's icon: white on `background` (or on transparent)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), background or (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    white = (255, 255, 255, 255)
    margin = size * (0.18 if background else 0.06)
    draw.ellipse((margin, margin, size - margin, size - margin), outline=white, width=line)
    centre = size / 2
    draw.line((centre, centre, centre, margin + line * 2), fill=white, width=line)
    draw.line((centre, centre, size - margin - line * 2.5, centre), fill=white, width=line)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def icons() -> dict[str, bytes]:
    return {
        "color.png": _clock_face(COLOR_SIZE, background=ACCENT, line=12),
        "outline.png": _clock_face(OUTLINE_SIZE, background=None, line=2),
    }


def write_package(path: Path, app_id: str, *, domain: str, website: str | None = None) -> Path:
    """Write the zip (manifest.json, color.png, outline.png at its root) to `path`."""
    data = manifest(app_id, domain=domain, website=website)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, ensure_ascii=False, indent=2))
        for name, content in icons().items():
            archive.writestr(name, content)
    return path

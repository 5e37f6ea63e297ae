"""`frister teams package`: the Teams app package (manifest v1.19, icons) for the admin center."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from bot import i18n
from handlers.teams.package import SCHEMA, PackageError, manifest, write_package

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "0b3c1f4e-8a2d-4c61-9f0e-2d7a5b9c1e34"
COMMANDS = {
    "mina",
    "försenade",
    "ärende",
    "ny",
    "klar",
    "förläng",
    "frånvaro",
    "team",
    "statistik",
    "hjälp",
}


@pytest.fixture(autouse=True)
def swedish():
    i18n.activate("sv")
    yield
    i18n.activate(i18n.DEFAULT_LANGUAGE)


def test_the_package_holds_the_manifest_and_two_icons(tmp_path):
    path = write_package(tmp_path / "frister.zip", APP_ID, domain="frister.kommun.se")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        data = json.loads(archive.read("manifest.json"))
        color = Image.open(io.BytesIO(archive.read("color.png")))
        outline = Image.open(io.BytesIO(archive.read("outline.png")))
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    # the outline icon: white on transparent only
    rgba = outline.convert("RGBA")
    colours = {rgba.getpixel((x, y)) for x in range(32) for y in range(32)}
    colours = {pixel for pixel in colours if pixel[3]}
    assert colours and all(pixel[:3] == (255, 255, 255) for pixel in colours)
    assert outline.convert("RGBA").getpixel((0, 0))[3] == 0
    assert data["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_manifest():
    data = manifest(APP_ID, domain="frister.kommun.se")
    assert data["$schema"] == SCHEMA
    assert data["$schema"].endswith("/v1.19/MicrosoftTeams.schema.json")
    assert data["manifestVersion"] == "1.19"
    assert data["id"] == APP_ID
    for required in ("version", "developer", "name", "description", "icons", "accentColor"):
        assert data[required]
    assert all(
        data["developer"][k].startswith("https://frister.kommun.se/")
        for k in (
            "websiteUrl",
            "privacyUrl",
            "termsOfUseUrl",
        )
    )
    assert len(data["name"]["short"]) <= 30 and len(data["name"]["full"]) <= 100
    assert data["description"]["short"] == (
        "Påminner om de lagstadgade fristerna i socialtjänstens ärenden"
    )
    assert len(data["description"]["short"]) <= 80
    assert "pseudonymiserade" in data["description"]["full"]
    [bot] = data["bots"]
    assert bot["botId"] == APP_ID
    assert bot["scopes"] == ["personal", "team"]
    [commands] = bot["commandLists"]
    assert {c["title"] for c in commands["commands"]} == COMMANDS
    assert len(commands["commands"]) <= 10  # Teams shows at most ten
    assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands["commands"])
    assert commands["commands"][0]["description"].startswith("Dina frister")
    assert data["validDomains"] == ["frister.kommun.se"]
    assert data["version"].count(".") == 2


@pytest.mark.parametrize("app_id", ["", "not-a-guid"])
def test_refuses_without_a_proper_app_id(app_id, tmp_path):
    with pytest.raises(PackageError, match="FRISTER_TEAMS_APP_ID"):
        write_package(tmp_path / "x.zip", app_id, domain="frister.kommun.se")
    assert not (tmp_path / "x.zip").exists()


def cli(cwd: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRISTER_", "SLACK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(settings)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        timeout=120,
    )


def test_the_command(tmp_path):
    args = ("teams", "package", "--domain", "frister.kommun.se", "--out", "app.zip")
    missing = cli(tmp_path, *args)
    assert missing.returncode == 2
    assert (
        missing.stderr.strip() == "FRISTER_TEAMS_APP_ID saknas: ange app-id för Fristers Entra-app."
    )
    assert not (tmp_path / "app.zip").exists()
    done = cli(tmp_path, *args, FRISTER_TEAMS_APP_ID=APP_ID)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Teams-appaketet skrevs till app.zip."
    with zipfile.ZipFile(tmp_path / "app.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["id"] == APP_ID

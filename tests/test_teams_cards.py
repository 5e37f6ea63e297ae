"""Adaptive Cards for Teams: messages and forms, checked with the stand-in's validator."""

from __future__ import annotations

import json

import pytest

from bot import i18n
from bot.domain.forms import Choice, Form, FormField
from bot.domain.markup import bold, channel, mention
from bot.domain.messages import Action, Message
from bot.testing.cards import MAX_ACTIVITY_BYTES, activity_errors, activity_size, card_errors
from handlers.teams.cards import (
    ADAPTIVE_CARD,
    ELLIPSIS,
    inline,
    message_activity,
    render_form,
    render_message,
)

MESSAGE = Message(
    text=f"Förhandsbedömning för DEMO-1001 ska vara klar i dag, {mention('aad-anna')}.",
    title="Förhandsbedömning i dag",
    fields=(("Ärende", "DEMO-1001"), ("Sista dag", "23 november 2026"), ("Tom", " ")),
    body=("Bedöm om utredning ska inledas.", f"Ansvarig: {mention('aad-anna')}"),
    actions=(
        Action("frist_klar", "Klar", "17", style="primary"),
        Action("frist_paminn", "Påminn i morgon", "17"),
        Action("frist_omfordela", "Omfördela", "17", style="danger"),
    ),
    context="11 kap. 1 a § SoL",
)


@pytest.fixture(autouse=True)
def swedish():
    i18n.activate("sv")
    yield
    i18n.activate(i18n.DEFAULT_LANGUAGE)


def texts(card: dict) -> list[str]:
    return [b["text"] for b in card["body"] if b["type"] == "TextBlock"]


def test_a_message_card():
    activity = message_activity(MESSAGE, {"aad-anna": "Anna Andersson"})
    assert activity_errors(activity) == []
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == ADAPTIVE_CARD
    card = attachment["content"]
    assert card == render_message(MESSAGE, {"aad-anna": "Anna Andersson"})
    assert card["version"] == "1.5"
    title, *_ = card["body"]
    assert (title["text"], title["weight"]) == ("Förhandsbedömning i dag", "Bolder")
    [facts] = [b for b in card["body"] if b["type"] == "FactSet"]
    assert facts["facts"] == [
        {"title": "Ärende", "value": "DEMO-1001"},
        {"title": "Sista dag", "value": "23 november 2026"},
    ]
    assert texts(card)[1:] == [
        "Bedöm om utredning ska inledas.",
        "Ansvarig: **Anna Andersson**",
        "11 kap. 1 a § SoL",
    ]
    assert card["body"][-1]["isSubtle"] is True
    assert all(b.get("wrap") for b in card["body"] if b["type"] == "TextBlock")
    assert card["actions"] == [
        {
            "type": "Action.Execute",
            "title": "Klar",
            "verb": "frist_klar",
            "data": {"value": "17"},
            "style": "positive",
        },
        {
            "type": "Action.Execute",
            "title": "Påminn i morgon",
            "verb": "frist_paminn",
            "data": {"value": "17"},
        },
        {
            "type": "Action.Execute",
            "title": "Omfördela",
            "verb": "frist_omfordela",
            "data": {"value": "17"},
            "style": "destructive",
        },
    ]
    summary = "Förhandsbedömning för DEMO-1001 ska vara klar i dag, Anna Andersson."
    assert activity["summary"] == card["fallbackText"] == summary
    assert "text" not in activity  # Teams would show it above the card


def test_a_mention_without_a_known_name_is_a_neutral_word():
    assert inline(f"Fråga {mention('aad-x')}") == "Fråga **en kollega**"
    assert inline(f"i {channel('19:c@thread')}", {"19:c@thread": "Barn och unga"}) == (
        "i **Barn och unga**"
    )
    assert "aad-x" not in json.dumps(render_message(Message(text=mention("aad-x"))))


def test_bold_and_free_text_markdown():
    assert inline(f"{bold('Klar')} för *alla* [länk](x) a_b") == (
        "**Klar** för \u2217alla\u2217 \uff3blänk\uff3d(x) a\uff3fb"
    )
    assert inline(bold("  ")) == ""
    assert inline("rad ett\nrad två") == "rad ett\n\nrad två"
    assert inline(f"{mention('a*b')}", {"a*b": "Ann*"}) == "**Ann\u2217**"


def test_a_text_only_message_is_a_card_with_its_text():
    activity = message_activity(Message(text="Hej"))
    assert activity_errors(activity) == []
    assert texts(activity["attachments"][0]["content"]) == ["Hej"]
    assert activity["summary"] == "Hej"


def test_a_huge_message_is_cut_under_the_limit_keeping_buttons_and_footer():
    huge = Message(
        text="x" * 50_000,
        title="Lång",
        fields=tuple((f"Fält {i}", "värde " * 20) for i in range(100)),
        body=tuple("Å" * 3000 for _ in range(30)),
        actions=MESSAGE.actions,
        context="Fot",
    )
    activity = message_activity(huge)
    assert activity_size(activity) <= MAX_ACTIVITY_BYTES
    assert activity_errors(activity) == []
    card = activity["attachments"][0]["content"]
    assert texts(card)[-2:] == [ELLIPSIS, "Fot"]
    assert len(card["actions"]) == 3
    assert activity["summary"].endswith(ELLIPSIS)


def test_one_enormous_paragraph_is_cut_not_dropped():
    activity = message_activity(Message(text="t", body=("ord " * 20_000,)))
    assert activity_errors(activity) == []
    first = texts(activity["attachments"][0]["content"])[0]
    assert first.startswith("ord ord") and first.endswith(ELLIPSIS)


FORM = Form(
    kind="ny",
    title="Ny händelse",
    fields=(
        FormField(
            "rule", "Händelse", "select", choices=(Choice("anmalan", "Anmälan"),), initial="anmalan"
        ),
        FormField("day", "Datum", "date", initial="2026-11-23"),
        FormField("ref", "Ärendereferens", "text", hint="t.ex. 2026-123", max_length=40),
        FormField("note", "Anteckning", "long_text", optional=True),
        FormField("who", "Handläggare", "user", optional=True, hint="Välj en person"),
        FormField("urgent", "Brådskande", "checkbox", initial="false"),
    ),
    submit="Registrera",
    intro=Message(text="Registrera en händelse.", body=("Skriv inga personnummer.",)),
    state={"enhet": "BoU"},
)


def test_a_form_as_a_dialog_card():
    card = render_form(FORM)
    assert card_errors(card) == []
    body = card["body"]
    assert body[0] == {"type": "TextBlock", "text": "Skriv inga personnummer.", "wrap": True}
    inputs = {b["id"]: b for b in body if b["type"].startswith("Input.")}
    assert [b["type"] for b in inputs.values()] == [
        "Input.ChoiceSet",
        "Input.Date",
        "Input.Text",
        "Input.Text",
        "Input.ChoiceSet",
        "Input.Toggle",
    ]
    assert inputs["rule"]["choices"] == [{"title": "Anmälan", "value": "anmalan"}]
    assert (inputs["rule"]["value"], inputs["rule"]["isRequired"]) == ("anmalan", True)
    assert inputs["rule"]["errorMessage"] == "Fyll i det här fältet."
    assert inputs["day"]["value"] == "2026-11-23"
    assert (inputs["ref"]["placeholder"], inputs["ref"]["maxLength"]) == ("t.ex. 2026-123", 40)
    assert inputs["note"]["isMultiline"] is True and "isRequired" not in inputs["note"]
    assert inputs["who"]["choices.data"]["dataset"] == "graph.microsoft.com/users"
    assert (inputs["urgent"]["valueOn"], inputs["urgent"]["value"]) == ("true", "false")
    assert card["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Registrera",
            "style": "positive",
            "data": {"form": "ny", "state": {"enhet": "BoU"}},
        }
    ]


def test_a_result_view_has_no_submit():
    card = render_form(Form(kind="ny", title="Klart", intro=Message(text="Registrerat.")))
    assert card_errors(card) == []
    assert texts(card) == ["Registrerat."]
    assert "actions" not in card


def test_submit_label_defaults_to_save():
    card = render_form(Form(kind="x", title="X", fields=(FormField("a", "A", "text"),)))
    assert card["actions"][0]["title"] == "Spara"


def test_commands_are_shown_as_typed_in_teams():
    """Teams has no slash commands: the help names the words a person types in the 1:1 chat."""
    message = Message(
        text="Skriv `/frister ärende KOD`, eller bara `/frister`.",
        title="Hjälp",
        body=("Skriv `/frister ärende KOD`, eller bara `/frister`.",),
    )
    card = render_message(message)
    shown = json.dumps(card, ensure_ascii=False)
    assert "/frister" not in shown
    assert "`ärende KOD`" in shown and "`mina`" in shown
    assert "/frister" not in message_activity(message)["summary"]

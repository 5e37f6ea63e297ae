"""SlackMessenger against the Slack stand-in over real HTTP: success, the classification of every
failure into the port's DeliveryError classes, and Block Kit rendering within Slack's limits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.domain.forms import Form, FormField
from bot.domain.markup import bold, channel, mention
from bot.domain.messages import Action, Message
from bot.ports.messenger import DeliveryError, PermanentFailure, RateLimited, TransientFailure
from bot.testing.slack_standin import Fault, SlackStandIn
from handlers.http import retry_after
from handlers.slack.blocks import (
    escape,
    message_blocks,
    message_text,
    modal,
    render_blocks,
    render_text,
    split,
)
from handlers.slack.errors import CLASSIFICATION, describe, rule_for
from handlers.slack.messenger import SlackMessenger, make_client

CLIENT_TIMEOUT = 0.3

MESSAGE = Message(
    text="Förhandsbedömning för DEMO-1001 ska vara klar i dag.",
    title="Förhandsbedömning i dag",
    fields=(("Ärende", "DEMO-1001"), ("Sista dag", "23 november 2026")),
    body=("Bedöm om utredning ska inledas.",),
    actions=(
        Action("frist_klar", "Klar", "17", style="primary"),
        Action("frist_paminn", "Påminn i morgon", "17"),
    ),
    context="20 kap. 2 § SoL (2025:400)",
    metadata={"notification": "42"},
)


@pytest.fixture
async def slack():
    async with SlackStandIn() as stand_in:
        stand_in.add_user("U1", "anna@example.se")
        stand_in.add_user("U2", "bo@example.se", deleted=True)
        stand_in.add_channel("C1")
        stand_in.add_channel("C2", member=False)
        yield stand_in


@pytest.fixture
def messenger(slack) -> SlackMessenger:
    return SlackMessenger(make_client("xoxb-test", slack.url, timeout=CLIENT_TIMEOUT))


async def test_success(slack, messenger):
    channel = await messenger.open_direct("U1")
    assert await messenger.open_direct("U1") == channel == "DU1"
    ts = await messenger.post(channel, MESSAGE)
    assert len(slack.calls_to("conversations.open")) == 1
    [post] = slack.posts
    assert (post.ts, post.channel, post.user) == (ts, "DU1", "U1")
    assert post.text == render_text(MESSAGE) == MESSAGE.text
    assert post.blocks == render_blocks(MESSAGE)
    assert post.metadata == {
        "event_type": "frister_notification",
        "event_payload": {"notification": "42"},
    }
    assert post.params["unfurl_links"] is False


async def test_no_metadata_when_the_message_has_none(slack, messenger):
    await messenger.post("C1", Message(text="hej"))
    assert slack.posts[0].metadata is None


async def test_user_by_email(messenger):
    assert await messenger.user_by_email("anna@example.se") == "U1"
    with pytest.raises(PermanentFailure) as caught:
        await messenger.user_by_email("nobody@example.se")
    assert caught.value.code == "users_not_found"


async def test_errors_that_slack_gives_by_itself(messenger):
    """Not injected: the stand-in's own answers for a gone user and a channel without the bot."""
    with pytest.raises(PermanentFailure, match="account_inactive"):
        await messenger.open_direct("U2")
    with pytest.raises(PermanentFailure, match="not_in_channel"):
        await messenger.post("C2", MESSAGE)


@dataclass(frozen=True)
class Row:
    fault: Fault | None  # None: nothing listens (the stand-in is stopped)
    expected: DeliveryError
    rule: str  # the CLASSIFICATION rule that must decide
    recorded: bool = False  # whether the stand-in holds the post afterwards


def transient(maybe_delivered: bool) -> TransientFailure:
    return TransientFailure("", maybe_delivered=maybe_delivered)


TABLE: dict[str, Row] = {
    "429 Retry-After 7": Row(Fault.rate_limit(7), RateLimited(7), "http_429"),
    "500": Row(Fault.status(500), transient(False), "http_5xx"),
    "502": Row(Fault.status(502), transient(False), "http_5xx"),
    "503": Row(Fault.status(503), transient(False), "http_5xx"),
    "503 empty body": Row(Fault.status(503, body=""), transient(False), "http_5xx"),
    # the stand-in records nothing, but the client cannot know: maybe delivered
    "timeout": Row(Fault.timeout(1), transient(True), "timeout"),
    "hang after record": Row(Fault.hang_after_record(), transient(True), "timeout", True),
    "reset": Row(Fault.reset(), transient(True), "disconnected"),
    "reset after record": Row(Fault.reset_after_record(), transient(True), "disconnected", True),
    "connection refused": Row(None, transient(False), "unreachable"),
    "ok:false ratelimited": Row(Fault.error("ratelimited"), RateLimited(1), "error_ratelimited"),
    **{
        f"ok:false {code}": Row(Fault.error(code), PermanentFailure(code), "error_permanent")
        for code in (
            "user_not_found",
            "account_inactive",
            "channel_not_found",
            "not_in_channel",
            "invalid_auth",
        )
    },
    **{
        f"ok:false {code}": Row(Fault.error(code), transient(False), "error_transient")
        for code in ("internal_error", "fatal_error", "service_unavailable", "request_timeout")
    },
    "ok:false unknown code": Row(
        Fault.error("team_access_not_granted"),
        PermanentFailure("team_access_not_granted"),
        "error_unknown",
    ),
    "200 html page": Row(Fault.status(200, "<html>portal</html>"), transient(True), "unreadable"),
    "200 text/plain": Row(Fault.status(200, "hm", "text/plain"), transient(True), "unreadable"),
    "200 broken json": Row(
        Fault.status(200, "{not json", "application/json"), transient(True), "unreadable"
    ),
    "404 html page": Row(Fault.status(404), PermanentFailure("http_404"), "http_other"),
}


def test_the_table_exercises_every_rule():
    assert {row.rule for row in TABLE.values()} == {rule.name for rule in CLASSIFICATION}


@pytest.mark.parametrize("row", TABLE.values(), ids=TABLE.keys())
async def test_classification(slack, messenger, row):
    if row.fault is None:
        await slack.stop()
    else:
        slack.inject("chat.postMessage", row.fault)
    with pytest.raises(DeliveryError) as caught:
        await messenger.post("DU1", MESSAGE)
    error = caught.value
    assert type(error) is type(row.expected)
    if isinstance(row.expected, RateLimited):
        assert error.retry_after == row.expected.retry_after
    if isinstance(row.expected, TransientFailure):
        assert error.maybe_delivered is row.expected.maybe_delivered
    if isinstance(row.expected, PermanentFailure):
        assert error.code == row.expected.code
    cause = error.__cause__  # what slack_sdk raised
    assert rule_for(describe("chat.postMessage", cause)).name == row.rule
    assert len(slack.posts) == int(row.recorded)
    slack.release()


@pytest.mark.parametrize("fault", [Fault.timeout(1), Fault.reset()], ids=["timeout", "reset"])
async def test_read_only_calls_are_never_maybe_delivered(slack, messenger, fault):
    slack.inject("conversations.open", fault)
    with pytest.raises(TransientFailure) as caught:
        await messenger.open_direct("U1")
    assert caught.value.maybe_delivered is False
    assert await messenger.open_direct("U1") == "DU1"  # a failure is not cached


def test_retry_after_values():
    assert retry_after("7") == 7
    assert retry_after(None) == retry_after("") == retry_after("soon") == 1
    assert retry_after("-3") == 1
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 28 <= retry_after(later) <= 30


# --- rendering ---------------------------------------------------------------------------------


def _texts(blocks):
    for block in blocks:
        if "text" in block:
            yield block["type"], block["text"]["text"]
        for item in block.get("fields", []):
            yield "field", item["text"]
        for element in block.get("elements", []):
            if "text" in element:
                yield (
                    block["type"],
                    (
                        element["text"]["text"]
                        if isinstance(element["text"], dict)
                        else element["text"]
                    ),
                )


HUGE = Message(
    text="x" * 50_000,
    title="Rubrik " * 40,
    fields=tuple((f"Fält {i} <&>", "v" * 2500) for i in range(60)),
    body=(("Ett stycke med <&> tecken. " * 400).strip(), "Kort stycke."),
    actions=tuple(Action(f"a{i}", "Knapp " * 20, "v" * 2100) for i in range(30)),
    context="Lag & rätt " * 400,
)


async def test_render_respects_slack_limits_for_a_huge_message(slack, messenger):
    blocks = render_blocks(HUGE)
    assert len(blocks) <= 50
    kinds = [block["type"] for block in blocks]
    assert kinds[0] == "header" and len(blocks[0]["text"]["text"]) <= 150
    assert kinds[-1] == "context" and kinds.count("actions") == 2  # 30 buttons: 25 + 5
    sections = [block for block in blocks if block["type"] == "section"]
    assert [len(block["fields"]) for block in sections if "fields" in block] == [10] * 6
    for kind, text in _texts(blocks):
        limit = {"header": 150, "field": 2000, "section": 3000, "context": 3000, "actions": 75}
        assert 0 < len(text) <= limit[kind]
    body = [block["text"]["text"] for block in sections if "text" in block]
    # 10.8 kB (14.8 kB escaped) in 5 pieces cut at spaces, nothing lost; then the short paragraph
    assert len(body) == 6 and body[-1] == "Kort stycke."
    assert " ".join(body[:-1]) == escape(HUGE.body[0])
    assert len(render_text(HUGE)) <= 40_000
    await messenger.post("C1", HUGE)  # the stand-in checks Slack's block limits
    assert slack.posts[0].blocks == blocks


async def test_render_cuts_content_beyond_fifty_blocks(slack, messenger):
    message = Message(
        text="lång",
        title="Lång",
        body=tuple(f"Stycke {i}" for i in range(80)),
        actions=(Action("frist_klar", "Klar", "1"),),
        context="SoL",
    )
    blocks = render_blocks(message)
    assert len(blocks) == 50
    assert blocks[-3]["text"]["text"] == "…"
    assert [b["type"] for b in blocks[-2:]] == ["actions", "context"]
    await messenger.post("C1", message)


def test_render_escapes_mrkdwn_but_not_plain_text():
    message = Message(
        text="<@U1> & <!channel>",
        title="A & <b>",
        fields=(("Ä & Ö", "<https://x|y>"),),
        body=("1 < 2 & 3 > 2",),
        actions=(Action("a", "Ja & nej", "<v>"),),
        context="a&b",
    )
    header, fields, body, actions, context = render_blocks(message)
    assert header["text"] == {"type": "plain_text", "text": "A & <b>", "emoji": True}
    assert fields["fields"][0]["text"] == "*Ä &amp; Ö*\n&lt;https://x|y&gt;"
    assert body["text"] == {"type": "mrkdwn", "text": "1 &lt; 2 &amp; 3 &gt; 2"}
    assert actions["elements"][0]["text"]["text"] == "Ja & nej"
    assert actions["elements"][0]["value"] == "<v>"
    assert context["elements"][0]["text"] == "a&amp;b"
    assert render_text(message) == "&lt;@U1&gt; &amp; &lt;!channel&gt;"


def test_split_never_cuts_an_entity():
    text = "&amp;" * 2000  # no spaces: hard cuts
    pieces = split(text, 3000)
    assert all(len(piece) <= 3000 for piece in pieces)
    assert all(piece.startswith("&amp;") and piece.endswith("&amp;") for piece in pieces)
    assert "".join(pieces) == text


def test_split_prefers_line_breaks_and_spaces():
    text = "a" * 2000 + "\n" + "b" * 2000
    assert split(text, 3000) == ["a" * 2000, "b" * 2000]


def test_action_buttons():
    message = Message(
        text="t",
        actions=(
            Action("frist_klar", "Klar", "17", style="primary"),
            Action("frist_omfordela", "Omfördela", "17", style="danger"),
            Action("frist_paminn", "Påminn i morgon", "17"),
            Action("frist_klar", "Klar", "18", style="primary"),  # a second deadline
        ),
    )
    first, second = render_blocks(message)
    assert first["elements"] == [
        {
            "type": "button",
            "action_id": "frist_klar",
            "text": {"type": "plain_text", "text": "Klar", "emoji": True},
            "value": "17",
            "style": "primary",
        },
        {
            "type": "button",
            "action_id": "frist_omfordela",
            "text": {"type": "plain_text", "text": "Omfördela", "emoji": True},
            "value": "17",
            "style": "danger",
        },
        {
            "type": "button",
            "action_id": "frist_paminn",
            "text": {"type": "plain_text", "text": "Påminn i morgon", "emoji": True},
            "value": "17",
        },
    ]
    assert [e["value"] for e in second["elements"]] == ["18"]  # action_id unique per block


def test_text_fallback():
    assert len(render_text(Message(text="a" * 50_000))) == 40_000
    assert render_text(Message(text="a" * 50_000)).endswith("…")
    assert render_text(Message(text="", title="Rubrik")) == "Rubrik"
    assert render_text(Message(text="&" * 40_000)).endswith("&amp;…")


MARKED = f"{mention('U0ANNA001')} & {bold('<viktigt>')} i {channel('C0NORD001')}"
SHOWN = "<@U0ANNA001> &amp; *&lt;viktigt&gt;* i <#C0NORD001>"


def test_neutral_markup_is_rendered_after_escaping():
    message = Message(
        text=MARKED,
        title=f"Till {mention('U0ANNA001')}",
        fields=((bold("Ansvarig"), mention("U0ANNA001")),),
        body=(MARKED,),
        actions=(Action("case_show", f"Visa {bold('ärende')}", "17"),),
        context=MARKED,
    )
    header, fields, body, actions, context = render_blocks(message)
    assert render_text(message) == SHOWN
    assert header["text"]["text"] == "Till @U0ANNA001"  # plain_text shows no mentions
    assert fields["fields"] == [{"type": "mrkdwn", "text": "**Ansvarig**\n<@U0ANNA001>"}]
    assert body["text"]["text"] == SHOWN
    assert actions["elements"][0]["text"]["text"] == "Visa ärende"
    assert context["elements"][0]["text"] == SHOWN
    # answers render it the same way; Slack syntax in text (typed by a person) stays escaped
    assert message_text(message) == SHOWN and message_blocks(message)[2] == body
    assert message_text(Message("<@U0ANNA001> & <#C0NORD001>")) == (
        "&lt;@U0ANNA001&gt; &amp; &lt;#C0NORD001&gt;"
    )


def test_neutral_markup_in_a_modal():
    form = Form(
        "omfordela",
        f"Åt {mention('U0ANNA001')}",
        fields=(FormField("till", f"Ny {bold('handläggare')}", "user"),),
        submit="Spara",
        intro=Message(MARKED, body=(MARKED,)),
    )
    view = modal(form)
    assert view["title"]["text"] == "Åt @U0ANNA001"
    assert view["blocks"][0]["text"]["text"] == SHOWN
    assert view["blocks"][1]["label"]["text"] == "Ny handläggare"
    assert "\ue000" not in str(view) and "\ue002" not in str(view)

"""Reports a nämnd can trust (issue 12): month-end snapshots, the chart, its delivery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.bootstrap import App
from bot.services.report_chart import png_bytes
from bot.services.report_poster import chart_image, report_message
from bot.services.report_snapshots import month_report
from bot.services.reports import build_report
from bot.testing.slack_standin import SlackStandIn
from handlers.slack.messenger import SlackMessenger, make_client
from handlers.teams.cards import message_activity
from tests.factories import import_rows, set_escalation_channel

JUNE = date(2026, 6, 1)
PNG = b"\x89PNG\r\n\x1a\n"


async def _june(app: App, today: date):
    async with app.unit_of_work() as uow:
        return await month_report(uow, "Nord", JUNE, today, app.clock.now())


async def test_a_past_month_is_the_same_when_rerun(settings, engine, clock):
    """Rerunning June after a later import backdates a förhandsbedömning changes nothing."""
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 7, 2, 9, 0, tzinfo=UTC))
    await import_rows(app, ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 1)))
    first = await _june(app, date(2026, 7, 2))
    assert first.final and first.groups["forhandsbedomning"].open_overdue == 1

    clock.set(datetime(2026, 8, 20, 9, 0, tzinfo=UTC))
    await import_rows(
        app, ("IFO 1", "Nord", "U0HANDL01", "forhandsbedomning_klar", date(2026, 6, 12))
    )
    again = await _june(app, date(2026, 8, 20))

    async with app.unit_of_work() as uow:
        live = build_report("Nord", await uow.reports.report_rows("Nord"), JUNE, date(2026, 8, 20))
    assert live.groups["forhandsbedomning"].open_overdue == 0  # the rows did change
    assert again == first


async def test_a_running_month_is_not_frozen(settings, engine, clock):
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 6, 20, 9, 0, tzinfo=UTC))
    await import_rows(app, ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 1)))
    report = await _june(app, date(2026, 6, 20))
    assert not report.final
    async with app.unit_of_work() as uow:
        assert await uow.reports.snapshot("Nord", JUNE) is None


async def test_the_monthly_post_reaches_slack_with_its_chart(settings, engine, clock):
    """Planned on the first working day, delivered from the outbox: one upload with the text."""
    app = App(settings, clock=clock, engine_override=engine)
    clock.set(datetime(2026, 6, 20, 9, 0, tzinfo=UTC))
    await import_rows(app, ("IFO 1", "Nord", "U0HANDL01", "anmalan_inkom", date(2026, 6, 1)))
    await set_escalation_channel(engine, "Nord", "C0ESKALER")
    clock.set(datetime(2026, 7, 1, 7, 0, tzinfo=UTC))  # Wednesday 1 July, 09:00 in Stockholm
    assert await app.monthly_reports().post_if_due() == 1

    async def sleep(seconds: float) -> None:
        clock.advance(timedelta(seconds=seconds))

    async with SlackStandIn() as slack:
        slack.add_channel("C0ESKALER")
        messenger = SlackMessenger(make_client("xoxb-test", slack.url))
        result = await app.delivery(messenger, worker="w1", sleep=sleep).run_once()
    assert result.sent >= 1
    [upload] = [u for u in slack.uploads if u.channel == "C0ESKALER"]
    assert upload.data.startswith(PNG) and upload.filename == "egenkontroll-2026-06.png"
    assert "Egenkontroll Nord, juni 2026" in (upload.comment or "")
    assert (upload.alt or "").startswith("Andel frister i tid")
    methods = [c.method for c in slack.calls if c.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]


def test_the_chart_fits_in_a_teams_card():
    report = build_report("Nord", [], JUNE, date(2026, 7, 20))
    image = chart_image([report] * 12)
    card = message_activity(report_message(report, image))["attachments"][0]["content"]
    pictures = [b for b in card["body"] if b["type"] == "Image"]
    assert len(pictures) == 1 and pictures[0]["url"].startswith("data:image/png;base64,")
    assert pictures[0]["altText"].startswith("Andel frister i tid")


def test_no_legend_entry_for_a_measure_without_data(monkeypatch):
    """Only measures with deadlines in the period are drawn; the axis has 12 named months."""
    from matplotlib.figure import Figure

    seen = {}
    original = Figure.legend

    def spy(self, *args, **kwargs):
        axes = self.axes[0]
        seen["labels"] = [line.get_label() for line in axes.get_lines()]
        seen["ticks"] = [t.get_text() for t in axes.get_xticklabels()]
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "legend", spy)
    months = [build_report("Nord", [], date(2026, m, 1), date(2026, 12, 20)) for m in range(1, 13)]
    months[-1].groups["utredning"].due = 2
    months[-1].groups["utredning"].kept = 1
    assert png_bytes(months).startswith(PNG)
    assert seen["labels"] == ["Utredningar inom 4 månader", "Mål: alla frister i tid"]
    assert seen["ticks"][0] == "jan 2026" and seen["ticks"][-1] == "dec 2026"


async def test_without_files_write_the_text_still_goes_out():
    """An app installed before it asked for files:write: the report goes out as text."""
    from bot.domain.messages import Image, Message
    from bot.testing.slack_standin import Fault

    message = Message(text="Egenkontroll Nord", image=Image(PNG, "e.png", "diagram"))
    async with SlackStandIn() as slack:
        slack.add_channel("C0ESKALER")
        slack.inject("files.getUploadURLExternal", Fault.error("missing_scope"))
        ts = await SlackMessenger(make_client("xoxb-test", slack.url)).post("C0ESKALER", message)
    assert slack.uploads == []
    [post] = slack.posts
    assert (post.ts, post.text) == (ts, "Egenkontroll Nord")

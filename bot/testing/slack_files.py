"""The Slack stand-in's files API, as slack_sdk's `files_upload_v2` uses it.

`files.getUploadURLExternal` hands out an upload URL on the stand-in, the client POSTs the bytes
there, and `files.completeUploadExternal` shares the files in a channel with the initial
comment: each shared file is recorded in `SlackStandIn.uploads`, and the share as a post.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.testing.slack_standin import SlackStandIn

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Upload:
    """A file shared in a channel."""

    file_id: str
    filename: str
    title: str | None
    alt: str | None
    data: bytes
    channel: str
    comment: str | None
    ts: str


@dataclass
class _Pending:
    filename: str
    length: int
    alt: str | None
    data: bytes | None = None


class SlackFiles:
    def __init__(self, standin: SlackStandIn, error: Callable[..., Exception]) -> None:
        self.standin = standin
        self.error = error
        self.uploads: list[Upload] = []
        self._pending: dict[str, _Pending] = {}

    def methods(self) -> dict[str, Callable[[JsonDict], JsonDict]]:
        return {
            "files.getUploadURLExternal": self.get_upload_url,
            "files.completeUploadExternal": self.complete,
        }

    def get_upload_url(self, params: JsonDict) -> JsonDict:
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            raise self.error("invalid_arguments") from None
        if not filename or length <= 0:
            raise self.error("invalid_arguments")
        file_id = f"F{len(self._pending) + 1:010d}"
        alt = params.get("alt_txt")
        self._pending[file_id] = _Pending(filename, length, None if alt is None else str(alt))
        base = self.standin.url.removesuffix("api/")
        return {"upload_url": f"{base}upload/{file_id}", "file_id": file_id}

    async def receive(self, request: web.Request) -> web.Response:
        """The upload URL: the bytes of one file (their length must be the one announced)."""
        pending = self._pending.get(request.match_info["file_id"])
        data = await request.read()
        if pending is None or pending.data is not None:
            return web.Response(status=404, text="not_found")
        if len(data) != pending.length:
            return web.Response(status=400, text="length_mismatch")
        pending.data = data
        return web.Response(text=f"OK - {len(data)}")

    def complete(self, params: JsonDict) -> JsonDict:
        raw = params.get("files")
        try:
            files = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            raise self.error("invalid_arguments") from None
        if not isinstance(files, list) or not files:
            raise self.error("invalid_arguments")
        pending = []
        for item in files:
            file_id = str(item.get("id") or "") if isinstance(item, dict) else ""
            found = self._pending.get(file_id)
            if found is None or found.data is None:
                raise self.error("file_not_found")
            pending.append((file_id, item.get("title"), found))
        channel_param = params.get("channel_id")
        channel = self.standin._resolve(channel_param)[0] if channel_param else None
        comment = params.get("initial_comment")
        comment = None if comment is None else str(comment)
        ts = self.standin._share(channel, comment, params) if channel is not None else None
        shared = []
        for file_id, title, found in pending:
            del self._pending[file_id]
            shared.append({"id": file_id, "name": found.filename, "title": title or found.filename})
            if channel is not None and ts is not None and found.data is not None:
                self.uploads.append(
                    Upload(
                        file_id, found.filename, title, found.alt, found.data, channel, comment, ts
                    )
                )
        return {"files": shared}

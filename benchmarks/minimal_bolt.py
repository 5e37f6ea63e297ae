"""The baseline of benchmark 3: a minimal bolt-python AsyncApp on its aiohttp adapter, the same
signing check, `/frister` answered by `ack(text=...)` and nothing else.

    python -m benchmarks.minimal_bolt PORT SLACK_API_URL SIGNING_SECRET
"""

from __future__ import annotations

import logging
import sys

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient


def main() -> None:
    port, api_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    logging.basicConfig(level=logging.WARNING)
    app = AsyncApp(
        signing_secret=secret,
        client=AsyncWebClient(token="xoxb-bench", base_url=api_url),
    )

    @app.command("/frister")
    async def frister(ack: AsyncAck) -> None:
        await ack(text="ok")

    app.start(port=port, path="/slack/events", host="127.0.0.1")


if __name__ == "__main__":
    main()

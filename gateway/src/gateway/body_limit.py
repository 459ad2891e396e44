"""A limit on the size of a request's body, enforced before anything parses it.

A handheld's upload of 5,000 count entries is about 1.5 MB of JSON; the services take a
gRPC message of at most 4 MB. Larger bodies are refused here with an error a front end can
show, instead of reaching a service and coming back as a transport error.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from invariant_kernel.errors import ErrorCode

MAX_BODY_BYTES = 3 * 1024 * 1024


class _TooLargeError(Exception):
    pass


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self._max:
            await self._refuse(send)
            return
        received = 0

        async def counted() -> Message:
            # A body sent in chunks without a length is counted as it arrives.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._max:
                    raise _TooLargeError
            return message

        try:
            await self._app(scope, counted, send)
        except _TooLargeError:
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is larger than {self._max // (1024 * 1024)} MiB: send large uploads in parts"
        body = json.dumps({"errors": [{"message": message, "extensions": {"code": ErrorCode.OUT_OF_RANGE.value}}]})
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})

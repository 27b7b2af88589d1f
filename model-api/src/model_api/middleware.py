"""ASGI middleware: request id + access log + metrics, and the body size limit."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from model_api.logs import request_id_var
from model_api.metrics import Metrics

logger = logging.getLogger("model_api.access")

# Health checks and scrapes must not drown real traffic in the request metrics.
UNMETERED_PATHS = frozenset({"/health", "/metrics"})
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class BodyTooLargeError(HTTPException):
    """413: raised while the body is read, so nothing past the limit is parsed."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class BodySizeLimitMiddleware:
    """413 on a declared Content-Length over the limit, and on streamed bytes past it."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the header first; otherwise count bytes as the app reads them."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _plain_json(send, 400, "Content-Length is not a number")
                return
            if int(declared) > self.limit:
                await _plain_json(send, 413, BodyTooLargeError(self.limit).detail)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLargeError(self.limit)
            return message

        await self.app(scope, limited_receive, send)


class RequestContextMiddleware:
    """X-Request-ID in and out, one JSON access line, request metrics by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        self._label_cache: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def _children(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        # `.labels()` parses and locks on every call; the label sets here are few and fixed.
        key = (method, route, status)
        children = self._label_cache.get(key)
        if children is None:
            labels = (method, route, str(status))
            children = (self.metrics.requests.labels(*labels), self.metrics.latency.labels(*labels))
            self._label_cache[key] = children
        return children

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wrap the request: id in a context variable, status captured, time measured."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # The trace goes to the log, tagged with the request id; the client gets a
            # generic message and the id to quote, never the trace.
            logger.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not response_started:
                await _plain_json(
                    send_with_id, 500, "internal server error", {"request_id": request_id}
                )
        finally:
            elapsed = time.perf_counter() - started
            path: str = scope["path"]
            if path not in UNMETERED_PATHS:
                route = _route_template(scope)
                counter, histogram = self._children(scope["method"], route, status)
                counter.inc()
                histogram.observe(elapsed)
                logger.info(
                    "%s %s %s %.2f ms",
                    scope["method"],
                    path,
                    status,
                    elapsed * 1000,
                    extra={
                        "method": scope["method"],
                        "path": path,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            request_id_var.reset(token)


def _route_template(scope: Scope) -> str:
    # The matched route's template keeps label cardinality bounded; 404s share one label.
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def _plain_json(
    send: Send, status: int, detail: str, extra: dict[str, str] | None = None
) -> None:
    body = json.dumps({"detail": detail, **(extra or {})}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

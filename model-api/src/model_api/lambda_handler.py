"""AWS Lambda adapter: API Gateway HTTP API (payload v2) / Function URL events -> the ASGI app.

Container image entry point: `model_api.lambda_handler.handler`. The app is built and its
lifespan entered once per execution environment (cold start loads the model); each
invocation then runs one request on the same event loop. The champion poll runs only while
an invocation is in progress (Lambda freezes the environment between invocations), so a
new champion is picked up on the first invocations after `poll_interval_seconds`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI

from model_api.logs import configure_logging
from model_api.main import create_app
from model_api.settings import ModelApiSettings

logger = logging.getLogger(__name__)

_TEXT_TYPES = ("text/", "application/json", "application/openmetrics", "application/xml")


class _Runtime:
    """The app, its event loop and its entered lifespan, shared by warm invocations."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.stack = contextlib.AsyncExitStack()
        self.loop.run_until_complete(
            self.stack.enter_async_context(app.router.lifespan_context(app))
        )

    def close(self) -> None:
        """Leave the lifespan (stops the poll task) and close the loop."""
        self.loop.run_until_complete(self.stack.aclose())
        self.loop.close()


_runtime: _Runtime | None = None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point."""
    global _runtime  # noqa: PLW0603 - one runtime per execution environment, by design
    if _runtime is None:
        settings = ModelApiSettings()
        configure_logging(settings.log_level)
        _runtime = _Runtime(create_app(settings))
    return handle_event(_runtime, event)


def handle_event(runtime: _Runtime, event: dict[str, Any]) -> dict[str, Any]:
    """Run one event through the app and return the API Gateway v2 response."""
    return runtime.loop.run_until_complete(_call(runtime.app, event))


async def _call(app: FastAPI, event: dict[str, Any]) -> dict[str, Any]:
    scope, body = _scope_and_body(event)
    sent_body = False
    status = 500
    headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if sent_body:
            return {"type": "http.disconnect"}
        sent_body = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return _response(status, headers, b"".join(chunks))


def _scope_and_body(event: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    if "requestContext" in event and "http" in event["requestContext"]:  # payload v2
        http = event["requestContext"]["http"]
        method, path = http["method"], event.get("rawPath") or http.get("path", "/")
        query = event.get("rawQueryString", "")
        source_ip = http.get("sourceIp", "0.0.0.0")
    elif "httpMethod" in event:  # REST API (payload v1)
        method, path = event["httpMethod"], event.get("path", "/")
        query = urlencode(event.get("multiValueQueryStringParameters") or {}, doseq=True)
        source_ip = event.get("requestContext", {}).get("identity", {}).get("sourceIp", "0.0.0.0")
    else:
        raise ValueError("not an API Gateway / Function URL HTTP event")
    raw_headers = {k.lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if event.get("cookies"):
        raw_headers["cookie"] = "; ".join(event["cookies"])
    body_text = event.get("body") or ""
    body = (
        base64.b64decode(body_text) if event.get("isBase64Encoded") else body_text.encode("utf-8")
    )
    host = raw_headers.get("host", "lambda")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method.upper(),
        "scheme": "https",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw_headers.items()],
        "client": (source_ip, 0),
        "server": (host, 443),
        "state": {},
    }
    return scope, body


def _response(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    out_headers: dict[str, str] = {}
    cookies: list[str] = []
    for key, value in headers:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        if name == "set-cookie":
            cookies.append(text)
        else:
            out_headers[name] = f"{out_headers[name]},{text}" if name in out_headers else text
    content_type = out_headers.get("content-type", "")
    is_text = content_type.startswith(_TEXT_TYPES)
    response: dict[str, Any] = {
        "statusCode": status,
        "headers": out_headers,
        "body": body.decode("utf-8") if is_text else base64.b64encode(body).decode(),
        "isBase64Encoded": not is_text,
    }
    if cookies:
        response["cookies"] = cookies
    return response

"""A fault-injecting HTTP proxy in front of the loopback S3 server.

boto3 reaches it through `AWS_ENDPOINT_URL` like any S3 endpoint; it forwards every request
to the moto server unless a rule of its plan matches, then it misbehaves the way real
networks and object stores do: 5xx and `SlowDown` errors, answers slower than the client's
timeout, connection resets, and a request that reaches the store but whose answer is lost.
Nothing in boto3 is patched: the client sees real sockets and real HTTP.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

Operation = Literal[
    "head",
    "get",
    "list",
    "put",
    "copy",
    "delete",
    "create_multipart",
    "upload_part",
    "complete_multipart",
    "other",
]
Action = Literal[
    "500", "503", "slowdown", "timeout", "reset", "drop_response", "truncate", "corrupt"
]

# `truncate` (half a body, then a reset) and `corrupt` (one byte flipped, length kept) only
# make sense on a GET; the rest on anything.
ACTIONS: tuple[Action, ...] = ("500", "503", "slowdown", "timeout", "reset", "drop_response")

_ERRORS: dict[str, tuple[int, str, str]] = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Service is unable to handle request."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
}
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "expect"}


@dataclass
class Rule:
    """Misbehave on requests of `operation` whose object key matches `key` (a regex).

    `times` is how many matching requests are hit (None: every one, until cleared).
    """

    operation: Operation
    key: str
    action: Action
    times: int | None = 1
    hits: int = 0

    def matches(self, operation: str, key: str) -> bool:
        """True when this rule applies to the request and has hits left."""
        if self.times is not None and self.hits >= self.times:
            return False
        return operation == self.operation and re.search(self.key, key) is not None


@dataclass
class Seen:
    """One request the proxy handled."""

    operation: str
    key: str
    action: str  # "forward" or the fault applied


@dataclass
class FaultProxy:
    """The proxy server; `url` goes into AWS_ENDPOINT_URL."""

    upstream: str
    delay_seconds: float = 2.5
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _busy: int = 0

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>` of the running proxy."""
        assert self._server is not None, "proxy not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FaultProxy:
        """Listen on a free loopback port in a background thread."""
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening (in-flight requests finish on their own threads)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def plan(self, *rules: Rule) -> None:
        """Replace the fault plan (and forget what was seen)."""
        with self._lock:
            self.rules = list(rules)
            self.seen = []

    def clear(self) -> None:
        """No more faults: forward everything."""
        with self._lock:
            self.rules = []

    def faults_applied(self) -> list[Seen]:
        """Requests that were answered with a fault."""
        with self._lock:
            return [s for s in self.seen if s.action != "forward"]

    def count(self, operation: str, key: str = "") -> int:
        """Requests of `operation` on keys matching `key` (faulted or not)."""
        with self._lock:
            return sum(1 for s in self.seen if s.operation == operation and re.search(key, s.key))

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait until no request is in flight (delayed ones included)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._busy == 0:
                    return
            time.sleep(0.05)
        raise TimeoutError("fault proxy still busy")

    def _decide(self, operation: str, key: str) -> str:
        with self._lock:
            self._busy += 1
            for rule in self.rules:
                if rule.matches(operation, key):
                    rule.hits += 1
                    self.seen.append(Seen(operation, key, rule.action))
                    return rule.action
            self.seen.append(Seen(operation, key, "forward"))
            return "forward"

    def _done(self) -> None:
        with self._lock:
            self._busy -= 1


def classify(method: str, path: str, headers: dict[str, str]) -> tuple[str, str]:
    """The S3 operation and object key (path-style addressing) of a request."""
    parts = urlsplit(path)
    query = parse_qs(parts.query, keep_blank_values=True)
    segments = parts.path.lstrip("/").split("/", 1)
    key = unquote(segments[1]) if len(segments) > 1 else ""
    if method == "HEAD":
        return "head", key
    if method == "GET":
        return ("list" if not key else "get"), key
    if method == "DELETE":
        return "delete", key
    if method == "POST":
        if "uploads" in query:
            return "create_multipart", key
        if "uploadId" in query:
            return "complete_multipart", key
        return "other", key
    if method == "PUT":
        if "uploadId" in query:
            return "upload_part", key
        if "x-amz-copy-source" in headers:
            return "copy", key
        return ("put" if key else "other"), key
    return "other", key


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Silence the per-request stderr log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(body)
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP RST, not a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        host = urlsplit(self.owner.upstream)
        connection = http.client.HTTPConnection(host.hostname or "127.0.0.1", host.port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = f"{host.hostname}:{host.port}"
        if body or self.command in {"PUT", "POST"}:
            headers["Content-Length"] = str(len(body))
        try:
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            return response.status, response.getheaders(), payload
        finally:
            connection.close()

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        length = str(len(payload))
        for name, value in headers:
            if name.lower() == "content-length" and self.command == "HEAD":
                length = value  # a HEAD answer states the object's size, without a body
            elif name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()

    def _handle(self) -> None:
        body = self._read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        operation, key = classify(self.command, self.path, headers)
        action = self.owner._decide(operation, key)
        try:
            if action in _ERRORS:
                status, code, message = _ERRORS[action]
                xml = (
                    '<?xml version="1.0" encoding="UTF-8"?>\n'
                    f"<Error><Code>{code}</Code><Message>{message}</Message>"
                    f"<Key>{key}</Key><RequestId>fault-proxy</RequestId></Error>"
                ).encode()
                self._send(status, [("Content-Type", "application/xml")], xml)
            elif action == "reset":
                self._reset()
            elif action == "drop_response":
                # The store applies the request; the client never hears of it.
                self._forward(body)
                self._reset()
            elif action == "truncate":
                # The answer starts, promising the whole object, and the connection dies.
                status, headers, payload = self._forward(body)
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self._reset()
            elif action == "corrupt":
                status, headers, payload = self._forward(body)
                middle = len(payload) // 2
                flipped = payload[:middle] + bytes([payload[middle] ^ 0x01]) + payload[middle + 1 :]
                self._send(status, headers, flipped if payload else payload)
            elif action == "timeout":
                # Held in the network past the client's read timeout, then delivered:
                # the store applies it after the client has given up (and maybe retried).
                time.sleep(self.owner.delay_seconds)
                self._forward(body)
                self._reset()
            else:
                self._send(*self._forward(body))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.owner._done()

    # http.server dispatches on these names.
    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle  # noqa: N815

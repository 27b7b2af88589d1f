"""Loopback HTTP load generators for bench_api: wrk when installed, else a raw asyncio one.

Both send the same keep-alive POST for a fixed time over a fixed number of connections and
report latency percentiles and requests/s. Only loopback URLs are accepted.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[%s]]
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %%d, "seconds": %%f, "errors": %%d, "non2xx": %%d, '
    .. '"p50_us": %%f, "p99_us": %%f, "mean_us": %%f}\\n',
    summary.requests, summary.duration / 1e6,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), latency.mean))
end
"""


def _check_loopback(url: str) -> tuple[str, int, str]:
    parsed = urlparse(url)
    if parsed.hostname not in LOOPBACK or parsed.port is None:
        raise ValueError(f"benchmarks only target loopback addresses, not {url!r}")
    return parsed.hostname, parsed.port, parsed.path or "/"


def generator_name() -> str:
    """'wrk' when the binary is on PATH, else 'asyncio'."""
    return "wrk" if shutil.which("wrk") else "asyncio"


def run_load(url: str, body: dict[str, Any], connections: int, seconds: float) -> dict[str, Any]:
    """POST `body` to `url` for `seconds` over `connections`; latency and throughput."""
    _check_loopback(url)
    seconds = min(seconds, 30.0)  # bounded whatever the caller asks
    if generator_name() == "wrk":
        return _run_wrk(url, body, connections, seconds)
    return asyncio.run(_run_asyncio(url, body, connections, seconds))


def _run_wrk(url: str, body: dict[str, Any], connections: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(_WRK_SCRIPT % json.dumps(body))
        result = subprocess.run(
            [
                "wrk",
                "-t1",
                f"-c{connections}",
                f"-d{max(1, round(seconds))}s",
                "-s",
                str(script),
                "--timeout",
                "5s",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 30,
            check=True,
        )
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("{"))
    stats = json.loads(line)
    return {
        "requests": stats["requests"],
        "errors": stats["errors"] + stats["non2xx"],
        "rps": stats["requests"] / stats["seconds"],
        "p50_ms": stats["p50_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "mean_ms": stats["mean_us"] / 1000,
    }


async def _run_asyncio(
    url: str, body: dict[str, Any], connections: int, seconds: float
) -> dict[str, Any]:
    host, port, path = _check_loopback(url)
    payload = json.dumps(body).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json"
        f"\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 2"):
                    errors += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)
    return {
        "requests": count,
        "errors": errors,
        "rps": count / elapsed,
        "p50_ms": latencies[count // 2] * 1000,
        "p99_ms": latencies[min(count - 1, int(count * 0.99))] * 1000,
        "mean_ms": sum(latencies) / max(count, 1) * 1000,
    }

"""model-api latency, throughput and start-up on loopback (`make bench`; asserts no speed).

One run measures, side by side: model-api with the numpy backend on 1 and 2 workers, the
same service with the scikit-learn reference backend, and a bare FastAPI endpoint, plus
process start -> /ready. The model is a 300-tree wine forest (the registry's largest search
setting) written per MODEL_FORMAT.md into a temporary file:// lake. Every request loop is
bounded in time and goes to 127.0.0.1 only.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ORIGINAL = {"mean_ms": 186.0, "cold_start_s": 1.4}  # the original system on AWS Lambda
GOALS = {"p50_ms": 2.0, "p99_ms": 10.0, "rps_2_workers": 1000.0, "start_s": 3.0}

BARE_APP = """
from fastapi import FastAPI, Request

app = FastAPI()


@app.post("/predict")
async def predict(request: Request) -> dict:
    await request.body()
    return {"prediction": 5.0, "model_version": "bare"}


@app.get("/ready")
async def ready() -> dict:
    return {"status": "ready"}
"""


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_lake(root: Path, n_estimators: int) -> dict[str, Any]:
    kit = _load("model_api_testkit", HERE.parent / "tests" / "model_api_testkit.py")
    frame = kit.load_wine()
    pipeline = kit.fit_pipeline(
        frame, kit.NUMERIC, ["wine_type"], "quality", n_estimators=n_estimators, seed=42
    )
    manifest: dict[str, Any] = kit.write_version(
        kit.file_put(root),
        pipeline,
        frame,
        kit.NUMERIC,
        ["wine_type"],
        version=kit.make_version(42),
    )
    kit.promote(kit.file_put(root), manifest)
    return manifest


class Server:
    """A server process on a free loopback port, stopped on exit."""

    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("ab")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.ready_seconds = self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> float:
        deadline = self.started + timeout
        with httpx.Client(timeout=1) as client:
            while time.perf_counter() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited with {self.process.returncode}")
                try:
                    if client.get(f"{self.url}/ready").status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        raise TimeoutError("server not ready in time")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_: object) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def _measure(
    server: Server,
    body: dict[str, Any],
    loadgen: ModuleType,
    *,
    latency_seconds: float,
    load_seconds: float,
    connections: int,
) -> dict[str, Any]:
    url = f"{server.url}/predict"
    loadgen.run_load(url, body, 1, 0.5)  # warm-up: caches, first-call paths
    single = loadgen.run_load(url, body, 1, latency_seconds)
    loaded = loadgen.run_load(url, body, connections, load_seconds)
    return {
        "start_s": server.ready_seconds,
        "p50_ms": single["p50_ms"],
        "p99_ms": single["p99_ms"],
        "mean_ms": single["mean_ms"],
        "rps": loaded["rps"],
        "p99_loaded_ms": loaded["p99_ms"],
        "connections": connections,
        "errors": single["errors"] + loaded["errors"],
        "requests": single["requests"] + loaded["requests"],
    }


def _in_process_single_row(root: Path, example: dict[str, Any]) -> dict[str, float]:
    from model_api.backends import build_predictor
    from model_api.lake import open_lake_reader
    from model_api.manifest import Champion, Manifest
    from model_api.settings import Backend

    lake = open_lake_reader(root.as_uri())
    champion = Champion.model_validate_json(lake.read("models/wine_quality/champion.json").data)
    manifest = Manifest.model_validate_json(lake.read(champion.manifest).data)
    prefix = champion.manifest.rsplit("/", 1)[0] + "/"
    out = {}
    for backend, repeats in ((Backend.NUMPY, 2000), (Backend.SKLEARN, 100)):
        predictor = build_predictor(backend, lake, manifest, prefix)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            predictor.predict_values([example])
            timings.append(time.perf_counter() - started)
        out[f"{backend.value}_p50_ms"] = statistics.median(timings) * 1000
    return out


def run(
    n_estimators: int = 300,
    latency_seconds: float = 3.0,
    load_seconds: float = 5.0,
    connections: int = 16,
) -> dict[str, Any]:
    """Measure every configuration in one run; returns figures and a Markdown section."""
    loadgen = _load("model_api_loadgen", HERE / "loadgen.py")
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        root = Path(tmp) / "lake"
        root.mkdir()
        manifest = _write_lake(root, n_estimators)
        example = manifest["example"]
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        env = {
            **os.environ,
            "LAKE_URL": root.as_uri(),
            "MODEL_API_LOG_LEVEL": "INFO",
            "MODEL_API_POLL_INTERVAL_SECONDS": "5",
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        model_api = [
            sys.executable,
            "-c",
            "import sys; from model_api.main import main; sys.exit(main(sys.argv[1:]))",
            "--host",
            "127.0.0.1",
        ]
        bare = [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:app",
            "--app-dir",
            tmp,
            "--host",
            "127.0.0.1",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        configs = [
            ("model-api, numpy backend", 1, [*model_api, "--workers", "1"], {}),
            ("model-api, numpy backend", 2, [*model_api, "--workers", "2"], {}),
            (
                "model-api, sklearn backend",
                1,
                [*model_api, "--workers", "1"],
                {"MODEL_API_BACKEND": "sklearn"},
            ),
            ("bare FastAPI endpoint", 1, bare, {}),
            ("bare FastAPI endpoint", 2, [*bare, "--workers", "2"], {}),
        ]
        rows = []
        for name, workers, command, extra in configs:
            with Server(command, {**env, **extra}, Path(tmp) / "server.log") as server:
                figures = _measure(
                    server,
                    example,
                    loadgen,
                    latency_seconds=latency_seconds,
                    load_seconds=load_seconds,
                    connections=connections,
                )
            rows.append({"service": name, "workers": workers, **figures})
        in_process = _in_process_single_row(root, example)
    result: dict[str, Any] = {
        "generator": loadgen.generator_name(),
        "n_estimators": n_estimators,
        "rows": rows,
        "in_process": in_process,
        "original": ORIGINAL,
        "goals": GOALS,
    }
    result["markdown"] = markdown(result)
    return result


def markdown(result: dict[str, Any]) -> str:
    """The BENCHMARKS.md section for these figures."""
    lines = [
        f"Loopback, load generator `{result['generator']}` (1 thread, sharing the 2 cores with "
        f"the server). Model: {result['n_estimators']}-tree wine RandomForest. Latency: one "
        "connection, sequential single-row `POST /predict`; throughput: "
        f"{result['rows'][0]['connections']} keep-alive connections.",
        "",
        "| service | workers | p50 ms | p99 ms | req/s | p99 ms under load | start to ready s |"
        " errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| original system (AWS Lambda) | - | {ORIGINAL['mean_ms']:.0f} (mean) | - | - | - | "
        f"{ORIGINAL['cold_start_s']:.1f} (cold start) | - |",
    ]
    for row in result["rows"]:
        lines.append(
            f"| {row['service']} | {row['workers']} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f}"
            f" | {row['rps']:.0f} | {row['p99_loaded_ms']:.2f} | {row['start_s']:.2f} |"
            f" {row['errors']} |"
        )
    numpy_rows = {r["workers"]: r for r in result["rows"] if "numpy" in r["service"]}
    goals = result["goals"]
    checks = [
        ("p50 < 2 ms (1 worker)", numpy_rows[1]["p50_ms"] < goals["p50_ms"]),
        ("p99 < 10 ms (1 worker)", numpy_rows[1]["p99_ms"] < goals["p99_ms"]),
        (">= 1,000 req/s with 2 workers", numpy_rows[2]["rps"] >= goals["rps_2_workers"]),
        ("start to ready < 3 s", numpy_rows[1]["start_s"] < goals["start_s"]),
    ]
    inproc = result["in_process"]
    lines += [
        "",
        "In-process single-row prediction (no HTTP), median: numpy forest "
        f"{inproc['numpy_p50_ms']:.3f} ms, "
        f"scikit-learn Pipeline {inproc['sklearn_p50_ms']:.2f} ms.",
        "",
        "Goals (numpy backend): "
        + "; ".join(f"{label}: {'met' if ok else 'NOT met'}" for label, ok in checks)
        + ".",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(run()["markdown"])

"""`make demo`: the main job on the embedded default, end to end, in one command.

1. Copies the bundled wine quality CSVs into the lake's raw/wine_quality/ (keeping the
   wine_type=red|white folders, which become a column). The lake is LAKE_URL, by default
   file://<repo>/.lake; Airflow's metadata is SQLite under <repo>/.airflow.
2. Runs the real `ingest` DAG, then the real `train` DAG, in-process with dag.test().
3. Starts model-api on 127.0.0.1:8000 serving the champion, prints a sample request and
   its answer, and keeps serving until Ctrl-C (`--no-serve` stops after the answer).
   Without model-api installed it stops after training and shows the registered model.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DATA = REPO_ROOT / "data-pipeline" / "sample-data" / "wine_quality"
VENV_BIN = Path(sys.executable).parent
DATASET = "wine_quality"


def step(text: str) -> None:
    """Print one progress line."""
    print(f"\n==> {text}", flush=True)


def stage_sample_files(lake: Any) -> list[str]:
    """Upload the sample CSVs to raw/wine_quality/<wine_type=...>/; return their keys."""
    keys = []
    for path in sorted(SAMPLE_DATA.glob("wine_type=*/*.csv")):
        key = f"raw/{DATASET}/{path.parent.name}/{path.name}"
        lake.upload_file(key, path)
        local = lake.local_path(key)
        if local is not None:
            # Keep the source's age: the ingest DAG leaves files changed in the last
            # seconds for its next run (they may still be being copied in).
            stat = path.stat()
            os.utime(local, (stat.st_atime, stat.st_mtime))
        keys.append(key)
        print(f"    {path.relative_to(REPO_ROOT)} -> {lake.url}/{key}", flush=True)
    return keys


def run_dags(home: Path, search_budget: int | None) -> bool:
    """Run ingest then train with dag.test() (scripts/run_dags.py); True when both succeeded.

    Airflow's own output (every task log) goes to a file; the summary is printed.
    """
    log_path = home / "demo-dags.log"
    summary_path = home / "demo-dags.json"
    summary_path.unlink(missing_ok=True)
    command = [
        sys.executable,
        str(REPO_ROOT / "scripts" / "run_dags.py"),
        "ingest",
        "train",
        "--json-out",
        str(summary_path),
    ]
    if search_budget:
        command += ["--conf", "train=" + json.dumps({"search_budget": search_budget})]
    env = dict(os.environ)
    env.setdefault("AIRFLOW_HOME", str(home))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.run(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    summaries = json.loads(summary_path.read_text()) if summary_path.exists() else []
    for summary in summaries:
        print(f"    {summary['dag_id']}: {summary['state']}", flush=True)
        for task in summary["tasks"]:
            label = f" [{task['label']}]" if task["label"] else ""
            print(f"      {task['task_id']}{label}: {task['state']}", flush=True)
    print(f"    (Airflow's task logs: {log_path})", flush=True)
    return proc.returncode == 0 and len(summaries) == 2


def champion(lake: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The champion pointer and its manifest, or None when no model is registered."""
    key = f"models/{DATASET}/champion.json"
    if not lake.exists(key):
        return None
    pointer = json.loads(lake.read_bytes(key))
    return pointer, json.loads(lake.read_bytes(pointer["manifest"]))


def print_model(pointer: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Show the registered champion in a few lines."""
    holdout = manifest.get("metrics", {}).get("holdout", {})
    print(f"    champion version: {pointer['version']}", flush=True)
    print(f"    why:              {pointer.get('reason')}", flush=True)
    print(f"    holdout metrics:  {json.dumps(holdout)}", flush=True)
    print(f"    trained on:       {manifest['training_data']['rows']} rows", flush=True)


def http_json(url: str, body: dict[str, Any] | None = None) -> Any:
    """GET (or POST `body` to) a loopback URL and decode the JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def wait_ready(base: str, proc: subprocess.Popen[bytes], timeout: float = 90) -> bool:
    """Wait for model-api's /ready; False when it exited or never got ready."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"{base}/ready", timeout=3) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def serve(port: int, keep_serving: bool, log_path: Path) -> int:
    """Start model-api, show one request and its answer, then serve until Ctrl-C."""
    model_api = VENV_BIN / "model-api"
    if not model_api.exists():
        print(
            "    model-api is not installed (make install installs it); stopping here."
        )
        return 0
    base = f"http://127.0.0.1:{port}"
    step(f"Starting model-api on {base}")
    log = log_path.open("ab")
    proc = subprocess.Popen(
        [str(model_api), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"    (its log: {log_path})", flush=True)
    try:
        if not wait_ready(base, proc):
            print(f"    model-api did not become ready; see {log_path}.", flush=True)
            return 1
        example = http_json(f"{base}/model")["example"]
        step("A sample request and its answer")
        print(
            f"curl -s -X POST {base}/predict -H 'Content-Type: application/json' \\\n"
            f"     -d '{json.dumps(example)}'",
            flush=True,
        )
        print(json.dumps(http_json(f"{base}/predict", example), indent=2), flush=True)
        if not keep_serving:
            return 0
        print(
            f"\nmodel-api is serving on {base} (docs: {base}/docs). Ctrl-C stops it.",
            flush=True,
        )
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        log.close()
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def main(argv: list[str] | None = None) -> int:
    """Stage the sample data, run the DAGs, serve the model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port", type=int, default=8000, help="model-api port (default 8000)"
    )
    parser.add_argument(
        "--no-serve",
        "--exit-after-request",
        dest="serve",
        action="store_false",
        help="stop after the sample request instead of serving until Ctrl-C",
    )
    parser.add_argument(
        "--search-budget", type=int, default=None, help="training candidates"
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("LAKE_URL", (REPO_ROOT / ".lake").as_uri())
    home = Path(os.environ.setdefault("AIRFLOW_HOME", str(REPO_ROOT / ".airflow")))
    home.mkdir(parents=True, exist_ok=True)
    lake_url = os.environ["LAKE_URL"]
    if urlparse(lake_url).scheme == "file":
        Path(unquote(urlparse(lake_url).path)).mkdir(parents=True, exist_ok=True)

    from pipeline.lake import open_lake

    lake = open_lake(lake_url)
    step(f"Copying the bundled wine CSVs into the lake ({lake_url})")
    stage_sample_files(lake)

    step("Running the ingest and train DAGs in-process (dag.test(), SQLite metadata)")
    if not run_dags(home, args.search_budget):
        print(
            "A DAG run failed; its task logs are in the log file above.",
            file=sys.stderr,
        )
        return 1

    found = champion(lake)
    if found is None:
        print("No model was registered; see the train DAG's log.", file=sys.stderr)
        return 1
    step("Registered model")
    print_model(*found)
    return serve(args.port, args.serve, home / "model-api.log")


if __name__ == "__main__":
    sys.exit(main())

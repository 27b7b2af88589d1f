"""`make airflow`: Airflow standalone with this repo's DAGs, the UI on 127.0.0.1:8080.

Runs `airflow standalone` (api-server + scheduler + dag-processor + triggerer, SQLite
metadata) with AIRFLOW_HOME=<repo>/.airflow, the DAGs from data-pipeline/dags, no
example DAGs, DAGs unpaused, and the lake from LAKE_URL (default file://<repo>/.lake).
Drop a CSV into the lake's raw/<dataset>/ folder: the `ingest` DAG picks it up within a
minute and `train` follows. Ctrl-C stops everything.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlparse

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGS_DIR = REPO_ROOT / "data-pipeline" / "dags"
DATASETS_DIR = REPO_ROOT / "data-pipeline" / "datasets"
VENV_BIN = Path(sys.executable).parent


def standalone_env(home: Path, port: int, lake_url: str) -> dict[str, str]:
    """The environment `airflow standalone` runs with."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS_DIR),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            # Task processes reach the API server here; without it Airflow 3 assumes
            # port 8080 and every task fails when the UI runs on another port.
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "LAKE_URL": lake_url,
            "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        }
    )
    return env


def prepare_drop_zones(lake_url: str) -> list[Path]:
    """Create raw/<dataset>/ for each declared dataset on a local lake (where to drop)."""
    parsed = urlparse(lake_url)
    if parsed.scheme != "file":
        return []
    root = Path(unquote(parsed.path))
    zones = []
    for spec in sorted(DATASETS_DIR.glob("*.yaml")):
        zone = root / "raw" / spec.stem
        zone.mkdir(parents=True, exist_ok=True)
        zones.append(zone)
    return zones


def announce_login(home: Path, port: int, lake_url: str, zones: list[Path]) -> None:
    """Once the UI answers, print where it is, how to log in and where to drop files."""
    password_file = home / "simple_auth_manager_passwords.json.generated"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=3
            ) as response:
                if response.status == 200 and password_file.exists():
                    break
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(1)
    else:
        print(
            "Airflow did not answer within 3 minutes; see the output above.", flush=True
        )
        return
    password = json.loads(password_file.read_text()).get("admin", "?")
    lines = [
        f"Airflow UI:  http://127.0.0.1:{port}",
        f"Log in as:   admin / {password}",
        f"             (the password is kept in {password_file})",
        f"Lake:        {lake_url}",
        *[f"Drop CSVs:   {zone}/" for zone in zones],
        "The ingest DAG looks for new files every minute; train follows new curated data.",
        "Ctrl-C stops Airflow.",
    ]
    width = max(len(line) for line in lines)
    print(
        "\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width + "\n",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Start airflow standalone in the foreground; return its exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--port", type=int, default=8080, help="UI/API port (default 8080)"
    )
    parser.add_argument("--home", type=Path, default=REPO_ROOT / ".airflow")
    args = parser.parse_args(argv)

    lake_url = os.environ.get("LAKE_URL") or (REPO_ROOT / ".lake").as_uri()
    args.home.mkdir(parents=True, exist_ok=True)
    zones = prepare_drop_zones(lake_url)
    airflow = shutil.which("airflow", path=str(VENV_BIN)) or "airflow"
    env = standalone_env(args.home.resolve(), args.port, lake_url)
    print(f"Starting Airflow standalone (AIRFLOW_HOME={args.home})...", flush=True)
    # Its own process group, so a stop reaches every component it spawned (the
    # scheduler's LocalExecutor workers included), not only the standalone parent.
    proc = subprocess.Popen([airflow, "standalone"], env=env, start_new_session=True)
    threading.Thread(
        target=announce_login, args=(args.home, args.port, lake_url, zones), daemon=True
    ).start()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> int:
    """Stop airflow standalone and everything it started: SIGINT, then SIGTERM, then SIGKILL.

    In Airflow 3.3 standalone can hang on its own exit after Ctrl-C, and the scheduler
    with its executor workers may outlive it, hence the whole group and the escalation.
    """
    print("Stopping Airflow...", flush=True)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return proc.wait()
            proc.poll()
            time.sleep(0.5)
    return proc.wait()


if __name__ == "__main__":
    sys.exit(main())

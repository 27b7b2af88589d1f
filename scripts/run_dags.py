"""Run data-pipeline DAGs once, in this process, with `dag.test()`; print what happened.

    python scripts/run_dags.py ingest train --conf train='{"search_budget": 2}' [--json]

The real DAG files from data-pipeline/dags run against the lake named by LAKE_URL and
the Airflow metadata database named by AIRFLOW_HOME / AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
(created or migrated first). `make demo` and the end-to-end tests use it. Exit code 0 when
every run succeeded, 1 when one failed (its failed tasks are listed).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
DAGS_DIR = REPO_ROOT / "data-pipeline" / "dags"

logger = logging.getLogger("run_dags")


def configure_airflow_env(dags_dir: Path = DAGS_DIR) -> None:
    """Airflow settings a one-shot in-process run needs; keeps any the caller set."""
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(dags_dir))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    # Keeps dag.test() quiet about the unit-test mode and the default secret key.
    os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")


def migrate_metadata_db() -> None:
    """Create or upgrade the Airflow metadata database (what `airflow db migrate` does)."""
    from airflow.utils import db

    db.upgradedb()


def run_dag(dag_id: str, conf: dict[str, Any] | None = None) -> dict[str, Any]:
    """Run one DAG with dag.test() and summarise the run: state and each task's state."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    if bag.import_errors:
        raise RuntimeError(f"DAG files failed to import: {bag.import_errors}")
    dag = bag.get_dag(dag_id)
    if dag is None:
        raise LookupError(
            f"no DAG {dag_id!r} in {bag.dag_folder}; found {sorted(bag.dag_ids)}"
        )
    run = dag.test(run_conf=conf)
    tasks = [
        {
            "task_id": ti.task_id,
            "map_index": ti.map_index,
            "label": ti.rendered_map_index,
            "state": str(ti.state),
        }
        for ti in sorted(
            run.get_task_instances(), key=lambda t: (t.task_id, t.map_index)
        )
    ]
    return {
        "dag_id": dag_id,
        "run_id": run.run_id,
        "state": str(run.state),
        "tasks": tasks,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, run the DAGs in order, print a summary; 0 when all succeeded."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dag_ids", nargs="+", metavar="DAG_ID")
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="DAG_ID=JSON",
        help="run conf (params)",
    )
    parser.add_argument(
        "--json-out",
        type=Path,
        metavar="FILE",
        help="also write the run summaries as JSON",
    )
    args = parser.parse_args(argv)
    confs: dict[str, dict[str, Any]] = {}
    for item in args.conf:
        dag_id, _, text = item.partition("=")
        confs[dag_id] = json.loads(text)

    configure_airflow_env()
    migrate_metadata_db()
    summaries = []
    for dag_id in args.dag_ids:
        summary = run_dag(dag_id, confs.get(dag_id))
        summaries.append(summary)
        print(f"{dag_id}: {summary['state']}", flush=True)
        for task in summary["tasks"]:
            label = f" [{task['label']}]" if task["label"] else ""
            print(f"  {task['task_id']}{label}: {task['state']}", flush=True)
        if summary["state"] != "success":
            break
    if args.json_out:
        args.json_out.write_text(json.dumps(summaries, indent=2), encoding="utf-8")
    return 0 if all(s["state"] == "success" for s in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())

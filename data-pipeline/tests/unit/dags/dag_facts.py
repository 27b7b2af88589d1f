"""Print facts about the DAGs folder as JSON (run in a fresh process by the tests).

Imports Airflow's SDK first, as the dag-processor has it loaded, then parses the DAGs
folder with a DagBag and reports import errors, parse time, the heavy libraries the DAG
files pulled in, and each DAG's settings.
"""

from __future__ import annotations

import json
import sys
import time

import airflow.sdk  # noqa: F401  (the dag-processor has it loaded before parsing)

import pipeline.settings  # noqa: F401

HEAVY = ["pandas", "numpy", "sklearn", "pyarrow", "great_expectations", "matplotlib", "scipy"]


def main() -> None:
    from airflow.dag_processing.dagbag import DagBag

    already = {name for name in HEAVY if name in sys.modules}
    start = time.perf_counter()
    bag = DagBag(dag_folder=sys.argv[1])
    elapsed = time.perf_counter() - start
    facts = {
        "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
        "parse_seconds": elapsed,
        "heavy_imported": sorted(n for n in HEAVY if n in sys.modules and n not in already),
        "dags": {},
    }
    for dag_id, dag in bag.dags.items():
        facts["dags"][dag_id] = {
            "timetable": type(dag.timetable).__name__,
            "schedule": dag.schedule if isinstance(dag.schedule, str) else None,
            "asset_condition": str(getattr(dag.timetable, "asset_condition", "")),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "tags": sorted(dag.tags),
            "doc_md": dag.doc_md or "",
            "params": {
                k: dag.params.get_param(k).resolve(suppress_exception=True) for k in dag.params
            },
            "tasks": {
                task.task_id: {
                    "retries": task.retries,
                    "retry_exponential_backoff": task.retry_exponential_backoff,
                    "execution_timeout": task.execution_timeout.total_seconds()
                    if task.execution_timeout
                    else None,
                    "mapped": bool(getattr(task, "is_mapped", False)),
                    "trigger_rule": str(task.trigger_rule),
                    "has_retry_policy": getattr(task, "retry_policy", None) is not None
                    or bool(getattr(task, "partial_kwargs", {}).get("retry_policy")),
                    "doc": bool(task.doc_md or getattr(task, "partial_kwargs", {}).get("doc_md")),
                    "outlets": [str(o) for o in task.outlets],
                }
                for task in dag.tasks
            },
        }
    print(json.dumps(facts))


if __name__ == "__main__":
    main()

"""Paths to the project's sample data and the shared corpus, for every test module.

A plain module, not conftest.py: several test folders have their own conftest.py, and
`from testdata import ...` would pick whichever of them was imported first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO_ROOT / "data-pipeline" / "sample-data" / "wine_quality"
RED_WINE = SAMPLE_DATA / "wine_type=red" / "winequality-red.csv"
WHITE_WINE = SAMPLE_DATA / "wine_type=white" / "winequality-white.csv"
SHARED_DIR = REPO_ROOT.parent / "shared"
CORPUS_DIR = SHARED_DIR / "data" / "csv-corpus"


def require_corpus() -> Path:
    """The shared csv-corpus folder, or skip the test saying why."""
    if not (CORPUS_DIR / "labels.json").is_file():
        pytest.skip(f"shared csv-corpus not found at {CORPUS_DIR} (fresh clone without ../shared)")
    return CORPUS_DIR

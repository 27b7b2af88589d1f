"""No code path that reads from the lake can execute code on load (AST scan of the sources).

Scanned: model-api/src, data-pipeline/src and data-pipeline/dags (everything that reads
models/ or curated/ from the lake). Refused:
- importing pickle, _pickle, cPickle, joblib, cloudpickle, dill, shelve or marshal;
- `allow_pickle=` with anything but the constant False;
- `numpy.load` without an explicit `allow_pickle=False` (the default may change; say it);
- pandas `read_pickle`;
- skops `load`/`loads` without `trusted=` or with `trusted=True` (trust everything).
No allowlist: nothing in the tree needs an exception today.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = [pytest.mark.security, pytest.mark.unit]

REPO = Path(__file__).resolve().parents[3]
SCANNED = [
    REPO / "model-api" / "src",
    REPO / "data-pipeline" / "src",
    REPO / "data-pipeline" / "dags",
]
BANNED_MODULES = {
    "pickle",
    "_pickle",
    "cPickle",
    "joblib",
    "cloudpickle",
    "dill",
    "shelve",
    "marshal",
}
NUMPY_NAMES = {"np", "numpy"}
SKOPS_NAMES = {"sio", "skops.io"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def _keyword(call: ast.Call, name: str) -> ast.keyword | None:
    return next((k for k in call.keywords if k.arg == name), None)


def _is_const(node: ast.expr | None, value: object) -> bool:
    return isinstance(node, ast.Constant) and node.value is value


def violations(source: str, where: str) -> list[str]:
    """Every unsafe-loading construct in one module's source, as `where:line: what`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        line = f"{where}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [
                f"{line}: imports {a.name}"
                for a in node.names
                if a.name.split(".")[0] in BANNED_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in BANNED_MODULES:
                found.append(f"{line}: imports from {node.module}")
        elif isinstance(node, ast.Call):
            name = _dotted(node.func)
            owner, _, attr = name.rpartition(".")
            allow = _keyword(node, "allow_pickle")
            if allow is not None and not _is_const(allow.value, False):
                found.append(f"{line}: allow_pickle is not False")
            if attr == "load" and owner in NUMPY_NAMES and allow is None:
                found.append(f"{line}: {name} without allow_pickle=False")
            if attr == "read_pickle":
                found.append(f"{line}: {name} (pickle)")
            if attr in {"load", "loads"} and owner in SKOPS_NAMES:
                trusted = _keyword(node, "trusted")
                if trusted is None or _is_const(trusted.value, True):
                    found.append(f"{line}: {name} without an explicit trusted-types list")
    return found


def test_the_scan_catches_each_unsafe_construct() -> None:
    bad = """
import pickle
from joblib import load
import numpy as np
import pandas as pd
import skops.io as sio
np.load(buf)
np.load(buf, allow_pickle=True)
pd.read_pickle(path)
sio.loads(data, trusted=True)
sio.load(path)
"""
    found = violations(bad, "bad.py")
    assert len(found) == 7, found
    good = """
import numpy as np
import skops.io as sio
np.load(buf, allow_pickle=False)
sio.loads(data, trusted=sorted(types))
"""
    assert violations(good, "good.py") == []


def test_no_code_executing_loader_in_the_lake_reading_sources() -> None:
    files = sorted(p for root in SCANNED for p in root.rglob("*.py") if "egg-info" not in str(p))
    assert len(files) > 20  # the scan really looked at the trees
    found = [
        v
        for path in files
        for v in violations(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))
    ]
    assert found == []

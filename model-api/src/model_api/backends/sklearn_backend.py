"""The reference backend: the registry's scikit-learn Pipeline from model.skops.

Needs the `reference` extra (scikit-learn, skops, pandas). Used for equality tests and the
benchmark's comparison column; it pays scikit-learn's per-call overhead (milliseconds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from model_api.backends import BackendUnavailableError
from model_api.lake import IntegrityError
from model_api.manifest import Manifest

# Types skops does not trust by default that a fitted forest Pipeline legitimately holds.
# Anything else in a file is refused: loading must never run code from the lake.
TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.compose._column_transformer._RemainderColsList",
    }
)


class SklearnPredictor:
    """`Pipeline.predict` / `predict_proba` on a one-row-per-request DataFrame."""

    name = "sklearn"

    def __init__(self, manifest: Manifest, skops_bytes: bytes) -> None:
        try:
            import pandas as pd
            import skops.io as sio
        except ImportError as error:
            raise BackendUnavailableError(
                "backend sklearn needs the reference extra: pip install 'model-api[reference]'"
            ) from error
        untrusted = set(sio.get_untrusted_types(data=skops_bytes))
        refused = sorted(untrusted - TRUSTED_TYPES)
        if refused:
            raise IntegrityError(f"model.skops holds types model-api does not trust: {refused}")
        self.pipeline: Any = sio.loads(skops_bytes, trusted=sorted(untrusted))
        self.columns = [f.name for f in manifest.features]
        self.classify = manifest.task == "classification"
        self.frame_cls = pd.DataFrame

    def predict_values(self, rows: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        """(rows, 1) predictions or (rows, classes) probabilities."""
        frame = self.frame_cls(
            [[row.get(c) for c in self.columns] for row in rows], columns=self.columns
        )
        if self.classify:
            return np.asarray(self.pipeline.predict_proba(frame), dtype=np.float64)
        return np.asarray(self.pipeline.predict(frame), dtype=np.float64).reshape(-1, 1)

"""onnxruntime on model.onnx (float32 thresholds: expect ~1e-5 differences from scikit-learn)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from model_api.backends import BackendUnavailableError
from model_api.manifest import Manifest

_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(string)": np.object_,
}


class OnnxPredictor:
    """Feeds one [rows, 1] input per feature, as skl2onnx converts a ColumnTransformer."""

    name = "onnx"

    def __init__(self, manifest: Manifest, onnx_bytes: bytes) -> None:
        try:
            import onnxruntime as ort
        except ImportError as error:
            raise BackendUnavailableError("backend onnx needs the onnxruntime package") from error
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # single rows: threads cost more than they save
        self.session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
        self.task = manifest.task
        self.classes = list(manifest.classes or ())
        self.imputes: dict[str, Any] = {s.name: s.impute for s in manifest.preprocessing.numeric}
        self.imputes.update({s.name: s.impute for s in manifest.preprocessing.categorical})
        self.inputs = [(i.name, _DTYPES.get(i.type)) for i in self.session.get_inputs()]
        unknown = [n for n, dtype in self.inputs if dtype is None or n not in self.imputes]
        if unknown:
            raise BackendUnavailableError(f"model.onnx has inputs model-api cannot feed: {unknown}")

    def predict_values(self, rows: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        """(rows, 1) predictions or (rows, classes) probabilities."""
        feed = {}
        for name, dtype in self.inputs:
            impute = self.imputes[name]
            values = [impute if row.get(name) is None else row[name] for row in rows]
            feed[name] = np.array(values, dtype=dtype).reshape(-1, 1)
        outputs = self.session.run(None, feed)
        if self.task == "regression":
            return np.asarray(outputs[0], dtype=np.float64).reshape(-1, 1)
        probabilities = outputs[1]
        if isinstance(probabilities, list):  # exported with zipmap: one {class: p} per row
            return np.array([[p[c] for c in self.classes] for p in probabilities], dtype=np.float64)
        return np.asarray(probabilities, dtype=np.float64)

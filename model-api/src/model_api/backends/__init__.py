"""Prediction backends: numpy (fast, exact), onnx (onnxruntime), sklearn (reference)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from model_api.lake import IntegrityError, LakeReader, verify
from model_api.manifest import Manifest
from model_api.settings import Backend


class BackendUnavailableError(RuntimeError):
    """The chosen backend cannot run here (package not installed, artifact absent)."""


class Predictor(Protocol):
    """Rows of validated features -> raw model outputs, shape (rows, n_outputs)."""

    name: str

    def predict_values(self, rows: Sequence[Mapping[str, Any]]) -> npt.NDArray[np.float64]:
        """Regression: (rows, 1) predictions; classification: (rows, classes) probabilities."""
        ...


def read_artifact(lake: LakeReader, manifest: Manifest, kind: str, version_prefix: str) -> bytes:
    """An artifact's bytes, verified against the manifest's sha256 and size.

    Raises:
        IntegrityError: the artifact is not listed, or its bytes do not match.
    """
    artifact = manifest.artifacts.get(kind)
    if artifact is None:
        raise IntegrityError(f"manifest {manifest.version} lists no {kind!r} artifact")
    obj = lake.read(f"{version_prefix}{artifact.path}")
    return verify(obj, artifact.sha256, artifact.bytes)


def build_predictor(
    backend: Backend, lake: LakeReader, manifest: Manifest, version_prefix: str
) -> Predictor:
    """Load and verify the artifact the backend needs and return a ready predictor."""
    if backend is Backend.NUMPY:
        from model_api.backends.numpy_backend import NumpyPredictor

        return NumpyPredictor(manifest, read_artifact(lake, manifest, "forest", version_prefix))
    if backend is Backend.ONNX:
        from model_api.backends.onnx_backend import OnnxPredictor

        return OnnxPredictor(manifest, read_artifact(lake, manifest, "onnx", version_prefix))
    from model_api.backends.sklearn_backend import SklearnPredictor

    return SklearnPredictor(manifest, read_artifact(lake, manifest, "skops", version_prefix))

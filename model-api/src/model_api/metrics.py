"""Prometheus metrics of one app; multiprocess-aware when PROMETHEUS_MULTIPROC_DIR is set.

With several uvicorn workers each process has its own counters. When
PROMETHEUS_MULTIPROC_DIR is set (`model-api --workers N` sets it to a fresh directory),
prometheus-client writes them to files there and /metrics, answered by any worker,
aggregates all workers (counters and histograms summed; the model-info gauge shows one
series per live worker, labelled `pid`). Without it, /metrics shows only the worker that
answered.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Fine buckets below 10 ms: the service's goal is p50 < 2 ms, p99 < 10 ms.
LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.002,
    0.003,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
)
PREDICTION_BUCKETS = (1, 2, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7, 7.5, 8, 9, 10)


def multiprocess_dir() -> str | None:
    """The shared metrics directory when running several workers, else None."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Metrics:
    """The service's metrics, registered on a registry private to the app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "model_api_requests_total",
            "HTTP requests (health and metrics excluded)",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "model_api_request_duration_seconds",
            "HTTP request latency (health/metrics excluded)",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.predictions = Histogram(
            "model_api_prediction_value",
            "Predicted values (regression) or class index",
            buckets=PREDICTION_BUCKETS,
            registry=registry,
        )
        self.predicted_rows = Counter(
            "model_api_predicted_rows_total", "Rows predicted (single + batch)", registry=registry
        )
        self.model_info = Gauge(
            "model_api_model_info",
            "1 for the model version this process serves",
            ["dataset", "version", "backend"],
            registry=registry,
            multiprocess_mode="liveall",
        )
        self.reloads = Counter(
            "model_api_model_reloads_total",
            "Model loads by outcome (success | failure)",
            ["outcome"],
            registry=registry,
        )
        self.poll_errors = Counter(
            "model_api_lake_poll_errors_total",
            "Polls of champion.json that could not reach the lake (the loaded model keeps serving)",
            registry=registry,
        )

        # Names fixed by the monitoring issue (no model_api_ prefix): dashboards query them.
        self.log_written = Counter(
            "prediction_log_written",
            "Prediction-log rows written to the lake",
            registry=registry,
        )
        self.log_dropped = Counter(
            "prediction_log_dropped",
            "Sampled prediction-log rows dropped (queue full, or the lake refused the batch)",
            registry=registry,
        )
        self.log_queue_rows = Gauge(
            "prediction_log_queue_rows",
            "Prediction-log rows waiting in memory for the background writer",
            registry=registry,
            multiprocess_mode="livesum",
        )

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type."""
        directory = multiprocess_dir()
        if directory:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

"""A small client for the MLflow tracking server's REST API (the calls the pipeline needs).

Why not the `mlflow` / `mlflow-skinny` package: mlflow-skinny 3.17.2 requires
`cachetools<8` and `importlib_metadata<10`, and this project pins Airflow's newer
`cachetools==8.0.2` / `importlib_metadata==10.2.0`. The REST API is MLflow's documented,
versioned interface (https://mlflow.org/docs/latest/api_reference/rest-api.html), and a
dozen endpoints cover runs, metrics, artifacts (through the server's artifact proxy) and the
model registry, so the pipeline speaks it directly with `requests`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

logger = logging.getLogger(__name__)

API = "/api/2.0/mlflow"
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"
PROXY_SCHEME = "mlflow-artifacts:"
TIMEOUT_SECONDS = 60.0


class TrackingError(RuntimeError):
    """The tracking server refused a call or could not be reached; the message says which."""

    def __init__(self, message: str, error_code: str | None = None) -> None:
        super().__init__(message)
        self.error_code = error_code


def _session() -> requests.Session:
    session = requests.Session()
    # Connection failures are retried for every call (nothing reached the server); status
    # retries only for reads and artifact PUTs, which are safe to repeat.
    retry = Retry(
        total=4,
        connect=4,
        read=0,
        status=3,
        backoff_factor=0.5,
        status_forcelist=(429, 502, 503, 504),
        allowed_methods=frozenset({"GET", "PUT"}),
        raise_on_status=False,
    )
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class MlflowRestClient:
    """Calls one MLflow tracking server (`http[s]://host:port[/prefix]`)."""

    def __init__(self, tracking_uri: str, *, session: requests.Session | None = None) -> None:
        self.base_url = tracking_uri.rstrip("/")
        self.session = session or _session()

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """One REST call (`endpoint` below /api/2.0/mlflow); the decoded JSON answer.

        Raises TrackingError with the server's error_code and message on any failure.
        """
        url = f"{self.base_url}{API}/{endpoint}"
        try:
            response = self.session.request(
                method, url, params=params, json=body, timeout=TIMEOUT_SECONDS
            )
        except requests.RequestException as error:
            raise TrackingError(f"MLflow server {self.base_url} unreachable: {error}") from error
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise TrackingError(
                f"MLflow {method} {endpoint} failed with HTTP {response.status_code}: "
                f"{code or ''} {message}".strip(),
                code,
            )
        answer: dict[str, Any] = response.json() if response.content else {}
        return answer

    def upload_artifact(self, artifact_uri: str, path: str, data: bytes) -> None:
        """Store `data` at `path` below a run's `artifact_uri` through the server's proxy.

        Only proxied artifact stores (`mlflow-artifacts:/...`, the default of
        `mlflow server`) are reachable this way; other stores raise TrackingError.
        """
        if not artifact_uri.startswith(PROXY_SCHEME):
            raise TrackingError(
                f"the run's artifact location {artifact_uri!r} is not served by the tracking "
                "server; start the server with artifact proxying (the default, or "
                "--serve-artifacts --artifacts-destination ...)"
            )
        location = artifact_uri[len(PROXY_SCHEME) :].strip("/") + "/" + path.strip("/")
        url = f"{self.base_url}{ARTIFACTS_API}/{quote(location)}"
        try:
            response = self.session.put(
                url,
                data=data,
                headers={"Content-Type": "application/octet-stream"},
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise TrackingError(f"artifact upload of {path} failed: {error}") from error
        if response.status_code >= 400:
            code, message = _error_of(response)
            raise TrackingError(
                f"artifact upload of {path} failed with HTTP {response.status_code}: {message}",
                code,
            )

    def close(self) -> None:
        """Release the connection pool."""
        self.session.close()


def _error_of(response: requests.Response) -> tuple[str | None, str]:
    try:
        data = response.json()
    except ValueError:
        return None, response.text[:300]
    if isinstance(data, dict):
        return data.get("error_code"), str(data.get("message", data))[:500]
    return None, str(data)[:300]

"""Import great-expectations on a background thread while ingest does other work.

Its import takes seconds (hundreds of modules), mostly while the ingest thread hashes and
parses in C code that releases the GIL, so doing both at once hides most of it. Two
threads importing great-expectations at the same time see half-initialised modules
(`ImportError: ... partially initialized module`), so every use first waits for the
background import: call `wait_for_background_import()` before `import great_expectations`.
"""

from __future__ import annotations

import logging
import threading

logger = logging.getLogger(__name__)

_LOCK = threading.Lock()
_THREAD: threading.Thread | None = None


def _import() -> None:
    try:
        import great_expectations  # noqa: F401
    except Exception:  # the first real use imports it again and reports the error there
        logger.debug("background import of great-expectations failed", exc_info=True)


def import_in_background() -> None:
    """Start importing great-expectations in a daemon thread (once per process)."""
    global _THREAD  # noqa: PLW0603 - one import per process
    with _LOCK:
        if _THREAD is None:
            _THREAD = threading.Thread(target=_import, name="import-gx", daemon=True)
            _THREAD.start()


def wait_for_background_import() -> None:
    """Block until a background import started by `import_in_background` has finished."""
    with _LOCK:
        thread = _THREAD
    if thread is not None and thread is not threading.current_thread():
        thread.join()

"""Data Docs views whose Jinja templates are compiled once per process.

great-expectations builds a new Jinja environment for every view of every Data Docs build,
so each ingested file compiled the same ~50 templates again: about 0.1 s of pure Python a
file, holding the GIL while the file's blocks are being parsed. These views (named in the
site configuration `pipeline.validate` builds) share one bytecode cache. Jinja keys it by
template name and source checksum, so a changed template is still recompiled.
"""

from __future__ import annotations

import threading
from typing import Any

from great_expectations.render.view.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2.bccache import Bucket, BytecodeCache


class MemoryBytecodeCache(BytecodeCache):
    """Compiled Jinja templates kept in memory for the life of the process."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def load_bytecode(self, bucket: Bucket) -> None:
        """Fill `bucket` with the code compiled earlier for its key, if any."""
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Keep the code Jinja just compiled for `bucket`."""
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code

    def clear(self) -> None:
        """Forget every compiled template."""
        with self._lock:
            self._code.clear()

    def __len__(self) -> int:
        return len(self._code)


TEMPLATES = MemoryBytecodeCache()


class _SharedTemplates:
    """Mixin for a GX view: its Jinja environment uses the process-wide `TEMPLATES`."""

    env: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.env.bytecode_cache = TEMPLATES


class CachedJinjaPageView(_SharedTemplates, DefaultJinjaPageView):
    """GX's page view (suites, validation results) with process-wide compiled templates."""


class CachedJinjaIndexPageView(_SharedTemplates, DefaultJinjaIndexPageView):
    """GX's index page view with process-wide compiled templates."""


def cached_view(class_name: str) -> dict[str, str]:
    """The GX site-builder `view` configuration naming one of the views above."""
    return {"module_name": __name__, "class_name": class_name}
